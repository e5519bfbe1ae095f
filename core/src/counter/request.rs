//! The counter's signed request (docs/FORMAT.md §13.2): what a registered counter asks for, with
//! a fresh nonce and a short expiry, signed by the key its certificate certifies; the counter's
//! side ([`CounterSigner`], [`IssuedRequest`]) and the wallet's check ([`verify_request`]).
//!
//! This module must never return a [`VerifiedRequest`] before the certificate chain, both
//! signatures, both validity windows and the request's scope have been checked, and never let a
//! counter sign a request its own certificate does not allow (outside tests).

use rand_core::{OsRng, RngCore};

use super::certificate::{self, CounterCertificate, CounterRegistration, TrustedRegistrar};
use super::{OpenedSign1, RequestError, purpose_claims, sign1};
use crate::base45;
use crate::credential::cbor::{self, Cbor};
use crate::credential::{ClaimName, Purpose};
use crate::time::UnixTime;

/// What a request's QR text begins with.
pub const REQUEST_TEXT_PREFIX: &str = "NRQ1:";
/// The request nonce's length, in bytes (128 bits of freshness).
pub const REQUEST_NONCE_LEN: usize = 16;
/// Longest a request may live, in seconds: long enough to read the consent screen.
pub const MAX_REQUEST_LIFETIME_SECS: u32 = 300;
/// Clock difference tolerated between phone and counter when judging a request's expiry.
pub const REQUEST_SKEW_SECS: i64 = 60;
/// Largest request, in bytes: its QR text (prefix + Base45) then fits 419 alphanumeric
/// characters, a version-12 QR code at level M (FORMAT.md §13.4).
pub const MAX_REQUEST_BYTES: usize = 276;
/// Largest request text read at all (a request from another registrar's larger certificate is
/// still checked, not cut off).
const MAX_REQUEST_TEXT: usize = 2_048;

pub(super) const REQUEST_AAD: &[u8] = b"netid counter request v1";

/// A counter's record of a request it signed: what the answer must match. The counter keeps it
/// (in memory, or a shared store for a service) until the answer arrives or it expires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedRequest {
    counter_id: String,
    purpose: Purpose,
    claims: Option<Vec<ClaimName>>,
    nonce: [u8; REQUEST_NONCE_LEN],
    expires: UnixTime,
}

impl IssuedRequest {
    /// Rebuilds the record from a counter's own store (e.g. the verification service's).
    pub fn from_parts(
        counter_id: String,
        purpose: Purpose,
        claims: Option<Vec<ClaimName>>,
        nonce: [u8; REQUEST_NONCE_LEN],
        expires: UnixTime,
    ) -> Self {
        Self {
            counter_id,
            purpose,
            claims,
            nonce,
            expires,
        }
    }
    /// The counter id the answer's `aud` must equal.
    pub fn counter_id(&self) -> &str {
        &self.counter_id
    }
    /// The purpose asked for.
    pub fn purpose(&self) -> Purpose {
        self.purpose
    }
    /// The claims asked for by name, if not the purpose's set.
    pub fn claims(&self) -> Option<&[ClaimName]> {
        self.claims.as_deref()
    }
    /// The nonce the answer's `cnonce` must equal.
    pub fn nonce(&self) -> &[u8; REQUEST_NONCE_LEN] {
        &self.nonce
    }
    /// When the request stops being answerable.
    pub fn expires(&self) -> UnixTime {
        self.expires
    }
}

/// A counter's request-signing key with its certificate.
pub struct CounterSigner {
    certificate: Cbor,
    registration: CounterRegistration,
    key: p256::ecdsa::SigningKey,
}

impl std::fmt::Debug for CounterSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CounterSigner")
            .field("counter", &self.registration.id)
            .finish_non_exhaustive()
    }
}

impl CounterSigner {
    /// The counter's certificate bytes and its private key (PKCS#8 PEM). The certificate is read
    /// but its registrar is not checked here: the wallet does that.
    pub fn new(certificate: &[u8], key_pem: &str) -> Result<Self, RequestError> {
        use p256::pkcs8::DecodePrivateKey;
        let key = p256::ecdsa::SigningKey::from_pkcs8_pem(key_pem)
            .map_err(|_| RequestError::Malformed("the counter key is not a PKCS#8 P-256 key"))?;
        Self::with_key(certificate, key)
    }

    /// As [`Self::new`], with the key already parsed.
    pub fn with_key(
        certificate: &[u8],
        key: p256::ecdsa::SigningKey,
    ) -> Result<Self, RequestError> {
        const WHAT: &str = "the counter certificate is damaged";
        let value = cbor::decode(certificate).map_err(|_| RequestError::Malformed(WHAT))?;
        let opened = OpenedSign1::open(&value, &[1, 4], WHAT)?;
        let registration = certificate::decode_registration(&opened.payload)?;
        if registration.key != p256::PublicKey::from(key.verifying_key()) {
            return Err(RequestError::Malformed(
                "the counter key is not the one its certificate certifies",
            ));
        }
        Ok(Self {
            certificate: value,
            registration,
            key,
        })
    }

    /// The counter's registered id.
    pub fn counter_id(&self) -> &str {
        &self.registration.id
    }

    /// The certificate's registration (unverified: the counter's own).
    pub fn registration(&self) -> &CounterRegistration {
        &self.registration
    }

    /// Signs a request for `purpose` (and `claims` by name, or the purpose's set) living
    /// `lifetime_secs` from `now`, with a fresh nonce: its QR text and the record to check the
    /// answer against. Refuses what the certificate does not allow.
    pub fn request(
        &self,
        purpose: Purpose,
        claims: Option<Vec<ClaimName>>,
        lifetime_secs: u32,
        now: UnixTime,
    ) -> Result<(String, IssuedRequest), RequestError> {
        certificate::allows(
            &self.registration,
            purpose,
            claims.as_deref().unwrap_or(purpose_claims(purpose)),
        )?;
        if lifetime_secs == 0 || lifetime_secs > MAX_REQUEST_LIFETIME_SECS {
            return Err(RequestError::RequestExpired);
        }
        self.sign(purpose, claims, lifetime_secs, now, None)
    }

    /// As [`Self::request`] with a chosen nonce: FORMAT.md's worked example only.
    #[cfg(any(test, feature = "test-support"))]
    pub fn request_with_nonce(
        &self,
        purpose: Purpose,
        claims: Option<Vec<ClaimName>>,
        nonce: [u8; REQUEST_NONCE_LEN],
        lifetime_secs: u32,
        now: UnixTime,
    ) -> Result<(String, IssuedRequest), RequestError> {
        self.sign(purpose, claims, lifetime_secs, now, Some(nonce))
    }

    /// Signs any request, allowed or not: for tests of the wallet's refusals only.
    #[cfg(any(test, feature = "test-support"))]
    pub fn request_unchecked(
        &self,
        purpose: Purpose,
        claims: Option<Vec<ClaimName>>,
        lifetime_secs: u32,
        now: UnixTime,
    ) -> Result<(String, IssuedRequest), RequestError> {
        self.sign(purpose, claims, lifetime_secs, now, None)
    }

    fn sign(
        &self,
        purpose: Purpose,
        claims: Option<Vec<ClaimName>>,
        lifetime_secs: u32,
        now: UnixTime,
        chosen_nonce: Option<[u8; REQUEST_NONCE_LEN]>,
    ) -> Result<(String, IssuedRequest), RequestError> {
        if claims.as_ref().is_some_and(Vec::is_empty) {
            return Err(RequestError::Malformed(
                "a request must ask for at least one claim",
            ));
        }
        let nonce = chosen_nonce.unwrap_or_else(|| {
            let mut nonce = [0u8; REQUEST_NONCE_LEN];
            OsRng.fill_bytes(&mut nonce);
            nonce
        });
        let expires = now.saturating_add(i64::from(lifetime_secs));
        let bytes = request_value(
            &self.certificate,
            purpose,
            claims.as_deref(),
            &nonce,
            expires,
            &self.key,
        )
        .to_vec();
        let text = format!("{REQUEST_TEXT_PREFIX}{}", base45::encode(&bytes));
        let issued = IssuedRequest {
            counter_id: self.registration.id.clone(),
            purpose,
            claims,
            nonce,
            expires,
        };
        Ok((text, issued))
    }
}

fn request_value(
    certificate: &Cbor,
    purpose: Purpose,
    claims: Option<&[ClaimName]>,
    nonce: &[u8; REQUEST_NONCE_LEN],
    expires: UnixTime,
    key: &p256::ecdsa::SigningKey,
) -> Cbor {
    let payload = Cbor::Array(vec![
        Cbor::int(purpose.code()),
        Cbor::int(claims.map_or(0, certificate::claims_mask) as i64),
        Cbor::Bytes(nonce.to_vec()),
        Cbor::int(expires.as_secs()),
        certificate.clone(),
    ]);
    sign1(
        &Cbor::Map(vec![(Cbor::int(1), Cbor::int(-7))]),
        &payload,
        REQUEST_AAD,
        key,
    )
}

/// The size of the largest request a counter with this certificate can sign: every claim it may
/// ask for listed by name, an expiry in the certificate's window. Signatures are fixed-size, so a
/// throwaway key measures exactly.
pub(super) fn largest_request_len(certificate: &Cbor, r: &CounterRegistration) -> usize {
    let allowed: Vec<ClaimName> = match &r.claims {
        Some(listed) => listed.clone(),
        None => ClaimName::ALL
            .into_iter()
            .filter(|c| r.purposes.iter().any(|p| purpose_claims(*p).contains(c)))
            .collect(),
    };
    let largest_purpose = r.purposes.iter().copied().max_by_key(|p| p.code());
    let key = p256::ecdsa::SigningKey::random(&mut OsRng);
    request_value(
        certificate,
        largest_purpose.unwrap_or(Purpose::GovernmentService),
        Some(&allowed),
        &[0xff; REQUEST_NONCE_LEN],
        r.valid_until.start_utc(),
        &key,
    )
    .encoded_len()
}

/// A request whose certificate chain, signatures, validity and scope all checked out: what the
/// consent screen shows and what the wallet answers. Only [`verify_request`] makes one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedRequest {
    counter: CounterCertificate,
    purpose: Purpose,
    claims: Option<Vec<ClaimName>>,
    nonce: [u8; REQUEST_NONCE_LEN],
    expires: UnixTime,
}

impl VerifiedRequest {
    /// The counter's registered id (the answer's `aud`).
    pub fn counter_id(&self) -> &str {
        self.counter.id()
    }
    /// The counter's registered Chinese name.
    pub fn name_zh(&self) -> &str {
        self.counter.name_zh()
    }
    /// The counter's registered English name.
    pub fn name_en(&self) -> &str {
        self.counter.name_en()
    }
    /// The registrar that certified the counter.
    pub fn registrar(&self) -> &str {
        self.counter.registrar()
    }
    /// How long the counter may keep what it receives, in days.
    pub fn keeps_days(&self) -> u16 {
        self.counter.keeps_days()
    }
    /// The purpose asked for.
    pub fn purpose(&self) -> Purpose {
        self.purpose
    }
    /// The claims asked for by name, or `None` for the purpose's set.
    pub fn claims_by_name(&self) -> Option<&[ClaimName]> {
        self.claims.as_deref()
    }
    /// What the counter will read, for the consent screen: the claims named, or the purpose's
    /// set (for a hotel: name and ID number, from which it reads sex and birth date; for `gov`:
    /// every claim on the card).
    pub fn requested_claims(&self) -> &[ClaimName] {
        self.claims
            .as_deref()
            .unwrap_or(purpose_claims(self.purpose))
    }
    /// Whether it asks for the whole card.
    pub fn asks_full_card(&self) -> bool {
        self.requested_claims().len() == ClaimName::ALL.len()
    }
    /// The nonce the answer carries as `cnonce`.
    pub fn nonce(&self) -> &[u8; REQUEST_NONCE_LEN] {
        &self.nonce
    }
    /// When the request expires (by the counter's clock).
    pub fn expires(&self) -> UnixTime {
        self.expires
    }
    /// Whether it is still answerable at `now` (allowing [`REQUEST_SKEW_SECS`]).
    pub fn live_at(&self, now: UnixTime) -> bool {
        now <= self.expires.saturating_add(REQUEST_SKEW_SECS)
            && self.expires
                <= now.saturating_add(i64::from(MAX_REQUEST_LIFETIME_SECS) + REQUEST_SKEW_SECS)
    }
}

/// The wallet's check of a scanned request: its text, the certificate under a trusted registrar
/// key and valid at `now`, the request signed by the certified key, not expired and not living
/// longer than [`MAX_REQUEST_LIFETIME_SECS`], asking only for certified purposes and claims.
pub fn verify_request(
    text: &str,
    registrars: &[TrustedRegistrar],
    now: UnixTime,
) -> Result<VerifiedRequest, RequestError> {
    const WHAT: &str = "the request is damaged";
    let bad = || RequestError::Malformed(WHAT);
    let body = text
        .trim()
        .strip_prefix(REQUEST_TEXT_PREFIX)
        .ok_or(RequestError::Malformed(
            "this is not a netid counter request",
        ))?;
    if body.len() > MAX_REQUEST_TEXT {
        return Err(RequestError::Malformed("the request is too long"));
    }
    let bytes = base45::decode(body).map_err(|_| bad())?;
    let value = cbor::decode(&bytes).map_err(|_| bad())?;
    let opened = OpenedSign1::open(&value, &[1], WHAT)?;
    let [purpose, claims, nonce, expires, certificate] = opened
        .payload
        .as_array()
        .and_then(|a| <&[Cbor; 5]>::try_from(a).ok())
        .ok_or_else(bad)?;
    let purpose = purpose
        .as_i64()
        .and_then(Purpose::from_code)
        .ok_or_else(bad)?;
    let claims = match claims.as_i64().ok_or_else(bad)? {
        0 => None,
        mask => Some(certificate::claims_from_mask(mask).ok_or_else(bad)?),
    };
    let nonce: [u8; REQUEST_NONCE_LEN] = nonce
        .as_bytes()
        .and_then(|n| n.try_into().ok())
        .ok_or_else(bad)?;
    let expires = UnixTime::from_secs(expires.as_i64().filter(|e| *e > 0).ok_or_else(bad)?);
    let counter = CounterCertificate::verify(certificate, registrars, now)?;
    if !opened.signed_by(counter.key(), REQUEST_AAD) {
        return Err(RequestError::BadRequestSignature);
    }
    let request = VerifiedRequest {
        counter,
        purpose,
        claims,
        nonce,
        expires,
    };
    if !request.live_at(now) {
        return Err(RequestError::RequestExpired);
    }
    request
        .counter
        .allows(purpose, request.requested_claims())?;
    Ok(request)
}
