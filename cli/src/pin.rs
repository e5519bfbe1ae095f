//! `netid wallet pin set|change|remove`, and reading a PIN for any command that unlocks.
//!
//! A PIN comes from `NETID_PIN` (the current one) or `NETID_NEW_PIN` (a new one), else from a
//! prompt with echo off on a terminal. It lives only in `Zeroizing` buffers and the core's `Pin`,
//! and no message ever contains it: format errors say what is wrong, not what was typed.

use std::io::IsTerminal;

use netid_core::auth::Pin;
use serde_json::json;
use zeroize::Zeroizing;

use crate::args::PinAction;
use crate::error::{CliError, CliResult};
use crate::home::Home;
use crate::key_store::{self, KeyStoreKind};
use crate::output::Output;
use crate::wallet_cmd::{open, wallet_error};

/// The current PIN, for scripts.
pub const NETID_PIN: &str = "NETID_PIN";
/// A new PIN (`pin set`, `pin change`), for scripts.
pub const NETID_NEW_PIN: &str = "NETID_NEW_PIN";

fn parse(text: &str, variable: &str) -> CliResult<Pin> {
    Pin::new(text).map_err(|e| {
        CliError::usage(
            "invalid-pin",
            format!("{e} (from {variable} or the prompt)"),
            "use 6 to 64 digits",
        )
    })
}

/// The PIN in `variable`, else asked on the terminal with echo off.
pub fn read(variable: &str, prompt: &str) -> CliResult<Pin> {
    if let Ok(text) = std::env::var(variable) {
        let text = Zeroizing::new(text);
        return parse(&text, variable);
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::usage(
            "pin-required",
            format!(
                "a wallet PIN is needed, but {variable} is not set and there is no terminal to ask"
            ),
            format!("set {variable}, or run the command in a terminal"),
        ));
    }
    let typed = key_store::read_hidden(prompt).map_err(|_| {
        CliError::usage(
            "pin-required",
            "the PIN could not be read from the terminal",
            format!("set {variable} instead"),
        )
    })?;
    parse(&typed, variable)
}

/// A new PIN: `NETID_NEW_PIN`, else asked twice.
fn read_new() -> CliResult<Pin> {
    if std::env::var_os(NETID_NEW_PIN).is_some() || !std::io::stdin().is_terminal() {
        return read(NETID_NEW_PIN, &crate::i18n::t("cli-prompt-new-pin"));
    }
    let first = read(NETID_NEW_PIN, &crate::i18n::t("cli-prompt-new-pin-digits"))?;
    let second = read(NETID_NEW_PIN, &crate::i18n::t("cli-prompt-repeat-pin"))?;
    if !first.same_as(&second) {
        return Err(CliError::usage(
            "pin-mismatch",
            crate::i18n::t("wallet-error-pin-mismatch"),
            "run the command again and type the same PIN twice",
        ));
    }
    Ok(first)
}

/// Unlocks with the current PIN (asked once) and keeps it for the change or removal.
fn unlock_with_current(
    home: &Home,
    key_store: Option<KeyStoreKind>,
    out: Output,
) -> CliResult<(crate::wallet_cmd::Unlocked, Pin)> {
    let locked = open(home, key_store, None, out)?;
    if !locked.has_pin().map_err(wallet_error)? {
        return Err(CliError::usage(
            "no-pin",
            crate::i18n::t("wallet-error-no-pin"),
            crate::i18n::t("cli-next-set-pin"),
        ));
    }
    let current = read(NETID_PIN, &crate::i18n::t("cli-prompt-current-pin"))?;
    let wallet = locked.unlock(Some(&current)).map_err(wallet_error)?;
    Ok((wallet, current))
}

/// Runs `netid wallet pin ...`.
pub fn run(
    home: &Home,
    key_store: Option<KeyStoreKind>,
    action: PinAction,
    out: Output,
) -> CliResult<()> {
    match action {
        PinAction::Set => {
            let locked = open(home, key_store, None, out)?;
            if locked.has_pin().map_err(wallet_error)? {
                return Err(CliError::usage(
                    "pin-already-set",
                    crate::i18n::t("wallet-error-pin-already-set"),
                    crate::i18n::t("cli-next-change-pin"),
                ));
            }
            let new = read_new()?;
            let mut wallet = locked.unlock(None).map_err(wallet_error)?;
            wallet.set_pin(&new).map_err(wallet_error)?;
            out.result(
                &json!({"pin": "set"}),
                "The wallet PIN is set: every command now needs it (NETID_PIN in scripts). A forgotten PIN cannot be reset: the wallet would have to be wiped and its documents enrolled again.",
            );
        }
        PinAction::Change => {
            let (mut wallet, current) = unlock_with_current(home, key_store, out)?;
            let new = read_new()?;
            wallet.change_pin(&current, &new).map_err(wallet_error)?;
            out.result(&json!({"pin": "changed"}), "The wallet PIN is changed.");
        }
        PinAction::Remove => {
            let (mut wallet, current) = unlock_with_current(home, key_store, out)?;
            wallet.remove_pin(&current).map_err(wallet_error)?;
            out.result(
                &json!({"pin": "removed"}),
                "The wallet PIN is removed: the key store alone opens the wallet again.",
            );
        }
    }
    Ok(())
}
