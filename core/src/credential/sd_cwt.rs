//! The generic SD-CWT layer: COSE_Sign1 framing, header labels, the holder key in `cnf`, salted
//! disclosures and the draft's disclosure-matching algorithm.
//!
//! Nothing here knows netid's document claims; it works for any SD-CWT, which is how the draft's
//! own examples are verified. It must never treat a disclosure as valid unless its SHA-256 digest
//! appears exactly once in the issuer-signed payload, and never checks signatures itself (callers
//! pass the to-be-signed bytes to a key they trust).

use std::collections::HashMap;

use p256::elliptic_curve::sec1::{EncodedPoint, FromEncodedPoint, ToEncodedPoint};
use sha2::{Digest, Sha256};
use zeroize::Zeroize;

use super::FormatError;
use super::cbor::{self, Cbor};

/// COSE header label `alg`.
pub const HEADER_ALG: i64 = 1;
/// COSE header label `crit` (RFC 9052 §3.1): labels the recipient must understand.
pub const HEADER_CRIT: i64 = 2;
/// COSE header label `kid`.
pub const HEADER_KID: i64 = 4;
/// COSE header label `kcwt` (RFC 9528): the SD-CWT inside a key binding token.
pub const HEADER_KCWT: i64 = 13;
/// COSE header label `CWT Claims` (RFC 9597). netid refuses it in every header of both tokens:
/// its verifier reads claims only from the payload, so claims here could not be honoured.
pub const HEADER_CWT_CLAIMS: i64 = 15;
/// COSE header label `typ` (RFC 9596).
pub const HEADER_TYP: i64 = 16;
/// SD-CWT header label `sd_claims`: the salted disclosures.
pub const HEADER_SD_CLAIMS: i64 = 17;
/// SD-CWT header label `sd_alg`: the disclosure hash algorithm (default SHA-256).
pub const HEADER_SD_ALG: i64 = 170;
/// COSE tag of COSE_Sign1.
pub const TAG_COSE_SIGN1: u64 = 18;
/// SD-CWT tag of a redacted array element.
pub const TAG_REDACTED_ELEMENT: u64 = 60;
/// SD-CWT simple value keying the redacted claim keys of a map.
pub const SIMPLE_REDACTED_KEYS: u8 = 59;
/// `typ` of an SD-CWT (CoAP content format of application/sd-cwt).
pub const TYP_SD_CWT: i64 = 293;
/// `typ` of an SD-KBT (CoAP content format of application/kb+cwt).
pub const TYP_KB_CWT: i64 = 294;
/// COSE algorithm id of SHA-256, the only `sd_alg` this profile accepts.
pub const SD_ALG_SHA256: i64 = -16;

/// CWT claim keys used by the profile.
pub mod claim {
    /// Issuer.
    pub const ISS: i64 = 1;
    /// Subject.
    pub const SUB: i64 = 2;
    /// Audience.
    pub const AUD: i64 = 3;
    /// Expiry.
    pub const EXP: i64 = 4;
    /// Not before.
    pub const NBF: i64 = 5;
    /// Issued at.
    pub const IAT: i64 = 6;
    /// CWT ID.
    pub const CTI: i64 = 7;
    /// Confirmation (holder key).
    pub const CNF: i64 = 8;
    /// Client nonce.
    pub const CNONCE: i64 = 39;
    /// Token Status List reference.
    pub const STATUS: i64 = 65_535;
}

/// A COSE signature algorithm this profile verifies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureAlgorithm {
    /// ECDSA P-256 with SHA-256 (`ES256` −7, or fully specified `ESP256` −9).
    Es256,
    /// ECDSA P-384 with SHA-384 (`ES384` −35, or fully specified `ESP384` −51).
    Es384,
}

impl SignatureAlgorithm {
    /// Map a COSE algorithm id.
    pub fn from_cose(id: i64) -> Option<Self> {
        match id {
            -7 | -9 => Some(Self::Es256),
            -35 | -51 => Some(Self::Es384),
            _ => None,
        }
    }

    /// The id netid emits (`ES256` −7, as DESIGN.md fixes; −35 for P-384).
    pub fn cose_id(self) -> i64 {
        match self {
            Self::Es256 => -7,
            Self::Es384 => -35,
        }
    }
}

/// A tagged COSE_Sign1 with its protected header kept as the exact bytes that were signed.
#[derive(Clone, Debug, PartialEq)]
pub struct CoseSign1 {
    /// The serialized protected header map, exactly as signed.
    pub protected_bytes: Vec<u8>,
    /// The protected header, decoded.
    pub protected: Cbor,
    /// The unprotected header map.
    pub unprotected: Cbor,
    /// The payload bytes.
    pub payload: Vec<u8>,
    /// The raw signature (r ‖ s).
    pub signature: Vec<u8>,
}

impl Drop for CoseSign1 {
    fn drop(&mut self) {
        // A presentation's protected header embeds the disclosed SD-CWT: claim values. The header
        // maps wipe themselves.
        self.protected_bytes.zeroize();
        self.payload.zeroize();
        self.signature.zeroize();
    }
}

impl CoseSign1 {
    /// Read a `18([protected, unprotected, payload, signature])` value.
    pub fn from_cbor(value: &Cbor) -> Result<Self, FormatError> {
        let Cbor::Tag(TAG_COSE_SIGN1, inner) = value else {
            return Err(FormatError::NotCoseSign1);
        };
        let [protected, unprotected, payload, signature] = inner
            .as_array()
            .and_then(|a| <&[Cbor; 4]>::try_from(a).ok())
            .ok_or(FormatError::NotCoseSign1)?;
        let protected_bytes = protected
            .as_bytes()
            .ok_or(FormatError::NotCoseSign1)?
            .to_vec();
        let protected = cbor::decode(&protected_bytes)?;
        if protected.as_map().is_none() || unprotected.as_map().is_none() {
            return Err(FormatError::NotCoseSign1);
        }
        // RFC 9052 §3: a label must not appear in both buckets.
        for (k, _) in unprotected.as_map().unwrap_or_default() {
            if protected.get(k).is_some() {
                return Err(FormatError::BadHeader(
                    "a header appears both protected and unprotected",
                ));
            }
        }
        Ok(Self {
            protected_bytes,
            protected,
            unprotected: unprotected.clone(),
            payload: payload
                .as_bytes()
                .ok_or(FormatError::NotCoseSign1)?
                .to_vec(),
            signature: signature
                .as_bytes()
                .ok_or(FormatError::NotCoseSign1)?
                .to_vec(),
        })
    }

    /// Decode tagged COSE_Sign1 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, FormatError> {
        Self::from_cbor(&cbor::decode(bytes)?)
    }

    /// The value `18([...])`.
    pub fn to_cbor(&self) -> Cbor {
        Cbor::Tag(
            TAG_COSE_SIGN1,
            Box::new(Cbor::Array(vec![
                Cbor::Bytes(self.protected_bytes.clone()),
                self.unprotected.clone(),
                Cbor::Bytes(self.payload.clone()),
                Cbor::Bytes(self.signature.clone()),
            ])),
        )
    }

    /// The `Sig_structure` bytes the signature covers (RFC 9052 §4.4, no external AAD).
    pub fn to_be_signed(&self) -> Vec<u8> {
        to_be_signed(&self.protected_bytes, &self.payload)
    }

    /// The signature algorithm named in the protected header.
    pub fn algorithm(&self) -> Result<SignatureAlgorithm, FormatError> {
        let id = self
            .protected
            .get_int(HEADER_ALG)
            .ok_or(FormatError::MissingHeader("alg"))?
            .as_i64()
            .ok_or(FormatError::BadHeader("alg is not an integer"))?;
        SignatureAlgorithm::from_cose(id).ok_or(FormatError::UnsupportedAlgorithm)
    }

    /// Require protected `typ` to be `expected` (integer form) or its media-type string.
    pub fn require_typ(&self, expected: i64, media_type: &str) -> Result<(), FormatError> {
        match self.protected.get_int(HEADER_TYP) {
            Some(Cbor::Int(v)) if *v == i128::from(expected) => Ok(()),
            Some(Cbor::Text(t)) if t == media_type => Ok(()),
            Some(_) => Err(FormatError::WrongType),
            None => Err(FormatError::MissingHeader("typ")),
        }
    }

    /// Header rules shared by both tokens: `crit` only in the protected header, a non-empty array
    /// naming only labels in `understood` that are present in the protected header (RFC 9052
    /// §3.1: a message whose `crit` lists a label the recipient does not process is rejected);
    /// no `CWT Claims` (15) header in either bucket; header map keys at any depth are integers
    /// or text of at most 255 bytes (the draft's map-key rule), `skip` (e.g. `kcwt`) excepted.
    pub fn check_headers(&self, understood: &[i64], skip: Option<i64>) -> Result<(), FormatError> {
        if self.unprotected.get_int(HEADER_CRIT).is_some() {
            return Err(FormatError::BadHeader(
                "crit must be in the protected header",
            ));
        }
        if self.protected.get_int(HEADER_CWT_CLAIMS).is_some()
            || self.unprotected.get_int(HEADER_CWT_CLAIMS).is_some()
        {
            return Err(FormatError::BadHeader(
                "a CWT Claims (15) header is not allowed in this profile",
            ));
        }
        if let Some(crit) = self.protected.get_int(HEADER_CRIT) {
            let labels = crit
                .as_array()
                .filter(|a| !a.is_empty())
                .ok_or(FormatError::BadHeader("crit is not a non-empty array"))?;
            for label in labels {
                let known = label.as_i64().is_some_and(|l| {
                    understood.contains(&l) && self.protected.get_int(l).is_some()
                });
                if !known {
                    return Err(FormatError::BadHeader(
                        "crit names a header this verifier does not understand",
                    ));
                }
            }
        }
        for (bucket, header) in [(true, &self.protected), (false, &self.unprotected)] {
            for (k, v) in header.as_map().unwrap_or_default() {
                check_label(k)?;
                if bucket && skip.is_some_and(|s| *k == Cbor::int(s)) {
                    continue;
                }
                check_keys(v, false)?;
            }
        }
        Ok(())
    }

    /// The protected `kid`.
    pub fn kid(&self) -> Result<&[u8], FormatError> {
        self.protected
            .get_int(HEADER_KID)
            .ok_or(FormatError::MissingHeader("kid"))?
            .as_bytes()
            .ok_or(FormatError::BadHeader("kid is not a byte string"))
    }
}

fn check_label(k: &Cbor) -> Result<(), FormatError> {
    match k {
        Cbor::Int(_) => Ok(()),
        Cbor::Text(t) if t.len() <= 255 => Ok(()),
        _ => Err(FormatError::BadHeader(
            "a map key is not an integer or a short text",
        )),
    }
}

/// The draft's map-key rule at any depth: integers or text of at most 255 bytes, plus
/// `simple(59)` where redaction is allowed (SD-CWT claims maps). A float key 3.0 is not `aud`.
pub fn check_keys(v: &Cbor, allow_redacted: bool) -> Result<(), FormatError> {
    match v {
        Cbor::Map(entries) => {
            for (k, val) in entries {
                if !(allow_redacted && *k == Cbor::Simple(SIMPLE_REDACTED_KEYS)) {
                    check_label(k)?;
                }
                check_keys(val, allow_redacted)?;
            }
            Ok(())
        }
        Cbor::Array(items) => items.iter().try_for_each(|i| check_keys(i, allow_redacted)),
        Cbor::Tag(_, inner) => check_keys(inner, allow_redacted),
        _ => Ok(()),
    }
}

/// `Sig_structure = ["Signature1", protected, h'', payload]`, encoded.
pub fn to_be_signed(protected: &[u8], payload: &[u8]) -> Vec<u8> {
    Cbor::Array(vec![
        Cbor::Text("Signature1".into()),
        Cbor::Bytes(protected.to_vec()),
        Cbor::Bytes(Vec::new()),
        Cbor::Bytes(payload.to_vec()),
    ])
    .to_vec()
}

/// The redacted-claim hash of an encoded salted disclosure: SHA-256 over the disclosure *as the
/// byte string it travels in* (`bstr` head included), as the draft's examples compute it.
pub fn disclosure_digest(encoded: &[u8]) -> [u8; 32] {
    // Hashed in two parts so the disclosure (claim values) is not copied into a new buffer.
    let mut hash = Sha256::new();
    hash.update(cbor::bytes_head(encoded.len()));
    hash.update(encoded);
    hash.finalize().into()
}

/// The disclosures (encoded salted arrays) in an SD-CWT's unprotected `sd_claims` header.
pub fn sd_claims(sd_cwt: &CoseSign1) -> Result<Vec<Vec<u8>>, FormatError> {
    match sd_cwt.unprotected.get_int(HEADER_SD_CLAIMS) {
        None => Ok(Vec::new()),
        Some(Cbor::Array(items)) if items.is_empty() => {
            // The draft: an empty sd_claims array is invalid (omit the header instead).
            Err(FormatError::BadHeader("sd_claims is present but empty"))
        }
        Some(Cbor::Array(items)) => items
            .iter()
            .map(|d| {
                d.as_bytes()
                    .map(<[u8]>::to_vec)
                    .ok_or(FormatError::BadHeader("a disclosure is not a byte string"))
            })
            .collect(),
        Some(_) => Err(FormatError::BadHeader("sd_claims is not an array")),
    }
}

/// Require SHA-256 as the disclosure hash (absent `sd_alg` means SHA-256).
pub fn require_sha256(sd_cwt: &CoseSign1) -> Result<(), FormatError> {
    match sd_cwt.protected.get_int(HEADER_SD_ALG) {
        None => Ok(()),
        Some(v) if v.as_i64() == Some(SD_ALG_SHA256) => Ok(()),
        Some(_) => Err(FormatError::UnsupportedAlgorithm),
    }
}

/// The holder's P-256 key from `cnf` (`{1: COSE_Key}`), compressed (`y` a bool) or not.
pub fn holder_key(claims: &Cbor) -> Result<p256::PublicKey, FormatError> {
    let key = claims
        .get_int(claim::CNF)
        .ok_or(FormatError::MissingClaim("cnf"))?
        .get_int(1)
        .ok_or(FormatError::BadHolderKey)?;
    if key.get_int(1).and_then(Cbor::as_i64) != Some(2)
        || key.get_int(-1).and_then(Cbor::as_i64) != Some(1)
    {
        return Err(FormatError::BadHolderKey);
    }
    let x = key
        .get_int(-2)
        .and_then(Cbor::as_bytes)
        .ok_or(FormatError::BadHolderKey)?;
    if x.len() != 32 {
        return Err(FormatError::BadHolderKey);
    }
    let mut sec1 = Vec::with_capacity(65);
    match key.get_int(-3) {
        Some(Cbor::Bool(odd)) => {
            sec1.push(if *odd { 0x03 } else { 0x02 });
            sec1.extend_from_slice(x);
        }
        Some(Cbor::Bytes(y)) if y.len() == 32 => {
            sec1.push(0x04);
            sec1.extend_from_slice(x);
            sec1.extend_from_slice(y);
        }
        _ => return Err(FormatError::BadHolderKey),
    }
    let point =
        EncodedPoint::<p256::NistP256>::from_bytes(&sec1).map_err(|_| FormatError::BadHolderKey)?;
    Option::from(p256::PublicKey::from_encoded_point(&point)).ok_or(FormatError::BadHolderKey)
}

/// The `cnf` value for a holder key: a compressed EC2 COSE_Key (`y` is the sign bit).
pub fn cnf_value(key: &p256::PublicKey) -> Cbor {
    let point = key.to_encoded_point(true);
    let bytes = point.as_bytes();
    let odd = bytes.first() == Some(&0x03);
    let x = bytes.get(1..).unwrap_or_default().to_vec();
    Cbor::Map(vec![(
        Cbor::int(1),
        Cbor::Map(vec![
            (Cbor::int(1), Cbor::int(2)),
            (Cbor::int(-1), Cbor::int(1)),
            (Cbor::int(-2), Cbor::Bytes(x)),
            (Cbor::int(-3), Cbor::Bool(odd)),
        ]),
    )])
}

/// How many redacted-claim digests (map keys under `simple(59)` and tag-60 array elements) a
/// value holds at any depth.
pub fn count_digests(v: &Cbor) -> usize {
    match v {
        Cbor::Map(entries) => entries
            .iter()
            .map(|(k, val)| match (k, val) {
                (Cbor::Simple(SIMPLE_REDACTED_KEYS), Cbor::Array(d)) => d.len(),
                _ => count_digests(val),
            })
            .sum(),
        Cbor::Array(items) => items
            .iter()
            .map(|i| match i {
                Cbor::Tag(TAG_REDACTED_ELEMENT, _) => 1,
                other => count_digests(other),
            })
            .sum(),
        Cbor::Tag(_, inner) => count_digests(inner),
        _ => 0,
    }
}

/// Why disclosures do not fit the issuer-signed payload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DisclosureError {
    /// A disclosure is not `[salt, value]`, `[salt, value, key]` or a decoy `[salt]`.
    #[error("a disclosure is not a well-formed salted claim")]
    Malformed,
    /// A salt shorter than 128 bits.
    #[error("a disclosure's salt is shorter than 16 bytes")]
    ShortSalt,
    /// A disclosure whose digest is not in the payload.
    #[error("a disclosure does not match any redacted claim")]
    Unmatched,
    /// The same digest twice (in the payload or among disclosures).
    #[error("a redacted claim appears more than once")]
    Duplicate,
    /// A claim-key disclosure used for an array element, or the reverse.
    #[error("a disclosure is used in the wrong position")]
    WrongShape,
    /// A disclosed key collides with a key already present in the same map.
    #[error("a disclosed claim duplicates a claim already present")]
    DuplicateClaim,
    /// Redaction markers in places the draft does not allow.
    #[error("a redaction marker is misplaced")]
    MisplacedMarker,
    /// Disclosures nested inside disclosures beyond [`cbor::MAX_DEPTH`] levels in total.
    #[error("disclosures are nested too deeply")]
    TooDeep,
}

enum Salted {
    Decoy,
    Element(Cbor),
    Keyed(Cbor, Cbor),
}

struct Entry {
    salted: Salted,
    used: bool,
}

/// Decode one salted disclosure `[salt, value, key?]` or decoy `[salt]`.
fn decode_salted(encoded: &[u8]) -> Result<Salted, DisclosureError> {
    let v = cbor::decode(encoded).map_err(|_| DisclosureError::Malformed)?;
    let items = v.as_array().ok_or(DisclosureError::Malformed)?;
    let salt = items
        .first()
        .and_then(Cbor::as_bytes)
        .ok_or(DisclosureError::Malformed)?;
    if salt.len() < 16 {
        return Err(DisclosureError::ShortSalt);
    }
    match items {
        [_] => Ok(Salted::Decoy),
        [_, value] => Ok(Salted::Element(value.clone())),
        [_, value, key] => match key {
            Cbor::Int(_) => Ok(Salted::Keyed(key.clone(), value.clone())),
            Cbor::Text(t) if !t.is_empty() && t.len() <= 255 => {
                Ok(Salted::Keyed(key.clone(), value.clone()))
            }
            _ => Err(DisclosureError::Malformed),
        },
        _ => Err(DisclosureError::Malformed),
    }
}

/// Apply `disclosures` to an issuer-signed claims map, producing the Validated Disclosed Claims
/// Set: disclosed claims restored in place, undisclosed redactions and decoys removed.
///
/// Fails if any disclosure has no matching digest, if a digest is used twice, or if a restored
/// key duplicates an existing one (draft section "SD-KBT and SD-CWT Verifier Validation", step 7).
pub fn apply_disclosures(claims: &Cbor, disclosures: &[Vec<u8>]) -> Result<Cbor, DisclosureError> {
    let mut table: HashMap<[u8; 32], Entry> = HashMap::with_capacity(disclosures.len());
    for d in disclosures {
        let entry = Entry {
            salted: decode_salted(d)?,
            used: false,
        };
        if table.insert(disclosure_digest(d), entry).is_some() {
            return Err(DisclosureError::Duplicate);
        }
    }
    let out = walk(claims, &mut table, 0)?;
    if table.values().any(|e| !e.used) {
        return Err(DisclosureError::Unmatched);
    }
    Ok(out)
}

fn digest_of(v: &Cbor) -> Result<[u8; 32], DisclosureError> {
    v.as_bytes()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or(DisclosureError::MisplacedMarker)
}

fn take<'t>(
    table: &'t mut HashMap<[u8; 32], Entry>,
    digest: &[u8; 32],
) -> Result<Option<&'t Salted>, DisclosureError> {
    match table.get_mut(digest) {
        None => Ok(None),
        Some(e) if e.used => Err(DisclosureError::Duplicate),
        Some(e) => {
            e.used = true;
            Ok(Some(&e.salted))
        }
    }
}

fn walk(
    v: &Cbor,
    table: &mut HashMap<[u8; 32], Entry>,
    depth: usize,
) -> Result<Cbor, DisclosureError> {
    // Disclosed values are walked too, so bound the total depth, not just each decode.
    if depth > 2 * cbor::MAX_DEPTH {
        return Err(DisclosureError::TooDeep);
    }
    match v {
        Cbor::Map(entries) => {
            let mut out: Vec<(Cbor, Cbor)> = Vec::with_capacity(entries.len());
            let push = |out: &mut Vec<(Cbor, Cbor)>, k: Cbor, v: Cbor| {
                if out.iter().any(|(seen, _)| *seen == k) {
                    return Err(DisclosureError::DuplicateClaim);
                }
                out.push((k, v));
                Ok(())
            };
            for (k, val) in entries {
                if *k == Cbor::Simple(SIMPLE_REDACTED_KEYS) {
                    let digests = val.as_array().ok_or(DisclosureError::MisplacedMarker)?;
                    for d in digests {
                        let digest = digest_of(d)?;
                        let disclosed = match take(table, &digest)? {
                            None | Some(Salted::Decoy) => None,
                            Some(Salted::Keyed(key, value)) => Some((key.clone(), value.clone())),
                            Some(Salted::Element(_)) => return Err(DisclosureError::WrongShape),
                        };
                        if let Some((key, value)) = disclosed {
                            let value = walk(&value, table, depth + 1)?;
                            push(&mut out, key, value)?;
                        }
                    }
                } else if matches!(k, Cbor::Simple(_) | Cbor::Tag(..)) {
                    return Err(DisclosureError::MisplacedMarker);
                } else {
                    let value = walk(val, table, depth + 1)?;
                    push(&mut out, k.clone(), value)?;
                }
            }
            Ok(Cbor::Map(out))
        }
        Cbor::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                if let Cbor::Tag(TAG_REDACTED_ELEMENT, inner) = item {
                    let digest = digest_of(inner)?;
                    let disclosed = match take(table, &digest)? {
                        None | Some(Salted::Decoy) => None,
                        Some(Salted::Element(value)) => Some(value.clone()),
                        Some(Salted::Keyed(..)) => return Err(DisclosureError::WrongShape),
                    };
                    if let Some(value) = disclosed {
                        out.push(walk(&value, table, depth + 1)?);
                    }
                } else {
                    out.push(walk(item, table, depth + 1)?);
                }
            }
            Ok(Cbor::Array(out))
        }
        Cbor::Tag(TAG_REDACTED_ELEMENT, _) => Err(DisclosureError::MisplacedMarker),
        Cbor::Tag(t, inner) => Ok(Cbor::Tag(*t, Box::new(walk(inner, table, depth + 1)?))),
        other => Ok(other.clone()),
    }
}
