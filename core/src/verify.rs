//! The counter side: decide whether a scanned presentation is genuine, fresh, unused, fit for
//! the counter's purpose and not revoked, and say exactly why when it is not.
//!
//! This module owns the [`Verifier`], its replay cache and per-purpose [`Policy`]. It depends
//! only on `credential`, `issuer` (the trust list) and `time`, so a counter app needs no wallet
//! state. It must never return claims from a presentation that failed any check, never let a
//! replay through because the cache is full, and never put personal data in an error message.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use crate::counter::IssuedRequest;
use crate::credential::cbor::{self, Cbor};
use crate::credential::purpose;
use crate::credential::sd_cwt::{self, CoseSign1, DisclosureError, SignatureAlgorithm, claim};
use crate::credential::{
    self, AssuranceLevel, ClaimName, ClaimValue, DocType, FormatError, Purpose, StatusReference,
    time_claim,
};
pub use crate::issuer::IssuerProblem;
use crate::issuer::{TrustList, TrustedIssuer};
use crate::signature::Backend;
use crate::status::{StatusAnswer, StatusLookup, TokenStatus};
use crate::time::{Clock, UnixTime};

/// Largest presentation accepted (a version-40 QR holds under 3 KB).
pub const MAX_PRESENTATION_LEN: usize = 8 * 1024;
/// Default clock skew tolerated between phone and counter.
pub const DEFAULT_SKEW_SECS: u32 = 30;
/// Default maximum presentation age (`now − iat`), whatever `exp` says.
pub const DEFAULT_MAX_AGE_SECS: u32 = 120;
/// Default replay-cache capacity.
pub const DEFAULT_REPLAY_CAPACITY: usize = 10_000;
/// Largest clock skew a verifier may be set to tolerate: five minutes. The skew widens every time
/// check (a credential's `exp`, a code's `iat` and age), so a skew of days would accept a
/// credential that expired days ago.
pub const MAX_SKEW_SECS: u32 = 300;
/// Largest maximum presentation age: ten minutes, the longest lifetime a wallet gives a code.
/// Longer would only keep stale codes acceptable (and in the replay cache) for nothing.
pub const MAX_MAX_AGE_SECS: u32 = 600;

/// What a counter demands for one purpose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Claims that must be disclosed.
    pub required_claims: Vec<ClaimName>,
    /// Boolean claims that must be disclosed as `true` (e.g. `age_over_18` at a café).
    pub must_be_true: Vec<ClaimName>,
    /// Lowest acceptable assurance level.
    pub min_assurance: AssuranceLevel,
    /// Document types accepted.
    pub doc_types: Vec<DocType>,
    /// Accept only an answer to this counter's own signed request (docs/FORMAT.md §13): `gov`
    /// by default, whose codes carry the whole card.
    pub requires_signed_request: bool,
}

impl Policy {
    /// netid's default policy for `purpose` (docs/FORMAT.md, "Purposes").
    pub fn for_purpose(purpose: Purpose) -> Self {
        use ClaimName::*;
        use DocType::*;
        match purpose {
            Purpose::HotelCheckIn => Self {
                required_claims: vec![Name, IdNumber, Sex, BirthDate],
                must_be_true: vec![],
                min_assurance: AssuranceLevel::Basic,
                doc_types: vec![ResidentId, ResidencePermit],
                requires_signed_request: false,
            },
            Purpose::InternetCafe => Self {
                required_claims: vec![Name, AgeOver18],
                must_be_true: vec![AgeOver18],
                min_assurance: AssuranceLevel::Basic,
                doc_types: DocType::ALL.to_vec(),
                requires_signed_request: false,
            },
            Purpose::TrainTicket => Self {
                required_claims: vec![Name, IdNumber],
                must_be_true: vec![],
                min_assurance: AssuranceLevel::Basic,
                doc_types: vec![ResidentId, ResidencePermit],
                requires_signed_request: false,
            },
            Purpose::GovernmentService => Self {
                required_claims: vec![Name, Sex, BirthDate, IdNumber],
                must_be_true: vec![],
                min_assurance: AssuranceLevel::Enhanced,
                doc_types: DocType::ALL.to_vec(),
                requires_signed_request: true,
            },
        }
    }
}

/// Verifier tuning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifierOptions {
    /// Clock skew tolerated, seconds.
    pub skew_secs: u32,
    /// Maximum presentation age (`now − iat`), seconds.
    pub max_age_secs: u32,
    /// Replay-cache capacity (entries).
    pub replay_capacity: usize,
    /// Accept a credential whose status list is out of date.
    pub accept_stale_status: bool,
    /// Accept a credential whose status cannot be checked at all.
    pub accept_unavailable_status: bool,
}

/// Why [`VerifierOptions`] were refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VerifierOptionsError {
    /// `skew_secs` above [`MAX_SKEW_SECS`].
    #[error("the clock skew must be 0 to {MAX_SKEW_SECS} seconds; got {0}")]
    SkewTooLarge(u32),
    /// `max_age_secs` outside 1..=[`MAX_MAX_AGE_SECS`].
    #[error("the maximum code age must be 1 to {MAX_MAX_AGE_SECS} seconds; got {0}")]
    MaxAgeOutOfRange(u32),
}

impl VerifierOptions {
    /// Checks the time settings against their bounds ([`MAX_SKEW_SECS`], [`MAX_MAX_AGE_SECS`]).
    /// Every front end (the FFI verifier, the verification service's configuration) calls it
    /// before building a verifier, so a typo in a config file cannot widen what is accepted.
    pub fn check(&self) -> Result<(), VerifierOptionsError> {
        if self.skew_secs > MAX_SKEW_SECS {
            return Err(VerifierOptionsError::SkewTooLarge(self.skew_secs));
        }
        if !(1..=MAX_MAX_AGE_SECS).contains(&self.max_age_secs) {
            return Err(VerifierOptionsError::MaxAgeOutOfRange(self.max_age_secs));
        }
        Ok(())
    }
}

impl Default for VerifierOptions {
    fn default() -> Self {
        Self {
            skew_secs: DEFAULT_SKEW_SECS,
            max_age_secs: DEFAULT_MAX_AGE_SECS,
            replay_capacity: DEFAULT_REPLAY_CAPACITY,
            accept_stale_status: false,
            accept_unavailable_status: false,
        }
    }
}

/// One scan to verify.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyRequest {
    /// The counter's purpose, selecting the policy.
    pub purpose: Purpose,
    /// Expected `aud`; defaults to the purpose's short name.
    pub audience: Option<String>,
    /// The nonce this counter showed, in interactive mode.
    pub nonce: Option<Vec<u8>>,
}

impl VerifyRequest {
    /// Non-interactive verification for `purpose`.
    pub fn for_purpose(purpose: Purpose) -> Self {
        Self {
            purpose,
            audience: None,
            nonce: None,
        }
    }
}

/// Why a policy was not met.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyProblem {
    /// This counter does not accept this document type.
    DocType,
    /// Assurance level below the minimum.
    AssuranceTooLow,
    /// A required claim was not shown.
    MissingClaim(ClaimName),
    /// A condition claim was shown as false.
    ConditionFalse(ClaimName),
    /// A one-time purpose credential made for another purpose.
    OtherPurpose(Purpose),
}

impl std::fmt::Display for PolicyProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::DocType => f.write_str("this counter does not accept this kind of document"),
            Self::AssuranceTooLow => f.write_str(
                "the ID is the basic grade; this service needs the enhanced (colour) grade",
            ),
            Self::MissingClaim(c) => write!(
                f,
                "the code does not show `{}`; ask for a code for this service",
                c.as_str()
            ),
            Self::ConditionFalse(c) => write!(f, "the requirement `{}` is not met", c.as_str()),
            Self::OtherPurpose(p) => write!(
                f,
                "the code was made for `{}`; ask for a code for this service",
                p.as_str()
            ),
        }
    }
}

/// Why a presentation was refused. Messages are for the counter clerk and carry no personal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// Not a netid presentation, or damaged.
    #[error("This code could not be read ({0}) — ask the resident to show it again")]
    Malformed(FormatError),
    /// The issuer key is not trusted.
    #[error("This ID was not issued by a trusted authority ({0}) — do not accept it")]
    UnknownIssuer(IssuerProblem),
    /// The issuer signature does not verify: forged or altered credential.
    #[error("The ID's issuer signature is invalid (forged or altered) — do not accept it")]
    BadIssuerSignature,
    /// The holder signature does not verify: not made by the credential's owner.
    #[error("The code was not signed by the ID's owner — do not accept it")]
    BadHolderSignature,
    /// Disclosures do not match the credential.
    #[error("The shown details do not match the ID ({0}) — do not accept it")]
    DisclosureMismatch(DisclosureError),
    /// The presentation's `exp` (or maximum age) has passed.
    #[error("This code has expired — ask the resident to refresh it")]
    PresentationExpired,
    /// `nbf` of the presentation or credential is in the future.
    #[error("This ID or code is not valid yet — check the device clocks")]
    NotYetValid,
    /// `iat` in the future beyond the skew.
    #[error("This code claims to be made in the future — check the phone's clock and refresh")]
    IssuedInFuture,
    /// Seen before within its validity window.
    #[error("This code was already used — ask the resident to refresh it")]
    Replayed,
    /// The replay cache is full of unexpired entries: refusing is safer than forgetting.
    #[error("Too many codes scanned in the last minutes — wait a moment and scan again")]
    ReplayCacheFull,
    /// `aud` is not this counter.
    #[error(
        "This code was made for a different counter or service — ask for a new code for this one"
    )]
    WrongAudience,
    /// `cnonce` is not the one this counter showed.
    #[error(
        "This code does not answer this counter's challenge — let the resident scan the counter's code again"
    )]
    NonceMismatch,
    /// Policy not met.
    #[error("Not enough for this service: {0}")]
    PolicyUnmet(PolicyProblem),
    /// The credential's validity ended.
    #[error("This ID has expired — the resident must renew it")]
    CredentialExpired,
    /// Revoked by the issuer.
    #[error("This ID has been revoked by its issuer — do not accept it")]
    Revoked,
    /// Suspended by the issuer.
    #[error("This ID is suspended by its issuer — do not accept it")]
    Suspended,
    /// The purpose's policy accepts only an answer to this counter's signed request.
    #[error(
        "This service needs a code made for this counter — show the counter's request code (interactive mode) and scan the resident's answer"
    )]
    RequestRequired,
    /// The counter's request this code answers has expired.
    #[error("The counter's request has expired — show a new request code")]
    RequestExpired,
    /// Revocation status could not be checked and the options demand it.
    #[error(
        "The ID's revocation status cannot be checked right now — update the status list and try again"
    )]
    StatusUnavailable,
    /// The status list says valid, but it is out of date since `since` and the options refuse
    /// stale lists.
    #[error(
        "The revocation list is out of date (since {since}) — update it, or have the counter policy accept stale lists"
    )]
    StatusStale {
        /// When the cached list stopped being fresh.
        since: UnixTime,
    },
}

impl VerifyError {
    /// Every value [`VerifyError::kind`] can return, in declaration order: for catalogues and
    /// documentation that must cover every refusal (netid-i18n's `refusal-<kind>` messages). A
    /// test below fails when a variant's kind is missing here.
    pub const ALL_KINDS: &'static [&'static str] = &[
        "malformed",
        "unknown-issuer",
        "bad-issuer-signature",
        "bad-holder-signature",
        "disclosure-mismatch",
        "expired",
        "not-yet-valid",
        "issued-in-future",
        "replayed",
        "replay-cache-full",
        "wrong-audience",
        "nonce-mismatch",
        "policy-unmet",
        "credential-expired",
        "revoked",
        "suspended",
        "request-required",
        "request-expired",
        "status-unavailable",
        "status-stale",
    ];

    /// The refusal's stable machine-readable name, shared by the command line, the verification
    /// service and counter apps (docs/cli.md, "Refusal kinds").
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "malformed",
            Self::UnknownIssuer(_) => "unknown-issuer",
            Self::BadIssuerSignature => "bad-issuer-signature",
            Self::BadHolderSignature => "bad-holder-signature",
            Self::DisclosureMismatch(_) => "disclosure-mismatch",
            Self::PresentationExpired => "expired",
            Self::NotYetValid => "not-yet-valid",
            Self::IssuedInFuture => "issued-in-future",
            Self::Replayed => "replayed",
            Self::ReplayCacheFull => "replay-cache-full",
            Self::WrongAudience => "wrong-audience",
            Self::NonceMismatch => "nonce-mismatch",
            Self::PolicyUnmet(_) => "policy-unmet",
            Self::CredentialExpired => "credential-expired",
            Self::Revoked => "revoked",
            Self::Suspended => "suspended",
            Self::RequestRequired => "request-required",
            Self::RequestExpired => "request-expired",
            Self::StatusUnavailable => "status-unavailable",
            Self::StatusStale { .. } => "status-stale",
        }
    }
}

fn malformed(e: FormatError) -> VerifyError {
    VerifyError::Malformed(e)
}

/// The replay-cache identity of a request nonce: a request is answered once. Domain-separated
/// from presentation identities (SHA-256 of the SD-KBT), so the two can share one cache.
fn request_nonce_identity(nonce: &[u8]) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(b"netid request nonce\0");
    hash.update(nonce);
    hash.finalize().into()
}

/// A presentation that passed every check. Only the verifier constructs one.
#[derive(Clone, Debug, PartialEq)]
pub struct VerifiedPresentation {
    doc_type: DocType,
    assurance_level: AssuranceLevel,
    issuer: String,
    claims: BTreeMap<ClaimName, ClaimValue>,
    derived: BTreeSet<ClaimName>,
    issued_at: UnixTime,
    expires: UnixTime,
    audience: String,
    nonce: Option<Vec<u8>>,
    credential_valid_until: Option<UnixTime>,
    status_stale_since: Option<UnixTime>,
}

impl VerifiedPresentation {
    /// Document type.
    pub fn doc_type(&self) -> DocType {
        self.doc_type
    }
    /// Assurance level.
    pub fn assurance_level(&self) -> AssuranceLevel {
        self.assurance_level
    }
    /// Issuer id from the trust list.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }
    /// The claims shown: those disclosed, plus any the policy required that were read from the
    /// disclosed `id_number` (see [`VerifiedPresentation::derived_claims`]).
    pub fn claims(&self) -> &BTreeMap<ClaimName, ClaimValue> {
        &self.claims
    }
    /// Which of [`VerifiedPresentation::claims`] were not disclosed but read from the disclosed,
    /// verified `id_number` (`sex`, `birth_date`; FORMAT.md §4).
    pub fn derived_claims(&self) -> &BTreeSet<ClaimName> {
        &self.derived
    }
    /// One disclosed claim.
    pub fn claim(&self, name: ClaimName) -> Option<&ClaimValue> {
        self.claims.get(&name)
    }
    /// Presentation `iat`.
    pub fn issued_at(&self) -> UnixTime {
        self.issued_at
    }
    /// Presentation expiry (its `exp`, capped by the verifier's maximum age).
    pub fn expires(&self) -> UnixTime {
        self.expires
    }
    /// `aud`.
    pub fn audience(&self) -> &str {
        &self.audience
    }
    /// `cnonce`, if any.
    pub fn nonce(&self) -> Option<&[u8]> {
        self.nonce.as_deref()
    }
    /// The credential's `exp`.
    pub fn credential_valid_until(&self) -> Option<UnixTime> {
        self.credential_valid_until
    }
    /// Set when the revocation check relied on a status list that is out of date since this
    /// moment (only possible when the options accept stale lists): show it to the clerk.
    pub fn status_stale_since(&self) -> Option<UnixTime> {
        self.status_stale_since
    }
}

/// A presentation that passed every check but the replay decision. Its claims are reachable
/// only through [`UnrecordedPresentation::into_verified_after_recording`], so a caller cannot
/// show them without having decided replay; only the verifier constructs one.
#[derive(Debug)]
pub struct UnrecordedPresentation {
    replay_identity: [u8; 32],
    replay_until: UnixTime,
    issued_at: UnixTime,
    presentation: VerifiedPresentation,
}

impl UnrecordedPresentation {
    /// The replay identity (FORMAT.md §6 step 12): SHA-256 of the SD-KBT's `Sig_structure`.
    /// Not personal data on its own, but unique to one code: store it, never log it.
    pub fn replay_identity(&self) -> &[u8; 32] {
        &self.replay_identity
    }

    /// Until when the identity must be remembered: the effective expiry + skew.
    pub fn replay_until(&self) -> UnixTime {
        self.replay_until
    }

    /// The presentation's `iat` (the holder's clock).
    pub fn issued_at(&self) -> UnixTime {
        self.issued_at
    }

    /// The verified presentation. Call only after an atomic check-and-insert of
    /// [`Self::replay_identity`] (until [`Self::replay_until`]) found it new.
    pub fn into_verified_after_recording(self) -> VerifiedPresentation {
        self.presentation
    }
}

/// A generic SD-KBT that passed the draft's checks (any SD-CWT profile). Only the verifier
/// constructs one.
#[derive(Clone, Debug, PartialEq)]
pub struct VerifiedSdKbt {
    issuer: TrustedIssuerId,
    claims: Cbor,
    kbt_claims: Cbor,
    issued_at: UnixTime,
    expires: UnixTime,
    replay_key: [u8; 32],
    /// For a purpose credential (FORMAT.md §12): its purpose and claims; `None` for an SD-CWT.
    purpose_credential: Option<(Purpose, credential::DisclosedDocument)>,
}

#[derive(Clone, Debug, PartialEq)]
struct TrustedIssuerId {
    issuer: String,
    kid: Vec<u8>,
}

impl VerifiedSdKbt {
    /// The Validated Disclosed Claims Set of the SD-CWT.
    pub fn claims(&self) -> &Cbor {
        &self.claims
    }
    /// The SD-KBT payload claims.
    pub fn kbt_claims(&self) -> &Cbor {
        &self.kbt_claims
    }
    /// Issuer id from the trust list.
    pub fn issuer(&self) -> &str {
        &self.issuer.issuer
    }
    /// The issuer key id.
    pub fn kid(&self) -> &[u8] {
        &self.issuer.kid
    }
    /// KBT `iat`.
    pub fn issued_at(&self) -> UnixTime {
        self.issued_at
    }
}

struct ReplayCache {
    capacity: usize,
    seen: HashMap<[u8; 32], UnixTime>,
    order: VecDeque<[u8; 32]>,
}

impl ReplayCache {
    fn new(capacity: usize) -> Self {
        Self {
            capacity,
            seen: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    /// Record `key` until `until`; fail if it is already recorded and unexpired.
    fn check_and_insert(
        &mut self,
        key: [u8; 32],
        until: UnixTime,
        now: UnixTime,
    ) -> Result<(), VerifyError> {
        if let Some(exp) = self.seen.get(&key)
            && *exp >= now
        {
            return Err(VerifyError::Replayed);
        }
        if self.seen.len() >= self.capacity {
            self.seen.retain(|_, exp| *exp >= now);
            let seen = &self.seen;
            self.order.retain(|k| seen.contains_key(k));
            if self.seen.len() >= self.capacity {
                return Err(VerifyError::ReplayCacheFull);
            }
        }
        if self.seen.insert(key, until).is_none() {
            self.order.push_back(key);
        }
        // Cheap incremental cleanup of the oldest entries.
        while let Some(front) = self.order.front() {
            match self.seen.get(front) {
                Some(exp) if *exp < now => {
                    self.seen.remove(front);
                    self.order.pop_front();
                }
                _ => break,
            }
        }
        Ok(())
    }

    fn len(&self) -> usize {
        self.seen.len()
    }
}

/// The counter's verifier.
pub struct Verifier {
    trust: TrustList,
    clock: Box<dyn Clock>,
    options: VerifierOptions,
    policies: BTreeMap<Purpose, Policy>,
    status: Option<Box<dyn StatusLookup>>,
    replay: Mutex<ReplayCache>,
    signatures: Backend,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("issuers", &self.trust.entries().len())
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier with default options and netid's default policy for every purpose.
    pub fn new(trust: TrustList, clock: Box<dyn Clock>) -> Self {
        Self::with_options(trust, clock, VerifierOptions::default())
    }

    /// A verifier with `options`.
    pub fn with_options(trust: TrustList, clock: Box<dyn Clock>, options: VerifierOptions) -> Self {
        let policies = Purpose::ALL
            .into_iter()
            .map(|p| (p, Policy::for_purpose(p)))
            .collect();
        let replay = Mutex::new(ReplayCache::new(options.replay_capacity.max(1)));
        Self {
            trust,
            clock,
            options,
            policies,
            status: None,
            replay,
            signatures: Backend::DEFAULT,
        }
    }

    /// Verify signatures with `backend` instead of this build's default, so one test binary can
    /// hold the backends to the same verdicts end to end (`tests/verify_backends.rs`).
    #[cfg(feature = "test-support")]
    pub fn set_signature_backend(&mut self, backend: Backend) {
        self.signatures = backend;
    }

    /// Replace the policy for `purpose`.
    pub fn set_policy(&mut self, purpose: Purpose, policy: Policy) {
        self.policies.insert(purpose, policy);
    }

    /// Plug in revocation checking.
    pub fn set_status_lookup(&mut self, lookup: Box<dyn StatusLookup>) {
        self.status = Some(lookup);
    }

    /// Entries currently in the replay cache.
    pub fn replay_cache_len(&self) -> usize {
        self.replay.lock().map(|c| c.len()).unwrap_or(0)
    }

    /// Verify scanned QR text.
    pub fn verify_qr_text(
        &self,
        text: &str,
        request: &VerifyRequest,
    ) -> Result<VerifiedPresentation, VerifyError> {
        let bytes = credential::from_qr_text(text).map_err(malformed)?;
        self.verify(&bytes, request)
    }

    /// Verify presentation bytes for `request`: every check of docs/FORMAT.md, then record it in
    /// this verifier's own replay cache.
    pub fn verify(
        &self,
        bytes: &[u8],
        request: &VerifyRequest,
    ) -> Result<VerifiedPresentation, VerifyError> {
        let now = self.clock.now();
        let unrecorded = self.check_at(bytes, request, now)?;
        self.record(unrecorded.replay_identity, unrecorded.replay_until, now)?;
        Ok(unrecorded.into_verified_after_recording())
    }

    /// Verify the answer to this counter's signed request `issued` (docs/FORMAT.md §13.3): every
    /// check of [`Self::verify`], with `aud` = the counter's id, `cnonce` = the request's nonce,
    /// the claims it asked for, and the request still live; then spend the request's nonce (one
    /// answer per request) and record the presentation.
    pub fn verify_response(
        &self,
        bytes: &[u8],
        issued: &IssuedRequest,
    ) -> Result<VerifiedPresentation, VerifyError> {
        let now = self.clock.now();
        let unrecorded = self.check_response_at(bytes, issued, now)?;
        self.record(
            request_nonce_identity(issued.nonce()),
            self.request_until(issued),
            now,
        )?;
        self.record(unrecorded.replay_identity, unrecorded.replay_until, now)?;
        Ok(unrecorded.into_verified_after_recording())
    }

    /// [`Self::verify_response`] for scanned QR text.
    pub fn verify_response_text(
        &self,
        text: &str,
        issued: &IssuedRequest,
    ) -> Result<VerifiedPresentation, VerifyError> {
        let bytes = credential::from_qr_text(text).map_err(malformed)?;
        self.verify_response(&bytes, issued)
    }

    /// [`Self::verify_response`] without the replay decisions, for a caller that keeps nonces and
    /// presentations in a shared store: it must spend the request's nonce (atomically, once) and
    /// then record [`UnrecordedPresentation::replay_identity`] before reading the claims.
    pub fn check_response_all_but_replay(
        &self,
        bytes: &[u8],
        issued: &IssuedRequest,
    ) -> Result<UnrecordedPresentation, VerifyError> {
        self.check_response_at(bytes, issued, self.clock.now())
    }

    fn check_response_at(
        &self,
        bytes: &[u8],
        issued: &IssuedRequest,
        now: UnixTime,
    ) -> Result<UnrecordedPresentation, VerifyError> {
        if now > self.request_until(issued) {
            return Err(VerifyError::RequestExpired);
        }
        let request = VerifyRequest {
            purpose: issued.purpose(),
            audience: Some(issued.counter_id().to_owned()),
            nonce: Some(issued.nonce().to_vec()),
        };
        self.check_inner(bytes, &request, now, Some(issued))
    }

    /// A request's nonce is answerable until its expiry plus the skew.
    fn request_until(&self, issued: &IssuedRequest) -> UnixTime {
        issued
            .expires()
            .saturating_add(i64::from(self.options.skew_secs))
    }

    /// Every check of docs/FORMAT.md §6 except the last, the replay decision (step 12), which
    /// is left to a caller that keeps its replay cache elsewhere (a service shared by many
    /// counters). The answer yields its claims only through
    /// [`UnrecordedPresentation::into_verified_after_recording`], which the caller must call only
    /// after an atomic check-and-insert of [`UnrecordedPresentation::replay_identity`] succeeded.
    pub fn check_all_but_replay(
        &self,
        bytes: &[u8],
        request: &VerifyRequest,
    ) -> Result<UnrecordedPresentation, VerifyError> {
        self.check_at(bytes, request, self.clock.now())
    }

    fn check_at(
        &self,
        bytes: &[u8],
        request: &VerifyRequest,
        now: UnixTime,
    ) -> Result<UnrecordedPresentation, VerifyError> {
        self.check_inner(bytes, request, now, None)
    }

    fn check_inner(
        &self,
        bytes: &[u8],
        request: &VerifyRequest,
        now: UnixTime,
        answering: Option<&IssuedRequest>,
    ) -> Result<UnrecordedPresentation, VerifyError> {
        let mut policy = self
            .policies
            .get(&request.purpose)
            .cloned()
            .unwrap_or_else(|| Policy::for_purpose(request.purpose));
        match answering {
            None if policy.requires_signed_request => return Err(VerifyError::RequestRequired),
            // Claims asked for by name are what the answer must carry.
            Some(issued) => {
                if let Some(claims) = issued.claims() {
                    policy.required_claims = claims.to_vec();
                }
            }
            None => {}
        }
        let audience = request
            .audience
            .clone()
            .unwrap_or_else(|| request.purpose.as_str().to_owned());
        let (mut checked, entry) = self.check_sd_kbt(
            bytes,
            &audience,
            request.nonce.as_deref(),
            now,
            Profile::Netid,
        )?;

        let document = match checked.purpose_credential.take() {
            Some((purpose, document)) => {
                // A one-time credential shows its own purpose's claims at that purpose's
                // counters only: its holder agreed to that use, and no other.
                if purpose != request.purpose {
                    return Err(VerifyError::PolicyUnmet(PolicyProblem::OtherPurpose(
                        purpose,
                    )));
                }
                document
            }
            None => credential::disclosed_document(&checked.claims).map_err(malformed)?,
        };
        let mut document = document;
        credential::check_claim_values(&document.claims).map_err(malformed)?;
        if !entry.doc_types.contains(&document.doc_type) {
            return Err(VerifyError::UnknownIssuer(IssuerProblem::DocTypeNotAllowed));
        }
        // FORMAT.md §4: a required `sex` or `birth_date` that is not disclosed counts as present
        // when it is read from the disclosed `id_number`, which passed its check character and
        // any disclosed `sex`/`birth_date` above. Nothing else is derived, and only what the
        // policy asks for.
        let derived: BTreeSet<ClaimName> =
            credential::derive_from_id_number(&mut document.claims, &policy.required_claims)
                .into_iter()
                .collect();
        if !policy.doc_types.contains(&document.doc_type) {
            return Err(VerifyError::PolicyUnmet(PolicyProblem::DocType));
        }
        if document.assurance_level < policy.min_assurance {
            return Err(VerifyError::PolicyUnmet(PolicyProblem::AssuranceTooLow));
        }
        if let Some(missing) = policy
            .required_claims
            .iter()
            .find(|c| !document.claims.contains_key(c))
        {
            return Err(VerifyError::PolicyUnmet(PolicyProblem::MissingClaim(
                *missing,
            )));
        }
        for c in &policy.must_be_true {
            match document.claims.get(c) {
                Some(ClaimValue::Bool(true)) => {}
                Some(_) => return Err(VerifyError::PolicyUnmet(PolicyProblem::ConditionFalse(*c))),
                None => return Err(VerifyError::PolicyUnmet(PolicyProblem::MissingClaim(*c))),
            }
        }
        let status_stale_since = self.check_status(&checked.claims, entry, now)?;
        let credential_valid_until =
            time_claim(&checked.claims, claim::EXP, "exp").map_err(malformed)?;
        let presentation = VerifiedPresentation {
            doc_type: document.doc_type,
            assurance_level: document.assurance_level,
            issuer: entry.issuer.clone(),
            claims: document.claims,
            derived,
            issued_at: checked.issued_at,
            expires: checked.expires,
            audience,
            nonce: checked
                .kbt_claims
                .get_int(claim::CNONCE)
                .and_then(Cbor::as_bytes)
                .map(<[u8]>::to_vec),
            credential_valid_until,
            status_stale_since,
        };
        Ok(UnrecordedPresentation {
            replay_identity: checked.replay_key,
            replay_until: self.replay_until(&checked),
            issued_at: checked.issued_at,
            presentation,
        })
    }

    /// Verify any SD-KBT by the draft's rules (signatures, disclosures, audience, nonce, time,
    /// replay) without netid's document profile or policies — e.g. the draft's own examples.
    pub fn verify_sd_kbt(
        &self,
        bytes: &[u8],
        audience: &str,
        nonce: Option<&[u8]>,
    ) -> Result<VerifiedSdKbt, VerifyError> {
        let now = self.clock.now();
        let (checked, _) = self.check_sd_kbt(bytes, audience, nonce, now, Profile::Draft)?;
        self.record(checked.replay_key, self.replay_until(&checked), now)?;
        Ok(checked)
    }

    /// FORMAT.md §6 step 12: an entry is kept until the presentation's effective expiry + skew.
    fn replay_until(&self, checked: &VerifiedSdKbt) -> UnixTime {
        checked
            .expires
            .saturating_add(i64::from(self.options.skew_secs))
    }

    fn record(&self, key: [u8; 32], until: UnixTime, now: UnixTime) -> Result<(), VerifyError> {
        // A poisoned lock only means another scan panicked mid-insert; the map is still sound.
        let mut cache = self
            .replay
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        cache.check_and_insert(key, until, now)
    }

    /// The options this verifier applies (a caller keeping its own replay cache needs the skew).
    pub fn options(&self) -> &VerifierOptions {
        &self.options
    }

    /// `Ok(Some(since))` when the credential is accepted on a stale list (a warning for the
    /// counter); revoked or suspended entries refuse even on a stale list, because a list that
    /// was once right about a revocation cannot have become wrong about it by ageing.
    ///
    /// The list must be signed by a key of the credential's own issuer (same issuer id on the
    /// trust list): another trusted issuer's list at the same URI (a hijacked or misconfigured
    /// status service) can neither vouch for nor revoke this credential, so it counts as no list.
    fn check_status(
        &self,
        claims: &Cbor,
        issuer: &TrustedIssuer,
        now: UnixTime,
    ) -> Result<Option<UnixTime>, VerifyError> {
        let Some(reference) = claims.get_int(claim::STATUS) else {
            return Ok(None);
        };
        let reference = status_reference(reference).map_err(malformed)?;
        let answer = match &self.status {
            Some(lookup) => {
                let foreign_signer = lookup.signer_kid(&reference.uri).is_some_and(|kid| {
                    self.trust
                        .find(&kid)
                        .is_none_or(|signer| signer.issuer != issuer.issuer)
                });
                if foreign_signer {
                    Ok(StatusAnswer::Unavailable)
                } else {
                    lookup.lookup(
                        &reference.uri,
                        reference.idx,
                        u64::try_from(now.as_secs()).unwrap_or(0),
                    )
                }
            }
            None => Ok(StatusAnswer::Unavailable),
        };
        let unavailable = || {
            if self.options.accept_unavailable_status {
                Ok(None)
            } else {
                Err(VerifyError::StatusUnavailable)
            }
        };
        match answer {
            Ok(StatusAnswer::Valid) => Ok(None),
            Ok(StatusAnswer::Revoked) => Err(VerifyError::Revoked),
            Ok(StatusAnswer::Suspended) => Err(VerifyError::Suspended),
            Ok(StatusAnswer::Stale { since, status, .. }) => match status {
                TokenStatus::Valid => {
                    let since = UnixTime::from_secs(i64::try_from(since).unwrap_or(i64::MAX));
                    if self.options.accept_stale_status {
                        Ok(Some(since))
                    } else {
                        Err(VerifyError::StatusStale { since })
                    }
                }
                TokenStatus::Revoked => Err(VerifyError::Revoked),
                TokenStatus::Suspended => Err(VerifyError::Suspended),
                // A value this profile does not define is not a "valid".
                TokenStatus::Other(_) => Err(VerifyError::StatusUnavailable),
            },
            Ok(StatusAnswer::Other(_)) => Err(VerifyError::StatusUnavailable),
            Ok(StatusAnswer::Unavailable) => unavailable(),
            // The list is there but cannot answer for this entry (e.g. index beyond its end): the
            // issuer's data is inconsistent, which is never a "valid".
            Err(_) => Err(VerifyError::StatusUnavailable),
        }
    }

    fn check_sd_kbt(
        &self,
        bytes: &[u8],
        audience: &str,
        nonce: Option<&[u8]>,
        now: UnixTime,
        profile: Profile,
    ) -> Result<(VerifiedSdKbt, &TrustedIssuer), VerifyError> {
        if bytes.len() > MAX_PRESENTATION_LEN {
            return Err(malformed(FormatError::BadHeader(
                "the presentation is too large",
            )));
        }
        // 1. The SD-KBT and the SD-CWT inside its protected kcwt header.
        let kbt = CoseSign1::from_slice(bytes).map_err(malformed)?;
        kbt.require_typ(sd_cwt::TYP_KB_CWT, "application/kb+cwt")
            .map_err(malformed)?;
        if kbt.algorithm().map_err(malformed)? != SignatureAlgorithm::Es256 {
            return Err(malformed(FormatError::UnsupportedAlgorithm));
        }
        kbt.check_headers(
            &[sd_cwt::HEADER_ALG, sd_cwt::HEADER_KCWT, sd_cwt::HEADER_TYP],
            Some(sd_cwt::HEADER_KCWT),
        )
        .map_err(malformed)?;
        let kcwt = kbt
            .protected
            .get_int(sd_cwt::HEADER_KCWT)
            .ok_or(malformed(FormatError::MissingHeader("kcwt")))?;
        let cwt = CoseSign1::from_cbor(kcwt).map_err(malformed)?;
        // netid's two credential shapes, told apart by `typ`: the selective-disclosure SD-CWT
        // (293) and the one-time purpose credential, a CWT (61) with its purpose's claims in
        // clear. The draft's own rules know only the first.
        let purpose_shape = profile == Profile::Netid
            && cwt.require_typ(purpose::TYP_CWT, "application/cwt").is_ok();
        let purpose_credential = if purpose_shape {
            cwt.check_headers(
                &[sd_cwt::HEADER_ALG, sd_cwt::HEADER_KID, sd_cwt::HEADER_TYP],
                None,
            )
            .map_err(malformed)?;
            Some(purpose::check_purpose_credential(&cwt).map_err(malformed)?)
        } else {
            cwt.check_headers(
                &[
                    sd_cwt::HEADER_ALG,
                    sd_cwt::HEADER_KID,
                    sd_cwt::HEADER_TYP,
                    sd_cwt::HEADER_SD_ALG,
                ],
                None,
            )
            .map_err(malformed)?;
            cwt.require_typ(sd_cwt::TYP_SD_CWT, "application/sd-cwt")
                .map_err(malformed)?;
            sd_cwt::require_sha256(&cwt).map_err(malformed)?;
            None
        };
        let issuer_alg = cwt.algorithm().map_err(malformed)?;

        // 2. Issuer trust and signature.
        let entry = self
            .trust
            .find(cwt.kid().map_err(malformed)?)
            .ok_or(VerifyError::UnknownIssuer(IssuerProblem::NotListed))?;
        if !entry.key.verify_with(
            self.signatures,
            issuer_alg,
            &cwt.to_be_signed(),
            &cwt.signature,
        ) {
            return Err(VerifyError::BadIssuerSignature);
        }
        let claims = cbor::decode(&cwt.payload).map_err(|e| malformed(e.into()))?;
        if claims.as_map().is_none() {
            return Err(malformed(FormatError::BadClaim(
                "the credential payload is not a map",
            )));
        }
        match claims.get_int(claim::ISS) {
            Some(Cbor::Text(iss)) if *iss == entry.issuer => {}
            Some(Cbor::Text(_)) => {
                return Err(VerifyError::UnknownIssuer(IssuerProblem::IssuerMismatch));
            }
            Some(_) => return Err(malformed(FormatError::BadClaim("iss"))),
            None => {}
        }
        sd_cwt::check_keys(&claims, purpose_credential.is_none()).map_err(malformed)?;
        let disclosures = sd_cwt::sd_claims(&cwt).map_err(malformed)?;
        if profile == Profile::Netid && purpose_credential.is_none() {
            credential::check_profile(&claims, &disclosures).map_err(malformed)?;
        }

        // 3. Holder signature with the cnf key.
        let holder = sd_cwt::holder_key(&claims).map_err(malformed)?;
        let kbt_tbs = kbt.to_be_signed();
        if !self
            .signatures
            .verify_es256(&holder.into(), &kbt_tbs, &kbt.signature)
        {
            return Err(VerifyError::BadHolderSignature);
        }

        // 4. Disclosures.
        let validated = sd_cwt::apply_disclosures(&claims, &disclosures)
            .map_err(VerifyError::DisclosureMismatch)?;
        // The draft's never-redacted claims (and netid's): a disclosure must not supply one,
        // whatever the issuer signed, since a verifier cannot trust a claim the holder could have
        // withheld.
        for (k, _) in validated.as_map().unwrap_or_default() {
            let restored = claims.get(k).is_none();
            if restored
                && k.as_i64()
                    .is_some_and(|k| credential::NEVER_REDACTED.contains(&k))
            {
                return Err(malformed(FormatError::BadClaim(
                    "a claim that is never redacted was disclosed",
                )));
            }
        }

        // 5. KBT claims: audience, nonce, presence rules.
        let kbt_claims = cbor::decode(&kbt.payload).map_err(|e| malformed(e.into()))?;
        let Some(kbt_entries) = kbt_claims.as_map() else {
            return Err(malformed(FormatError::BadClaim(
                "the presentation payload is not a map",
            )));
        };
        sd_cwt::check_keys(&kbt_claims, false).map_err(malformed)?;
        if profile == Profile::Netid && kbt_entries.iter().any(|(k, _)| k.as_i64().is_none()) {
            return Err(malformed(FormatError::BadClaim(
                "a presentation claim key is not an integer",
            )));
        }
        if kbt_claims.get_int(claim::ISS).is_some() || kbt_claims.get_int(claim::SUB).is_some() {
            return Err(malformed(FormatError::BadClaim(
                "an SD-KBT must not carry iss or sub",
            )));
        }
        match kbt_claims.get_int(claim::AUD) {
            Some(Cbor::Text(aud)) if aud == audience => {}
            Some(Cbor::Text(_)) => return Err(VerifyError::WrongAudience),
            _ => return Err(malformed(FormatError::MissingClaim("aud"))),
        }
        // The draft's step 8: the credential's own `aud`, when present, must name this verifier
        // too ("unknown claims are ignored" does not cover it).
        match validated.get_int(claim::AUD) {
            None => {}
            Some(Cbor::Text(aud)) if aud == audience => {}
            Some(Cbor::Text(_)) => return Err(VerifyError::WrongAudience),
            Some(_) => return Err(malformed(FormatError::BadClaim("aud"))),
        }
        if let Some(expected) = nonce {
            match kbt_claims.get_int(claim::CNONCE) {
                Some(Cbor::Bytes(n)) if n.as_slice() == expected => {}
                _ => return Err(VerifyError::NonceMismatch),
            }
        }

        // 6. Time: first against the clock, so the error names what the clerk can act on.
        let t = |c: &Cbor, key, name| time_claim(c, key, name).map_err(malformed);
        let (c_iat, c_nbf, c_exp) = (
            t(&claims, claim::IAT, "iat")?,
            t(&claims, claim::NBF, "nbf")?,
            t(&claims, claim::EXP, "exp")?,
        );
        let (k_iat, k_nbf, k_exp) = (
            t(&kbt_claims, claim::IAT, "iat")?,
            t(&kbt_claims, claim::NBF, "nbf")?,
            t(&kbt_claims, claim::EXP, "exp")?,
        );
        // This profile needs iat for freshness (the draft allows cti alone).
        let k_iat = k_iat.ok_or(malformed(FormatError::MissingClaim("iat")))?;
        let skew = i64::from(self.options.skew_secs);
        let late = now.saturating_add(-skew);
        let early = now.saturating_add(skew);
        // RFC 8392: `exp` is the time "on or after which" the token is refused.
        if c_exp.is_some_and(|e| e <= late) {
            return Err(VerifyError::CredentialExpired);
        }
        if c_nbf.is_some_and(|n| n > early) || k_nbf.is_some_and(|n| n > early) {
            return Err(VerifyError::NotYetValid);
        }
        if k_iat > early || c_iat.is_some_and(|i| i > early) {
            return Err(VerifyError::IssuedInFuture);
        }
        let max_age_end = k_iat.saturating_add(i64::from(self.options.max_age_secs));
        let expires = k_exp.map_or(max_age_end, |e| e.min(max_age_end));
        if expires <= late {
            return Err(VerifyError::PresentationExpired);
        }
        // The draft's consistency rules between the two tokens.
        let before = |a: Option<UnixTime>, b: Option<UnixTime>, strict: bool| match (a, b) {
            (Some(a), Some(b)) => {
                if strict {
                    a < b
                } else {
                    a <= b
                }
            }
            _ => true,
        };
        let k_iat_o = Some(k_iat);
        let consistent = before(k_nbf, k_iat_o, false)
            && before(k_iat_o, k_exp, true)
            && before(c_nbf, c_iat, false)
            && before(c_iat, c_exp, true)
            && before(c_nbf, c_exp, true)
            && before(k_exp, c_exp, false)
            && before(c_nbf, k_nbf, false)
            && before(c_iat, k_iat_o, false)
            && before(k_nbf, c_exp, true)
            && before(k_iat_o, c_exp, true)
            && before(c_nbf, k_iat_o, false);
        if !consistent {
            return Err(malformed(FormatError::BadClaim(
                "time claims contradict each other",
            )));
        }
        // 7. The issuer key must be trusted now and when the credential was issued (for a
        // purpose credential, whose `iat` is the start of its day, on that day).
        let issued_in_window = |iat: UnixTime| {
            if purpose_shape {
                entry.trusted_on_day_starting(iat)
            } else {
                entry.trusted_at(iat)
            }
        };
        if !entry.trusted_at(now) || c_iat.is_some_and(|i| !issued_in_window(i)) {
            return Err(VerifyError::UnknownIssuer(IssuerProblem::OutsideWindow));
        }

        // Replay identity: the signed content, which covers cti, iat and cnonce, and cannot be
        // changed by re-encoding the (malleable) ECDSA signature.
        let replay_key: [u8; 32] = Sha256::digest(&kbt_tbs).into();
        let checked = VerifiedSdKbt {
            issuer: TrustedIssuerId {
                issuer: entry.issuer.clone(),
                kid: entry.kid.clone(),
            },
            claims: validated,
            kbt_claims,
            issued_at: k_iat,
            expires,
            replay_key,
            purpose_credential,
        };
        Ok((checked, entry))
    }
}

/// Which rules a check applies: netid's profile (FORMAT.md) or the draft's alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Profile {
    Netid,
    Draft,
}

fn status_reference(v: &Cbor) -> Result<StatusReference, FormatError> {
    credential::status_reference_from_cbor(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifier_options_are_bounded_so_a_typo_cannot_accept_stale_codes() {
        let with = |skew_secs, max_age_secs| VerifierOptions {
            skew_secs,
            max_age_secs,
            ..VerifierOptions::default()
        };
        assert_eq!(VerifierOptions::default().check(), Ok(()));
        assert_eq!(with(0, 1).check(), Ok(()));
        assert_eq!(with(MAX_SKEW_SECS, MAX_MAX_AGE_SECS).check(), Ok(()));
        assert_eq!(
            with(MAX_SKEW_SECS + 1, 120).check(),
            Err(VerifierOptionsError::SkewTooLarge(301))
        );
        assert_eq!(
            with(30, 0).check(),
            Err(VerifierOptionsError::MaxAgeOutOfRange(0))
        );
        assert_eq!(
            with(30, MAX_MAX_AGE_SECS + 1).check(),
            Err(VerifierOptionsError::MaxAgeOutOfRange(601))
        );
        assert_eq!(
            with(86_400, 120).check().unwrap_err().to_string(),
            "the clock skew must be 0 to 300 seconds; got 86400"
        );
    }

    /// One value of every variant: the `match` has no wildcard, so a new variant does not
    /// compile until it is added here, and then its kind must be in `ALL_KINDS`.
    fn one_of_each() -> Vec<VerifyError> {
        let all = vec![
            VerifyError::Malformed(FormatError::BadClaim("x")),
            VerifyError::UnknownIssuer(crate::issuer::IssuerProblem::NotListed),
            VerifyError::BadIssuerSignature,
            VerifyError::BadHolderSignature,
            VerifyError::DisclosureMismatch(crate::credential::sd_cwt::DisclosureError::Malformed),
            VerifyError::PresentationExpired,
            VerifyError::NotYetValid,
            VerifyError::IssuedInFuture,
            VerifyError::Replayed,
            VerifyError::ReplayCacheFull,
            VerifyError::WrongAudience,
            VerifyError::NonceMismatch,
            VerifyError::PolicyUnmet(PolicyProblem::DocType),
            VerifyError::CredentialExpired,
            VerifyError::Revoked,
            VerifyError::Suspended,
            VerifyError::RequestRequired,
            VerifyError::RequestExpired,
            VerifyError::StatusUnavailable,
            VerifyError::StatusStale {
                since: UnixTime::from_secs(0),
            },
        ];
        for e in &all {
            match e {
                VerifyError::Malformed(_)
                | VerifyError::UnknownIssuer(_)
                | VerifyError::BadIssuerSignature
                | VerifyError::BadHolderSignature
                | VerifyError::DisclosureMismatch(_)
                | VerifyError::PresentationExpired
                | VerifyError::NotYetValid
                | VerifyError::IssuedInFuture
                | VerifyError::Replayed
                | VerifyError::ReplayCacheFull
                | VerifyError::WrongAudience
                | VerifyError::NonceMismatch
                | VerifyError::PolicyUnmet(_)
                | VerifyError::CredentialExpired
                | VerifyError::Revoked
                | VerifyError::Suspended
                | VerifyError::RequestRequired
                | VerifyError::RequestExpired
                | VerifyError::StatusUnavailable
                | VerifyError::StatusStale { .. } => {}
            }
        }
        all
    }

    #[test]
    fn all_kinds_lists_every_variants_kind_once() {
        let kinds: Vec<&str> = one_of_each().iter().map(VerifyError::kind).collect();
        assert_eq!(kinds, VerifyError::ALL_KINDS);
    }

    #[test]
    fn replay_cache_is_bounded_and_expires() {
        let mut c = ReplayCache::new(2);
        let t = UnixTime::from_secs;
        c.check_and_insert([1; 32], t(100), t(10)).unwrap();
        assert_eq!(
            c.check_and_insert([1; 32], t(100), t(20)),
            Err(VerifyError::Replayed)
        );
        c.check_and_insert([2; 32], t(50), t(20)).unwrap();
        assert_eq!(
            c.check_and_insert([3; 32], t(100), t(30)),
            Err(VerifyError::ReplayCacheFull)
        );
        // Once [2] has expired there is room again, and [1] is still remembered.
        c.check_and_insert([3; 32], t(100), t(60)).unwrap();
        assert_eq!(
            c.check_and_insert([1; 32], t(100), t(60)),
            Err(VerifyError::Replayed)
        );
        assert_eq!(c.len(), 2);
        // After [1] expires it may be seen again (it would fail the freshness checks anyway).
        c.check_and_insert([1; 32], t(300), t(101)).unwrap();
    }
}
