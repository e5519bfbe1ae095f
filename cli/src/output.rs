//! Where results and progress go: one JSON document on standard output with `--json`, readable
//! text otherwise; progress lines and notices always on standard error so they never mix with a
//! result a script parses.
//!
//! This module owns formatting and the one place every byte of output is written ([`out`],
//! [`out_line`], [`err`], [`err_line`]). A reader that goes away (`netid verify | head -1`, a
//! closed terminal) makes the write fail with EPIPE: that ends output quietly — the rest of the
//! command still runs to its normal exit status, so files it is writing (the replay cache, the
//! demo's clean-up of key-store entries) are finished, and nothing panics. This is why SIGPIPE is
//! not reset to its default: that would kill the process mid-command by signal, skipping
//! clean-up and replacing the exit status the command contract promises (docs/cli.md).
//! It must never print a secret; what it prints is what the command hands it.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;

static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Write `text` to standard output and flush; after the first failed write (the reader has gone
/// away), nothing more is written.
pub fn out(text: &str) {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut stdout = std::io::stdout().lock();
    if stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
    }
}

/// [`out`] with a newline.
pub fn out_line(text: &str) {
    out(&format!("{text}\n"));
}

/// Whether standard output has gone away (a loop that only draws for a reader can stop).
pub fn stdout_closed() -> bool {
    STDOUT_CLOSED.load(Ordering::Relaxed)
}

/// Write `text` to standard error and flush; a closed standard error is ignored.
pub fn err(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr
        .write_all(text.as_bytes())
        .and_then(|()| stderr.flush());
}

/// [`err`] with a newline.
pub fn err_line(text: &str) {
    err(&format!("{text}\n"));
}

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
            out_line(&serde_json::to_string_pretty(json).unwrap_or_else(|_| "{}".into()));
        } else if !human.is_empty() {
            out_line(human.trim_end());
        }
    }

    /// A progress line for a step that takes a moment (standard error, text mode only).
    pub fn progress(self, step: &str) {
        if !self.json {
            err_line(&format!("… {step}"));
        }
    }

    /// A notice the person should see in either mode (standard error).
    pub fn notice(self, text: &str) {
        err_line(text);
    }
}
