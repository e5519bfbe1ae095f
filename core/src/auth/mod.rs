//! User authentication: applying the policy, counting failures, locking out, and the wallet PIN.
//!
//! [`Auth`] decides when an action needs a fresh authentication and gets it the only way that
//! counts: a signature by the holder key, made by the secure area behind the OS's user check and
//! verified by the core (a host that only says "yes" gets nowhere). It counts failed biometric
//! checks and wrong PINs, persists the count *before* a PIN's result is revealed, and locks out
//! for the policy's duration, measured against a persisted clock high-water mark so setting the
//! clock back cannot end a lockout early. Every failure comes back as an [`AuthError`] whose
//! [`AuthError::next_step`] tells a UI what the person can do.
//!
//! This module must never see biometric data, never store a PIN or PIN-derived key, never treat
//! an unverified "success" as an authentication, and never reveal a PIN check's result before the
//! attempt is durably counted.

pub mod pin;
pub mod policy;
pub mod state;

use std::sync::{Mutex, MutexGuard};

use rand_core::{OsRng, RngCore};

pub use pin::{DeviceSecret, Pin, PinDerivationError, PinFormatError, PinParams, PinVerifier};
pub use policy::{Action, AuthPolicy, Gate};
pub use state::{
    AuthState, AuthStateStore, CorruptAuthState, MemoryAuthStateStore, StateStoreError,
};
// One clock for the whole core: `auth` reads the same `Clock` as `present` and `verify`.
pub use crate::time::{Clock, SystemClock};

use crate::secure_area::{RecordedHolderKey, SecureArea, SecureAreaError, VerifiedSignature};

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
    /// The document's holder key is gone: enrol the document again.
    ReEnrolDocument,
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
    /// The enrolled biometrics changed and the holder key was invalidated.
    #[error(
        "the enrolled fingerprints or faces changed, so this document's key no longer works; re-enrol the document"
    )]
    KeyInvalidated,
    /// Too many failed attempts.
    #[error("too many failed attempts; try again in {remaining_seconds} seconds")]
    LockedOut {
        /// Seconds until the lockout ends.
        remaining_seconds: u64,
    },
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
            Self::KeyInvalidated => NextStep::ReEnrolDocument,
            Self::LockedOut { remaining_seconds } => NextStep::WaitThenTryAgain {
                seconds: *remaining_seconds,
            },
            Self::Unavailable { .. } => NextStep::TryAgainLater,
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
            SecureAreaError::KeyInvalidated => Self::KeyInvalidated,
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
}

/// Prefix of the challenge signed to prove an authentication for a gate. It cannot be mistaken
/// for a COSE `Sig_structure` (a CBOR array, first byte 0x84), so such a signature can never be
/// replayed as a presentation.
const GATE_CHALLENGE_CONTEXT: &[u8] = b"netid user authentication v1\0";

/// Applies an [`AuthPolicy`] with state kept in an [`AuthStateStore`].
pub struct Auth<S, C> {
    policy: AuthPolicy,
    store: S,
    clock: C,
    /// Serialises load-modify-save of the persisted state within this process.
    state_lock: Mutex<()>,
    /// When the last authentication was proven (effective Unix seconds); per session on purpose,
    /// so reopening the wallet always asks again.
    last_proven: Mutex<Option<u64>>,
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
            state_lock: Mutex::new(()),
            last_proven: Mutex::new(None),
        };
        {
            let _serial = auth.serial();
            let (state, _) = auth.load_observed()?;
            auth.store.save(&state)?;
        }
        Ok(auth)
    }

    /// The policy in force.
    pub fn policy(&self) -> &AuthPolicy {
        &self.policy
    }

    /// Whether attempts are allowed now, and how many remain before a lockout.
    pub fn lock_status(&self) -> Result<LockStatus, AuthError> {
        let _serial = self.serial();
        let (state, now) = self.load_observed()?;
        self.store.save(&state)?;
        Ok(match self.remaining_lockout(&state, now) {
            Some(remaining_seconds) => LockStatus::LockedOut { remaining_seconds },
            None => LockStatus::Open {
                attempts_left: self.attempts_left(&state),
            },
        })
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
        let now = self.check_not_locked()?;
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
        self.sign_counted(action, area, key, &challenge).await?;
        Ok(Authorized { action })
    }

    /// Signs `message` (a presentation) with `key` for `action`, the signature itself being the
    /// proof of authentication: refused while locked out, a biometric failure is counted, and a
    /// secure area that returns an unverifiable signature gets
    /// [`AuthError::SecureAreaMisbehaved`] and produces nothing.
    pub async fn sign_authenticated<A: SecureArea>(
        &self,
        action: Action,
        area: &A,
        key: &RecordedHolderKey,
        message: &[u8],
    ) -> Result<VerifiedSignature, AuthError> {
        self.check_not_locked()?;
        self.sign_counted(action, area, key, message).await
    }

    /// Sets the first wallet PIN. Fails with [`AuthError::PinAlreadySet`] if one exists.
    pub fn set_pin(
        &self,
        pin: &Pin,
        device_secret: &DeviceSecret,
        params: PinParams,
    ) -> Result<(), AuthError> {
        let _serial = self.serial();
        let (mut state, _) = self.load_observed()?;
        if state.pin.is_some() {
            return Err(AuthError::PinAlreadySet);
        }
        state.pin = Some(PinVerifier::enrol(pin, device_secret, params)?);
        self.store.save(&state)?;
        Ok(())
    }

    /// Replaces the PIN after checking the current one (counted like [`Self::verify_pin`]).
    pub fn change_pin(
        &self,
        current: &Pin,
        new: &Pin,
        device_secret: &DeviceSecret,
        params: PinParams,
    ) -> Result<(), AuthError> {
        self.verify_pin(current, device_secret)?;
        let verifier = PinVerifier::enrol(new, device_secret, params)?;
        let _serial = self.serial();
        let (mut state, _) = self.load_observed()?;
        state.pin = Some(verifier);
        self.store.save(&state)?;
        Ok(())
    }

    /// Checks the wallet PIN.
    ///
    /// The attempt is saved as a failure *before* the PIN is checked, and a wrong PIN saves the
    /// same state again, so both outcomes write the store the same number of times: killing the
    /// app once the answer is known, or making the store fail, never yields a free guess.
    pub fn verify_pin(&self, pin: &Pin, device_secret: &DeviceSecret) -> Result<(), AuthError> {
        let _serial = self.serial();
        let (mut state, now) = self.load_observed()?;
        if let Some(remaining_seconds) = self.remaining_lockout(&state, now) {
            self.store.save(&state)?;
            return Err(AuthError::LockedOut { remaining_seconds });
        }
        let Some(verifier) = state.pin.clone() else {
            return Err(AuthError::PinNotSet);
        };
        let mut counted = state.clone();
        let failure = self.count_failure(&mut counted, now);
        self.store.save(&counted)?;

        if verifier.matches(pin, device_secret)? {
            state.failed_attempts = 0;
            state.locked_until = None;
            self.store.save(&state)?;
            Ok(())
        } else {
            self.store.save(&counted)?;
            Err(match failure {
                Failure::AttemptsLeft(attempts_left) => AuthError::WrongPin { attempts_left },
                Failure::LockedOut(remaining_seconds) => AuthError::LockedOut { remaining_seconds },
            })
        }
    }

    /// Whether a wallet PIN is set.
    pub fn has_pin(&self) -> Result<bool, AuthError> {
        let _serial = self.serial();
        Ok(self.load_observed()?.0.pin.is_some())
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
        action: Action,
        area: &A,
        key: &RecordedHolderKey,
        message: &[u8],
    ) -> Result<VerifiedSignature, AuthError> {
        match key.sign(area, message, action.prompt_reason()).await {
            Ok(signature) => {
                let now = {
                    let _serial = self.serial();
                    let (mut state, now) = self.load_observed()?;
                    state.failed_attempts = 0;
                    self.store.save(&state)?;
                    now
                };
                *self
                    .last_proven
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(now);
                Ok(signature)
            }
            Err(SecureAreaError::Failed) => {
                let _serial = self.serial();
                let (mut state, now) = self.load_observed()?;
                let failure = self.count_failure(&mut state, now);
                self.store.save(&state)?;
                Err(match failure {
                    Failure::AttemptsLeft(attempts_left) => AuthError::Failed { attempts_left },
                    Failure::LockedOut(remaining_seconds) => {
                        AuthError::LockedOut { remaining_seconds }
                    }
                })
            }
            Err(other) => Err(AuthError::from_secure_area(other)),
        }
    }

    /// Refuses while locked out; returns the effective time otherwise.
    fn check_not_locked(&self) -> Result<u64, AuthError> {
        let _serial = self.serial();
        let (state, now) = self.load_observed()?;
        self.store.save(&state)?;
        match self.remaining_lockout(&state, now) {
            Some(remaining_seconds) => Err(AuthError::LockedOut { remaining_seconds }),
            None => Ok(now),
        }
    }

    fn serial(&self) -> MutexGuard<'_, ()> {
        self.state_lock
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Loads the state and folds in the clock: the effective time is the later of the clock and
    /// the high-water mark, so a clock set back reads as the last time seen; an expired lockout
    /// is cleared. The caller saves.
    fn load_observed(&self) -> Result<(AuthState, u64), AuthError> {
        let mut state = self.store.load()?.unwrap_or_default();
        // A clock before 1970 reads as 0, which the high-water mark then ignores.
        let clock_now = u64::try_from(self.clock.now().as_secs()).unwrap_or(0);
        let now = clock_now.max(state.clock_high_water);
        state.clock_high_water = now;
        if state.locked_until.is_some_and(|until| until <= now) {
            state.locked_until = None;
            state.failed_attempts = 0;
        }
        Ok((state, now))
    }

    fn remaining_lockout(&self, state: &AuthState, now: u64) -> Option<u64> {
        state
            .locked_until
            .map(|until| until.saturating_sub(now))
            .filter(|remaining| *remaining > 0)
    }

    fn attempts_left(&self, state: &AuthState) -> u32 {
        self.policy
            .max_failed_attempts
            .get()
            .saturating_sub(state.failed_attempts)
    }

    fn count_failure(&self, state: &mut AuthState, now: u64) -> Failure {
        state.failed_attempts = state.failed_attempts.saturating_add(1);
        if state.failed_attempts >= self.policy.max_failed_attempts.get() {
            let lockout = self.policy.lockout_seconds().unwrap_or(1);
            state.locked_until = Some(now.saturating_add(lockout));
            state.failed_attempts = 0;
            Failure::LockedOut(lockout)
        } else {
            Failure::AttemptsLeft(self.attempts_left(state))
        }
    }
}

/// What one more failure led to.
enum Failure {
    AttemptsLeft(u32),
    LockedOut(u64),
}

impl<S, C> std::fmt::Debug for Auth<S, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}
