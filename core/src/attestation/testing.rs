//! Test attestation authorities (feature `test-support`): a root and an intermediate P-256 key
//! that issue Android-style attestation chains to the real schema (X.509 v3, the KeyDescription
//! extension encoded with `der`), for the Rust tests and, through the FFI's `dev-issuer` feature,
//! the JVM tests. Never a source of trust outside tests.
//!
//! The certificates are written with this module's own DER structures, not `x509-cert`'s parser
//! types, so the verifier in [`super::android`] reads what an independent encoder wrote.

use der::asn1::{
    Any, AnyRef, BitString, ContextSpecific, Null, ObjectIdentifier, OctetString, UtcTime,
};
use der::{Encode, Sequence, Tag, TagMode, TagNumber};
use p256::ecdsa::SigningKey;
use p256::ecdsa::signature::Signer;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use rand_core::OsRng;
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::time::{Time, Validity};

use super::android::{ECDSA_WITH_SHA256, ID_EC_PUBLIC_KEY, KEY_DESCRIPTION_OID, SECP256R1};
use crate::secure_area::KeySecurityLevel;

/// What the leaf's KeyDescription says; [`LeafOptions::tee`] is a well-formed TEE key bound to
/// user authentication, and each field can be bent to make a refusal.
#[derive(Clone, Debug)]
pub struct LeafOptions {
    /// `attestationChallenge`.
    pub challenge: Vec<u8>,
    /// `attestationSecurityLevel` and `keyMintSecurityLevel` (Software, TEE or StrongBox).
    pub level: KeySecurityLevel,
    /// Put `noAuthRequired` in the enforced list.
    pub no_auth_required: bool,
    /// `userAuthType` (2 = fingerprint, 1 = password, 3 = both); `None` leaves it out.
    pub user_auth_type: Option<i64>,
    /// `origin` (0 = GENERATED, 2 = IMPORTED).
    pub origin: i64,
}

impl LeafOptions {
    /// A TEE key generated there, requiring biometric authentication, attested over `challenge`.
    pub fn tee(challenge: &[u8]) -> Self {
        Self {
            challenge: challenge.to_vec(),
            level: KeySecurityLevel::TrustedEnvironment,
            no_auth_required: false,
            user_auth_type: Some(2),
            origin: 0,
        }
    }
}

/// A test root and intermediate, as Google's root and a device's attestation key stand.
pub struct TestAttestationCa {
    root_der: Vec<u8>,
    intermediate_key: SigningKey,
    intermediate_name: Name,
    intermediate_der: Vec<u8>,
}

impl std::fmt::Debug for TestAttestationCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestAttestationCa").finish_non_exhaustive()
    }
}

/// Why a test chain could not be written (only on a bug in this module).
#[derive(Debug, thiserror::Error)]
#[error("the test attestation certificate could not be encoded: {0}")]
pub struct TestChainError(String);

fn fail(e: impl std::fmt::Display) -> TestChainError {
    TestChainError(e.to_string())
}

#[derive(Sequence)]
struct AlgorithmOut {
    oid: ObjectIdentifier,
    #[asn1(optional = "true")]
    parameters: Option<Any>,
}

#[derive(Sequence)]
struct SpkiOut {
    algorithm: AlgorithmOut,
    key: BitString,
}

#[derive(Sequence)]
struct TbsOut {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    version: u8,
    serial: u64,
    signature: AlgorithmOut,
    issuer: Name,
    validity: Validity,
    subject: Name,
    spki: SpkiOut,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT", optional = "true")]
    extensions: Option<Vec<Extension>>,
}

#[derive(Sequence)]
struct CertificateOut {
    tbs: TbsOut,
    algorithm: AlgorithmOut,
    signature: BitString,
}

fn ecdsa_sha256() -> AlgorithmOut {
    AlgorithmOut {
        oid: ECDSA_WITH_SHA256,
        parameters: None,
    }
}

fn spki(key: &p256::PublicKey) -> Result<SpkiOut, TestChainError> {
    Ok(SpkiOut {
        algorithm: AlgorithmOut {
            oid: ID_EC_PUBLIC_KEY,
            parameters: Some(Any::encode_from(&SECP256R1).map_err(fail)?),
        },
        key: BitString::from_bytes(key.to_encoded_point(false).as_bytes()).map_err(fail)?,
    })
}

/// 2020-01-01 to 2049-12-31: wide enough for any test clock.
fn validity() -> Result<Validity, TestChainError> {
    let at = |secs: u64| {
        UtcTime::from_unix_duration(std::time::Duration::from_secs(secs))
            .map(Time::UtcTime)
            .map_err(fail)
    };
    Ok(Validity::new(at(1_577_836_800)?, at(2_524_521_599)?))
}

fn sign_certificate(
    serial: u64,
    issuer: &Name,
    subject: &Name,
    subject_key: &p256::PublicKey,
    extensions: Option<Vec<Extension>>,
    signer: &SigningKey,
) -> Result<Vec<u8>, TestChainError> {
    let tbs = TbsOut {
        version: 2,
        serial,
        signature: ecdsa_sha256(),
        issuer: issuer.clone(),
        validity: validity()?,
        subject: subject.clone(),
        spki: spki(subject_key)?,
        extensions,
    };
    let tbs_der = tbs.to_der().map_err(fail)?;
    let signature: p256::ecdsa::Signature = signer.sign(&tbs_der);
    CertificateOut {
        tbs,
        algorithm: ecdsa_sha256(),
        signature: BitString::from_bytes(signature.to_der().as_bytes()).map_err(fail)?,
    }
    .to_der()
    .map_err(fail)
}

fn explicit<T: der::EncodeValue + der::Tagged>(
    number: u32,
    value: T,
) -> Result<Vec<u8>, TestChainError> {
    ContextSpecific {
        tag_number: TagNumber(number),
        tag_mode: TagMode::Explicit,
        value,
    }
    .to_der()
    .map_err(fail)
}

fn sequence_of_raw(parts: &[Vec<u8>]) -> Result<Vec<u8>, TestChainError> {
    let body = parts.concat();
    AnyRef::new(Tag::Sequence, &body)
        .and_then(|any| any.to_der())
        .map_err(fail)
}

/// An AuthorizationList with the entries a real EC signing key has, in tag order.
fn authorization_list(options: &LeafOptions, enforced: bool) -> Result<Vec<u8>, TestChainError> {
    if !enforced {
        // creationDateTime [701], as Android puts in softwareEnforced.
        return sequence_of_raw(&[explicit(701, 1_700_000_000_000i64)?]);
    }
    let mut parts = vec![
        // purpose [1] SET OF INTEGER { SIGN (2) }
        explicit(1, der::asn1::SetOfVec::try_from(vec![2i64]).map_err(fail)?)?,
        explicit(2, 3i64)?,   // algorithm: EC
        explicit(3, 256i64)?, // keySize
        explicit(10, 1i64)?,  // ecCurve: P_256
    ];
    if options.no_auth_required {
        parts.push(explicit(TAG_NO_AUTH_REQUIRED, Null)?);
    }
    if let Some(kind) = options.user_auth_type {
        parts.push(explicit(TAG_USER_AUTH_TYPE, kind)?);
    }
    parts.push(explicit(TAG_ORIGIN, options.origin)?);
    sequence_of_raw(&parts)
}

const TAG_NO_AUTH_REQUIRED: u32 = 503;
const TAG_USER_AUTH_TYPE: u32 = 504;
const TAG_ORIGIN: u32 = 702;

/// The KeyDescription extension value (DER) for `options`.
pub fn key_description(options: &LeafOptions) -> Result<Vec<u8>, TestChainError> {
    let level = match options.level {
        KeySecurityLevel::Software => 0u8,
        KeySecurityLevel::TrustedEnvironment => 1,
        KeySecurityLevel::StrongBox => 2,
        KeySecurityLevel::SecureEnclave => {
            return Err(TestChainError(
                "Android has no Secure Enclave level".to_owned(),
            ));
        }
    };
    let enumerated = AnyRef::new(Tag::Enumerated, std::slice::from_ref(&level))
        .and_then(|a| a.to_der())
        .map_err(fail)?;
    let hardware = options.level.is_hardware();
    let parts = vec![
        300i64.to_der().map_err(fail)?, // attestationVersion (KeyMint 3)
        enumerated.clone(),
        300i64.to_der().map_err(fail)?, // keyMintVersion
        enumerated,
        OctetString::new(options.challenge.clone())
            .and_then(|o| o.to_der())
            .map_err(fail)?,
        OctetString::new(Vec::new())
            .and_then(|o| o.to_der())
            .map_err(fail)?,
        authorization_list(options, !hardware)?,
        authorization_list(options, hardware)?,
    ];
    sequence_of_raw(&parts)
}

impl TestAttestationCa {
    /// A fresh root and intermediate; `name` goes into their subjects.
    pub fn generate(name: &str) -> Result<Self, TestChainError> {
        let root_key = SigningKey::random(&mut OsRng);
        let intermediate_key = SigningKey::random(&mut OsRng);
        let clean: String = name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == ' ')
            .take(40)
            .collect();
        let root_name: Name = format!("CN={clean} Test Attestation Root")
            .parse()
            .map_err(fail)?;
        let intermediate_name: Name = format!("CN={clean} Test Attestation Key")
            .parse()
            .map_err(fail)?;
        let root_public = p256::PublicKey::from(root_key.verifying_key());
        let root_der = sign_certificate(1, &root_name, &root_name, &root_public, None, &root_key)?;
        let intermediate_der = sign_certificate(
            2,
            &root_name,
            &intermediate_name,
            &p256::PublicKey::from(intermediate_key.verifying_key()),
            None,
            &root_key,
        )?;
        Ok(Self {
            root_der,
            intermediate_key,
            intermediate_name,
            intermediate_der,
        })
    }

    /// The root certificate (DER), for the issuer's [`super::TrustedRoots`].
    pub fn root_certificate(&self) -> &[u8] {
        &self.root_der
    }

    /// A chain for `key` (leaf, intermediate, root), its leaf's KeyDescription as `options` say.
    pub fn chain(
        &self,
        key: &p256::PublicKey,
        options: &LeafOptions,
    ) -> Result<Vec<Vec<u8>>, TestChainError> {
        let extension = Extension {
            extn_id: KEY_DESCRIPTION_OID,
            critical: false,
            extn_value: OctetString::new(key_description(options)?).map_err(fail)?,
        };
        let leaf_name: Name = "CN=Android Keystore Key".parse().map_err(fail)?;
        let leaf = sign_certificate(
            3,
            &self.intermediate_name,
            &leaf_name,
            key,
            Some(vec![extension]),
            &self.intermediate_key,
        )?;
        Ok(vec![
            leaf,
            self.intermediate_der.clone(),
            self.root_der.clone(),
        ])
    }

    /// A certificate for `key` named like the intermediate but signed by the root with a
    /// KeyDescription: what an attacker holding an attested key would put above a forged leaf.
    pub fn sign_with_leaf_key(
        leaf_signer: &SigningKey,
        leaf_subject: &str,
        key: &p256::PublicKey,
        options: &LeafOptions,
    ) -> Result<Vec<u8>, TestChainError> {
        let extension = Extension {
            extn_id: KEY_DESCRIPTION_OID,
            critical: false,
            extn_value: OctetString::new(key_description(options)?).map_err(fail)?,
        };
        let issuer: Name = leaf_subject.parse().map_err(fail)?;
        let subject: Name = "CN=Forged Key".parse().map_err(fail)?;
        sign_certificate(
            4,
            &issuer,
            &subject,
            key,
            Some(vec![extension]),
            leaf_signer,
        )
    }
}
