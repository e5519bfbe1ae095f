//! netid's profile of SD-CWT: document types, assurance levels, the identity claims and their
//! integer keys, issuance of a credential, and the holder-side view of an issued one.
//!
//! The wire format is specified in `docs/FORMAT.md`; this module is its only implementation in
//! the core. It must never put personal data anywhere but inside salted disclosures, never reuse a
//! salt, and never accept an issued credential whose disclosures and redacted hashes do not match
//! one to one. It does not check issuer signatures against a trust list (`verify` and `issuer`
//! do) and holds no private keys beyond the issuer key it is handed for one call.

pub mod cbor;
mod claims;
pub mod purpose;
pub mod sd_cwt;

use std::collections::BTreeMap;

use p256::ecdsa::signature::Signer;
use rand_core::{OsRng, RngCore};
use zeroize::{Zeroize, Zeroizing};

pub use claims::{
    AssuranceLevel, ClaimName, ClaimValue, DocType, IdNumberError, Sex, validate_id_number,
};

use crate::base45;
use crate::time::{CivilDate, UnixTime};
use cbor::{Cbor, CborError};
use sd_cwt::{CoseSign1, DisclosureError, claim};

/// Private-use CWT claim key (below −65536, RFC 8392 §9.1) holding the document claims map.
pub const DOCUMENT_CLAIM_KEY: i64 = -65_537;
/// Key of the document type inside the document claims map.
pub const DOC_TYPE_KEY: i64 = 1;
/// Key of the assurance level inside the document claims map.
pub const ASSURANCE_LEVEL_KEY: i64 = 2;
/// Key of the nested, redacted "details" map inside the document claims map.
pub const DETAILS_KEY: i64 = 16;
/// Prefix of the QR text, in the QR alphanumeric character set.
pub const QR_TEXT_PREFIX: &str = "NID1:";
/// Salt length in bytes (128 bits, the draft's minimum).
pub const SALT_LEN: usize = 16;

/// Why bytes are not a well-formed netid SD-CWT or SD-KBT. Messages name structure only, never
/// claim values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// Not CBOR this profile accepts.
    #[error("not valid CBOR: {0}")]
    Cbor(#[from] CborError),
    /// Not a tagged COSE_Sign1.
    #[error("not a signed COSE object")]
    NotCoseSign1,
    /// A required header parameter is missing.
    #[error("the {0} header is missing")]
    MissingHeader(&'static str),
    /// A header parameter has the wrong shape.
    #[error("bad header: {0}")]
    BadHeader(&'static str),
    /// The `typ` header names another kind of token.
    #[error("this is a different kind of token")]
    WrongType,
    /// A signature or hash algorithm this profile does not accept.
    #[error("unsupported algorithm")]
    UnsupportedAlgorithm,
    /// A required claim is missing.
    #[error("the {0} claim is missing")]
    MissingClaim(&'static str),
    /// A claim has the wrong type or an impossible value.
    #[error("bad claim: {0}")]
    BadClaim(&'static str),
    /// The `cnf` key is not a valid P-256 public key.
    #[error("the holder key is not a valid P-256 public key")]
    BadHolderKey,
    /// Disclosures do not fit the redacted hashes.
    #[error("disclosures do not match the credential: {0}")]
    Disclosure(#[from] DisclosureError),
    /// The QR text lacks the netid prefix.
    #[error("this is not a netid code (wrong prefix)")]
    NotNetidText,
    /// The QR text is not Base45.
    #[error("the code is damaged: {0}")]
    Base45(#[from] base45::Base45Error),
}

/// Why a credential could not be issued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IssueError {
    /// A claim the document type requires is absent.
    #[error("the claim `{0}` is required for this document type")]
    MissingClaim(&'static str),
    /// A claim that this document type does not carry (or a derived claim supplied by hand).
    #[error("the claim `{0}` does not belong on this document type")]
    UnexpectedClaim(&'static str),
    /// A claim value of the wrong kind (e.g. text where a date belongs).
    #[error("the claim `{0}` has the wrong kind of value")]
    WrongValueKind(&'static str),
    /// The ID number fails validation.
    #[error("the ID number is invalid: {0}")]
    IdNumber(#[from] IdNumberError),
    /// `valid_until` is not after `valid_from`.
    #[error("valid_until must be after valid_from")]
    ValidityWindow,
    /// The salt source failed.
    #[error("no random salt could be generated")]
    Randomness,
}

/// Where salts come from: the OS generator in production, a fixed sequence for the worked example.
pub trait SaltSource {
    /// Fill a fresh salt.
    fn salt(&mut self) -> Result<[u8; SALT_LEN], IssueError>;
}

/// Salts from the operating system's CSPRNG.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsSalts;

impl SaltSource for OsSalts {
    fn salt(&mut self) -> Result<[u8; SALT_LEN], IssueError> {
        let mut s = [0u8; SALT_LEN];
        OsRng
            .try_fill_bytes(&mut s)
            .map_err(|_| IssueError::Randomness)?;
        Ok(s)
    }
}

/// A Token Status List reference (claim 65535: `{"status_list": {"idx": uint, "uri": tstr}}`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusReference {
    /// Index of this credential's entry in the list.
    pub idx: u64,
    /// Where the status list is published.
    pub uri: String,
}

impl StatusReference {
    fn to_cbor(&self) -> Cbor {
        Cbor::Map(vec![(
            Cbor::Text("status_list".into()),
            Cbor::Map(vec![
                (Cbor::Text("idx".into()), Cbor::Int(i128::from(self.idx))),
                (Cbor::Text("uri".into()), Cbor::Text(self.uri.clone())),
            ]),
        )])
    }

    fn from_cbor(v: &Cbor) -> Result<Self, FormatError> {
        let bad = FormatError::BadClaim("status");
        let list = v
            .get(&Cbor::Text("status_list".into()))
            .ok_or(bad.clone())?;
        let idx = match list.get(&Cbor::Text("idx".into())) {
            Some(Cbor::Int(i)) => u64::try_from(*i).map_err(|_| bad.clone())?,
            _ => return Err(bad),
        };
        let uri = list
            .get(&Cbor::Text("uri".into()))
            .and_then(Cbor::as_text)
            .ok_or(bad)?;
        Ok(Self {
            idx,
            uri: uri.to_owned(),
        })
    }
}

/// A document's claims as the issuer knows them: type, level, validity and identity claims.
#[derive(Clone, Debug, PartialEq)]
pub struct DocumentClaims {
    /// Kind of document.
    pub doc_type: DocType,
    /// Assurance grade.
    pub assurance_level: AssuranceLevel,
    /// First day of validity (the credential's `nbf` is its start, UTC).
    pub valid_from: CivilDate,
    /// Last day of validity (the credential's `exp` is the end of this day, UTC).
    pub valid_until: CivilDate,
    /// Identity claims (not the derived age claims, which issuance computes).
    pub claims: BTreeMap<ClaimName, ClaimValue>,
}

impl DocumentClaims {
    /// Check the claim set against the document type: required claims present, no foreign ones,
    /// value kinds right, ID number valid and consistent with birth date and sex.
    pub fn validate(&self) -> Result<(), IssueError> {
        for name in self.doc_type.claims() {
            let value = self
                .claims
                .get(name)
                .ok_or(IssueError::MissingClaim(name.as_str()))?;
            if !name.accepts(value) {
                return Err(IssueError::WrongValueKind(name.as_str()));
            }
        }
        if let Some(extra) = self
            .claims
            .keys()
            .find(|n| !self.doc_type.claims().contains(n))
        {
            return Err(IssueError::UnexpectedClaim(extra.as_str()));
        }
        if self.valid_until < self.valid_from {
            return Err(IssueError::ValidityWindow);
        }
        if let Some(ClaimValue::Text(id)) = self.claims.get(&ClaimName::IdNumber) {
            let info = validate_id_number(id)?;
            if let Some(ClaimValue::Date(born)) = self.claims.get(&ClaimName::BirthDate)
                && *born != info.birth_date
            {
                return Err(IdNumberError::BirthDateMismatch.into());
            }
            if let Some(ClaimValue::Sex(sex)) = self.claims.get(&ClaimName::Sex)
                && *sex != info.sex
            {
                return Err(IdNumberError::SexMismatch.into());
            }
        }
        Ok(())
    }
}

/// Everything the issuer puts in one credential besides the document claims.
#[derive(Clone, Debug)]
pub struct IssueParams<'a> {
    /// `iss`: the issuer id, as listed in trust lists.
    pub issuer_id: &'a str,
    /// `kid`: names the issuer key in trust lists.
    pub kid: &'a [u8],
    /// `iat`.
    pub issued_at: UnixTime,
    /// The holder key for `cnf`.
    pub holder_key: &'a p256::PublicKey,
    /// Optional revocation status reference.
    pub status: Option<StatusReference>,
}

/// One salted disclosure of a document claim, as the holder stores it.
#[derive(Clone, PartialEq)]
pub struct Disclosure {
    encoded: Vec<u8>,
    claim: ClaimName,
    value: ClaimValue,
}

impl Drop for Disclosure {
    fn drop(&mut self) {
        // `value` wipes itself; the encoded form holds the same value in CBOR.
        self.encoded.zeroize();
    }
}

impl std::fmt::Debug for Disclosure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The encoded form and value are personal data; show only which claim this is.
        f.debug_struct("Disclosure")
            .field("claim", &self.claim)
            .finish_non_exhaustive()
    }
}

impl Disclosure {
    /// Which claim this discloses.
    pub fn claim(&self) -> ClaimName {
        self.claim
    }
    /// The disclosed value.
    pub fn value(&self) -> &ClaimValue {
        &self.value
    }
    /// The encoded `[salt, value, key]` array, whose SHA-256 is the redacted hash.
    pub fn encoded(&self) -> &[u8] {
        &self.encoded
    }
}

/// An issued netid SD-CWT as the holder keeps it: all disclosures, structure checked.
///
/// Holding a `Credential` means the bytes parse and every redacted hash has exactly one
/// disclosure; it does not mean the issuer signature was checked against a trust list.
#[derive(Clone, PartialEq)]
pub struct Credential {
    cose: CoseSign1,
    issuer: String,
    kid: Vec<u8>,
    issued_at: UnixTime,
    not_before: UnixTime,
    expires: UnixTime,
    holder_key: p256::PublicKey,
    status: Option<StatusReference>,
    doc_type: DocType,
    assurance_level: AssuranceLevel,
    disclosures: Vec<Disclosure>,
    /// The encoded disclosure of the nested details map, if the document has details claims.
    group: Option<Vec<u8>>,
}

impl Drop for Credential {
    fn drop(&mut self) {
        // `cose` (its disclosures header) and each `Disclosure` wipe themselves; the details
        // group's disclosure holds the nested map of claim digests.
        if let Some(group) = &mut self.group {
            group.zeroize();
        }
    }
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("issuer", &self.issuer)
            .field("doc_type", &self.doc_type)
            .field("assurance_level", &self.assurance_level)
            .field("disclosures", &self.disclosures)
            .finish_non_exhaustive()
    }
}

/// Issue a credential: redact every identity claim (plus derived `age_over_18` / `age_over_60`)
/// into salted disclosures and sign with the issuer's P-256 key (ES256).
pub fn issue(
    document: &DocumentClaims,
    params: &IssueParams<'_>,
    issuer_key: &p256::ecdsa::SigningKey,
    salts: &mut dyn SaltSource,
) -> Result<Credential, IssueError> {
    document.validate()?;
    let values = claim_values_at(document, params.issued_at);

    // Claims the counter purposes disclose sit directly in the document map; the rest go into a
    // nested, itself redacted "details" map, so an undisclosed group costs one digest, not one per
    // claim (the draft's nested redaction). Each inner claim stays separately disclosable.
    let mut used_salts: Vec<[u8; SALT_LEN]> = Vec::with_capacity(values.len() + 1);
    let mut fresh_salt = || -> Result<[u8; SALT_LEN], IssueError> {
        let salt = salts.salt()?;
        if used_salts.contains(&salt) {
            // A repeated salt would let verifiers link disclosures; refuse rather than issue.
            return Err(IssueError::Randomness);
        }
        used_salts.push(salt);
        Ok(salt)
    };
    let mut top = Vec::with_capacity(values.len());
    let mut details = Vec::new();
    for (name, value) in values {
        let encoded = salted(fresh_salt()?, value.to_cbor(), name.key());
        let d = Disclosure {
            encoded,
            claim: name,
            value,
        };
        if name.in_details() {
            details.push(d)
        } else {
            top.push(d)
        }
    }
    let mut top_digests: Vec<[u8; 32]> = top
        .iter()
        .map(|d| sd_cwt::disclosure_digest(&d.encoded))
        .collect();
    let group = if details.is_empty() {
        None
    } else {
        let inner = redacted_keys(
            details
                .iter()
                .map(|d| sd_cwt::disclosure_digest(&d.encoded))
                .collect(),
        );
        let encoded = salted(fresh_salt()?, Cbor::Map(vec![inner]), DETAILS_KEY);
        top_digests.push(sd_cwt::disclosure_digest(&encoded));
        Some(encoded)
    };

    let document_map = Cbor::Map(vec![
        (Cbor::int(DOC_TYPE_KEY), Cbor::int(document.doc_type.code())),
        (
            Cbor::int(ASSURANCE_LEVEL_KEY),
            Cbor::int(document.assurance_level.code()),
        ),
        redacted_keys(top_digests),
    ]);
    let not_before = document.valid_from.start_utc();
    let expires = document.valid_until.start_utc().saturating_add(86_400);
    let mut payload = vec![
        (
            Cbor::int(claim::ISS),
            Cbor::Text(params.issuer_id.to_owned()),
        ),
        (Cbor::int(claim::EXP), Cbor::int(expires.as_secs())),
        (Cbor::int(claim::NBF), Cbor::int(not_before.as_secs())),
        (Cbor::int(claim::IAT), Cbor::int(params.issued_at.as_secs())),
        (Cbor::int(claim::CNF), sd_cwt::cnf_value(params.holder_key)),
    ];
    if let Some(status) = &params.status {
        payload.push((Cbor::int(claim::STATUS), status.to_cbor()));
    }
    payload.push((Cbor::int(DOCUMENT_CLAIM_KEY), document_map));
    let payload = Cbor::Map(payload).to_vec();

    // sd_alg is omitted: its default is SHA-256 and every byte counts in a QR code.
    let protected_map = Cbor::Map(vec![
        (
            Cbor::int(sd_cwt::HEADER_ALG),
            Cbor::int(sd_cwt::SignatureAlgorithm::Es256.cose_id()),
        ),
        (
            Cbor::int(sd_cwt::HEADER_KID),
            Cbor::Bytes(params.kid.to_vec()),
        ),
        (Cbor::int(sd_cwt::HEADER_TYP), Cbor::int(sd_cwt::TYP_SD_CWT)),
    ]);
    let protected = protected_map.to_vec();
    let tbs = sd_cwt::to_be_signed(&protected, &payload);
    let signature: p256::ecdsa::Signature = issuer_key.sign(&tbs);
    let mut disclosures = top;
    let mut all: Vec<Cbor> = disclosures
        .iter()
        .map(|d| Cbor::Bytes(d.encoded.clone()))
        .collect();
    if let Some(g) = &group {
        all.push(Cbor::Bytes(g.clone()));
    }
    all.extend(details.iter().map(|d| Cbor::Bytes(d.encoded.clone())));
    disclosures.extend(details);
    let unprotected = Cbor::Map(vec![(
        Cbor::int(sd_cwt::HEADER_SD_CLAIMS),
        Cbor::Array(all),
    )]);
    let cose = CoseSign1 {
        protected: protected_map,
        protected_bytes: protected,
        unprotected,
        payload,
        signature: signature.to_bytes().to_vec(),
    };
    Ok(Credential {
        cose,
        issuer: params.issuer_id.to_owned(),
        kid: params.kid.to_vec(),
        issued_at: params.issued_at,
        not_before,
        expires,
        holder_key: *params.holder_key,
        status: params.status.clone(),
        doc_type: document.doc_type,
        assurance_level: document.assurance_level,
        disclosures,
        group,
    })
}

/// The document's claims plus the derived `age_over_18` / `age_over_60` on the UTC date of
/// `issued_at`, in key order: what every credential issued at that moment carries.
pub(crate) fn claim_values_at(
    document: &DocumentClaims,
    issued_at: UnixTime,
) -> Vec<(ClaimName, ClaimValue)> {
    let mut values: Vec<(ClaimName, ClaimValue)> = document
        .claims
        .iter()
        .map(|(k, v)| (*k, v.clone()))
        .collect();
    if let Some(ClaimValue::Date(born)) = document.claims.get(&ClaimName::BirthDate) {
        let age = born.age_on(issued_at.date());
        values.push((ClaimName::AgeOver18, ClaimValue::Bool(age >= 18)));
        values.push((ClaimName::AgeOver60, ClaimValue::Bool(age >= 60)));
    }
    values.sort_by_key(|(k, _)| *k);
    values
}

/// One encoded salted disclosure `[salt, value, key]`.
fn salted(salt: [u8; SALT_LEN], value: Cbor, key: i64) -> Vec<u8> {
    Cbor::Array(vec![Cbor::Bytes(salt.to_vec()), value, Cbor::int(key)]).to_vec()
}

/// The `simple(59): [digests]` map entry, digests sorted so their order says nothing about which
/// claim each one hides.
fn redacted_keys(mut digests: Vec<[u8; 32]>) -> (Cbor, Cbor) {
    digests.sort_unstable();
    (
        Cbor::Simple(sd_cwt::SIMPLE_REDACTED_KEYS),
        Cbor::Array(digests.iter().map(|d| Cbor::Bytes(d.to_vec())).collect()),
    )
}

/// Read a Token Status List reference claim value.
pub fn status_reference_from_cbor(v: &Cbor) -> Result<StatusReference, FormatError> {
    StatusReference::from_cbor(v)
}

/// Read an integer NumericDate claim.
pub(crate) fn time_claim(
    claims: &Cbor,
    key: i64,
    name: &'static str,
) -> Result<Option<UnixTime>, FormatError> {
    match claims.get_int(key) {
        None => Ok(None),
        Some(Cbor::Int(v)) => i64::try_from(*v)
            .map(|s| Some(UnixTime::from_secs(s)))
            .map_err(|_| FormatError::BadClaim(name)),
        // The draft allows finite floats; this profile only emits integers, so accept only
        // floats that are whole seconds within ±2^53.
        Some(Cbor::Float(f))
            if f.is_finite() && f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0 =>
        {
            Ok(Some(UnixTime::from_secs(*f as i64)))
        }
        Some(_) => Err(FormatError::BadClaim(name)),
    }
}

/// Top-level claims this profile never redacts: the draft's "never redacted" claims (`iss`,
/// `aud`, `exp`, `nbf`, `iat`, `cti`, `cnf`, `cnonce`) plus `status` and the document map, which
/// every verifier needs. Since a withheld digest cannot say what it hides, the profile forbids
/// top-level redaction altogether; this list names what a disclosure may never restore.
pub const NEVER_REDACTED: [i64; 10] = [
    claim::ISS,
    claim::AUD,
    claim::EXP,
    claim::NBF,
    claim::IAT,
    claim::CTI,
    claim::CNF,
    claim::CNONCE,
    claim::STATUS,
    DOCUMENT_CLAIM_KEY,
];

/// netid's structural rules on an issuer-signed payload and the disclosures presented with it
/// (docs/FORMAT.md §2), whatever the issuer signed: integer claim keys; `exp`, `nbf`, `iat` and
/// `cnf` present; no redaction outside the document map, so `exp`, `iat`, `status`, `cnf` can
/// never be withheld; document type and level in clear; exactly the digest count the document
/// type implies (no decoys, nothing hidden beyond the profile's claims); every disclosure a
/// `[16-byte salt, value, integer key]` triple whose value carries no further redaction, except
/// the details map, which holds exactly its digests.
pub fn check_profile(payload: &Cbor, disclosures: &[Vec<u8>]) -> Result<(), FormatError> {
    let entries = payload
        .as_map()
        .ok_or(FormatError::BadClaim("the credential payload is not a map"))?;
    for (k, v) in entries {
        if *k == Cbor::Simple(sd_cwt::SIMPLE_REDACTED_KEYS) {
            return Err(FormatError::BadClaim(
                "a top-level claim is redacted (this profile never redacts exp, iat, status, cnf or the document)",
            ));
        }
        let key = k
            .as_i64()
            .ok_or(FormatError::BadClaim("a claim key is not an integer"))?;
        if key != DOCUMENT_CLAIM_KEY && sd_cwt::count_digests(v) != 0 {
            return Err(FormatError::BadClaim(
                "a redaction outside the document claims",
            ));
        }
    }
    for (key, name) in [
        (claim::EXP, "exp"),
        (claim::NBF, "nbf"),
        (claim::IAT, "iat"),
    ] {
        time_claim(payload, key, name)?.ok_or(FormatError::MissingClaim(name))?;
    }
    if payload.get_int(claim::CNF).is_none() {
        return Err(FormatError::MissingClaim("cnf"));
    }
    let doc = payload
        .get_int(DOCUMENT_CLAIM_KEY)
        .ok_or(FormatError::MissingClaim("document"))?;
    let doc_type = doc
        .get_int(DOC_TYPE_KEY)
        .and_then(Cbor::as_i64)
        .and_then(DocType::from_code)
        .ok_or(FormatError::BadClaim("document type (never redacted)"))?;
    doc.get_int(ASSURANCE_LEVEL_KEY)
        .and_then(Cbor::as_i64)
        .and_then(AssuranceLevel::from_code)
        .ok_or(FormatError::BadClaim("assurance level (never redacted)"))?;
    // The type's claims plus the derived `age_over_18` and `age_over_60`, each in its map; the
    // document map also holds the details map's digest.
    let carried = doc_type
        .claims()
        .iter()
        .chain(&[ClaimName::AgeOver18, ClaimName::AgeOver60]);
    let details_count = carried.clone().filter(|c| c.in_details()).count();
    let top_count = carried.filter(|c| !c.in_details()).count() + 1;
    let wrong_count = FormatError::BadClaim(
        "the document does not have the redacted claims its type implies (decoys or extra claims)",
    );
    for (k, v) in doc.as_map().unwrap_or_default() {
        match k {
            Cbor::Simple(sd_cwt::SIMPLE_REDACTED_KEYS) => {
                if v.as_array().map(<[Cbor]>::len) != Some(top_count) {
                    return Err(wrong_count);
                }
            }
            Cbor::Int(_) => {
                if sd_cwt::count_digests(v) != 0 {
                    return Err(FormatError::BadClaim("a redaction inside a document claim"));
                }
            }
            _ => {
                return Err(FormatError::BadClaim(
                    "a document claim key is not an integer",
                ));
            }
        }
    }
    if sd_cwt::count_digests(doc) != top_count {
        return Err(wrong_count);
    }
    for d in disclosures {
        let v = cbor::decode(d)?;
        let (salt, value, key) = match v.as_array() {
            Some([salt, value, Cbor::Int(key)]) => (salt, value, *key),
            _ => {
                return Err(FormatError::BadClaim(
                    "a disclosure is not [salt, value, integer key] (no decoys in this profile)",
                ));
            }
        };
        if salt.as_bytes().map(<[u8]>::len) != Some(SALT_LEN) {
            return Err(FormatError::BadClaim("a salt is not exactly 16 bytes"));
        }
        if key == i128::from(DETAILS_KEY) {
            let ok = match value.as_map() {
                Some([(Cbor::Simple(sd_cwt::SIMPLE_REDACTED_KEYS), Cbor::Array(digests))]) => {
                    digests.len() == details_count
                }
                _ => false,
            };
            if !ok {
                return Err(wrong_count);
            }
        } else if sd_cwt::count_digests(value) != 0 {
            return Err(FormatError::BadClaim(
                "a redaction inside a disclosed claim",
            ));
        }
    }
    Ok(())
}

/// Value rules a verifier applies to disclosed claims whatever the issuer signed: an
/// `id_number` is 17 digits and a valid ISO 7064 check character, and agrees with `birth_date`
/// and `sex` when those are shown too (`sex` is 1 or 2 and dates are in range by decoding).
pub fn check_claim_values(claims: &BTreeMap<ClaimName, ClaimValue>) -> Result<(), FormatError> {
    let Some(ClaimValue::Text(id)) = claims.get(&ClaimName::IdNumber) else {
        return Ok(());
    };
    let bad = FormatError::BadClaim("id_number");
    let info = validate_id_number(id).map_err(|_| bad.clone())?;
    if let Some(ClaimValue::Date(born)) = claims.get(&ClaimName::BirthDate)
        && *born != info.birth_date
    {
        return Err(bad);
    }
    if let Some(ClaimValue::Sex(sex)) = claims.get(&ClaimName::Sex)
        && *sex != info.sex
    {
        return Err(bad);
    }
    Ok(())
}

/// Add to `claims` each claim of `wanted` that is missing but can be read from a disclosed
/// `id_number` (`sex`, `birth_date`: FORMAT.md §4), and return their names. Nothing is derived
/// unless the `id_number` passes [`validate_id_number`]; call it after [`check_claim_values`],
/// which has also refused an `id_number` that disagrees with a disclosed `sex` or `birth_date`.
pub fn derive_from_id_number(
    claims: &mut BTreeMap<ClaimName, ClaimValue>,
    wanted: &[ClaimName],
) -> Vec<ClaimName> {
    let Some(ClaimValue::Text(id)) = claims.get(&ClaimName::IdNumber) else {
        return Vec::new();
    };
    let Ok(info) = validate_id_number(id) else {
        return Vec::new();
    };
    let mut derived = Vec::new();
    for name in wanted {
        if claims.contains_key(name) || !name.derivable_from_id_number() {
            continue;
        }
        let value = match name {
            ClaimName::Sex => ClaimValue::Sex(info.sex),
            ClaimName::BirthDate => ClaimValue::Date(info.birth_date),
            _ => continue,
        };
        claims.insert(*name, value);
        derived.push(*name);
    }
    derived
}

/// The netid document part of a validated (disclosed) claims set.
#[derive(Clone, Debug, PartialEq)]
pub struct DisclosedDocument {
    /// Document type.
    pub doc_type: DocType,
    /// Assurance level.
    pub assurance_level: AssuranceLevel,
    /// The disclosed claims.
    pub claims: BTreeMap<ClaimName, ClaimValue>,
}

/// Interpret the document claims map of a Validated Disclosed Claims Set.
pub fn disclosed_document(validated: &Cbor) -> Result<DisclosedDocument, FormatError> {
    let doc = validated
        .get_int(DOCUMENT_CLAIM_KEY)
        .ok_or(FormatError::MissingClaim("document"))?;
    let entries = doc.as_map().ok_or(FormatError::BadClaim("document"))?;
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
    let mut claims = BTreeMap::new();
    read_claims(entries, false, &mut claims)?;
    if let Some(details) = doc.get_int(DETAILS_KEY) {
        let inner = details.as_map().ok_or(FormatError::BadClaim("details"))?;
        read_claims(inner, true, &mut claims)?;
    }
    Ok(DisclosedDocument {
        doc_type,
        assurance_level,
        claims,
    })
}

fn read_claims(
    entries: &[(Cbor, Cbor)],
    in_details: bool,
    claims: &mut BTreeMap<ClaimName, ClaimValue>,
) -> Result<(), FormatError> {
    for (k, v) in entries {
        let key = k
            .as_i64()
            .ok_or(FormatError::BadClaim("document claim key"))?;
        if !in_details && [DOC_TYPE_KEY, ASSURANCE_LEVEL_KEY, DETAILS_KEY].contains(&key) {
            continue;
        }
        // Unknown keys are ignored as RFC 8392 asks, so later profile versions stay readable.
        let Some(name) = ClaimName::from_key(key) else {
            continue;
        };
        if name.in_details() != in_details {
            return Err(FormatError::BadClaim(
                "a claim is in the wrong part of the document",
            ));
        }
        let value = ClaimValue::from_cbor(name, v).ok_or(FormatError::BadClaim(name.as_str()))?;
        claims.insert(name, value);
    }
    Ok(())
}

impl Credential {
    /// Parse an issued credential and check it the way the draft asks a holder to: structure,
    /// `typ`, SHA-256 disclosures, a P-256 `cnf` key, netid document claims, and every redacted
    /// hash matched by exactly one disclosure and vice versa.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, FormatError> {
        let cose = CoseSign1::from_slice(bytes)?;
        Self::from_cose(cose)
    }

    pub(crate) fn from_cose(cose: CoseSign1) -> Result<Self, FormatError> {
        cose.require_typ(sd_cwt::TYP_SD_CWT, "application/sd-cwt")?;
        sd_cwt::require_sha256(&cose)?;
        cose.algorithm()?;
        let kid = cose.kid()?.to_vec();
        let payload = cbor::decode(&cose.payload)?;
        let issuer = payload
            .get_int(claim::ISS)
            .ok_or(FormatError::MissingClaim("iss"))?
            .as_text()
            .ok_or(FormatError::BadClaim("iss"))?
            .to_owned();
        let issued_at =
            time_claim(&payload, claim::IAT, "iat")?.ok_or(FormatError::MissingClaim("iat"))?;
        let not_before =
            time_claim(&payload, claim::NBF, "nbf")?.ok_or(FormatError::MissingClaim("nbf"))?;
        let expires =
            time_claim(&payload, claim::EXP, "exp")?.ok_or(FormatError::MissingClaim("exp"))?;
        let holder_key = sd_cwt::holder_key(&payload)?;
        let status = payload
            .get_int(claim::STATUS)
            .map(StatusReference::from_cbor)
            .transpose()?;
        // Wiped on every path out, including errors half-way through the loop below.
        let mut encoded = Zeroizing::new(sd_cwt::sd_claims(&cose)?);
        let validated = sd_cwt::apply_disclosures(&payload, &encoded)?;
        // The holder must hold a disclosure for every digest, nested ones included: every
        // disclosure matched exactly one digest above, so equal counts mean a bijection.
        let mut digest_count = sd_cwt::count_digests(&payload);
        let mut disclosures = Vec::with_capacity(encoded.len());
        let mut group = None;
        for slot in encoded.iter_mut() {
            let e = Zeroizing::new(std::mem::take(slot));
            let v = cbor::decode(&e)?;
            let (key, value) = match v.as_array() {
                Some([_, value, key]) => (key, value),
                _ => return Err(DisclosureError::WrongShape.into()),
            };
            digest_count += sd_cwt::count_digests(value);
            if key.as_i64() == Some(DETAILS_KEY) {
                group = Some(e.to_vec());
                continue;
            }
            let claim = key
                .as_i64()
                .and_then(ClaimName::from_key)
                .ok_or(FormatError::BadClaim("disclosure key"))?;
            let value =
                ClaimValue::from_cbor(claim, value).ok_or(FormatError::BadClaim(claim.as_str()))?;
            disclosures.push(Disclosure {
                encoded: e.to_vec(),
                claim,
                value,
            });
        }
        let disclosure_count = disclosures.len() + usize::from(group.is_some());
        if digest_count != disclosure_count {
            return Err(DisclosureError::Unmatched.into());
        }
        let document = disclosed_document(&validated)?;
        Ok(Self {
            cose,
            issuer,
            kid,
            issued_at,
            not_before,
            expires,
            holder_key,
            status,
            doc_type: document.doc_type,
            assurance_level: document.assurance_level,
            disclosures,
            group,
        })
    }

    /// The issued bytes, with every disclosure (for the holder's store only).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.cose.to_cbor().to_vec()
    }

    /// The SD-CWT to embed in a presentation: the same signed bytes with only the disclosures for
    /// `chosen` (omitting `sd_claims` entirely when nothing is disclosed, as the draft requires).
    pub fn with_only(&self, chosen: &[ClaimName]) -> Result<Cbor, ClaimName> {
        for c in chosen {
            if !self.disclosures.iter().any(|d| d.claim == *c) {
                return Err(*c);
            }
        }
        let picked: Vec<Cbor> = self
            .disclosures
            .iter()
            .filter(|d| chosen.contains(&d.claim))
            .map(|d| Cbor::Bytes(d.encoded.clone()))
            .collect();
        let mut picked = picked;
        if let Some(g) = &self.group
            && chosen.iter().any(|c| c.in_details())
        {
            picked.push(Cbor::Bytes(g.clone()));
        }
        let mut cose = self.cose.clone();
        cose.unprotected = if picked.is_empty() {
            Cbor::Map(Vec::new())
        } else {
            Cbor::Map(vec![(
                Cbor::int(sd_cwt::HEADER_SD_CLAIMS),
                Cbor::Array(picked),
            )])
        };
        Ok(cose.to_cbor())
    }

    /// The issuer's signature algorithm, to-be-signed bytes and signature, for trust checks.
    pub fn signed_parts(&self) -> (sd_cwt::SignatureAlgorithm, Vec<u8>, &[u8]) {
        // `from_cose` and `issue` both guarantee a supported algorithm.
        let alg = self
            .cose
            .algorithm()
            .unwrap_or(sd_cwt::SignatureAlgorithm::Es256);
        (alg, self.cose.to_be_signed(), &self.cose.signature)
    }

    /// `iss`.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }
    /// `kid`.
    pub fn kid(&self) -> &[u8] {
        &self.kid
    }
    /// `iat`.
    pub fn issued_at(&self) -> UnixTime {
        self.issued_at
    }
    /// `nbf`: start of the document's validity.
    pub fn not_before(&self) -> UnixTime {
        self.not_before
    }
    /// `exp`: end of the document's validity.
    pub fn expires(&self) -> UnixTime {
        self.expires
    }
    /// The holder key in `cnf`.
    pub fn holder_key(&self) -> &p256::PublicKey {
        &self.holder_key
    }
    /// The status list reference, if the issuer publishes one.
    pub fn status(&self) -> Option<&StatusReference> {
        self.status.as_ref()
    }
    /// Document type.
    pub fn doc_type(&self) -> DocType {
        self.doc_type
    }
    /// Assurance level.
    pub fn assurance_level(&self) -> AssuranceLevel {
        self.assurance_level
    }
    /// All disclosures, in issued order.
    pub fn disclosures(&self) -> &[Disclosure] {
        &self.disclosures
    }
    /// A claim's value, if the credential carries it.
    pub fn claim(&self, name: ClaimName) -> Option<&ClaimValue> {
        self.disclosures
            .iter()
            .find(|d| d.claim == name)
            .map(|d| &d.value)
    }
}

/// Named disclosure sets for the counters netid is built for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Purpose {
    /// Hotel check-in: name and ID number; the counter reads sex and birth date from the ID
    /// number (FORMAT.md §4).
    HotelCheckIn,
    /// Internet café: name and age over 18.
    InternetCafe,
    /// Train ticket: name and ID number.
    TrainTicket,
    /// Government service: every claim on the document.
    GovernmentService,
}

impl Purpose {
    /// Every purpose.
    pub const ALL: [Purpose; 4] = [
        Self::HotelCheckIn,
        Self::InternetCafe,
        Self::TrainTicket,
        Self::GovernmentService,
    ];

    /// Short name, also the default `aud` of a presentation for this purpose.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HotelCheckIn => "hotel",
            Self::InternetCafe => "cafe",
            Self::TrainTicket => "ticket",
            Self::GovernmentService => "gov",
        }
    }
    /// From its short name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == name)
    }
    /// The claims this purpose discloses from `credential` (for `GovernmentService`: all).
    pub fn claims(self, credential: &Credential) -> Vec<ClaimName> {
        use ClaimName::*;
        match self {
            // Sex and birth date are in the ID number: the counter derives them (§4).
            Self::HotelCheckIn => vec![Name, IdNumber],
            Self::InternetCafe => vec![Name, AgeOver18],
            Self::TrainTicket => vec![Name, IdNumber],
            Self::GovernmentService => credential.disclosures().iter().map(|d| d.claim()).collect(),
        }
    }
}

/// The QR text of presentation bytes: [`QR_TEXT_PREFIX`] + Base45, in a buffer wiped on drop
/// (a presentation's text encodes the claims it discloses).
pub fn to_qr_text(presentation: &[u8]) -> Zeroizing<String> {
    let body = Zeroizing::new(base45::encode(presentation));
    let mut s = Zeroizing::new(String::with_capacity(QR_TEXT_PREFIX.len() + body.len()));
    s.push_str(QR_TEXT_PREFIX);
    s.push_str(&body);
    s
}

/// The presentation bytes in a scanned QR text.
pub fn from_qr_text(text: &str) -> Result<Vec<u8>, FormatError> {
    let body = text
        .trim_end_matches(['\r', '\n'])
        .strip_prefix(QR_TEXT_PREFIX)
        .ok_or(FormatError::NotNetidText)?;
    Ok(base45::decode(body)?)
}
