//! The resident's wallet as one FFI object.
//!
//! [`Wallet`] wraps the core's typestate wallet (`LockedWallet` → `UnlockedWallet` → locked
//! again) behind the single object a Kotlin or Swift app holds. The typestate is kept inside: an
//! operation *checks out* the unlocked session, runs, and puts it back, so a locked wallet still
//! cannot present, and two operations never share a session (the second gets `Busy`). No host
//! callback runs under the slot's mutex: `unlock` marks the slot `Unlocking` and releases it, so
//! a host that calls back into the wallet from its key wrapper gets `Busy` (or locks it), never a
//! deadlock. Every operation that may prompt the user is cancellable
//! ([`Wallet::cancel_authentication`]).
//!
//! This module owns that state machine and the PIN's device secret (generated at creation and
//! kept wrapped by the host's key store beside the database). It must never hold a secret longer
//! than the core does, and never let a cancelled or failed operation leave the session unlocked
//! after a lock was requested.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use netid_core::auth::{AuthPolicy, DeviceCredentialFallback, Gate, Pin, PinParams};
use netid_core::keystore::{KeyWrapper as _, WrappedKey};
use netid_core::present::{Disclose, MAX_LIFETIME_SECS, PresentationRequest};
use netid_core::secure_area::{
    CreatedKey, HolderPublicKey, KeyAlias, KeyAuthPolicy, KeyWrappingKey, Prompt,
    PromptReason as CoreReason, SecureArea as CoreSecureArea, SecureAreaError, UncheckedSignature,
};
use netid_core::store::{DocumentId, SecureAreaKind};
use netid_core::time::{Clock, SystemClock};
use netid_core::wallet::{
    AreaProvider, EnrolmentChallenge, HostArea, LockedWallet, PendingEnrolment as CorePending,
    PendingRefill as CorePendingRefill, PoolLevel as CorePoolLevel, PoolPolicy, SharedStore,
    SoftwareArea, UnlockedWallet, WalletConfig, WhenPoolEmpty,
};
use zeroize::Zeroizing;

use crate::cancel::CancelSwitch;
use crate::counter::CounterRequest;
use crate::error::WalletError;
use crate::host::{
    HostAuthenticator, HostKeyWrapper, HostSecureArea, KeySecurityLevel, KeyWrapper, PromptReason,
    SecureArea, UserAuthenticator,
};
use crate::live::Live;
use crate::offload::offload;
use crate::presentation::Presentation;
use crate::types::{ActivityEntry, DocumentDetails, DocumentSummary, Purpose, whole_seconds};
use crate::verifier::TrustList;

type Software = SoftwareArea<HostAuthenticator>;
type Hardware = HostArea<HostSecureArea>;

/// The wallet's secure area provider, whichever kind the host chose. One provider type for both
/// kinds means one copy of the core wallet's code in the library instead of one per kind (the
/// library has a size budget); each call just dispatches to the provider the host chose.
enum Provider {
    Software(Software),
    Hardware(Hardware),
}

/// The secure area of one unlocked session, from [`Provider::open`].
enum Area {
    Software(<Software as AreaProvider>::Area),
    Hardware(<Hardware as AreaProvider>::Area),
}

impl AreaProvider for Provider {
    type Area = Area;

    fn kind(&self) -> SecureAreaKind {
        match self {
            Self::Software(p) => p.kind(),
            Self::Hardware(p) => p.kind(),
        }
    }

    fn open(&self, wrapping_key: KeyWrappingKey, store: SharedStore) -> Area {
        match self {
            Self::Software(p) => Area::Software(p.open(wrapping_key, store)),
            Self::Hardware(p) => Area::Hardware(p.open(wrapping_key, store)),
        }
    }
}

impl CoreSecureArea for Area {
    async fn create_key(
        &self,
        alias: &KeyAlias,
        policy: KeyAuthPolicy,
        challenge: &[u8],
    ) -> Result<CreatedKey, SecureAreaError> {
        self.create_key_with(alias, policy, challenge, false).await
    }

    async fn public_key(&self, alias: &KeyAlias) -> Result<HolderPublicKey, SecureAreaError> {
        match self {
            Self::Software(a) => a.public_key(alias).await,
            Self::Hardware(a) => a.public_key(alias).await,
        }
    }

    async fn sign(
        &self,
        alias: &KeyAlias,
        message: &[u8],
        reason: CoreReason,
    ) -> Result<UncheckedSignature, SecureAreaError> {
        self.sign_with(alias, message, reason.into()).await
    }

    async fn create_key_with(
        &self,
        alias: &KeyAlias,
        policy: KeyAuthPolicy,
        challenge: &[u8],
        device_credential: bool,
    ) -> Result<CreatedKey, SecureAreaError> {
        match self {
            Self::Software(a) => {
                a.create_key_with(alias, policy, challenge, device_credential)
                    .await
            }
            Self::Hardware(a) => {
                a.create_key_with(alias, policy, challenge, device_credential)
                    .await
            }
        }
    }

    async fn sign_with(
        &self,
        alias: &KeyAlias,
        message: &[u8],
        prompt: Prompt,
    ) -> Result<UncheckedSignature, SecureAreaError> {
        match self {
            Self::Software(a) => a.sign_with(alias, message, prompt).await,
            Self::Hardware(a) => a.sign_with(alias, message, prompt).await,
        }
    }

    async fn delete_key(&self, alias: &KeyAlias) -> Result<(), SecureAreaError> {
        match self {
            Self::Software(a) => a.delete_key(alias).await,
            Self::Hardware(a) => a.delete_key(alias).await,
        }
    }
}

struct Locked(LockedWallet<HostKeyWrapper, Provider, SystemClock>);

/// Boxed: an unlocked wallet is a few hundred bytes, and the slot is moved on every operation.
struct Session(Box<UnlockedWallet<HostKeyWrapper, Provider, SystemClock>>);

/// Runs `$body` with `$w` bound to the unlocked core wallet.
macro_rules! with_session {
    ($session:expr, $w:ident => $body:expr) => {
        match $session {
            Session($w) => $body,
        }
    };
}

impl Session {
    /// Locks the core wallet explicitly (ends the authentication session, wipes the keys).
    fn close(self) {
        with_session!(self, w => drop((*w).lock()));
    }
}

/// Where holder keys live: sealed in the wallet by the software secure area, released by the
/// host's [`UserAuthenticator`]; or in the host's hardware [`SecureArea`].
#[derive(uniffi::Object)]
pub struct HolderKeys {
    kind: HolderKeysKind,
    _live: Live,
}

#[derive(Clone)]
enum HolderKeysKind {
    Software(Arc<dyn UserAuthenticator>),
    Hardware(Arc<dyn SecureArea>),
}

impl std::fmt::Debug for HolderKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.kind {
            HolderKeysKind::Software(_) => "HolderKeys::Software",
            HolderKeysKind::Hardware(_) => "HolderKeys::Hardware",
        })
    }
}

#[uniffi::export]
impl HolderKeys {
    /// Holder keys sealed in the wallet's store, each use released by `authenticator`'s
    /// biometric-gated key agreement.
    #[uniffi::constructor]
    pub fn software(authenticator: Arc<dyn UserAuthenticator>) -> Arc<Self> {
        Arc::new(Self {
            kind: HolderKeysKind::Software(authenticator),
            _live: Live::new(),
        })
    }

    /// Holder keys in the host's hardware secure area.
    #[uniffi::constructor]
    pub fn secure_area(area: Arc<dyn SecureArea>) -> Arc<Self> {
        Arc::new(Self {
            kind: HolderKeysKind::Hardware(area),
            _live: Live::new(),
        })
    }
}

/// `WalletOptions.session` when left unset: 5 minutes.
const DEFAULT_SESSION_SECS: u32 = 300;
/// The longest session the core allows: 24 hours.
const MAX_SESSION_SECS: u32 = 86_400;
/// `WalletOptions.details_fresh_within` when left unset: 5 minutes.
const DEFAULT_DETAILS_FRESH_WITHIN_SECS: u32 = 300;
/// `WalletOptions.lockout` when left unset: 1 minute.
const DEFAULT_LOCKOUT_SECS: u32 = 60;
/// `QrRequest.lifetime` when left unset: 1 minute.
const DEFAULT_QR_LIFETIME_SECS: u32 = 60;

/// How a wallet behaves; `WalletOptions()` in Kotlin/Swift gives the defaults of the seeds'
/// gates (docs/SECURITY.md). Durations are whole seconds; unset, the default.
// (Doc comments ship inside the library as uniffi metadata: the longer story, why durations are
// optional (uniffi 0.32 cannot write a duration default) and fractions refused, is in
// docs/kotlin.md and docs/swift.md.)
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct WalletOptions {
    /// How long an unlocked session lasts, 1 s to 24 h (default 300 s).
    #[uniffi(default = None)]
    pub session: Option<Duration>,
    /// Details stay viewable this long after an authentication (zero: authenticate every time;
    /// default 300 s).
    #[uniffi(default = None)]
    pub details_fresh_within: Option<Duration>,
    /// Failed attempts (wrong PIN, unrecognised biometric) in a row before a lockout (1 or more).
    #[uniffi(default = 5)]
    pub max_failed_attempts: u32,
    /// How long the first lockout lasts (1 s or more; default 60 s); later ones escalate (× 5, 15,
    /// 60, 60) and the sixth is permanent (the wallet must be destroyed and enrolled again).
    #[uniffi(default = None)]
    pub lockout: Option<Duration>,
    /// How many one-time codes a refill keeps per purpose (1 to 16; at most 64 in all).
    #[uniffi(default = 10)]
    pub one_time_codes_per_purpose: u8,
    /// A purpose with fewer one-time codes than this is due for a refill (0 to
    /// `one_time_codes_per_purpose`: a higher one would leave a full pool due forever).
    #[uniffi(default = 3)]
    pub refill_below: u8,
    /// With no one-time code left: `false` shows a code from the full credential, marked
    /// `Presentation.linkable()` (tell the resident); `true` refuses with `WalletError.PoolEmpty`.
    #[uniffi(default = false)]
    pub refuse_linkable_codes: bool,
    /// Prompts a resident who cannot use biometrics may answer with the device passcode instead
    /// (Android `BIOMETRIC_STRONG | DEVICE_CREDENTIAL`, iOS `.deviceOwnerAuthentication`): any of
    /// `ViewDetails`, `ShowQr`, `DeleteDocument`, `ExportLog`. Empty (biometric only) by default.
    /// When any is listed, holder keys are created to accept the passcode and enrolment prompts
    /// offer it too; `Enrolment` itself is refused here. A passcode can be watched over a
    /// shoulder: offer it only to residents who need it (docs/SECURITY.md §2).
    #[uniffi(default = [])]
    pub device_credential_for: Vec<PromptReason>,
    /// Whether a presentation of the whole card (`gov`) may also be confirmed with the passcode
    /// (`ShowQr` must be listed too). Set it only where the issuer's policy allows; default
    /// `false`: a `gov` code always needs a biometric.
    #[uniffi(default = false)]
    pub device_credential_for_gov: bool,
}

impl WalletOptions {
    fn policy(&self) -> Result<AuthPolicy, WalletError> {
        let max_failed_attempts = std::num::NonZeroU32::new(self.max_failed_attempts)
            .ok_or_else(|| WalletError::invalid("max_failed_attempts must be at least 1"))?;
        let lockout = whole_seconds(
            "lockout",
            self.lockout,
            DEFAULT_LOCKOUT_SECS,
            1,
            u32::MAX,
            "1 s to 4 294 967 295 s",
        )
        .map_err(WalletError::invalid)?;
        let details_fresh_within = whole_seconds(
            "detailsFreshWithin",
            self.details_fresh_within,
            DEFAULT_DETAILS_FRESH_WITHIN_SECS,
            0,
            u32::MAX,
            "0 s (authenticate every time) to 4 294 967 295 s",
        )
        .map_err(WalletError::invalid)?;
        let view_details = match std::num::NonZeroU32::new(details_fresh_within) {
            Some(seconds) => Gate::FreshWithin(seconds),
            None => Gate::EveryTime,
        };
        let mut device_credential = DeviceCredentialFallback {
            gov_presentations: self.device_credential_for_gov,
            ..DeviceCredentialFallback::default()
        };
        for reason in &self.device_credential_for {
            match reason {
                PromptReason::ViewDetails => device_credential.view_details = true,
                PromptReason::ShowQr => device_credential.show_qr = true,
                PromptReason::DeleteDocument => device_credential.delete_document = true,
                PromptReason::ExportLog => device_credential.export_log = true,
                PromptReason::Enrolment => {
                    return Err(WalletError::invalid(
                        "device_credential_for cannot list Enrolment: enrolment offers the passcode whenever another action does",
                    ));
                }
            }
        }
        if self.device_credential_for_gov && !device_credential.show_qr {
            return Err(WalletError::invalid(
                "device_credential_for_gov needs ShowQr in device_credential_for",
            ));
        }
        Ok(AuthPolicy {
            view_details,
            max_failed_attempts,
            lockout: Duration::from_secs(u64::from(lockout)),
            // The PIN is optional: once `set_pin` has set one, every unlock needs it.
            require_pin: false,
            device_credential,
            ..AuthPolicy::default()
        })
    }

    fn session_secs(&self) -> Result<u32, WalletError> {
        whole_seconds(
            "session",
            self.session,
            DEFAULT_SESSION_SECS,
            1,
            MAX_SESSION_SECS,
            "1 s to 86 400 s (24 h)",
        )
        .map_err(WalletError::invalid)
    }

    fn pool(&self) -> Result<PoolPolicy, WalletError> {
        if !(1..=16).contains(&self.one_time_codes_per_purpose) {
            return Err(WalletError::invalid(
                "one_time_codes_per_purpose must be 1 to 16",
            ));
        }
        if self.refill_below > self.one_time_codes_per_purpose {
            return Err(WalletError::invalid(
                "refill_below must not exceed one_time_codes_per_purpose",
            ));
        }
        Ok(PoolPolicy {
            per_purpose: self.one_time_codes_per_purpose,
            refill_below: self.refill_below,
            when_empty: if self.refuse_linkable_codes {
                WhenPoolEmpty::Refuse
            } else {
                WhenPoolEmpty::ShowLinkable
            },
        })
    }
}

/// One purpose's supply of one-time codes for a document.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct PoolLevel {
    /// The purpose.
    pub purpose: Purpose,
    /// Unused one-time codes left.
    pub remaining: u32,
    /// Below the refill threshold: refill when online.
    pub refill_due: bool,
}

impl From<CorePoolLevel> for PoolLevel {
    fn from(level: CorePoolLevel) -> Self {
        Self {
            purpose: level.purpose.into(),
            remaining: level.remaining,
            refill_due: level.refill_due,
        }
    }
}

/// A refill under way: the new holder keys exist and `request()` is ready for the issuer. Use it
/// once, in `Wallet.complete_refill`.
#[derive(uniffi::Object)]
pub struct PendingRefill {
    pending: Mutex<Option<CorePendingRefill>>,
    request: Vec<u8>,
    _live: Live,
}

impl std::fmt::Debug for PendingRefill {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingRefill").finish_non_exhaustive()
    }
}

#[uniffi::export]
impl PendingRefill {
    /// The batch request (COSE_Sign1 by the document's holder key; it carries the document's
    /// credential) to send to the issuer.
    pub fn request(&self) -> Vec<u8> {
        self.request.clone()
    }
}

/// What to put in a code.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct QrRequest {
    /// The purpose, which selects the claims and the counter's policy.
    pub purpose: Purpose,
    /// Who the code is for (`aud`); defaults to the purpose's short name.
    #[uniffi(default = None)]
    pub audience: Option<String>,
    /// The counter's challenge (`cnonce`), in interactive mode.
    #[uniffi(default = None)]
    pub nonce: Option<Vec<u8>>,
    /// How long the code stays valid, 1 to 600 s (default 60 s).
    #[uniffi(default = None)]
    pub lifetime: Option<Duration>,
}

impl QrRequest {
    fn to_core(&self) -> Result<PresentationRequest, WalletError> {
        let lifetime_secs = whole_seconds(
            "lifetime",
            self.lifetime,
            DEFAULT_QR_LIFETIME_SECS,
            1,
            MAX_LIFETIME_SECS,
            "1 s to 600 s (10 minutes)",
        )
        .map_err(WalletError::invalid)?;
        Ok(PresentationRequest {
            disclose: Disclose::Purpose(self.purpose.into()),
            audience: self.audience.clone(),
            nonce: self.nonce.clone(),
            lifetime_secs,
        })
    }
}

/// An enrolment under way: the holder key exists and `proof()` is ready for the issuer. Use it
/// once, in `Wallet.complete_enrolment`.
#[derive(uniffi::Object)]
pub struct PendingEnrolment {
    pending: Mutex<Option<CorePending>>,
    proof: Vec<u8>,
    security_level: KeySecurityLevel,
    _live: Live,
}

impl std::fmt::Debug for PendingEnrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingEnrolment").finish_non_exhaustive()
    }
}

#[uniffi::export]
impl PendingEnrolment {
    /// The proof of possession (COSE_Sign1 by the new holder key over the issuer's nonce) to send
    /// to the issuer.
    pub fn proof(&self) -> Vec<u8> {
        self.proof.clone()
    }

    /// Where the secure area says the new holder key lives (e.g. `TrustedEnvironment` after a
    /// StrongBox request fell back): the host's claim, which the issuer checks against the
    /// evidence carried in the proof.
    pub fn security_level(&self) -> KeySecurityLevel {
        self.security_level
    }
}

enum Slot {
    Locked,
    Unlocked(Session),
    /// Checked out by a running operation; `lock_requested` makes it lock when it comes back.
    InUse {
        lock_requested: bool,
    },
    /// `unlock` is running without the slot's mutex (it calls the host); `lock_requested` makes
    /// the new session be closed instead of kept.
    Unlocking {
        lock_requested: bool,
    },
    Wiped,
}

/// An `unlock` in progress: puts the new session in the slot, or leaves the slot locked however
/// the unlock ends (an error, a panic in a host callback).
struct Unlocking<'a> {
    wallet: &'a Wallet,
}

impl Unlocking<'_> {
    fn finish(self, session: Session) -> Result<(), WalletError> {
        let mut slot = self.wallet.slot();
        if matches!(
            *slot,
            Slot::Unlocking {
                lock_requested: false
            }
        ) {
            *slot = Slot::Unlocked(session);
            return Ok(());
        }
        // A lock was requested meanwhile: it wins. (Drop leaves the slot locked.)
        drop(slot);
        session.close();
        Err(WalletError::locked())
    }
}

impl Drop for Unlocking<'_> {
    fn drop(&mut self) {
        let mut slot = self.wallet.slot();
        if matches!(*slot, Slot::Unlocking { .. }) {
            *slot = Slot::Locked;
        }
    }
}

/// A resident's wallet: documents in an encrypted store, shown only after the gates of the
/// authentication policy. Create or open it, `unlock`, then enrol, list, show codes; `lock` (or
/// the session deadline) wipes every key from memory. Call its methods off the main thread:
/// unlocking derives keys and may check a PIN (about a quarter of a second).
#[derive(uniffi::Object)]
pub struct Wallet {
    locked: Locked,
    slot: Mutex<Slot>,
    cancel: CancelSwitch,
    dir: PathBuf,
    wrapper: Arc<dyn KeyWrapper>,
    _live: Live,
}

impl std::fmt::Debug for Wallet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wallet").finish_non_exhaustive()
    }
}

/// File that wallets made before the PIN became a factor of the data key kept beside the
/// database (the PIN's device secret, wrapped by the host key store). Nothing reads it any more;
/// wipe and destroy still remove it and ask the host to forget its key.
const LEGACY_DEVICE_SECRET_FILE: &str = "pin-device-secret.wrapped";

fn device_secret_path(dir: &Path) -> PathBuf {
    dir.join(LEGACY_DEVICE_SECRET_FILE)
}

fn io_error(error: &std::io::Error) -> WalletError {
    WalletError::StorageFailed {
        reason: format!(
            "the wallet's files could not be written or read ({error}); check storage space and permissions"
        ),
        next_step: crate::error::NextStep::CheckStorage,
    }
}

fn parse_pin(typed: String) -> Result<Pin, WalletError> {
    let typed = Zeroizing::new(typed);
    Pin::new(&typed).map_err(|e| WalletError::InvalidInput {
        reason: e.to_string(),
        next_step: crate::error::NextStep::ChooseValidPin,
    })
}

/// The core's settings from `options`, checked: every bad option is refused here, before
/// anything is created.
struct Settings {
    policy: AuthPolicy,
    session_secs: u32,
    pool: PoolPolicy,
}

impl Settings {
    fn of(options: &WalletOptions) -> Result<Self, WalletError> {
        Ok(Self {
            policy: options.policy()?,
            session_secs: options.session_secs()?,
            pool: options.pool()?,
        })
    }

    fn config<P>(
        self,
        wrapper: &Arc<dyn KeyWrapper>,
        area: P,
    ) -> WalletConfig<HostKeyWrapper, P, SystemClock> {
        WalletConfig {
            wrapper: HostKeyWrapper(Arc::clone(wrapper)),
            area,
            clock: Arc::new(SystemClock),
            policy: self.policy,
            session_secs: self.session_secs,
            pin_params: PinParams::RECOMMENDED,
            pool: self.pool,
            presentation: Default::default(),
        }
    }
}

fn parse_document_id(id: &str) -> Result<DocumentId, WalletError> {
    DocumentId::from_hex(id).map_err(|_| {
        WalletError::invalid("a document id is 32 hex digits, as listed by documents()")
    })
}

/// A checked-out session; it goes back into the slot (or is locked, if a lock was requested
/// meanwhile) when the operation ends, however it ends.
struct Checkout<'a> {
    wallet: &'a Wallet,
    session: Option<Session>,
}

impl Checkout<'_> {
    fn session(&mut self) -> Result<&mut Session, WalletError> {
        self.session.as_mut().ok_or_else(WalletError::locked)
    }
}

impl Drop for Checkout<'_> {
    fn drop(&mut self) {
        let session = self.session.take();
        let mut slot = self.wallet.slot();
        match (&*slot, session) {
            (
                Slot::InUse {
                    lock_requested: false,
                },
                Some(session),
            ) => {
                *slot = Slot::Unlocked(session);
            }
            (Slot::InUse { .. }, session) => {
                *slot = Slot::Locked;
                drop(slot);
                if let Some(session) = session {
                    session.close();
                }
            }
            (_, session) => {
                drop(slot);
                if let Some(session) = session {
                    session.close();
                }
            }
        }
    }
}

impl Wallet {
    fn slot(&self) -> MutexGuard<'_, Slot> {
        // Every update of the slot is a single assignment, so a poisoned lock still holds a
        // consistent state.
        self.slot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn checkout(&self) -> Result<Checkout<'_>, WalletError> {
        let mut slot = self.slot();
        match std::mem::replace(
            &mut *slot,
            Slot::InUse {
                lock_requested: false,
            },
        ) {
            Slot::Unlocked(session) => Ok(Checkout {
                wallet: self,
                session: Some(session),
            }),
            previous @ (Slot::InUse { .. } | Slot::Unlocking { .. }) => {
                *slot = previous;
                Err(WalletError::busy())
            }
            previous => {
                *slot = previous;
                Err(WalletError::locked())
            }
        }
    }

    /// Runs an operation that may prompt the user, so `cancel_authentication` can end it.
    async fn cancellable<T>(
        &self,
        operation: impl std::future::Future<Output = Result<T, netid_core::wallet::WalletError>>,
    ) -> Result<T, WalletError> {
        match self.cancel.run(operation).await {
            Some(outcome) => outcome.map_err(WalletError::from),
            None => Err(WalletError::cancelled()),
        }
    }

    fn build(
        dir: String,
        key_wrapper: Arc<dyn KeyWrapper>,
        holder_keys: &HolderKeys,
        options: &WalletOptions,
        create: bool,
    ) -> Result<Arc<Self>, WalletError> {
        // Options first: bad options must leave nothing behind (no directory).
        let settings = Settings::of(options)?;
        let path = PathBuf::from(&dir);
        if create {
            if path.join(netid_core::store::FILE_NAME).exists() {
                return Err(netid_core::store::StoreError::AlreadyExists { path }.into());
            }
            std::fs::create_dir_all(&path).map_err(|e| io_error(&e))?;
        } else if !path.join(netid_core::store::FILE_NAME).is_file() {
            return Err(netid_core::store::StoreError::Missing { path }.into());
        }
        let provider = match holder_keys.kind.clone() {
            HolderKeysKind::Software(authenticator) => Provider::Software(SoftwareArea::new(
                Arc::new(HostAuthenticator(authenticator)),
            )),
            HolderKeysKind::Hardware(area) => {
                Provider::Hardware(HostArea::new(Arc::new(HostSecureArea(area))))
            }
        };
        let config = settings.config(&key_wrapper, provider);
        let locked = Locked(if create {
            LockedWallet::create(&path, config)?
        } else {
            LockedWallet::open(&path, config)?
        });
        Ok(Arc::new(Self {
            locked,
            slot: Mutex::new(Slot::Locked),
            cancel: CancelSwitch::default(),
            dir: path,
            wrapper: key_wrapper,
            _live: Live::new(),
        }))
    }
}

impl Wallet {
    /// `documents`' work, on the worker thread.
    fn documents_now(&self) -> Result<Vec<DocumentSummary>, WalletError> {
        let mut out = self.checkout()?;
        let documents = with_session!(out.session()?, w => w.documents())?;
        Ok(documents.into_iter().map(Into::into).collect())
    }

    /// `unlock`'s work, on the worker thread.
    fn unlock_now(&self, pin: Option<String>) -> Result<(), WalletError> {
        // The slot is marked `Unlocking` and its mutex released before the host's key wrapper
        // and the PIN derivation run, so a host callback that calls back into this wallet gets
        // `Busy` (or a lock, as it asks) instead of waiting on a mutex its own caller holds.
        let expired = {
            let mut slot = self.slot();
            match &mut *slot {
                Slot::Wiped => {
                    return Err(WalletError::StoreDamaged {
                        reason: "this wallet was wiped; create a new one".to_owned(),
                        next_step: crate::error::NextStep::EnrolDocument,
                    });
                }
                Slot::InUse { .. } => return Ok(()),
                Slot::Unlocking { .. } => return Err(WalletError::busy()),
                Slot::Unlocked(session) => {
                    if with_session!(session, w => w.is_unlocked()) {
                        return Ok(());
                    }
                }
                Slot::Locked => {}
            }
            std::mem::replace(
                &mut *slot,
                Slot::Unlocking {
                    lock_requested: false,
                },
            )
        };
        let unlocking = Unlocking { wallet: self };
        if let Slot::Unlocked(old) = expired {
            old.close();
        }
        let session = (|| {
            let pin = pin.map(parse_pin).transpose()?;
            Ok::<_, WalletError>(Session(Box::new(self.locked.0.unlock(pin.as_ref())?)))
        })()?;
        unlocking.finish(session)
    }

    fn lock_now(&self) {
        self.cancel.cancel();
        let mut slot = self.slot();
        match std::mem::replace(&mut *slot, Slot::Locked) {
            Slot::Unlocked(session) => {
                drop(slot);
                session.close();
            }
            Slot::InUse { .. } => {
                *slot = Slot::InUse {
                    lock_requested: true,
                }
            }
            Slot::Unlocking { .. } => {
                *slot = Slot::Unlocking {
                    lock_requested: true,
                }
            }
            Slot::Wiped => *slot = Slot::Wiped,
            Slot::Locked => {}
        }
    }
}

/// A worker thread's job panicked (none is expected): an internal error, never an unwind into
/// the host.
fn worker_failed(operation: &str) -> WalletError {
    WalletError::Internal {
        reason: format!("the wallet's {operation} stopped unexpectedly"),
        next_step: crate::error::NextStep::ReportProblem,
    }
}

#[uniffi::export]
impl Wallet {
    /// Creates a new, empty wallet in `dir` (which must not hold one), locked.
    #[uniffi::constructor]
    pub fn create(
        dir: String,
        key_wrapper: Arc<dyn KeyWrapper>,
        holder_keys: Arc<HolderKeys>,
        options: WalletOptions,
    ) -> Result<Arc<Self>, WalletError> {
        Self::build(dir, key_wrapper, &holder_keys, &options, true)
    }

    /// Opens the wallet in `dir`, locked. Nothing is decrypted until `unlock`. Suspends (Kotlin)
    /// or awaits (Swift) while the store is opened and checked on a worker thread.
    #[uniffi::constructor]
    pub async fn open(
        dir: String,
        key_wrapper: Arc<dyn KeyWrapper>,
        holder_keys: Arc<HolderKeys>,
        options: WalletOptions,
    ) -> Result<Arc<Self>, WalletError> {
        offload(move || Self::build(dir, key_wrapper, &holder_keys, &options, false))
            .await
            .unwrap_or_else(|_| Err(worker_failed("open")))
    }

    /// Unlocks the wallet for the session length: unwraps the data key through the host key
    /// store and, if a PIN has been set, checks `pin` (counted, with lockout; Argon2id, 64 MiB).
    /// Unlocking an unlocked wallet only checks that its session is still live. The work runs on
    /// a worker thread, never on the caller's: call it from the main thread freely.
    pub async fn unlock(self: Arc<Self>, pin: Option<String>) -> Result<(), WalletError> {
        // The PIN moves to the worker; the library's allocator wipes it when freed.
        let result = offload(move || self.unlock_now(pin))
            .await
            .unwrap_or_else(|_| Err(worker_failed("unlock")));
        crate::log::outcome("unlock", &result);
        result
    }

    /// Locks now: every key and decrypted claim is wiped, and any authentication in flight is
    /// cancelled. An operation still running locks the wallet as soon as it ends.
    pub fn lock(&self) {
        self.lock_now();
        crate::log::log(crate::log::LogLevel::Info, || "lock: ok".to_owned());
    }

    /// Whether the wallet is unlocked now (a session past its deadline is wiped and reported
    /// locked).
    pub fn is_unlocked(&self) -> bool {
        let mut slot = self.slot();
        match &mut *slot {
            Slot::Unlocked(session) => with_session!(session, w => w.is_unlocked()),
            Slot::InUse { lock_requested } => !*lock_requested,
            Slot::Unlocking { .. } | Slot::Locked | Slot::Wiped => false,
        }
    }

    /// When the session ends, if the wallet is unlocked.
    pub fn unlocked_until(&self) -> Option<SystemTime> {
        let mut slot = self.slot();
        match &mut *slot {
            Slot::Unlocked(session) => {
                with_session!(session, w => w.unlocked_until()).map(crate::types::instant)
            }
            _ => None,
        }
    }

    /// Makes every operation now waiting for the user (or for a host prompt that hangs) finish
    /// with `WalletError.Cancelled`, and drops the host calls they were waiting on. Hosts should
    /// also dismiss their prompt (Android `CancellationSignal`, iOS `LAContext.invalidate()`).
    pub fn cancel_authentication(&self) {
        self.cancel.cancel();
    }

    /// Sets the wallet PIN (6 to 64 digits); the wallet must be unlocked and have no PIN yet.
    /// From then on the data key is sealed under it and every `unlock` needs it. A forgotten PIN
    /// cannot be reset: the wallet must be destroyed and its documents enrolled again.
    pub fn set_pin(&self, pin: String) -> Result<(), WalletError> {
        let pin = parse_pin(pin)?;
        let mut out = self.checkout()?;
        with_session!(out.session()?, w => w.set_pin(&pin))?;
        Ok(())
    }

    /// Replaces the PIN after checking the current one (a wrong one counts toward the lockout).
    pub fn change_pin(&self, current: String, new_pin: String) -> Result<(), WalletError> {
        let current = parse_pin(current)?;
        let new_pin = parse_pin(new_pin)?;
        let mut out = self.checkout()?;
        with_session!(out.session()?, w => w.change_pin(&current, &new_pin))?;
        Ok(())
    }

    /// Removes the PIN after checking it (a wrong one counts toward the lockout).
    pub fn remove_pin(&self, current: String) -> Result<(), WalletError> {
        let current = parse_pin(current)?;
        let mut out = self.checkout()?;
        with_session!(out.session()?, w => w.remove_pin(&current))?;
        Ok(())
    }

    /// Whether the wallet has a PIN (works locked or unlocked), so the lock screen knows whether
    /// to ask for one.
    pub fn has_pin(&self) -> Result<bool, WalletError> {
        Ok(self.locked.0.has_pin()?)
    }

    /// First half of an enrolment: creates a holder key and signs the issuer's challenge
    /// (`issuer_id`, `nonce` of 16 to 64 bytes) with it, through the user's authentication.
    pub async fn begin_enrolment(
        &self,
        issuer_id: String,
        nonce: Vec<u8>,
    ) -> Result<Arc<PendingEnrolment>, WalletError> {
        let challenge = EnrolmentChallenge::new(&issuer_id, nonce)
            .map_err(|e| WalletError::invalid(e.to_string()))?;
        let mut out = self.checkout()?;
        let session = out.session()?;
        let pending = self
            .cancellable(async { with_session!(session, w => w.begin_enrolment(&challenge).await) })
            .await?;
        let proof = pending.proof().to_vec();
        let security_level = pending.security_level().into();
        Ok(Arc::new(PendingEnrolment {
            pending: Mutex::new(Some(pending)),
            proof,
            security_level,
            _live: Live::new(),
        }))
    }

    /// Second half: accepts the issued `credential` only if it parses, its issuer is on `trust`,
    /// and it is bound to this enrolment's holder key; then stores it. On refusal the new holder
    /// key is deleted.
    pub async fn complete_enrolment(
        &self,
        pending: Arc<PendingEnrolment>,
        credential: Vec<u8>,
        trust: Arc<TrustList>,
        label: Option<String>,
    ) -> Result<DocumentSummary, WalletError> {
        let result = async {
            // Check out first: a wallet that is busy or locked right now must not use up the pending
            // enrolment (the caller can retry it once the wallet is free).
            let mut out = self.checkout()?;
            let session = out.session()?;
            let pending = pending
                .pending
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take()
                .ok_or_else(|| {
                    WalletError::invalid("this enrolment was already completed; begin a new one")
                })?;
            let summary = with_session!(session, w => {
                w.complete_enrolment(pending, &credential, &trust.list, label).await
            })?;
            Ok(summary.into())
        }
        .await;
        crate::log::outcome("complete an enrolment", &result);
        result
    }

    /// How many one-time codes `document_id` has left per purpose it serves, and which are due
    /// for a refill. No prompt, nothing personal.
    pub fn pool_levels(&self, document_id: String) -> Result<Vec<PoolLevel>, WalletError> {
        let id = parse_document_id(&document_id)?;
        let mut out = self.checkout()?;
        let levels = with_session!(out.session()?, w => w.pool_levels(id))?;
        Ok(levels.into_iter().map(Into::into).collect())
    }

    /// First half of a refill (also right after an enrolment): creates one holder key per
    /// missing one-time code and signs one batch request answering the issuer's challenge
    /// (`issuer_id`, `nonce`) with the document's holder key (one prompt). `null` when nothing is
    /// missing.
    pub async fn begin_refill(
        &self,
        document_id: String,
        issuer_id: String,
        nonce: Vec<u8>,
    ) -> Result<Option<Arc<PendingRefill>>, WalletError> {
        let id = parse_document_id(&document_id)?;
        let challenge = EnrolmentChallenge::new(&issuer_id, nonce)
            .map_err(|e| WalletError::invalid(e.to_string()))?;
        let mut out = self.checkout()?;
        let session = out.session()?;
        let pending = self
            .cancellable(async {
                with_session!(session, w => w.begin_refill(id, &challenge).await)
            })
            .await?;
        Ok(pending.map(|pending| {
            let request = pending.request().to_vec();
            Arc::new(PendingRefill {
                pending: Mutex::new(Some(pending)),
                request,
                _live: Live::new(),
            })
        }))
    }

    /// Second half: stores the issuer's one-time `credentials` only if every one passes (trusted,
    /// bound to a key this refill asked for, for its purpose, this document's values); otherwise
    /// stores nothing and deletes the new keys. Returns the new levels.
    pub async fn complete_refill(
        &self,
        pending: Arc<PendingRefill>,
        credentials: Vec<Vec<u8>>,
        trust: Arc<TrustList>,
    ) -> Result<Vec<PoolLevel>, WalletError> {
        let result = async {
            // Check out first: a wallet that is busy or locked right now must not use up the pending
            // refill (the caller can retry it once the wallet is free).
            let mut out = self.checkout()?;
            let session = out.session()?;
            let pending = pending
                .pending
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take()
                .ok_or_else(|| {
                    WalletError::invalid("this refill was already completed; begin a new one")
                })?;
            let levels = with_session!(session, w => {
                w.complete_refill(pending, &credentials, &trust.list).await
            })?;
            Ok(levels.into_iter().map(Into::into).collect())
        }
        .await;
        crate::log::outcome("complete a refill", &result);
        result
    }

    /// Every document, oldest first; nothing personal.
    pub async fn documents(self: Arc<Self>) -> Result<Vec<DocumentSummary>, WalletError> {
        offload(move || self.documents_now())
            .await
            .unwrap_or_else(|_| Err(worker_failed("document list")))
    }

    /// A document's claims, after the view-details gate.
    pub async fn document_details(
        &self,
        document_id: String,
    ) -> Result<DocumentDetails, WalletError> {
        let id = parse_document_id(&document_id)?;
        let mut out = self.checkout()?;
        let session = out.session()?;
        let details = self
            .cancellable(async { with_session!(session, w => w.document_details(id).await) })
            .await?;
        Ok(details.into())
    }

    /// A code for `request`, signed by the document's holder key inside the user's
    /// authentication and checked against the credential before it is returned.
    pub async fn show_qr(
        &self,
        document_id: String,
        request: QrRequest,
    ) -> Result<Arc<Presentation>, WalletError> {
        let purpose = request.purpose;
        let result = async {
            let id = parse_document_id(&document_id)?;
            let request = request.to_core()?;
            let mut out = self.checkout()?;
            let session = out.session()?;
            let shown = self
                .cancellable(async { with_session!(session, w => w.show_qr(id, &request).await) })
                .await?;
            Ok(Arc::new(Presentation::new(shown)?))
        }
        .await;
        crate::log::outcome(&format!("show a code ({purpose:?})"), &result);
        result
    }

    /// Checks a counter's scanned request code before the resident is asked anything: the
    /// counter's certificate under a registrar of `trust` (the trust list used at enrolment), both
    /// signatures, both validity windows, that it asks only for what it is registered for, and
    /// that this wallet has not answered it already. No prompt, nothing signed or logged. Show
    /// the result's `consent()`; answer it with `show_qr_for_request`.
    pub fn parse_request(
        &self,
        text: String,
        trust: Arc<TrustList>,
    ) -> Result<Arc<CounterRequest>, WalletError> {
        let mut out = self.checkout()?;
        let request = with_session!(out.session()?, w => w.parse_request(&text, &trust.list))?;
        Ok(Arc::new(CounterRequest::new(request)))
    }

    /// Answers a checked counter `request` with document `document_id` once the resident has
    /// consented: the claims it asks for, bound to the counter's id and nonce, signed inside the
    /// user's authentication. A request is answered once; the activity log names the counter.
    pub async fn show_qr_for_request(
        &self,
        document_id: String,
        request: Arc<CounterRequest>,
    ) -> Result<Arc<Presentation>, WalletError> {
        let result = async {
            let id = parse_document_id(&document_id)?;
            let mut out = self.checkout()?;
            let session = out.session()?;
            let shown = self
                .cancellable(async {
                    with_session!(session, w => w.show_qr_for_request(id, &request.request).await)
                })
                .await?;
            Ok(Arc::new(Presentation::new(shown)?))
        }
        .await;
        crate::log::outcome("answer a registered counter's request", &result);
        result
    }

    /// Keeps a shown code current: returns it unchanged while more than `min_remaining` is
    /// left, otherwise signs a new one for the same document and request (through the gate).
    /// `Duration.ZERO` (Kotlin) / `0` (Swift) keeps it to its end; a duration longer than a
    /// code's life always signs a new one.
    pub async fn refresh_qr(
        &self,
        presentation: Arc<Presentation>,
        min_remaining: Duration,
    ) -> Result<Arc<Presentation>, WalletError> {
        let min_remaining_seconds =
            u32::try_from(min_remaining.as_secs() + u64::from(min_remaining.subsec_nanos() > 0))
                .unwrap_or(u32::MAX);
        let now = SystemClock.now().as_secs();
        if presentation.shown.expires().as_secs().saturating_sub(now)
            > i64::from(min_remaining_seconds)
        {
            // Still a live session is required: a locked wallet shows nothing new.
            let mut out = self.checkout()?;
            if !with_session!(out.session()?, w => w.is_unlocked()) {
                return Err(WalletError::locked());
            }
            return Ok(presentation);
        }
        let shown = presentation.shown.clone();
        let mut out = self.checkout()?;
        let session = out.session()?;
        let refreshed = self
            .cancellable(async {
                with_session!(session, w => w.refresh_qr(shown, min_remaining_seconds).await)
            })
            .await?;
        Ok(Arc::new(Presentation::new(refreshed)?))
    }

    /// Deletes a document after the delete gate (and its holder key, if no other document uses
    /// it).
    pub async fn delete_document(&self, document_id: String) -> Result<(), WalletError> {
        let result = async {
            let id = parse_document_id(&document_id)?;
            let mut out = self.checkout()?;
            let session = out.session()?;
            self.cancellable(async { with_session!(session, w => w.delete_document(id).await) })
                .await
        }
        .await;
        crate::log::outcome("delete a document", &result);
        result
    }

    /// The newest `limit` activity entries, newest first, after the export gate.
    pub async fn activity_log(&self, limit: u32) -> Result<Vec<ActivityEntry>, WalletError> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let mut out = self.checkout()?;
        let session = out.session()?;
        let entries = self
            .cancellable(async { with_session!(session, w => w.export_activity(limit).await) })
            .await?;
        Ok(entries.into_iter().map(Into::into).collect())
    }

    /// Deletes the wallet: every holder key, the store's files, and the host key-store entries.
    /// The wallet must be unlocked; afterwards this object can do nothing.
    pub async fn wipe(&self) -> Result<(), WalletError> {
        let result = async {
            let mut out = self.checkout()?;
            let session = out.session.take().ok_or_else(WalletError::locked)?;
            let wiped = with_session!(session, w => w.wipe().await);
            drop(out);
            wiped?;
            *self.slot() = Slot::Wiped;
            let secret_path = device_secret_path(&self.dir);
            if let Ok(bytes) = std::fs::read(&secret_path) {
                if let Ok(wrapped) = WrappedKey::from_bytes(&bytes) {
                    HostKeyWrapper(Arc::clone(&self.wrapper))
                        .forget(&wrapped)
                        .map_err(netid_core::store::StoreError::from)?;
                }
                std::fs::remove_file(&secret_path).map_err(|e| io_error(&e))?;
            }
            Ok(())
        }
        .await;
        crate::log::outcome("wipe the wallet", &result);
        result
    }
}

/// Deletes the wallet in `dir` without unlocking it: the way out when it can no longer be opened
/// (`KeyUnavailable`, `StoreDamaged`: the key-store entry is gone, the phone was restored without
/// it, the file is damaged). Asks `key_wrapper` to forget what it keeps for this wallet (best
/// effort) and removes the wallet's files. Hardware holder keys cannot be listed without the
/// wallet's key: delete them in the host secure area by the prefix its aliases carry (the core's
/// aliases start with `netid-holder-`). Close every `Wallet` object for `dir` first.
#[uniffi::export]
pub fn destroy_wallet(dir: String, key_wrapper: Arc<dyn KeyWrapper>) -> Result<(), WalletError> {
    let path = PathBuf::from(dir);
    let wrapper = HostKeyWrapper(key_wrapper);
    netid_core::store::Store::destroy(&path, &wrapper)?;
    let secret_path = device_secret_path(&path);
    match std::fs::read(&secret_path) {
        Ok(bytes) => {
            if let Ok(wrapped) = WrappedKey::from_bytes(&bytes) {
                let _ = wrapper.forget(&wrapped);
            }
            std::fs::remove_file(&secret_path).map_err(|e| io_error(&e))?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_error(&e)),
    }
    Ok(())
}
