//! The audit log: one JSON line per verification on standard output — which counter, when,
//! for what purpose, the outcome and the document type.
//!
//! This module owns the shape of that line and the thread that writes it, so a slow terminal
//! or pipe never holds up a request handler mid-verification for long. It must never carry
//! claims, QR text, nonces, replay identities or tokens: the fields are typed so none can be
//! passed in.

use std::io::Write;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::{SystemTime, UNIX_EPOCH};

/// Lines that may wait for the writer before handlers block (back-pressure, never loss).
const QUEUE: usize = 16 * 1024;

/// One verification, as audited.
pub struct AuditRecord {
    /// The counter's configured id.
    pub counter: String,
    /// The purpose verified for.
    pub purpose: &'static str,
    /// `accepted` or the refusal kind.
    pub outcome: &'static str,
    /// The document type, when the code was accepted.
    pub doc_type: Option<&'static str>,
    /// The HTTP status answered.
    pub status: u16,
    /// Time taken, microseconds.
    pub micros: u64,
}

/// Where audit lines go.
#[derive(Clone)]
pub struct AuditLog {
    sender: SyncSender<String>,
}

impl AuditLog {
    /// Audit lines to standard output, written by a thread of their own.
    pub fn to_stdout() -> Self {
        let (sender, receiver) = sync_channel(QUEUE);
        std::thread::Builder::new()
            .name("audit-log".into())
            .spawn(move || write_lines(&receiver, &mut std::io::stdout()))
            .expect("the audit log thread starts");
        Self { sender }
    }

    /// Record one verification.
    pub fn record(&self, record: AuditRecord) {
        let time_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let line = serde_json::json!({
            "event": "verification",
            "time_ms": time_ms,
            "counter": record.counter,
            "purpose": record.purpose,
            "outcome": record.outcome,
            "doc_type": record.doc_type,
            "status": record.status,
            "micros": record.micros,
        })
        .to_string();
        // Blocks only when the writer is 16 K lines behind; fails only when it died, and then
        // the operator has already lost standard output.
        let _ = self.sender.send(line);
    }
}

fn write_lines(receiver: &Receiver<String>, out: &mut impl Write) {
    let mut buffered = std::io::BufWriter::new(out);
    while let Ok(line) = receiver.recv() {
        let _ = writeln!(buffered, "{line}");
        // Flush once the queue is drained, so a quiet service's lines appear at once and a
        // busy one's go out in blocks.
        while let Ok(line) = receiver.try_recv() {
            let _ = writeln!(buffered, "{line}");
        }
        let _ = buffered.flush();
    }
}
