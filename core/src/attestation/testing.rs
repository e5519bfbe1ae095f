//! Test attestation authorities (feature `test-support`): a root and an intermediate P-256 key
//! that issue Android-style attestation chains to the real schema (X.509 v3, the KeyDescription
//! extension encoded with `der`), for the Rust tests and, through the FFI's `dev-issuer` feature,
//! the JVM tests; and their App Attest counterpart ([`TestAppAttestCa`]: credential certificates
//! with Apple's nonce extension, attestation objects and assertions in App Attest's CBOR, written
//! with `ciborium`). Never a source of trust outside tests.
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

// ----- iOS App Attest -----

/// What a test App Attest attestation and assertion say; [`AppAttestOptions::production`] is a
/// well-formed production key of `app_id`, and each field can be bent to make a refusal.
#[derive(Clone, Debug)]
pub struct AppAttestOptions {
    /// The app id whose SHA-256 is the attestation's rpIdHash.
    pub app_id: String,
    /// The assertion's app id; `None`: the same.
    pub assertion_app_id: Option<String>,
    /// aaguid `appattestdevelop` instead of `appattest`.
    pub development: bool,
    /// Another aaguid altogether (neither environment's).
    pub aaguid: Option<[u8; 16]>,
    /// The attestation's counter (Apple: 0).
    pub attestation_counter: u32,
    /// The assertion's counter (Apple: 1 for the key's first assertion).
    pub assertion_counter: u32,
    /// Put a nonce over another clientDataHash in the credential certificate.
    pub wrong_nonce: bool,
    /// authData's credentialId; `None`: the key id.
    pub credential_id: Option<Vec<u8>>,
}

impl AppAttestOptions {
    /// A production key of `app_id`, its first assertion.
    pub fn production(app_id: &str) -> Self {
        Self {
            app_id: app_id.to_owned(),
            assertion_app_id: None,
            development: false,
            aaguid: None,
            attestation_counter: 0,
            assertion_counter: 1,
            wrong_nonce: false,
            credential_id: None,
        }
    }
}

/// A test App Attestation root and intermediate, as Apple's "Apple App Attestation Root CA" and
/// "Apple App Attestation CA 1" stand, issuing credential certificates to Apple's schema (the
/// nonce extension 1.2.840.113635.100.8.2), with attestation objects and assertions in App
/// Attest's CBOR.
pub struct TestAppAttestCa {
    ca: TestAttestationCa,
}

impl std::fmt::Debug for TestAppAttestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestAppAttestCa").finish_non_exhaustive()
    }
}

fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    use sha2::Digest;
    let mut hash = sha2::Sha256::new();
    for part in parts {
        hash.update(part);
    }
    hash.finalize().into()
}

fn cbor(value: &ciborium::Value) -> Result<Vec<u8>, TestChainError> {
    let mut out = Vec::new();
    ciborium::ser::into_writer(value, &mut out).map_err(fail)?;
    Ok(out)
}

fn text_map(entries: Vec<(&str, ciborium::Value)>) -> ciborium::Value {
    ciborium::Value::Map(
        entries
            .into_iter()
            .map(|(k, v)| (ciborium::Value::Text(k.to_owned()), v))
            .collect(),
    )
}

/// The App Attest key id of `key`: SHA-256 of its uncompressed point.
pub fn app_attest_key_id(key: &p256::PublicKey) -> [u8; 32] {
    sha256(&[key.to_encoded_point(false).as_bytes()])
}

#[derive(Sequence)]
struct NonceOut {
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT")]
    nonce: OctetString,
}

impl TestAppAttestCa {
    /// A fresh root and intermediate.
    pub fn generate(name: &str) -> Result<Self, TestChainError> {
        Ok(Self {
            ca: TestAttestationCa::generate(&format!("{name} App"))?,
        })
    }

    /// The root certificate (DER), for [`super::AppAttestPolicy::roots`].
    pub fn root_certificate(&self) -> &[u8] {
        self.ca.root_certificate()
    }

    /// The attestation object (CBOR) for the App Attest key `app_key` made over
    /// `client_data_hash`, as `options` say.
    pub fn attestation_object(
        &self,
        app_key: &p256::PublicKey,
        client_data_hash: &[u8],
        options: &AppAttestOptions,
    ) -> Result<Vec<u8>, TestChainError> {
        use p256::elliptic_curve::sec1::Coordinates;
        let key_id = app_attest_key_id(app_key);
        let credential_id = options.credential_id.clone().unwrap_or(key_id.to_vec());
        let point = app_key.to_encoded_point(false);
        let Coordinates::Uncompressed { x, y } = point.coordinates() else {
            return Err(TestChainError("an uncompressed point".to_owned()));
        };
        let cose_key = cbor(&ciborium::Value::Map(vec![
            (1.into(), 2.into()),
            (3.into(), (-7).into()),
            ((-1).into(), 1.into()),
            ((-2).into(), ciborium::Value::Bytes(x.to_vec())),
            ((-3).into(), ciborium::Value::Bytes(y.to_vec())),
        ]))?;
        let mut auth_data = sha256(&[options.app_id.as_bytes()]).to_vec();
        auth_data.push(0x40); // AT: attested credential data follows
        auth_data.extend_from_slice(&options.attestation_counter.to_be_bytes());
        auth_data.extend_from_slice(&options.aaguid.unwrap_or(if options.development {
            *b"appattestdevelop"
        } else {
            *b"appattest\0\0\0\0\0\0\0"
        }));
        let id_length = u16::try_from(credential_id.len()).map_err(fail)?;
        auth_data.extend_from_slice(&id_length.to_be_bytes());
        auth_data.extend_from_slice(&credential_id);
        auth_data.extend_from_slice(&cose_key);

        let nonce = if options.wrong_nonce {
            sha256(&[&auth_data, &[0u8; 32]])
        } else {
            sha256(&[&auth_data, client_data_hash])
        };
        let extension = Extension {
            extn_id: super::apple::NONCE_OID,
            critical: false,
            extn_value: OctetString::new(
                NonceOut {
                    nonce: OctetString::new(nonce.to_vec()).map_err(fail)?,
                }
                .to_der()
                .map_err(fail)?,
            )
            .map_err(fail)?,
        };
        let subject: Name = format!("CN={},O=Apple Inc.", hex::encode(key_id))
            .parse()
            .map_err(fail)?;
        let credential_certificate = sign_certificate(
            5,
            &self.ca.intermediate_name,
            &subject,
            app_key,
            Some(vec![extension]),
            &self.ca.intermediate_key,
        )?;
        cbor(&text_map(vec![
            ("fmt", ciborium::Value::Text("apple-appattest".to_owned())),
            (
                "attStmt",
                text_map(vec![
                    (
                        "x5c",
                        ciborium::Value::Array(vec![
                            ciborium::Value::Bytes(credential_certificate),
                            ciborium::Value::Bytes(self.ca.intermediate_der.clone()),
                        ]),
                    ),
                    ("receipt", ciborium::Value::Bytes(b"test receipt".to_vec())),
                ]),
            ),
            ("authData", ciborium::Value::Bytes(auth_data)),
        ]))
    }

    /// An assertion (CBOR) by `app_key` over `client_data_hash`, as `options` say.
    pub fn assertion(
        app_key: &SigningKey,
        client_data_hash: &[u8],
        options: &AppAttestOptions,
    ) -> Result<Vec<u8>, TestChainError> {
        let app_id = options.assertion_app_id.as_ref().unwrap_or(&options.app_id);
        let mut authenticator_data = sha256(&[app_id.as_bytes()]).to_vec();
        authenticator_data.push(0x00);
        authenticator_data.extend_from_slice(&options.assertion_counter.to_be_bytes());
        let nonce = sha256(&[&authenticator_data, client_data_hash]);
        let signature: p256::ecdsa::Signature = app_key.sign(&nonce);
        cbor(&text_map(vec![
            (
                "signature",
                ciborium::Value::Bytes(signature.to_der().as_bytes().to_vec()),
            ),
            (
                "authenticatorData",
                ciborium::Value::Bytes(authenticator_data),
            ),
        ]))
    }

    /// The evidence the Swift glue sends for `holder_key` answering `challenge`: `app_key`
    /// attested over `attestation_client_data_hash` (the installation's first enrolment's), and
    /// an assertion over SHA-256(holder key ‖ challenge).
    pub fn evidence(
        &self,
        app_key: &SigningKey,
        attestation_client_data_hash: &[u8; 32],
        holder_key: &p256::PublicKey,
        challenge: &[u8],
        options: &AppAttestOptions,
    ) -> Result<super::apple::AppAttestEvidence, TestChainError> {
        let app_public = p256::PublicKey::from(app_key.verifying_key());
        let client_data_hash = super::apple::client_data_hash(holder_key, challenge);
        Ok(super::apple::AppAttestEvidence {
            key_id: app_attest_key_id(&app_public).to_vec(),
            attestation: self.attestation_object(
                &app_public,
                attestation_client_data_hash,
                options,
            )?,
            attestation_client_data_hash: attestation_client_data_hash.to_vec(),
            assertion: Self::assertion(app_key, &client_data_hash, options)?,
            client_data_hash: client_data_hash.to_vec(),
        })
    }
}

/// Standard base64 with whitespace ignored, as the published test vectors are written (PEM bodies
/// with 76-column lines, base64 files ending in a newline). Panics on anything else: it reads only
/// the project's own vectors.
pub fn base64(text: &str) -> Vec<u8> {
    use base64ct::{Base64, Encoding};
    let compact: String = text.split_whitespace().collect();
    Base64::decode_vec(&compact).expect("a test vector is standard base64")
}
