//! Trust and status over HTTP (issue 11): the trust list and the Token Status Lists the service
//! verifies against, read from files or fetched from the issuer, kept current in the background,
//! and handed to the API as a trust list with a generation and a shared
//! [`StatusLookup`](netid_core::status::StatusLookup).
//!
//! This module owns [`TrustAndStatus`], the running component, and what it reports
//! ([`SourcesReadiness`], [`SourcesMetrics`]); its submodules own the configuration, one HTTP
//! fetch, the trust list, the status lists and the rollback record on disk. Status lists are
//! fetched only from URLs the configuration maps their URI onto — never from a URL a credential
//! chooses — and a failed fetch never turns into "revoked" or "valid": the kept list ages into
//! stale (docs/FORMAT.md §7), or, with none, the answer is Unavailable. Nothing here logs or
//! reports personal data: what it reports are URIs, paths, URLs, times and failure kinds.
//!
//! The configuration (TOML, in the service's file):
//!
//! ```toml
//! [trust]
//! file = "/home/x/issuer/trust.json"        # or: url = "http://127.0.0.1:8080/trust-list.json"
//! refresh_seconds = 60
//!
//! [status]
//! refresh_seconds = 30          # each list is fetched this often
//! default_ttl_seconds = 3600    # freshness of a list without `ttl` (FORMAT.md §7)
//! max_stale_seconds = 86400     # the hard limit: stale this long, a list no longer vouches
//! state_file = "/var/lib/netid-verifier/status-lists.json"   # rollback record; optional
//! connect_timeout_seconds = 5
//! fetch_timeout_seconds = 10
//! max_list_bytes = 1048576      # a larger token (compressed) is refused
//!
//! [[status.source]]             # HTTP: URIs under uri_prefix are fetched from fetch_prefix
//! uri_prefix = "https://dev-issuer.example/"
//! fetch_prefix = "http://127.0.0.1:8080/"
//! lists = ["https://dev-issuer.example/s"]  # fetched from start; /readyz waits for them
//!
//! [[status.source]]             # or a file: one list, re-read when it changes
//! uri = "https://other-issuer.example/s"
//! file = "/home/x/issuer/status-list.cwt"
//! ```

mod config;
mod fetch;
mod state_file;
mod status;
mod trust;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use netid_core::issuer::TrustList;
use netid_core::status::{
    MemoryHighWater, StatusAnswer, StatusError, StatusHighWater, StatusLookup,
};
use netid_core::time::{Clock, SystemClock};
use serde::Serialize;
use tokio::sync::watch;

pub use config::{ConfigError, SourcesConfig, StatusConfig, StatusSource, TrustSource};

use config::{Location, Source, ValidSources};
use fetch::Fetcher;
use state_file::FileHighWater;
use status::{ListState, StatusLists};
use trust::TrustState;

/// Why the component could not start.
#[derive(Debug, thiserror::Error)]
pub enum SourcesError {
    /// The `[trust]`/`[status]` configuration is wrong.
    #[error("configuration: {0}")]
    Config(#[from] ConfigError),
    /// The first trust list could not be read, fetched or parsed.
    #[error(
        "cannot load the trust list from {source_name}: {failure}; {}",
        if *is_url {
            "check that the issuer's server is up (for the development issuer: `netid issuer \
             serve`) and that [trust] url is right"
        } else {
            "check [trust] file (for the development issuer: `netid issuer keygen` writes \
             <home>/issuer/trust.json)"
        }
    )]
    TrustUnavailable {
        /// The path or URL.
        source_name: String,
        /// Whether it is a URL.
        is_url: bool,
        /// What went wrong.
        failure: SourceFailure,
    },
    /// The rollback record file cannot be used.
    #[error("[status] state_file {}: {reason}", path.display())]
    StateFile {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong and what to do.
        reason: String,
    },
    /// The HTTP client could not be built (no TLS roots, no resources).
    #[error("cannot set up the HTTP client: {0}")]
    HttpClient(String),
}

/// Why one read or fetch of a list did not bring a usable list. Counted per list and shown by
/// `/readyz`; never changes an answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceFailure {
    /// The connection could not be opened (refused, unreachable, DNS).
    #[error("could not connect")]
    Connect,
    /// Connecting or the whole transfer took longer than allowed.
    #[error("timed out")]
    Timeout,
    /// A redirect to another origin, or too many redirects.
    #[error("redirect refused (another origin, or more than 3)")]
    Redirect,
    /// The transfer broke off, or the server sent something that is not HTTP.
    #[error("the transfer failed")]
    Transfer,
    /// The server answered with a status other than 200 (or 304 to a conditional request).
    #[error("the server answered HTTP {0}")]
    HttpStatus(u16),
    /// The body or file is larger than allowed.
    #[error("larger than {max_bytes} bytes, refused")]
    TooLarge {
        /// The limit.
        max_bytes: u64,
    },
    /// A file could not be read.
    #[error("cannot read the file: {0}")]
    File(String),
    /// The token does not verify or is malformed, expired, or signed by an unknown key.
    #[error("the status list was refused: {0}")]
    BadList(StatusError),
    /// The token is for another URI than the one it was fetched for.
    #[error("the token is the status list of {found:?}, not of the URI it was fetched for")]
    WrongUri {
        /// The token's `sub`.
        found: String,
    },
    /// An older list than the newest accepted, or a different one with the same `iat`.
    #[error("{0}")]
    Rollback(StatusError),
    /// The rollback record could not be written, so the list was not accepted.
    #[error("the rollback record could not be updated: {0}")]
    StateFile(String),
    /// A trust list that does not parse.
    #[error("the trust list is not valid: {0}")]
    BadTrustList(String),
}

impl SourceFailure {
    /// A short stable name, for metrics labels and `/readyz`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Connect => "connect",
            Self::Timeout => "timeout",
            Self::Redirect => "redirect",
            Self::Transfer => "transfer",
            Self::HttpStatus(_) => "http-status",
            Self::TooLarge { .. } => "too-large",
            Self::File(_) => "file",
            Self::BadList(_) => "bad-list",
            Self::WrongUri { .. } => "wrong-uri",
            Self::Rollback(_) => "rollback",
            Self::StateFile(_) => "state-file",
            Self::BadTrustList(_) => "bad-trust-list",
        }
    }
}

/// Outcomes of the reads or fetches of one list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FetchCounters {
    /// A new list was read and accepted (HTTP 200, a changed file).
    pub successes: u64,
    /// The kept list was confirmed: HTTP 304, or an unchanged file or body.
    pub not_modified: u64,
    /// Nothing usable: see [`SourceFailure`].
    pub failures: u64,
}

/// What `/readyz` needs: is the trust list loaded, and is every configured status list within
/// its hard limit.
#[derive(Debug, Clone, Serialize)]
pub struct SourcesReadiness {
    /// Trust list loaded and no configured list past its hard limit (or never fetched).
    pub ready: bool,
    /// The trust list.
    pub trust: TrustReadiness,
    /// Every known list: configured ones first, then those credentials named.
    pub lists: Vec<ListReadiness>,
}

/// The trust list's part of [`SourcesReadiness`].
#[derive(Debug, Clone, Serialize)]
pub struct TrustReadiness {
    /// Always true once started (the component does not start without one).
    pub loaded: bool,
    /// Bumped on every change.
    pub generation: u64,
    /// When the current list was loaded.
    pub loaded_at: u64,
    /// When the source was last checked successfully.
    pub checked_at: Option<u64>,
    /// The last check's failure kind, if it failed (the current list stays in use).
    pub last_error: Option<&'static str>,
    /// Its message (paths, URLs, reasons; no personal data).
    pub last_error_message: Option<String>,
}

/// One list's part of [`SourcesReadiness`].
#[derive(Debug, Clone, Serialize)]
pub struct ListReadiness {
    /// The list URI.
    pub uri: String,
    /// Named in the configuration (these decide `ready`).
    pub configured: bool,
    /// When the list in use was fetched (docs/FORMAT.md §7's fetched-at).
    pub fetched_at: Option<u64>,
    /// Seconds since then.
    pub age_seconds: Option<u64>,
    /// When its answers went stale, if they have.
    pub stale_since: Option<u64>,
    /// No list, or stale for longer than `max_stale_seconds`.
    pub past_hard_limit: bool,
    /// The last fetch's failure kind, if it failed.
    pub last_error: Option<&'static str>,
    /// Its message (URIs, URLs, reasons; no personal data).
    pub last_error_message: Option<String>,
}

/// Counters for `/metrics`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SourcesMetrics {
    /// Generation of the trust list in use.
    pub trust_generation: u64,
    /// Checks of the trust list.
    pub trust: FetchCounters,
    /// Seconds since the trust list was last checked successfully.
    pub trust_age_seconds: Option<u64>,
    /// Per status list.
    pub lists: Vec<ListMetrics>,
}

/// One list's counters.
#[derive(Debug, Clone, Serialize)]
pub struct ListMetrics {
    /// The list URI.
    pub uri: String,
    /// Outcomes of its fetches.
    pub counters: FetchCounters,
    /// When the list in use was fetched.
    pub fetched_at: Option<u64>,
    /// Seconds since then.
    pub age_seconds: Option<u64>,
}

/// The running trust and status sources; cheap to clone.
#[derive(Clone)]
pub struct TrustAndStatus {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for TrustAndStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrustAndStatus")
            .field("trust", &self.inner.trust.source_name())
            .finish_non_exhaustive()
    }
}

struct Inner {
    config: ValidSources,
    fetcher: Fetcher,
    clock: Arc<dyn Clock>,
    trust: TrustState,
    status: StatusLists,
    shutdown: watch::Receiver<bool>,
    runtime: tokio::runtime::Handle,
}

impl Inner {
    fn now(&self) -> u64 {
        u64::try_from(self.clock.now().as_secs()).unwrap_or(0)
    }

    /// Start the refresh loop of `list`: a fetch at once when `fetch_first`, then one every
    /// refresh interval until shutdown.
    fn spawn_list(self: &Arc<Self>, list: Arc<ListState>, fetch_first: bool) {
        let inner = Arc::clone(self);
        let mut shutdown = self.shutdown.clone();
        self.runtime.spawn(async move {
            if fetch_first {
                inner.refresh_list(&list).await;
            }
            while wait_or_shutdown(inner.config.status_refresh, &mut shutdown).await {
                inner.refresh_list(&list).await;
            }
        });
    }

    async fn refresh_list(&self, list: &ListState) {
        let keys = self.trust.status_keys();
        self.status
            .refresh(list, &self.fetcher, &keys, || self.now())
            .await;
    }

    /// A credential named `uri`, which has no list: if a configured prefix covers it, start
    /// fetching it (this answer stays Unavailable; the next ones use the list).
    fn discover(self: &Arc<Self>, uri: &str) {
        if self.status.is_known(uri) {
            return;
        }
        let Some(location @ Location::Url(_)) = self.config.locate(uri) else {
            return;
        };
        if let Some((list, true)) =
            self.status
                .register(ListState::new(uri.to_owned(), location, false))
        {
            self.spawn_list(list, true);
        }
    }
}

/// Sleep for `period`; false once shutdown is signalled (the value turns true, or the sender is
/// dropped).
async fn wait_or_shutdown(period: Duration, shutdown: &mut watch::Receiver<bool>) -> bool {
    if *shutdown.borrow() {
        return false;
    }
    tokio::select! {
        () = tokio::time::sleep(period) => true,
        changed = shutdown.changed() => changed.is_ok() && !*shutdown.borrow(),
    }
}

impl TrustAndStatus {
    /// Load the trust list (refusing to start without one), restore the kept status lists from
    /// `state_file`, fetch every configured list once (a failure leaves it unavailable, which
    /// `/readyz` reports), then refresh everything in the background until `shutdown` turns
    /// true (or its sender is dropped). Must be called inside a Tokio runtime.
    pub async fn start(
        config: &SourcesConfig,
        shutdown: watch::Receiver<bool>,
    ) -> Result<Self, SourcesError> {
        Self::start_with_clock(config, shutdown, Arc::new(SystemClock)).await
    }

    /// [`TrustAndStatus::start`] with another clock for fetched-at and ages.
    pub async fn start_with_clock(
        config: &SourcesConfig,
        shutdown: watch::Receiver<bool>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, SourcesError> {
        let config = config.validate()?;
        let fetcher = Fetcher::new(config.connect_timeout, config.fetch_timeout)
            .map_err(SourcesError::HttpClient)?;
        let now = || u64::try_from(clock.now().as_secs()).unwrap_or(0);
        let trust = TrustState::load_first(&config.trust, &fetcher, now())
            .await
            .map_err(|failure| SourcesError::TrustUnavailable {
                source_name: match &config.trust {
                    config::TrustFrom::File(path) => path.display().to_string(),
                    config::TrustFrom::Url(url) => url.to_string(),
                },
                is_url: matches!(config.trust, config::TrustFrom::Url(_)),
                failure,
            })?;
        let (high_water, kept): (Box<dyn StatusHighWater + Send>, _) = match &config.state_file {
            Some(path) => {
                let file = FileHighWater::open(path)?;
                let kept = file.kept();
                (Box::new(file), kept)
            }
            None => (Box::new(MemoryHighWater::new()), Vec::new()),
        };
        let status = StatusLists::new(
            high_water,
            config.default_ttl_seconds,
            config.max_stale_seconds,
            config.max_list_bytes,
        );
        for source in &config.sources {
            match source {
                Source::Http { lists, .. } => {
                    for uri in lists {
                        if let Some(location) = config.locate(uri) {
                            status.register(ListState::new(uri.clone(), location, true));
                        }
                    }
                }
                Source::File { uri, file } => {
                    status.register(ListState::new(
                        uri.clone(),
                        Location::File(file.clone()),
                        true,
                    ));
                }
            }
        }
        let keys = trust.status_keys();
        for (uri, bytes) in kept {
            // A kept list whose URI no source covers any more stays in the record only.
            let Some(location) = config.locate(&uri) else {
                continue;
            };
            if let Some((list, _)) = status.register(ListState::new(uri, location, false)) {
                status.restore(&list, bytes, &keys, now());
            }
        }
        let inner = Arc::new(Inner {
            config,
            fetcher,
            clock,
            trust,
            status,
            shutdown,
            runtime: tokio::runtime::Handle::current(),
        });
        let mut first = tokio::task::JoinSet::new();
        for list in inner.status.all() {
            let inner = Arc::clone(&inner);
            first.spawn(async move { inner.refresh_list(&list).await });
        }
        first.join_all().await;
        for list in inner.status.all() {
            inner.spawn_list(list, false);
        }
        let trust_loop = Arc::clone(&inner);
        let mut shutdown = inner.shutdown.clone();
        inner.runtime.spawn(async move {
            while wait_or_shutdown(trust_loop.config.trust_refresh, &mut shutdown).await {
                trust_loop
                    .trust
                    .refresh(&trust_loop.fetcher, || trust_loop.now())
                    .await;
            }
        });
        Ok(Self { inner })
    }

    /// The trust list in use and its generation, which changes whenever the list does.
    pub fn trust(&self) -> (u64, Arc<TrustList>) {
        self.inner.trust.current()
    }

    /// The shared status lookup to plug into each verifier (`Verifier::set_status_lookup`).
    pub fn status_lookup(&self) -> Arc<dyn StatusLookup> {
        Arc::new(Lookup {
            inner: Arc::clone(&self.inner),
        })
    }

    /// Readiness at `now`.
    pub fn readiness(&self, now: u64) -> SourcesReadiness {
        let trust = self.inner.trust.snapshot();
        let mut lists: Vec<ListReadiness> = self
            .inner
            .status
            .all()
            .iter()
            .map(|list| {
                let snapshot = self.inner.status.snapshot(list);
                ListReadiness {
                    past_hard_limit: self
                        .inner
                        .status
                        .hard_limit(snapshot.fresh_until)
                        .is_none_or(|limit| now >= limit),
                    stale_since: snapshot.fresh_until.filter(|since| now >= *since),
                    age_seconds: snapshot.fetched_at.map(|at| now.saturating_sub(at)),
                    fetched_at: snapshot.fetched_at,
                    last_error: snapshot.last_error.as_ref().map(SourceFailure::kind),
                    last_error_message: snapshot.last_error.as_ref().map(ToString::to_string),
                    configured: snapshot.configured,
                    uri: snapshot.uri,
                }
            })
            .collect();
        lists.sort_by(|a, b| b.configured.cmp(&a.configured).then(a.uri.cmp(&b.uri)));
        SourcesReadiness {
            ready: !lists.iter().any(|l| l.configured && l.past_hard_limit),
            trust: TrustReadiness {
                loaded: true,
                generation: trust.generation,
                loaded_at: trust.loaded_at,
                checked_at: trust.last_success,
                last_error: trust.last_error.as_ref().map(SourceFailure::kind),
                last_error_message: trust.last_error.as_ref().map(ToString::to_string),
            },
            lists,
        }
    }

    /// Counters and ages, now.
    pub fn metrics(&self) -> SourcesMetrics {
        let now = self.inner.now();
        let trust = self.inner.trust.snapshot();
        SourcesMetrics {
            trust_generation: trust.generation,
            trust: trust.counters,
            trust_age_seconds: trust.last_success.map(|at| now.saturating_sub(at)),
            lists: self
                .inner
                .status
                .all()
                .iter()
                .map(|list| {
                    let snapshot = self.inner.status.snapshot(list);
                    ListMetrics {
                        age_seconds: snapshot.fetched_at.map(|at| now.saturating_sub(at)),
                        fetched_at: snapshot.fetched_at,
                        counters: snapshot.counters,
                        uri: snapshot.uri,
                    }
                })
                .collect(),
        }
    }
}

/// The [`StatusLookup`] handed to verifiers: the shared cache with the hard limit, and discovery
/// of lists that configured prefixes cover.
struct Lookup {
    inner: Arc<Inner>,
}

impl StatusLookup for Lookup {
    fn lookup(&self, uri: &str, idx: u64, now: u64) -> Result<StatusAnswer, StatusError> {
        let answer = self.inner.status.lookup(uri, idx, now)?;
        if answer == StatusAnswer::Unavailable {
            self.inner.discover(uri);
        }
        Ok(answer)
    }

    fn signer_kid(&self, uri: &str) -> Option<Vec<u8>> {
        self.inner.status.signer_kid(uri)
    }
}

/// Locks that a panicking holder cannot wedge: every guarded value is replaced whole, so the one
/// left behind is still one the code could have written.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn read_lock<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write_lock<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}
