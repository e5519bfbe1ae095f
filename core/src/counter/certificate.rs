//! The counter certificate: a registrar's signature over a counter's key and what that counter
//! may do (docs/FORMAT.md §13.1), the registrar keys a wallet trusts, and the development
//! registrar that signs certificates for tests, the demo and `netid issuer register-counter`.
//!
//! This module must never accept a certificate whose registrar is not in the trust list, whose
//! signature fails, or that is outside its (or its registrar's) validity window, and never
//! certify a counter whose requests could not fit the request code's size (§13.4).

use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use rand_core::OsRng;
use zeroize::Zeroizing;

use super::{OpenedSign1, RequestError, purpose_claims, sign1};
use crate::credential::cbor::Cbor;
use crate::credential::{ClaimName, Purpose};
use crate::time::{CivilDate, UnixTime};

/// Longest counter id, in bytes (lower-case ASCII letters, digits, `-`, `.`, `_`).
pub const MAX_COUNTER_ID_LEN: usize = 32;
/// Longest Chinese display name, in characters.
pub const MAX_NAME_ZH_CHARS: usize = 16;
/// Longest English display name, in characters.
pub const MAX_NAME_EN_CHARS: usize = 32;
/// Longest retention a certificate may state, in days (ten years).
pub const MAX_KEEPS_DAYS: u16 = 3_650;

/// Signs certificates: `external_aad` of their COSE_Sign1.
pub(super) const CERTIFICATE_AAD: &[u8] = b"netid counter certificate v1";
const KID: i64 = 4;

/// A registrar key a wallet trusts to certify counters (trust list, FORMAT.md §8).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustedRegistrar {
    /// The registrar's name, shown to the resident with the counter's.
    pub registrar: String,
    /// The key id in a certificate's protected `kid` header.
    pub kid: Vec<u8>,
    /// The public key.
    pub key: p256::PublicKey,
    /// Certificates are believed only while the registrar key is in its window.
    pub not_before: UnixTime,
    /// End of the registrar key's window (inclusive).
    pub not_after: UnixTime,
}

/// What a registrar certifies about one counter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CounterRegistration {
    /// The counter's id: the `aud` its codes are bound to.
    pub id: String,
    /// Display name in Chinese (zh-CN).
    pub name_zh: String,
    /// Display name in English.
    pub name_en: String,
    /// The purposes it may ask for.
    pub purposes: Vec<Purpose>,
    /// The claims it may ask for; `None`: its purposes' claims (FORMAT.md §13.1).
    pub claims: Option<Vec<ClaimName>>,
    /// How long it may keep what it receives, in days (0: it keeps nothing).
    pub keeps_days: u16,
    /// First day the certificate is valid (from 00:00 UTC).
    pub valid_from: CivilDate,
    /// First day it is no longer valid (from 00:00 UTC).
    pub valid_until: CivilDate,
    /// The counter's request-signing key.
    pub key: p256::PublicKey,
}

/// A certificate that verified under a trusted registrar key and is valid now. Only
/// [`CounterCertificate::verify`] makes one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CounterCertificate {
    registration: CounterRegistration,
    registrar: String,
}

impl CounterCertificate {
    /// The counter's registered id.
    pub fn id(&self) -> &str {
        &self.registration.id
    }
    /// Its registered Chinese name.
    pub fn name_zh(&self) -> &str {
        &self.registration.name_zh
    }
    /// Its registered English name.
    pub fn name_en(&self) -> &str {
        &self.registration.name_en
    }
    /// The purposes it may ask for.
    pub fn purposes(&self) -> &[Purpose] {
        &self.registration.purposes
    }
    /// How long it may keep what it receives, in days.
    pub fn keeps_days(&self) -> u16 {
        self.registration.keeps_days
    }
    /// The registrar that certified it.
    pub fn registrar(&self) -> &str {
        &self.registrar
    }
    /// Its request-signing key.
    pub fn key(&self) -> &p256::PublicKey {
        &self.registration.key
    }
    /// The whole registration.
    pub fn registration(&self) -> &CounterRegistration {
        &self.registration
    }

    /// Whether it allows a request for `purpose` disclosing `claims`: the purpose must be
    /// certified, and each claim either listed in the certificate or, when it lists none, in one
    /// of its purposes' claim sets.
    pub fn allows(&self, purpose: Purpose, claims: &[ClaimName]) -> Result<(), RequestError> {
        allows(&self.registration, purpose, claims)
    }

    /// Verifies a certificate (the CBOR value embedded in a request) against `registrars` at
    /// `now`.
    pub(super) fn verify(
        value: &Cbor,
        registrars: &[TrustedRegistrar],
        now: UnixTime,
    ) -> Result<Self, RequestError> {
        const WHAT: &str = "the counter certificate is damaged";
        let opened = OpenedSign1::open(value, &[1, KID], WHAT)?;
        let kid = opened
            .protected
            .get_int(KID)
            .and_then(Cbor::as_bytes)
            .ok_or(RequestError::Malformed(WHAT))?;
        let registration = decode_registration(&opened.payload)?;
        let registrar = registrars
            .iter()
            .find(|r| r.kid == kid)
            .ok_or(RequestError::UnknownRegistrar)?;
        if !opened.signed_by(&registrar.key, CERTIFICATE_AAD) {
            return Err(RequestError::BadCertificateSignature);
        }
        let (from, until) = window(&registration);
        if now < from || now >= until || now < registrar.not_before || now > registrar.not_after {
            return Err(RequestError::CertificateNotValid);
        }
        Ok(Self {
            registration,
            registrar: registrar.registrar.clone(),
        })
    }
}

pub(super) fn allows(
    registration: &CounterRegistration,
    purpose: Purpose,
    claims: &[ClaimName],
) -> Result<(), RequestError> {
    if !registration.purposes.contains(&purpose) {
        return Err(RequestError::PurposeNotCertified(purpose));
    }
    let allowed = |c: &ClaimName| match &registration.claims {
        Some(listed) => listed.contains(c),
        None => registration
            .purposes
            .iter()
            .any(|p| purpose_claims(*p).contains(c)),
    };
    match claims.iter().find(|c| !allowed(c)) {
        Some(c) => Err(RequestError::ClaimNotCertified(*c)),
        None => Ok(()),
    }
}

fn window(registration: &CounterRegistration) -> (UnixTime, UnixTime) {
    (
        registration.valid_from.start_utc(),
        registration.valid_until.start_utc(),
    )
}

/// Why a registrar refused to certify a counter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistrationError {
    /// A field is out of range or badly formed.
    #[error("the registration's {what} is not acceptable: {why}")]
    Invalid {
        /// The field.
        what: &'static str,
        /// Why.
        why: &'static str,
    },
    /// The counter's largest request would not fit a version-12 QR code at level M.
    #[error(
        "this counter's requests would be {bytes} bytes, {over} over the {limit}-byte limit of a version-12 QR code; shorten its id or names by {over} bytes (a Chinese character takes 3)"
    )]
    TooLarge {
        /// The largest request's size.
        bytes: usize,
        /// The limit.
        limit: usize,
        /// By how much it is over.
        over: usize,
    },
    /// The registrar key could not be read.
    #[error("the registrar key could not be read: {0}")]
    Key(&'static str),
}

fn invalid(what: &'static str, why: &'static str) -> RegistrationError {
    RegistrationError::Invalid { what, why }
}

/// A display name a resident can trust to read as certified: no control characters, no
/// invisible direction marks or overrides that could make one name look like another.
fn plain_name(name: &str, max_chars: usize) -> Result<(), &'static str> {
    let chars = name.chars().count();
    if chars == 0 || chars > max_chars {
        return Err("it is empty or too long");
    }
    if name.trim() != name {
        return Err("it must not begin or end with spaces");
    }
    let hidden = |c: char| {
        c.is_control()
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{061C}' | '\u{FEFF}')
    };
    if name.chars().any(hidden) {
        return Err("it contains control or invisible formatting characters");
    }
    Ok(())
}

/// Checks every field a certificate carries (both when registering and when reading one).
fn check_registration(r: &CounterRegistration) -> Result<(), RegistrationError> {
    if r.id.is_empty()
        || r.id.len() > MAX_COUNTER_ID_LEN
        || !r
            .id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-._".contains(&b))
    {
        return Err(invalid(
            "counter id",
            "use 1 to 32 lower-case letters, digits, '-', '.' or '_'",
        ));
    }
    plain_name(&r.name_zh, MAX_NAME_ZH_CHARS)
        .map_err(|why| invalid("Chinese name (up to 16 characters)", why))?;
    plain_name(&r.name_en, MAX_NAME_EN_CHARS)
        .map_err(|why| invalid("English name (up to 32 characters)", why))?;
    if r.purposes.is_empty() || has_duplicates(&r.purposes) {
        return Err(invalid("purposes", "list each purpose once, at least one"));
    }
    if let Some(claims) = &r.claims
        && (claims.is_empty() || has_duplicates(claims))
    {
        return Err(invalid("claims", "list each claim once, at least one"));
    }
    if r.keeps_days > MAX_KEEPS_DAYS {
        return Err(invalid("retention", "at most 3650 days"));
    }
    if r.valid_until <= r.valid_from {
        return Err(invalid("validity", "the end must come after the start"));
    }
    Ok(())
}

fn has_duplicates<T: PartialEq>(items: &[T]) -> bool {
    items
        .iter()
        .enumerate()
        .any(|(i, a)| items[..i].contains(a))
}

fn purposes_mask(purposes: &[Purpose]) -> u64 {
    purposes.iter().fold(0, |m, p| m | 1 << p.code())
}

pub(super) fn claims_mask(claims: &[ClaimName]) -> u64 {
    claims.iter().fold(0, |m, c| m | 1 << c.key())
}

pub(super) fn claims_from_mask(mask: i64) -> Option<Vec<ClaimName>> {
    let known = claims_mask(&ClaimName::ALL) as i64;
    if mask <= 0 || mask & !known != 0 {
        return None;
    }
    Some(
        ClaimName::ALL
            .into_iter()
            .filter(|c| mask & (1 << c.key()) != 0)
            .collect(),
    )
}

fn purposes_from_mask(mask: i64) -> Option<Vec<Purpose>> {
    let known = purposes_mask(&Purpose::ALL) as i64;
    if mask <= 0 || mask & !known != 0 {
        return None;
    }
    Some(
        Purpose::ALL
            .into_iter()
            .filter(|p| mask & (1 << p.code()) != 0)
            .collect(),
    )
}

/// The payload array (FORMAT.md §13.1).
fn encode_registration(r: &CounterRegistration) -> Cbor {
    Cbor::Array(vec![
        Cbor::Text(r.id.clone()),
        Cbor::Text(r.name_zh.clone()),
        Cbor::Text(r.name_en.clone()),
        Cbor::int(purposes_mask(&r.purposes) as i64),
        Cbor::int(r.claims.as_deref().map_or(0, claims_mask) as i64),
        Cbor::int(i64::from(r.keeps_days)),
        Cbor::int(r.valid_from.days_since_epoch()),
        Cbor::int(r.valid_until.days_since_epoch()),
        Cbor::Bytes(r.key.to_encoded_point(true).as_bytes().to_vec()),
    ])
}

pub(super) fn decode_registration(payload: &Cbor) -> Result<CounterRegistration, RequestError> {
    const WHAT: &str = "the counter certificate's contents are damaged";
    let bad = || RequestError::Malformed(WHAT);
    let [
        id,
        name_zh,
        name_en,
        purposes,
        claims,
        keeps,
        from,
        until,
        key,
    ] = payload
        .as_array()
        .and_then(|a| <&[Cbor; 9]>::try_from(a).ok())
        .ok_or_else(bad)?;
    let text = |v: &Cbor| v.as_text().map(str::to_owned).ok_or_else(bad);
    let day = |v: &Cbor| {
        v.as_i64()
            .and_then(CivilDate::from_days_since_epoch_checked)
            .ok_or_else(bad)
    };
    let claims = match claims.as_i64().ok_or_else(bad)? {
        0 => None,
        mask => Some(claims_from_mask(mask).ok_or_else(bad)?),
    };
    let key = key
        .as_bytes()
        .filter(|k| k.len() == 33)
        .and_then(|k| p256::PublicKey::from_sec1_bytes(k).ok())
        .ok_or_else(bad)?;
    let registration = CounterRegistration {
        id: text(id)?,
        name_zh: text(name_zh)?,
        name_en: text(name_en)?,
        purposes: purposes
            .as_i64()
            .and_then(purposes_from_mask)
            .ok_or_else(bad)?,
        claims,
        keeps_days: keeps
            .as_i64()
            .and_then(|d| u16::try_from(d).ok())
            .ok_or_else(bad)?,
        valid_from: day(from)?,
        valid_until: day(until)?,
        key,
    };
    check_registration(&registration).map_err(|_| bad())?;
    Ok(registration)
}

/// The development registrar: certifies counters for tests, the demo and
/// `netid issuer register-counter`. A real registrar is a separate authority.
pub struct Registrar {
    name: String,
    kid: Vec<u8>,
    key: p256::ecdsa::SigningKey,
}

impl std::fmt::Debug for Registrar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registrar")
            .field("name", &self.name)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl Registrar {
    /// A registrar with a fresh random key.
    pub fn generate(name: &str, kid: &[u8]) -> Self {
        Self {
            name: name.to_owned(),
            kid: kid.to_vec(),
            key: p256::ecdsa::SigningKey::random(&mut OsRng),
        }
    }

    /// From a PKCS#8 PEM private key.
    pub fn from_pkcs8_pem(pem: &str, name: &str, kid: &[u8]) -> Result<Self, RegistrationError> {
        let key = p256::ecdsa::SigningKey::from_pkcs8_pem(pem)
            .map_err(|_| RegistrationError::Key("not a PKCS#8 P-256 private key"))?;
        Ok(Self {
            name: name.to_owned(),
            kid: kid.to_vec(),
            key,
        })
    }

    /// From fixed scalar bytes: deterministic tests and FORMAT.md's worked example only.
    pub fn from_scalar_bytes(bytes: &[u8; 32], name: &str, kid: &[u8]) -> Option<Self> {
        p256::ecdsa::SigningKey::from_slice(bytes)
            .ok()
            .map(|key| Self {
                name: name.to_owned(),
                kid: kid.to_vec(),
                key,
            })
    }

    /// The private key as PKCS#8 PEM, in a buffer wiped on drop.
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>, RegistrationError> {
        self.key
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|_| RegistrationError::Key("the key could not be encoded"))
    }

    /// Its trust-list entry, trusted from `not_before` to `not_after`.
    pub fn trust_entry(&self, not_before: UnixTime, not_after: UnixTime) -> TrustedRegistrar {
        TrustedRegistrar {
            registrar: self.name.clone(),
            kid: self.kid.clone(),
            key: p256::PublicKey::from(self.key.verifying_key()),
            not_before,
            not_after,
        }
    }

    /// Certifies a counter: the certificate's bytes (an untagged COSE_Sign1), refused when a field
    /// is out of range or the counter's largest request would not fit a version-12 QR code.
    pub fn register(&self, r: &CounterRegistration) -> Result<Vec<u8>, RegistrationError> {
        check_registration(r)?;
        let protected = Cbor::Map(vec![
            (Cbor::int(1), Cbor::int(-7)),
            (Cbor::int(KID), Cbor::Bytes(self.kid.clone())),
        ]);
        let certificate = sign1(
            &protected,
            &encode_registration(r),
            CERTIFICATE_AAD,
            &self.key,
        );
        let bytes = super::request::largest_request_len(&certificate, r);
        let limit = super::request::MAX_REQUEST_BYTES;
        if bytes > limit {
            return Err(RegistrationError::TooLarge {
                bytes,
                limit,
                over: bytes - limit,
            });
        }
        Ok(certificate.to_vec())
    }
}
