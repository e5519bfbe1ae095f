//! The wallet's error type: every failure of the modules underneath, mapped to what a person can
//! do about it.
//!
//! Each [`WalletError`] names one situation and carries a [`NextStep`] for a UI. Messages come
//! from the underlying modules, which never put key material or personal data into them; this
//! module must never add either (no claim values, no labels, no key bytes).

use crate::auth::{self, AuthError};
use crate::counter::RequestError;
use crate::credential::FormatError;
use crate::issuer::CredentialTrustError;
use crate::present::PresentError;
use crate::secure_area::SecureAreaError;
use crate::store::StoreError;

use super::batch::BatchError;
use super::enrol::ProofError;

/// What a person can do after a wallet operation failed; UIs map each to a screen or button.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NextStep {
    /// The wallet is locked (on request or because its session ended): unlock it again.
    UnlockWallet,
    /// The policy requires the wallet PIN to unlock: ask for it.
    EnterPin,
    /// There is no document (and so no holder key) yet: enrol one.
    EnrolDocument,
    /// The issuer's answer cannot be accepted: start the enrolment again or contact the issuer.
    ContactIssuer,
    /// The wallet's files or key store are damaged or missing: restore a backup or start over.
    RestoreOrReset,
    /// Check storage space and permissions, then retry.
    CheckStorage,
    /// The request itself is wrong (e.g. an unknown claim): change it.
    ChangeRequest,
    /// Ask the counter for (a new) request code and scan it.
    ScanCounterRequest,
    /// The counter is not what it claims (unregistered, forged, or asking beyond its
    /// registration): show nothing, and tell the resident so.
    DoNotShow,
    /// Go online and refill the document's one-time credentials.
    Refill,
    /// What the authentication layer advises (try again, wait, re-enrol, ...).
    Auth(auth::NextStep),
}

/// Why a wallet operation did not succeed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WalletError {
    /// The wallet is locked: it was locked on request, or its unlocked session ended, and its
    /// keys have been wiped.
    #[error("the wallet is locked; unlock it to continue")]
    Locked,
    /// The policy requires the wallet PIN to unlock, and none was given.
    #[error("this wallet needs its PIN to unlock; enter the PIN")]
    PinRequired,
    /// The encrypted store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A user authentication or the PIN failed, or attempts are locked out.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The secure area could not create or use a holder key.
    #[error(transparent)]
    SecureArea(#[from] SecureAreaError),
    /// The presentation could not be made.
    #[error(transparent)]
    Present(#[from] PresentError),
    /// The issued credential is not well-formed.
    #[error("the issuer sent a damaged credential ({0}); start the enrolment again")]
    MalformedCredential(#[from] FormatError),
    /// The issued credential is not from an issuer this wallet trusts.
    #[error("the credential was refused: {0}")]
    Untrusted(#[from] CredentialTrustError),
    /// The issued credential is bound to another key than the one this enrolment created.
    #[error(
        "the issuer bound the credential to a different key than this wallet's new holder key; start the enrolment again"
    )]
    NotBoundToHolderKey,
    /// The proof of possession is not acceptable (issuer side).
    #[error(transparent)]
    Proof(#[from] ProofError),
    /// The issuer's batch of one-time credentials was refused whole; nothing of it was stored.
    #[error(
        "the issuer's one-time credentials were refused ({0}); nothing was stored, refill again"
    )]
    BatchRefused(#[from] BatchError),
    /// No one-time credential is left for this purpose and the policy refuses to show the
    /// linkable full credential instead.
    #[error(
        "no one-time codes are left for {} and this wallet will not show a linkable one; go online and refill",
        .0.as_str()
    )]
    PoolEmpty(crate::credential::Purpose),
    /// A counter's request was refused before anything was shown or signed.
    #[error(transparent)]
    Request(#[from] crate::counter::RequestError),
    /// This code (`gov`, or the whole card) is shown only in answer to a registered counter's
    /// signed request, by the wallet's policy.
    #[error(
        "this code shows your whole card and is made only for a registered counter: scan the counter's request code"
    )]
    RequestRequired,
    /// No document with that id.
    #[error("no such document in this wallet; refresh the list")]
    NoSuchDocument,
    /// A stored document names no holder key or one that is gone.
    #[error("this document's holder key is missing; re-enrol the document")]
    HolderKeyMissing,
    /// An action needs a holder key to authenticate with, and no document is enrolled.
    #[error("no document is enrolled yet, so there is no key to confirm this with; enrol one")]
    NothingEnrolled,
    /// A stored document cannot be read as a credential (written by a newer netid, or damaged).
    #[error("a stored document cannot be read ({0}); re-enrol it")]
    StoredCredentialUnreadable(FormatError),
    /// The wallet's files could not be removed.
    #[error("the wallet could not be deleted completely ({0}); check permissions and retry")]
    Wipe(String),
    /// Caller input is not acceptable.
    #[error("invalid {what}: {why}")]
    InvalidInput {
        /// The argument.
        what: &'static str,
        /// Why it was refused.
        why: &'static str,
    },
}

impl WalletError {
    /// What the person can do next.
    pub fn next_step(&self) -> NextStep {
        match self {
            Self::Locked => NextStep::UnlockWallet,
            Self::PinRequired => NextStep::EnterPin,
            Self::Auth(error) => NextStep::Auth(error.next_step()),
            Self::SecureArea(error) => secure_area_next_step(error),
            Self::Store(StoreError::PinRequired) => NextStep::EnterPin,
            Self::Store(StoreError::Busy) => NextStep::Auth(auth::NextStep::TryAgainLater),
            Self::Store(StoreError::Io(_)) => NextStep::CheckStorage,
            Self::Store(StoreError::InvalidInput { .. }) => NextStep::ChangeRequest,
            Self::Store(StoreError::NotFound { .. }) => NextStep::ChangeRequest,
            Self::Store(_) => NextStep::RestoreOrReset,
            Self::Present(PresentError::Signer(_)) => NextStep::Auth(auth::NextStep::TryAgain),
            Self::Present(PresentError::WrongHolderKey | PresentError::CredentialNotValidNow) => {
                NextStep::Auth(auth::NextStep::ReEnrolDocument)
            }
            Self::Present(PresentError::SecureAreaMisbehaved | PresentError::Randomness) => {
                NextStep::Auth(auth::NextStep::ReportProblem)
            }
            Self::Present(_) | Self::InvalidInput { .. } => NextStep::ChangeRequest,
            Self::MalformedCredential(_)
            | Self::Untrusted(_)
            | Self::NotBoundToHolderKey
            | Self::Proof(_)
            | Self::BatchRefused(_) => NextStep::ContactIssuer,
            Self::PoolEmpty(_) => NextStep::Refill,
            Self::RequestRequired
            | Self::Request(
                RequestError::RequestExpired | RequestError::Replayed | RequestError::Malformed(_),
            ) => NextStep::ScanCounterRequest,
            Self::Request(_) => NextStep::DoNotShow,
            Self::NoSuchDocument => NextStep::ChangeRequest,
            Self::HolderKeyMissing | Self::StoredCredentialUnreadable(_) => {
                NextStep::Auth(auth::NextStep::ReEnrolDocument)
            }
            Self::NothingEnrolled => NextStep::EnrolDocument,
            Self::Wipe(_) => NextStep::CheckStorage,
        }
    }
}

fn secure_area_next_step(error: &SecureAreaError) -> NextStep {
    use auth::NextStep as A;
    NextStep::Auth(match error {
        SecureAreaError::Cancelled | SecureAreaError::Failed => A::TryAgain,
        SecureAreaError::NotEnrolled => A::EnrolBiometricsInSystemSettings,
        SecureAreaError::SystemLockedOut => A::UnlockDeviceWithPasscode,
        SecureAreaError::AuthenticatorInvalidated => A::SetUpAuthenticatorAgain,
        SecureAreaError::HolderKeyInvalidated
        | SecureAreaError::KeyNotFound
        | SecureAreaError::CorruptKeyBlob { .. } => A::ReEnrolDocument,
        SecureAreaError::Unavailable { .. } => A::TryAgainLater,
        SecureAreaError::Misbehaved { .. }
        | SecureAreaError::GrantReused
        | SecureAreaError::KeyExists
        | SecureAreaError::InvalidAlias
        | SecureAreaError::InvalidPublicKey
        | SecureAreaError::WrongWrappingKey
        | SecureAreaError::BlobStore { .. } => A::ReportProblem,
    })
}
