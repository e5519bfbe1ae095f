//! Enrolment's proof of possession: the holder shows an issuer that it controls a new holder key
//! by signing the issuer's fresh nonce with it, and the issuer binds the credential to that key.
//!
//! The proof is a COSE_Sign1 (ES256) whose protected header names the algorithm and the content
//! type [`PROOF_CONTENT_TYPE`], and whose payload is a CWT claims map: `aud` (3) the issuer id,
//! `iat` (6), `cnonce` (39) the issuer's nonce, and `cnf` (8) holding the holder's public key as a
//! COSE_Key. This module owns that format, the wallet side's layout ([`UnsignedProof`]) and the
//! issuer side's check ([`verify_proof`]) and minting ([`issue_for_proof`], for the development
//! issuer). It must never accept a proof for another issuer, another nonce, an age outside the
//! allowed window, or a signature that does not verify under the key the proof names.

use ciborium::Value;
use coset::{CborSerializable, CoseSign1, CoseSign1Builder, HeaderBuilder, iana};
use p256::elliptic_curve::sec1::ToEncodedPoint;

use crate::credential::purpose::PurposeCredential;
use crate::credential::{
    Credential, DocumentClaims, FormatError, IssueError, OsSalts, Purpose, StatusReference,
};
use crate::issuer::{CredentialTrustError, DevIssuer, TrustList};
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

const AUD: i64 = 3;
const IAT: i64 = 6;
const CNF: i64 = 8;
const CNONCE: i64 = 39;

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
    /// A batch names one holder key twice: each purpose credential needs its own key.
    #[error("the batch request names one holder key twice; each credential needs its own key")]
    DuplicateKey,
    /// A batch request whose parts do not line up (no status entry for a credential, two
    /// credentials with one status entry).
    #[error("the batch request is inconsistent: {0}")]
    BadBatch(&'static str),
}

/// A proof laid out for a holder key, waiting for the secure area's signature.
#[derive(Debug)]
pub struct UnsignedProof {
    sign1: CoseSign1,
    to_be_signed: Vec<u8>,
}

fn cose_key(public_key: &p256::PublicKey) -> Result<Value, ProofError> {
    let point = public_key.to_encoded_point(false);
    let (Some(x), Some(y)) = (point.x(), point.y()) else {
        return Err(ProofError::Malformed(
            "the holder key is the identity point",
        ));
    };
    Ok(Value::Map(vec![
        (Value::from(1), Value::from(2)),
        (Value::from(-1), Value::from(1)),
        (Value::from(-2), Value::Bytes(x.to_vec())),
        (Value::from(-3), Value::Bytes(y.to_vec())),
    ]))
}

impl UnsignedProof {
    /// Lays out the proof for `challenge`, naming `holder_key`, issued at `now`.
    pub fn new(
        challenge: &EnrolmentChallenge,
        holder_key: &p256::PublicKey,
        now: UnixTime,
    ) -> Result<Self, ProofError> {
        let claims = Value::Map(vec![
            (Value::from(AUD), Value::Text(challenge.issuer_id.clone())),
            (Value::from(IAT), Value::from(now.as_secs())),
            (
                Value::from(CNF),
                Value::Map(vec![(Value::from(1), cose_key(holder_key)?)]),
            ),
            (Value::from(CNONCE), Value::Bytes(challenge.nonce.clone())),
        ]);
        let mut payload = Vec::new();
        ciborium::into_writer(&claims, &mut payload)
            .map_err(|_| ProofError::Malformed("the claims could not be encoded"))?;
        let sign1 = CoseSign1Builder::new()
            .protected(
                HeaderBuilder::new()
                    .algorithm(iana::Algorithm::ES256)
                    .content_type(PROOF_CONTENT_TYPE.to_owned())
                    .build(),
            )
            .payload(payload)
            .build();
        let to_be_signed = sign1.tbs_data(&[]);
        Ok(Self {
            sign1,
            to_be_signed,
        })
    }

    /// The bytes the holder key signs.
    pub fn to_be_signed(&self) -> &[u8] {
        &self.to_be_signed
    }

    /// The encoded proof, with `signature` (`r || s`, already checked by the caller).
    pub fn finish(mut self, signature: [u8; 64]) -> Result<Vec<u8>, ProofError> {
        self.sign1.signature = signature.to_vec();
        self.sign1
            .to_vec()
            .map_err(|_| ProofError::Malformed("the proof could not be encoded"))
    }
}

fn int_key(value: &Value) -> Option<i64> {
    value.as_integer().and_then(|i| i64::try_from(i).ok())
}

fn holder_key_from_cnf(cnf: &Value) -> Result<p256::PublicKey, ProofError> {
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
        .and_then(Value::as_bytes)
        .ok_or(malformed.clone())?;
    let y = field(-3)
        .and_then(Value::as_bytes)
        .ok_or(malformed.clone())?;
    if x.len() != 32 || y.len() != 32 {
        return Err(malformed);
    }
    let mut sec1 = vec![4u8];
    sec1.extend_from_slice(x);
    sec1.extend_from_slice(y);
    p256::PublicKey::from_sec1_bytes(&sec1).map_err(|_| malformed)
}

/// The issuer's check of a proof: the right challenge, fresh by `now`, signed by the key it names.
/// Returns that key, for the credential's `cnf`.
pub fn verify_proof(
    proof: &[u8],
    challenge: &EnrolmentChallenge,
    now: UnixTime,
) -> Result<p256::PublicKey, ProofError> {
    let sign1 =
        CoseSign1::from_slice(proof).map_err(|_| ProofError::Malformed("not a COSE_Sign1"))?;
    if sign1.protected.header.alg
        != Some(coset::RegisteredLabelWithPrivate::Assigned(
            iana::Algorithm::ES256,
        ))
    {
        return Err(ProofError::Malformed("the algorithm is not ES256"));
    }
    if sign1.protected.header.content_type
        != Some(coset::RegisteredLabel::Text(PROOF_CONTENT_TYPE.to_owned()))
    {
        return Err(ProofError::Malformed("not a netid proof of possession"));
    }
    let payload = sign1
        .payload
        .as_deref()
        .ok_or(ProofError::Malformed("no payload"))?;
    let claims: Value = ciborium::from_reader(payload)
        .map_err(|_| ProofError::Malformed("the payload is not CBOR"))?;
    let claims = claims
        .as_map()
        .ok_or(ProofError::Malformed("the payload is not a map"))?;
    let claim = |label: i64| {
        claims
            .iter()
            .find(|(k, _)| int_key(k) == Some(label))
            .map(|(_, v)| v)
    };
    let audience = claim(AUD).and_then(Value::as_text);
    let nonce = claim(CNONCE).and_then(Value::as_bytes);
    if audience != Some(challenge.issuer_id.as_str())
        || nonce.map(Vec::as_slice) != Some(challenge.nonce())
    {
        return Err(ProofError::WrongChallenge);
    }
    let issued_at = claim(IAT)
        .and_then(int_key)
        .ok_or(ProofError::Malformed("no `iat`"))?;
    if now.as_secs().abs_diff(issued_at) > MAX_PROOF_SKEW_SECS.unsigned_abs() {
        return Err(ProofError::NotFresh);
    }
    let holder_key = holder_key_from_cnf(claim(CNF).ok_or(ProofError::Malformed("no `cnf`"))?)?;
    let verifying_key = p256::ecdsa::VerifyingKey::from(&holder_key);
    sign1.verify_signature(&[], |signature, data| {
        if Backend::DEFAULT.verify_es256(&verifying_key, data, signature) {
            Ok(())
        } else {
            Err(ProofError::BadSignature)
        }
    })?;
    Ok(holder_key)
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

/// The development issuer's side of a purpose-credential batch (FORMAT.md §12): one proof of
/// possession per holder key, all answering the same `challenge`, each with the purpose it asks
/// for; one credential per proof, bound to the proven key and to its own entry of `statuses`,
/// valid from `now`'s day until `expires`. Nothing is issued unless every proof passes and no
/// key or status entry repeats.
pub fn issue_purpose_batch_for_proofs(
    issuer: &DevIssuer,
    document: &DocumentClaims,
    challenge: &EnrolmentChallenge,
    requests: &[(Purpose, Vec<u8>)],
    statuses: &[StatusReference],
    now: UnixTime,
    expires: UnixTime,
) -> Result<Vec<PurposeCredential>, ProofError> {
    if challenge.issuer_id() != issuer.issuer_id() {
        return Err(ProofError::WrongChallenge);
    }
    if statuses.len() != requests.len() {
        return Err(ProofError::BadBatch("one status entry per credential"));
    }
    for (i, status) in statuses.iter().enumerate() {
        if statuses[..i].contains(status) {
            return Err(ProofError::BadBatch("a status entry is used twice"));
        }
    }
    let mut keys: Vec<(Purpose, p256::PublicKey)> = Vec::with_capacity(requests.len());
    for (purpose, proof) in requests {
        let key = verify_proof(proof, challenge, now)?;
        if keys.iter().any(|(_, k)| *k == key) {
            return Err(ProofError::DuplicateKey);
        }
        keys.push((*purpose, key));
    }
    keys.iter()
        .zip(statuses)
        .map(|((purpose, key), status)| {
            issuer
                .issue_purpose(document, *purpose, key, now, expires, Some(status.clone()))
                .map_err(ProofError::from)
        })
        .collect()
}

/// Why the wallet refused a batch of purpose credentials. It is refused whole: nothing of it is
/// stored. `index` is the position in the issuer's response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    /// Not one credential per requested key.
    #[error("the issuer answered {got} credentials for {requested} requested")]
    Count {
        /// Keys requested.
        requested: usize,
        /// Credentials received.
        got: usize,
    },
    /// Not a purpose credential of FORMAT.md §12 (a claim outside its purpose, a redaction, …).
    #[error("credential {index} of the batch is malformed: {error}")]
    Malformed {
        /// Position in the response.
        index: usize,
        /// What is wrong.
        error: FormatError,
    },
    /// Not from a trusted issuer, or a bad signature.
    #[error("credential {index} of the batch is not trusted: {error}")]
    Untrusted {
        /// Position in the response.
        index: usize,
        /// Why.
        error: CredentialTrustError,
    },
    /// Bound to a key this wallet did not ask for, or to one already used by another.
    #[error("credential {index} of the batch is bound to a key this wallet did not request for it")]
    KeyNotRequested {
        /// Position in the response.
        index: usize,
    },
    /// For another purpose than its key was requested for.
    #[error("credential {index} of the batch is for another purpose than requested")]
    WrongPurpose {
        /// Position in the response.
        index: usize,
    },
    /// The same status entry as an earlier credential: revoking one would revoke both, and the
    /// two would be linkable by it.
    #[error("credential {index} of the batch repeats another's status entry")]
    DuplicateStatus {
        /// Position in the response.
        index: usize,
    },
    /// Not this wallet's document: another type or level, or a claim value that differs from the
    /// full credential's.
    #[error("credential {index} of the batch does not match this document")]
    NotThisDocument {
        /// Position in the response.
        index: usize,
    },
}

/// The wallet's check of an issuer's batch answer before anything is stored: one credential per
/// requested `(purpose, key)`, each a well-formed purpose credential trusted at `now`, bound to
/// its own requested key for the requested purpose, with its own status entry, and carrying
/// exactly `full`'s values for the claims it has. The credentials in request order.
pub fn accept_purpose_batch(
    requested: &[(Purpose, p256::PublicKey)],
    response: &[Vec<u8>],
    full: &Credential,
    trust: &TrustList,
    now: UnixTime,
) -> Result<Vec<PurposeCredential>, BatchError> {
    if response.len() != requested.len() {
        return Err(BatchError::Count {
            requested: requested.len(),
            got: response.len(),
        });
    }
    let mut slots: Vec<Option<PurposeCredential>> = vec![None; requested.len()];
    let mut statuses: Vec<StatusReference> = Vec::with_capacity(response.len());
    for (index, bytes) in response.iter().enumerate() {
        let credential = PurposeCredential::from_bytes(bytes)
            .map_err(|error| BatchError::Malformed { index, error })?;
        trust
            .check_purpose_credential(&credential, now)
            .map_err(|error| BatchError::Untrusted { index, error })?;
        let slot = requested
            .iter()
            .position(|(_, key)| key == credential.holder_key())
            .filter(|&slot| slots[slot].is_none())
            .ok_or(BatchError::KeyNotRequested { index })?;
        if requested[slot].0 != credential.purpose() {
            return Err(BatchError::WrongPurpose { index });
        }
        if let Some(status) = credential.status() {
            if statuses.contains(status) {
                return Err(BatchError::DuplicateStatus { index });
            }
            statuses.push(status.clone());
        }
        let same_document = credential.doc_type() == full.doc_type()
            && credential.assurance_level() == full.assurance_level()
            && credential.kid() == full.kid()
            && credential
                .claims()
                .iter()
                .all(|(name, value)| full.claim(*name) == Some(value));
        if !same_document {
            return Err(BatchError::NotThisDocument { index });
        }
        slots[slot] = Some(credential);
    }
    // Every slot is filled: as many credentials as keys, each in a slot of its own.
    Ok(slots.into_iter().flatten().collect())
}
