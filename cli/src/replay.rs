//! The counter's replay cache on disk, `<home>/counter/replay-cache.json` (0600): a code accepted
//! once is refused if shown again at the same counter before it expires, across separate runs of
//! `netid verify`.
//!
//! This module owns that file. It stores only SHA-256 hashes of the presentations' signed content
//! (the same identity the core's in-memory cache uses: it covers `cti`, `iat` and `cnonce` and
//! cannot be changed by re-encoding the ECDSA signature) and the time each entry may be
//! forgotten — never personal data. Concurrent runs are serialised with an exclusive lock on a
//! sibling lock file, and the cache is replaced atomically, so two counters scanning one code at
//! once cannot both accept it. A full cache of unexpired entries refuses rather than forgets.

use std::fs;
use std::path::{Path, PathBuf};

use netid_core::credential::sd_cwt::CoseSign1;
use netid_core::time::UnixTime;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{CliError, CliResult};
use crate::home::{self, Home};

/// Most unexpired entries kept (a busy counter sees far fewer codes per validity window).
pub const CAPACITY: usize = 100_000;

#[derive(Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CacheFile {
    /// `(hex SHA-256 of the signed content, Unix seconds after which it may be forgotten)`.
    entries: Vec<(String, i64)>,
}

/// The replay cache of one counter home.
pub struct ReplayCache {
    file: PathBuf,
    lock: PathBuf,
}

/// What the cache said about a code.
#[derive(Debug, PartialEq, Eq)]
pub enum Seen {
    /// First time: recorded now.
    First,
    /// Already accepted before.
    Again,
}

impl ReplayCache {
    /// The cache in `home`'s counter directory (created on first use).
    pub fn open(home: &Home) -> CliResult<Self> {
        let dir = home.counter_dir();
        home.ensure_dir(&dir)?;
        Ok(Self {
            file: dir.join("replay-cache.json"),
            lock: dir.join("replay-cache.lock"),
        })
    }

    /// Record the verified presentation `bytes`, valid until `until`, unless already recorded.
    pub fn check_and_record(
        &self,
        bytes: &[u8],
        until: UnixTime,
        now: UnixTime,
    ) -> CliResult<Seen> {
        let key = replay_key(bytes)?;
        let lock = open_lock(&self.lock, "replay cache lock")?;
        lock.lock()
            .map_err(|e| CliError::write_file("replay cache lock", &self.lock, &e))?;
        let mut cache = self.read()?;
        cache.entries.retain(|(_, until)| *until >= now.as_secs());
        if cache.entries.iter().any(|(k, _)| *k == key) {
            return Ok(Seen::Again);
        }
        if cache.entries.len() >= CAPACITY {
            return Err(CliError::refused(
                "replay-cache-full",
                "too many codes were scanned at this counter in the last minutes",
                "wait a minute for older codes to expire, then scan again",
            ));
        }
        cache.entries.push((key, until.as_secs()));
        let json = serde_json::to_vec(&cache).unwrap_or_default();
        home::write_private(&self.file, &json)?;
        // Dropping `lock` releases it, after the new cache is in place.
        Ok(Seen::First)
    }

    fn read(&self) -> CliResult<CacheFile> {
        match fs::read(&self.file) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|_| {
                CliError::usage(
                    "replay-cache-damaged",
                    format!("the counter's replay cache {} is damaged", self.file.display()),
                    format!(
                        "delete {} (codes already accepted in the last two minutes could then be accepted again)",
                        self.file.display()
                    ),
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(CacheFile::default()),
            Err(e) => Err(CliError::read_file("replay cache", &self.file, &e)),
        }
    }
}

/// Open (creating, 0600) the lock file at `path`; `what` names it in errors.
pub fn open_lock(path: &Path, what: &str) -> CliResult<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(path)
        .map_err(|e| CliError::write_file(what, path, &e))
}

/// SHA-256 of the SD-KBT's `Sig_structure`, hex.
fn replay_key(bytes: &[u8]) -> CliResult<String> {
    let sign1 = CoseSign1::from_slice(bytes).map_err(|_| {
        CliError::refused(
            "malformed",
            "this code could not be read",
            "ask the resident to show the code again",
        )
    })?;
    Ok(hex::encode(Sha256::digest(sign1.to_be_signed())))
}
