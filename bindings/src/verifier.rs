//! The counter side: a trust list and a [`Verifier`] that checks scanned codes.
//!
//! This module maps the core verifier (signatures, disclosures, time window, replay cache,
//! per-purpose policy, revocation through cached status lists) onto two objects. It must never
//! return claims from a code that failed any check: a [`VerifiedPresentation`] is only built from
//! the core's verified presentation.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use netid_core::credential;
use netid_core::issuer;
use netid_core::status::StatusListCache;
use netid_core::time::{Clock, SystemClock, UnixTime};
use netid_core::verify::{self, VerifyRequest};

use crate::counter::IssuedRequest;
use crate::error::VerifyError;
use crate::live::Live;
use crate::offload::offload;
use crate::types::{AssuranceLevel, Claim, DocType, Purpose, claim, instant, whole_seconds};

/// The issuers a wallet or counter trusts: issuer id, key id, public key, validity window and the
/// document types each may issue (JSON, docs/FORMAT.md "Trust list").
#[derive(Debug, uniffi::Object)]
pub struct TrustList {
    pub(crate) list: issuer::TrustList,
    pub(crate) _live: Live,
}

#[uniffi::export]
impl TrustList {
    /// Reads a trust list from its JSON form.
    #[uniffi::constructor]
    pub fn from_json(json: String) -> Result<Arc<Self>, VerifyError> {
        issuer::TrustList::from_json(&json)
            .map(|list| {
                Arc::new(Self {
                    list,
                    _live: Live::new(),
                })
            })
            .map_err(|e| VerifyError::InvalidConfiguration {
                reason: e.to_string(),
            })
    }

    /// The JSON form.
    pub fn to_json(&self) -> String {
        self.list.to_json()
    }

    /// How many issuer keys it lists.
    pub fn len(&self) -> u32 {
        u32::try_from(self.list.entries().len()).unwrap_or(u32::MAX)
    }

    /// Whether it lists no issuer at all.
    pub fn is_empty(&self) -> bool {
        self.list.entries().is_empty()
    }
}

/// Counter tuning; `VerifierOptions()` in Kotlin/Swift gives netid's defaults. Durations are
/// whole seconds; unset, the default.
// (Doc comments ship inside the library as uniffi metadata: the longer story, why durations are
// optional and fractions refused, is in docs/kotlin.md and docs/swift.md.)
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct VerifierOptions {
    /// Clock difference tolerated between phone and counter (default 30 s, at most 300 s).
    #[uniffi(default = None)]
    pub skew: Option<Duration>,
    /// Oldest code accepted (`now − iat`; default 120 s, 1 to 600 s).
    #[uniffi(default = None)]
    pub max_age: Option<Duration>,
    /// Codes remembered for replay detection.
    #[uniffi(default = 10000)]
    pub replay_capacity: u32,
    /// Accept a credential whose cached status list is out of date (the result says since when).
    #[uniffi(default = false)]
    pub accept_stale_status: bool,
    /// Accept a credential whose revocation status cannot be checked at all.
    #[uniffi(default = false)]
    pub accept_unavailable_status: bool,
}

/// One scan in interactive mode: the counter showed the resident its own challenge (`nonce`) and
/// expects a code made for it (`audience`), so a code made for another counter, or before the
/// challenge, is refused.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ScanRequest {
    /// The counter's purpose, which selects the policy.
    pub purpose: Purpose,
    /// The audience the code must name; defaults to the purpose's short name.
    #[uniffi(default = None)]
    pub audience: Option<String>,
    /// The challenge this counter showed; the code must carry it.
    #[uniffi(default = None)]
    pub nonce: Option<Vec<u8>>,
}

/// A code that passed every check, with the claims it discloses. Prints without their values
/// (each `ClaimValue` prints `<redacted>`).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct VerifiedPresentation {
    /// The document type.
    pub doc_type: DocType,
    /// The credential's grade.
    pub assurance_level: AssuranceLevel,
    /// The issuer id, from the trust list.
    pub issuer: String,
    /// The disclosed claims.
    pub claims: Vec<Claim>,
    /// When the holder signed the code.
    pub issued_at: SystemTime,
    /// When it stops being accepted.
    pub expires_at: SystemTime,
    /// Set when revocation was checked against a list out of date since then.
    pub status_stale_since: Option<SystemTime>,
}

impl VerifiedPresentation {
    fn from_core(verified: &verify::VerifiedPresentation) -> Self {
        Self {
            doc_type: verified.doc_type().into(),
            assurance_level: verified.assurance_level().into(),
            issuer: verified.issuer().to_owned(),
            claims: verified
                .claims()
                .iter()
                .map(|(name, value)| claim(*name, value))
                .collect(),
            issued_at: instant(verified.issued_at()),
            expires_at: instant(verified.expires()),
            status_stale_since: verified.status_stale_since().map(instant),
        }
    }
}

/// The system clock, or a moment pinned for one `verify_at` call.
#[derive(Debug, Default)]
struct CounterClock {
    pinned: AtomicI64,
}

const NOT_PINNED: i64 = i64::MIN;

impl Clock for CounterClock {
    fn now(&self) -> UnixTime {
        match self.pinned.load(Ordering::SeqCst) {
            NOT_PINNED => SystemClock.now(),
            at => UnixTime::from_secs(at),
        }
    }
}

/// Checks scanned codes for a counter. One per counter: its replay cache is what refuses a code
/// shown twice. Safe to share between threads.
#[derive(uniffi::Object)]
pub struct Verifier {
    core: verify::Verifier,
    clock: Arc<CounterClock>,
    status: Arc<RwLock<StatusListCache>>,
    trust: issuer::TrustList,
    /// Serialises checks, so a `verify_at` pin never leaks into a concurrent `verify`.
    checking: Mutex<()>,
    _live: Live,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier").finish_non_exhaustive()
    }
}

/// How long a status list stays fresh when it names no TTL itself: one day.
const DEFAULT_STATUS_TTL_SECONDS: u64 = 86_400;

#[uniffi::export]
impl Verifier {
    /// A verifier trusting `trust`, with `options` and netid's default policy for each purpose.
    #[uniffi::constructor]
    pub fn new(trust: Arc<TrustList>, options: VerifierOptions) -> Result<Arc<Self>, VerifyError> {
        // The core's bounds (verify::MAX_SKEW_SECS, MAX_MAX_AGE_SECS): a wider skew or age would
        // accept expired credentials and stale codes.
        let invalid = |reason| VerifyError::InvalidConfiguration { reason };
        let skew_secs = whole_seconds(
            "skew",
            options.skew,
            verify::DEFAULT_SKEW_SECS,
            0,
            verify::MAX_SKEW_SECS,
            "0 s to 300 s (5 min)",
        )
        .map_err(invalid)?;
        let max_age_secs = whole_seconds(
            "maxAge",
            options.max_age,
            verify::DEFAULT_MAX_AGE_SECS,
            1,
            verify::MAX_MAX_AGE_SECS,
            "1 s to 600 s (10 min)",
        )
        .map_err(invalid)?;
        let clock = Arc::new(CounterClock {
            pinned: AtomicI64::new(NOT_PINNED),
        });
        let core_options = verify::VerifierOptions {
            skew_secs,
            max_age_secs,
            replay_capacity: usize::try_from(options.replay_capacity).unwrap_or(usize::MAX),
            accept_stale_status: options.accept_stale_status,
            accept_unavailable_status: options.accept_unavailable_status,
        };
        let status = Arc::new(RwLock::new(StatusListCache::new(
            DEFAULT_STATUS_TTL_SECONDS,
        )));
        let mut core = verify::Verifier::with_options(
            trust.list.clone(),
            Box::new(Arc::clone(&clock)),
            core_options,
        );
        core.set_status_lookup(Box::new(Arc::clone(&status)));
        Ok(Arc::new(Self {
            core,
            clock,
            status,
            trust: trust.list.clone(),
            checking: Mutex::new(()),
            _live: Live::new(),
        }))
    }

    /// Checks a scanned code for `purpose` now, on a worker thread: call it from the main thread
    /// freely. (`verify_at`, `verify_scan` and `verify_response` stay synchronous: each async
    /// export costs the shipped library several KB, and a check takes under a millisecond.)
    pub async fn verify(
        self: Arc<Self>,
        qr_text: String,
        purpose: Purpose,
    ) -> Result<VerifiedPresentation, VerifyError> {
        run(move || {
            let _serial = self.serial();
            self.check(&qr_text, purpose)
        })
        .await
    }

    /// Checks a scanned code as of `at` (an incident review, or a counter whose clock is known
    /// to be off). The replay cache is shared with [`Self::verify`].
    pub fn verify_at(
        &self,
        qr_text: String,
        purpose: Purpose,
        at: SystemTime,
    ) -> Result<VerifiedPresentation, VerifyError> {
        let at_unix_seconds = at
            .duration_since(UNIX_EPOCH)
            .ok()
            .and_then(|d| i64::try_from(d.as_secs()).ok())
            .filter(|s| *s != NOT_PINNED)
            .ok_or_else(|| VerifyError::InvalidConfiguration {
                reason: "the time to verify at is before 1970 or out of range".to_owned(),
            })?;
        let _serial = self.serial();
        self.clock.pinned.store(at_unix_seconds, Ordering::SeqCst);
        let outcome = self.check(&qr_text, purpose);
        self.clock.pinned.store(NOT_PINNED, Ordering::SeqCst);
        outcome
    }

    /// Checks a scanned code for `request` now: interactive mode, with the counter's own audience
    /// and challenge.
    pub fn verify_scan(
        &self,
        qr_text: String,
        request: ScanRequest,
    ) -> Result<VerifiedPresentation, VerifyError> {
        let request = VerifyRequest {
            purpose: request.purpose.into(),
            audience: request.audience,
            nonce: request.nonce,
        };
        let _serial = self.serial();
        self.check_request(&qr_text, &request)
    }

    /// Checks a scanned code answering this counter's own signed `request` (from
    /// `CounterSigner.request`): bound to the counter's id and the request's nonce, disclosing
    /// what it asked for, before the request expired. A request is answered once.
    pub fn verify_response(
        &self,
        qr_text: String,
        request: Arc<IssuedRequest>,
    ) -> Result<VerifiedPresentation, VerifyError> {
        let _serial = self.serial();
        let verified = self.core.verify_response_text(&qr_text, &request.issued)?;
        Ok(VerifiedPresentation::from_core(&verified))
    }

    /// Adds a status list (Token Status List, CWT form) fetched from its issuer; its signature is
    /// checked against the trust list. Credentials that point at a list not loaded here are
    /// refused with `StatusUnavailable` unless the options accept that.
    pub fn update_status_list(&self, status_list_cwt: Vec<u8>) -> Result<(), VerifyError> {
        let now = u64::try_from(self.clock.now().as_secs()).unwrap_or(0);
        let mut cache = self
            .status
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        cache
            .verify_and_insert(&status_list_cwt, &self.trust.status_issuer_keys(), now)
            .map(|_| ())
            .map_err(|e| VerifyError::InvalidConfiguration {
                reason: e.to_string(),
            })
    }

    /// Codes currently remembered for replay detection.
    pub fn replay_cache_len(&self) -> u32 {
        u32::try_from(self.core.replay_cache_len()).unwrap_or(u32::MAX)
    }
}

/// A check on a worker thread; a panic in it (none is expected) is an internal error.
async fn run(
    check: impl FnOnce() -> Result<VerifiedPresentation, VerifyError> + Send + 'static,
) -> Result<VerifiedPresentation, VerifyError> {
    let result = offload(check).await.unwrap_or_else(|_| {
        Err(VerifyError::InvalidConfiguration {
            reason: "the check stopped unexpectedly".to_owned(),
        })
    });
    crate::log::outcome("verify a code", &result);
    result
}

impl Verifier {
    fn serial(&self) -> std::sync::MutexGuard<'_, ()> {
        self.checking
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn check(&self, qr_text: &str, purpose: Purpose) -> Result<VerifiedPresentation, VerifyError> {
        self.check_request(
            qr_text,
            &VerifyRequest::for_purpose(credential::Purpose::from(purpose)),
        )
    }

    fn check_request(
        &self,
        qr_text: &str,
        request: &VerifyRequest,
    ) -> Result<VerifiedPresentation, VerifyError> {
        let verified = self.core.verify_qr_text(qr_text, request)?;
        Ok(VerifiedPresentation::from_core(&verified))
    }
}
