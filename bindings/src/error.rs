//! The public error enums of the FFI surface, one per surface: [`WalletError`] (the resident's
//! wallet), [`VerifyError`] (the counter), [`HostError`] (what host-implemented traits throw) and,
//! with the `dev-issuer` feature, `IssuerError`.
//!
//! This module owns the mapping from the core's rich errors to these small enums. Every message
//! is the core's own `Display` text, which never holds key material or personal data; this module
//! must never add either, and never forward the text of an unexpected host exception (a host
//! could put anything in it).

use netid_core::auth::{AuthError, NextStep as AuthNextStep};
use netid_core::counter::RequestError;
use netid_core::keystore::{KeyStoreError, Unavailable};
use netid_core::secure_area::SecureAreaError;
use netid_core::store::StoreError;
use netid_core::verify::VerifyError as CoreVerifyError;
use netid_core::wallet::{NextStep as CoreNextStep, WalletError as CoreWalletError};

/// What the person in front of the phone can do after a failure; apps map each to a screen or a
/// button instead of parsing messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum NextStep {
    /// Try the same thing again now.
    TryAgain,
    /// Wait (a lockout), then try again.
    WaitThenTryAgain {
        /// Until the lockout ends.
        wait: std::time::Duration,
    },
    /// Set up a fingerprint, face or device passcode in the system settings.
    EnrolBiometricsInSystemSettings,
    /// Unlock the device with its passcode to re-enable biometrics, then try again.
    UnlockDeviceWithPasscode,
    /// The document's holder key is gone or invalidated: enrol the document again, then delete
    /// the old entry; the issuer revokes the old credential (docs/kotlin.md, docs/swift.md).
    ReEnrolDocument,
    /// The authenticator's unlock key (software holder keys) was invalidated by a biometric
    /// change: set the authenticator up again (the glue's `reset`), then enrol the documents
    /// again.
    SetUpAuthenticatorAgain,
    /// Set up a wallet PIN first.
    SetUpPin,
    /// A PIN exists: change it instead of setting one.
    ChangePin,
    /// Choose a PIN of 6 to 64 digits.
    ChooseValidPin,
    /// Try again later; something the wallet depends on is temporarily unavailable.
    TryAgainLater,
    /// Nothing the person can fix: report it (update the app, contact support).
    ReportProblem,
    /// The wallet is locked: unlock it.
    UnlockWallet,
    /// Ask for the wallet PIN.
    EnterPin,
    /// Enrol a document first.
    EnrolDocument,
    /// The issuer's answer cannot be accepted: start the enrolment again or contact the issuer.
    ContactIssuer,
    /// The wallet's files or key store entry are damaged or gone: restore a backup or start over.
    RestoreOrReset,
    /// Check storage space and permissions, then retry.
    CheckStorage,
    /// The request itself is wrong: change it.
    ChangeRequest,
    /// Wait for the operation already running on this wallet to finish.
    WaitForOtherOperation,
    /// Go online and refill the document's one-time codes (`Wallet.begin_refill`).
    Refill,
    /// Ask the counter for (a new) request code and scan it.
    ScanCounterRequest,
    /// The counter is not what it claims (unregistered, forged, or asking beyond its
    /// registration): show nothing, and tell the resident so.
    DoNotShow,
}

fn from_auth_step(step: AuthNextStep) -> NextStep {
    match step {
        AuthNextStep::TryAgain => NextStep::TryAgain,
        AuthNextStep::WaitThenTryAgain { seconds } => NextStep::WaitThenTryAgain {
            wait: std::time::Duration::from_secs(seconds),
        },
        AuthNextStep::EnrolBiometricsInSystemSettings => NextStep::EnrolBiometricsInSystemSettings,
        AuthNextStep::UnlockDeviceWithPasscode => NextStep::UnlockDeviceWithPasscode,
        AuthNextStep::ReEnrolDocument => NextStep::ReEnrolDocument,
        AuthNextStep::SetUpAuthenticatorAgain => NextStep::SetUpAuthenticatorAgain,
        AuthNextStep::SetUpPin => NextStep::SetUpPin,
        AuthNextStep::ChangePin => NextStep::ChangePin,
        AuthNextStep::ChooseValidPin => NextStep::ChooseValidPin,
        AuthNextStep::TryAgainLater => NextStep::TryAgainLater,
        AuthNextStep::ReportProblem => NextStep::ReportProblem,
        AuthNextStep::ResetWallet => NextStep::RestoreOrReset,
    }
}

fn from_core_step(step: CoreNextStep) -> NextStep {
    match step {
        CoreNextStep::UnlockWallet => NextStep::UnlockWallet,
        CoreNextStep::EnterPin => NextStep::EnterPin,
        CoreNextStep::EnrolDocument => NextStep::EnrolDocument,
        CoreNextStep::ContactIssuer => NextStep::ContactIssuer,
        CoreNextStep::RestoreOrReset => NextStep::RestoreOrReset,
        CoreNextStep::CheckStorage => NextStep::CheckStorage,
        CoreNextStep::ChangeRequest => NextStep::ChangeRequest,
        CoreNextStep::Refill => NextStep::Refill,
        CoreNextStep::ScanCounterRequest => NextStep::ScanCounterRequest,
        CoreNextStep::DoNotShow => NextStep::DoNotShow,
        CoreNextStep::Auth(step) => from_auth_step(step),
    }
}

/// Why the wallet refused a counter's request (`WalletError.RequestRefused`). Nothing from the
/// request but this is reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum RequestRefusal {
    /// Not a netid counter request, or damaged (a changed byte lands here or on a signature).
    Malformed,
    /// The counter is not registered with a registrar this wallet trusts.
    UnknownRegistrar,
    /// The counter's certificate is forged or altered.
    BadCertificateSignature,
    /// The certificate (or its registrar key) is expired or not valid yet.
    CertificateNotValid,
    /// The request was not signed by the registered counter's key.
    BadRequestSignature,
    /// The request has expired (or claims to live too long).
    Expired,
    /// The counter asks for a purpose it is not registered for.
    PurposeNotCertified,
    /// The counter asks for a claim it is not registered to receive.
    ClaimNotCertified,
    /// This wallet already answered this request.
    Replayed,
}

impl From<&RequestError> for RequestRefusal {
    fn from(error: &RequestError) -> Self {
        match error {
            RequestError::Malformed(_) => Self::Malformed,
            RequestError::UnknownRegistrar => Self::UnknownRegistrar,
            RequestError::BadCertificateSignature => Self::BadCertificateSignature,
            RequestError::CertificateNotValid => Self::CertificateNotValid,
            RequestError::BadRequestSignature => Self::BadRequestSignature,
            RequestError::RequestExpired => Self::Expired,
            RequestError::PurposeNotCertified(_) => Self::PurposeNotCertified,
            RequestError::ClaimNotCertified(_) => Self::ClaimNotCertified,
            RequestError::Replayed => Self::Replayed,
        }
    }
}

/// Why a wallet operation did not succeed. Each variant is one situation an app handles
/// differently; `reason` is a sentence for the person (no personal data), `next_step` what they
/// can do about it.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum WalletError {
    /// The wallet is locked (on request, or its session ended): unlock it.
    #[error("{reason}")]
    Locked { reason: String, next_step: NextStep },
    /// The wallet needs its PIN to unlock and none was given.
    #[error("{reason}")]
    PinRequired { reason: String, next_step: NextStep },
    /// The wallet PIN was wrong.
    #[error("{reason}")]
    WrongPin {
        attempts_left: u32,
        reason: String,
        next_step: NextStep,
    },
    /// Too many failed attempts; nothing will be checked until the lockout ends.
    #[error("{reason}")]
    LockedOut {
        remaining: std::time::Duration,
        reason: String,
        next_step: NextStep,
    },
    /// The user dismissed the prompt, or the app cancelled it
    /// ([`crate::Wallet::cancel_authentication`]). Nothing was counted.
    #[error("{reason}")]
    Cancelled { reason: String, next_step: NextStep },
    /// The fingerprint or face was not recognised.
    #[error("{reason}")]
    NotRecognised {
        attempts_left: u32,
        reason: String,
        next_step: NextStep,
    },
    /// No biometric or device passcode is set up on the device.
    #[error("{reason}")]
    BiometricsNotEnrolled { reason: String, next_step: NextStep },
    /// The OS locked biometrics after its own attempt limit.
    #[error("{reason}")]
    SystemLockedOut { reason: String, next_step: NextStep },
    /// The document's holder key was permanently invalidated (biometrics re-enrolled), or is
    /// gone or damaged: enrol the document again (`next_step` `ReEnrolDocument`), then delete the
    /// old entry; the issuer revokes the old credential. The wallet and its other documents are
    /// unaffected.
    #[error("{reason}")]
    HolderKeyInvalidated { reason: String, next_step: NextStep },
    /// The software holder keys' authenticator lost its unlock key to a biometric change:
    /// set it up again (`next_step` `SetUpAuthenticatorAgain`), then enrol the documents again.
    /// The wallet itself (its data, log and PIN) is unaffected.
    #[error("{reason}")]
    AuthenticatorInvalidated { reason: String, next_step: NextStep },
    /// The host's secure area or authenticator answered with something that does not prove what
    /// it claims (a wrong signature, a bad unlock secret, an unexpected exception). Nothing was
    /// shown or signed.
    #[error("{reason}")]
    HostMisbehaved { reason: String, next_step: NextStep },
    /// The host's secure area or key store is unavailable right now.
    #[error("{reason}")]
    HostUnavailable { reason: String, next_step: NextStep },
    /// The wallet's data key cannot be recovered (key store entry missing or not this wallet's).
    #[error("{reason}")]
    KeyUnavailable { reason: String, next_step: NextStep },
    /// The wallet's files are damaged or were changed outside netid; nothing was overwritten.
    #[error("{reason}")]
    StoreDamaged { reason: String, next_step: NextStep },
    /// Reading or writing the wallet's files failed (space, permissions, busy).
    #[error("{reason}")]
    StorageFailed { reason: String, next_step: NextStep },
    /// No document with that id.
    #[error("{reason}")]
    NoSuchDocument { reason: String, next_step: NextStep },
    /// The issued credential was refused (untrusted issuer, damaged, bound to another key).
    #[error("{reason}")]
    CredentialRefused { reason: String, next_step: NextStep },
    /// No one-time code is left for the purpose and the wallet's options refuse to show a
    /// linkable one: refill first.
    #[error("{reason}")]
    PoolEmpty { reason: String, next_step: NextStep },
    /// Another operation is running on this wallet; wait for it (or cancel it).
    #[error("{reason}")]
    Busy { reason: String, next_step: NextStep },
    /// A counter's request was refused before anything was asked, signed or logged; `refusal`
    /// says why (`next_step`: scan a new request, or show nothing at all).
    #[error("{reason}")]
    RequestRefused {
        refusal: RequestRefusal,
        reason: String,
        next_step: NextStep,
    },
    /// This code (`gov`, or the whole card) is shown only in answer to a registered counter's
    /// signed request: scan the counter's request code (`Wallet.parse_request`).
    #[error("{reason}")]
    RequestRequired { reason: String, next_step: NextStep },
    /// An argument is not acceptable (bad document id, PIN format, lifetime, claim...).
    #[error("{reason}")]
    InvalidInput { reason: String, next_step: NextStep },
    /// Something that should not happen; report it.
    #[error("{reason}")]
    Internal { reason: String, next_step: NextStep },
}

impl WalletError {
    pub(crate) fn locked() -> Self {
        Self::Locked {
            reason: "the wallet is locked; unlock it to continue".to_owned(),
            next_step: NextStep::UnlockWallet,
        }
    }

    pub(crate) fn cancelled() -> Self {
        Self::Cancelled {
            reason: "authentication was cancelled; try again when ready".to_owned(),
            next_step: NextStep::TryAgain,
        }
    }

    pub(crate) fn busy() -> Self {
        Self::Busy {
            reason:
                "another operation is running on this wallet; wait for it to finish or cancel it"
                    .to_owned(),
            next_step: NextStep::WaitForOtherOperation,
        }
    }

    pub(crate) fn invalid(reason: impl Into<String>) -> Self {
        Self::InvalidInput {
            reason: reason.into(),
            next_step: NextStep::ChangeRequest,
        }
    }

    /// The step an app should offer for this error.
    pub fn next_step(&self) -> NextStep {
        match self {
            Self::Locked { next_step, .. }
            | Self::PinRequired { next_step, .. }
            | Self::WrongPin { next_step, .. }
            | Self::LockedOut { next_step, .. }
            | Self::Cancelled { next_step, .. }
            | Self::NotRecognised { next_step, .. }
            | Self::BiometricsNotEnrolled { next_step, .. }
            | Self::SystemLockedOut { next_step, .. }
            | Self::HolderKeyInvalidated { next_step, .. }
            | Self::AuthenticatorInvalidated { next_step, .. }
            | Self::HostMisbehaved { next_step, .. }
            | Self::HostUnavailable { next_step, .. }
            | Self::KeyUnavailable { next_step, .. }
            | Self::StoreDamaged { next_step, .. }
            | Self::StorageFailed { next_step, .. }
            | Self::NoSuchDocument { next_step, .. }
            | Self::CredentialRefused { next_step, .. }
            | Self::PoolEmpty { next_step, .. }
            | Self::RequestRefused { next_step, .. }
            | Self::RequestRequired { next_step, .. }
            | Self::Busy { next_step, .. }
            | Self::InvalidInput { next_step, .. }
            | Self::Internal { next_step, .. } => *next_step,
        }
    }
}

/// The stable kebab-case names of the app library's errors and steps: the keys of their messages
/// in the shared catalogue (netid-i18n, docs/i18n.md) and of the generated Android and iOS string
/// resources (`wallet-error-<kind>` → `netid_wallet_error_<kind>`). Not exported over FFI: hosts
/// name the variant they caught (`WalletException.LockedOut` → `wallet-error-locked-out`).
impl WalletError {
    /// Every value of [`WalletError::kind`].
    pub const ALL_KINDS: &'static [&'static str] = &[
        "locked",
        "pin-required",
        "wrong-pin",
        "locked-out",
        "cancelled",
        "not-recognised",
        "biometrics-not-enrolled",
        "system-locked-out",
        "holder-key-invalidated",
        "authenticator-invalidated",
        "host-misbehaved",
        "host-unavailable",
        "key-unavailable",
        "store-damaged",
        "storage-failed",
        "no-such-document",
        "credential-refused",
        "pool-empty",
        "busy",
        "request-refused",
        "request-required",
        "invalid-input",
        "internal",
    ];

    /// The variant's stable name; its message is `wallet-error-<kind>`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Locked { .. } => "locked",
            Self::PinRequired { .. } => "pin-required",
            Self::WrongPin { .. } => "wrong-pin",
            Self::LockedOut { .. } => "locked-out",
            Self::Cancelled { .. } => "cancelled",
            Self::NotRecognised { .. } => "not-recognised",
            Self::BiometricsNotEnrolled { .. } => "biometrics-not-enrolled",
            Self::SystemLockedOut { .. } => "system-locked-out",
            Self::HolderKeyInvalidated { .. } => "holder-key-invalidated",
            Self::AuthenticatorInvalidated { .. } => "authenticator-invalidated",
            Self::HostMisbehaved { .. } => "host-misbehaved",
            Self::HostUnavailable { .. } => "host-unavailable",
            Self::KeyUnavailable { .. } => "key-unavailable",
            Self::StoreDamaged { .. } => "store-damaged",
            Self::StorageFailed { .. } => "storage-failed",
            Self::NoSuchDocument { .. } => "no-such-document",
            Self::CredentialRefused { .. } => "credential-refused",
            Self::PoolEmpty { .. } => "pool-empty",
            Self::Busy { .. } => "busy",
            Self::RequestRefused { .. } => "request-refused",
            Self::RequestRequired { .. } => "request-required",
            Self::InvalidInput { .. } => "invalid-input",
            Self::Internal { .. } => "internal",
        }
    }
}

impl NextStep {
    /// Every value of [`NextStep::kind`].
    pub const ALL_KINDS: &'static [&'static str] = &[
        "try-again",
        "wait-then-try-again",
        "enrol-biometrics-in-system-settings",
        "unlock-device-with-passcode",
        "re-enrol-document",
        "set-up-authenticator-again",
        "set-up-pin",
        "change-pin",
        "choose-valid-pin",
        "try-again-later",
        "report-problem",
        "unlock-wallet",
        "enter-pin",
        "enrol-document",
        "contact-issuer",
        "restore-or-reset",
        "check-storage",
        "change-request",
        "wait-for-other-operation",
        "refill",
        "scan-counter-request",
        "do-not-show",
    ];

    /// The step's stable name; its message is `next-step-<kind>` (`wait-then-try-again` takes
    /// `$seconds`: the whole seconds of `wait`).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::TryAgain => "try-again",
            Self::WaitThenTryAgain { .. } => "wait-then-try-again",
            Self::EnrolBiometricsInSystemSettings => "enrol-biometrics-in-system-settings",
            Self::UnlockDeviceWithPasscode => "unlock-device-with-passcode",
            Self::ReEnrolDocument => "re-enrol-document",
            Self::SetUpAuthenticatorAgain => "set-up-authenticator-again",
            Self::SetUpPin => "set-up-pin",
            Self::ChangePin => "change-pin",
            Self::ChooseValidPin => "choose-valid-pin",
            Self::TryAgainLater => "try-again-later",
            Self::ReportProblem => "report-problem",
            Self::UnlockWallet => "unlock-wallet",
            Self::EnterPin => "enter-pin",
            Self::EnrolDocument => "enrol-document",
            Self::ContactIssuer => "contact-issuer",
            Self::RestoreOrReset => "restore-or-reset",
            Self::CheckStorage => "check-storage",
            Self::ChangeRequest => "change-request",
            Self::WaitForOtherOperation => "wait-for-other-operation",
            Self::Refill => "refill",
            Self::ScanCounterRequest => "scan-counter-request",
            Self::DoNotShow => "do-not-show",
        }
    }
}

impl RequestRefusal {
    /// Every value of [`RequestRefusal::kind`].
    pub const ALL_KINDS: &'static [&'static str] = &[
        "malformed",
        "unknown-registrar",
        "bad-certificate-signature",
        "certificate-not-valid",
        "bad-request-signature",
        "expired",
        "purpose-not-certified",
        "claim-not-certified",
        "replayed",
    ];

    /// The refusal's stable name; its message is `request-refusal-<kind>`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::UnknownRegistrar => "unknown-registrar",
            Self::BadCertificateSignature => "bad-certificate-signature",
            Self::CertificateNotValid => "certificate-not-valid",
            Self::BadRequestSignature => "bad-request-signature",
            Self::Expired => "expired",
            Self::PurposeNotCertified => "purpose-not-certified",
            Self::ClaimNotCertified => "claim-not-certified",
            Self::Replayed => "replayed",
        }
    }
}

fn secure_area_variant(
    error: &SecureAreaError,
    reason: String,
    next_step: NextStep,
) -> WalletError {
    match error {
        SecureAreaError::Cancelled => WalletError::Cancelled { reason, next_step },
        SecureAreaError::Failed => WalletError::NotRecognised {
            attempts_left: 0,
            reason,
            next_step,
        },
        SecureAreaError::NotEnrolled => WalletError::BiometricsNotEnrolled { reason, next_step },
        SecureAreaError::SystemLockedOut => WalletError::SystemLockedOut { reason, next_step },
        SecureAreaError::HolderKeyInvalidated
        | SecureAreaError::KeyNotFound
        | SecureAreaError::CorruptKeyBlob { .. } => {
            WalletError::HolderKeyInvalidated { reason, next_step }
        }
        SecureAreaError::AuthenticatorInvalidated => {
            WalletError::AuthenticatorInvalidated { reason, next_step }
        }
        SecureAreaError::Misbehaved { .. }
        | SecureAreaError::GrantReused
        | SecureAreaError::InvalidPublicKey
        | SecureAreaError::KeyExists => WalletError::HostMisbehaved { reason, next_step },
        SecureAreaError::Unavailable { .. } => WalletError::HostUnavailable { reason, next_step },
        SecureAreaError::InvalidAlias
        | SecureAreaError::WrongWrappingKey
        | SecureAreaError::BlobStore { .. } => WalletError::Internal { reason, next_step },
    }
}

fn store_variant(error: &StoreError, reason: String, next_step: NextStep) -> WalletError {
    match error {
        StoreError::KeyUnavailable(_) => WalletError::KeyUnavailable { reason, next_step },
        StoreError::KeyStore(KeyStoreError::KeyUnavailable(_)) => {
            WalletError::KeyUnavailable { reason, next_step }
        }
        StoreError::KeyStore(KeyStoreError::PlatformStore(_)) => {
            WalletError::HostUnavailable { reason, next_step }
        }
        StoreError::StoreCorrupted { .. }
        | StoreError::RecordTampered { .. }
        | StoreError::SchemaTooNew { .. }
        | StoreError::Missing { .. }
        | StoreError::StoreRolledBack { .. }
        | StoreError::KeyStore(_) => WalletError::StoreDamaged { reason, next_step },
        StoreError::NotFound { .. } => WalletError::NoSuchDocument { reason, next_step },
        StoreError::InvalidInput { .. } | StoreError::AlreadyExists { .. } => {
            WalletError::InvalidInput { reason, next_step }
        }
        _ => WalletError::StorageFailed { reason, next_step },
    }
}

impl From<CoreWalletError> for WalletError {
    fn from(error: CoreWalletError) -> Self {
        let reason = error.to_string();
        let next_step = from_core_step(error.next_step());
        match &error {
            CoreWalletError::Locked => Self::Locked { reason, next_step },
            CoreWalletError::PinRequired => Self::PinRequired { reason, next_step },
            CoreWalletError::Auth(auth) => match auth {
                AuthError::WrongPin { attempts_left } => Self::WrongPin {
                    attempts_left: *attempts_left,
                    reason,
                    next_step,
                },
                AuthError::LockedOut { remaining_seconds } => Self::LockedOut {
                    remaining: std::time::Duration::from_secs(*remaining_seconds),
                    reason,
                    next_step,
                },
                AuthError::Cancelled => Self::Cancelled { reason, next_step },
                AuthError::Failed { attempts_left } => Self::NotRecognised {
                    attempts_left: *attempts_left,
                    reason,
                    next_step,
                },
                AuthError::NotEnrolled => Self::BiometricsNotEnrolled { reason, next_step },
                AuthError::SystemLockedOut => Self::SystemLockedOut { reason, next_step },
                AuthError::HolderKeyInvalidated => Self::HolderKeyInvalidated { reason, next_step },
                AuthError::AuthenticatorInvalidated => {
                    Self::AuthenticatorInvalidated { reason, next_step }
                }
                AuthError::SecureAreaMisbehaved { .. } => {
                    Self::HostMisbehaved { reason, next_step }
                }
                AuthError::Unavailable { .. } => Self::HostUnavailable { reason, next_step },
                AuthError::PinNotSet | AuthError::PinAlreadySet | AuthError::InvalidPin(_) => {
                    Self::InvalidInput { reason, next_step }
                }
                AuthError::SecureArea(inner) => secure_area_variant(inner, reason, next_step),
                AuthError::StateStore(_) => Self::StorageFailed { reason, next_step },
                _ => Self::Internal { reason, next_step },
            },
            CoreWalletError::SecureArea(inner) => secure_area_variant(inner, reason, next_step),
            CoreWalletError::Store(inner) => store_variant(inner, reason, next_step),
            CoreWalletError::Present(netid_core::present::PresentError::SecureAreaMisbehaved) => {
                Self::HostMisbehaved { reason, next_step }
            }
            CoreWalletError::Present(netid_core::present::PresentError::WrongHolderKey)
            | CoreWalletError::Present(netid_core::present::PresentError::CredentialNotValidNow)
            | CoreWalletError::HolderKeyMissing
            | CoreWalletError::StoredCredentialUnreadable(_) => {
                Self::HolderKeyInvalidated { reason, next_step }
            }
            CoreWalletError::Present(_) | CoreWalletError::InvalidInput { .. } => {
                Self::InvalidInput { reason, next_step }
            }
            CoreWalletError::MalformedCredential(_)
            | CoreWalletError::Untrusted(_)
            | CoreWalletError::NotBoundToHolderKey
            | CoreWalletError::Proof(_)
            | CoreWalletError::BatchRefused(_) => Self::CredentialRefused { reason, next_step },
            CoreWalletError::PoolEmpty(_) => Self::PoolEmpty { reason, next_step },
            CoreWalletError::Request(refused) => Self::RequestRefused {
                refusal: RequestRefusal::from(refused),
                reason,
                next_step,
            },
            CoreWalletError::RequestRequired => Self::RequestRequired { reason, next_step },
            CoreWalletError::NoSuchDocument => Self::NoSuchDocument { reason, next_step },
            CoreWalletError::NothingEnrolled => Self::InvalidInput { reason, next_step },
            CoreWalletError::Wipe(_) => Self::StorageFailed { reason, next_step },
            _ => Self::Internal { reason, next_step },
        }
    }
}

impl From<StoreError> for WalletError {
    fn from(error: StoreError) -> Self {
        CoreWalletError::from(error).into()
    }
}

/// Why a counter refused a code, one variant per cause, so a counter app can react (ask for a
/// refresh, call a supervisor, refuse outright). `reason` is a sentence for the clerk and never
/// holds personal data.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum VerifyError {
    /// Not a netid code, or damaged: ask the resident to show it again.
    #[error("{reason}")]
    Malformed { reason: String },
    /// The issuer is not on this counter's trust list.
    #[error("{reason}")]
    UnknownIssuer { reason: String },
    /// The issuer's signature does not verify: forged or altered.
    #[error("{reason}")]
    BadIssuerSignature { reason: String },
    /// The holder's signature does not verify: not made by the credential's owner.
    #[error("{reason}")]
    BadHolderSignature { reason: String },
    /// The shown claims do not match the credential.
    #[error("{reason}")]
    DisclosureMismatch { reason: String },
    /// The code's lifetime has passed: ask for a fresh one.
    #[error("{reason}")]
    Expired { reason: String },
    /// The code or credential is not valid yet (check clocks).
    #[error("{reason}")]
    NotYetValid { reason: String },
    /// The code claims to be made in the future beyond the tolerated skew.
    #[error("{reason}")]
    IssuedInFuture { reason: String },
    /// This exact code was already accepted at this counter.
    #[error("{reason}")]
    Replayed { reason: String },
    /// Too many codes within the window to remember them all; refusing is the safe side.
    #[error("{reason}")]
    ReplayCacheFull { reason: String },
    /// The code was made for another counter or service.
    #[error("{reason}")]
    WrongAudience { reason: String },
    /// The code does not answer this counter's challenge.
    #[error("{reason}")]
    NonceMismatch { reason: String },
    /// The code is genuine but does not satisfy this service's policy.
    #[error("{reason}")]
    PolicyUnmet { reason: String },
    /// The credential itself has expired.
    #[error("{reason}")]
    CredentialExpired { reason: String },
    /// Revoked by its issuer.
    #[error("{reason}")]
    Revoked { reason: String },
    /// Suspended by its issuer.
    #[error("{reason}")]
    Suspended { reason: String },
    /// The revocation status could not be checked and the counter requires it.
    #[error("{reason}")]
    StatusUnavailable { reason: String },
    /// The revocation list is out of date since `since`.
    #[error("{reason}")]
    StatusStale {
        since: std::time::SystemTime,
        reason: String,
    },
    /// This purpose accepts only an answer to the counter's own signed request.
    #[error("{reason}")]
    RequestRequired { reason: String },
    /// The counter's request the code answers has expired.
    #[error("{reason}")]
    RequestExpired { reason: String },
    /// The counter's own configuration (trust list, status list, options) is not acceptable.
    #[error("{reason}")]
    InvalidConfiguration { reason: String },
}

impl VerifyError {
    /// Every value of [`VerifyError::kind`]: the core's refusal kinds and
    /// `invalid-configuration`.
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
        "status-unavailable",
        "status-stale",
        "request-required",
        "request-expired",
        "invalid-configuration",
    ];

    /// The refusal's stable name, the same as the core's `VerifyError::kind`; its message for the
    /// clerk is `refusal-<kind>`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Malformed { .. } => "malformed",
            Self::UnknownIssuer { .. } => "unknown-issuer",
            Self::BadIssuerSignature { .. } => "bad-issuer-signature",
            Self::BadHolderSignature { .. } => "bad-holder-signature",
            Self::DisclosureMismatch { .. } => "disclosure-mismatch",
            Self::Expired { .. } => "expired",
            Self::NotYetValid { .. } => "not-yet-valid",
            Self::IssuedInFuture { .. } => "issued-in-future",
            Self::Replayed { .. } => "replayed",
            Self::ReplayCacheFull { .. } => "replay-cache-full",
            Self::WrongAudience { .. } => "wrong-audience",
            Self::NonceMismatch { .. } => "nonce-mismatch",
            Self::PolicyUnmet { .. } => "policy-unmet",
            Self::CredentialExpired { .. } => "credential-expired",
            Self::Revoked { .. } => "revoked",
            Self::Suspended { .. } => "suspended",
            Self::StatusUnavailable { .. } => "status-unavailable",
            Self::StatusStale { .. } => "status-stale",
            Self::RequestRequired { .. } => "request-required",
            Self::RequestExpired { .. } => "request-expired",
            Self::InvalidConfiguration { .. } => "invalid-configuration",
        }
    }
}

impl From<CoreVerifyError> for VerifyError {
    fn from(error: CoreVerifyError) -> Self {
        let reason = error.to_string();
        match error {
            CoreVerifyError::Malformed(_) => Self::Malformed { reason },
            CoreVerifyError::UnknownIssuer(_) => Self::UnknownIssuer { reason },
            CoreVerifyError::BadIssuerSignature => Self::BadIssuerSignature { reason },
            CoreVerifyError::BadHolderSignature => Self::BadHolderSignature { reason },
            CoreVerifyError::DisclosureMismatch(_) => Self::DisclosureMismatch { reason },
            CoreVerifyError::PresentationExpired => Self::Expired { reason },
            CoreVerifyError::NotYetValid => Self::NotYetValid { reason },
            CoreVerifyError::IssuedInFuture => Self::IssuedInFuture { reason },
            CoreVerifyError::Replayed => Self::Replayed { reason },
            CoreVerifyError::ReplayCacheFull => Self::ReplayCacheFull { reason },
            CoreVerifyError::WrongAudience => Self::WrongAudience { reason },
            CoreVerifyError::NonceMismatch => Self::NonceMismatch { reason },
            CoreVerifyError::PolicyUnmet(_) => Self::PolicyUnmet { reason },
            CoreVerifyError::CredentialExpired => Self::CredentialExpired { reason },
            CoreVerifyError::Revoked => Self::Revoked { reason },
            CoreVerifyError::Suspended => Self::Suspended { reason },
            CoreVerifyError::StatusUnavailable => Self::StatusUnavailable { reason },
            CoreVerifyError::RequestRequired => Self::RequestRequired { reason },
            CoreVerifyError::RequestExpired => Self::RequestExpired { reason },
            CoreVerifyError::StatusStale { since } => Self::StatusStale {
                since: crate::types::instant(since),
                reason,
            },
        }
    }
}

/// What a host-implemented trait ([`crate::KeyWrapper`], [`crate::SecureArea`],
/// [`crate::UserAuthenticator`]) throws. Hosts map their platform's outcomes onto these (for
/// example Android's `BiometricPrompt.ERROR_USER_CANCELED` to `Cancelled`,
/// `KeyPermanentlyInvalidatedException` to `KeyPermanentlyInvalidated`). Any other exception a host throws
/// arrives as [`HostError::Unexpected`] and is treated as misbehaviour: nothing is signed or shown.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum HostError {
    /// The user dismissed the prompt (or the app cancelled it).
    #[error("the user cancelled the authentication")]
    Cancelled,
    /// The biometric was not recognised.
    #[error("the biometric was not recognised")]
    Failed,
    /// No biometric or device passcode is set up.
    #[error("no biometric or device passcode is set up")]
    NotEnrolled,
    /// The OS locked biometrics after too many attempts.
    #[error("the system locked biometrics")]
    SystemLockedOut,
    /// The key this call uses was permanently invalidated by the OS (biometrics re-enrolled;
    /// Android `KeyPermanentlyInvalidatedException`, iOS a `.biometryCurrentSet` key gone after
    /// a biometry change) and will never work again. The wallet knows which key that was: from
    /// a [`crate::SecureArea`] it becomes `WalletError::HolderKeyInvalidated` (enrol that
    /// document again), from a [`crate::UserAuthenticator`] `WalletError::AuthenticatorInvalidated`
    /// (set the authenticator up again).
    #[error("the key was permanently invalidated")]
    KeyPermanentlyInvalidated,
    /// No key under that alias.
    #[error("no such key")]
    KeyNotFound,
    /// A key already exists under that alias; it was left untouched.
    #[error("a key with that alias already exists")]
    KeyExists,
    /// The platform facility is unavailable; `detail` must hold no personal data.
    #[error("unavailable: {detail}")]
    Unavailable { detail: String },
    /// The host threw something that is not a `HostError`. Its message is deliberately dropped.
    #[error("the host threw an unexpected exception")]
    Unexpected,
}

impl From<uniffi::UnexpectedUniFFICallbackError> for HostError {
    fn from(_: uniffi::UnexpectedUniFFICallbackError) -> Self {
        Self::Unexpected
    }
}

impl HostError {
    /// The core's view of a secure-area or authenticator failure.
    pub(crate) fn into_secure_area(self, what: &'static str) -> SecureAreaError {
        match self {
            Self::Cancelled => SecureAreaError::Cancelled,
            Self::Failed => SecureAreaError::Failed,
            Self::NotEnrolled => SecureAreaError::NotEnrolled,
            Self::SystemLockedOut => SecureAreaError::SystemLockedOut,
            Self::KeyPermanentlyInvalidated => SecureAreaError::HolderKeyInvalidated,
            Self::KeyNotFound => SecureAreaError::KeyNotFound,
            Self::KeyExists => SecureAreaError::KeyExists,
            Self::Unavailable { detail } => SecureAreaError::Unavailable { detail },
            Self::Unexpected => SecureAreaError::Misbehaved { what },
        }
    }

    /// The core's view of a key-store failure.
    pub(crate) fn into_key_store(self) -> KeyStoreError {
        match self {
            Self::KeyNotFound | Self::KeyPermanentlyInvalidated => {
                KeyStoreError::KeyUnavailable(Unavailable::Missing)
            }
            Self::Unavailable { detail } => KeyStoreError::PlatformStore(detail),
            Self::Unexpected => KeyStoreError::PlatformStore(
                "the host key store threw an unexpected exception".to_owned(),
            ),
            other => KeyStoreError::PlatformStore(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_of_each_wallet_error() -> Vec<WalletError> {
        let r = String::new;
        let n = NextStep::TryAgain;
        vec![
            WalletError::Locked {
                reason: r(),
                next_step: n,
            },
            WalletError::PinRequired {
                reason: r(),
                next_step: n,
            },
            WalletError::WrongPin {
                attempts_left: 1,
                reason: r(),
                next_step: n,
            },
            WalletError::LockedOut {
                remaining: std::time::Duration::from_secs(1),
                reason: r(),
                next_step: n,
            },
            WalletError::Cancelled {
                reason: r(),
                next_step: n,
            },
            WalletError::NotRecognised {
                attempts_left: 1,
                reason: r(),
                next_step: n,
            },
            WalletError::BiometricsNotEnrolled {
                reason: r(),
                next_step: n,
            },
            WalletError::SystemLockedOut {
                reason: r(),
                next_step: n,
            },
            WalletError::HolderKeyInvalidated {
                reason: r(),
                next_step: n,
            },
            WalletError::AuthenticatorInvalidated {
                reason: r(),
                next_step: n,
            },
            WalletError::HostMisbehaved {
                reason: r(),
                next_step: n,
            },
            WalletError::HostUnavailable {
                reason: r(),
                next_step: n,
            },
            WalletError::KeyUnavailable {
                reason: r(),
                next_step: n,
            },
            WalletError::StoreDamaged {
                reason: r(),
                next_step: n,
            },
            WalletError::StorageFailed {
                reason: r(),
                next_step: n,
            },
            WalletError::NoSuchDocument {
                reason: r(),
                next_step: n,
            },
            WalletError::CredentialRefused {
                reason: r(),
                next_step: n,
            },
            WalletError::PoolEmpty {
                reason: r(),
                next_step: n,
            },
            WalletError::Busy {
                reason: r(),
                next_step: n,
            },
            WalletError::RequestRefused {
                refusal: RequestRefusal::Malformed,
                reason: r(),
                next_step: n,
            },
            WalletError::RequestRequired {
                reason: r(),
                next_step: n,
            },
            WalletError::InvalidInput {
                reason: r(),
                next_step: n,
            },
            WalletError::Internal {
                reason: r(),
                next_step: n,
            },
        ]
    }

    /// `kind()` matches without a wildcard, so a new variant needs a kind; these make sure the
    /// kind is also in `ALL_KINDS` (one example per variant, in declaration order) and that the
    /// shared catalogue words it in both languages, so host apps get its string resources.
    #[test]
    fn every_kind_is_listed_and_has_a_message_in_both_languages() {
        let wallet: Vec<&str> = one_of_each_wallet_error()
            .iter()
            .map(WalletError::kind)
            .collect();
        let mut sorted = wallet.clone();
        sorted.sort_unstable();
        let mut listed = WalletError::ALL_KINDS.to_vec();
        listed.sort_unstable();
        assert_eq!(sorted, listed);
        let verify: Vec<&str> = CoreVerifyError::ALL_KINDS
            .iter()
            .copied()
            .chain(["invalid-configuration"])
            .collect();
        let mut a = verify.clone();
        a.sort_unstable();
        let mut b = VerifyError::ALL_KINDS.to_vec();
        b.sort_unstable();
        assert_eq!(
            a, b,
            "the FFI refusals are the core's plus invalid-configuration"
        );
        let steps = [
            NextStep::TryAgain,
            NextStep::WaitThenTryAgain {
                wait: std::time::Duration::from_secs(1),
            },
            NextStep::EnrolBiometricsInSystemSettings,
            NextStep::UnlockDeviceWithPasscode,
            NextStep::ReEnrolDocument,
            NextStep::SetUpAuthenticatorAgain,
            NextStep::SetUpPin,
            NextStep::ChangePin,
            NextStep::ChooseValidPin,
            NextStep::TryAgainLater,
            NextStep::ReportProblem,
            NextStep::UnlockWallet,
            NextStep::EnterPin,
            NextStep::EnrolDocument,
            NextStep::ContactIssuer,
            NextStep::RestoreOrReset,
            NextStep::CheckStorage,
            NextStep::ChangeRequest,
            NextStep::WaitForOtherOperation,
            NextStep::Refill,
            NextStep::ScanCounterRequest,
            NextStep::DoNotShow,
        ];
        let step_kinds: Vec<&str> = steps.iter().map(NextStep::kind).collect();
        assert_eq!(step_kinds, NextStep::ALL_KINDS);
        let refusals = [
            RequestRefusal::Malformed,
            RequestRefusal::UnknownRegistrar,
            RequestRefusal::BadCertificateSignature,
            RequestRefusal::CertificateNotValid,
            RequestRefusal::BadRequestSignature,
            RequestRefusal::Expired,
            RequestRefusal::PurposeNotCertified,
            RequestRefusal::ClaimNotCertified,
            RequestRefusal::Replayed,
        ];
        let refusal_kinds: Vec<&str> = refusals.iter().map(RequestRefusal::kind).collect();
        assert_eq!(refusal_kinds, RequestRefusal::ALL_KINDS);

        let mut missing = Vec::new();
        for lang in netid_i18n::Lang::ALL {
            let catalogue = netid_i18n::Catalogue::new(lang);
            let ids = WalletError::ALL_KINDS
                .iter()
                .map(|k| format!("wallet-error-{k}"))
                .chain(
                    VerifyError::ALL_KINDS
                        .iter()
                        .map(|k| format!("refusal-{k}")),
                )
                .chain(NextStep::ALL_KINDS.iter().map(|k| format!("next-step-{k}")))
                .chain(
                    RequestRefusal::ALL_KINDS
                        .iter()
                        .map(|k| format!("request-refusal-{k}")),
                )
                .chain(crate::host::PromptReason::ALL_KINDS.iter().flat_map(|k| {
                    [
                        format!("prompt-{k}-title"),
                        format!("prompt-{k}-description"),
                    ]
                }));
            missing.extend(
                ids.filter(|id| !catalogue.has(id))
                    .map(|id| format!("{lang}: {id}")),
            );
        }
        assert!(missing.is_empty(), "no message for: {missing:?}");
    }

    /// Every refusal of a counter's request reaches the host as its own `RequestRefused` refusal,
    /// with the core's sentence and next step; a gov code without a request as `RequestRequired`.
    #[test]
    fn counter_request_errors_map_to_typed_variants_and_next_steps() {
        use netid_core::credential::{ClaimName, Purpose};
        let cases = [
            (
                RequestError::Malformed("x"),
                RequestRefusal::Malformed,
                NextStep::ScanCounterRequest,
            ),
            (
                RequestError::UnknownRegistrar,
                RequestRefusal::UnknownRegistrar,
                NextStep::DoNotShow,
            ),
            (
                RequestError::BadCertificateSignature,
                RequestRefusal::BadCertificateSignature,
                NextStep::DoNotShow,
            ),
            (
                RequestError::CertificateNotValid,
                RequestRefusal::CertificateNotValid,
                NextStep::DoNotShow,
            ),
            (
                RequestError::BadRequestSignature,
                RequestRefusal::BadRequestSignature,
                NextStep::DoNotShow,
            ),
            (
                RequestError::RequestExpired,
                RequestRefusal::Expired,
                NextStep::ScanCounterRequest,
            ),
            (
                RequestError::PurposeNotCertified(Purpose::GovernmentService),
                RequestRefusal::PurposeNotCertified,
                NextStep::DoNotShow,
            ),
            (
                RequestError::ClaimNotCertified(ClaimName::Address),
                RequestRefusal::ClaimNotCertified,
                NextStep::DoNotShow,
            ),
            (
                RequestError::Replayed,
                RequestRefusal::Replayed,
                NextStep::ScanCounterRequest,
            ),
        ];
        for (core, refusal, step) in cases {
            let text = core.to_string();
            match WalletError::from(CoreWalletError::Request(core)) {
                WalletError::RequestRefused {
                    refusal: got,
                    reason,
                    next_step,
                } => {
                    assert_eq!(got, refusal);
                    assert_eq!(reason, text);
                    assert_eq!(next_step, step, "{refusal:?}");
                }
                other => panic!("{refusal:?} became {other:?}"),
            }
        }
        let required = WalletError::from(CoreWalletError::RequestRequired);
        assert!(
            matches!(required, WalletError::RequestRequired { .. }),
            "{required:?}"
        );
        assert_eq!(required.next_step(), NextStep::ScanCounterRequest);
    }
}
