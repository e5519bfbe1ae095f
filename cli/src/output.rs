//! Where results and progress go: one JSON document on standard output with `--json`, readable
//! text otherwise; progress lines and notices always on standard error so they never mix with a
//! result a script parses.
//!
//! This module owns formatting and the one place every byte of output is written ([`out`],
//! [`out_line`], [`err`], [`err_line`], and results). A reader that goes away (`netid verify |
//! head -1`, a closed terminal) makes the write fail with EPIPE: that ends output quietly — the
//! rest of the command still runs to its normal exit status, so files it is writing (the replay
//! cache, the demo's clean-up of key-store entries) are finished, and nothing panics. This is why
//! SIGPIPE is not reset to its default: that would kill the process mid-command by signal,
//! skipping clean-up and replacing the exit status the command contract promises (docs/cli.md).
//! It must never print a secret; what it prints is what the command hands it. Results can hold
//! claims (`wallet show`), so the JSON text is built in a wiped buffer allocated once at its exact
//! size, the command's JSON tree has its strings wiped after printing, and results are written to
//! standard output without passing through the standard library's stdout buffer (a static buffer
//! that would keep the last line until overwritten).

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;
use zeroize::{Zeroize, Zeroizing};

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
            err_line(&format!("… {step}"));
        }
    }

    /// A notice the person should see in either mode (standard error).
    pub fn notice(self, text: &str) {
        err_line(text);
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
/// Like [`out`], a failed write (the reader went away) ends output quietly.
fn write_unbuffered(bytes: &[u8]) {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut stdout = std::io::stdout();
    let written = (|| {
        stdout.flush()?;
        #[cfg(unix)]
        {
            use std::os::fd::AsFd;
            if let Ok(fd) = stdout.as_fd().try_clone_to_owned() {
                return std::fs::File::from(fd).write_all(bytes);
            }
        }
        stdout.write_all(bytes)?;
        stdout.flush()
    })();
    if written.is_err() {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
    }
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
