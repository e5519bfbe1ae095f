//! User authentication: applying the policy, counting failures, locking out, and the wallet PIN.
//!
//! [`Auth`] decides when an action needs a fresh authentication and gets it the only way that
//! counts: a signature by the holder key, made by the secure area behind the OS's user check and
//! verified by the core (a host that only says "yes" gets nowhere). It reserves every attempt (a
//! prompt, a PIN check) in one atomic, durable update *before* the prompt or the derivation, so
//! parallel callers in any number of processes get exactly the policy's attempts; lockouts
//! escalate up to a permanent one, and run down only by time that certainly passed (the boot
//! clock, else the wall clock past its high-water mark). Every failure comes back as an
//! [`AuthError`] whose [`AuthError::next_step`] tells a UI what the person can do.
//!
//! This module must never see biometric data, never store a PIN or PIN-derived key, never treat
//! an unverified "success" as an authentication, and never reveal a PIN check's result before the
//! attempt is durably counted.

pub mod pin;
pub mod policy;
pub mod state;

use std::sync::Mutex;

use rand_core::{OsRng, RngCore};

pub use pin::{CorruptPinLayer, Pin, PinDerivationError, PinFormatError, PinLayer, PinParams};
pub use policy::{Action, AuthPolicy, DeviceCredentialFallback, Gate, LOCKOUT_ESCALATION};
use state::Lock;
pub use state::{
    AuthState, AuthStateStore, CorruptAuthState, MemoryAuthStateStore, StateStoreError,
};
// One clock for the whole core: `auth` reads the same `Clock` as `present` and `verify`.
pub use crate::time::{Clock, SystemClock};

use crate::secure_area::{
    Prompt, PromptReason, RecordedHolderKey, SecureArea, SecureAreaError, VerifiedSignature,
};

/// What a person can do after an authentication failure; UIs map each to a screen or button.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NextStep {
    /// Try the same thing again now.
    TryAgain,
    /// Wait this many seconds, then try again.
    WaitThenTryAgain {
        /// Seconds until the lockout ends.
        seconds: u64,
    },
    /// Set up a fingerprint, face or device passcode in the system settings.
    EnrolBiometricsInSystemSettings,
    /// Unlock the device with its passcode to re-enable biometrics, then try again.
    UnlockDeviceWithPasscode,
    /// The document's holder key is gone or invalidated: enrol the document again (and have the
    /// issuer revoke the old credential).
    ReEnrolDocument,
    /// The authenticator's unlock key was invalidated (biometrics changed): set the
    /// authenticator up again (a new unlock key), then enrol the documents again.
    SetUpAuthenticatorAgain,
    /// Set up a wallet PIN first.
    SetUpPin,
    /// Change the existing PIN instead of setting one.
    ChangePin,
    /// Choose a PIN of at least six digits.
    ChooseValidPin,
    /// Try again later; the secure area is temporarily unavailable.
    TryAgainLater,
    /// Something is wrong that the person cannot fix: report it (update the app, contact support).
    ReportProblem,
    /// The wallet is locked for good after too many failures: reset it (destroy the wallet, then
    /// enrol the documents again with the issuer).
    ResetWallet,
}

/// Why an authentication or PIN operation did not succeed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    /// The user cancelled the prompt; nothing was counted.
    #[error("authentication was cancelled; try again when ready")]
    Cancelled,
    /// The biometric was not recognised; counted toward the lockout.
    #[error("the fingerprint or face was not recognised; {attempts_left} attempts left")]
    Failed {
        /// Attempts before a lockout.
        attempts_left: u32,
    },
    /// No biometric or device passcode is set up.
    #[error("no fingerprint, face or device passcode is set up; set one up in the system settings")]
    NotEnrolled,
    /// The OS locked biometrics after its own attempt limit.
    #[error(
        "the device has locked biometric checks; unlock the device with its passcode, then try again"
    )]
    SystemLockedOut,
    /// The enrolled biometrics changed and the holder key was invalidated: enrol the document
    /// again (the issuer revokes the old credential). Other documents are not affected.
    #[error(
        "the enrolled fingerprints or faces changed, so this document's key no longer works; enrol the document again"
    )]
    HolderKeyInvalidated,
    /// The enrolled biometrics changed and the authenticator's unlock key was invalidated: set
    /// the authenticator up again, then enrol the documents sealed under the old one again.
    #[error(
        "the enrolled fingerprints or faces changed, so the wallet's biometric unlock key no longer works; set up biometric unlock again, then enrol your documents again"
    )]
    AuthenticatorInvalidated,
    /// Too many failed attempts.
    #[error("too many failed attempts; try again in {remaining_seconds} seconds")]
    LockedOut {
        /// Seconds until the lockout ends.
        remaining_seconds: u64,
    },
    /// Too many lockouts since the last success: the wallet is locked for good.
    #[error(
        "too many failed attempts: this wallet is locked for good; reset it and enrol your documents again"
    )]
    PermanentlyLocked,
    /// The wallet PIN was wrong; counted toward the lockout.
    #[error("the wallet PIN is wrong; {attempts_left} attempts left")]
    WrongPin {
        /// Attempts before a lockout.
        attempts_left: u32,
    },
    /// The secure area answered "success" without a valid signature; nothing was authorised.
    #[error("the secure area misbehaved ({what}); nothing was authorised")]
    SecureAreaMisbehaved {
        /// Which promise it broke.
        what: &'static str,
    },
    /// The secure area is unavailable.
    #[error("the secure area is unavailable: {detail}")]
    Unavailable {
        /// Host-supplied explanation.
        detail: String,
    },
    /// A PIN was required or checked but none is set.
    #[error("no wallet PIN is set; set one up first")]
    PinNotSet,
    /// A PIN is already set; changing it needs the current one.
    #[error("a wallet PIN is already set; change it with the current PIN instead")]
    PinAlreadySet,
    /// The typed PIN does not have the PIN format.
    #[error(transparent)]
    InvalidPin(#[from] PinFormatError),
    /// The PIN key derivation failed.
    #[error(transparent)]
    PinDerivation(#[from] PinDerivationError),
    /// The policy cannot be applied.
    #[error("the authentication policy is invalid: {what}")]
    InvalidPolicy {
        /// What is wrong with it.
        what: &'static str,
    },
    /// Reading or saving the authentication state failed; nothing was revealed or authorised.
    #[error(transparent)]
    StateStore(#[from] StateStoreError),
    /// Another secure-area failure (missing or damaged key, wrong wallet key, storage).
    #[error(transparent)]
    SecureArea(SecureAreaError),
}

impl AuthError {
    /// What the person can do next.
    pub fn next_step(&self) -> NextStep {
        match self {
            Self::Cancelled | Self::Failed { .. } | Self::WrongPin { .. } => NextStep::TryAgain,
            Self::NotEnrolled => NextStep::EnrolBiometricsInSystemSettings,
            Self::SystemLockedOut => NextStep::UnlockDeviceWithPasscode,
            Self::HolderKeyInvalidated => NextStep::ReEnrolDocument,
            Self::AuthenticatorInvalidated => NextStep::SetUpAuthenticatorAgain,
            Self::LockedOut { remaining_seconds } => NextStep::WaitThenTryAgain {
                seconds: *remaining_seconds,
            },
            Self::Unavailable { .. } => NextStep::TryAgainLater,
            Self::PermanentlyLocked => NextStep::ResetWallet,
            Self::PinNotSet => NextStep::SetUpPin,
            Self::PinAlreadySet => NextStep::ChangePin,
            Self::InvalidPin(_) => NextStep::ChooseValidPin,
            Self::SecureArea(SecureAreaError::KeyNotFound)
            | Self::SecureArea(SecureAreaError::CorruptKeyBlob { .. }) => NextStep::ReEnrolDocument,
            Self::SecureAreaMisbehaved { .. }
            | Self::PinDerivation(_)
            | Self::InvalidPolicy { .. }
            | Self::StateStore(_)
            | Self::SecureArea(_) => NextStep::ReportProblem,
        }
    }

    /// Maps a secure-area outcome other than `Failed` (which `Auth` counts itself).
    fn from_secure_area(error: SecureAreaError) -> Self {
        match error {
            SecureAreaError::Cancelled => Self::Cancelled,
            SecureAreaError::NotEnrolled => Self::NotEnrolled,
            SecureAreaError::SystemLockedOut => Self::SystemLockedOut,
            SecureAreaError::HolderKeyInvalidated => Self::HolderKeyInvalidated,
            SecureAreaError::AuthenticatorInvalidated => Self::AuthenticatorInvalidated,
            SecureAreaError::Misbehaved { what } => Self::SecureAreaMisbehaved { what },
            SecureAreaError::Unavailable { detail } => Self::Unavailable { detail },
            other => Self::SecureArea(other),
        }
    }
}

/// Proof that the policy's gate for one action was passed. Only [`Auth::authorize`] makes one,
/// so wallet operations can demand it.
#[derive(Debug, PartialEq, Eq)]
pub struct Authorized {
    action: Action,
}

impl Authorized {
    /// The action this authorises.
    pub fn action(&self) -> Action {
        self.action
    }
}

/// Whether authentication attempts are possible right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockStatus {
    /// Attempts are allowed; this many failures in a row lead to a lockout.
    Open {
        /// Attempts before a lockout.
        attempts_left: u32,
    },
    /// Locked out.
    LockedOut {
        /// Seconds until the lockout ends.
        remaining_seconds: u64,
    },
    /// Locked for good: the wallet must be reset.
    PermanentlyLocked,
}

/// Prefix of the challenge signed to prove an authentication for a gate. It cannot be mistaken
/// for a COSE `Sig_structure` (a CBOR array, first byte 0x84), so such a signature can never be
/// replayed as a presentation.
const GATE_CHALLENGE_CONTEXT: &[u8] = b"netid user authentication v1\0";

/// Applies an [`AuthPolicy`] with state kept in an [`AuthStateStore`].
///
/// Every attempt (a biometric prompt, a PIN check) is *reserved* first: one atomic, durable
/// update of the state counts it as failed before the prompt is raised or the PIN derived, and
/// arms the lockout if it is the last one allowed. A success then clears the count; a cancelled
/// or faulty prompt gives the reservation back; a crash keeps it counted. So parallel callers,
/// in any number of processes, get exactly the policy's attempts evaluated.
pub struct Auth<S, C> {
    policy: AuthPolicy,
    store: S,
    clock: C,
    /// When the last authentication was proven (effective Unix seconds); per session on purpose,
    /// so reopening the wallet always asks again.
    last_proven: Mutex<Option<u64>>,
}

/// An attempt counted in advance; [`Auth::settle`] turns it into a success, a failure or nothing.
struct Reservation {
    /// Whether this reservation armed the lockout (it was the last attempt allowed).
    armed: bool,
    /// The lockout count before this reservation, to undo an armed lockout exactly.
    lockouts_before: u32,
}

/// How a reserved attempt ended.
enum Outcome {
    /// Proven: clears the count, the lockout level and the lockout.
    Success,
    /// Wrong PIN or unrecognised biometric: stays counted. A wrong PIN is also remembered for the
    /// activity log, which cannot be written before the PIN opens the store.
    Failure { pin: bool },
    /// Cancelled, or not the person's fault (host fault, unavailable): given back.
    NotCounted,
}

impl<S: AuthStateStore, C: Clock> Auth<S, C> {
    /// Opens the policy engine over `store`, recording the current time as observed.
    pub fn open(policy: AuthPolicy, store: S, clock: C) -> Result<Self, AuthError> {
        if policy.lockout_seconds().is_none() {
            return Err(AuthError::InvalidPolicy {
                what: "the lockout must last at least one second",
            });
        }
        let auth = Self {
            policy,
            store,
            clock,
            last_proven: Mutex::new(None),
        };
        auth.observe()?;
        Ok(auth)
    }

    /// The policy in force.
    pub fn policy(&self) -> &AuthPolicy {
        &self.policy
    }

    /// Whether attempts are allowed now, and how many remain before a lockout.
    pub fn lock_status(&self) -> Result<LockStatus, AuthError> {
        let state = self.observe()?;
        Ok(match state.lock {
            Lock::Open => LockStatus::Open {
                attempts_left: self.attempts_left(&state),
            },
            Lock::For { remaining_secs } => LockStatus::LockedOut {
                remaining_seconds: remaining_secs,
            },
            Lock::Permanent => LockStatus::PermanentlyLocked,
        })
    }

    /// Failed attempts and lockouts counted since the state was last logged, zeroing both: the
    /// wallet writes them to its activity log once the store is open (a wrong PIN is counted
    /// before the log can be).
    pub fn take_unlogged(&self) -> Result<(u32, u32), AuthError> {
        let mut taken = (0, 0);
        self.store.update(&mut |state| {
            taken = (state.unlogged_failures, state.unlogged_lockouts);
            state.unlogged_failures = 0;
            state.unlogged_lockouts = 0;
        })?;
        Ok(taken)
    }

    /// Passes the gate for `action`: nothing for [`Gate::None`], a recent proven authentication
    /// for [`Gate::FreshWithin`], otherwise a new one, proven by `key` signing a fresh challenge
    /// in `area` (which prompts the user) and the core verifying that signature.
    pub async fn authorize<A: SecureArea>(
        &self,
        action: Action,
        area: &A,
        key: &RecordedHolderKey,
    ) -> Result<Authorized, AuthError> {
        let gate = self.policy.gate(action);
        if gate == Gate::None {
            return Ok(Authorized { action });
        }
        let state = self.observe()?;
        self.refuse_if_locked(&state)?;
        let now = state.clock_high_water;
        if let Gate::FreshWithin(seconds) = gate {
            let last = *self
                .last_proven
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if last.is_some_and(|at| now.saturating_sub(at) <= u64::from(seconds.get())) {
                return Ok(Authorized { action });
            }
        }
        let mut challenge = GATE_CHALLENGE_CONTEXT.to_vec();
        challenge.push(action.code());
        challenge.extend_from_slice(&now.to_be_bytes());
        let mut nonce = [0u8; 32];
        OsRng.fill_bytes(&mut nonce);
        challenge.extend_from_slice(&nonce);
        let reason = action.prompt_reason();
        self.sign_counted(self.prompt(reason, false), area, key, &challenge)
            .await?;
        Ok(Authorized { action })
    }

    /// Signs `message` (a presentation) with `key` for `action`, the signature itself being the
    /// proof of authentication: refused while locked out, the attempt is reserved before the
    /// prompt, a biometric failure stays counted, and a secure area that returns an
    /// unverifiable signature gets [`AuthError::SecureAreaMisbehaved`] and produces nothing.
    pub async fn sign_authenticated<A: SecureArea>(
        &self,
        action: Action,
        area: &A,
        key: &RecordedHolderKey,
        message: &[u8],
    ) -> Result<VerifiedSignature, AuthError> {
        // Conservative: without knowing what is shown, treat it as the whole card.
        let prompt = self.prompt(action.prompt_reason(), true);
        self.sign_counted(prompt, area, key, message).await
    }

    /// As [`Self::sign_authenticated`] for a presentation; `whole_card` (a `gov` code, or every
    /// claim) decides whether the policy's device-passcode fallback may apply
    /// ([`DeviceCredentialFallback::allows`]).
    pub async fn sign_presentation<A: SecureArea>(
        &self,
        area: &A,
        key: &RecordedHolderKey,
        message: &[u8],
        whole_card: bool,
    ) -> Result<VerifiedSignature, AuthError> {
        let prompt = self.prompt(PromptReason::ShowQr, whole_card);
        self.sign_counted(prompt, area, key, message).await
    }

    /// The prompt for `reason` under this policy.
    pub fn prompt(&self, reason: PromptReason, whole_card: bool) -> Prompt {
        Prompt {
            reason,
            device_credential: self.policy.device_credential.allows(reason, whole_card),
        }
    }

    /// As [`Self::sign_authenticated`], for a signature that is no gated action of the policy but
    /// must still count as an authentication attempt (a batch request signed by a document's
    /// holder key asks the resident under `reason`).
    pub async fn sign_counted_for<A: SecureArea>(
        &self,
        reason: crate::secure_area::PromptReason,
        area: &A,
        key: &RecordedHolderKey,
        message: &[u8],
    ) -> Result<VerifiedSignature, AuthError> {
        self.sign_counted(self.prompt(reason, false), area, key, message)
            .await
    }

    /// Checks a PIN the only way a PIN layer can be checked: `check` derives the key and tries
    /// it, returning `Some` for the right PIN and `None` for a wrong one. The attempt is reserved
    /// (durably, atomically across processes) before `check` runs.
    pub fn attempt_pin<T>(
        &self,
        check: impl FnOnce() -> Result<Option<T>, PinDerivationError>,
    ) -> Result<T, AuthError> {
        let reservation = self.reserve()?;
        match check() {
            Ok(Some(value)) => {
                self.settle(&reservation, Outcome::Success)?;
                Ok(value)
            }
            Ok(None) => Err(self.settle_failure(&reservation, true)?),
            Err(error) => {
                self.settle(&reservation, Outcome::NotCounted)?;
                Err(error.into())
            }
        }
    }

    /// Forgets the session's proven authentication, e.g. when the wallet locks.
    pub fn end_session(&self) {
        *self
            .last_proven
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
    }

    async fn sign_counted<A: SecureArea>(
        &self,
        prompt: Prompt,
        area: &A,
        key: &RecordedHolderKey,
        message: &[u8],
    ) -> Result<VerifiedSignature, AuthError> {
        let reservation = self.reserve()?;
        let signed = key.sign_with(area, message, prompt).await;
        match signed {
            Ok(signature) => {
                let state = self.settle(&reservation, Outcome::Success)?;
                *self
                    .last_proven
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()) =
                    Some(state.clock_high_water);
                Ok(signature)
            }
            Err(SecureAreaError::Failed) => Err(self.settle_failure(&reservation, false)?),
            Err(other) => {
                self.settle(&reservation, Outcome::NotCounted)?;
                Err(AuthError::from_secure_area(other))
            }
        }
    }

    /// Counts one attempt as failed in advance; refuses while locked out. The attempt that
    /// reaches the limit arms the lockout at once, so no parallel caller gets another.
    fn reserve(&self) -> Result<Reservation, AuthError> {
        let mut reservation = None;
        let state = self.store.update(&mut |state| {
            self.fold_clocks(state);
            if state.lock != Lock::Open {
                return;
            }
            let lockouts_before = state.lockouts;
            state.failed_attempts = state.failed_attempts.saturating_add(1);
            let armed = state.failed_attempts >= self.policy.max_failed_attempts.get();
            if armed {
                self.arm_lockout(state);
            }
            reservation = Some(Reservation {
                armed,
                lockouts_before,
            });
        })?;
        match reservation {
            Some(reservation) => Ok(reservation),
            None => Err(self
                .refuse_if_locked(&state)
                .err()
                .unwrap_or(AuthError::StateStore(StateStoreError {
                    detail: "the attempt could not be reserved".to_owned(),
                }))),
        }
    }

    fn settle(&self, reservation: &Reservation, outcome: Outcome) -> Result<AuthState, AuthError> {
        Ok(self.store.update(&mut |state| {
            self.fold_clocks(state);
            match outcome {
                Outcome::Success => {
                    state.failed_attempts = 0;
                    state.lockouts = 0;
                    state.lock = Lock::Open;
                }
                Outcome::Failure { pin: false } => {}
                Outcome::Failure { pin: true } => {
                    state.unlogged_failures = state.unlogged_failures.saturating_add(1);
                    if reservation.armed {
                        state.unlogged_lockouts = state.unlogged_lockouts.saturating_add(1);
                    }
                }
                Outcome::NotCounted => {
                    if reservation.armed && state.lockouts == reservation.lockouts_before + 1 {
                        state.lockouts = reservation.lockouts_before;
                        state.lock = Lock::Open;
                        state.failed_attempts =
                            self.policy.max_failed_attempts.get().saturating_sub(1);
                    } else if !reservation.armed {
                        state.failed_attempts = state.failed_attempts.saturating_sub(1);
                    }
                }
            }
        })?)
    }

    /// Settles a failed attempt and says what it led to.
    fn settle_failure(&self, reservation: &Reservation, pin: bool) -> Result<AuthError, AuthError> {
        let state = self.settle(reservation, Outcome::Failure { pin })?;
        if reservation.armed {
            return Ok(match state.lock {
                Lock::Permanent => AuthError::PermanentlyLocked,
                Lock::For { remaining_secs } => AuthError::LockedOut {
                    remaining_seconds: remaining_secs,
                },
                Lock::Open => AuthError::LockedOut {
                    remaining_seconds: 0,
                },
            });
        }
        let attempts_left = self.attempts_left(&state);
        Ok(if pin {
            AuthError::WrongPin { attempts_left }
        } else {
            AuthError::Failed { attempts_left }
        })
    }

    fn arm_lockout(&self, state: &mut AuthState) {
        state.lockouts = state.lockouts.saturating_add(1);
        state.failed_attempts = 0;
        state.lock = match self.policy.lockout_for(state.lockouts) {
            Some(duration) => Lock::For {
                remaining_secs: duration.as_secs().max(1),
            },
            None => Lock::Permanent,
        };
    }

    fn refuse_if_locked(&self, state: &AuthState) -> Result<(), AuthError> {
        match state.lock {
            Lock::Open => Ok(()),
            Lock::For { remaining_secs } => Err(AuthError::LockedOut {
                remaining_seconds: remaining_secs,
            }),
            Lock::Permanent => Err(AuthError::PermanentlyLocked),
        }
    }

    /// Records the clocks as observed now and returns the state.
    fn observe(&self) -> Result<AuthState, AuthError> {
        Ok(self.store.update(&mut |state| self.fold_clocks(state))?)
    }

    /// Folds the clocks into the state. A lockout runs down only by time that certainly passed:
    /// by the boot-time clock where the platform has one (the wall clock cannot move it), else by
    /// the wall clock past its high-water mark (setting it back cannot shorten anything; setting it
    /// forward can, the documented limit of such platforms).
    fn fold_clocks(&self, state: &mut AuthState) {
        // A clock before 1970 reads as 0, which the high-water mark then ignores.
        let wall = u64::try_from(self.clock.now().as_secs()).unwrap_or(0);
        let uptime = self.clock.uptime();
        let elapsed = match (uptime, state.observed_uptime) {
            (Some(now), Some(before)) => now.secs_since(&before),
            // First reading of the boot clock: no time is credited.
            (Some(_), None) => 0,
            (None, _) => wall.saturating_sub(state.clock_high_water),
        };
        state.clock_high_water = state.clock_high_water.max(wall);
        if uptime.is_some() {
            state.observed_uptime = uptime;
        }
        if let Lock::For { remaining_secs } = state.lock {
            let left = remaining_secs.saturating_sub(elapsed);
            state.lock = if left == 0 {
                Lock::Open
            } else {
                Lock::For {
                    remaining_secs: left,
                }
            };
        }
    }

    fn attempts_left(&self, state: &AuthState) -> u32 {
        self.policy
            .max_failed_attempts
            .get()
            .saturating_sub(state.failed_attempts)
    }
}

impl<S, C> std::fmt::Debug for Auth<S, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}
