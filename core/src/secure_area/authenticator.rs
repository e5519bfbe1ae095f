//! The user-authentication contract of the software secure area, and its desktop implementation.
//!
//! With hardware, the OS proves the user authenticated by performing the gated key operation
//! itself. The software secure area imitates that: a holder key blob is sealed so that opening it
//! needs an *unlock secret* only the [`UserAuthenticator`] can compute, from a P-256 secret it
//! keeps (the software stand-in for the OS's biometric-bound key). For every signature the secure
//! area sends a fresh random challenge and a freshly blinded sealing point; an authenticator that
//! has verified the user answers with an [`UnlockGrant`] carrying that challenge and its key
//! agreement with that point, which only the requesting secure area can turn into the unlock
//! secret, once (see [`super::software`]). An authenticator that merely answers "yes" has no
//! unlock secret to give, and one that replays an earlier grant gives bytes that open nothing, so
//! nothing gets signed.
//!
//! This module owns the request/grant types, the [`UserVerifier`] hook through which a desktop
//! host asks its user, and [`SoftwareAuthenticator`]. It must never return a grant before the
//! user was verified (or, for a key created with a time window, verified within that window), and
//! never keep an unlock secret after handing it out.
//!
//! Honest limit: on desktop the authenticator secret lives in the same process as the secure area,
//! so the host process is trusted. The grant makes the check structural (the signing code cannot
//! skip it, and a stub cannot fake it), not hardware-enforced.

use std::fmt;
use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use p256::elliptic_curve::point::AffineCoordinates;
use p256::{PublicKey, SecretKey};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::{KeyAlias, KeyAuthPolicy, PromptReason, SecureAreaError};

/// Identifies one enrolment of the authenticator (one authenticator secret). Keys sealed under an
/// earlier enrolment are invalidated, as Android's `setInvalidatedByBiometricEnrollment` and iOS's
/// `.biometryCurrentSet` invalidate hardware keys when the enrolled biometrics change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EnrolmentId(pub [u8; 16]);

impl EnrolmentId {
    /// The enrolment an authenticator with this unlock public key stands for: a new unlock key is
    /// a new enrolment. Host authenticators (through FFI) report only their public key; the core
    /// derives the id the same way for them as for [`SoftwareAuthenticator`].
    pub fn for_unlock_key(unlock_public_key: &PublicKey) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(ENROLMENT_ID_CONTEXT);
        hasher.update(unlock_public_key.to_sec1_bytes());
        let digest = hasher.finalize();
        let mut id = [0u8; 16];
        id.copy_from_slice(&digest[..16]);
        Self(id)
    }
}

/// What a secure area needs to seal a new key to an authenticator: its current enrolment and the
/// public half of its unlock secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthenticatorEnrolment {
    /// The enrolment new keys are bound to.
    pub id: EnrolmentId,
    /// Public key the secure area agrees an ephemeral key with when sealing.
    pub unlock_public_key: PublicKey,
}

/// A secure area's request to unlock one key for one operation.
#[derive(Clone, Debug)]
pub struct UnlockRequest {
    /// The key to unlock.
    pub alias: KeyAlias,
    /// Fresh random bytes; the grant must carry them back.
    pub challenge: [u8; 32],
    /// The enrolment the key was sealed under.
    pub enrolment: EnrolmentId,
    /// The point to agree a key with: the key blob's sealing public key blinded by a fresh random
    /// scalar for this request only, so the answer is worthless for any other request.
    pub sealing_public_key: PublicKey,
    /// The key's policy, so a time-windowed key can skip a prompt.
    pub policy: KeyAuthPolicy,
    /// Why the user is asked.
    pub reason: PromptReason,
    /// Whether the policy lets the device passcode stand in for a biometric for this request
    /// ([`crate::auth::DeviceCredentialFallback`]).
    pub device_credential: bool,
}

/// The answer to an [`UnlockRequest`] after the user was verified: the challenge it answers and
/// the key agreement with the request's blinded sealing point, good for that one operation. The
/// secret is zeroized when the grant is dropped.
pub struct UnlockGrant {
    challenge: [u8; 32],
    unlock_secret: Zeroizing<[u8; 32]>,
}

impl UnlockGrant {
    /// Builds a grant; any value can be constructed, but only the right secret opens the key.
    pub fn new(challenge: [u8; 32], unlock_secret: Zeroizing<[u8; 32]>) -> Self {
        Self {
            challenge,
            unlock_secret,
        }
    }

    /// The challenge this grant answers.
    pub fn challenge(&self) -> &[u8; 32] {
        &self.challenge
    }

    /// The unlock bytes: the x-coordinate of the authenticator's key agreement with the blinded
    /// sealing point of the request it answers. Worthless for any other request.
    pub fn unlock_secret(&self) -> &[u8; 32] {
        &self.unlock_secret
    }
}

impl fmt::Debug for UnlockGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnlockGrant")
            .field("challenge", &hex::encode(self.challenge))
            .field("unlock_secret", &"<redacted>")
            .finish()
    }
}

/// Authenticates the user for the software secure area and, on success, yields the one-time
/// unlock for the requested key.
pub trait UserAuthenticator: Send + Sync {
    /// The current enrolment; [`SecureAreaError::NotEnrolled`] if no user check is set up,
    /// [`SecureAreaError::AuthenticatorInvalidated`] if its unlock key was invalidated.
    fn enrolment(
        &self,
    ) -> impl Future<Output = Result<AuthenticatorEnrolment, SecureAreaError>> + Send;

    /// Verifies the user as `request.policy` demands and returns the grant for `request`.
    /// Errors: `Cancelled`, `Failed`, `NotEnrolled`, `SystemLockedOut`, `HolderKeyInvalidated`
    /// (key sealed under an older enrolment), `AuthenticatorInvalidated` (this authenticator's own
    /// unlock key was invalidated), `Unavailable`.
    fn authenticate(
        &self,
        request: &UnlockRequest,
    ) -> impl Future<Output = Result<UnlockGrant, SecureAreaError>> + Send;
}

/// The desktop host's way of asking its user to confirm (a system authentication dialog, a
/// terminal confirmation in the `netid` command, a script in tests).
pub trait UserVerifier: Send + Sync {
    /// Asks the user; `Ok(())` means the user was verified for `reason`.
    fn verify_user(
        &self,
        reason: PromptReason,
    ) -> impl Future<Output = Result<(), SecureAreaError>> + Send;
}

/// Domain separation for the enrolment id derived from the authenticator's public key.
const ENROLMENT_ID_CONTEXT: &[u8] = b"netid software authenticator enrolment v1\0";

/// The desktop [`UserAuthenticator`]: holds the authenticator secret (from the OS key store) and
/// asks a [`UserVerifier`] before every grant, except within the time window of a key created with
/// [`KeyAuthPolicy::WithinSeconds`].
pub struct SoftwareAuthenticator<V> {
    secret: SecretKey,
    enrolment: AuthenticatorEnrolment,
    verifier: V,
    last_verified: Mutex<Option<Instant>>,
}

impl<V: UserVerifier> SoftwareAuthenticator<V> {
    /// Builds the authenticator from its 32-byte secret. A new secret is a new enrolment: keys
    /// sealed under the old one report [`SecureAreaError::HolderKeyInvalidated`].
    pub fn new(secret: &Zeroizing<[u8; 32]>, verifier: V) -> Result<Self, SecureAreaError> {
        let secret =
            SecretKey::from_slice(secret.as_slice()).map_err(|_| SecureAreaError::Unavailable {
                detail: "the authenticator secret is not a valid P-256 scalar; generate a new one"
                    .to_owned(),
            })?;
        let unlock_public_key = secret.public_key();
        Ok(Self {
            secret,
            enrolment: AuthenticatorEnrolment {
                id: EnrolmentId::for_unlock_key(&unlock_public_key),
                unlock_public_key,
            },
            verifier,
            last_verified: Mutex::new(None),
        })
    }

    /// The user verifier this authenticator asks.
    pub fn verifier(&self) -> &V {
        &self.verifier
    }

    /// Generates a fresh authenticator secret for [`Self::new`] (store it in the OS key store).
    pub fn generate_secret() -> Zeroizing<[u8; 32]> {
        let key = SecretKey::random(&mut rand_core::OsRng);
        let mut bytes = Zeroizing::new([0u8; 32]);
        bytes.copy_from_slice(&key.to_bytes());
        bytes
    }

    /// Whether the last verification is recent enough for `policy` to skip the prompt.
    fn within_window(&self, policy: KeyAuthPolicy) -> bool {
        let KeyAuthPolicy::WithinSeconds(seconds) = policy else {
            return false;
        };
        let last = *self
            .last_verified
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        last.is_some_and(|at| at.elapsed() <= Duration::from_secs(u64::from(seconds.get())))
    }
}

/// The x-coordinate of the shared point of `secret` and `sealing_public_key` (static-ephemeral
/// ECDH): the unlock secret when sealing, the (blinded) grant when answering a request.
pub(crate) fn shared_unlock_secret(
    secret: &SecretKey,
    sealing_public_key: &PublicKey,
) -> Zeroizing<[u8; 32]> {
    // Every intermediate that could reveal the shared point is wiped when it goes out of scope.
    let scalar = Zeroizing::new(secret.to_nonzero_scalar());
    let product = Zeroizing::new(sealing_public_key.to_projective() * **scalar);
    let shared = Zeroizing::new(product.to_affine());
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(&shared.x());
    out
}

impl<V: UserVerifier> UserAuthenticator for SoftwareAuthenticator<V> {
    async fn enrolment(&self) -> Result<AuthenticatorEnrolment, SecureAreaError> {
        Ok(self.enrolment.clone())
    }

    async fn authenticate(&self, request: &UnlockRequest) -> Result<UnlockGrant, SecureAreaError> {
        if request.enrolment != self.enrolment.id {
            return Err(SecureAreaError::HolderKeyInvalidated);
        }
        if !self.within_window(request.policy) {
            self.verifier.verify_user(request.reason).await?;
            *self
                .last_verified
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(Instant::now());
        }
        let unlock_secret = shared_unlock_secret(&self.secret, &request.sealing_public_key);
        Ok(UnlockGrant::new(request.challenge, unlock_secret))
    }
}

impl<V> fmt::Debug for SoftwareAuthenticator<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SoftwareAuthenticator")
            .field("enrolment", &self.enrolment.id)
            .finish_non_exhaustive()
    }
}
