//! The host-implemented traits (Kotlin, Swift) and their adapters to the core's traits.
//!
//! Three narrow traits: [`KeyWrapper`] keeps the wallet's data key at rest (Android Keystore
//! AES-GCM, iOS Keychain); [`SecureArea`] holds hardware holder keys and signs inside the
//! biometric prompt (Android Keystore, Secure Enclave); [`UserAuthenticator`] proves a user check
//! for the software secure area by a key agreement the OS gates. This module owns the translation
//! and the checks that make the host untrusted for correctness: lengths and encodings are checked
//! here, signatures and unlock secrets are checked by the core, and a host exception never becomes
//! a success. It must never keep a secret it received beyond the call, and never pass a host's
//! exception text on (it may hold anything).

use std::sync::Arc;

use netid_core::keystore::{self, DataKey, KeyStoreError, WrappedKey, WrapperKind};
use netid_core::secure_area::{
    self, AuthenticatorEnrolment, CreatedKey as CoreCreatedKey, EnrolmentId, HolderPublicKey,
    KeyAlias, KeyAuthPolicy, SecureAreaError, UncheckedSignature, UnlockGrant as CoreUnlockGrant,
    UnlockRequest as CoreUnlockRequest,
};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use zeroize::{Zeroize, Zeroizing};

use crate::error::HostError;

/// Why the user is asked to authenticate; hosts turn it into localised prompt text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum PromptReason {
    /// Open a document's details page.
    ViewDetails,
    /// Show a presentation QR code at a counter.
    ShowQr,
    /// Delete a document.
    DeleteDocument,
    /// Export the activity log.
    ExportLog,
    /// Prove possession of a new holder key to an issuer during enrolment.
    Enrolment,
}

impl PromptReason {
    /// Every value of [`PromptReason::kind`].
    pub const ALL_KINDS: &'static [&'static str] = &[
        "view-details",
        "show-qr",
        "delete-document",
        "export-log",
        "enrolment",
    ];

    /// The reason's stable name; its prompt words are `prompt-<kind>-title` and
    /// `prompt-<kind>-description` in the shared catalogue (netid-i18n).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::ViewDetails => "view-details",
            Self::ShowQr => "show-qr",
            Self::DeleteDocument => "delete-document",
            Self::ExportLog => "export-log",
            Self::Enrolment => "enrolment",
        }
    }
}

impl From<secure_area::PromptReason> for PromptReason {
    fn from(reason: secure_area::PromptReason) -> Self {
        match reason {
            secure_area::PromptReason::ViewDetails => Self::ViewDetails,
            secure_area::PromptReason::ShowQr => Self::ShowQr,
            secure_area::PromptReason::DeleteDocument => Self::DeleteDocument,
            secure_area::PromptReason::ExportLog => Self::ExportLog,
            secure_area::PromptReason::Enrolment => Self::Enrolment,
        }
    }
}

/// When a holder key may be used, fixed at creation (Android `setUserAuthenticationParameters`,
/// iOS access-control flags).
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum KeyPolicy {
    /// Every signature needs its own user authentication (`timeout = 0`, `.biometryCurrentSet`
    /// with no reuse).
    EveryUse,
    /// A signature is allowed within `within` of a successful user authentication.
    Within { within: std::time::Duration },
}

impl From<KeyAuthPolicy> for KeyPolicy {
    fn from(policy: KeyAuthPolicy) -> Self {
        match policy {
            KeyAuthPolicy::EveryUse => Self::EveryUse,
            KeyAuthPolicy::WithinSeconds(seconds) => Self::Within {
                within: std::time::Duration::from_secs(seconds.get().into()),
            },
        }
    }
}

/// Where a new holder key lives, as the host reports it (the issuer checks it against the
/// evidence; the wallet never relies on it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum KeySecurityLevel {
    /// An ordinary-memory key (desktop, tests).
    Software,
    /// Android Keystore in the TEE (also what a StrongBox request fell back to).
    TrustedEnvironment,
    /// Android Keystore in a StrongBox secure element.
    StrongBox,
    /// The iOS Secure Enclave.
    SecureEnclave,
}

impl From<KeySecurityLevel> for secure_area::KeySecurityLevel {
    fn from(level: KeySecurityLevel) -> Self {
        match level {
            KeySecurityLevel::Software => Self::Software,
            KeySecurityLevel::TrustedEnvironment => Self::TrustedEnvironment,
            KeySecurityLevel::StrongBox => Self::StrongBox,
            KeySecurityLevel::SecureEnclave => Self::SecureEnclave,
        }
    }
}

impl From<secure_area::KeySecurityLevel> for KeySecurityLevel {
    fn from(level: secure_area::KeySecurityLevel) -> Self {
        match level {
            secure_area::KeySecurityLevel::Software => Self::Software,
            secure_area::KeySecurityLevel::TrustedEnvironment => Self::TrustedEnvironment,
            secure_area::KeySecurityLevel::StrongBox => Self::StrongBox,
            secure_area::KeySecurityLevel::SecureEnclave => Self::SecureEnclave,
        }
    }
}

/// The platform's evidence for where a new key lives; the wallet passes it to the issuer
/// untouched (in the enrolment proof) and never checks it itself.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum KeyEvidence {
    /// No evidence: software keys, or no attestation was asked for (an empty challenge).
    NoEvidence,
    /// Android Key Attestation: `KeyStore.getCertificateChain(alias)`, each certificate's
    /// `encoded` bytes (DER), leaf first; 1 to 10 certificates of at most 16 KiB.
    AndroidKeyAttestation { chain: Vec<Vec<u8>> },
    /// iOS App Attest evidence for the key (the Swift glue's encoding, docs/swift.md); at most
    /// 16 KiB.
    AppleAppAttest { evidence: Vec<u8> },
}

/// What `SecureArea.create_key` returns: the new key's public point, where it lives, and the
/// platform's evidence over the challenge.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct CreatedKey {
    /// SEC1 public point (65 bytes uncompressed or 33 compressed).
    pub public_key: Vec<u8>,
    /// Where the key was created (after any StrongBox-to-TEE fallback).
    pub security_level: KeySecurityLevel,
    /// The evidence for it.
    pub evidence: KeyEvidence,
}

/// Keeps the wallet's 32-byte data key at rest, e.g. AES-256-GCM under a non-exportable Android
/// Keystore key, or a Keychain item with `kSecAttrAccessibleWhenUnlockedThisDeviceOnly`.
///
/// Contract: `unwrap(wrap(k)) == k`; `unwrap` throws `KeyNotFound` when the guarding key is gone
/// and must never return other bytes silently (the core notices, but the wallet then reports a
/// damaged key store rather than a missing one). Hosts should overwrite their copies of the data
/// key (`fill(0)`) as soon as the call returns.
#[uniffi::export(with_foreign)]
pub trait KeyWrapper: Send + Sync {
    /// Encrypts the data key; the result is stored beside the wallet database.
    fn wrap(&self, data_key: Vec<u8>) -> Result<Vec<u8>, HostError>;
    /// Decrypts what [`KeyWrapper::wrap`] returned.
    fn unwrap(&self, wrapped: Vec<u8>) -> Result<Vec<u8>, HostError>;
    /// Deletes whatever the host keeps for this wrapped key (the wallet is being wiped).
    fn forget(&self, wrapped: Vec<u8>) -> Result<(), HostError>;
    /// The small value saved under `name` by [`KeyWrapper::save_anchor`], or `None`.
    ///
    /// Anchors are the wallet's rollback guards (its attempt count and store generation, no
    /// secret, no personal data): keep them *outside* the wallet directory and out of backups and
    /// device transfers (Android: a file in `Context.noBackupFilesDir`; iOS: a Keychain item with
    /// `kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly`), so restoring an old copy of the
    /// directory is noticed.
    fn load_anchor(&self, name: String) -> Result<Option<Vec<u8>>, HostError>;
    /// Saves `value` under `name` durably, replacing any earlier value.
    fn save_anchor(&self, name: String, value: Vec<u8>) -> Result<(), HostError>;
    /// Deletes the value under `name`; absent is fine (the wallet is being wiped).
    fn forget_anchor(&self, name: String) -> Result<(), HostError>;
}

/// Hardware holder keys: ECDSA P-256, created bound to user authentication, used inside the
/// biometric prompt (Android Keystore with StrongBox or TEE, iOS Secure Enclave).
///
/// Contract: `create_key` returns the SEC1 public point (65 bytes uncompressed or 33 compressed)
/// with the key's security level and evidence: with a non-empty `challenge` (the issuer's
/// enrolment nonce, 16 to 64 bytes) Android sets it with `setAttestationChallenge` and returns
/// the certificate chain, iOS its App Attest evidence; with an empty one no attestation is
/// wanted (`NoEvidence` is fine). `public_key` returns the SEC1 point; `sign` authenticates the user as the key's policy demands and returns a
/// DER-encoded ECDSA signature over SHA-256 of exactly `message` (Android
/// `Signature("SHA256withECDSA")`, iOS `.ecdsaSignatureMessageX962SHA256`). The core checks every
/// signature against the public key it recorded at creation; anything else is refused.
#[uniffi::export(with_foreign)]
#[async_trait::async_trait]
pub trait SecureArea: Send + Sync {
    /// Creates a key under `alias`, attested over `challenge` (empty: no attestation wanted);
    /// throws `KeyExists` rather than replace one. With `allow_device_credential` the key may
    /// also be released after the device passcode (Android `AUTH_BIOMETRIC_STRONG |
    /// AUTH_DEVICE_CREDENTIAL`, iOS `.userPresence`); without it, only after a strong biometric.
    /// Only the wallet's options turn it on.
    async fn create_key(
        &self,
        alias: String,
        policy: KeyPolicy,
        allow_device_credential: bool,
        challenge: Vec<u8>,
    ) -> Result<CreatedKey, HostError>;
    /// The public key under `alias`.
    async fn public_key(&self, alias: String) -> Result<Vec<u8>, HostError>;
    /// Authenticates the user for `reason` and signs `message` with the key under `alias`.
    /// The prompt offers the device passcode only when `allow_device_credential` (the wallet's
    /// policy for this reason; never for a whole-card presentation unless the issuer allows).
    async fn sign(
        &self,
        alias: String,
        message: Vec<u8>,
        reason: PromptReason,
        allow_device_credential: bool,
    ) -> Result<Vec<u8>, HostError>;
    /// Deletes the key under `alias`; throws `KeyNotFound` if there is none.
    async fn delete_key(&self, alias: String) -> Result<(), HostError>;
}

/// A request to unlock one software-sealed holder key for one operation.
///
/// Each request is good for one operation only: its point is blinded afresh by the core, so the
/// grant's secret opens the key for this request and nothing else. A host must not cache or
/// reuse grants; a repeated grant is refused (`HostMisbehaved`) and nothing is signed.
#[derive(Clone, Debug, uniffi::Record)]
pub struct UnlockRequest {
    /// The holder key to unlock (for the host's records; the secret does not depend on it).
    pub key_alias: String,
    /// 32 fresh random bytes; the grant must echo them.
    pub challenge: Vec<u8>,
    /// Why the user is asked.
    pub reason: PromptReason,
    /// The key's policy: a host may skip the prompt for `Within` keys inside the window.
    pub policy: KeyPolicy,
    /// Whether this prompt may accept the device passcode instead of a biometric (the wallet's
    /// policy for `reason`); otherwise biometric only.
    pub allow_device_credential: bool,
    /// A P-256 point (SEC1, uncompressed: 65 bytes), different for every request: the holder
    /// key's sealing point blinded by a random scalar the core keeps. The host performs a plain
    /// ECDH key agreement between its unlock key and this point, exactly as given.
    pub sealing_public_key: Vec<u8>,
}

/// The answer to an [`UnlockRequest`] after the user was verified; good for that request only.
#[derive(Clone, uniffi::Record)]
pub struct UnlockGrant {
    /// The request's challenge, echoed.
    pub challenge: Vec<u8>,
    /// The 32-byte ECDH shared secret (the x-coordinate, as Android's and Java's
    /// `KeyAgreement("ECDH")` and iOS's `sharedSecretFromKeyAgreement` produce it).
    pub unlock_secret: Vec<u8>,
}

impl std::fmt::Debug for UnlockGrant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnlockGrant")
            .field("unlock_secret", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// Proves a user check for the software secure area by a key operation the OS gates.
///
/// The host keeps a P-256 *unlock key* bound to biometrics (Android Keystore with
/// `PURPOSE_AGREE_KEY`, user authentication on every use and invalidation on biometric enrolment,
/// used through a `BiometricPrompt.CryptoObject(KeyAgreement)`; iOS Secure Enclave with
/// `.biometryCurrentSet`). Holder keys are sealed so that only that key agreement opens them: a
/// host that answers "yes" without the OS having verified the user has no secret to give, and
/// nothing is signed. A new unlock key (biometrics re-enrolled) invalidates every sealed holder
/// key, as hardware keys are invalidated.
#[uniffi::export(with_foreign)]
#[async_trait::async_trait]
pub trait UserAuthenticator: Send + Sync {
    /// The unlock key's public point (SEC1). Throws `NotEnrolled` if the device has no biometric
    /// or passcode to bind one to, `KeyPermanentlyInvalidated` if the unlock key was invalidated
    /// (biometrics re-enrolled) and has not been set up again yet.
    async fn unlock_public_key(&self) -> Result<Vec<u8>, HostError>;
    /// Verifies the user for `request.reason`, then performs the key agreement and returns the
    /// grant. Throws `Cancelled`, `Failed`, `NotEnrolled`, `SystemLockedOut`, or
    /// `KeyPermanentlyInvalidated` when the unlock key itself was invalidated (the wallet then
    /// reports `AuthenticatorInvalidated`; the host sets up a new unlock key when the app asks it
    /// to, never silently).
    async fn authenticate(&self, request: UnlockRequest) -> Result<UnlockGrant, HostError>;
}

// ----- adapters -----

/// A host [`KeyWrapper`] as the core's key wrapper.
pub(crate) struct HostKeyWrapper(pub(crate) Arc<dyn KeyWrapper>);

impl keystore::KeyWrapper for HostKeyWrapper {
    fn kind(&self) -> WrapperKind {
        WrapperKind::Host
    }

    fn wrap(&self, data_key: &DataKey) -> Result<WrappedKey, KeyStoreError> {
        // The copy is handed over by value: uniffi lowers it into a RustBuffer the host frees
        // (or a Rust host drops it). Neither path can be reached from here with a wipe, so the
        // library's allocator (`wipe_on_free`) wipes both blocks when they are freed.
        let body = self
            .0
            .wrap(data_key.expose_secret().to_vec())
            .map_err(HostError::into_key_store)?;
        if body.is_empty() {
            return Err(KeyStoreError::PlatformStore(
                "the host key store returned an empty wrapped key".to_owned(),
            ));
        }
        Ok(WrappedKey::new(WrapperKind::Host, body))
    }

    fn unwrap(&self, wrapped: &WrappedKey) -> Result<DataKey, KeyStoreError> {
        let body = wrapped.expect_kind(WrapperKind::Host)?;
        let mut key = self
            .0
            .unwrap(body.to_vec())
            .map_err(HostError::into_key_store)?;
        let result = if key.len() == keystore::DATA_KEY_LEN {
            let mut bytes = Zeroizing::new([0u8; keystore::DATA_KEY_LEN]);
            bytes.copy_from_slice(&key);
            Ok(DataKey::from_bytes(bytes))
        } else {
            Err(KeyStoreError::PlatformStore(format!(
                "the host key store returned {} bytes instead of a {}-byte data key",
                key.len(),
                keystore::DATA_KEY_LEN
            )))
        };
        key.zeroize();
        result
    }

    fn forget(&self, wrapped: &WrappedKey) -> Result<(), KeyStoreError> {
        let body = wrapped.expect_kind(WrapperKind::Host)?;
        match self.0.forget(body.to_vec()) {
            Ok(()) | Err(HostError::KeyNotFound) => Ok(()),
            Err(other) => Err(other.into_key_store()),
        }
    }

    fn anchors(&self) -> Option<Arc<dyn keystore::AnchorStore>> {
        Some(Arc::new(HostAnchors(Arc::clone(&self.0))))
    }
}

/// The host key wrapper's anchor storage as the core's [`keystore::AnchorStore`].
struct HostAnchors(Arc<dyn KeyWrapper>);

/// An anchor is a few dozen bytes; a host answering more is not answering about an anchor.
const MAX_ANCHOR_LEN: usize = 256;

impl keystore::AnchorStore for HostAnchors {
    fn load(&self, name: &str) -> Result<Option<Vec<u8>>, KeyStoreError> {
        match self.0.load_anchor(name.to_owned()) {
            Ok(Some(value)) if value.len() > MAX_ANCHOR_LEN => Err(KeyStoreError::PlatformStore(
                "the host key store returned an oversized anchor".to_owned(),
            )),
            Ok(value) => Ok(value),
            Err(HostError::KeyNotFound) => Ok(None),
            Err(other) => Err(other.into_key_store()),
        }
    }

    fn save(&self, name: &str, value: &[u8]) -> Result<(), KeyStoreError> {
        self.0
            .save_anchor(name.to_owned(), value.to_vec())
            .map_err(HostError::into_key_store)
    }

    fn forget(&self, name: &str) -> Result<(), KeyStoreError> {
        match self.0.forget_anchor(name.to_owned()) {
            Ok(()) | Err(HostError::KeyNotFound) => Ok(()),
            Err(other) => Err(other.into_key_store()),
        }
    }
}

/// A host [`SecureArea`] as the core's secure area.
pub(crate) struct HostSecureArea(pub(crate) Arc<dyn SecureArea>);

const SECURE_AREA_THREW: &str = "the host secure area threw an unexpected exception";

impl secure_area::SecureArea for HostSecureArea {
    async fn create_key(
        &self,
        alias: &KeyAlias,
        policy: KeyAuthPolicy,
        challenge: &[u8],
    ) -> Result<CoreCreatedKey, SecureAreaError> {
        self.create_key_with(alias, policy, challenge, false).await
    }

    async fn create_key_with(
        &self,
        alias: &KeyAlias,
        policy: KeyAuthPolicy,
        challenge: &[u8],
        device_credential: bool,
    ) -> Result<CoreCreatedKey, SecureAreaError> {
        let created = self
            .0
            .create_key(
                alias.as_str().to_owned(),
                policy.into(),
                device_credential,
                challenge.to_vec(),
            )
            .await
            .map_err(|e| e.into_secure_area(SECURE_AREA_THREW))?;
        let evidence = match created.evidence {
            KeyEvidence::NoEvidence => secure_area::KeyEvidence::None,
            KeyEvidence::AndroidKeyAttestation { chain } => {
                secure_area::KeyEvidence::AndroidKeyAttestation { chain }
            }
            KeyEvidence::AppleAppAttest { evidence } => {
                secure_area::KeyEvidence::AppleAppAttest { evidence }
            }
        };
        Ok(CoreCreatedKey {
            public_key: HolderPublicKey::from_sec1_bytes(&created.public_key)?,
            attestation: secure_area::KeyAttestation {
                level: created.security_level.into(),
                evidence,
            },
        })
    }

    async fn public_key(&self, alias: &KeyAlias) -> Result<HolderPublicKey, SecureAreaError> {
        let point = self
            .0
            .public_key(alias.as_str().to_owned())
            .await
            .map_err(|e| e.into_secure_area(SECURE_AREA_THREW))?;
        HolderPublicKey::from_sec1_bytes(&point)
    }

    async fn sign(
        &self,
        alias: &KeyAlias,
        message: &[u8],
        reason: secure_area::PromptReason,
    ) -> Result<UncheckedSignature, SecureAreaError> {
        self.sign_with(alias, message, reason.into()).await
    }

    async fn sign_with(
        &self,
        alias: &KeyAlias,
        message: &[u8],
        prompt: secure_area::Prompt,
    ) -> Result<UncheckedSignature, SecureAreaError> {
        self.0
            .sign(
                alias.as_str().to_owned(),
                message.to_vec(),
                prompt.reason.into(),
                prompt.device_credential,
            )
            .await
            .map(UncheckedSignature)
            .map_err(|e| e.into_secure_area(SECURE_AREA_THREW))
    }

    async fn delete_key(&self, alias: &KeyAlias) -> Result<(), SecureAreaError> {
        self.0
            .delete_key(alias.as_str().to_owned())
            .await
            .map_err(|e| e.into_secure_area(SECURE_AREA_THREW))
    }
}

/// A host [`UserAuthenticator`] as the core's authenticator for the software secure area.
pub(crate) struct HostAuthenticator(pub(crate) Arc<dyn UserAuthenticator>);

const AUTHENTICATOR_THREW: &str = "the host authenticator threw an unexpected exception";

/// An authenticator's failure as the core sees it: an invalidated key here is the unlock key,
/// which every software holder key depends on, not one holder key.
fn authenticator_error(error: HostError) -> SecureAreaError {
    match error {
        HostError::KeyPermanentlyInvalidated => SecureAreaError::AuthenticatorInvalidated,
        other => other.into_secure_area(AUTHENTICATOR_THREW),
    }
}

impl HostAuthenticator {
    async fn current_enrolment(&self) -> Result<AuthenticatorEnrolment, SecureAreaError> {
        let point = self
            .0
            .unlock_public_key()
            .await
            .map_err(authenticator_error)?;
        let unlock_public_key =
            p256::PublicKey::from_sec1_bytes(&point).map_err(|_| SecureAreaError::Misbehaved {
                what: "the host authenticator reported an unlock key that is not a P-256 point",
            })?;
        Ok(AuthenticatorEnrolment {
            id: EnrolmentId::for_unlock_key(&unlock_public_key),
            unlock_public_key,
        })
    }
}

impl secure_area::UserAuthenticator for HostAuthenticator {
    async fn enrolment(&self) -> Result<AuthenticatorEnrolment, SecureAreaError> {
        self.current_enrolment().await
    }

    async fn authenticate(
        &self,
        request: &CoreUnlockRequest,
    ) -> Result<CoreUnlockGrant, SecureAreaError> {
        // A key sealed under an earlier unlock key can never be opened again: say so before
        // prompting the user for nothing.
        if self.current_enrolment().await?.id != request.enrolment {
            return Err(SecureAreaError::HolderKeyInvalidated);
        }
        let grant = self
            .0
            .authenticate(UnlockRequest {
                key_alias: request.alias.as_str().to_owned(),
                challenge: request.challenge.to_vec(),
                reason: request.reason.into(),
                policy: request.policy.into(),
                allow_device_credential: request.device_credential,
                sealing_public_key: request
                    .sealing_public_key
                    .to_encoded_point(false)
                    .as_bytes()
                    .to_vec(),
            })
            .await
            .map_err(authenticator_error)?;
        let UnlockGrant {
            challenge,
            mut unlock_secret,
        } = grant;
        // Only the form is checked here. Whether the challenge is the request's, and whether the
        // secret was already used, is the secure area's check, so a grant replayed whole is
        // reported as reused there rather than as a mere wrong challenge here.
        let checked = match (
            <[u8; 32]>::try_from(challenge.as_slice()),
            unlock_secret.len(),
        ) {
            (Err(_), _) => Err(SecureAreaError::Misbehaved {
                what: "the host authenticator answered a challenge that is not 32 bytes",
            }),
            (Ok(_), len) if len != 32 => Err(SecureAreaError::Misbehaved {
                what: "the host authenticator returned an unlock secret that is not 32 bytes",
            }),
            (Ok(challenge), _) => {
                let mut secret = Zeroizing::new([0u8; 32]);
                secret.copy_from_slice(&unlock_secret);
                Ok(CoreUnlockGrant::new(challenge, secret))
            }
        };
        unlock_secret.zeroize();
        checked
    }
}

#[cfg(test)]
mod key_policy_tests {
    use super::{KeyAuthPolicy, KeyPolicy};
    use std::num::NonZeroU32;
    use std::time::Duration;

    #[test]
    fn a_reuse_window_reaches_the_host_as_a_duration() {
        let window = NonZeroU32::new(300).expect("non-zero");
        assert_eq!(
            KeyPolicy::from(KeyAuthPolicy::WithinSeconds(window)),
            KeyPolicy::Within {
                within: Duration::from_secs(300)
            }
        );
        assert_eq!(
            KeyPolicy::from(KeyAuthPolicy::EveryUse),
            KeyPolicy::EveryUse
        );
    }
}
