//! The wallet facade: one resident's documents behind the phone lock, the app, the biometric
//! gates and the optional PIN, with explicit locked and unlocked states.
//!
//! [`LockedWallet`] holds no secret and can do nothing but [`LockedWallet::unlock`]. Unlocking
//! asks the key wrapper, opens the PIN layer with the PIN if one is set (the PIN is a factor of the
//! data key, and the attempt is counted before it is tried), opens the encrypted store, and yields an [`UnlockedWallet`] valid until a deadline T. Every operation of an unlocked
//! wallet first checks T: once it has passed, the session (data key, open store and its derived
//! keys, the secure area and its wrapping key, the authentication session) is dropped and wiped,
//! and the call fails with [`WalletError::Locked`]. [`UnlockedWallet::lock`] does the same on
//! request. Enrolment ([`UnlockedWallet::begin_enrolment`], [`UnlockedWallet::complete_enrolment`]),
//! details, QR codes, deletion and log export each pass the policy's gate through `auth` and leave
//! an activity-log entry. An enrolment stores its document and its log entry in one transaction,
//! a deletion removes the document, its unused holder key's records and logs it in one
//! transaction; a holder key that may exist without a document (an enrolment or a deletion cut
//! short) is kept on the pending-key list (see `storage`) until
//! [`UnlockedWallet::remove_abandoned_keys`] deletes it.
//!
//! This module must never keep a decrypted claim or key beyond the call that needed it, never
//! present without a signature verified against the credential's `cnf` key, never put personal
//! data in an error or in list output, and never give the data key itself to a secure area.

mod area;
mod batch;
mod enrol;
mod error;
mod pool;
mod storage;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

pub use area::{AreaProvider, HostArea, SharedAuthenticator, SoftwareArea};
pub use batch::{
    BATCH_CONTENT_TYPE, BatchError, BatchRequest, MAX_BATCH, UnsignedBatchRequest,
    accept_purpose_batch, issue_purpose_batch, verify_batch_request,
};
pub use enrol::{
    EnrolmentChallenge, KEY_ATTESTATION, MAX_PROOF_SKEW_SECS, PROOF_CONTENT_TYPE, ProofError,
    ProvenKey, UnsignedProof, issue_for_proof, verify_proof, verify_proof_attested,
};
pub use error::{NextStep, WalletError};
pub use pool::{
    DEFAULT_PER_PURPOSE, DEFAULT_REFILL_BELOW, PendingRefill, PoolLevel, PoolPolicy, WhenPoolEmpty,
};
use storage::PendingKind;
pub use storage::SharedStore;

use crate::auth::{Action, Auth, AuthError, AuthPolicy, Gate, Pin, PinLayer, PinParams};
use crate::counter::request::REQUEST_SKEW_SECS;
use crate::counter::{REQUEST_NONCE_LEN, RequestError, VerifiedRequest};
use crate::credential::{AssuranceLevel, ClaimName, ClaimValue, Credential};
use crate::issuer::TrustList;
use crate::keystore::{DataKey, KeyWrapper};
use crate::present::{self, Presentation, PresentationRequest};
use crate::secure_area::{
    KeyAlias, KeyAttestation, KeySecurityLevel, KeyWrappingKey, PromptReason, RecordedHolderKey,
    SecureArea,
};
use crate::store::{
    ActivityEntry, ActivityKind, DocType, DocumentId, GateStore, HolderKeyId, NewActivity,
    NewDocument, SettingName, Store, StoreError, Timestamp, UnwrapSecret,
};
use crate::time::{Clock, UnixTime, Uptime};

/// How long an unlocked session lasts by default.
pub const DEFAULT_SESSION_SECS: u32 = 300;

/// The HKDF label of the software secure area's wrapping key: a subkey, never the data key.
const WRAPPING_KEY_LABEL: &[u8] = b"netid wallet: software secure area wrapping key v1";

/// Everything a wallet needs from its host, fixed when it is opened.
pub struct WalletConfig<W, P, C> {
    /// Keeps the data key at rest (OS key store, host key store).
    pub wrapper: W,
    /// Supplies the secure area holder keys live in.
    pub area: P,
    /// The clock every deadline is measured by.
    pub clock: Arc<C>,
    /// The gates, attempt limit and lockout.
    pub policy: AuthPolicy,
    /// How long an unlocked session lasts, in seconds (1 to 86 400).
    pub session_secs: u32,
    /// Argon2id cost for a new PIN.
    pub pin_params: PinParams,
    /// How many one-time purpose credentials to keep, and what to do without one.
    pub pool: PoolPolicy,
    /// Which codes need a registered counter's signed request.
    pub presentation: PresentationPolicy,
}

/// Which codes the wallet shows only in answer to a registered counter's signed request
/// (docs/FORMAT.md §13, docs/SECURITY.md "Registered counters").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PresentationPolicy {
    /// Show a `gov` code, or one disclosing every claim of the card, without a signed request.
    /// Off by default: the whole card goes only to a counter that proved who it is.
    pub allow_unrequested_full_card: bool,
}

struct Parts<W, P, C> {
    dir: PathBuf,
    config: WalletConfig<W, P, C>,
}

/// The store setting listing the counter requests this wallet answered: 16-byte nonce and 8-byte
/// big-endian expiry each, pruned as they expire. In the encrypted store, so a request is answered
/// once across restarts (the counter also refuses a second answer).
const ANSWERED_REQUESTS: &str = "counter.answered-requests";
/// At most this many answered requests are remembered (each lives at most 6 minutes).
const MAX_ANSWERED_REQUESTS: usize = 256;
const ANSWERED_ENTRY_LEN: usize = REQUEST_NONCE_LEN + 8;

fn answered_entries(value: &[u8]) -> impl Iterator<Item = (&[u8], i64)> {
    value.chunks_exact(ANSWERED_ENTRY_LEN).map(|entry| {
        let (nonce, expires) = entry.split_at(REQUEST_NONCE_LEN);
        let mut be = [0u8; 8];
        be.copy_from_slice(expires);
        (nonce, i64::from_be_bytes(be))
    })
}

/// A wallet at rest: no key, no open store, nothing to show. Only [`Self::unlock`] leads on.
pub struct LockedWallet<W, P, C> {
    parts: Arc<Parts<W, P, C>>,
}

impl<W, P, C> std::fmt::Debug for LockedWallet<W, P, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LockedWallet")
            .field("dir", &self.parts.dir)
            .finish_non_exhaustive()
    }
}

/// One unlocked session's secrets; dropping it wipes them all.
struct Session<A, C> {
    /// Boxed so the key bytes stay in one place and are wiped there, not copied by moves.
    data_key: Box<DataKey>,
    auth: Auth<Arc<GateStore>, Arc<C>>,
    gate: Arc<GateStore>,
    area: A,
    store: SharedStore,
    until: UnixTime,
    /// The session's start by clocks nobody can set: the session ends when *either* says its
    /// length has passed, so moving the wall clock back cannot keep it open.
    started: std::time::Instant,
    started_uptime: Option<Uptime>,
}

/// A wallet unlocked until a deadline. Every method checks the deadline first.
pub struct UnlockedWallet<W, P: AreaProvider, C> {
    parts: Arc<Parts<W, P, C>>,
    session: Option<Session<P::Area, C>>,
}

impl<W, P: AreaProvider, C> std::fmt::Debug for UnlockedWallet<W, P, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnlockedWallet")
            .field("dir", &self.parts.dir)
            .field("until", &self.session.as_ref().map(|s| s.until))
            .finish_non_exhaustive()
    }
}

/// A document as listed: nothing personal, only what it is and when it was added.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentSummary {
    /// Its id in this wallet.
    pub id: DocumentId,
    /// What kind of document.
    pub doc_type: crate::credential::DocType,
    /// The name the resident gave it, if any.
    pub label: Option<String>,
    /// When it was enrolled.
    pub added_at: Timestamp,
    /// Its assurance grade.
    pub assurance_level: AssuranceLevel,
}

/// A document's details, after the view-details gate was passed. Claim values and the label are
/// wiped on drop.
#[derive(Clone, PartialEq)]
pub struct DocumentDetails {
    /// What is listed about it.
    pub summary: DocumentSummary,
    /// The issuer id.
    pub issuer: String,
    /// When the credential was issued.
    pub issued_at: UnixTime,
    /// When it expires.
    pub expires: UnixTime,
    /// Every claim, in the credential's order.
    pub claims: Vec<(ClaimName, ClaimValue)>,
}

impl Drop for DocumentDetails {
    fn drop(&mut self) {
        // Each `ClaimValue` wipes itself; the label is the resident's own words.
        if let Some(label) = &mut self.summary.label {
            label.zeroize();
        }
    }
}

impl std::fmt::Debug for DocumentDetails {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocumentDetails")
            .field("summary", &self.summary)
            .field("claims", &self.claims.len())
            .finish_non_exhaustive()
    }
}

/// A presentation being shown, with what is needed to refresh it. The presentation wipes its
/// bytes (which embed the disclosed claims) on drop.
#[derive(Clone, Debug)]
pub struct ShownQr {
    /// The document presented.
    pub document: DocumentId,
    /// The request it answers (refreshes repeat it).
    pub request: PresentationRequest,
    /// The signed presentation.
    pub presentation: Presentation,
    /// Made from the full credential, not a one-time purpose credential: its issuer signature,
    /// holder key and status entry repeat in every such code, so counters comparing notes can
    /// link them. Apps must tell the resident before showing it.
    pub linkable: bool,
    /// The purpose's pool is below its refill threshold (or empty): the host should refill when
    /// it is online ([`UnlockedWallet::begin_refill`]).
    pub refill_due: bool,
    /// The registered counter whose signed request it answers (its id), if any. Such a code is
    /// answered once: refreshing it needs a new request from the counter.
    pub answers_counter: Option<String>,
}

impl ShownQr {
    /// The QR text to render, in a buffer wiped on drop (it encodes the disclosed claims).
    pub fn qr_text(&self) -> Zeroizing<String> {
        self.presentation.qr_text()
    }

    /// When the code stops being accepted.
    pub fn expires(&self) -> UnixTime {
        self.presentation.expires()
    }
}

/// An enrolment under way: the holder key exists and the proof for the issuer is ready.
#[derive(Debug)]
pub struct PendingEnrolment {
    holder_key: HolderKeyId,
    recorded: RecordedHolderKey,
    proof: Vec<u8>,
    security_level: KeySecurityLevel,
}

impl PendingEnrolment {
    /// The proof of possession to send to the issuer (it carries the key's attestation).
    pub fn proof(&self) -> &[u8] {
        &self.proof
    }

    /// Where the secure area says the new holder key lives (e.g. TEE after a StrongBox
    /// fallback): the host's claim, which only the issuer checks against the evidence.
    pub fn security_level(&self) -> KeySecurityLevel {
        self.security_level
    }
}

fn hkdf_expand(data_key: &DataKey, label: &[u8]) -> Zeroizing<[u8; 32]> {
    // HKDF-Expand (RFC 5869), one block: the data key is uniformly random, so it is a valid PRK.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(data_key.expose_secret())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(label);
    mac.update(&[1]);
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(&mac.finalize().into_bytes());
    out
}

fn timestamp(at: UnixTime) -> Timestamp {
    Timestamp::from_unix_seconds(u64::try_from(at.as_secs()).unwrap_or(0))
}

fn credential_doc_type(doc_type: &DocType) -> Result<crate::credential::DocType, WalletError> {
    crate::credential::DocType::ALL
        .into_iter()
        .find(|d| d.as_str() == doc_type.as_str())
        .ok_or(WalletError::Store(StoreError::StoreCorrupted {
            detail: "a stored document has a type this netid does not know".to_owned(),
        }))
}

impl<W: KeyWrapper, P: AreaProvider, C: Clock> LockedWallet<W, P, C> {
    /// Creates a new, empty wallet in `dir` (its data key wrapped by `config.wrapper`), locked.
    pub fn create(dir: &Path, config: WalletConfig<W, P, C>) -> Result<Self, WalletError> {
        Self::check_config(&config)?;
        Store::create(dir, &config.wrapper)?.close()?;
        Ok(Self::from_parts(dir, config))
    }

    /// The wallet in `dir`, locked. Nothing is read until [`Self::unlock`].
    pub fn open(dir: &Path, config: WalletConfig<W, P, C>) -> Result<Self, WalletError> {
        Self::check_config(&config)?;
        let path = dir.join(crate::store::FILE_NAME);
        if !path.is_file() {
            return Err(StoreError::Missing { path }.into());
        }
        Ok(Self::from_parts(dir, config))
    }

    fn check_config(config: &WalletConfig<W, P, C>) -> Result<(), WalletError> {
        if !(1..=86_400).contains(&config.session_secs) {
            return Err(WalletError::InvalidInput {
                what: "session length",
                why: "use 1 to 86 400 seconds",
            });
        }
        Ok(())
    }

    fn from_parts(dir: &Path, config: WalletConfig<W, P, C>) -> Self {
        Self {
            parts: Arc::new(Parts {
                dir: dir.to_owned(),
                config,
            }),
        }
    }

    /// The wallet's directory.
    pub fn dir(&self) -> &Path {
        &self.parts.dir
    }

    /// Unlocks the wallet until now + the session length: asks the key wrapper, and, if the
    /// wallet has a PIN, opens the PIN layer with `pin` (the attempt is reserved and counted
    /// before the PIN is derived, with escalating lockouts); then opens and verifies the store.
    /// A wrong PIN leaves the wallet locked: without the PIN the data key does not exist.
    pub fn unlock(&self, pin: Option<&Pin>) -> Result<UnlockedWallet<W, P, C>, WalletError> {
        let config = &self.parts.config;
        let mut locked = Store::open_locked(&self.parts.dir)?;
        let secret = locked.unwrap_secret(&config.wrapper)?;
        let anchors = config.wrapper.anchors();
        let gate = Arc::new(locked.gate(&secret, anchors.clone())?);
        let auth = Auth::open(
            config.policy.clone(),
            Arc::clone(&gate),
            Arc::clone(&config.clock),
        )?;
        let data_key = match locked.pin_layer()? {
            Some(layer) => {
                let pin = pin.ok_or(WalletError::PinRequired)?;
                let key = auth.attempt_pin(|| layer.open(pin, secret.expose_secret()))?;
                DataKey::from_bytes(key)
            }
            None if config.policy.require_pin => return Err(AuthError::PinNotSet.into()),
            None => DataKey::from_bytes(Zeroizing::new(*secret.expose_secret())),
        };
        drop(secret);
        let data_key = Box::new(data_key);
        let store = SharedStore::new(locked.unlock(&data_key, anchors)?);
        // Failures counted while the log could not be opened (wrong PINs) are logged now.
        let now = config.clock.now();
        let (failures, lockouts) = auth.take_unlogged()?;
        for kind in std::iter::repeat_n(ActivityKind::FailedAuthentication, failures as usize)
            .chain(std::iter::repeat_n(
                ActivityKind::Lockout,
                lockouts as usize,
            ))
            .take(64)
        {
            log_auth_entry(&store, kind, now);
        }
        let wrapping_key = KeyWrappingKey::new(hkdf_expand(&data_key, WRAPPING_KEY_LABEL));
        let area = config.area.open(wrapping_key, store.clone());
        let until = now.saturating_add(i64::from(config.session_secs));
        Ok(UnlockedWallet {
            parts: Arc::clone(&self.parts),
            session: Some(Session {
                data_key,
                auth,
                gate,
                area,
                store,
                until,
                started: std::time::Instant::now(),
                started_uptime: config.clock.uptime(),
            }),
        })
    }

    /// Whether attempts are locked out (and for how long), without unlocking: a lock screen can
    /// show it before asking for a PIN. Counts nothing.
    pub fn lock_status(&self) -> Result<crate::auth::LockStatus, WalletError> {
        let config = &self.parts.config;
        let mut locked = Store::open_locked(&self.parts.dir)?;
        let secret = locked.unwrap_secret(&config.wrapper)?;
        let gate = Arc::new(locked.gate(&secret, config.wrapper.anchors())?);
        let auth = Auth::open(config.policy.clone(), gate, Arc::clone(&config.clock))?;
        Ok(auth.lock_status()?)
    }

    /// Whether the wallet has a PIN (readable without unlocking).
    pub fn has_pin(&self) -> Result<bool, WalletError> {
        Ok(Store::open_locked(&self.parts.dir)?.pin_layer()?.is_some())
    }
}

fn log_auth_entry(store: &SharedStore, kind: ActivityKind, now: UnixTime) {
    let _ = store.lock().append_activity(&NewActivity {
        at: timestamp(now),
        kind,
        document: None,
        detail: String::new(),
    });
}

/// Appends the failed-authentication (or lockout) entry for `error`, if it is one. Logging is
/// best effort: the failure itself is already counted and is what the caller must see.
fn log_auth_failure(store: &SharedStore, error: &AuthError, now: UnixTime) {
    let kind = match error {
        AuthError::Failed { .. } | AuthError::WrongPin { .. } => ActivityKind::FailedAuthentication,
        AuthError::LockedOut { .. } => ActivityKind::Lockout,
        _ => return,
    };
    let _ = store.lock().append_activity(&NewActivity {
        at: timestamp(now),
        kind,
        document: None,
        detail: String::new(),
    });
}

impl<W: KeyWrapper, P: AreaProvider, C: Clock> UnlockedWallet<W, P, C> {
    /// The live session, or [`WalletError::Locked`] after wiping it if its deadline has passed.
    fn session(&mut self) -> Result<&Session<P::Area, C>, WalletError> {
        let clock = &self.parts.config.clock;
        let length = u64::from(self.parts.config.session_secs);
        let (now, uptime) = (clock.now(), clock.uptime());
        let expired = self.session.as_ref().is_some_and(|s| {
            now >= s.until
                || s.started.elapsed().as_secs() >= length
                || matches!((uptime, s.started_uptime), (Some(u), Some(start)) if u.secs_since(&start) >= length)
        });
        if expired {
            self.end_session();
        }
        self.session.as_ref().ok_or(WalletError::Locked)
    }

    fn end_session(&mut self) {
        if let Some(session) = self.session.take() {
            session.auth.end_session();
            drop(session);
        }
    }

    /// Whether the session is still open (and wipes it if its deadline has passed).
    pub fn is_unlocked(&mut self) -> bool {
        self.session().is_ok()
    }

    /// When the session ends, if it has not.
    pub fn unlocked_until(&mut self) -> Option<UnixTime> {
        self.session().ok().map(|s| s.until)
    }

    /// Locks the wallet now: the data key, the open store, the secure area's wrapping key and
    /// the authentication session are dropped and wiped.
    pub fn lock(mut self) -> LockedWallet<W, P, C> {
        self.end_session();
        LockedWallet {
            parts: Arc::clone(&self.parts),
        }
    }

    fn now(&self) -> UnixTime {
        self.parts.config.clock.now()
    }

    fn log(
        &mut self,
        kind: ActivityKind,
        document: Option<DocumentId>,
        detail: String,
    ) -> Result<(), WalletError> {
        let at = timestamp(self.now());
        self.session()?.store.lock().append_activity(&NewActivity {
            at,
            kind,
            document,
            detail,
        })?;
        Ok(())
    }

    /// Maps an authentication failure, logging it first.
    fn auth_failed(&mut self, error: AuthError) -> WalletError {
        let now = self.now();
        if let Ok(session) = self.session() {
            log_auth_failure(&session.store, &error, now);
        }
        error.into()
    }

    /// Sets the first wallet PIN: from now on the data key is sealed under it (see
    /// [`PinLayer`]) and every unlock needs it. [`AuthError::PinAlreadySet`] if there is one.
    pub fn set_pin(&mut self, pin: &Pin) -> Result<(), WalletError> {
        if self.pin_layer()?.is_some() {
            return Err(AuthError::PinAlreadySet.into());
        }
        self.rewrap(Some(pin))
    }

    /// Replaces the PIN after checking the current one (counted like a wrong PIN at unlock).
    pub fn change_pin(&mut self, current: &Pin, new: &Pin) -> Result<(), WalletError> {
        self.check_pin(current)?;
        self.rewrap(Some(new))
    }

    /// Removes the PIN after checking it (counted): the key wrapper alone opens the wallet again.
    pub fn remove_pin(&mut self, current: &Pin) -> Result<(), WalletError> {
        self.check_pin(current)?;
        self.rewrap(None)
    }

    /// Whether the wallet has a PIN.
    pub fn has_pin(&mut self) -> Result<bool, WalletError> {
        Ok(self.pin_layer()?.is_some())
    }

    fn pin_layer(&mut self) -> Result<Option<PinLayer>, WalletError> {
        self.session()?;
        Ok(Store::open_locked(&self.parts.dir)?.pin_layer()?)
    }

    /// Checks `pin` against the PIN layer as an unlock would (reserved and counted).
    fn check_pin(&mut self, pin: &Pin) -> Result<(), WalletError> {
        let layer = self.pin_layer()?.ok_or(AuthError::PinNotSet)?;
        let mut locked = Store::open_locked(&self.parts.dir)?;
        let secret = locked.unwrap_secret(&self.parts.config.wrapper)?;
        let session = self.session()?;
        let opened = session
            .auth
            .attempt_pin(|| layer.open(pin, secret.expose_secret()));
        match opened {
            Ok(_) => Ok(()),
            Err(error) => Err(self.auth_failed(error)),
        }
    }

    /// Keeps the data key under a new arrangement: with `pin`, a fresh unwrap secret wrapped by
    /// the key wrapper and the data key sealed under the PIN and that secret; without, the data
    /// key wrapped directly. All of it (wrapped key, PIN layer, re-sealed attempt state) commits
    /// in one transaction; the old key-store entry is forgotten only after that.
    fn rewrap(&mut self, pin: Option<&Pin>) -> Result<(), WalletError> {
        let parts = Arc::clone(&self.parts);
        let wrapper = &parts.config.wrapper;
        let session = self.session()?;
        let (secret, layer) = match pin {
            Some(pin) => {
                let secret = UnwrapSecret::generate()?;
                let layer = PinLayer::seal(
                    pin,
                    secret.expose_secret(),
                    session.data_key.expose_secret(),
                    parts.config.pin_params,
                )
                .map_err(AuthError::from)?;
                (secret, Some(layer))
            }
            None => (UnwrapSecret::from_data_key(&session.data_key), None),
        };
        let wrapped = wrapper
            .wrap(&DataKey::from_bytes(Zeroizing::new(
                *secret.expose_secret(),
            )))
            .map_err(StoreError::from)?;
        let mut store = session.store.lock();
        let old = store.wrapped_key()?;
        if let Err(error) =
            store.replace_key_material(&wrapped, layer.as_ref(), &session.gate, &secret)
        {
            let _ = wrapper.forget(&wrapped);
            return Err(error.into());
        }
        drop(store);
        // Best effort: the new arrangement is committed; a key-store entry left behind opens only
        // an old copy of the file. A wrapper with one key per wallet keeps it (forgetting would
        // also lose the new wrapped key).
        if wrapper.one_entry_per_wrap() {
            let _ = wrapper.forget(&old);
        }
        Ok(())
    }

    /// Whether user authentication is currently locked out, and for how long.
    pub fn lock_status(&mut self) -> Result<crate::auth::LockStatus, WalletError> {
        Ok(self.session()?.auth.lock_status()?)
    }

    // ----- enrolment -----

    /// First half of an enrolment: creates a holder key in the secure area (with the policy's
    /// strictest gate bound into it) and signs the issuer's challenge with it, which also proves
    /// the key the secure area reported is the key it signs with.
    ///
    /// The key's alias is put on the pending-key list before the key is created, and comes off
    /// it only in the transaction that stores the document ([`Self::complete_enrolment`]), so a
    /// process that dies in between leaves a key the next sweep
    /// ([`Self::remove_abandoned_keys`], run first here) deletes.
    pub async fn begin_enrolment(
        &mut self,
        challenge: &EnrolmentChallenge,
    ) -> Result<PendingEnrolment, WalletError> {
        // Best effort: a key the secure area cannot delete now must not block enrolling; it
        // stays listed for the next sweep.
        let _ = self.remove_abandoned_keys().await;
        let now = self.now();
        // The issuer's nonce is the attestation challenge too: the platform's evidence then
        // answers this enrolment and no other.
        let (id, recorded, attestation) = self.create_holder_key(challenge.nonce()).await?;
        let made = async {
            let holder_public = p256::PublicKey::from(recorded.public_key().as_verifying_key());
            let unsigned = UnsignedProof::new(challenge, &holder_public, &attestation, now)?;
            let session = self.session()?;
            let prompt = session.auth.prompt(PromptReason::Enrolment, false);
            let signature = recorded
                .sign_with(&session.area, unsigned.to_be_signed(), prompt)
                .await?;
            Ok::<_, WalletError>(unsigned.finish(signature.to_raw_bytes())?)
        }
        .await;
        match made {
            Ok(proof) => Ok(PendingEnrolment {
                holder_key: id,
                recorded,
                proof,
                security_level: attestation.level,
            }),
            Err(error) => {
                // A key that never proved itself is of no use: remove it. If this fails too, the
                // pending entry stays and a later sweep retries.
                if let Ok(session) = self.session()
                    && let Ok(()) | Err(crate::secure_area::SecureAreaError::KeyNotFound) =
                        session.area.delete_key(recorded.alias()).await
                {
                    let _ = session.store.forget_abandoned(recorded.alias());
                }
                Err(error)
            }
        }
    }

    /// Creates a holder key in the secure area with the policy's strictest gate bound into it,
    /// and records it. Its alias goes on the pending-key list (`Enrolling`) first and stays there
    /// until the transaction that stores what the key is for takes it off, so a process that dies
    /// in between leaves a key the next sweep deletes. A key that could not be recorded is
    /// deleted again. `challenge` is the attestation challenge (empty: none wanted); the key's
    /// attestation is returned as the secure area reported it.
    async fn create_holder_key(
        &mut self,
        challenge: &[u8],
    ) -> Result<(HolderKeyId, RecordedHolderKey, KeyAttestation), WalletError> {
        let key_policy = self.parts.config.policy.holder_key_policy();
        let device_credential = self.parts.config.policy.device_credential.any();
        let now = self.now();
        let kind = self.parts.config.area.kind();
        let mut alias_bytes = [0u8; 16];
        crate::keystore::fill_random(&mut alias_bytes).map_err(StoreError::from)?;
        let alias = KeyAlias::new(&format!("netid-holder-{}", hex::encode(alias_bytes)))?;
        let session = self.session()?;
        session.store.mark_pending(&alias, PendingKind::Enrolling)?;
        let made = async {
            let (recorded, attestation) = RecordedHolderKey::create_attested(
                &session.area,
                alias.clone(),
                key_policy,
                challenge,
                device_credential,
            )
            .await?;
            let id = match kind {
                crate::store::SecureAreaKind::Software => {
                    // The software area recorded the key and its alias mapping in one
                    // transaction; its policy follows in a second (the pending entry covers a
                    // crash between them).
                    let id = session
                        .store
                        .holder_key_id(&alias)?
                        .ok_or(WalletError::HolderKeyMissing)?;
                    session.store.save_recorded_key(id, &recorded)?;
                    id
                }
                _ => session.store.record_host_key(&recorded, timestamp(now))?,
            };
            Ok::<_, WalletError>((id, recorded, attestation))
        }
        .await;
        if made.is_err()
            && let Ok(()) | Err(crate::secure_area::SecureAreaError::KeyNotFound) =
                session.area.delete_key(&alias).await
        {
            let _ = session.store.forget_abandoned(&alias);
        }
        made
    }

    /// Deletes the holder keys a crash (or a failure) left on the pending-key list: keys whose
    /// enrolment died with an earlier process before its document was stored, and keys whose
    /// document was deleted before the secure area deleted them. Each goes from the secure area
    /// first, then from the store, so an interruption leaves it listed for the next sweep.
    /// Enrolments this process has under way are left alone. Logs nothing. Runs at the start of
    /// every enrolment; hosts may also call it after unlocking.
    pub async fn remove_abandoned_keys(&mut self) -> Result<(), WalletError> {
        let session = self.session()?;
        // One key the secure area refuses to delete must not keep the others: it stays listed,
        // the rest go, and the first refusal is reported.
        let mut refused = None;
        for entry in session.store.abandoned_keys()? {
            // A listed key should never have a document; if one does, keep the key.
            if !session.store.alias_in_use(&entry.alias)? {
                match session.area.delete_key(&entry.alias).await {
                    Ok(()) | Err(crate::secure_area::SecureAreaError::KeyNotFound) => {}
                    Err(other) => {
                        refused.get_or_insert(other);
                        continue;
                    }
                }
            }
            session.store.forget_abandoned(&entry.alias)?;
        }
        refused.map_or(Ok(()), |error| Err(error.into()))
    }

    /// Second half: accepts the issued credential only if it parses, passes the trust list at
    /// `now`, and is bound (`cnf`) to this enrolment's holder key; then stores it and logs it.
    /// On refusal the new holder key is deleted.
    pub async fn complete_enrolment(
        &mut self,
        pending: PendingEnrolment,
        credential: &[u8],
        trust: &TrustList,
        label: Option<String>,
    ) -> Result<DocumentSummary, WalletError> {
        let now = self.now();
        let accepted = (|| {
            let parsed = Credential::from_bytes(credential)?;
            trust.check_credential(&parsed, now)?;
            let bound = p256::PublicKey::from(pending.recorded.public_key().as_verifying_key());
            if *parsed.holder_key() != bound {
                return Err(WalletError::NotBoundToHolderKey);
            }
            Ok(parsed)
        })();
        let parsed = match accepted {
            Ok(parsed) => parsed,
            Err(error) => {
                if let Ok(session) = self.session() {
                    let alias = pending.recorded.alias();
                    let _ = session.area.delete_key(alias).await;
                    let _ = session.store.forget_holder_key(pending.holder_key, alias);
                }
                return Err(error);
            }
        };
        let doc_type = DocType::new(parsed.doc_type().as_str())?;
        let document = NewDocument {
            doc_type,
            credential: Zeroizing::new(credential.to_vec()),
            assurance_level: Some(parsed.assurance_level()),
            label: label.clone(),
            added_at: timestamp(now),
            holder_key: Some(pending.holder_key),
        };
        let entry = NewActivity {
            at: timestamp(now),
            kind: ActivityKind::Enrolment,
            document: None,
            detail: parsed.doc_type().as_str().to_owned(),
        };
        let alias = pending.recorded.alias();
        // The document, its log entry and the key's removal from the pending-key list commit
        // together: after a crash there is either all three or none (and the key is swept).
        let id = self.session()?.store.lock().write(|w| {
            let id = w.put_document(&document)?;
            w.append_activity(&NewActivity {
                document: Some(id),
                ..entry
            })?;
            storage::unmark_pending_in(w, alias)?;
            Ok(id)
        })?;
        Ok(DocumentSummary {
            id,
            doc_type: parsed.doc_type(),
            label,
            added_at: timestamp(now),
            assurance_level: parsed.assurance_level(),
        })
    }

    // ----- documents -----

    /// Every document, oldest first; no personal data. Type and assurance level come from the
    /// sealed record, so listing never parses a credential (which would decode every claim),
    /// except once for a record written before the level was kept there: that one is parsed and
    /// rewritten with its level (best effort: if the rewrite fails, the next listing tries again).
    pub fn documents(&mut self) -> Result<Vec<DocumentSummary>, WalletError> {
        let documents = self.session()?.store.lock().documents()?;
        let mut summaries = Vec::with_capacity(documents.len());
        for document in documents {
            let assurance_level = match document.assurance_level {
                Some(level) => level,
                None => self.upgrade_document_record(document.id, &document)?,
            };
            summaries.push(DocumentSummary {
                id: document.id,
                doc_type: credential_doc_type(&document.doc_type)?,
                label: document.label.clone(),
                added_at: document.added_at,
                assurance_level,
            });
        }
        Ok(summaries)
    }

    /// The one-time fallback for a document record written without its assurance level: reads the
    /// level from the credential and stores it in the record.
    fn upgrade_document_record(
        &mut self,
        id: DocumentId,
        document: &crate::store::Document,
    ) -> Result<AssuranceLevel, WalletError> {
        let level = Credential::from_bytes(&document.credential)
            .map_err(WalletError::StoredCredentialUnreadable)?
            .assurance_level();
        let upgraded = NewDocument {
            doc_type: document.doc_type.clone(),
            credential: document.credential.clone(),
            assurance_level: Some(level),
            label: document.label.clone(),
            added_at: document.added_at,
            holder_key: document.holder_key,
        };
        let _ = self.session()?.store.lock().update_document(id, &upgraded);
        Ok(level)
    }

    /// The stored document, its parsed credential and its holder key.
    fn load_document(
        &mut self,
        id: DocumentId,
    ) -> Result<(DocumentSummary, Credential, RecordedHolderKey), WalletError> {
        let session = self.session()?;
        let document = match session.store.lock().document(id) {
            Ok(document) => document,
            Err(StoreError::NotFound { .. }) => return Err(WalletError::NoSuchDocument),
            Err(other) => return Err(other.into()),
        };
        let credential = Credential::from_bytes(&document.credential)
            .map_err(WalletError::StoredCredentialUnreadable)?;
        let holder = document.holder_key.ok_or(WalletError::HolderKeyMissing)?;
        let recorded = session
            .store
            .recorded_key(holder)?
            .ok_or(WalletError::HolderKeyMissing)?;
        let summary = DocumentSummary {
            id,
            doc_type: credential_doc_type(&document.doc_type)?,
            label: document.label.clone(),
            added_at: document.added_at,
            assurance_level: credential.assurance_level(),
        };
        Ok((summary, credential, recorded))
    }

    async fn authorize(
        &mut self,
        action: Action,
        key: &RecordedHolderKey,
    ) -> Result<(), WalletError> {
        let session = self.session()?;
        let outcome = session.auth.authorize(action, &session.area, key).await;
        match outcome {
            Ok(_) => Ok(()),
            Err(error) => Err(self.auth_failed(error)),
        }
    }

    /// Passes `action`'s gate with `key`, or, when that key was permanently invalidated
    /// (biometrics re-enrolled), with the holder key of another document, newest first: a
    /// signature the core verified from any of the resident's holder keys is the same proven
    /// authentication. So a document whose key died can still be deleted (after the resident
    /// enrolled it again) and the log exported, while nothing is authorised without a prompt.
    async fn authorize_with_any_key(
        &mut self,
        action: Action,
        key: &RecordedHolderKey,
    ) -> Result<(), WalletError> {
        let first = self.authorize(action, key).await;
        if !matches!(
            first,
            Err(WalletError::Auth(AuthError::HolderKeyInvalidated))
        ) {
            return first;
        }
        let session = self.session()?;
        let documents = session.store.lock().documents()?;
        let mut tried = vec![key.alias().clone()];
        for holder in documents.iter().rev().filter_map(|d| d.holder_key) {
            let Some(other) = self.session()?.store.recorded_key(holder)? else {
                continue;
            };
            if tried.contains(other.alias()) {
                continue;
            }
            tried.push(other.alias().clone());
            match self.authorize(action, &other).await {
                Err(WalletError::Auth(AuthError::HolderKeyInvalidated)) => {}
                outcome => return outcome,
            }
        }
        first
    }

    /// A document's claims, after the view-details gate.
    pub async fn document_details(
        &mut self,
        id: DocumentId,
    ) -> Result<DocumentDetails, WalletError> {
        let (summary, credential, key) = self.load_document(id)?;
        self.authorize(Action::ViewDetails, &key).await?;
        self.log(ActivityKind::DetailsViewed, Some(id), String::new())?;
        Ok(DocumentDetails {
            summary,
            issuer: credential.issuer().to_owned(),
            issued_at: credential.issued_at(),
            expires: credential.expires(),
            claims: credential
                .disclosures()
                .iter()
                .map(|d| (d.claim(), d.value().clone()))
                .collect(),
        })
    }

    /// A presentation QR for `request`, checked against the signing key before it is returned.
    ///
    /// For a purpose, the code is made from the next one-time purpose credential in the
    /// document's pool (FORMAT.md §12), signed by that credential's own key; the credential
    /// leaves the pool in the transaction that logs the code, before the code is returned, so it
    /// is never offered twice. With none left (or for hand-picked claims), the policy's
    /// [`WhenPoolEmpty`] decides: the full credential, signed by the document's holder key and
    /// marked [`ShownQr::linkable`], or [`WalletError::PoolEmpty`]. Either signature is the
    /// show-QR authentication.
    pub async fn show_qr(
        &mut self,
        id: DocumentId,
        request: &PresentationRequest,
    ) -> Result<ShownQr, WalletError> {
        self.present(id, request, None).await
    }

    /// Checks a scanned counter request (docs/FORMAT.md §13): the counter's certificate under a
    /// registrar key of `trust`, both signatures, both validity windows, and that it asks only for
    /// what its certificate allows; refuses a request this wallet already answered. The result is
    /// what the consent screen shows; nothing is signed or logged yet.
    pub fn parse_request(
        &mut self,
        text: &str,
        trust: &TrustList,
    ) -> Result<VerifiedRequest, WalletError> {
        self.session()?;
        let now = self.now();
        let request = crate::counter::verify_request(text, trust.registrars(), now)?;
        if self.already_answered(request.nonce(), now)? {
            return Err(RequestError::Replayed.into());
        }
        Ok(request)
    }

    /// Answers a verified counter request with document `id`, after the resident consented: the
    /// claims it asks for, bound to the counter's id (`aud`) and its nonce (`cnonce`), through the
    /// show-QR gate. A one-time credential is used when the request asks for its purpose's set.
    /// The log entry names the counter as registered.
    pub async fn show_qr_for_request(
        &mut self,
        id: DocumentId,
        request: &VerifiedRequest,
    ) -> Result<ShownQr, WalletError> {
        self.session()?;
        let now = self.now();
        if !request.live_at(now) {
            return Err(RequestError::RequestExpired.into());
        }
        if self.already_answered(request.nonce(), now)? {
            return Err(RequestError::Replayed.into());
        }
        let presentation = PresentationRequest {
            disclose: match request.claims_by_name() {
                Some(claims) => present::Disclose::Claims(claims.to_vec()),
                None => present::Disclose::Purpose(request.purpose()),
            },
            audience: Some(request.counter_id().to_owned()),
            nonce: Some(request.nonce().to_vec()),
            lifetime_secs: present::DEFAULT_LIFETIME_SECS,
        };
        let shown = self.present(id, &presentation, Some(request)).await?;
        self.record_answered(request, now)?;
        Ok(shown)
    }

    fn already_answered(
        &mut self,
        nonce: &[u8; REQUEST_NONCE_LEN],
        now: UnixTime,
    ) -> Result<bool, WalletError> {
        let name = SettingName::new(ANSWERED_REQUESTS)?;
        let value = self.session()?.store.lock().setting(&name)?;
        Ok(value.is_some_and(|value| {
            answered_entries(&value).any(|(n, expires)| {
                n == nonce && now.as_secs() <= expires.saturating_add(REQUEST_SKEW_SECS)
            })
        }))
    }

    /// Remembers `request` as answered, forgetting those long expired.
    fn record_answered(
        &mut self,
        request: &VerifiedRequest,
        now: UnixTime,
    ) -> Result<(), WalletError> {
        let name = SettingName::new(ANSWERED_REQUESTS)?;
        self.session()?.store.lock().write(|w| {
            let old = w.setting(&name)?.unwrap_or_default();
            let mut kept: Vec<u8> = answered_entries(&old)
                .filter(|(_, expires)| now.as_secs() <= expires.saturating_add(REQUEST_SKEW_SECS))
                .flat_map(|(n, e)| n.iter().copied().chain(e.to_be_bytes()))
                .collect();
            kept.extend_from_slice(request.nonce());
            kept.extend_from_slice(&request.expires().as_secs().to_be_bytes());
            let excess = kept
                .len()
                .saturating_sub(MAX_ANSWERED_REQUESTS * ANSWERED_ENTRY_LEN);
            w.set_setting(&name, &kept[excess..])
        })?;
        Ok(())
    }

    /// Whether `request` would show the whole card: `gov`, or every claim the credential has.
    fn is_full_card(request: &PresentationRequest, credential: &Credential) -> bool {
        match &request.disclose {
            present::Disclose::Purpose(purpose) => {
                *purpose == crate::credential::Purpose::GovernmentService
            }
            present::Disclose::Claims(claims) => credential
                .disclosures()
                .iter()
                .all(|d| claims.contains(&d.claim())),
        }
    }

    async fn present(
        &mut self,
        id: DocumentId,
        request: &PresentationRequest,
        counter: Option<&VerifiedRequest>,
    ) -> Result<ShownQr, WalletError> {
        let (_, credential, key) = self.load_document(id)?;
        if counter.is_none()
            && !self.parts.config.presentation.allow_unrequested_full_card
            && Self::is_full_card(request, &credential)
        {
            return Err(WalletError::RequestRequired);
        }
        let mut level = None;
        if let present::Disclose::Purpose(purpose) = request.disclose {
            if let Some(one_time) = self.next_from_pool(id, purpose)? {
                return self
                    .show_one_time(id, &credential, request, one_time, counter)
                    .await;
            }
            level = self
                .levels_of(id, &credential)?
                .into_iter()
                .find(|level| level.purpose == purpose);
            if level.is_some() && self.parts.config.pool.when_empty == WhenPoolEmpty::Refuse {
                return Err(WalletError::PoolEmpty(purpose));
            }
        }
        let holder_public = p256::PublicKey::from(key.public_key().as_verifying_key());
        let clock: &dyn Clock = &*self.parts.config.clock;
        let unsigned = present::prepare(&credential, request, &holder_public, clock)?;
        let whole_card = Self::is_full_card(request, &credential);
        let presentation = self.sign_presentation(&key, unsigned, whole_card).await?;
        let detail = receipt(counter, request, presentation.disclosed(), false);
        self.log(ActivityKind::Presentation, Some(id), detail)?;
        Ok(ShownQr {
            document: id,
            request: request.clone(),
            presentation,
            linkable: true,
            // The pool is empty here: due whenever the document serves the purpose at all.
            refill_due: level.is_some(),
            answers_counter: counter.map(|c| c.counter_id().to_owned()),
        })
    }

    /// Signs a laid-out presentation with `key` through the show-QR gate (the signature is the
    /// authentication) and checks it against the key before it becomes a presentation. A
    /// `whole_card` presentation (`gov`) may use the device-passcode fallback only if the policy
    /// says the issuer allows it.
    async fn sign_presentation(
        &mut self,
        key: &RecordedHolderKey,
        unsigned: present::UnsignedPresentation,
        whole_card: bool,
    ) -> Result<Presentation, WalletError> {
        let session = self.session()?;
        let signed = session
            .auth
            .sign_presentation(&session.area, key, unsigned.to_be_signed(), whole_card)
            .await;
        match signed {
            Ok(signature) => Ok(unsigned.finish(&signature.to_raw_bytes())?),
            Err(error) => Err(self.auth_failed(error)),
        }
    }

    /// A code from one pool credential: signed by its key through the show-QR gate, then spent
    /// and logged in one transaction, and only then returned; its key is deleted after.
    async fn show_one_time(
        &mut self,
        id: DocumentId,
        full: &Credential,
        request: &PresentationRequest,
        (credential, holder, key): (
            crate::credential::purpose::PurposeCredential,
            HolderKeyId,
            RecordedHolderKey,
        ),
        counter: Option<&VerifiedRequest>,
    ) -> Result<ShownQr, WalletError> {
        let holder_public = p256::PublicKey::from(key.public_key().as_verifying_key());
        let clock: &dyn Clock = &*self.parts.config.clock;
        let unsigned = present::prepare_purpose(&credential, request, &holder_public, clock)?;
        let whole_card = Self::is_full_card(request, full);
        let presentation = self.sign_presentation(&key, unsigned, whole_card).await?;
        let at = timestamp(self.now());
        let detail = receipt(counter, request, presentation.disclosed(), true);
        let session = self.session()?;
        session.store.lock().write(|w| {
            Self::spend_in(w, id, holder, &key)?;
            w.append_activity(&NewActivity {
                at,
                kind: ActivityKind::Presentation,
                document: Some(id),
                detail,
            })?;
            Ok(())
        })?;
        pool::delete_listed_keys(session, std::slice::from_ref(key.alias())).await;
        let refill_due = self
            .levels_of(id, full)?
            .iter()
            .any(|level| level.purpose == credential.purpose() && level.refill_due);
        Ok(ShownQr {
            document: id,
            request: request.clone(),
            presentation,
            linkable: false,
            refill_due,
            answers_counter: counter.map(|c| c.counter_id().to_owned()),
        })
    }

    /// Keeps a shown QR current: returns it unchanged while more than `min_remaining_secs`
    /// remain, otherwise presents again (through the show-QR gate) with the same request.
    pub async fn refresh_qr(
        &mut self,
        shown: ShownQr,
        min_remaining_secs: u32,
    ) -> Result<ShownQr, WalletError> {
        self.session()?;
        let remaining = shown
            .expires()
            .as_secs()
            .saturating_sub(self.now().as_secs());
        if remaining > i64::from(min_remaining_secs) {
            return Ok(shown);
        }
        if shown.answers_counter.is_some() {
            // Its nonce is spent: the counter would refuse a second answer.
            return Err(RequestError::Replayed.into());
        }
        self.show_qr(shown.document, &shown.request).await
    }

    /// Deletes a document after the delete gate, with its pool of one-time credentials and their
    /// keys, and its holder key if no other document uses it. The gate is passed with the
    /// document's own key, or, if that key was invalidated, with another document's (so the
    /// dead document of a re-enrolled resident can be removed).
    /// The document, the key's records and the log entry go in one transaction; a host secure
    /// area's copy of the key is deleted after it, and stays listed for
    /// [`Self::remove_abandoned_keys`] if that fails or is cut short.
    pub async fn delete_document(&mut self, id: DocumentId) -> Result<(), WalletError> {
        let (summary, _, key) = self.load_document(id)?;
        self.authorize_with_any_key(Action::DeleteDocument, &key)
            .await?;
        let at = timestamp(self.now());
        let session = self.session()?;
        let holder = session.store.lock().document(id)?.holder_key;
        let still_used = session
            .store
            .lock()
            .documents()?
            .iter()
            .any(|d| d.id != id && d.holder_key == holder);
        let unused_key = holder.filter(|_| !still_used);
        let alias = key.alias();
        // One transaction: the document, the key's records (for a software key, the key itself:
        // its sealed private key is in the record), the log entry, and, for the secure area's
        // copy, a `Deleting` entry on the pending-key list.
        let pool_keys = session.store.lock().write(|w| {
            let pool_keys = pool::drop_pool_in(w, id)?;
            w.delete_document(id)?;
            if let Some(holder) = unused_key {
                SharedStore::forget_holder_key_in(w, holder, alias)?;
                storage::mark_pending_in(w, alias, PendingKind::Deleting)?;
            }
            w.append_activity(&NewActivity {
                at,
                kind: ActivityKind::Deletion,
                document: Some(id),
                detail: summary.doc_type.as_str().to_owned(),
            })?;
            Ok(pool_keys)
        })?;
        pool::delete_listed_keys(session, &pool_keys).await;
        if unused_key.is_some() {
            // The document is deleted whatever happens here: if the secure area cannot delete
            // the key now (or the process dies), the `Deleting` entry stays and the next sweep
            // deletes it.
            if let Ok(()) | Err(crate::secure_area::SecureAreaError::KeyNotFound) =
                session.area.delete_key(alias).await
            {
                session.store.unmark_pending(alias)?;
            }
        }
        Ok(())
    }

    /// The newest `limit` activity entries, newest first, after the export gate (passed with the
    /// oldest holder key; [`WalletError::NothingEnrolled`] if there is none and the gate needs
    /// one).
    pub async fn export_activity(
        &mut self,
        limit: usize,
    ) -> Result<Vec<ActivityEntry>, WalletError> {
        if self.parts.config.policy.gate(Action::ExportLog) != Gate::None {
            let session = self.session()?;
            let first = session.store.lock().holder_keys()?.into_iter().next();
            let key = match first {
                Some(record) => session.store.recorded_key(record.id)?,
                None => None,
            }
            .ok_or(WalletError::NothingEnrolled)?;
            self.authorize_with_any_key(Action::ExportLog, &key).await?;
        }
        self.log(ActivityKind::LogExported, None, String::new())?;
        Ok(self.session()?.store.lock().activity(limit)?)
    }

    /// Deletes the wallet: every holder key in the secure area, the store's files, and the
    /// wrapped data key in the key store ([`KeyWrapper::forget`]). Consumes the wallet; the
    /// activity log goes with the store, so no entry outlives it.
    pub async fn wipe(mut self) -> Result<(), WalletError> {
        let session = self.session.take().ok_or(WalletError::Locked)?;
        let now = self.now();
        if now >= session.until {
            drop(session);
            return Err(WalletError::Locked);
        }
        let records = session.store.lock().holder_keys()?;
        for record in records {
            if let Some(key) = session.store.recorded_key(record.id)? {
                match session.area.delete_key(key.alias()).await {
                    Ok(()) | Err(crate::secure_area::SecureAreaError::KeyNotFound) => {}
                    Err(other) => return Err(other.into()),
                }
            }
        }
        let wrapped = session.store.lock().wrapped_key()?;
        let path = session.store.lock().path().to_owned();
        let Session {
            data_key,
            auth,
            gate,
            area,
            store,
            ..
        } = session;
        drop((auth, gate, area, data_key));
        if let Some(store) = store.into_inner() {
            store.close()?;
        }
        crate::store::forget_anchors(&path, &self.parts.config.wrapper);
        crate::store::remove_files(&path).map_err(|e| WalletError::Wipe(e.to_string()))?;
        self.parts
            .config
            .wrapper
            .forget(&wrapped)
            .map_err(StoreError::from)?;
        Ok(())
    }

    /// Test-support hook for the memory-scan test: the session's secure area and the alias of a
    /// document's holder key, so the test can ask for the masked private key.
    #[cfg(feature = "test-support")]
    pub fn secure_area_and_alias(
        &mut self,
        id: DocumentId,
    ) -> Result<(&P::Area, KeyAlias), WalletError> {
        let (_, _, key) = self.load_document(id)?;
        Ok((&self.session()?.area, key.alias().clone()))
    }

    /// Test-support hook for the memory-scan test: the data key XOR `mask`, in a wiped buffer.
    #[cfg(feature = "test-support")]
    pub fn masked_data_key(&mut self, mask: &[u8; 32]) -> Result<Zeroizing<[u8; 32]>, WalletError> {
        let session = self.session()?;
        let mut out = Zeroizing::new([0u8; 32]);
        for ((o, k), m) in out
            .iter_mut()
            .zip(session.data_key.expose_secret())
            .zip(mask)
        {
            *o = k ^ m;
        }
        Ok(out)
    }
}

/// The activity log's receipt for a presentation (docs/FORMAT.md §13.5): the registered counter
/// (Chinese and English names, id, registrar) or "unregistered, purpose P", the claims disclosed,
/// and whether a one-time credential was used. The entry's time is its own field.
fn receipt(
    counter: Option<&VerifiedRequest>,
    request: &PresentationRequest,
    disclosed: &[ClaimName],
    one_time: bool,
) -> String {
    let shown = disclosed
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let who = match (counter, &request.disclose) {
        (Some(c), _) => format!(
            "{} / {} [{}], registered by {}, purpose {}, may keep {} days",
            c.name_zh(),
            c.name_en(),
            c.counter_id(),
            c.registrar(),
            c.purpose().as_str(),
            c.keeps_days()
        ),
        (None, present::Disclose::Purpose(p)) => format!("unregistered, purpose {}", p.as_str()),
        (None, present::Disclose::Claims(_)) => format!(
            "unregistered, for {}",
            request.audience.as_deref().unwrap_or("?")
        ),
    };
    let kind = if one_time { "; one-time" } else { "" };
    let mut detail = format!("{who}; shown: {shown}{kind}");
    // Registered names are short (FORMAT.md §13.4); an audience is at most 64 bytes.
    if detail.chars().count() > crate::store::MAX_DETAIL_CHARS {
        detail = detail
            .chars()
            .take(crate::store::MAX_DETAIL_CHARS)
            .collect();
    }
    detail
}
