//! Status List Tokens: signing a list as a CWT (issuer side) and verifying one (verifier side).
//!
//! Owns the COSE_Sign1 envelope, the protected header checks (ES256, `typ`), the claim set and
//! the clock checks. A [`StatusListToken`] can only be obtained from [`StatusListToken::verify`],
//! so holding one means its signature was checked against a trusted key. Signing keys are only
//! borrowed, never stored or printed.

use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use super::{StatusBits, StatusError, StatusList, TokenStatus};
use crate::credential::cbor::{self, Cbor};
use crate::credential::sd_cwt;
use crate::signature::Backend;

/// The protected `typ` (COSE header 16) of a Status List Token in CWT form.
pub const STATUS_LIST_CWT_TYPE: &str = "application/statuslist+cwt";

/// How far a token's `iat` may lie in the verifier's future, for clocks that drift.
pub const ISSUED_AT_SKEW_SECONDS: u64 = 60;

const HEADER_TYP: i64 = 16;
const CLAIM_ISS: i64 = 1;
const CLAIM_SUB: i64 = 2;
const CLAIM_EXP: i64 = 4;
const CLAIM_IAT: i64 = 6;
const CLAIM_TTL: i64 = 65_534;
const CLAIM_STATUS_LIST: i64 = 65_533;
const FIELD_BITS: &str = "bits";
const FIELD_LST: &str = "lst";
/// More claims than any status list token needs; bounds the duplicate-claim check.
const MAX_CLAIMS: usize = 32;
/// CBOR tag 18: COSE_Sign1.
const COSE_SIGN1_TAG: u64 = 18;
const HEADER_ALG: i64 = 1;
const HEADER_KID: i64 = 4;
const ES256: i64 = -7;

/// Issuer side: a status list being filled, then signed as a Status List Token.
#[derive(Debug, Clone)]
pub struct StatusListBuilder {
    uri: String,
    list: StatusList,
    ttl_seconds: Option<u64>,
    expires_at: Option<u64>,
}

impl StatusListBuilder {
    /// A list published at `uri` with room for at least `entries` credentials, all valid.
    pub fn new(uri: &str, entries: u64, bits: StatusBits) -> Result<Self, StatusError> {
        if uri.is_empty() {
            return Err(StatusError::EmptyUri);
        }
        Ok(Self {
            uri: uri.to_owned(),
            list: StatusList::new(entries, bits)?,
            ttl_seconds: None,
            expires_at: None,
        })
    }

    /// Sets the status of entry `idx`.
    pub fn set(&mut self, idx: u64, status: TokenStatus) -> Result<(), StatusError> {
        self.list.set(idx, status)
    }

    /// The list as built so far.
    pub fn list(&self) -> &StatusList {
        &self.list
    }

    /// How long verifiers may use the list before fetching it again (`ttl`).
    pub fn time_to_live(&mut self, seconds: u64) -> &mut Self {
        self.ttl_seconds = Some(seconds);
        self
    }

    /// When the token stops being acceptable at all (`exp`).
    pub fn expires_at(&mut self, unix_seconds: u64) -> &mut Self {
        self.expires_at = Some(unix_seconds);
        self
    }

    /// Signs the list with ES256 under `kid`, issued at `issued_at`; returns the tagged
    /// COSE_Sign1 bytes to publish at the list URI.
    pub fn sign(
        &self,
        key: &SigningKey,
        kid: &[u8],
        issued_at: u64,
    ) -> Result<Vec<u8>, StatusError> {
        let mut claims = vec![
            (int(CLAIM_SUB), Cbor::Text(self.uri.clone())),
            (int(CLAIM_IAT), Cbor::Int(issued_at.into())),
        ];
        if let Some(exp) = self.expires_at {
            claims.push((int(CLAIM_EXP), Cbor::Int(exp.into())));
        }
        if let Some(ttl) = self.ttl_seconds {
            claims.push((int(CLAIM_TTL), Cbor::Int(ttl.into())));
        }
        let status_list = Cbor::Map(vec![
            (
                Cbor::Text(FIELD_BITS.into()),
                Cbor::Int(self.list.bits().count().into()),
            ),
            (
                Cbor::Text(FIELD_LST.into()),
                Cbor::Bytes(self.list.compress()),
            ),
        ]);
        claims.push((int(CLAIM_STATUS_LIST), status_list));
        let payload = Cbor::Map(claims).to_vec();
        // Header labels in ascending order: alg, kid, typ.
        let protected = Cbor::Map(vec![
            (int(HEADER_ALG), int(ES256)),
            (int(HEADER_KID), Cbor::Bytes(kid.to_vec())),
            (int(HEADER_TYP), Cbor::Text(STATUS_LIST_CWT_TYPE.into())),
        ])
        .to_vec();
        let signature: Signature = key
            .try_sign(&sd_cwt::to_be_signed(&protected, &payload))
            .map_err(|_| StatusError::SigningFailed)?;
        Ok(Cbor::Tag(
            COSE_SIGN1_TAG,
            Box::new(Cbor::Array(vec![
                Cbor::Bytes(protected),
                Cbor::Map(Vec::new()),
                Cbor::Bytes(payload),
                Cbor::Bytes(signature.to_bytes().to_vec()),
            ])),
        )
        .to_vec())
    }
}

/// The status issuer keys a verifier trusts, by COSE key id.
#[derive(Debug, Clone, Default)]
pub struct StatusIssuerKeys {
    keys: Vec<(Vec<u8>, VerifyingKey)>,
}

impl StatusIssuerKeys {
    /// An empty trust list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Trusts `key` for status lists signed under `kid`, replacing any key with that id.
    pub fn insert(&mut self, kid: &[u8], key: VerifyingKey) {
        self.keys.retain(|(existing, _)| existing != kid);
        self.keys.push((kid.to_vec(), key));
    }

    fn get(&self, kid: &[u8]) -> Option<&VerifyingKey> {
        self.keys
            .iter()
            .find(|(existing, _)| existing == kid)
            .map(|(_, key)| key)
    }
}

/// A Status List Token whose signature, type and validity period have been checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusListToken {
    uri: String,
    issuer: Option<String>,
    kid: Vec<u8>,
    issued_at: u64,
    expires_at: Option<u64>,
    ttl_seconds: Option<u64>,
    list: StatusList,
    digest: [u8; 32],
}

impl StatusListToken {
    /// Verifies token bytes as fetched from a status list URI: COSE_Sign1 shape, ES256, `typ`,
    /// a trusted `kid`, the signature, the claims, `iat` not in the future (beyond
    /// [`ISSUED_AT_SKEW_SECONDS`]) and `exp` not passed, then decompresses the list.
    pub fn verify(bytes: &[u8], trusted: &StatusIssuerKeys, now: u64) -> Result<Self, StatusError> {
        Self::verify_by(Backend::DEFAULT, bytes, trusted, now)
    }

    /// [`Self::verify`] with signatures checked by `backend` instead of this build's default, so
    /// one test binary can hold the backends to the same verdicts (`tests/verify_backends.rs`).
    #[cfg(feature = "test-support")]
    pub fn verify_with_backend(
        backend: Backend,
        bytes: &[u8],
        trusted: &StatusIssuerKeys,
        now: u64,
    ) -> Result<Self, StatusError> {
        Self::verify_by(backend, bytes, trusted, now)
    }

    fn verify_by(
        backend: Backend,
        bytes: &[u8],
        trusted: &StatusIssuerKeys,
        now: u64,
    ) -> Result<Self, StatusError> {
        let not_sign1 = || StatusError::Malformed("not a COSE_Sign1 structure");
        let value = cbor::decode(bytes).map_err(|_| not_sign1())?;
        // Tagged (18) or untagged, as RFC 9052 allows.
        let sign1 = match &value {
            Cbor::Tag(COSE_SIGN1_TAG, inner) => inner.as_ref(),
            Cbor::Tag(..) => return Err(not_sign1()),
            other => other,
        };
        let [protected, unprotected, payload, signature] = sign1
            .as_array()
            .and_then(|a| <&[Cbor; 4]>::try_from(a).ok())
            .ok_or_else(not_sign1)?;
        let protected_bytes = protected.as_bytes().ok_or_else(not_sign1)?;
        let header = if protected_bytes.is_empty() {
            Cbor::Map(Vec::new())
        } else {
            cbor::decode(protected_bytes).map_err(|_| not_sign1())?
        };
        if header.as_map().is_none() || unprotected.as_map().is_none() {
            return Err(not_sign1());
        }
        let signature = signature.as_bytes().ok_or_else(not_sign1)?;

        if header.get_int(HEADER_TYP).and_then(Cbor::as_text) != Some(STATUS_LIST_CWT_TYPE) {
            return Err(StatusError::WrongType);
        }
        if header.get_int(HEADER_ALG).and_then(Cbor::as_i64) != Some(ES256) {
            return Err(StatusError::UnsupportedAlgorithm);
        }
        // The key id is looked up in the protected header only: an unprotected kid could be
        // swapped without breaking the signature.
        let kid = match header.get_int(HEADER_KID) {
            None => Vec::new(),
            Some(kid) => kid.as_bytes().ok_or_else(not_sign1)?.to_vec(),
        };
        let key = trusted.get(&kid).ok_or_else(|| StatusError::UnknownKey {
            kid_hex: hex::encode(&kid),
        })?;
        let payload = payload
            .as_bytes()
            .ok_or(StatusError::Malformed("the token has no payload"))?;
        if !backend.verify_es256(
            key,
            &sd_cwt::to_be_signed(protected_bytes, payload),
            signature,
        ) {
            return Err(StatusError::BadSignature);
        }

        let claims = Claims::parse(payload)?;
        if let Some(expired_at) = claims.expires_at
            && now >= expired_at
        {
            return Err(StatusError::Expired { expired_at, now });
        }
        if claims.issued_at > now.saturating_add(ISSUED_AT_SKEW_SECONDS) {
            return Err(StatusError::IssuedInFuture {
                issued_at: claims.issued_at,
                now,
            });
        }
        let list = StatusList::decompress(claims.bits, &claims.lst)?;
        Ok(Self {
            uri: claims.uri,
            issuer: claims.issuer,
            kid,
            issued_at: claims.issued_at,
            expires_at: claims.expires_at,
            ttl_seconds: claims.ttl_seconds,
            list,
            digest: Sha256::digest(bytes).into(),
        })
    }

    /// SHA-256 of the token bytes as received: two lists with the same `iat` but different
    /// digests are a conflict the rollback guard refuses (see [`super::StatusHighWater`]).
    pub fn digest(&self) -> [u8; 32] {
        self.digest
    }

    /// The list URI (`sub`), which credentials name in their status reference.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// The `iss` claim, if the issuer set one.
    pub fn issuer(&self) -> Option<&str> {
        self.issuer.as_deref()
    }

    /// The key id the token was verified under.
    pub fn kid(&self) -> &[u8] {
        &self.kid
    }

    /// `iat`, Unix seconds.
    pub fn issued_at(&self) -> u64 {
        self.issued_at
    }

    /// `exp`, Unix seconds, if set.
    pub fn expires_at(&self) -> Option<u64> {
        self.expires_at
    }

    /// `ttl` in seconds, if set.
    pub fn time_to_live(&self) -> Option<u64> {
        self.ttl_seconds
    }

    /// The decoded list.
    pub fn list(&self) -> &StatusList {
        &self.list
    }
}

/// The claims of a Status List Token, before the list is decompressed.
struct Claims {
    uri: String,
    issuer: Option<String>,
    issued_at: u64,
    expires_at: Option<u64>,
    ttl_seconds: Option<u64>,
    bits: StatusBits,
    lst: Vec<u8>,
}

impl Claims {
    fn parse(payload: &[u8]) -> Result<Self, StatusError> {
        let mut value = cbor::decode(payload).map_err(|e| match e {
            cbor::CborError::DuplicateKey => StatusError::Malformed("a claim appears twice"),
            _ => StatusError::Malformed("the claims are not CBOR"),
        })?;
        let entries = match &mut value {
            Cbor::Map(entries) => std::mem::take(entries),
            _ => return Err(StatusError::Malformed("the claims are not a CBOR map")),
        };
        if entries.len() > MAX_CLAIMS {
            return Err(StatusError::Malformed("the token has too many claims"));
        }
        let mut uri = None;
        let mut issuer = None;
        let mut issued_at = None;
        let mut expires_at = None;
        let mut ttl_seconds = None;
        let mut status_list = None;
        let mut seen = Vec::with_capacity(entries.len());
        for (key, value) in entries {
            if seen.contains(&key) {
                return Err(StatusError::Malformed("a claim appears twice"));
            }
            seen.push(key.clone());
            let Some(label) = key.as_i64() else {
                // Text-keyed claims are not part of this profile; ignore them like unknown ones.
                continue;
            };
            match label {
                CLAIM_SUB => uri = Some(text(value, "`sub` must be a text string")?),
                CLAIM_ISS => issuer = Some(text(value, "`iss` must be a text string")?),
                CLAIM_IAT => issued_at = Some(uint(&value, "`iat` must be an unsigned integer")?),
                CLAIM_EXP => expires_at = Some(uint(&value, "`exp` must be an unsigned integer")?),
                CLAIM_TTL => ttl_seconds = Some(uint(&value, "`ttl` must be an unsigned integer")?),
                CLAIM_STATUS_LIST => status_list = Some(value),
                _ => {}
            }
        }
        let uri = uri.ok_or(StatusError::Malformed(
            "the `sub` claim (list URI) is missing",
        ))?;
        if uri.is_empty() {
            return Err(StatusError::Malformed(
                "the `sub` claim (list URI) is empty",
            ));
        }
        let issued_at = issued_at.ok_or(StatusError::Malformed("the `iat` claim is missing"))?;
        let status_list =
            status_list.ok_or(StatusError::Malformed("the `status_list` claim is missing"))?;
        let (bits, lst) = parse_status_list(status_list)?;
        Ok(Self {
            uri,
            issuer,
            issued_at,
            expires_at,
            ttl_seconds,
            bits,
            lst,
        })
    }
}

fn parse_status_list(mut value: Cbor) -> Result<(StatusBits, Vec<u8>), StatusError> {
    let fields = match &mut value {
        Cbor::Map(fields) => std::mem::take(fields),
        _ => return Err(StatusError::Malformed("`status_list` is not a map")),
    };
    let mut bits = None;
    let mut lst = None;
    for (key, value) in fields {
        match key.as_text() {
            Some(FIELD_BITS) if bits.is_none() => {
                bits = Some(StatusBits::from_count(uint(
                    &value,
                    "`bits` must be an unsigned integer",
                )?)?);
            }
            Some(FIELD_LST) if lst.is_none() => match value.as_bytes() {
                Some(bytes) => lst = Some(bytes.to_vec()),
                None => return Err(StatusError::Malformed("`lst` must be a byte string")),
            },
            Some(FIELD_BITS | FIELD_LST) => {
                return Err(StatusError::Malformed("`status_list` repeats a field"));
            }
            _ => {}
        }
    }
    Ok((
        bits.ok_or(StatusError::Malformed("`status_list` has no `bits`"))?,
        lst.ok_or(StatusError::Malformed("`status_list` has no `lst`"))?,
    ))
}

fn int(label: i64) -> Cbor {
    Cbor::int(label)
}

fn text(value: Cbor, problem: &'static str) -> Result<String, StatusError> {
    value
        .as_text()
        .map(str::to_owned)
        .ok_or(StatusError::Malformed(problem))
}

fn uint(value: &Cbor, problem: &'static str) -> Result<u64, StatusError> {
    match value {
        Cbor::Int(i) => u64::try_from(*i).ok(),
        _ => None,
    }
    .ok_or(StatusError::Malformed(problem))
}
