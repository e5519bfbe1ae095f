//! Registered counters: a registrar's certificate for a counter's key, the counter's signed
//! request, and the checks a wallet runs on that request before the resident is asked anything.
//!
//! A registrar (the authority; the development issuer in tests and the demo) certifies a counter's
//! P-256 key together with the counter's id, its display names in Chinese and English, the
//! purposes and claims it may ask for, how long it may keep what it receives, and a validity
//! window ([`certificate`]). The counter shows a request code: purpose, claims, a fresh nonce and
//! an expiry, with its certificate, signed by its key ([`request`]). The wallet verifies both
//! signatures against the registrar keys of its trust list, refuses anything the certificate does
//! not allow, and only then hands the host a [`VerifiedRequest`] to build the consent screen from;
//! the code it shows is bound to the counter's id (`aud`) and the request's nonce (`cnonce`).
//! docs/FORMAT.md §13 defines the bytes.
//!
//! This module owns those formats and checks. It must never return a [`VerifiedRequest`] for a
//! request whose chain, validity, signature or scope failed, never let a display name carry
//! control or bidirectional-override characters (a name the resident reads must be the name the
//! registrar certified), and never put key material in an error.

pub mod certificate;
pub mod request;

pub use certificate::{
    CounterCertificate, CounterRegistration, MAX_COUNTER_ID_LEN, MAX_NAME_EN_CHARS,
    MAX_NAME_ZH_CHARS, Registrar, RegistrationError, TrustedRegistrar,
};
pub use request::{
    CounterSigner, IssuedRequest, MAX_REQUEST_LIFETIME_SECS, REQUEST_NONCE_LEN,
    REQUEST_TEXT_PREFIX, VerifiedRequest, verify_request,
};

use crate::credential::cbor::{self, Cbor};
use crate::credential::{ClaimName, Purpose};
use crate::signature::Backend;

/// Why a counter's request (or its certificate) was refused. Messages are for the resident and
/// carry nothing from the request but purpose and claim names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// Not a netid counter request, or damaged.
    #[error("this is not a readable counter request ({0}); scan the counter's code again")]
    Malformed(&'static str),
    /// The certificate names a registrar key the trust list does not hold.
    #[error(
        "this counter is not registered with an authority this wallet trusts; do not show your ID"
    )]
    UnknownRegistrar,
    /// The certificate's signature does not verify under the registrar's key.
    #[error("this counter's registration is forged or altered; do not show your ID")]
    BadCertificateSignature,
    /// The certificate (or the registrar key that signed it) is outside its validity window.
    #[error(
        "this counter's registration has expired or is not valid yet; ask the counter to renew it, or check this phone's clock"
    )]
    CertificateNotValid,
    /// The request is not signed by the key its certificate certifies.
    #[error("this request was not signed by the registered counter; do not show your ID")]
    BadRequestSignature,
    /// The request's expiry has passed, or lies further ahead than a request may live.
    #[error("this counter request has expired; ask the counter for a new one")]
    RequestExpired,
    /// The request asks for a purpose its certificate does not cover.
    #[error("this counter is not registered for `{}` and may not ask for it; do not show your ID", .0.as_str())]
    PurposeNotCertified(Purpose),
    /// The request asks for a claim its certificate does not cover.
    #[error("this counter asks for `{}`, which it is not registered to receive; do not show your ID", .0.as_str())]
    ClaimNotCertified(ClaimName),
    /// The wallet already answered this request's nonce.
    #[error("this counter request was already answered; ask the counter for a new one")]
    Replayed,
}

impl RequestError {
    /// The stable machine-readable name (docs/cli.md, FFI error codes).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "request-malformed",
            Self::UnknownRegistrar => "unknown-registrar",
            Self::BadCertificateSignature => "bad-certificate-signature",
            Self::CertificateNotValid => "certificate-not-valid",
            Self::BadRequestSignature => "bad-request-signature",
            Self::RequestExpired => "request-expired",
            Self::PurposeNotCertified(_) => "purpose-not-certified",
            Self::ClaimNotCertified(_) => "claim-not-certified",
            Self::Replayed => "request-replayed",
        }
    }
}

/// The claims a certificate that lists no claims allows for `purpose`: what the counter's default
/// policy reads (FORMAT.md §4); `gov` reads the whole card.
pub fn purpose_claims(purpose: Purpose) -> &'static [ClaimName] {
    use ClaimName::*;
    match purpose {
        Purpose::HotelCheckIn => &[Name, Sex, BirthDate, IdNumber],
        Purpose::InternetCafe => &[Name, AgeOver18],
        Purpose::TrainTicket => &[Name, IdNumber],
        Purpose::GovernmentService => &ClaimName::ALL,
    }
}

/// COSE's `Sig_structure` for a COSE_Sign1 (RFC 9052 §4.4). `external_aad` separates the two
/// kinds of signed object netid's counters use, so a certificate can never be read as a request
/// nor the reverse, at no cost on the wire.
fn sig_structure(protected: &[u8], external_aad: &[u8], payload: &[u8]) -> Vec<u8> {
    Cbor::Array(vec![
        Cbor::Text("Signature1".to_owned()),
        Cbor::Bytes(protected.to_vec()),
        Cbor::Bytes(external_aad.to_vec()),
        Cbor::Bytes(payload.to_vec()),
    ])
    .to_vec()
}

/// Lays out and signs an untagged COSE_Sign1 `[protected, {}, payload, signature]`.
fn sign1(
    protected: &Cbor,
    payload: &Cbor,
    external_aad: &[u8],
    key: &p256::ecdsa::SigningKey,
) -> Cbor {
    use p256::ecdsa::signature::Signer as _;
    let protected = protected.to_vec();
    let payload = payload.to_vec();
    let signature: p256::ecdsa::Signature =
        key.sign(&sig_structure(&protected, external_aad, &payload));
    Cbor::Array(vec![
        Cbor::Bytes(protected),
        Cbor::Map(Vec::new()),
        Cbor::Bytes(payload),
        Cbor::Bytes(signature.to_bytes().to_vec()),
    ])
}

/// An untagged COSE_Sign1 taken apart, its signature not yet checked.
struct OpenedSign1 {
    protected: Cbor,
    protected_bytes: Vec<u8>,
    payload: Cbor,
    payload_bytes: Vec<u8>,
    signature: Vec<u8>,
}

impl OpenedSign1 {
    /// Reads `[protected, {}, payload, signature]`; the protected header must be a map with
    /// `alg` = ES256 (−7) and no keys beyond `allowed_protected`; the unprotected header must be
    /// empty (nothing unsigned may steer a decision); the payload is an array.
    fn open(
        value: &Cbor,
        allowed_protected: &[i64],
        what: &'static str,
    ) -> Result<Self, RequestError> {
        let bad = || RequestError::Malformed(what);
        let [protected, unprotected, payload, signature] = value
            .as_array()
            .and_then(|a| <&[Cbor; 4]>::try_from(a).ok())
            .ok_or_else(bad)?;
        let protected_bytes = protected.as_bytes().ok_or_else(bad)?.to_vec();
        let protected = cbor::decode(&protected_bytes).map_err(|_| bad())?;
        let header = protected.as_map().ok_or_else(bad)?;
        if header
            .iter()
            .any(|(k, _)| k.as_i64().is_none_or(|k| !allowed_protected.contains(&k)))
        {
            return Err(bad());
        }
        if protected.get_int(1).and_then(Cbor::as_i64) != Some(-7) {
            return Err(bad());
        }
        if unprotected.as_map().is_none_or(|m| !m.is_empty()) {
            return Err(bad());
        }
        let payload_bytes = payload.as_bytes().ok_or_else(bad)?.to_vec();
        let payload = cbor::decode(&payload_bytes).map_err(|_| bad())?;
        if payload.as_array().is_none() {
            return Err(bad());
        }
        let signature = signature
            .as_bytes()
            .filter(|s| s.len() == 64)
            .ok_or_else(bad)?
            .to_vec();
        Ok(Self {
            protected,
            protected_bytes,
            payload,
            payload_bytes,
            signature,
        })
    }

    fn signed_by(&self, key: &p256::PublicKey, external_aad: &[u8]) -> bool {
        let message = sig_structure(&self.protected_bytes, external_aad, &self.payload_bytes);
        Backend::DEFAULT.verify_es256(
            &p256::ecdsa::VerifyingKey::from(key),
            &message,
            &self.signature,
        )
    }
}
