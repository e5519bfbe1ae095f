//! The status lists the service answers from: one shared [`StatusListCache`], the rollback
//! guard's record, and for each known list URI where it is read from and how its fetches went.
//!
//! This module owns admission and answering. Every token goes through the core's
//! [`StatusListCache::admit`] (signature under the trust list's status keys, validity, the
//! rollback rules against the [`StatusHighWater`] record) and must name the URI it was fetched
//! for. Fetched-at follows docs/FORMAT.md §7: every successful fetch over HTTP, including a `304
//! Not Modified` answer to a request carrying the kept list's ETag, renews it; re-reading an
//! unchanged file does not. It must never let a failed fetch change an answer: a refused or
//! missing list leaves the kept one to age into stale, or, with none, Unavailable. Past the hard
//! limit (`max_stale_seconds` after going stale) a list no longer vouches for a credential: its
//! valid entries answer Unavailable, while revoked and suspended entries still refuse.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};

use netid_core::status::{
    ListSource, StatusAnswer, StatusError, StatusHighWater, StatusIssuerKeys, StatusListCache,
    StatusListToken, TokenStatus,
};
use sha2::{Digest, Sha256};

use super::config::Location;
use super::fetch::{Fetched, Fetcher};
use super::trust::read_file;
use super::{FetchCounters, SourceFailure, lock, read_lock, write_lock};

/// At most this many lists are known at once; past it, a credential naming a new URI under a
/// configured prefix answers Unavailable rather than starting another fetch loop.
pub(crate) const MAX_LISTS: usize = 256;

/// One list URI the service knows, where it comes from, and how its fetches went.
#[derive(Debug)]
pub(crate) struct ListState {
    pub uri: String,
    pub location: Location,
    /// Named in the configuration (or a file source): `/readyz` waits for it.
    pub configured: bool,
    progress: Mutex<ListProgress>,
}

#[derive(Debug, Default)]
struct ListProgress {
    /// ETag of the accepted bytes below, sent as If-None-Match.
    etag: Option<String>,
    /// The bytes of the list in use, re-admitted on a 304.
    accepted: Option<Vec<u8>>,
    /// SHA-256 of the file as last read (file sources), to skip unchanged files.
    file_digest: Option<[u8; 32]>,
    fetched_at: Option<u64>,
    counters: FetchCounters,
    last_error: Option<SourceFailure>,
}

/// What readiness and metrics show about one list.
#[derive(Debug, Clone)]
pub(crate) struct ListSnapshot {
    pub uri: String,
    pub configured: bool,
    pub fetched_at: Option<u64>,
    pub fresh_until: Option<u64>,
    pub counters: FetchCounters,
    pub last_error: Option<SourceFailure>,
}

impl ListState {
    pub fn new(uri: String, location: Location, configured: bool) -> Self {
        Self {
            uri,
            location,
            configured,
            progress: Mutex::new(ListProgress::default()),
        }
    }
}

/// How a successful refresh went.
enum Outcome {
    /// A list was read and admitted (fetched anew, or a changed file).
    Admitted {
        bytes: Vec<u8>,
        etag: Option<String>,
    },
    /// The server answered 304 and the kept list was confirmed.
    NotModified,
    /// The file is unchanged since the last read.
    FileUnchanged,
}

/// The cache, the record and the known lists.
pub(crate) struct StatusLists {
    cache: RwLock<StatusListCache>,
    high_water: Mutex<Box<dyn StatusHighWater + Send>>,
    lists: Mutex<BTreeMap<String, Arc<ListState>>>,
    default_ttl_seconds: u64,
    max_stale_seconds: u64,
    max_list_bytes: u64,
}

impl StatusLists {
    pub fn new(
        high_water: Box<dyn StatusHighWater + Send>,
        default_ttl_seconds: u64,
        max_stale_seconds: u64,
        max_list_bytes: u64,
    ) -> Self {
        Self {
            cache: RwLock::new(StatusListCache::new(default_ttl_seconds)),
            high_water: Mutex::new(high_water),
            lists: Mutex::new(BTreeMap::new()),
            default_ttl_seconds,
            max_stale_seconds,
            max_list_bytes,
        }
    }

    /// Add `list` unless its URI is known or the limit is reached; the list now known for the
    /// URI, and whether it is new.
    pub fn register(&self, list: ListState) -> Option<(Arc<ListState>, bool)> {
        let mut lists = lock(&self.lists);
        if let Some(known) = lists.get(&list.uri) {
            return Some((Arc::clone(known), false));
        }
        if lists.len() >= MAX_LISTS {
            return None;
        }
        let list = Arc::new(list);
        lists.insert(list.uri.clone(), Arc::clone(&list));
        Some((list, true))
    }

    pub fn is_known(&self, uri: &str) -> bool {
        lock(&self.lists).contains_key(uri)
    }

    pub fn all(&self) -> Vec<Arc<ListState>> {
        lock(&self.lists).values().cloned().collect()
    }

    /// Put a list kept from an earlier run back in use, with its recorded fetched-at (a kept list
    /// that no longer verifies answers nothing; its record still guards against rollback).
    pub fn restore(&self, list: &ListState, bytes: Vec<u8>, keys: &StatusIssuerKeys, now: u64) {
        if let Ok(fetched_at) = self.admit(&list.uri, &bytes, ListSource::LocalFile, keys, now) {
            let mut progress = lock(&list.progress);
            progress.fetched_at = Some(fetched_at);
            // A file source reads its file again; an HTTP source re-admits these bytes on a 304
            // only once it has an ETag for them, which the first full fetch brings.
            if matches!(list.location, Location::Url(_)) {
                progress.accepted = Some(bytes);
            }
        }
    }

    /// Read or fetch `list` once and record the outcome. `now` is asked after the transfer.
    pub async fn refresh(
        &self,
        list: &ListState,
        fetcher: &Fetcher,
        keys: &StatusIssuerKeys,
        now: impl Fn() -> u64,
    ) {
        let result = match &list.location {
            Location::Url(url) => {
                let (etag, accepted) = {
                    let progress = lock(&list.progress);
                    (progress.etag.clone(), progress.accepted.clone())
                };
                // Conditional only when the bytes that ETag names are at hand to re-admit.
                let condition = accepted.as_ref().and(etag.as_deref());
                match fetcher.get(url, condition, self.max_list_bytes).await {
                    Ok(Fetched::Body { bytes, etag }) => self
                        .admit(&list.uri, &bytes, ListSource::Fetched, keys, now())
                        .map(|at| (at, Outcome::Admitted { bytes, etag })),
                    Ok(Fetched::NotModified) => match accepted {
                        Some(bytes) => self
                            .admit(&list.uri, &bytes, ListSource::Fetched, keys, now())
                            .map(|at| (at, Outcome::NotModified)),
                        None => Err(SourceFailure::Transfer),
                    },
                    Err(failure) => Err(failure),
                }
            }
            Location::File(path) => self.refresh_file(list, path, keys, now()),
        };
        let mut progress = lock(&list.progress);
        match result {
            Ok((fetched_at, outcome)) => {
                progress.fetched_at = Some(fetched_at);
                progress.last_error = None;
                match outcome {
                    Outcome::Admitted { bytes, etag } => {
                        progress.counters.successes += 1;
                        if matches!(list.location, Location::File(_)) {
                            progress.file_digest = Some(Sha256::digest(&bytes).into());
                        } else {
                            progress.etag = etag;
                            progress.accepted = Some(bytes);
                        }
                    }
                    Outcome::NotModified | Outcome::FileUnchanged => {
                        progress.counters.not_modified += 1;
                    }
                }
            }
            Err(failure) => {
                progress.counters.failures += 1;
                progress.last_error = Some(failure);
            }
        }
    }

    fn refresh_file(
        &self,
        list: &ListState,
        path: &std::path::Path,
        keys: &StatusIssuerKeys,
        now: u64,
    ) -> Result<(u64, Outcome), SourceFailure> {
        let bytes = read_file(path, self.max_list_bytes)?;
        let digest: [u8; 32] = Sha256::digest(&bytes).into();
        let (known, fetched_at) = {
            let progress = lock(&list.progress);
            (progress.file_digest, progress.fetched_at)
        };
        if known == Some(digest)
            && let Some(fetched_at) = fetched_at
        {
            return Ok((fetched_at, Outcome::FileUnchanged));
        }
        let fetched_at = self.admit(&list.uri, &bytes, ListSource::LocalFile, keys, now)?;
        Ok((fetched_at, Outcome::Admitted { bytes, etag: None }))
    }

    /// Admit `bytes` as the list for `uri`; its fetched-at on success.
    ///
    /// The core's admission runs against an empty scratch cache and the record (which always
    /// holds the newest accepted list, so the rollback rules lose nothing), so that the record's
    /// file write happens without the shared cache's lock; the verified list then replaces the
    /// shared entry under the write lock for a moment only.
    fn admit(
        &self,
        uri: &str,
        bytes: &[u8],
        source: ListSource,
        keys: &StatusIssuerKeys,
        now: u64,
    ) -> Result<u64, SourceFailure> {
        let token = StatusListToken::verify(bytes, keys, now).map_err(SourceFailure::BadList)?;
        if token.uri() != uri {
            return Err(SourceFailure::WrongUri {
                found: token.uri().to_owned(),
            });
        }
        let mut high_water = lock(&self.high_water);
        let mut scratch = StatusListCache::new(self.default_ttl_seconds);
        let token = scratch
            .admit(bytes, keys, source, now, &mut **high_water)
            .map_err(classify)?
            .clone();
        let fetched_at = high_water
            .newest(uri)
            .ok()
            .flatten()
            .map_or(now, |record| record.fetched_at);
        write_lock(&self.cache)
            .insert(token, fetched_at)
            .map_err(classify)?;
        Ok(fetched_at)
    }

    /// The answer for entry `idx` of `uri` at `now`, with the hard limit applied.
    pub fn lookup(&self, uri: &str, idx: u64, now: u64) -> Result<StatusAnswer, StatusError> {
        let answer = read_lock(&self.cache).lookup(uri, idx, now)?;
        Ok(match answer {
            StatusAnswer::Stale { since, status, .. }
                if !matches!(status, TokenStatus::Revoked | TokenStatus::Suspended)
                    && now >= since.saturating_add(self.max_stale_seconds) =>
            {
                StatusAnswer::Unavailable
            }
            other => other,
        })
    }

    pub fn signer_kid(&self, uri: &str) -> Option<Vec<u8>> {
        read_lock(&self.cache)
            .get(uri)
            .map(|token| token.kid().to_vec())
    }

    /// When the list for `uri` stops vouching past the hard limit; `None` without a list.
    pub fn hard_limit(&self, fresh_until: Option<u64>) -> Option<u64> {
        fresh_until.map(|t| t.saturating_add(self.max_stale_seconds))
    }

    pub fn snapshot(&self, list: &ListState) -> ListSnapshot {
        let fresh_until = read_lock(&self.cache).fresh_until(&list.uri);
        let progress = lock(&list.progress);
        ListSnapshot {
            uri: list.uri.clone(),
            configured: list.configured,
            fetched_at: progress.fetched_at,
            fresh_until,
            counters: progress.counters,
            last_error: progress.last_error.clone(),
        }
    }
}

/// The core's admission errors as failure kinds: rollback, the record, or a bad list.
fn classify(error: StatusError) -> SourceFailure {
    match error {
        StatusError::OlderThanCached { .. } | StatusError::ConflictingList { .. } => {
            SourceFailure::Rollback(error)
        }
        StatusError::HighWaterUnavailable(reason) => SourceFailure::StateFile(reason),
        other => SourceFailure::BadList(other),
    }
}
