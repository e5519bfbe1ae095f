//! Enrolment's proof of possession: the holder shows an issuer that it controls a new holder key
//! by signing the issuer's fresh nonce with it, and the issuer binds the credential to that key.
//!
//! The proof is a COSE_Sign1 (ES256) whose protected header names the algorithm and the content
//! type [`PROOF_CONTENT_TYPE`], and whose payload is a CWT claims map: `aud` (3) the issuer id,
//! `iat` (6), `cnonce` (39) the issuer's nonce, and `cnf` (8) holding the holder's public key as a
//! COSE_Key, and −65541 the holder key's attestation (its security level and the platform's
//! evidence, FORMAT.md §14), which only the issuer checks (`crate::attestation`, feature
//! `attestation-verify`). This module owns that format, the wallet side's layout ([`UnsignedProof`]) and the
//! issuer side's check ([`verify_proof`]) and minting ([`issue_for_proof`], for the development
//! issuer). It must never accept a proof for another issuer, another nonce, an age outside the
//! allowed window, or a signature that does not verify under the key the proof names.

use p256::elliptic_curve::sec1::ToEncodedPoint;

use crate::credential::cbor::{self, Cbor};
use crate::credential::sd_cwt;

use crate::credential::{Credential, DocumentClaims, IssueError, OsSalts};
use crate::issuer::DevIssuer;
use crate::secure_area::{KeyAttestation, KeyEvidence, KeySecurityLevel};
use crate::signature::Backend;
use crate::time::UnixTime;

/// The proof's COSE content type.
pub const PROOF_CONTENT_TYPE: &str = "application/netid-pop+cwt";
/// Shortest issuer nonce accepted, in bytes (128 bits of freshness).
pub const MIN_NONCE_LEN: usize = 16;
/// Longest issuer nonce accepted, in bytes.
pub const MAX_NONCE_LEN: usize = 64;
/// How far a proof's `iat` may lie from the issuer's clock, in seconds.
pub const MAX_PROOF_SKEW_SECS: i64 = 300;

pub(super) const AUD: i64 = 3;
pub(super) const IAT: i64 = 6;
const CNF: i64 = 8;
pub(super) const CNONCE: i64 = 39;
/// Private-use claim (RFC 8392 §9.1) holding the holder key's attestation (FORMAT.md §14).
pub const KEY_ATTESTATION: i64 = -65541;
const EVIDENCE_ANDROID: i64 = 1;
const EVIDENCE_APPLE: i64 = 2;

/// What an issuer sends to start an enrolment: who it is and a fresh nonce.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnrolmentChallenge {
    issuer_id: String,
    nonce: Vec<u8>,
}

impl EnrolmentChallenge {
    /// Checks a challenge: issuer id of 1 to 256 bytes, nonce of 16 to 64 bytes.
    pub fn new(issuer_id: &str, nonce: Vec<u8>) -> Result<Self, ProofError> {
        if issuer_id.is_empty() || issuer_id.len() > 256 {
            return Err(ProofError::BadChallenge(
                "the issuer id must be 1 to 256 bytes",
            ));
        }
        if !(MIN_NONCE_LEN..=MAX_NONCE_LEN).contains(&nonce.len()) {
            return Err(ProofError::BadChallenge("the nonce must be 16 to 64 bytes"));
        }
        Ok(Self {
            issuer_id: issuer_id.to_owned(),
            nonce,
        })
    }

    /// A challenge with a fresh random nonce (the issuer side; the dev issuer, tests).
    pub fn random(issuer_id: &str) -> Result<Self, ProofError> {
        let mut nonce = vec![0u8; 32];
        crate::keystore::fill_random(&mut nonce)
            .map_err(|_| ProofError::BadChallenge("no random nonce could be generated"))?;
        Self::new(issuer_id, nonce)
    }

    /// The issuer id the proof is addressed to.
    pub fn issuer_id(&self) -> &str {
        &self.issuer_id
    }

    /// The nonce to sign.
    pub fn nonce(&self) -> &[u8] {
        &self.nonce
    }
}

/// Why a proof of possession was refused or could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The issuer's challenge is unusable.
    #[error("the issuer's enrolment challenge is unusable: {0}")]
    BadChallenge(&'static str),
    /// Not a COSE_Sign1 proof of the expected shape.
    #[error("the proof of possession is malformed: {0}")]
    Malformed(&'static str),
    /// Addressed to another issuer or answering another nonce.
    #[error("the proof of possession answers a different challenge; start the enrolment again")]
    WrongChallenge,
    /// Too old, or from the future, by the issuer's clock.
    #[error("the proof of possession is not fresh; check the device clock and start again")]
    NotFresh,
    /// The signature does not verify under the key the proof names.
    #[error("the proof of possession is not signed by the key it names")]
    BadSignature,
    /// The development issuer could not mint the credential.
    #[error("the issuer could not issue the credential: {0}")]
    Issue(#[from] IssueError),
    /// A batch names one holder key twice (or the document's own key): each purpose credential
    /// needs a key of its own.
    #[error("the batch request names one holder key twice; each credential needs its own key")]
    DuplicateKey,
    /// A batch request whose parts do not line up (no keys, too many, a status entry missing or
    /// used twice).
    #[error("the batch request is inconsistent: {0}")]
    BadBatch(&'static str),
    /// The document the batch is for is not one this issuer issued and still vouches for.
    #[error("the batch request's document is not trusted by this issuer: {0}")]
    DocumentNotTrusted(crate::issuer::CredentialTrustError),
}

/// A proof laid out for a holder key, waiting for the secure area's signature.
#[derive(Debug)]
pub struct UnsignedProof(UnsignedSign1);

/// A COSE_Sign1 (ES256) over a CWT claims map of one content type, laid out and waiting for a
/// holder key's signature: the shape of the proof of possession and of the batch request. Written
/// with the crate's own CBOR encoder (docs/FORMAT.md §1), untagged: `[protected {1: -7, 3:
/// content type}, {}, payload, signature]`.
#[derive(Debug)]
pub(super) struct UnsignedSign1 {
    protected: Vec<u8>,
    payload: Vec<u8>,
    to_be_signed: Vec<u8>,
}

impl UnsignedSign1 {
    pub(super) fn new(content_type: &str, claims: &Cbor) -> Result<Self, ProofError> {
        let protected = Cbor::Map(vec![
            (Cbor::int(1), Cbor::int(-7)),
            (Cbor::int(3), Cbor::Text(content_type.to_owned())),
        ])
        .to_vec();
        let payload = claims.to_vec();
        let to_be_signed = sd_cwt::to_be_signed(&protected, &payload);
        Ok(Self {
            protected,
            payload,
            to_be_signed,
        })
    }

    pub(super) fn to_be_signed(&self) -> &[u8] {
        &self.to_be_signed
    }

    pub(super) fn finish(self, signature: [u8; 64]) -> Result<Vec<u8>, ProofError> {
        Ok(Cbor::Array(vec![
            Cbor::Bytes(self.protected),
            Cbor::Map(Vec::new()),
            Cbor::Bytes(self.payload),
            Cbor::Bytes(signature.to_vec()),
        ])
        .to_vec())
    }
}

/// A received COSE_Sign1, taken apart: what [`check_signature`] checks.
pub(super) struct OpenedSign1 {
    protected: Vec<u8>,
    payload: Vec<u8>,
    signature: Vec<u8>,
}

/// Opens a COSE_Sign1 that must be ES256 of `content_type` (`other` says what it is not
/// otherwise): the object, for [`check_signature`], and its claims map.
pub(super) fn open_sign1(
    bytes: &[u8],
    content_type: &str,
    other: &'static str,
) -> Result<(OpenedSign1, Vec<(Cbor, Cbor)>), ProofError> {
    let not_sign1 = || ProofError::Malformed("not a COSE_Sign1");
    let value = cbor::decode(bytes).map_err(|_| not_sign1())?;
    let [protected, unprotected, payload, signature] = value
        .as_array()
        .and_then(|a| <&[Cbor; 4]>::try_from(a).ok())
        .ok_or_else(not_sign1)?;
    let protected = protected.as_bytes().ok_or_else(not_sign1)?.to_vec();
    let header = cbor::decode(&protected).map_err(|_| not_sign1())?;
    if header.as_map().is_none() || unprotected.as_map().is_none() {
        return Err(not_sign1());
    }
    if header.get_int(1).and_then(Cbor::as_i64) != Some(-7) {
        return Err(ProofError::Malformed("the algorithm is not ES256"));
    }
    if header.get_int(3).and_then(Cbor::as_text) != Some(content_type) {
        return Err(ProofError::Malformed(other));
    }
    let payload = payload
        .as_bytes()
        .ok_or(ProofError::Malformed("no payload"))?
        .to_vec();
    let signature = signature.as_bytes().ok_or_else(not_sign1)?.to_vec();
    let mut claims =
        cbor::decode(&payload).map_err(|_| ProofError::Malformed("the payload is not CBOR"))?;
    let claims = match &mut claims {
        Cbor::Map(claims) => std::mem::take(claims),
        _ => return Err(ProofError::Malformed("the payload is not a map")),
    };
    Ok((
        OpenedSign1 {
            protected,
            payload,
            signature,
        },
        claims,
    ))
}

/// Whether `sign1` is signed by `key`.
pub(super) fn check_signature(
    sign1: &OpenedSign1,
    key: &p256::PublicKey,
) -> Result<(), ProofError> {
    let verifying_key = p256::ecdsa::VerifyingKey::from(key);
    let data = sd_cwt::to_be_signed(&sign1.protected, &sign1.payload);
    if Backend::DEFAULT.verify_es256(&verifying_key, &data, &sign1.signature) {
        Ok(())
    } else {
        Err(ProofError::BadSignature)
    }
}

pub(super) fn cose_key(public_key: &p256::PublicKey) -> Result<Cbor, ProofError> {
    let point = public_key.to_encoded_point(false);
    let (Some(x), Some(y)) = (point.x(), point.y()) else {
        return Err(ProofError::Malformed(
            "the holder key is the identity point",
        ));
    };
    Ok(Cbor::Map(vec![
        (Cbor::int(1), Cbor::int(2)),
        (Cbor::int(-1), Cbor::int(1)),
        (Cbor::int(-2), Cbor::Bytes(x.to_vec())),
        (Cbor::int(-3), Cbor::Bytes(y.to_vec())),
    ]))
}

/// The attestation claim's value: `[level, evidence]` (FORMAT.md §14).
fn attestation_to_cbor(attestation: &KeyAttestation) -> Cbor {
    let evidence = match &attestation.evidence {
        KeyEvidence::None => Cbor::Null,
        KeyEvidence::AndroidKeyAttestation { chain } => Cbor::Array(vec![
            Cbor::int(EVIDENCE_ANDROID),
            Cbor::Array(chain.iter().map(|c| Cbor::Bytes(c.clone())).collect()),
        ]),
        KeyEvidence::AppleAppAttest { evidence } => Cbor::Array(vec![
            Cbor::int(EVIDENCE_APPLE),
            Cbor::Bytes(evidence.clone()),
        ]),
    };
    Cbor::Array(vec![
        Cbor::int(i64::from(attestation.level.code())),
        evidence,
    ])
}

/// Reads the attestation claim; an absent claim (a wallet before it) is a software key.
fn attestation_from_cbor(value: Option<&Cbor>) -> Result<KeyAttestation, ProofError> {
    let Some(value) = value else {
        return Ok(KeyAttestation::software());
    };
    let malformed = ProofError::Malformed("the key attestation is not [level, evidence]");
    let [level, evidence] = value
        .as_array()
        .and_then(|a| <&[Cbor; 2]>::try_from(a).ok())
        .ok_or(malformed.clone())?;
    let level = level
        .as_i64()
        .and_then(|l| u64::try_from(l).ok())
        .and_then(KeySecurityLevel::from_code)
        .ok_or(ProofError::Malformed(
            "the key attestation names an unknown security level",
        ))?;
    let evidence = match evidence {
        Cbor::Null => KeyEvidence::None,
        other => {
            let [kind, body] = other
                .as_array()
                .and_then(|a| <&[Cbor; 2]>::try_from(a).ok())
                .ok_or(malformed.clone())?;
            match (kind.as_i64(), body) {
                (Some(EVIDENCE_ANDROID), Cbor::Array(chain)) => {
                    KeyEvidence::AndroidKeyAttestation {
                        chain: chain
                            .iter()
                            .map(|c| c.as_bytes().map(<[u8]>::to_vec))
                            .collect::<Option<_>>()
                            .ok_or(malformed.clone())?,
                    }
                }
                (Some(EVIDENCE_APPLE), Cbor::Bytes(evidence)) => KeyEvidence::AppleAppAttest {
                    evidence: evidence.clone(),
                },
                _ => {
                    return Err(ProofError::Malformed(
                        "the key attestation's evidence is of an unknown kind",
                    ));
                }
            }
        }
    };
    evidence.check_limits().map_err(ProofError::Malformed)?;
    Ok(KeyAttestation { level, evidence })
}

impl UnsignedProof {
    /// Lays out the proof for `challenge`, naming `holder_key` and carrying its `attestation`
    /// (as the secure area reported it), issued at `now`.
    pub fn new(
        challenge: &EnrolmentChallenge,
        holder_key: &p256::PublicKey,
        attestation: &KeyAttestation,
        now: UnixTime,
    ) -> Result<Self, ProofError> {
        let claims = Cbor::Map(vec![
            (Cbor::int(AUD), Cbor::Text(challenge.issuer_id.clone())),
            (Cbor::int(IAT), Cbor::int(now.as_secs())),
            (
                Cbor::int(CNF),
                Cbor::Map(vec![(Cbor::int(1), cose_key(holder_key)?)]),
            ),
            (Cbor::int(CNONCE), Cbor::Bytes(challenge.nonce.clone())),
            (Cbor::int(KEY_ATTESTATION), attestation_to_cbor(attestation)),
        ]);
        UnsignedSign1::new(PROOF_CONTENT_TYPE, &claims).map(Self)
    }

    /// The bytes the holder key signs.
    pub fn to_be_signed(&self) -> &[u8] {
        self.0.to_be_signed()
    }

    /// The encoded proof, with `signature` (`r || s`, already checked by the caller).
    pub fn finish(self, signature: [u8; 64]) -> Result<Vec<u8>, ProofError> {
        self.0.finish(signature)
    }
}

pub(super) fn int_key(value: &Cbor) -> Option<i64> {
    value.as_i64()
}

pub(super) fn holder_key_from_cnf(cnf: &Cbor) -> Result<p256::PublicKey, ProofError> {
    let malformed = ProofError::Malformed("`cnf` does not hold a P-256 COSE_Key");
    let key = cnf
        .as_map()
        .and_then(|m| m.iter().find(|(k, _)| int_key(k) == Some(1)))
        .and_then(|(_, v)| v.as_map())
        .ok_or(malformed.clone())?;
    let field = |label: i64| {
        key.iter()
            .find(|(k, _)| int_key(k) == Some(label))
            .map(|(_, v)| v)
    };
    if field(1).and_then(int_key) != Some(2) || field(-1).and_then(int_key) != Some(1) {
        return Err(malformed);
    }
    let x = field(-2)
        .and_then(Cbor::as_bytes)
        .ok_or(malformed.clone())?;
    let y = field(-3)
        .and_then(Cbor::as_bytes)
        .ok_or(malformed.clone())?;
    if x.len() != 32 || y.len() != 32 {
        return Err(malformed);
    }
    let mut sec1 = vec![4u8];
    sec1.extend_from_slice(x);
    sec1.extend_from_slice(y);
    p256::PublicKey::from_sec1_bytes(&sec1).map_err(|_| malformed)
}

/// Whether a signed request's claims (`aud`, `cnonce`, `iat`) answer `challenge` and are fresh by
/// the issuer's clock `now`.
pub(super) fn answers_challenge(
    claims: &[(Cbor, Cbor)],
    challenge: &EnrolmentChallenge,
    now: UnixTime,
) -> Result<(), ProofError> {
    let claim = |label: i64| {
        claims
            .iter()
            .find(|(k, _)| int_key(k) == Some(label))
            .map(|(_, v)| v)
    };
    let audience = claim(AUD).and_then(Cbor::as_text);
    let nonce = claim(CNONCE).and_then(Cbor::as_bytes);
    if audience != Some(challenge.issuer_id.as_str()) || nonce != Some(challenge.nonce()) {
        return Err(ProofError::WrongChallenge);
    }
    let issued_at = claim(IAT)
        .and_then(int_key)
        .ok_or(ProofError::Malformed("no `iat`"))?;
    if now.as_secs().abs_diff(issued_at) > MAX_PROOF_SKEW_SECS.unsigned_abs() {
        return Err(ProofError::NotFresh);
    }
    Ok(())
}

/// The issuer's check of a proof: the right challenge, fresh by `now`, signed by the key it names.
/// Returns that key, for the credential's `cnf`. The key's attestation is not looked at: see
/// [`verify_proof_attested`].
pub fn verify_proof(
    proof: &[u8],
    challenge: &EnrolmentChallenge,
    now: UnixTime,
) -> Result<p256::PublicKey, ProofError> {
    verify_proof_attested(proof, challenge, now).map(|proven| proven.holder_key)
}

/// A proof that passed [`verify_proof_attested`]: the proven key and the attestation the wallet
/// sent with it, which is *not yet checked* (the issuer's attestation policy does that).
#[derive(Clone, Debug)]
pub struct ProvenKey {
    /// The holder key the proof names and is signed by.
    pub holder_key: p256::PublicKey,
    /// The key's claimed level and platform evidence, as the wallet sent them (signed by the
    /// holder key, so bound to this proof, but unverified).
    pub attestation: KeyAttestation,
}

/// [`verify_proof`], also returning the key's attestation claim for the issuer's policy.
pub fn verify_proof_attested(
    proof: &[u8],
    challenge: &EnrolmentChallenge,
    now: UnixTime,
) -> Result<ProvenKey, ProofError> {
    let (sign1, claims) = open_sign1(proof, PROOF_CONTENT_TYPE, "not a netid proof of possession")?;
    let claims = claims.as_slice();
    let claim = |label: i64| {
        claims
            .iter()
            .find(|(k, _)| int_key(k) == Some(label))
            .map(|(_, v)| v)
    };
    answers_challenge(claims, challenge, now)?;
    let holder_key = holder_key_from_cnf(claim(CNF).ok_or(ProofError::Malformed("no `cnf`"))?)?;
    check_signature(&sign1, &holder_key)?;
    let attestation = attestation_from_cbor(claim(KEY_ATTESTATION))?;
    Ok(ProvenKey {
        holder_key,
        attestation,
    })
}

/// The development issuer's side of an enrolment: check `proof` against `challenge` and mint a
/// credential for `document` bound to the proven key. For tests, the demo and the CLI.
pub fn issue_for_proof(
    issuer: &DevIssuer,
    document: &DocumentClaims,
    challenge: &EnrolmentChallenge,
    proof: &[u8],
    now: UnixTime,
) -> Result<Credential, ProofError> {
    if challenge.issuer_id() != issuer.issuer_id() {
        return Err(ProofError::WrongChallenge);
    }
    let holder_key = verify_proof(proof, challenge, now)?;
    Ok(issuer.issue(document, &holder_key, now, None, &mut OsSalts)?)
}
