//! Where results and progress go: one JSON document on standard output with `--json`, readable
//! text otherwise; progress lines and notices always on standard error so they never mix with a
//! result a script parses.
//!
//! This module owns formatting only. It must never print a secret; what it prints is what the
//! command hands it.

use serde_json::Value;

/// The output mode chosen by the global `--json` flag.
#[derive(Clone, Copy, Debug)]
pub struct Output {
    json: bool,
}

impl Output {
    /// Output in JSON (`true`) or text.
    pub fn new(json: bool) -> Self {
        Self { json }
    }

    /// Whether results are JSON.
    pub fn is_json(self) -> bool {
        self.json
    }

    /// Print a command's result: `json` in JSON mode, else `human`.
    pub fn result(self, json: &Value, human: &str) {
        if self.json {
            println!(
                "{}",
                serde_json::to_string_pretty(json).unwrap_or_else(|_| "{}".into())
            );
        } else if !human.is_empty() {
            println!("{}", human.trim_end());
        }
    }

    /// A progress line for a step that takes a moment (standard error, text mode only).
    pub fn progress(self, step: &str) {
        if !self.json {
            eprintln!("… {step}");
        }
    }

    /// A notice the person should see in either mode (standard error).
    pub fn notice(self, text: &str) {
        eprintln!("{text}");
    }
}
