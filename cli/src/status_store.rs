//! The counter's record of status lists, `<home>/counter/status-lists.json` (0600): for each list
//! URI, the newest list this counter has accepted — its `iat`, SHA-256, when it was first
//! imported, and the token itself — so that across separate runs of `netid verify` a list is
//! never replaced by an older one (an attacker putting back a list from before a revocation) and
//! a list re-read from the same file keeps the fetched-at of its first import, letting its `ttl`
//! run out (docs/FORMAT.md §7).
//!
//! This module owns that file and implements the core's [`StatusHighWater`] over it; the rules
//! themselves are the core's ([`netid_core::status::StatusListCache::admit`]). Runs are
//! serialised with an exclusive lock on a sibling lock file, held from reading the record to
//! writing it back, and the file is replaced atomically. It holds no personal data (a status list
//! is a bit array); a damaged file is reported, never silently reset, since resetting it would
//! re-open the rollback it guards against.

use std::fs;
use std::path::PathBuf;

use netid_core::status::{StatusError, StatusHighWater, StatusListRecord};
use serde::{Deserialize, Serialize};

use crate::error::{CliError, CliResult};
use crate::home::{self, Home};
use crate::replay::open_lock;

#[derive(Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordFile {
    lists: Vec<Entry>,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    uri: String,
    issued_at: u64,
    sha256_hex: String,
    fetched_at: u64,
    token_hex: String,
}

/// The record, read under its lock; [`CounterStatusLists::save`] writes it back and unlocks.
pub struct CounterStatusLists {
    path: PathBuf,
    lists: Vec<(StatusListRecord, Vec<u8>)>,
    changed: bool,
    _lock: fs::File,
}

impl CounterStatusLists {
    /// Lock and read the record of `home`'s counter (empty if the counter has none yet).
    pub fn open(home: &Home) -> CliResult<Self> {
        let dir = home.counter_dir();
        home.ensure_dir(&dir)?;
        let path = dir.join("status-lists.json");
        let lock_path = dir.join("status-lists.lock");
        let lock = open_lock(&lock_path, "status list record lock")?;
        lock.lock()
            .map_err(|e| CliError::write_file("status list record lock", &lock_path, &e))?;
        let file = match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|_| damaged(&path))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => RecordFile::default(),
            Err(e) => return Err(CliError::read_file("status list record", &path, &e)),
        };
        let lists = file
            .lists
            .into_iter()
            .map(|entry| {
                let digest = hex::decode(&entry.sha256_hex)
                    .ok()
                    .and_then(|d| <[u8; 32]>::try_from(d).ok());
                let token = hex::decode(&entry.token_hex).ok();
                match (digest, token) {
                    (Some(digest), Some(token)) => Ok((
                        StatusListRecord {
                            uri: entry.uri,
                            issued_at: entry.issued_at,
                            digest,
                            fetched_at: entry.fetched_at,
                        },
                        token,
                    )),
                    _ => Err(damaged(&path)),
                }
            })
            .collect::<CliResult<Vec<_>>>()?;
        Ok(Self {
            path,
            lists,
            changed: false,
            _lock: lock,
        })
    }

    /// The tokens kept from earlier runs, newest per URI.
    pub fn kept_tokens(&self) -> Vec<Vec<u8>> {
        self.lists.iter().map(|(_, token)| token.clone()).collect()
    }

    /// Write the record back if a list was accepted, then release the lock.
    pub fn save(self) -> CliResult<()> {
        if !self.changed {
            return Ok(());
        }
        let file = RecordFile {
            lists: self
                .lists
                .iter()
                .map(|(record, token)| Entry {
                    uri: record.uri.clone(),
                    issued_at: record.issued_at,
                    sha256_hex: hex::encode(record.digest),
                    fetched_at: record.fetched_at,
                    token_hex: hex::encode(token),
                })
                .collect(),
        };
        let json = serde_json::to_vec_pretty(&file).unwrap_or_default();
        home::write_private(&self.path, &json)
    }
}

impl StatusHighWater for CounterStatusLists {
    fn newest(&self, uri: &str) -> Result<Option<StatusListRecord>, StatusError> {
        Ok(self
            .lists
            .iter()
            .find(|(record, _)| record.uri == uri)
            .map(|(record, _)| record.clone()))
    }

    fn record(&mut self, record: &StatusListRecord, token: &[u8]) -> Result<(), StatusError> {
        self.lists.retain(|(kept, _)| kept.uri != record.uri);
        self.lists.push((record.clone(), token.to_vec()));
        self.changed = true;
        Ok(())
    }
}

fn damaged(path: &std::path::Path) -> CliError {
    CliError::usage(
        "status-record-damaged",
        format!(
            "the counter's record of status lists {} is damaged",
            path.display()
        ),
        format!(
            "restore {} from a backup, or delete it and load the issuer's newest status list \
             (an older list could otherwise be accepted once)",
            path.display()
        ),
    )
}
