//! The host's logging hook: one narrow callback that hears what the library did — the
//! operation, its outcome's stable kind, the purpose — so an app's diagnostics and support
//! reports can include it, as the Bitwarden and EUDI wallet SDKs allow.
//!
//! This module owns the installed sink and the rule for what may be said: operation names,
//! error kinds, purposes, doc types and counts. It must never pass a claim, a QR text, a PIN, a
//! key, a document id or a counter's nonce to the host, and never let a failing or re-entrant
//! logger change an operation's outcome: messages are sent after the operation's locks are
//! released, and whatever the logger throws is ignored.

use std::sync::{Arc, PoisonError, RwLock};

use crate::error::HostError;

/// How much a message matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum LogLevel {
    /// Step by step (refreshes, cache sizes).
    Debug,
    /// What the resident or counter did (unlocked, a code shown, a code accepted).
    Info,
    /// Refused or failed as designed (a wrong PIN, a refused code).
    Warn,
    /// The library or the host misbehaved (an internal error, a host callback that failed).
    Error,
}

/// Receives the library's log messages (named so it clashes with neither `os.Logger` in Swift
/// nor the JVM's loggers an app already imports). Return quickly (hand the message to the app's logging
/// framework): the library waits for it. Messages never contain personal data.
#[uniffi::export(with_foreign)]
pub trait LogSink: Send + Sync {
    /// One message; anything thrown is ignored.
    fn log(&self, level: LogLevel, message: String) -> Result<(), HostError>;
}

static LOGGER: RwLock<Option<Arc<dyn LogSink>>> = RwLock::new(None);

/// Installs `logger` for every wallet and verifier of this process (`null`/`nil` removes it).
#[uniffi::export]
pub fn set_logger(logger: Option<Arc<dyn LogSink>>) {
    *LOGGER.write().unwrap_or_else(PoisonError::into_inner) = logger;
}

/// Sends a message built by `message` (only built when a logger is installed).
pub(crate) fn log(level: LogLevel, message: impl FnOnce() -> String) {
    let logger = LOGGER
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    if let Some(logger) = logger {
        // A logger that throws changes nothing.
        let _ = logger.log(level, message());
    }
}

/// Logs the outcome of `operation`: Info on success, Warn (or Error for an internal failure)
/// with the error's stable kind otherwise.
pub(crate) fn outcome<T, E: Kind>(operation: &str, result: &Result<T, E>) {
    report(operation, result.as_ref().err().map(Kind::kind));
}

/// The non-generic half of [`outcome`] (one copy in the library, whatever the result types).
fn report(operation: &str, error_kind: Option<&'static str>) {
    let (level, kind) = match error_kind {
        None => (LogLevel::Info, "ok"),
        Some("internal") => (LogLevel::Error, "internal"),
        Some(kind) => (LogLevel::Warn, kind),
    };
    log(level, || format!("{operation}: {kind}"));
}

/// An error with a stable, personal-data-free kind.
pub(crate) trait Kind {
    fn kind(&self) -> &'static str;
}

impl Kind for crate::error::WalletError {
    fn kind(&self) -> &'static str {
        crate::error::WalletError::kind(self)
    }
}

impl Kind for crate::error::VerifyError {
    fn kind(&self) -> &'static str {
        crate::error::VerifyError::kind(self)
    }
}
