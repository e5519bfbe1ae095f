//! Android Key Attestation: the certificate chain `KeyStore.getCertificateChain` returns for a key
//! created with `setAttestationChallenge`, leaf first, verified up to a configured root, and the
//! leaf's KeyDescription extension (OID 1.3.6.1.4.1.11129.2.1.17, schema in
//! <https://source.android.com/docs/security/features/keystore/attestation>):
//!
//! ```text
//! KeyDescription ::= SEQUENCE {
//!     attestationVersion         INTEGER,
//!     attestationSecurityLevel   SecurityLevel,   -- ENUMERATED: Software 0, TEE 1, StrongBox 2
//!     keyMintVersion             INTEGER,
//!     keyMintSecurityLevel       SecurityLevel,
//!     attestationChallenge       OCTET STRING,
//!     uniqueId                   OCTET STRING,
//!     softwareEnforced           AuthorizationList,
//!     hardwareEnforced           AuthorizationList,
//! }
//! AuthorizationList ::= SEQUENCE { ... noAuthRequired [503] EXPLICIT NULL OPTIONAL,
//!     userAuthType [504] EXPLICIT INTEGER OPTIONAL, ... origin [702] EXPLICIT INTEGER OPTIONAL, ... }
//! ```
//!
//! Certificates are parsed by `x509-cert`, the KeyDescription by `der` (0.8: the authorization
//! lists use context tags above 30). Signatures: ECDSA P-256/SHA-256 by `p256`; ECDSA with
//! P-384 or SHA-384 and RSA PKCS#1 v1.5 (Google's RSA root) by `ring`.

use der::asn1::{AnyRef, BitStringRef, ObjectIdentifier, OctetString};
use der::{Decode, Encode, Reader, Sequence, SliceReader, Tag, TagNumber, Tagged};
use p256::ecdsa::signature::Verifier;
use x509_cert::TbsCertificate;

use super::AttestationError;
use crate::secure_area::KeySecurityLevel;
use crate::time::UnixTime;

/// The KeyDescription extension's OID.
pub const KEY_DESCRIPTION_OID: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.1.17");

pub(crate) const ID_EC_PUBLIC_KEY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
pub(crate) const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
pub(crate) const ECDSA_WITH_SHA256: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_WITH_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");

/// `noAuthRequired`, `userAuthType` and `origin` in an AuthorizationList.
const TAG_NO_AUTH_REQUIRED: u32 = 503;
const TAG_USER_AUTH_TYPE: u32 = 504;
const TAG_ORIGIN: u32 = 702;
/// `KeyOrigin::GENERATED`.
const ORIGIN_GENERATED: i64 = 0;

/// The attestation roots an issuer trusts: DER certificates (Google's hardware attestation roots
/// in production). A chain is trusted when its last certificate has a root's public key, or is
/// signed by one.
#[derive(Clone, Debug, Default)]
pub struct TrustedRoots {
    roots: Vec<Root>,
}

#[derive(Clone, Debug)]
struct Root {
    /// The root's SubjectPublicKeyInfo, DER.
    spki: Vec<u8>,
    /// The root's subject name, DER.
    subject: Vec<u8>,
}

impl TrustedRoots {
    /// No roots: every chain is refused with [`AttestationError::UnknownRoot`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a root certificate (DER).
    pub fn add_der(&mut self, certificate: &[u8]) -> Result<(), AttestationError> {
        let parsed = ParsedCertificate::parse(certificate, 0)?;
        self.roots.push(Root {
            spki: parsed.spki_der,
            subject: parsed.subject_der,
        });
        Ok(())
    }

    /// Roots from DER certificates.
    pub fn from_der<'a>(
        certificates: impl IntoIterator<Item = &'a [u8]>,
    ) -> Result<Self, AttestationError> {
        let mut roots = Self::new();
        for certificate in certificates {
            roots.add_der(certificate)?;
        }
        Ok(roots)
    }

    /// How many roots there are.
    pub fn len(&self) -> usize {
        self.roots.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.roots.is_empty()
    }
}

/// What a verified Android chain's KeyDescription says about its key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AndroidAttestation {
    /// Where the key lives (`keyMintSecurityLevel`, equal to `attestationSecurityLevel`).
    pub level: KeySecurityLevel,
    /// `attestationChallenge`.
    pub challenge: Vec<u8>,
    /// The attested key (the leaf's public key).
    pub public_key: p256::PublicKey,
    /// From the list enforced at `level` (hardwareEnforced for TEE/StrongBox): `noAuthRequired`
    /// absent and `userAuthType` present.
    pub user_auth_required: bool,
    /// From the same list: `origin` = GENERATED.
    pub generated: bool,
}

impl AndroidAttestation {
    /// The per-enrolment checks: this challenge, this key, generated in the keystore.
    pub fn check_for(
        &self,
        holder_key: &p256::PublicKey,
        challenge: &[u8],
    ) -> Result<(), AttestationError> {
        if self.challenge != challenge {
            return Err(AttestationError::WrongChallenge);
        }
        if &self.public_key != holder_key {
            return Err(AttestationError::KeyMismatch);
        }
        if !self.generated {
            return Err(AttestationError::NotGenerated);
        }
        Ok(())
    }
}

/// The outer `Certificate` with the TBS kept as the exact bytes that were signed.
#[derive(Sequence)]
struct RawCertificate<'a> {
    tbs: AnyRef<'a>,
    algorithm: AnyRef<'a>,
    signature: BitStringRef<'a>,
}

/// `AlgorithmIdentifier` with parameters left raw.
#[derive(Sequence)]
struct RawAlgorithm<'a> {
    oid: ObjectIdentifier,
    #[asn1(optional = "true")]
    parameters: Option<AnyRef<'a>>,
}

pub(crate) struct ParsedCertificate {
    tbs_der: Vec<u8>,
    tbs: TbsCertificate,
    signature_algorithm: ObjectIdentifier,
    signature: Vec<u8>,
    pub(crate) spki_der: Vec<u8>,
    subject_der: Vec<u8>,
    issuer_der: Vec<u8>,
}

impl ParsedCertificate {
    pub(crate) fn parse(der_bytes: &[u8], index: usize) -> Result<Self, AttestationError> {
        let malformed = || AttestationError::MalformedCertificate { index };
        let raw = RawCertificate::from_der(der_bytes).map_err(|_| malformed())?;
        let tbs_der = raw.tbs.to_der().map_err(|_| malformed())?;
        let tbs = TbsCertificate::from_der(&tbs_der).map_err(|_| malformed())?;
        let algorithm = raw
            .algorithm
            .decode_as::<RawAlgorithm<'_>>()
            .map_err(|_| malformed())?;
        // The outer algorithm must be the one the signed part names.
        if algorithm.oid != tbs.signature().oid {
            return Err(malformed());
        }
        let signature = raw.signature.as_bytes().ok_or_else(malformed)?.to_vec();
        let spki_der = tbs
            .subject_public_key_info()
            .to_der()
            .map_err(|_| malformed())?;
        let subject_der = tbs.subject().to_der().map_err(|_| malformed())?;
        let issuer_der = tbs.issuer().to_der().map_err(|_| malformed())?;
        Ok(Self {
            tbs_der,
            tbs,
            signature_algorithm: algorithm.oid,
            signature,
            spki_der,
            subject_der,
            issuer_der,
        })
    }

    /// The value of the extension `oid`, if the certificate carries it.
    pub(crate) fn extension(&self, oid: ObjectIdentifier) -> Option<&[u8]> {
        self.tbs
            .extensions()?
            .iter()
            .find(|e| e.extn_id == oid)
            .map(|e| e.extn_value.as_bytes())
    }

    fn key_description(&self) -> Option<&[u8]> {
        self.extension(KEY_DESCRIPTION_OID)
    }

    fn valid_at(&self, now: UnixTime) -> bool {
        let validity = self.tbs.validity();
        let secs = |t: &x509_cert::time::Time| i64::try_from(t.to_unix_duration().as_secs()).ok();
        match (secs(&validity.not_before), secs(&validity.not_after)) {
            (Some(from), Some(until)) => from <= now.as_secs() && now.as_secs() <= until,
            _ => false,
        }
    }

    /// Whether this certificate is signed by the key in `signer_spki` (DER).
    fn signed_by(&self, signer_spki: &[u8], index: usize) -> Result<bool, AttestationError> {
        verify_signature(
            signer_spki,
            self.signature_algorithm,
            &self.tbs_der,
            &self.signature,
        )
        .ok_or(AttestationError::UnsupportedAlgorithm { index })
    }
}

/// `SubjectPublicKeyInfo` with the algorithm parameters left raw.
#[derive(Sequence)]
struct RawSpki<'a> {
    algorithm: RawAlgorithm<'a>,
    key: BitStringRef<'a>,
}

/// Verifies `signature` over `message` by the key in `spki` (DER) with `algorithm`; `None` when
/// the combination is not supported.
fn verify_signature(
    spki: &[u8],
    algorithm: ObjectIdentifier,
    message: &[u8],
    signature: &[u8],
) -> Option<bool> {
    use ring::signature as rs;
    let spki = RawSpki::from_der(spki).ok()?;
    let key = spki.key.as_bytes()?;
    let curve = if spki.algorithm.oid == ID_EC_PUBLIC_KEY {
        Some(
            spki.algorithm
                .parameters?
                .decode_as::<ObjectIdentifier>()
                .ok()?,
        )
    } else if spki.algorithm.oid == RSA_ENCRYPTION {
        None
    } else {
        return None;
    };
    let ring_algorithm: &dyn rs::VerificationAlgorithm = match (curve, algorithm) {
        (Some(c), a) if c == SECP256R1 && a == ECDSA_WITH_SHA256 => {
            // The house P-256 implementation, as for every other ES256 check.
            let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(key).ok()?;
            let Ok(signature) = p256::ecdsa::Signature::from_der(signature) else {
                return Some(false);
            };
            return Some(key.verify(message, &signature).is_ok());
        }
        (Some(c), a) if c == SECP256R1 && a == ECDSA_WITH_SHA384 => &rs::ECDSA_P256_SHA384_ASN1,
        (Some(c), a) if c == SECP384R1 && a == ECDSA_WITH_SHA256 => &rs::ECDSA_P384_SHA256_ASN1,
        (Some(c), a) if c == SECP384R1 && a == ECDSA_WITH_SHA384 => &rs::ECDSA_P384_SHA384_ASN1,
        (None, a) if a == SHA256_WITH_RSA => &rs::RSA_PKCS1_2048_8192_SHA256,
        _ => return None,
    };
    Some(
        rs::UnparsedPublicKey::new(ring_algorithm, key)
            .verify(message, signature)
            .is_ok(),
    )
}

/// Verifies `chain` (DER, leaf first) up to one of `roots` at `now`, and parses the leaf's
/// KeyDescription. Every certificate must be signed by the next, with matching names; the last
/// must carry a root's key or be signed by one; CA certificates must be valid at `now` (the
/// leaf's validity is the keystore's default and means nothing); no certificate but the leaf may
/// carry a KeyDescription.
pub fn verify_chain(
    chain: &[Vec<u8>],
    roots: &TrustedRoots,
    now: UnixTime,
) -> Result<AndroidAttestation, AttestationError> {
    let parsed = verify_path(chain, roots, now, |certificate, index| {
        if certificate.key_description().is_some() {
            return Err(AttestationError::KeyDescriptionAboveLeaf { index });
        }
        Ok(())
    })?;
    let leaf = &parsed[0];
    let description = leaf
        .key_description()
        .ok_or(AttestationError::NoKeyDescription)?;
    let description = parse_key_description(description)?;
    let public_key = leaf_public_key(&leaf.spki_der).ok_or(AttestationError::KeyMismatch)?;
    Ok(AndroidAttestation {
        level: description.level,
        challenge: description.challenge,
        public_key,
        user_auth_required: description.user_auth_required,
        generated: description.generated,
    })
}

/// The certificate path check Android and App Attest chains share: `chain` (DER, leaf first,
/// at least one certificate) parses; every certificate is signed by the next and names it as
/// issuer; each certificate above the leaf passes `above_leaf` and is valid at `now` (the leaf's
/// validity is not checked: an Android keystore's default, or a 3-day App Attest certificate
/// kept for the installation's life); the last carries a root's key or is signed by one.
/// Returns the parsed chain.
pub(crate) fn verify_path(
    chain: &[Vec<u8>],
    roots: &TrustedRoots,
    now: UnixTime,
    above_leaf: impl Fn(&ParsedCertificate, usize) -> Result<(), AttestationError>,
) -> Result<Vec<ParsedCertificate>, AttestationError> {
    let parsed = chain
        .iter()
        .enumerate()
        .map(|(index, der)| ParsedCertificate::parse(der, index))
        .collect::<Result<Vec<_>, _>>()?;
    if parsed.is_empty() {
        return Err(AttestationError::MalformedCertificate { index: 0 });
    }
    for (index, pair) in parsed.windows(2).enumerate() {
        let [lower, upper] = pair else { continue };
        if lower.issuer_der != upper.subject_der || !lower.signed_by(&upper.spki_der, index)? {
            return Err(AttestationError::BrokenChain { index });
        }
    }
    for (index, certificate) in parsed.iter().enumerate().skip(1) {
        above_leaf(certificate, index)?;
        if !certificate.valid_at(now) {
            return Err(AttestationError::CertificateNotValidNow { index });
        }
    }
    let last_index = parsed.len() - 1;
    let last = &parsed[last_index];
    let mut anchored = false;
    for root in &roots.roots {
        if root.spki == last.spki_der
            || (root.subject == last.issuer_der && last.signed_by(&root.spki, last_index)?)
        {
            anchored = true;
            break;
        }
    }
    if !anchored {
        return Err(AttestationError::UnknownRoot);
    }
    Ok(parsed)
}

/// The leaf's key, if it is a P-256 key (a holder key always is).
pub(crate) fn leaf_public_key(spki: &[u8]) -> Option<p256::PublicKey> {
    let spki = RawSpki::from_der(spki).ok()?;
    let curve = spki
        .algorithm
        .parameters?
        .decode_as::<ObjectIdentifier>()
        .ok()?;
    if spki.algorithm.oid != ID_EC_PUBLIC_KEY || curve != SECP256R1 {
        return None;
    }
    p256::PublicKey::from_sec1_bytes(spki.key.as_bytes()?).ok()
}

/// The fields of a KeyDescription this check uses.
#[derive(Debug)]
struct KeyDescription {
    level: KeySecurityLevel,
    challenge: Vec<u8>,
    user_auth_required: bool,
    generated: bool,
}

#[derive(Sequence)]
struct RawKeyDescription<'a> {
    attestation_version: i64,
    attestation_security_level: AnyRef<'a>,
    keymint_version: i64,
    keymint_security_level: AnyRef<'a>,
    attestation_challenge: OctetString,
    unique_id: OctetString,
    software_enforced: AnyRef<'a>,
    hardware_enforced: AnyRef<'a>,
}

fn security_level(value: AnyRef<'_>) -> Result<KeySecurityLevel, AttestationError> {
    match (value.tag(), value.value()) {
        (Tag::Enumerated, [0]) => Ok(KeySecurityLevel::Software),
        (Tag::Enumerated, [1]) => Ok(KeySecurityLevel::TrustedEnvironment),
        (Tag::Enumerated, [2]) => Ok(KeySecurityLevel::StrongBox),
        _ => Err(AttestationError::MalformedKeyDescription(
            "a security level is not Software, TrustedEnvironment or StrongBox",
        )),
    }
}

/// What the checks need from one AuthorizationList.
#[derive(Debug, Default)]
struct Authorizations {
    no_auth_required: bool,
    user_auth_type: Option<i64>,
    origin: Option<i64>,
}

fn authorizations(list: AnyRef<'_>) -> Result<Authorizations, AttestationError> {
    let malformed = AttestationError::MalformedKeyDescription;
    if list.tag() != Tag::Sequence {
        return Err(malformed("an authorization list is not a SEQUENCE"));
    }
    let mut found = Authorizations::default();
    let mut reader = SliceReader::new(list.value())
        .map_err(|_| malformed("an authorization list is too long"))?;
    while !reader.is_finished() {
        let entry: AnyRef<'_> = reader
            .decode()
            .map_err(|_| malformed("an authorization list entry does not parse"))?;
        let Tag::ContextSpecific {
            constructed: true,
            number: TagNumber(number),
        } = entry.tag()
        else {
            return Err(malformed(
                "an authorization list entry is not an explicit tag",
            ));
        };
        match number {
            TAG_NO_AUTH_REQUIRED => {
                der::asn1::Null::from_der(entry.value())
                    .map_err(|_| malformed("noAuthRequired is not NULL"))?;
                found.no_auth_required = true;
            }
            TAG_USER_AUTH_TYPE => {
                found.user_auth_type = Some(
                    i64::from_der(entry.value())
                        .map_err(|_| malformed("userAuthType is not an INTEGER"))?,
                );
            }
            TAG_ORIGIN => {
                found.origin = Some(
                    i64::from_der(entry.value())
                        .map_err(|_| malformed("origin is not an INTEGER"))?,
                );
            }
            _ => {}
        }
    }
    Ok(found)
}

fn parse_key_description(bytes: &[u8]) -> Result<KeyDescription, AttestationError> {
    let raw = RawKeyDescription::from_der(bytes).map_err(|_| {
        AttestationError::MalformedKeyDescription("not a KeyDescription SEQUENCE of 8 fields")
    })?;
    let _ = (raw.attestation_version, raw.keymint_version, &raw.unique_id);
    let attestation_level = security_level(raw.attestation_security_level)?;
    let keymint_level = security_level(raw.keymint_security_level)?;
    if attestation_level != keymint_level {
        return Err(AttestationError::MalformedKeyDescription(
            "the attestation and KeyMint security levels differ",
        ));
    }
    let software = authorizations(raw.software_enforced)?;
    let hardware = authorizations(raw.hardware_enforced)?;
    // What the secure hardware enforces for a hardware key; what Android enforces for a
    // software one. A hardware key's softwareEnforced list is Android's word, not the TEE's.
    let enforced = if attestation_level.is_hardware() {
        hardware
    } else {
        software
    };
    Ok(KeyDescription {
        level: attestation_level,
        challenge: raw.attestation_challenge.as_bytes().to_vec(),
        user_auth_required: !enforced.no_auth_required && enforced.user_auth_type.is_some(),
        generated: enforced.origin == Some(ORIGIN_GENERATED),
    })
}
