//! The terminal stand-in for the phone's biometric prompt: a [`UserVerifier`] that asks on the
//! terminal ("Confirm with your fingerprint: …") or answers from `NETID_AUTH`, so every wallet
//! command is scriptable.
//!
//! This module owns only the question and the answer. The answer alone unlocks nothing: the
//! core's software authenticator turns a confirmation into the unlock secret for one holder-key
//! signature, which the core then verifies. `deny` is a biometric that was not recognised (it
//! counts toward the wallet's lockout); `cancel` is the person dismissing the prompt (it does
//! not). It never reads or prints anything but the prompt and the one-line answer.

use std::io::IsTerminal;

use netid_core::secure_area::{PromptReason, SecureAreaError, UserVerifier};

use crate::error::{CliError, CliResult};

/// The environment variable that answers the prompt in scripts.
pub const NETID_AUTH: &str = "NETID_AUTH";

/// A scripted answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// The fingerprint or face matched.
    Allow,
    /// Not recognised (counts toward lockout).
    Deny,
    /// The person dismissed the prompt.
    Cancel,
}

/// Where answers come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    Scripted(Answer),
    Terminal,
    /// Decided when a prompt actually comes (commands that may not need one).
    Deferred,
}

/// The biometric stand-in.
#[derive(Debug)]
pub struct TerminalVerifier {
    source: Source,
}

impl TerminalVerifier {
    /// From `NETID_AUTH` if set, else the terminal if standard input is one; otherwise a usage
    /// error explaining `NETID_AUTH`.
    pub fn from_env() -> CliResult<Self> {
        Self::from_env_or(None)
    }

    /// As [`Self::from_env`], with `default` used when `NETID_AUTH` is unset and there is no
    /// terminal (the non-interactive demo confirms on its own).
    pub fn from_env_or(default: Option<Answer>) -> CliResult<Self> {
        let source = match std::env::var(NETID_AUTH) {
            Ok(value) => Source::Scripted(parse_answer(&value)?),
            Err(_) => match default {
                Some(answer) => Source::Scripted(answer),
                None if std::io::stdin().is_terminal() => Source::Terminal,
                None => {
                    return Err(CliError::usage(
                        "no-authenticator",
                        "this command needs the biometric confirmation, but there is no terminal to ask",
                        "run it in a terminal, or set NETID_AUTH=allow (or deny / cancel) to answer the prompt in a script",
                    ));
                }
            },
        };
        Ok(Self { source })
    }

    /// A verifier that looks at `NETID_AUTH` and the terminal only if a prompt comes.
    pub fn deferred() -> Self {
        Self {
            source: Source::Deferred,
        }
    }
}

fn parse_answer(value: &str) -> CliResult<Answer> {
    match value {
        "allow" => Ok(Answer::Allow),
        "deny" => Ok(Answer::Deny),
        "cancel" => Ok(Answer::Cancel),
        _ => Err(CliError::usage(
            "bad-netid-auth",
            "NETID_AUTH must be allow, deny or cancel",
            "set NETID_AUTH=allow (confirm), deny (not recognised) or cancel (dismissed), or unset it to be asked",
        )),
    }
}

fn reason_text(reason: PromptReason) -> String {
    crate::i18n::t(match reason {
        PromptReason::ViewDetails => "cli-reason-view-details",
        PromptReason::ShowQr => "cli-reason-show-qr",
        PromptReason::DeleteDocument => "cli-reason-delete-document",
        PromptReason::ExportLog => "cli-reason-export-log",
        PromptReason::Enrolment => "cli-reason-enrolment",
    })
}

impl UserVerifier for TerminalVerifier {
    async fn verify_user(&self, reason: PromptReason) -> Result<(), SecureAreaError> {
        let source = match self.source {
            Source::Deferred => match Self::from_env() {
                Ok(resolved) => resolved.source,
                Err(_) => {
                    return Err(SecureAreaError::Unavailable {
                        detail: "there is no terminal to ask and NETID_AUTH is not set; set NETID_AUTH=allow".into(),
                    });
                }
            },
            other => other,
        };
        ask(source, reason)
    }
}

/// The prompt itself: blocking, which is what a terminal prompt is.
fn ask(source: Source, reason: PromptReason) -> Result<(), SecureAreaError> {
    match source {
        Source::Scripted(Answer::Allow) => Ok(()),
        Source::Scripted(Answer::Deny) => Err(SecureAreaError::Failed),
        Source::Scripted(Answer::Cancel) | Source::Deferred => Err(SecureAreaError::Cancelled),
        Source::Terminal => {
            crate::output::err(&crate::i18n::ta(
                "cli-prompt-biometric",
                &[("reason", reason_text(reason).as_str().into())],
            ));
            match crate::terminal_input::read_line() {
                None => Err(SecureAreaError::Cancelled),
                Some(line) => match line.trim() {
                    "" => Ok(()),
                    "c" | "C" | "cancel" => Err(SecureAreaError::Cancelled),
                    // Anything else stands for a finger the sensor did not recognise.
                    _ => Err(SecureAreaError::Failed),
                },
            }
        }
    }
}
