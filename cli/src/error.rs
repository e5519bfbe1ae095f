//! The one error type every command returns: a kind (stable, for scripts), a message (what went
//! wrong) and a next step (what the person should do), plus the exit status it maps to.
//!
//! This module owns the exit-code contract of docs/cli.md: 0 accepted, 1 refused, 2 usage or input
//! error. It must never carry personal data, key material or passphrases: messages are built from
//! fixed text, file paths the user typed, and the core's own errors (which carry none either).

use std::fmt;
use std::path::Path;

/// How a failed command ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// The request was understood and refused (a code that does not verify, a denied prompt).
    Refused,
    /// The command could not run: bad arguments, unreadable or damaged input, missing home.
    Usage,
}

impl Exit {
    /// The process exit status.
    pub fn code(self) -> u8 {
        match self {
            Self::Refused => 1,
            Self::Usage => 2,
        }
    }
}

/// A failure, ready to print.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CliError {
    /// Stable machine-readable kind, e.g. `replayed` or `missing-home`.
    pub kind: &'static str,
    /// What went wrong.
    pub message: String,
    /// What to do next.
    pub next_step: String,
    /// Exit status class.
    pub exit: Exit,
}

impl CliError {
    /// A usage or input error (exit 2).
    pub fn usage(
        kind: &'static str,
        message: impl Into<String>,
        next_step: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            message: message.into(),
            next_step: next_step.into(),
            exit: Exit::Usage,
        }
    }

    /// A refusal (exit 1).
    pub fn refused(
        kind: &'static str,
        message: impl Into<String>,
        next_step: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            message: message.into(),
            next_step: next_step.into(),
            exit: Exit::Refused,
        }
    }

    /// A file that could not be read.
    pub fn read_file(what: &str, path: &Path, err: &std::io::Error) -> Self {
        Self::usage(
            "unreadable-file",
            format!("cannot read {what} {}: {}", path.display(), io_reason(err)),
            format!("check that {} exists and is readable", path.display()),
        )
    }

    /// A file that could not be written.
    pub fn write_file(what: &str, path: &Path, err: &std::io::Error) -> Self {
        Self::usage(
            "unwritable-file",
            format!("cannot write {what} {}: {}", path.display(), io_reason(err)),
            format!(
                "check that the directory of {} exists and is writable",
                path.display()
            ),
        )
    }

    /// The JSON form: `{"error": {"kind", "message", "next_step"}}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "error": {
                "kind": self.kind,
                "message": self.message,
                "next_step": self.next_step,
            }
        })
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::i18n::ta;
        write!(
            f,
            "{}\n{}",
            ta(
                "cli-error-line",
                &[("message", self.message.as_str().into())]
            ),
            ta("cli-next-line", &[("next", self.next_step.as_str().into())])
        )
    }
}

impl std::error::Error for CliError {}

/// The OS reason without the path or errno noise (the path is already in our message).
fn io_reason(err: &std::io::Error) -> String {
    match err.kind() {
        std::io::ErrorKind::NotFound => "it does not exist".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::IsADirectory => "it is a directory".into(),
        _ => err.to_string(),
    }
}

/// Every command's result.
pub type CliResult<T> = Result<T, CliError>;
