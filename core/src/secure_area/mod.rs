//! Holder keys: where they live, how they are used, and how the core checks every use.
//!
//! A *secure area* creates a P-256 holder key bound to user authentication, reports its public
//! key, signs with it (prompting the user as the key's policy demands) and deletes it. The host
//! implements [`SecureArea`] with hardware (Android Keystore in StrongBox/TEE, iOS Secure
//! Enclave); [`software::SoftwareSecureArea`] implements it for desktop and tests. This module
//! owns the contract and the check that makes a secure area untrusted for correctness: every
//! signature it returns is verified against the public key recorded at creation
//! ([`RecordedHolderKey::sign`]), and only a verified signature ([`VerifiedSignature`]) can leave
//! it. It must never hand out an unverified signature, never see private key bytes from a host,
//! and never decide *when* the user must authenticate (that is `auth`'s policy).
//!
//! Signature contract: a secure area returns an ECDSA P-256 / SHA-256 signature over the exact
//! message bytes it was given, DER-encoded (ASN.1 `ECDSA-Sig-Value`), because that is what
//! Android's `Signature("SHA256withECDSA")` and iOS's `.ecdsaSignatureMessageX962SHA256` produce
//! natively. The core converts it to the fixed 64-byte `r || s` form COSE uses after checking it.

pub mod authenticator;
pub mod software;

use std::fmt;
use std::future::Future;
use std::num::NonZeroU32;

use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};

pub use authenticator::{
    AuthenticatorEnrolment, EnrolmentId, SoftwareAuthenticator, UnlockGrant, UnlockRequest,
    UserAuthenticator, UserVerifier,
};
pub use software::{
    KeyWrappingKey, MemoryKeyBlobStore, SoftwareKeyBlob, SoftwareKeyBlobStore, SoftwareSecureArea,
};

/// The longest alias a secure area must accept; Android Keystore and the iOS keychain both take
/// far longer labels, so this only stops unbounded input.
pub const MAX_ALIAS_LEN: usize = 128;

/// The name a holder key is stored under in a secure area: 1 to 128 characters from
/// `A-Z a-z 0-9 . _ -`, so it is safe as an Android Keystore alias, a keychain label and a
/// database key, and never carries personal data by accident.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct KeyAlias(String);

impl KeyAlias {
    /// Checks and wraps an alias.
    pub fn new(alias: &str) -> Result<Self, SecureAreaError> {
        let well_formed = !alias.is_empty()
            && alias.len() <= MAX_ALIAS_LEN
            && alias
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if well_formed {
            Ok(Self(alias.to_owned()))
        } else {
            Err(SecureAreaError::InvalidAlias)
        }
    }

    /// The alias text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for KeyAlias {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyAlias({})", self.0)
    }
}

impl fmt::Display for KeyAlias {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// When a holder key may be used, fixed when the key is created (Android
/// `setUserAuthenticationParameters`, iOS access-control flags).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyAuthPolicy {
    /// Every signature needs its own user authentication.
    EveryUse,
    /// A signature is allowed within this many seconds of a successful user authentication.
    WithinSeconds(NonZeroU32),
}

/// Why the user is being asked to authenticate; hosts turn it into localised prompt text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PromptReason {
    /// Open a document's details page.
    ViewDetails,
    /// Show a presentation QR code at a counter.
    ShowQr,
    /// Delete a document from the wallet.
    DeleteDocument,
    /// Export the activity log.
    ExportLog,
    /// Prove possession of a new holder key to an issuer, so it can bind a credential to it.
    Enrolment,
}

/// What one user authentication is for and how it may be given: the prompt's reason, and whether
/// the policy lets the device passcode stand in for a biometric for it
/// ([`crate::auth::DeviceCredentialFallback`]). Hosts show a passcode option only when
/// `device_credential` is true.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Prompt {
    /// Why the user is asked.
    pub reason: PromptReason,
    /// Whether the device passcode may be used instead of a biometric for this prompt.
    pub device_credential: bool,
}

impl From<PromptReason> for Prompt {
    /// A biometric-only prompt.
    fn from(reason: PromptReason) -> Self {
        Self {
            reason,
            device_credential: false,
        }
    }
}

/// A holder's P-256 public key as a secure area reported it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct HolderPublicKey(VerifyingKey);

impl HolderPublicKey {
    /// Parses a SEC1-encoded point (compressed or uncompressed), as hosts report public keys.
    pub fn from_sec1_bytes(bytes: &[u8]) -> Result<Self, SecureAreaError> {
        VerifyingKey::from_sec1_bytes(bytes)
            .map(Self)
            .map_err(|_| SecureAreaError::InvalidPublicKey)
    }

    /// The uncompressed SEC1 point (`04 || x || y`, 65 bytes).
    pub fn to_sec1_uncompressed(&self) -> Vec<u8> {
        self.0.to_encoded_point(false).as_bytes().to_vec()
    }

    /// The key for signature checks and COSE key encoding.
    pub fn as_verifying_key(&self) -> &VerifyingKey {
        &self.0
    }
}

impl From<VerifyingKey> for HolderPublicKey {
    fn from(key: VerifyingKey) -> Self {
        Self(key)
    }
}

impl fmt::Debug for HolderPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "HolderPublicKey({})",
            hex::encode(self.to_sec1_uncompressed())
        )
    }
}

/// Where a secure area says a new holder key lives. A claim by the host until an issuer checks it
/// against the platform evidence ([`KeyEvidence`]); the wallet never relies on it itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeySecurityLevel {
    /// A key in ordinary memory: the software secure area (desktop, tests).
    Software,
    /// Android Keystore in the trusted execution environment (TEE).
    TrustedEnvironment,
    /// Android Keystore in a StrongBox secure element.
    StrongBox,
    /// The iOS Secure Enclave.
    SecureEnclave,
}

impl KeySecurityLevel {
    /// The level's number in the enrolment proof (FORMAT.md §14).
    pub fn code(self) -> u8 {
        match self {
            Self::Software => 0,
            Self::TrustedEnvironment => 1,
            Self::StrongBox => 2,
            Self::SecureEnclave => 3,
        }
    }

    /// The level with this number in the enrolment proof.
    pub fn from_code(code: u64) -> Option<Self> {
        Some(match code {
            0 => Self::Software,
            1 => Self::TrustedEnvironment,
            2 => Self::StrongBox,
            3 => Self::SecureEnclave,
            _ => return None,
        })
    }

    /// Whether the private key lives in dedicated hardware (anything but [`Self::Software`]).
    pub fn is_hardware(self) -> bool {
        !matches!(self, Self::Software)
    }
}

/// Most certificates an Android attestation chain may have (leaf, intermediates, root); real
/// chains have 3 to 5.
pub const MAX_EVIDENCE_CERTIFICATES: usize = 10;
/// Largest single piece of evidence (one certificate, or the iOS evidence), in bytes.
pub const MAX_EVIDENCE_ITEM_LEN: usize = 16 * 1024;

/// The platform's own evidence for where a new key lives, passed through by the wallet untouched
/// and checked only by the issuer.
#[derive(Clone, PartialEq, Eq)]
pub enum KeyEvidence {
    /// None: the software secure area, or a platform that gave none.
    None,
    /// Android Key Attestation: the key's certificate chain as `KeyStore.getCertificateChain`
    /// returns it, DER certificates leaf first. The leaf carries the KeyDescription extension
    /// (OID 1.3.6.1.4.1.11129.2.1.17) with the attestation challenge.
    AndroidKeyAttestation {
        /// DER certificates, leaf first.
        chain: Vec<Vec<u8>>,
    },
    /// iOS App Attest evidence for the key (opaque here: docs/FORMAT.md §14 describes what the
    /// Swift glue puts in it); an issuer verifies it with `attestation::apple` once its policy
    /// names Apple's roots and app ids.
    AppleAppAttest {
        /// The host's encoding of its App Attest key id, attestation and assertion.
        evidence: Vec<u8>,
    },
}

impl KeyEvidence {
    /// Checks the evidence's size limits: at most [`MAX_EVIDENCE_CERTIFICATES`] certificates,
    /// each non-empty and at most [`MAX_EVIDENCE_ITEM_LEN`] bytes.
    pub fn check_limits(&self) -> Result<(), &'static str> {
        match self {
            Self::None => Ok(()),
            Self::AndroidKeyAttestation { chain } => {
                if chain.is_empty() || chain.len() > MAX_EVIDENCE_CERTIFICATES {
                    return Err("an attestation chain must have 1 to 10 certificates");
                }
                if chain
                    .iter()
                    .any(|c| c.is_empty() || c.len() > MAX_EVIDENCE_ITEM_LEN)
                {
                    return Err("an attestation certificate must be 1 to 16384 bytes");
                }
                Ok(())
            }
            Self::AppleAppAttest { evidence } => {
                if evidence.is_empty() || evidence.len() > MAX_EVIDENCE_ITEM_LEN {
                    return Err("App Attest evidence must be 1 to 16384 bytes");
                }
                Ok(())
            }
        }
    }
}

impl fmt::Debug for KeyEvidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::None => f.write_str("None"),
            Self::AndroidKeyAttestation { chain } => {
                write!(f, "AndroidKeyAttestation({} certificates)", chain.len())
            }
            Self::AppleAppAttest { evidence } => {
                write!(f, "AppleAppAttest({} bytes)", evidence.len())
            }
        }
    }
}

/// What a secure area reports about a key it just created, besides its public key: its claimed
/// security level and the platform's evidence. The wallet carries both to the issuer in the
/// enrolment proof (FORMAT.md §14).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyAttestation {
    /// Where the host says the key lives.
    pub level: KeySecurityLevel,
    /// The platform's evidence for it.
    pub evidence: KeyEvidence,
}

impl KeyAttestation {
    /// A software key: level software, no evidence.
    pub fn software() -> Self {
        Self {
            level: KeySecurityLevel::Software,
            evidence: KeyEvidence::None,
        }
    }
}

/// A key a secure area just created: its public key and its attestation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreatedKey {
    /// The public key.
    pub public_key: HolderPublicKey,
    /// Its claimed level and evidence.
    pub attestation: KeyAttestation,
}

/// Longest attestation challenge a secure area must accept (Android Keystore's limit).
pub const MAX_ATTESTATION_CHALLENGE_LEN: usize = 128;

/// A DER-encoded ECDSA signature exactly as a secure area returned it: not yet trusted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UncheckedSignature(pub Vec<u8>);

/// A signature the core has verified against the holder key recorded at creation. It can only be
/// made by [`RecordedHolderKey::sign`], so holding one proves the check happened.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct VerifiedSignature([u8; 64]);

impl VerifiedSignature {
    /// The signature as COSE ES256 carries it: `r || s`, 32 bytes each.
    pub fn to_raw_bytes(&self) -> [u8; 64] {
        self.0
    }
}

impl fmt::Debug for VerifiedSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifiedSignature({})", hex::encode(self.0))
    }
}

/// What the core remembers about a holder key: its alias, the public key the secure area reported
/// when the key was created, and its policy. The wallet persists these three; every later
/// signature is checked against this public key, never against one the secure area reports again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedHolderKey {
    alias: KeyAlias,
    public_key: HolderPublicKey,
    policy: KeyAuthPolicy,
}

/// Message the core signs right after creating a key, so a secure area whose reported public key
/// does not match the key it signs with is caught at enrolment rather than at a counter.
const CREATION_CHECK_CONTEXT: &[u8] = b"netid holder key creation check v1\0";

impl RecordedHolderKey {
    /// Rebuilds the record from what the wallet stored at enrolment.
    pub fn from_parts(alias: KeyAlias, public_key: HolderPublicKey, policy: KeyAuthPolicy) -> Self {
        Self {
            alias,
            public_key,
            policy,
        }
    }

    /// Creates a key in `area` and records the public key it reports, asking for no
    /// attestation (an empty challenge).
    ///
    /// Creation does not prompt the user, and so it cannot prove the public key belongs to the key
    /// the area will sign with; the first signature proves it (see [`Self::sign`]).
    pub async fn create<A: SecureArea>(
        area: &A,
        alias: KeyAlias,
        policy: KeyAuthPolicy,
    ) -> Result<Self, SecureAreaError> {
        Self::create_attested(area, alias, policy, &[], false)
            .await
            .map(|(recorded, _)| recorded)
    }

    /// As [`Self::create`], for a key the OS may also release after the device passcode when
    /// `device_credential` (some action of the policy falls back to it).
    pub async fn create_with<A: SecureArea>(
        area: &A,
        alias: KeyAlias,
        policy: KeyAuthPolicy,
        device_credential: bool,
    ) -> Result<Self, SecureAreaError> {
        Self::create_attested(area, alias, policy, &[], device_credential)
            .await
            .map(|(recorded, _)| recorded)
    }

    /// Creates a key in `area` attested over `challenge` (empty: no attestation wanted; the
    /// wallet passes an enrolment nonce, 16 to 64 bytes, within every platform's limit of
    /// [`MAX_ATTESTATION_CHALLENGE_LEN`]), releasable after the device passcode when
    /// `device_credential`, and records the public key it reports. The attestation is returned
    /// as the area gave it (within the size limits of [`KeyEvidence`]): only an issuer can check
    /// it.
    pub async fn create_attested<A: SecureArea>(
        area: &A,
        alias: KeyAlias,
        policy: KeyAuthPolicy,
        challenge: &[u8],
        device_credential: bool,
    ) -> Result<(Self, KeyAttestation), SecureAreaError> {
        let created = area
            .create_key_with(&alias, policy, challenge, device_credential)
            .await?;
        created
            .attestation
            .evidence
            .check_limits()
            .map_err(|what| SecureAreaError::Misbehaved { what })?;
        Ok((
            Self {
                alias,
                public_key: created.public_key,
                policy,
            },
            created.attestation,
        ))
    }

    /// Context bytes a caller may sign to prove a freshly created key works, e.g. at enrolment.
    pub fn creation_check_message(&self) -> Vec<u8> {
        let mut message = CREATION_CHECK_CONTEXT.to_vec();
        message.extend_from_slice(&self.public_key.to_sec1_uncompressed());
        message
    }

    /// The alias the key is stored under.
    pub fn alias(&self) -> &KeyAlias {
        &self.alias
    }

    /// The public key recorded at creation.
    pub fn public_key(&self) -> &HolderPublicKey {
        &self.public_key
    }

    /// The authentication policy the key was created with.
    pub fn policy(&self) -> KeyAuthPolicy {
        self.policy
    }

    /// Asks `area` to sign `message` (prompting the user as the key's policy demands) and
    /// verifies the answer against the recorded public key.
    ///
    /// A secure area that answers with anything that does not verify, whether garbage, a
    /// signature by another key or over other bytes, gets [`SecureAreaError::Misbehaved`] and no
    /// signature comes out.
    pub async fn sign<A: SecureArea>(
        &self,
        area: &A,
        message: &[u8],
        reason: PromptReason,
    ) -> Result<VerifiedSignature, SecureAreaError> {
        self.sign_with(area, message, reason.into()).await
    }

    /// As [`Self::sign`], saying whether the device passcode may stand in for a biometric.
    pub async fn sign_with<A: SecureArea>(
        &self,
        area: &A,
        message: &[u8],
        prompt: Prompt,
    ) -> Result<VerifiedSignature, SecureAreaError> {
        let unchecked = area.sign_with(&self.alias, message, prompt).await?;
        self.check(message, &unchecked)
    }

    /// The check behind [`Self::sign`], for callers that obtained a signature another way.
    pub fn check(
        &self,
        message: &[u8],
        unchecked: &UncheckedSignature,
    ) -> Result<VerifiedSignature, SecureAreaError> {
        let signature =
            Signature::from_der(&unchecked.0).map_err(|_| SecureAreaError::Misbehaved {
                what: "the secure area returned a signature that is not DER-encoded ECDSA P-256",
            })?;
        self.public_key
            .0
            .verify(message, &signature)
            .map_err(|_| SecureAreaError::Misbehaved {
                what: "the secure area returned a signature that does not verify under the holder key recorded at creation",
            })?;
        let mut raw = [0u8; 64];
        raw.copy_from_slice(&signature.to_bytes());
        Ok(VerifiedSignature(raw))
    }
}

/// A place holder keys live. Implemented by the host (hardware) and by
/// [`software::SoftwareSecureArea`].
///
/// Methods are async because `sign` shows the user a biometric prompt and waits for it; the
/// futures must be `Send` so the FFI layer can poll them from any thread.
pub trait SecureArea: Send + Sync {
    /// Creates a new P-256 key under `alias`, bound to user authentication by `policy`, and
    /// returns its public key with its security level and the platform's evidence, attested over
    /// `challenge` (empty: no attestation wanted; the enrolment passes the issuer's nonce). Fails
    /// with [`SecureAreaError::KeyExists`] if the alias is taken (an existing key is never
    /// replaced).
    fn create_key(
        &self,
        alias: &KeyAlias,
        policy: KeyAuthPolicy,
        challenge: &[u8],
    ) -> impl Future<Output = Result<CreatedKey, SecureAreaError>> + Send;

    /// The public key of the key stored under `alias`.
    fn public_key(
        &self,
        alias: &KeyAlias,
    ) -> impl Future<Output = Result<HolderPublicKey, SecureAreaError>> + Send;

    /// Signs `message` (ECDSA P-256 with SHA-256 over these exact bytes) with the key under
    /// `alias`, authenticating the user first as the key's policy demands, and returns the
    /// DER-encoded signature.
    fn sign(
        &self,
        alias: &KeyAlias,
        message: &[u8],
        reason: PromptReason,
    ) -> impl Future<Output = Result<UncheckedSignature, SecureAreaError>> + Send;

    /// Deletes the key under `alias`. Fails with [`SecureAreaError::KeyNotFound`] if there is none.
    fn delete_key(
        &self,
        alias: &KeyAlias,
    ) -> impl Future<Output = Result<(), SecureAreaError>> + Send;

    /// As [`Self::create_key`], for a key the OS may also release after the device passcode when
    /// `device_credential` is true. Areas without a passcode option ignore it (the default).
    fn create_key_with(
        &self,
        alias: &KeyAlias,
        policy: KeyAuthPolicy,
        challenge: &[u8],
        device_credential: bool,
    ) -> impl Future<Output = Result<CreatedKey, SecureAreaError>> + Send {
        let _ = device_credential;
        self.create_key(alias, policy, challenge)
    }

    /// As [`Self::sign`], with the whole [`Prompt`]: an area that can offer the device passcode
    /// does so only when `prompt.device_credential` is true. The default ignores it (biometric
    /// only, the stricter reading).
    fn sign_with(
        &self,
        alias: &KeyAlias,
        message: &[u8],
        prompt: Prompt,
    ) -> impl Future<Output = Result<UncheckedSignature, SecureAreaError>> + Send {
        self.sign(alias, message, prompt.reason)
    }
}

/// Why a secure area (or the user authentication in front of it) did not produce a key or a
/// signature. Messages never contain key material or personal data.
#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecureAreaError {
    /// The user dismissed the authentication prompt.
    #[error("authentication was cancelled; try again when ready")]
    Cancelled,
    /// The biometric (or device credential) was not recognised.
    #[error("the fingerprint or face was not recognised; try again")]
    Failed,
    /// The device has no biometric or device credential set up, so a bound key cannot be used.
    #[error(
        "no fingerprint, face or device passcode is set up on this device; set one up in the system settings"
    )]
    NotEnrolled,
    /// The OS itself locked biometrics after too many attempts.
    #[error(
        "the device has locked biometric checks after too many attempts; unlock the device with its passcode, then try again"
    )]
    SystemLockedOut,
    /// The holder key was permanently invalidated: the enrolled biometrics changed since it was
    /// created (Android `KeyPermanentlyInvalidatedException`, an iOS `.biometryCurrentSet` key
    /// gone after a biometry change), or it was sealed under an earlier enrolment of the
    /// authenticator. The OS will never use it again; the document must be enrolled again (and
    /// its old credential revoked by the issuer). Other documents are not affected.
    #[error(
        "this document's key no longer works because the enrolled fingerprints or faces changed; enrol the document again"
    )]
    HolderKeyInvalidated,
    /// The authenticator's own unlock key (the software secure area's biometric-bound key) was
    /// permanently invalidated by a biometric change. Nothing sealed under it opens again: set
    /// the authenticator up again (a new unlock key), then enrol the documents again.
    #[error(
        "the wallet's biometric unlock key no longer works because the enrolled fingerprints or faces changed; set up biometric unlock again, then enrol your documents again"
    )]
    AuthenticatorInvalidated,
    /// The secure area or authenticator answered "success" with something that does not prove it.
    #[error("the secure area misbehaved ({what}); nothing was signed")]
    Misbehaved {
        /// Which promise it broke.
        what: &'static str,
    },
    /// The authenticator answered with unlock bytes this secure area already received for an
    /// earlier request: a captured grant being replayed. Every grant is good for one operation.
    #[error(
        "the authenticator answered with a grant that was already used once (a replayed grant); nothing was signed; if this repeats, report it: the device's authenticator may be compromised"
    )]
    GrantReused,
    /// The secure area cannot be used right now (no hardware, keystore service down, ...).
    #[error("the secure area is unavailable: {detail}")]
    Unavailable {
        /// Host-supplied explanation; hosts must not put personal data here.
        detail: String,
    },
    /// No key is stored under this alias.
    #[error("no holder key is stored under this alias; the document may need to be re-enrolled")]
    KeyNotFound,
    /// A key already exists under this alias and was left untouched.
    #[error("a holder key already exists under this alias; choose another alias")]
    KeyExists,
    /// The alias is empty, too long or has characters outside `A-Z a-z 0-9 . _ -`.
    #[error("a key alias must be 1 to 128 characters from A-Z, a-z, 0-9, '.', '_' and '-'")]
    InvalidAlias,
    /// A public key was not a valid P-256 point.
    #[error("the public key is not a valid P-256 point")]
    InvalidPublicKey,
    /// A stored software key blob is damaged or in an unknown format.
    #[error("the stored holder key is damaged ({what}); re-enrol this document")]
    CorruptKeyBlob {
        /// Which part failed to parse or authenticate.
        what: &'static str,
    },
    /// The key blob was sealed under a different wrapping key than the one supplied.
    #[error(
        "the stored holder key was sealed under a different wallet key; open the wallet it belongs to"
    )]
    WrongWrappingKey,
    /// The software key blob store failed.
    #[error("the holder key storage failed: {detail}")]
    BlobStore {
        /// What the storage reported (no key material).
        detail: String,
    },
}
