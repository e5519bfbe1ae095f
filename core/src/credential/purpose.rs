//! Purpose credentials (docs/FORMAT.md §12): one-time credentials that carry exactly one
//! purpose's claims in clear, each with its own holder key and status index, so a code made from
//! one is small and two codes from one wallet share nothing an observer could link.
//!
//! This module owns their issuance, the holder-side check of an issued one, and the structural
//! rules a verifier applies to the credential inside a presentation. It must never issue or accept
//! a purpose credential with a claim outside its purpose, a redaction, disclosures, or no holder
//! key; it does not check issuer signatures against a trust list (`verify` does).

use std::collections::BTreeMap;

use p256::ecdsa::signature::Signer;

use super::cbor::{self, Cbor};
use super::sd_cwt::{self, CoseSign1, claim};
use super::{
    ASSURANCE_LEVEL_KEY, AssuranceLevel, ClaimName, ClaimValue, DOC_TYPE_KEY, DOCUMENT_CLAIM_KEY,
    DisclosedDocument, DocType, DocumentClaims, FormatError, IssueError, Purpose, StatusReference,
    claim_values_at, time_claim,
};
use crate::time::UnixTime;

/// Private-use CWT claim key holding a purpose credential's claims map (the full credential's
/// document map is −65537; the two never appear together).
pub const PURPOSE_DOCUMENT_KEY: i64 = -65_538;
/// Key of the purpose inside that map.
pub const PURPOSE_KEY: i64 = 17;
/// `typ` of a purpose credential: the CoAP content format of `application/cwt` (RFC 8392).
pub const TYP_CWT: i64 = 61;

impl Purpose {
    /// The purpose's code inside a purpose credential (FORMAT.md §12).
    pub fn code(self) -> i64 {
        match self {
            Self::HotelCheckIn => 1,
            Self::InternetCafe => 2,
            Self::TrainTicket => 3,
            Self::GovernmentService => 4,
        }
    }

    /// From its code.
    pub fn from_code(code: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.code() == code)
    }

    /// The claims a purpose credential for this purpose carries from a document of `doc_type`,
    /// in key order: the purpose's disclosure set (FORMAT.md §4); for `gov` every claim of the
    /// type and both derived age claims.
    pub fn claims_for(self, doc_type: DocType) -> Vec<ClaimName> {
        use ClaimName::*;
        let wanted = |c: &ClaimName| match self {
            Self::HotelCheckIn => matches!(c, Name | Sex | BirthDate | IdNumber),
            Self::InternetCafe => matches!(c, Name | AgeOver18),
            Self::TrainTicket => matches!(c, Name | IdNumber),
            Self::GovernmentService => {
                matches!(c, AgeOver18 | AgeOver60) || doc_type.claims().contains(c)
            }
        };
        // `ALL` is in key order, which is the order the claims are written in.
        ClaimName::ALL.into_iter().filter(wanted).collect()
    }
}

/// Everything the issuer puts in one purpose credential besides the claims.
#[derive(Clone, Debug)]
pub struct PurposeIssueParams<'a> {
    /// `kid`: names the issuer key in trust lists.
    pub kid: &'a [u8],
    /// When it is issued; `iat` is 00:00 UTC of that day.
    pub issued_at: UnixTime,
    /// When it ends; `exp` is 00:00 UTC of that day, never after the document's own validity.
    pub expires: UnixTime,
    /// This credential's own holder key, for `cnf`.
    pub holder_key: &'a p256::PublicKey,
    /// This credential's own status list entry.
    pub status: Option<StatusReference>,
}

/// An issued purpose credential as the holder keeps it, structure checked.
///
/// Holding one means the bytes parse and carry exactly one purpose's claims; it does not mean
/// the issuer signature was checked against a trust list.
#[derive(Clone, PartialEq)]
pub struct PurposeCredential {
    cose: CoseSign1,
    kid: Vec<u8>,
    issued_at: UnixTime,
    expires: UnixTime,
    holder_key: p256::PublicKey,
    status: Option<StatusReference>,
    purpose: Purpose,
    document: DisclosedDocument,
}

impl std::fmt::Debug for PurposeCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The claims are personal data; show only what kind of credential this is.
        f.debug_struct("PurposeCredential")
            .field("purpose", &self.purpose)
            .field("doc_type", &self.document.doc_type)
            .field("assurance_level", &self.document.assurance_level)
            .finish_non_exhaustive()
    }
}

/// Issue one purpose credential for `purpose` from `document`, signed with the issuer's P-256
/// key (ES256). The claims are the document's, with the derived age claims computed on the UTC
/// date of `issued_at`, exactly as the full credential's.
pub fn issue_purpose(
    document: &DocumentClaims,
    purpose: Purpose,
    params: &PurposeIssueParams<'_>,
    issuer_key: &p256::ecdsa::SigningKey,
) -> Result<PurposeCredential, IssueError> {
    document.validate()?;
    // Whole UTC days: every credential an issuer makes that day carries the same `iat`, and all
    // ending that day the same `exp`, so the times link no two codes of one batch.
    let issued_at = params.issued_at.date().start_utc();
    let expires = params.expires.date().start_utc();
    let document_end = document.valid_until.start_utc().saturating_add(86_400);
    if expires <= issued_at || expires > document_end || issued_at < document.valid_from.start_utc()
    {
        return Err(IssueError::ValidityWindow);
    }
    let values: BTreeMap<ClaimName, ClaimValue> = claim_values_at(document, params.issued_at)
        .into_iter()
        .collect();
    let mut entries = vec![
        (Cbor::int(DOC_TYPE_KEY), Cbor::int(document.doc_type.code())),
        (
            Cbor::int(ASSURANCE_LEVEL_KEY),
            Cbor::int(document.assurance_level.code()),
        ),
    ];
    let mut claims = BTreeMap::new();
    for name in purpose.claims_for(document.doc_type) {
        let value = values
            .get(&name)
            .ok_or(IssueError::MissingClaim(name.as_str()))?;
        entries.push((Cbor::int(name.key()), value.to_cbor()));
        claims.insert(name, value.clone());
    }
    entries.push((Cbor::int(PURPOSE_KEY), Cbor::int(purpose.code())));
    let mut payload = vec![
        (Cbor::int(claim::EXP), Cbor::int(expires.as_secs())),
        (Cbor::int(claim::IAT), Cbor::int(issued_at.as_secs())),
        (Cbor::int(claim::CNF), sd_cwt::cnf_value(params.holder_key)),
    ];
    if let Some(status) = &params.status {
        payload.push((Cbor::int(claim::STATUS), status.to_cbor()));
    }
    payload.push((Cbor::int(PURPOSE_DOCUMENT_KEY), Cbor::Map(entries)));
    let payload = Cbor::Map(payload).to_vec();
    let protected_map = Cbor::Map(vec![
        (
            Cbor::int(sd_cwt::HEADER_ALG),
            Cbor::int(sd_cwt::SignatureAlgorithm::Es256.cose_id()),
        ),
        (
            Cbor::int(sd_cwt::HEADER_KID),
            Cbor::Bytes(params.kid.to_vec()),
        ),
        (Cbor::int(sd_cwt::HEADER_TYP), Cbor::int(TYP_CWT)),
    ]);
    let protected = protected_map.to_vec();
    let signature: p256::ecdsa::Signature =
        issuer_key.sign(&sd_cwt::to_be_signed(&protected, &payload));
    Ok(PurposeCredential {
        cose: CoseSign1 {
            protected: protected_map,
            protected_bytes: protected,
            unprotected: Cbor::Map(Vec::new()),
            payload,
            signature: signature.to_bytes().to_vec(),
        },
        kid: params.kid.to_vec(),
        issued_at,
        expires,
        holder_key: *params.holder_key,
        status: params.status.clone(),
        purpose,
        document: DisclosedDocument {
            doc_type: document.doc_type,
            assurance_level: document.assurance_level,
            claims,
        },
    })
}

/// The structural rules of FORMAT.md §12 on a purpose credential's header and payload,
/// whatever the issuer signed; the purpose and the claims it carries.
pub fn check_purpose_credential(
    cose: &CoseSign1,
) -> Result<(Purpose, DisclosedDocument), FormatError> {
    cose.require_typ(TYP_CWT, "application/cwt")?;
    // No disclosures, and no sd_alg: this shape has nothing to disclose.
    if cose.unprotected.get_int(sd_cwt::HEADER_SD_CLAIMS).is_some()
        || cose.protected.get_int(sd_cwt::HEADER_SD_CLAIMS).is_some()
        || cose.protected.get_int(sd_cwt::HEADER_SD_ALG).is_some()
        || cose.unprotected.get_int(sd_cwt::HEADER_SD_ALG).is_some()
    {
        return Err(FormatError::BadHeader(
            "a purpose credential carries no disclosures",
        ));
    }
    let payload = cbor::decode(&cose.payload)?;
    check_purpose_payload(&payload)
}

/// [`check_purpose_credential`]'s rules on the decoded payload.
pub fn check_purpose_payload(payload: &Cbor) -> Result<(Purpose, DisclosedDocument), FormatError> {
    let entries = payload
        .as_map()
        .ok_or(FormatError::BadClaim("the credential payload is not a map"))?;
    if sd_cwt::count_digests(payload) != 0 {
        return Err(FormatError::BadClaim(
            "a purpose credential redacts nothing",
        ));
    }
    for (k, _) in entries {
        if k.as_i64().is_none() {
            return Err(FormatError::BadClaim("a claim key is not an integer"));
        }
    }
    if payload.get_int(DOCUMENT_CLAIM_KEY).is_some() {
        return Err(FormatError::BadClaim(
            "a purpose credential carries no selective-disclosure document",
        ));
    }
    for (key, name) in [(claim::EXP, "exp"), (claim::IAT, "iat")] {
        time_claim(payload, key, name)?.ok_or(FormatError::MissingClaim(name))?;
    }
    if payload.get_int(claim::CNF).is_none() {
        return Err(FormatError::MissingClaim("cnf"));
    }
    let doc = payload
        .get_int(PURPOSE_DOCUMENT_KEY)
        .ok_or(FormatError::MissingClaim("purpose document"))?;
    let doc_entries = doc
        .as_map()
        .ok_or(FormatError::BadClaim("purpose document"))?;
    let doc_type = doc
        .get_int(DOC_TYPE_KEY)
        .and_then(Cbor::as_i64)
        .and_then(DocType::from_code)
        .ok_or(FormatError::BadClaim("document type"))?;
    let assurance_level = doc
        .get_int(ASSURANCE_LEVEL_KEY)
        .and_then(Cbor::as_i64)
        .and_then(AssuranceLevel::from_code)
        .ok_or(FormatError::BadClaim("assurance level"))?;
    let purpose = doc
        .get_int(PURPOSE_KEY)
        .and_then(Cbor::as_i64)
        .and_then(Purpose::from_code)
        .ok_or(FormatError::BadClaim("purpose"))?;
    let expected = purpose.claims_for(doc_type);
    let mut claims = BTreeMap::new();
    for (k, v) in doc_entries {
        let key = k
            .as_i64()
            .ok_or(FormatError::BadClaim("document claim key"))?;
        if [DOC_TYPE_KEY, ASSURANCE_LEVEL_KEY, PURPOSE_KEY].contains(&key) {
            continue;
        }
        // Unlike the full credential, nothing unknown is tolerated here: the claim set is the
        // purpose's, exactly, so a counter never receives more than the resident agreed to.
        let name = ClaimName::from_key(key)
            .filter(|n| expected.contains(n))
            .ok_or(FormatError::BadClaim(
                "a claim outside the credential's purpose",
            ))?;
        let value = ClaimValue::from_cbor(name, v).ok_or(FormatError::BadClaim(name.as_str()))?;
        claims.insert(name, value);
    }
    if claims.len() != expected.len() {
        return Err(FormatError::BadClaim(
            "a claim of the credential's purpose is missing",
        ));
    }
    Ok((
        purpose,
        DisclosedDocument {
            doc_type,
            assurance_level,
            claims,
        },
    ))
}

impl PurposeCredential {
    /// Parse an issued purpose credential and check its structure (FORMAT.md §12) and holder key.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, FormatError> {
        let cose = CoseSign1::from_slice(bytes)?;
        if cose.algorithm()? != sd_cwt::SignatureAlgorithm::Es256 {
            return Err(FormatError::UnsupportedAlgorithm);
        }
        let kid = cose.kid()?.to_vec();
        let (purpose, document) = check_purpose_credential(&cose)?;
        let payload = cbor::decode(&cose.payload)?;
        let issued_at =
            time_claim(&payload, claim::IAT, "iat")?.ok_or(FormatError::MissingClaim("iat"))?;
        let expires =
            time_claim(&payload, claim::EXP, "exp")?.ok_or(FormatError::MissingClaim("exp"))?;
        let holder_key = sd_cwt::holder_key(&payload)?;
        let status = payload
            .get_int(claim::STATUS)
            .map(StatusReference::from_cbor)
            .transpose()?;
        Ok(Self {
            cose,
            kid,
            issued_at,
            expires,
            holder_key,
            status,
            purpose,
            document,
        })
    }

    /// The issued bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.cose.to_cbor().to_vec()
    }

    /// The credential as a CBOR value, for a presentation's `kcwt` header.
    pub(crate) fn to_cbor(&self) -> Cbor {
        self.cose.to_cbor()
    }

    /// What the issuer signed: algorithm, `Sig_structure` bytes and signature, for a trust
    /// list's check.
    pub fn signed_parts(&self) -> (sd_cwt::SignatureAlgorithm, Vec<u8>, &[u8]) {
        // `from_bytes` and `issue_purpose` both guarantee ES256.
        (
            sd_cwt::SignatureAlgorithm::Es256,
            self.cose.to_be_signed(),
            &self.cose.signature,
        )
    }

    /// Its purpose.
    pub fn purpose(&self) -> Purpose {
        self.purpose
    }
    /// `kid` of the issuer key.
    pub fn kid(&self) -> &[u8] {
        &self.kid
    }
    /// `iat`.
    pub fn issued_at(&self) -> UnixTime {
        self.issued_at
    }
    /// `exp`.
    pub fn expires(&self) -> UnixTime {
        self.expires
    }
    /// Its own holder key (`cnf`).
    pub fn holder_key(&self) -> &p256::PublicKey {
        &self.holder_key
    }
    /// Its own status list entry.
    pub fn status(&self) -> Option<&StatusReference> {
        self.status.as_ref()
    }
    /// Document type.
    pub fn doc_type(&self) -> DocType {
        self.document.doc_type
    }
    /// Assurance level.
    pub fn assurance_level(&self) -> AssuranceLevel {
        self.document.assurance_level
    }
    /// The claims it carries, exactly its purpose's.
    pub fn claims(&self) -> &BTreeMap<ClaimName, ClaimValue> {
        &self.document.claims
    }
}
