//! iOS App Attest: the issuer's check of the evidence the Swift glue's `AppAttestEvidence` sends
//! for a Secure Enclave holder key, by Apple's rules ("Validating apps that connect to your
//! server", <https://developer.apple.com/documentation/devicecheck/validating-apps-that-connect-to-your-server>).
//!
//! App Attest attests the *app*, not the holder key: the app makes one App Attest key per
//! installation, Apple certifies it once (the attestation object), and the app then signs an
//! assertion with it over `clientDataHash = SHA-256(holder public key (SEC1, uncompressed) ‖
//! enrolment nonce)`. The evidence (JSON, docs/FORMAT.md §14) carries the key id, the kept
//! attestation object and the `clientDataHash` it was made over (the first enrolment's: an issuer
//! that keeps no state cannot recompute it), the assertion and the assertion's `clientDataHash`.
//!
//! The attestation ([`verify_attestation`]) proves that a genuine instance of an allowed app id
//! holds the App Attest key: its `x5c` chain ends under a configured Apple App Attestation root;
//! the credential certificate's nonce extension (OID 1.2.840.113635.100.8.2) is
//! SHA-256(authData ‖ the attestation's clientDataHash); SHA-256 of the certificate's key is the
//! key id; authData's rpIdHash is SHA-256 of an allowed app id, its counter 0, its aaguid
//! `appattest` (production) or `appattestdevelop` (only where the policy allows development), its
//! credentialId the key id. The assertion ([`verify_assertion`]) proves freshness and the binding
//! to this holder key: ECDSA P-256 by that key over SHA-256(authenticatorData ‖ clientDataHash),
//! where the issuer computes clientDataHash itself from the proof's key and its own nonce (never
//! the evidence's value), rpIdHash the attestation's, counter above 0.
//!
//! Not checked (docs/SECURITY.md §2): the counter's growth across enrolments (that needs issuer
//! state), Apple's fraud-metric receipt, and the holder key itself (the issuer trusts the app's
//! code to have made it in the Secure Enclave, bound to user presence).

use base64ct::{Base64, Encoding};
use der::Decode;
use der::asn1::{ObjectIdentifier, OctetString};
use p256::ecdsa::signature::Verifier;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use sha2::{Digest, Sha256};

use super::AttestationError;
use super::android::{ParsedCertificate, TrustedRoots, leaf_public_key, verify_path};
use crate::time::UnixTime;

/// The credential certificate's nonce extension.
pub const NONCE_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113635.100.8.2");

/// `fmt` of an App Attest attestation object.
const FORMAT: &str = "apple-appattest";
/// authData's aaguid in production: "appattest" and seven zero bytes.
const AAGUID_PRODUCTION: [u8; 16] = *b"appattest\0\0\0\0\0\0\0";
/// authData's aaguid in the development environment.
const AAGUID_DEVELOPMENT: [u8; 16] = *b"appattestdevelop";

/// What the issuer accepts of App Attest. [`Default`]: nothing configured, so App Attest evidence
/// is not verifiable ([`AttestationError::EvidenceNotVerifiable`] where hardware is required).
#[derive(Clone, Debug, Default)]
pub struct AppAttestPolicy {
    /// The App Attestation roots (Apple's "Apple App Attestation Root CA"; tests: their own).
    pub roots: TrustedRoots,
    /// The app ids whose keys are accepted: `TEAMID.bundle.id`.
    pub app_ids: Vec<String>,
    /// Accept keys of the development environment (`appattestdevelop`): builds signed with a
    /// development profile. Off by default; never on for a production issuer.
    pub allow_development: bool,
}

impl AppAttestPolicy {
    /// Whether App Attest can be verified at all: at least one root and one app id.
    pub fn is_configured(&self) -> bool {
        !self.roots.is_empty() && !self.app_ids.is_empty()
    }
}

/// Longest app id accepted: a 10-character team id, a dot and a bundle id (Apple allows bundle
/// ids up to 155 characters).
pub const MAX_APP_ID_LEN: usize = 10 + 1 + 155;

/// Why a string is not an App Attest app id (`TEAMID.bundle.id`); the reason says what to fix.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidAppId(pub &'static str);

/// Checks that `app_id` is an app id as App Attest hashes it into rpIdHash: a team id of 10
/// uppercase letters and digits, a dot, and a bundle id of letters, digits, `-` and `.` (no empty
/// part). The hash is of the exact string, so anything else (a lowercase team id, a missing team
/// id, a space) could never match a real key: configuring it is refused rather than accepted as
/// an id that silently refuses every App Attest key.
pub fn check_app_id(app_id: &str) -> Result<(), InvalidAppId> {
    if app_id.len() > MAX_APP_ID_LEN {
        return Err(InvalidAppId("it is longer than 166 characters"));
    }
    let Some((team, bundle)) = app_id.split_once('.') else {
        return Err(InvalidAppId(
            "it has no dot: write the team id, a dot and the bundle id",
        ));
    };
    if team.len() != 10
        || !team
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return Err(InvalidAppId(
            "the team id (before the first dot) must be 10 uppercase letters or digits",
        ));
    }
    if bundle.is_empty()
        || bundle.split('.').any(str::is_empty)
        || !bundle
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    {
        return Err(InvalidAppId(
            "the bundle id (after the team id) must be dot-separated parts of letters, digits and '-'",
        ));
    }
    Ok(())
}

/// Why App Attest evidence was refused. Each names one rule; none carries key material.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AppAttestError {
    /// The evidence is not the JSON the Swift glue writes (FORMAT.md §14).
    #[error("the App Attest evidence is malformed: {0}")]
    MalformedEvidence(&'static str),
    /// The attestation object is not App Attest's CBOR (or its authData is cut short).
    #[error("the App Attest attestation object is malformed: {0}")]
    MalformedAttestation(&'static str),
    /// The assertion is not App Attest's CBOR (or its authenticatorData is cut short).
    #[error("the App Attest assertion is malformed: {0}")]
    MalformedAssertion(&'static str),
    /// The attestation object's `fmt` is not `apple-appattest`.
    #[error("the attestation object is not of the apple-appattest format")]
    WrongFormat,
    /// The credential certificate's nonce is not SHA-256(authData ‖ clientDataHash).
    #[error("the App Attest certificate's nonce does not match the attestation data")]
    WrongNonce,
    /// SHA-256 of the credential certificate's key is not the key id.
    #[error("the App Attest certificate is for another key than the key id names")]
    KeyIdMismatch,
    /// authData's credentialId is not the key id.
    #[error("the App Attest credential id is not the key id")]
    CredentialIdMismatch,
    /// authData's rpIdHash is not SHA-256 of an allowed app id.
    #[error("the App Attest key belongs to an app id this issuer does not accept")]
    UnknownAppId,
    /// The attestation's counter is not 0.
    #[error("the App Attest attestation counter is not 0")]
    AttestationCounterNotZero,
    /// authData's aaguid is neither `appattest` nor `appattestdevelop`.
    #[error("the App Attest environment (aaguid) is not recognised")]
    UnknownEnvironment,
    /// A development-environment key where the policy does not allow development.
    #[error("the App Attest key is from the development environment, which this issuer refuses")]
    DevelopmentNotAllowed,
    /// The assertion's rpIdHash is not the attested app id's.
    #[error("the App Attest assertion is for another app id than the attestation")]
    AssertionAppIdMismatch,
    /// The assertion's counter is 0: an App Attest key's first assertion counts 1.
    #[error("the App Attest assertion counter is 0")]
    AssertionCounterZero,
    /// The assertion's signature does not verify under the attested key over this holder key and
    /// nonce.
    #[error("the App Attest assertion is not signed over this holder key and enrolment nonce")]
    BadAssertionSignature,
    /// The evidence's `client_data_hash` is not SHA-256(holder key ‖ this enrolment's nonce).
    #[error("the App Attest evidence names another holder key or enrolment nonce")]
    ClientDataHashMismatch,
}

impl From<AppAttestError> for AttestationError {
    fn from(error: AppAttestError) -> Self {
        Self::AppAttest(error)
    }
}

/// The App Attest environment of an attested key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppAttestEnvironment {
    /// aaguid `appattest`.
    Production,
    /// aaguid `appattestdevelop`.
    Development,
}

/// An App Attest key whose attestation verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttestedAppKey {
    /// The key (from the credential certificate).
    pub public_key: p256::PublicKey,
    /// The allowed app id its rpIdHash is the hash of.
    pub app_id: String,
    /// Production or development.
    pub environment: AppAttestEnvironment,
}

/// The evidence the Swift glue sends (JSON, every value standard base64; FORMAT.md §14).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppAttestEvidence {
    /// The App Attest key id: SHA-256 of its public key (32 bytes).
    pub key_id: Vec<u8>,
    /// The attestation object (`DCAppAttestService.attestKey`), kept from the first enrolment.
    pub attestation: Vec<u8>,
    /// The clientDataHash the attestation was made over (32 bytes).
    pub attestation_client_data_hash: Vec<u8>,
    /// The assertion (`DCAppAttestService.generateAssertion`) for this holder key.
    pub assertion: Vec<u8>,
    /// What the app says the assertion's clientDataHash is (32 bytes): SHA-256(holder key ‖
    /// nonce). Compared with the issuer's own, never used in its place.
    pub client_data_hash: Vec<u8>,
}

#[derive(serde::Deserialize, serde::Serialize)]
struct EvidenceJson {
    key_id: String,
    attestation: String,
    attestation_client_data_hash: String,
    assertion: String,
    client_data_hash: String,
}

impl AppAttestEvidence {
    /// Parses the JSON evidence.
    pub fn parse(bytes: &[u8]) -> Result<Self, AppAttestError> {
        let json: EvidenceJson = serde_json::from_slice(bytes).map_err(|_| {
            AppAttestError::MalformedEvidence(
                "not a JSON object with the string fields key_id, attestation, \
                 attestation_client_data_hash, assertion and client_data_hash",
            )
        })?;
        let field = |value: &str, name: &'static str| {
            base64_decode(value).ok_or(AppAttestError::MalformedEvidence(name))
        };
        let evidence = Self {
            key_id: field(&json.key_id, "key_id is not base64")?,
            attestation: field(&json.attestation, "attestation is not base64")?,
            attestation_client_data_hash: field(
                &json.attestation_client_data_hash,
                "attestation_client_data_hash is not base64",
            )?,
            assertion: field(&json.assertion, "assertion is not base64")?,
            client_data_hash: field(&json.client_data_hash, "client_data_hash is not base64")?,
        };
        if evidence.key_id.len() != 32 {
            return Err(AppAttestError::MalformedEvidence(
                "key_id is not 32 bytes (SHA-256)",
            ));
        }
        if evidence.attestation_client_data_hash.len() != 32
            || evidence.client_data_hash.len() != 32
        {
            return Err(AppAttestError::MalformedEvidence(
                "a client data hash is not 32 bytes (SHA-256)",
            ));
        }
        Ok(evidence)
    }

    /// The JSON encoding, as the Swift glue writes it.
    pub fn to_bytes(&self) -> Vec<u8> {
        let json = EvidenceJson {
            key_id: base64_encode(&self.key_id),
            attestation: base64_encode(&self.attestation),
            attestation_client_data_hash: base64_encode(&self.attestation_client_data_hash),
            assertion: base64_encode(&self.assertion),
            client_data_hash: base64_encode(&self.client_data_hash),
        };
        // A struct of strings always serialises.
        serde_json::to_vec(&json).unwrap_or_default()
    }
}

/// `clientDataHash` of an enrolment's assertion: SHA-256(holder key, SEC1 uncompressed ‖ nonce).
pub fn client_data_hash(holder_key: &p256::PublicKey, challenge: &[u8]) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(holder_key.to_encoded_point(false).as_bytes());
    hash.update(challenge);
    hash.finalize().into()
}

/// Checks App Attest `evidence` (the JSON bytes) for `holder_key` enrolled with `challenge`:
/// the evidence's `client_data_hash` is the issuer's own, the attestation verifies under
/// `policy`, and the assertion is signed by the attested key over the issuer's own hash.
pub fn verify_evidence(
    evidence: &[u8],
    holder_key: &p256::PublicKey,
    challenge: &[u8],
    policy: &AppAttestPolicy,
    now: UnixTime,
) -> Result<AttestedAppKey, AttestationError> {
    let evidence = AppAttestEvidence::parse(evidence)?;
    let own = client_data_hash(holder_key, challenge);
    if evidence.client_data_hash != own {
        return Err(AppAttestError::ClientDataHashMismatch.into());
    }
    let attested = verify_attestation(
        &evidence.attestation,
        &evidence.key_id,
        &evidence.attestation_client_data_hash,
        policy,
        now,
    )?;
    verify_assertion(&evidence.assertion, &attested, &own)?;
    Ok(attested)
}

/// A CBOR map's value under the text key `name`; `None` if absent, an error if repeated.
fn map_get<'a>(
    map: &'a [(ciborium::Value, ciborium::Value)],
    name: &str,
) -> Result<Option<&'a ciborium::Value>, ()> {
    let mut found = None;
    for (key, value) in map {
        if key.as_text() == Some(name) {
            if found.is_some() {
                return Err(());
            }
            found = Some(value);
        }
    }
    Ok(found)
}

/// One CBOR map and nothing after it.
fn cbor_map(bytes: &[u8]) -> Option<Vec<(ciborium::Value, ciborium::Value)>> {
    let mut rest = bytes;
    let value: ciborium::Value = ciborium::de::from_reader(&mut rest).ok()?;
    if !rest.is_empty() {
        return None;
    }
    value.into_map().ok()
}

fn bytes_field<'a>(map: &'a [(ciborium::Value, ciborium::Value)], name: &str) -> Option<&'a [u8]> {
    map_get(map, name)
        .ok()
        .flatten()
        .and_then(|v| v.as_bytes())
        .map(Vec::as_slice)
}

fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update(part);
    }
    hash.finalize().into()
}

/// authData / authenticatorData: rpIdHash (32), flags (1), counter (4, big-endian), then for an
/// attestation the attested credential data: aaguid (16), credentialId length (2), credentialId,
/// the key as COSE_Key.
struct AuthenticatorData<'a> {
    rp_id_hash: &'a [u8],
    counter: u32,
    /// aaguid and credentialId, when present.
    credential: Option<(&'a [u8], &'a [u8])>,
}

fn authenticator_data(bytes: &[u8], attested: bool) -> Option<AuthenticatorData<'_>> {
    let rp_id_hash = bytes.get(..32)?;
    let counter = u32::from_be_bytes(bytes.get(33..37)?.try_into().ok()?);
    let credential = if attested {
        let aaguid = bytes.get(37..53)?;
        let length = usize::from(u16::from_be_bytes(bytes.get(53..55)?.try_into().ok()?));
        let credential_id = bytes.get(55..55 + length)?;
        // The COSE_Key follows; its key is the certificate's, which is what is checked.
        if bytes.len() <= 55 + length {
            return None;
        }
        Some((aaguid, credential_id))
    } else {
        None
    };
    Some(AuthenticatorData {
        rp_id_hash,
        counter,
        credential,
    })
}

/// The nonce extension's value: `SEQUENCE { [1] EXPLICIT OCTET STRING }`.
#[derive(der::Sequence)]
struct NonceExtension {
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT")]
    nonce: OctetString,
}

/// Verifies an App Attest attestation object for the key `key_id`, made over
/// `client_data_hash`, under `policy` at `now` (Apple's nine steps; CA certificates must be
/// valid at `now`, the 3-day credential certificate need not be: the object is kept and re-sent
/// for the installation's life, and an expired certificate still shows what Apple attested).
pub fn verify_attestation(
    object: &[u8],
    key_id: &[u8],
    client_data_hash: &[u8],
    policy: &AppAttestPolicy,
    now: UnixTime,
) -> Result<AttestedAppKey, AttestationError> {
    use AppAttestError::MalformedAttestation as Malformed;
    let map = cbor_map(object).ok_or(Malformed("not one CBOR map"))?;
    let format = map_get(&map, "fmt")
        .map_err(|_| Malformed("a repeated key"))?
        .and_then(ciborium::Value::as_text)
        .ok_or(Malformed("no fmt text"))?;
    if format != FORMAT {
        return Err(AppAttestError::WrongFormat.into());
    }
    let statement = map_get(&map, "attStmt")
        .map_err(|_| Malformed("a repeated key"))?
        .and_then(ciborium::Value::as_map)
        .ok_or(Malformed("no attStmt map"))?;
    let x5c = map_get(statement, "x5c")
        .map_err(|_| Malformed("a repeated key in attStmt"))?
        .and_then(ciborium::Value::as_array)
        .ok_or(Malformed("no x5c array"))?;
    if x5c.is_empty() || x5c.len() > 4 {
        return Err(Malformed("x5c must have 1 to 4 certificates").into());
    }
    let chain = x5c
        .iter()
        .map(|c| c.as_bytes().cloned())
        .collect::<Option<Vec<_>>>()
        .ok_or(Malformed("an x5c certificate is not a byte string"))?;
    let auth_data = bytes_field(&map, "authData").ok_or(Malformed("no authData bytes"))?;

    // 1. The chain up to a configured App Attestation root.
    let parsed = verify_path(&chain, &policy.roots, now, |_, _| Ok(()))?;
    let credential_certificate: &ParsedCertificate = &parsed[0];
    // 2–4. The nonce: SHA-256(authData ‖ clientDataHash), in the certificate's extension.
    let extension = credential_certificate
        .extension(NONCE_OID)
        .ok_or(Malformed(
            "the credential certificate has no nonce extension",
        ))?;
    let nonce = NonceExtension::from_der(extension)
        .map_err(|_| Malformed("the nonce extension does not parse"))?;
    if nonce.nonce.as_bytes() != sha256(&[auth_data, client_data_hash]) {
        return Err(AppAttestError::WrongNonce.into());
    }
    // 5. The certificate's key is the key id's.
    let public_key = leaf_public_key(&credential_certificate.spki_der)
        .ok_or(Malformed("the credential certificate's key is not P-256"))?;
    if sha256(&[public_key.to_encoded_point(false).as_bytes()]) != key_id {
        return Err(AppAttestError::KeyIdMismatch.into());
    }
    let data = authenticator_data(auth_data, true).ok_or(Malformed("authData is cut short"))?;
    // 6. The app id.
    let app_id = policy
        .app_ids
        .iter()
        .find(|id| sha256(&[id.as_bytes()]) == data.rp_id_hash)
        .ok_or(AppAttestError::UnknownAppId)?;
    // 7. A fresh key's counter.
    if data.counter != 0 {
        return Err(AppAttestError::AttestationCounterNotZero.into());
    }
    let Some((aaguid, credential_id)) = data.credential else {
        return Err(Malformed("authData has no attested credential").into());
    };
    // 8. The environment.
    let environment = if aaguid == AAGUID_PRODUCTION {
        AppAttestEnvironment::Production
    } else if aaguid == AAGUID_DEVELOPMENT {
        if !policy.allow_development {
            return Err(AppAttestError::DevelopmentNotAllowed.into());
        }
        AppAttestEnvironment::Development
    } else {
        return Err(AppAttestError::UnknownEnvironment.into());
    };
    // 9. The credential id.
    if credential_id != key_id {
        return Err(AppAttestError::CredentialIdMismatch.into());
    }
    Ok(AttestedAppKey {
        public_key,
        app_id: app_id.clone(),
        environment,
    })
}

/// Verifies an App Attest assertion by `key` over `client_data_hash` (the caller's own): the
/// signature (ECDSA P-256 with SHA-256 over SHA-256(authenticatorData ‖ clientDataHash)), the
/// rpIdHash of the attested app id, a counter above 0. Returns the counter.
pub fn verify_assertion(
    assertion: &[u8],
    key: &AttestedAppKey,
    client_data_hash: &[u8],
) -> Result<u32, AttestationError> {
    use AppAttestError::MalformedAssertion as Malformed;
    let map = cbor_map(assertion).ok_or(Malformed("not one CBOR map"))?;
    let signature = bytes_field(&map, "signature").ok_or(Malformed("no signature bytes"))?;
    let authenticator =
        bytes_field(&map, "authenticatorData").ok_or(Malformed("no authenticatorData bytes"))?;
    let signature = p256::ecdsa::Signature::from_der(signature)
        .map_err(|_| AppAttestError::BadAssertionSignature)?;
    let nonce = sha256(&[authenticator, client_data_hash]);
    p256::ecdsa::VerifyingKey::from(&key.public_key)
        .verify(&nonce, &signature)
        .map_err(|_| AppAttestError::BadAssertionSignature)?;
    let data = authenticator_data(authenticator, false)
        .ok_or(Malformed("authenticatorData is cut short"))?;
    if data.rp_id_hash != sha256(&[key.app_id.as_bytes()]) {
        return Err(AppAttestError::AssertionAppIdMismatch.into());
    }
    if data.counter == 0 {
        return Err(AppAttestError::AssertionCounterZero.into());
    }
    Ok(data.counter)
}

/// Standard base64 with padding (what Swift's `JSONEncoder` writes for `Data`).
pub(crate) fn base64_encode(bytes: &[u8]) -> String {
    Base64::encode_string(bytes)
}

/// Strict standard base64 with padding (RustCrypto's constant-time `base64ct`): `None` on any
/// other character, a length that is not a multiple of 4, padding anywhere but at the end, or
/// bits the padding drops that are not zero (one encoding per value).
pub(crate) fn base64_decode(text: &str) -> Option<Vec<u8>> {
    Base64::decode_vec(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_ids_are_a_team_id_a_dot_and_a_bundle_id() {
        for good in [
            "ABCDE12345.io.netid.wallet",
            "6MURL8TA57.de.vincent-haupert.apple-appattest-poc",
            "0123456789.app",
        ] {
            assert_eq!(check_app_id(good), Ok(()), "{good}");
        }
        let long = format!("ABCDE12345.{}", "a".repeat(156));
        for (bad, why) in [
            ("", "no dot"),
            ("io.netid.wallet", "team id"),
            ("abcde12345.io.netid.wallet", "team id"),
            ("ABCDE1234.io.netid.wallet", "team id"),
            ("ABCDE123456.io.netid.wallet", "team id"),
            ("ABCDE12345.", "bundle id"),
            ("ABCDE12345.io..wallet", "bundle id"),
            ("ABCDE12345.io.netid.", "bundle id"),
            ("ABCDE12345.io.net id", "bundle id"),
            ("ABCDE12345.io.netid_wallet", "bundle id"),
            ("ABCDE12345.io.網", "bundle id"),
            (long.as_str(), "longer"),
        ] {
            let error = check_app_id(bad).expect_err(bad);
            assert!(error.0.contains(why), "{bad}: {error}");
        }
        assert_eq!(check_app_id(&long[..MAX_APP_ID_LEN]), Ok(()));
    }

    #[test]
    fn base64_round_trips_and_refuses_what_is_not_base64() {
        for length in 0..10 {
            let bytes: Vec<u8> = (0..length).map(|i| (i * 37 + 5) as u8).collect();
            assert_eq!(base64_decode(&base64_encode(&bytes)), Some(bytes));
        }
        assert_eq!(base64_encode(b"wurzelpfropf"), "d3VyemVscGZyb3Bm");
        assert_eq!(base64_decode("d3VyemVs"), Some(b"wurzel".to_vec()));
        assert_eq!(base64_decode("aQ=="), Some(vec![0x69]));
        // "ab==" and "abd=" leave 1 bits where padding drops them: not canonical ("aQ==", "abc=").
        for bad in [
            "abc", "ab=c", "a===", "aQ==aQ==", "ab-_", "ab c", "ab==", "abd=",
        ] {
            assert_eq!(base64_decode(bad), None, "{bad}");
        }
    }
}
