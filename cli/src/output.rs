//! Where results and progress go: one JSON document on standard output with `--json`, readable
//! text otherwise; progress lines and notices always on standard error so they never mix with a
//! result a script parses.
//!
//! This module owns formatting only. It must never print a secret; what it prints is what the
//! command hands it. Results can hold claims (`wallet show`), so the JSON text is built in a wiped
//! buffer allocated once at its exact size, the command's JSON tree has its strings wiped after
//! printing, and results are written to standard output without passing through the standard
//! library's stdout buffer (a static buffer that would keep the last line until overwritten).

use std::io::Write;

use serde_json::Value;
use zeroize::{Zeroize, Zeroizing};

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
            let text = pretty_json(json);
            write_unbuffered(&text);
            write_unbuffered(b"\n");
        } else if !human.is_empty() {
            write_unbuffered(human.trim_end().as_bytes());
            write_unbuffered(b"\n");
        }
    }

    /// As [`Self::result`], for a result that holds personal data: its strings are wiped after.
    pub fn private_result(self, mut json: Value, human: Zeroizing<String>) {
        self.result(&json, &human);
        wipe_json(&mut json);
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

/// Counts what a serializer writes, so the real buffer can be allocated once at its final size.
struct Counter(usize);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `json` pretty-printed into a wiped buffer that never reallocates (a growing buffer would leave
/// partial copies of the claims in the freed heap).
fn pretty_json(json: &Value) -> Zeroizing<Vec<u8>> {
    let mut counter = Counter(0);
    if serde_json::to_writer_pretty(&mut counter, json).is_err() {
        return Zeroizing::new(b"{}".to_vec());
    }
    let mut out = Zeroizing::new(Vec::with_capacity(counter.0));
    if serde_json::to_writer_pretty(&mut *out, json).is_err() {
        out.clear();
        out.extend_from_slice(b"{}");
    }
    out
}

/// Wipes every string in a JSON tree (keys are field names, not personal data).
pub fn wipe_json(value: &mut Value) {
    match value {
        Value::String(s) => s.zeroize(),
        Value::Array(items) => items.iter_mut().for_each(wipe_json),
        Value::Object(map) => map.values_mut().for_each(wipe_json),
        _ => {}
    }
}

/// Writes to standard output directly, after flushing anything `print!` buffered so the order
/// holds. Falls back to the buffered handle where the descriptor cannot be duplicated.
fn write_unbuffered(bytes: &[u8]) {
    let mut stdout = std::io::stdout();
    let _ = stdout.flush();
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        if let Ok(fd) = stdout.as_fd().try_clone_to_owned() {
            let _ = std::fs::File::from(fd).write_all(bytes);
            return;
        }
    }
    let _ = stdout.write_all(bytes);
    let _ = stdout.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_json_is_exactly_sized_and_matches_serde_json() {
        let json = serde_json::json!({"claims": {"name": "Zhang San", "n": 3}, "x": [1, "two"]});
        let text = pretty_json(&json);
        assert_eq!(text.len(), text.capacity());
        assert_eq!(
            text.as_slice(),
            serde_json::to_string_pretty(&json).unwrap().as_bytes()
        );
    }

    #[test]
    fn wipe_json_clears_every_string() {
        let mut json = serde_json::json!({"a": "secret", "b": ["more", {"c": "deep"}], "d": 1});
        wipe_json(&mut json);
        assert_eq!(
            json,
            serde_json::json!({"a": "", "b": ["", {"c": ""}], "d": 1})
        );
    }
}
