//! Which key store keeps the wallet's data key: the operating system's (Secret Service, Keychain,
//! Credential Manager) where one is reachable, otherwise a passphrase — never chosen silently.
//!
//! This module owns that choice and the record of it (`<home>/wallet/key-store`, so later commands
//! open the wallet with the store it was created with) and the passphrase's sources:
//! `NETID_PASSPHRASE`, or a prompt with echo off on a terminal. The passphrase lives in
//! zeroize-on-drop buffers only; it is never printed, logged or written anywhere.

use std::io::{IsTerminal, Read};
use std::path::Path;

use clap::ValueEnum;
use netid_core::keystore::{
    DataKey, KeyStoreError, KeyWrapper, OsKeyStore, Passphrase, PassphraseKeyStore, WrappedKey,
    WrapperKind,
};
use zeroize::Zeroizing;

use crate::error::{CliError, CliResult};
use crate::home;
use crate::output::Output;

/// The environment variable holding the passphrase store's passphrase.
pub const NETID_PASSPHRASE: &str = "NETID_PASSPHRASE";
/// The file recording the wallet's key store, inside the wallet directory.
pub const CHOICE_FILE: &str = "key-store";

/// A key store kind, as `--key-store` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum KeyStoreKind {
    /// The operating system's key store.
    Os,
    /// A passphrase (Argon2id), from NETID_PASSPHRASE or a prompt.
    Passphrase,
}

impl KeyStoreKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Os => "os",
            Self::Passphrase => "passphrase",
        }
    }

    /// A sentence for the notice printed when a wallet is opened or created.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Os => "the operating system's key store (Secret Service)",
            Self::Passphrase => "the passphrase store (Argon2id-derived key)",
        }
    }
}

/// The wallet's key wrapper, whichever kind was chosen.
pub enum CliKeyStore {
    /// The operating system's key store.
    Os(OsKeyStore),
    /// A passphrase.
    Passphrase(PassphraseKeyStore),
}

impl CliKeyStore {
    /// Its kind.
    pub fn kind(&self) -> KeyStoreKind {
        match self {
            Self::Os(_) => KeyStoreKind::Os,
            Self::Passphrase(_) => KeyStoreKind::Passphrase,
        }
    }
}

impl KeyWrapper for CliKeyStore {
    fn kind(&self) -> WrapperKind {
        match self {
            Self::Os(k) => k.kind(),
            Self::Passphrase(k) => k.kind(),
        }
    }
    fn wrap(&self, data_key: &DataKey) -> Result<WrappedKey, KeyStoreError> {
        match self {
            Self::Os(k) => k.wrap(data_key),
            Self::Passphrase(k) => k.wrap(data_key),
        }
    }
    fn unwrap(&self, wrapped: &WrappedKey) -> Result<DataKey, KeyStoreError> {
        match self {
            Self::Os(k) => k.unwrap(wrapped),
            Self::Passphrase(k) => k.unwrap(wrapped),
        }
    }
    fn forget(&self, wrapped: &WrappedKey) -> Result<(), KeyStoreError> {
        match self {
            Self::Os(k) => k.forget(wrapped),
            Self::Passphrase(k) => k.forget(wrapped),
        }
    }
    fn one_entry_per_wrap(&self) -> bool {
        match self {
            Self::Os(k) => k.one_entry_per_wrap(),
            Self::Passphrase(k) => k.one_entry_per_wrap(),
        }
    }
    fn anchors(&self) -> Option<std::sync::Arc<dyn netid_core::keystore::AnchorStore>> {
        match self {
            Self::Os(k) => k.anchors(),
            Self::Passphrase(k) => k.anchors(),
        }
    }
}

/// Where a passphrase may come from when one is needed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PassphraseSource {
    /// NETID_PASSPHRASE, else a terminal prompt (asked twice when `confirm`).
    EnvOrPrompt {
        /// Ask twice (a new wallet).
        confirm: bool,
    },
    /// NETID_PASSPHRASE, else a fresh random one that is never shown: for the demo's throwaway
    /// wallet in a temporary directory, deleted when the demo ends.
    EnvOrThrowaway,
}

/// The key store for a new wallet in `wallet_dir`: `forced` if given; else the OS key store if it
/// answers a probe; else the passphrase store if a passphrase is available. Records the choice.
pub fn for_new_wallet(
    wallet_dir: &Path,
    forced: Option<KeyStoreKind>,
    passphrase: PassphraseSource,
    out: Output,
) -> CliResult<CliKeyStore> {
    let store = match forced {
        Some(KeyStoreKind::Os) => CliKeyStore::Os(os_store()?),
        Some(KeyStoreKind::Passphrase) => CliKeyStore::Passphrase(passphrase_store(passphrase)?),
        None => match probe_os_store() {
            Ok(os) => CliKeyStore::Os(os),
            Err(why) => {
                out.notice(&format!(
                    "notice: the operating system's key store is not reachable ({why}); using the passphrase store instead"
                ));
                CliKeyStore::Passphrase(passphrase_store(passphrase).map_err(|e| {
                    if e.kind == "no-passphrase" {
                        CliError::usage(
                            "no-key-store",
                            "no key store is available: the operating system's key store is not reachable and no passphrase was given",
                            "start a Secret Service (e.g. gnome-keyring) in this session, or set NETID_PASSPHRASE (8+ characters), or run in a terminal to be asked",
                        )
                    } else {
                        e
                    }
                })?)
            }
        },
    };
    home::write_private(
        &wallet_dir.join(CHOICE_FILE),
        store.kind().as_str().as_bytes(),
    )?;
    out.notice(&format!(
        "notice: the wallet's data key is kept by {}",
        store.kind().describe()
    ));
    if store.kind() == KeyStoreKind::Passphrase
        && passphrase == PassphraseSource::EnvOrThrowaway
        && std::env::var_os(NETID_PASSPHRASE).is_none()
    {
        out.notice("notice: this throwaway demo wallet is locked with a random one-time passphrase that is never shown; it is deleted with the wallet");
    }
    Ok(store)
}

/// The key store kind recorded for the wallet in `wallet_dir`, if any.
pub fn recorded_kind(wallet_dir: &Path) -> Option<KeyStoreKind> {
    match std::fs::read_to_string(wallet_dir.join(CHOICE_FILE))
        .ok()?
        .trim()
    {
        "os" => Some(KeyStoreKind::Os),
        "passphrase" => Some(KeyStoreKind::Passphrase),
        _ => None,
    }
}

/// The key store recorded for the wallet in `wallet_dir`; `forced` must agree with it.
pub fn for_existing_wallet(
    wallet_dir: &Path,
    forced: Option<KeyStoreKind>,
    out: Output,
) -> CliResult<CliKeyStore> {
    let recorded = match std::fs::read_to_string(wallet_dir.join(CHOICE_FILE)) {
        Ok(text) => match text.trim() {
            "os" => KeyStoreKind::Os,
            "passphrase" => KeyStoreKind::Passphrase,
            _ => {
                return Err(CliError::usage(
                    "store-corrupted",
                    format!("{} is damaged", wallet_dir.join(CHOICE_FILE).display()),
                    "write `os` or `passphrase` into it (whichever the wallet was created with)",
                ));
            }
        },
        // A wallet made by another tool: go by --key-store, else the OS key store.
        Err(_) => forced.unwrap_or(KeyStoreKind::Os),
    };
    if let Some(forced) = forced
        && forced != recorded
    {
        return Err(CliError::usage(
            "wrong-key-store",
            format!(
                "this wallet was created with --key-store {}, not {}",
                recorded.as_str(),
                forced.as_str()
            ),
            format!("use --key-store {} (or leave it out)", recorded.as_str()),
        ));
    }
    let store = match recorded {
        KeyStoreKind::Os => CliKeyStore::Os(os_store()?),
        KeyStoreKind::Passphrase => {
            CliKeyStore::Passphrase(passphrase_store(PassphraseSource::EnvOrPrompt {
                confirm: false,
            })?)
        }
    };
    if !out.is_json() {
        out.notice(&format!(
            "notice: opening the wallet with {}",
            store.kind().describe()
        ));
    }
    Ok(store)
}

fn os_store() -> CliResult<OsKeyStore> {
    OsKeyStore::new().map_err(|e| {
        CliError::usage(
            "os-key-store-unavailable",
            format!("the operating system's key store cannot be used: {e}"),
            "start a Secret Service (e.g. gnome-keyring) in this session and unlock it, or use --key-store passphrase",
        )
    })
}

/// The OS key store, if it really stores and returns a secret (a connection alone proves little).
fn probe_os_store() -> Result<OsKeyStore, String> {
    let os = OsKeyStore::new().map_err(|e| e.to_string())?;
    let probe = DataKey::generate().map_err(|e| e.to_string())?;
    let wrapped = os.wrap(&probe).map_err(|e| e.to_string())?;
    let back = os.unwrap(&wrapped);
    let _ = os.forget(&wrapped);
    match back {
        Ok(k) if k.expose_secret() == probe.expose_secret() => Ok(os),
        Ok(_) => Err("it returned a different secret".into()),
        Err(e) => Err(e.to_string()),
    }
}

fn passphrase_store(source: PassphraseSource) -> CliResult<PassphraseKeyStore> {
    let text = match std::env::var(NETID_PASSPHRASE) {
        Ok(p) => Zeroizing::new(p),
        Err(_) => match source {
            PassphraseSource::EnvOrThrowaway => {
                let mut bytes = Zeroizing::new([0u8; 24]);
                rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, bytes.as_mut());
                let mut text = Zeroizing::new([0u8; 48]);
                hex::encode_to_slice(bytes.as_ref(), text.as_mut())
                    .unwrap_or_else(|_| unreachable!("48 hex digits for 24 bytes"));
                // Hex digits are ASCII, so this is valid UTF-8 and the String is exactly sized.
                Zeroizing::new(String::from_utf8_lossy(text.as_ref()).into_owned())
            }
            PassphraseSource::EnvOrPrompt { confirm } => prompt_passphrase(confirm)?,
        },
    };
    let passphrase = Passphrase::new(text).map_err(|_| {
        CliError::usage(
            "weak-passphrase",
            "the passphrase is too short",
            "use at least 8 characters",
        )
    })?;
    Ok(PassphraseKeyStore::new(passphrase))
}

fn prompt_passphrase(confirm: bool) -> CliResult<Zeroizing<String>> {
    if !std::io::stdin().is_terminal() {
        return Err(CliError::usage(
            "no-passphrase",
            "the wallet's passphrase is needed, but NETID_PASSPHRASE is not set and there is no terminal to ask",
            "set NETID_PASSPHRASE, or run the command in a terminal",
        ));
    }
    let first = read_hidden("Wallet passphrase: ")?;
    if confirm {
        let second = read_hidden("Repeat the passphrase: ")?;
        if first != second {
            return Err(CliError::usage(
                "passphrase-mismatch",
                "the two passphrases differ",
                "run the command again and type the same passphrase twice",
            ));
        }
    }
    Ok(first)
}

/// Read a line with terminal echo off (`stty -echo`, restored afterwards).
pub(crate) fn read_hidden(prompt: &str) -> CliResult<Zeroizing<String>> {
    let stty = |arg: &str| {
        std::process::Command::new("stty")
            .arg(arg)
            .stdin(std::process::Stdio::inherit())
            .status()
            .is_ok_and(|s| s.success())
    };
    crate::output::err(prompt);
    let hidden = stty("-echo");
    let read = read_line_unbuffered();
    if hidden {
        stty("echo");
    }
    crate::output::err("\n");
    let line = read.map_err(|_| {
        CliError::usage(
            "no-passphrase",
            "the passphrase could not be read",
            "set NETID_PASSPHRASE instead",
        )
    })?;
    let text = std::str::from_utf8(&line).map_err(|_| {
        CliError::usage(
            "no-passphrase",
            "the passphrase is not valid UTF-8 text",
            "type the passphrase again in a UTF-8 terminal",
        )
    })?;
    let mut trimmed = Zeroizing::new(String::with_capacity(text.len()));
    trimmed.push_str(text.trim_end_matches(['\r', '\n']));
    Ok(trimmed)
}

/// The longest line read as a passphrase; the buffer is this size so it never reallocates.
const MAX_PASSPHRASE_LINE: usize = 16 * 1024;

/// One line from standard input into a wiped, fixed buffer. A read at least as large as the
/// standard library's stdin buffer (8 KiB) bypasses that buffer, which is static and would keep
/// the passphrase for the life of the process; `read_line` into a `String` would also leave
/// partial copies behind as the string grows.
fn read_line_unbuffered() -> std::io::Result<Zeroizing<Vec<u8>>> {
    let mut buffer = Zeroizing::new(vec![0u8; MAX_PASSPHRASE_LINE]);
    let mut filled = 0;
    let stdin = std::io::stdin();
    while filled < buffer.len() && !buffer[..filled].contains(&b'\n') {
        match stdin.lock().read(&mut buffer[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    let mut line = Zeroizing::new(Vec::with_capacity(filled));
    line.extend_from_slice(&buffer[..filled]);
    Ok(line)
}
