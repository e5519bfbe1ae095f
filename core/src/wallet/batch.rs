//! Batches of purpose credentials (FORMAT.md §12.5): the wallet's one signed request for many
//! fresh holder keys, the issuer's check of it, and the wallet's all-or-nothing acceptance of the
//! answer.
//!
//! The request is a COSE_Sign1 (ES256, content type [`BATCH_CONTENT_TYPE`]) signed by the holder
//! key of the resident's full credential, whose payload is a CWT claims map: `aud` (3) the issuer
//! id, `iat` (6), `cnonce` (39) the issuer's nonce, [`BATCH_CREDENTIAL`] the full credential, and
//! [`BATCH_KEYS`] an array of `[purpose code, COSE_Key]`, one per credential wanted. One signature
//! by the key the issuer already bound to the resident authorises the whole batch: the resident is
//! asked once, not once per key. This module owns that format, its issuer-side check
//! ([`verify_batch_request`]) and minting ([`issue_purpose_batch`], the development issuer's), and
//! the wallet's acceptance ([`accept_purpose_batch`]). It must never accept a request for another
//! issuer or nonce, one not signed by the full credential's own key, a key named twice, or a batch
//! answer of which any part fails: a refused answer stores nothing.

use crate::credential::cbor::Cbor;

use super::enrol::{
    AUD, CNONCE, EnrolmentChallenge, IAT, ProofError, UnsignedSign1, answers_challenge,
    check_signature, cose_key, holder_key_from_cnf, int_key, open_sign1,
};
use crate::credential::purpose::PurposeCredential;
use crate::credential::{
    ClaimName, Credential, DocumentClaims, FormatError, Purpose, StatusReference,
};
use crate::issuer::{CredentialTrustError, DevIssuer, TrustList};
use crate::time::{CivilDate, UnixTime};

/// The request's COSE content type.
pub const BATCH_CONTENT_TYPE: &str = "application/netid-batch+cwt";
/// Claim key of the full credential the batch is for (a byte string).
pub const BATCH_CREDENTIAL: i64 = -65_539;
/// Claim key of the keys wanted: an array of `[purpose code, COSE_Key]`.
pub const BATCH_KEYS: i64 = -65_540;
/// Most credentials one request may ask for.
pub const MAX_BATCH: usize = 64;

/// A batch request laid out, waiting for the full credential's holder key to sign it.
#[derive(Debug)]
pub struct UnsignedBatchRequest(UnsignedSign1);

impl UnsignedBatchRequest {
    /// Lays out a request answering `challenge`, for the resident holding `full` (its encoded
    /// credential), naming one `(purpose, key)` per credential wanted, made at `now`.
    pub fn new(
        challenge: &EnrolmentChallenge,
        full: &[u8],
        keys: &[(Purpose, p256::PublicKey)],
        now: UnixTime,
    ) -> Result<Self, ProofError> {
        if keys.is_empty() || keys.len() > MAX_BATCH {
            return Err(ProofError::BadBatch("a batch asks for 1 to 64 credentials"));
        }
        let mut wanted = Vec::with_capacity(keys.len());
        for (purpose, key) in keys {
            wanted.push(Cbor::Array(vec![
                Cbor::int(purpose.code()),
                Cbor::Map(vec![(Cbor::int(1), cose_key(key)?)]),
            ]));
        }
        let claims = Cbor::Map(vec![
            (Cbor::int(AUD), Cbor::Text(challenge.issuer_id().to_owned())),
            (Cbor::int(IAT), Cbor::int(now.as_secs())),
            (Cbor::int(CNONCE), Cbor::Bytes(challenge.nonce().to_vec())),
            (Cbor::int(BATCH_CREDENTIAL), Cbor::Bytes(full.to_vec())),
            (Cbor::int(BATCH_KEYS), Cbor::Array(wanted)),
        ]);
        UnsignedSign1::new(BATCH_CONTENT_TYPE, &claims).map(Self)
    }

    /// The bytes the full credential's holder key signs.
    pub fn to_be_signed(&self) -> &[u8] {
        self.0.to_be_signed()
    }

    /// The encoded request, with `signature` (`r || s`, already checked by the caller).
    pub fn finish(self, signature: [u8; 64]) -> Result<Vec<u8>, ProofError> {
        self.0.finish(signature)
    }
}

/// A batch request that answers the issuer's challenge and is signed by the holder key of the
/// full credential it carries. Whether that credential is trusted is the issuer's next check.
#[derive(Debug)]
pub struct BatchRequest {
    full: Credential,
    keys: Vec<(Purpose, p256::PublicKey)>,
}

impl BatchRequest {
    /// The resident's full credential (its issuer finds the resident by it, e.g. its status
    /// entry).
    pub fn full_credential(&self) -> &Credential {
        &self.full
    }

    /// The credentials wanted, in request order.
    pub fn keys(&self) -> &[(Purpose, p256::PublicKey)] {
        &self.keys
    }
}

/// The issuer's check of a batch request: the right challenge, fresh by `now`, 1 to
/// [`MAX_BATCH`] distinct keys none of which is the full credential's own, and signed by the full
/// credential's holder key.
pub fn verify_batch_request(
    request: &[u8],
    challenge: &EnrolmentChallenge,
    now: UnixTime,
) -> Result<BatchRequest, ProofError> {
    let (sign1, claims) = open_sign1(request, BATCH_CONTENT_TYPE, "not a netid batch request")?;
    let claims = claims.as_slice();
    answers_challenge(claims, challenge, now)?;
    let claim = |label: i64| {
        claims
            .iter()
            .find(|(k, _)| int_key(k) == Some(label))
            .map(|(_, v)| v)
    };
    let full = claim(BATCH_CREDENTIAL)
        .and_then(Cbor::as_bytes)
        .ok_or(ProofError::Malformed("no full credential"))?;
    let full = Credential::from_bytes(full)
        .map_err(|_| ProofError::Malformed("the full credential is malformed"))?;
    let wanted = claim(BATCH_KEYS)
        .and_then(Cbor::as_array)
        .ok_or(ProofError::Malformed("no keys"))?;
    if wanted.is_empty() || wanted.len() > MAX_BATCH {
        return Err(ProofError::BadBatch("a batch asks for 1 to 64 credentials"));
    }
    let mut keys: Vec<(Purpose, p256::PublicKey)> = Vec::with_capacity(wanted.len());
    for entry in wanted {
        let (purpose, cnf) = match entry.as_array() {
            Some([purpose, cnf]) => (purpose, cnf),
            _ => return Err(ProofError::Malformed("a key entry is not [purpose, cnf]")),
        };
        let purpose =
            int_key(purpose)
                .and_then(Purpose::from_code)
                .ok_or(ProofError::Malformed(
                    "a key entry names an unknown purpose",
                ))?;
        let key = holder_key_from_cnf(cnf)?;
        if key == *full.holder_key() || keys.iter().any(|(_, k)| *k == key) {
            return Err(ProofError::DuplicateKey);
        }
        keys.push((purpose, key));
    }
    check_signature(&sign1, full.holder_key())?;
    Ok(BatchRequest { full, keys })
}

/// The document claims a full credential carries, for issuing purpose credentials from it: its
/// type, level, validity days and identity claims (the derived age claims are recomputed).
fn document_of(full: &Credential) -> Result<DocumentClaims, ProofError> {
    let day = |at: UnixTime| {
        CivilDate::from_days_since_epoch_checked(at.as_secs().div_euclid(86_400)).ok_or(
            ProofError::Malformed("the full credential's validity is out of range"),
        )
    };
    let doc_type = full.doc_type();
    let claims = doc_type
        .claims()
        .iter()
        .filter(|name| !matches!(name, ClaimName::AgeOver18 | ClaimName::AgeOver60))
        .filter_map(|name| full.claim(*name).map(|value| (*name, value.clone())))
        .collect();
    Ok(DocumentClaims {
        doc_type,
        assurance_level: full.assurance_level(),
        valid_from: day(full.not_before())?,
        valid_until: day(UnixTime::from_secs(full.expires().as_secs() - 1))?,
        claims,
    })
}

/// The development issuer's side of a batch: `request` (already checked by
/// [`verify_batch_request`]) must carry a full credential this issuer issued and `trust` still
/// vouches for at `now`; then one purpose credential per key, with the full credential's values,
/// bound to that key and to its own entry of `statuses` (none at all for an issuer without a
/// status list), valid from `now`'s day until `expires`.
/// Nothing is issued unless all of it can be.
pub fn issue_purpose_batch(
    issuer: &DevIssuer,
    trust: &TrustList,
    request: &BatchRequest,
    statuses: &[StatusReference],
    now: UnixTime,
    expires: UnixTime,
) -> Result<Vec<PurposeCredential>, ProofError> {
    if request.full.kid() != issuer.kid() {
        return Err(ProofError::DocumentNotTrusted(
            CredentialTrustError::Untrusted(crate::issuer::IssuerProblem::NotListed),
        ));
    }
    trust
        .check_credential(&request.full, now)
        .map_err(ProofError::DocumentNotTrusted)?;
    // An issuer without a status list (a development issuer in tests) passes no entries at all.
    if !statuses.is_empty() && statuses.len() != request.keys.len() {
        return Err(ProofError::BadBatch("one status entry per credential"));
    }
    for (i, status) in statuses.iter().enumerate() {
        if statuses[..i].contains(status) {
            return Err(ProofError::BadBatch("a status entry is used twice"));
        }
    }
    let document = document_of(&request.full)?;
    request
        .keys
        .iter()
        .enumerate()
        .map(|(i, (purpose, key))| {
            let status = statuses.get(i).cloned();
            issuer
                .issue_purpose(&document, *purpose, key, now, expires, status)
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
