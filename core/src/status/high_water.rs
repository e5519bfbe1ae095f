//! The rollback guard that outlives one verifier: for each status list URI, the newest list a
//! counter has accepted (its `iat`, its digest, when it was fetched and its bytes), kept by the
//! host wherever the counter keeps state — the CLI in its counter home, a service in its store,
//! tests and single-process hosts in [`MemoryHighWater`].
//!
//! This module owns the record and the trait only; it does no file I/O of its own. The rules that
//! use it live in [`super::StatusListCache::admit`]: a list is never replaced by one with an
//! earlier `iat`, nor by a different list with the same `iat`, and a list read again from a local
//! file keeps the fetched-at time of its first import. An implementation must never forget a
//! record it has acknowledged (that would re-open the rollback it exists to close).

use std::collections::HashMap;

use super::StatusError;

/// The newest list accepted for one URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusListRecord {
    /// The list URI (`sub`).
    pub uri: String,
    /// The list's `iat`, Unix seconds: no list with an earlier one is accepted afterwards.
    pub issued_at: u64,
    /// SHA-256 of the token bytes: a different list with the same `iat` is refused.
    pub digest: [u8; 32],
    /// Unix seconds at which this list was fetched (or first imported from a local file): the
    /// start of its time to live.
    pub fetched_at: u64,
}

/// Where a host keeps [`StatusListRecord`]s across runs.
pub trait StatusHighWater {
    /// The record for `uri`, if a list for it was ever accepted.
    fn newest(&self, uri: &str) -> Result<Option<StatusListRecord>, StatusError>;

    /// Replace the record for `record.uri` (and keep `token`, the list's bytes, beside it so the
    /// host can keep using the newest list when an older one is put in its place). Called only
    /// after the rollback rules passed; an error leaves the list unaccepted.
    fn record(&mut self, record: &StatusListRecord, token: &[u8]) -> Result<(), StatusError>;
}

/// A [`StatusHighWater`] in memory: the guard for one process's lifetime.
#[derive(Debug, Clone, Default)]
pub struct MemoryHighWater {
    records: HashMap<String, (StatusListRecord, Vec<u8>)>,
}

impl MemoryHighWater {
    /// No record yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The token bytes kept with the record for `uri`.
    pub fn token(&self, uri: &str) -> Option<&[u8]> {
        self.records.get(uri).map(|(_, bytes)| bytes.as_slice())
    }
}

impl StatusHighWater for MemoryHighWater {
    fn newest(&self, uri: &str) -> Result<Option<StatusListRecord>, StatusError> {
        Ok(self.records.get(uri).map(|(record, _)| record.clone()))
    }

    fn record(&mut self, record: &StatusListRecord, token: &[u8]) -> Result<(), StatusError> {
        self.records
            .insert(record.uri.clone(), (record.clone(), token.to_vec()));
        Ok(())
    }
}
