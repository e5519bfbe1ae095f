//! Registered counters over FFI (docs/FORMAT.md §13): the wallet's view of a scanned, verified
//! request ([`CounterRequest`], what the consent screen shows), and the counter's side
//! ([`CounterSigner`] signs requests, [`IssuedRequest`] is what the answer is checked against).
//!
//! This module only wraps the core's objects. A [`CounterRequest`] is made only from the core's
//! `VerifiedRequest` (chain, signatures, validity and scope already checked), so a host cannot
//! forge one; an [`IssuedRequest`] only from the counter's own signing. Nothing here holds a
//! claim value; the signer's key never leaves it.

use std::sync::Arc;

use netid_core::counter::{self, RequestError};
use netid_core::credential::{self, ClaimName};
use netid_core::time::{Clock, SystemClock};

use crate::error::VerifyError;
use crate::live::Live;
use crate::types::Purpose;

/// What the consent screen shows before the resident is asked to authenticate: who the counter
/// is, as its registrar certified it, and what it asks for.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct CounterConsent {
    /// The counter's registered id (the code will be bound to it).
    pub counter_id: String,
    /// Its registered name in Chinese (zh-CN).
    pub name_zh: String,
    /// Its registered name in English.
    pub name_en: String,
    /// The registrar that certified it.
    pub registrar: String,
    /// The purpose it asks for.
    pub purpose: Purpose,
    /// The names of the claims it will read.
    pub requested_claims: Vec<String>,
    /// It asks for every claim on the card: say so plainly.
    pub asks_full_card: bool,
    /// How long it may keep what it receives, in days (0: it keeps nothing).
    pub keeps_days: u16,
    /// When the request expires (the counter's clock).
    pub expires_at: std::time::SystemTime,
}

/// A registered counter's request that passed every check (`Wallet.parse_request`). Show its
/// `consent()`; if the resident agrees, answer it with `Wallet.show_qr_for_request`. Only the
/// wallet makes one.
#[derive(uniffi::Object)]
pub struct CounterRequest {
    pub(crate) request: counter::VerifiedRequest,
    _live: Live,
}

impl CounterRequest {
    pub(crate) fn new(request: counter::VerifiedRequest) -> Self {
        Self {
            request,
            _live: Live::new(),
        }
    }
}

impl std::fmt::Debug for CounterRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CounterRequest")
            .field("counter", &self.request.counter_id())
            .finish_non_exhaustive()
    }
}

fn claim_names(claims: &[ClaimName]) -> Vec<String> {
    claims.iter().map(|c| c.as_str().to_owned()).collect()
}

#[uniffi::export]
impl CounterRequest {
    /// What the consent screen shows.
    pub fn consent(&self) -> CounterConsent {
        let r = &self.request;
        CounterConsent {
            counter_id: r.counter_id().to_owned(),
            name_zh: r.name_zh().to_owned(),
            name_en: r.name_en().to_owned(),
            registrar: r.registrar().to_owned(),
            purpose: r.purpose().into(),
            requested_claims: claim_names(r.requested_claims()),
            asks_full_card: r.asks_full_card(),
            keeps_days: r.keeps_days(),
            expires_at: crate::types::instant(r.expires()),
        }
    }
}

/// A counter's request-signing key with its registrar's certificate: shows request codes.
#[derive(uniffi::Object)]
pub struct CounterSigner {
    pub(crate) signer: counter::CounterSigner,
    _live: Live,
}

impl std::fmt::Debug for CounterSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.signer.fmt(f)
    }
}

pub(crate) fn configuration(error: &RequestError) -> VerifyError {
    VerifyError::InvalidConfiguration {
        reason: error.to_string(),
    }
}

#[uniffi::export]
impl CounterSigner {
    /// The counter's `certificate` (bytes from its registrar) and its private key: the 32-byte
    /// P-256 private scalar, big-endian (from a PKCS#8 or SEC1 key file, the `d` value; the
    /// library reads no PEM, to stay small). The key must be the one the certificate certifies.
    #[uniffi::constructor]
    pub fn new(certificate: Vec<u8>, private_key: Vec<u8>) -> Result<Arc<Self>, VerifyError> {
        let private_key = zeroize::Zeroizing::new(private_key);
        let key = p256::ecdsa::SigningKey::from_slice(&private_key).map_err(|_| {
            VerifyError::InvalidConfiguration {
                reason: "the counter key must be a 32-byte P-256 private scalar".to_owned(),
            }
        })?;
        let signer =
            counter::CounterSigner::with_key(&certificate, key).map_err(|e| configuration(&e))?;
        Ok(Arc::new(Self {
            signer,
            _live: Live::new(),
        }))
    }

    /// Signs a request for `purpose` (and `claims` by name, or null for the purpose's set) with a
    /// fresh nonce, living `lifetime` (whole seconds, 1 to 300). Show `text()` as a QR code; keep the
    /// result to check the answer (`Verifier.verify_response`). Refuses what the certificate
    /// does not allow.
    pub fn request(
        &self,
        purpose: Purpose,
        claims: Option<Vec<String>>,
        lifetime: std::time::Duration,
    ) -> Result<Arc<IssuedRequest>, VerifyError> {
        let lifetime_seconds = crate::types::whole_seconds(
            "lifetime",
            Some(lifetime),
            0,
            1,
            counter::MAX_REQUEST_LIFETIME_SECS,
            "1 s to 300 s (5 minutes)",
        )
        .map_err(|reason| VerifyError::InvalidConfiguration { reason })?;
        let claims = claims.map(|names| parse_claims(&names)).transpose()?;
        let (text, issued) = self
            .signer
            .request(
                credential::Purpose::from(purpose),
                claims,
                lifetime_seconds,
                SystemClock.now(),
            )
            .map_err(|e| configuration(&e))?;
        Ok(Arc::new(IssuedRequest::new(text, issued)))
    }
}

fn parse_claims(names: &[String]) -> Result<Vec<ClaimName>, VerifyError> {
    names
        .iter()
        .map(|name| {
            ClaimName::from_name(name).ok_or_else(|| VerifyError::InvalidConfiguration {
                reason: format!("`{name}` is not a claim name"),
            })
        })
        .collect()
}

/// A request the counter signed: its QR text, and what the answer must match (counter id,
/// nonce, purpose, claims, expiry). Keep it until the answer is checked or it expires.
#[derive(uniffi::Object)]
pub struct IssuedRequest {
    text: String,
    pub(crate) issued: counter::IssuedRequest,
    _live: Live,
}

impl IssuedRequest {
    pub(crate) fn new(text: String, issued: counter::IssuedRequest) -> Self {
        Self {
            text,
            issued,
            _live: Live::new(),
        }
    }
}

impl std::fmt::Debug for IssuedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedRequest")
            .field("counter", &self.issued.counter_id())
            .finish_non_exhaustive()
    }
}

#[uniffi::export]
impl IssuedRequest {
    /// The request's QR text (prefix + Base45; encode in alphanumeric mode at level M).
    pub fn text(&self) -> String {
        self.text.clone()
    }
}
