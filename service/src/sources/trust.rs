//! The trust list the service verifies against, from a file or a URL, kept current.
//!
//! This module owns the current trust list, its generation (bumped on every change, so a caller
//! can rebuild its verifiers only when needed) and the status-list keys derived from it. A new
//! list replaces the old one only once it has been read whole and parsed: a half-written file, a
//! failed fetch or a list that does not parse keeps the old one and is reported. It never starts
//! without a trust list, and never keeps more than one.

use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};

use netid_core::issuer::TrustList;
use netid_core::status::StatusIssuerKeys;
use sha2::{Digest, Sha256};

use super::config::TrustFrom;
use super::fetch::{Fetched, Fetcher};
use super::{FetchCounters, SourceFailure, lock, read_lock, write_lock};

/// Largest trust list read or fetched: thousands of issuers fit in far less.
const MAX_TRUST_LIST_BYTES: u64 = 1024 * 1024;

/// One accepted trust list.
#[derive(Debug)]
struct Loaded {
    generation: u64,
    list: Arc<TrustList>,
    keys: Arc<StatusIssuerKeys>,
    digest: [u8; 32],
    loaded_at: u64,
}

#[derive(Debug, Default)]
struct Progress {
    etag: Option<String>,
    counters: FetchCounters,
    last_success: Option<u64>,
    last_error: Option<SourceFailure>,
}

/// The current trust list and how its refreshes went.
#[derive(Debug)]
pub(crate) struct TrustState {
    from: TrustFrom,
    current: RwLock<Loaded>,
    progress: Mutex<Progress>,
}

/// What the readiness and metrics endpoints show about the trust list.
#[derive(Debug, Clone)]
pub(crate) struct TrustSnapshot {
    pub generation: u64,
    pub loaded_at: u64,
    pub counters: FetchCounters,
    pub last_success: Option<u64>,
    pub last_error: Option<SourceFailure>,
}

impl TrustState {
    /// Read or fetch the trust list for the first time; an error here stops the service.
    pub async fn load_first(
        from: &TrustFrom,
        fetcher: &Fetcher,
        now: u64,
    ) -> Result<Self, SourceFailure> {
        let (bytes, etag) = match from {
            TrustFrom::File(path) => (read_file(path, MAX_TRUST_LIST_BYTES)?, None),
            TrustFrom::Url(url) => match fetcher.get(url, None, MAX_TRUST_LIST_BYTES).await? {
                Fetched::Body { bytes, etag } => (bytes, etag),
                // Only a request with If-None-Match can be answered 304.
                Fetched::NotModified => return Err(SourceFailure::Transfer),
            },
        };
        let list = parse(&bytes)?;
        Ok(Self {
            from: from.clone(),
            current: RwLock::new(Loaded {
                generation: 1,
                keys: Arc::new(list.status_issuer_keys()),
                list: Arc::new(list),
                digest: Sha256::digest(&bytes).into(),
                loaded_at: now,
            }),
            progress: Mutex::new(Progress {
                etag,
                counters: FetchCounters {
                    successes: 1,
                    ..FetchCounters::default()
                },
                last_success: Some(now),
                last_error: None,
            }),
        })
    }

    /// The current list and its generation.
    pub fn current(&self) -> (u64, Arc<TrustList>) {
        let loaded = read_lock(&self.current);
        (loaded.generation, Arc::clone(&loaded.list))
    }

    /// The status-list keys of the current list.
    pub fn status_keys(&self) -> Arc<StatusIssuerKeys> {
        Arc::clone(&read_lock(&self.current).keys)
    }

    /// Check the source once; a changed, parseable list replaces the current one. `now` is asked
    /// after the read, so a slow fetch is not dated to its start.
    pub async fn refresh(&self, fetcher: &Fetcher, now: impl Fn() -> u64) {
        let result = self.fetch_changed(fetcher).await;
        let now = now();
        let mut progress = lock(&self.progress);
        match result {
            Ok(Change::Same) => {
                progress.counters.not_modified += 1;
                progress.last_success = Some(now);
                progress.last_error = None;
            }
            Ok(Change::New { list, digest, etag }) => {
                let mut current = write_lock(&self.current);
                *current = Loaded {
                    generation: current.generation + 1,
                    keys: Arc::new(list.status_issuer_keys()),
                    list: Arc::new(list),
                    digest,
                    loaded_at: now,
                };
                progress.etag = etag;
                progress.counters.successes += 1;
                progress.last_success = Some(now);
                progress.last_error = None;
            }
            Err(failure) => {
                progress.counters.failures += 1;
                progress.last_error = Some(failure);
            }
        }
    }

    async fn fetch_changed(&self, fetcher: &Fetcher) -> Result<Change, SourceFailure> {
        // The whole file (or body) is read and hashed every time: cheaper than trusting
        // mtime and length, which a same-size rewrite within one mtime tick would not change.
        let (bytes, etag) = match &self.from {
            TrustFrom::File(path) => (read_file(path, MAX_TRUST_LIST_BYTES)?, None),
            TrustFrom::Url(url) => {
                let etag = lock(&self.progress).etag.clone();
                match fetcher
                    .get(url, etag.as_deref(), MAX_TRUST_LIST_BYTES)
                    .await?
                {
                    Fetched::Body { bytes, etag } => (bytes, etag),
                    Fetched::NotModified => return Ok(Change::Same),
                }
            }
        };
        let digest: [u8; 32] = Sha256::digest(&bytes).into();
        if digest == read_lock(&self.current).digest {
            if etag.is_some() {
                lock(&self.progress).etag = etag;
            }
            return Ok(Change::Same);
        }
        Ok(Change::New {
            list: parse(&bytes)?,
            digest,
            etag,
        })
    }

    /// Generation, counters and last outcome, for readiness and metrics.
    pub fn snapshot(&self) -> TrustSnapshot {
        let (generation, loaded_at) = {
            let loaded = read_lock(&self.current);
            (loaded.generation, loaded.loaded_at)
        };
        let progress = lock(&self.progress);
        TrustSnapshot {
            generation,
            loaded_at,
            counters: progress.counters,
            last_success: progress.last_success,
            last_error: progress.last_error.clone(),
        }
    }

    /// Where the list comes from, for messages: a path or a URL.
    pub fn source_name(&self) -> String {
        match &self.from {
            TrustFrom::File(path) => path.display().to_string(),
            TrustFrom::Url(url) => url.to_string(),
        }
    }
}

enum Change {
    Same,
    New {
        list: TrustList,
        digest: [u8; 32],
        etag: Option<String>,
    },
}

fn parse(bytes: &[u8]) -> Result<TrustList, SourceFailure> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| SourceFailure::BadTrustList("not UTF-8 text".into()))?;
    TrustList::from_json(text).map_err(|e| SourceFailure::BadTrustList(e.to_string()))
}

/// A whole file of at most `max` bytes.
pub(crate) fn read_file(path: &Path, max: u64) -> Result<Vec<u8>, SourceFailure> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| SourceFailure::File(e.kind().to_string()))?;
    let mut bytes = Vec::new();
    // One byte more than allowed tells "exactly max" from "too large" without trusting metadata.
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| SourceFailure::File(e.kind().to_string()))?;
    if bytes.len() as u64 > max {
        return Err(SourceFailure::TooLarge { max_bytes: max });
    }
    Ok(bytes)
}
