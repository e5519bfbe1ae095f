//! The development issuer over FFI, for demos and tests only (cargo feature `dev-issuer`).
//!
//! It plays the issuer's side of an enrolment: hands out a challenge, checks the wallet's proof of
//! possession, and mints a credential from a claims file (the same JSON as `netid issuer issue`),
//! bound to the proven holder key. Its key is random per object and never leaves it. This module
//! must never be compiled into what ships to residents: the Android and Swift bindings are
//! generated without the feature.

use std::sync::Arc;

use netid_core::credential::DocType;
use netid_core::issuer::{self, parse_claims_file};
use netid_core::time::{Clock, SystemClock};
use netid_core::wallet::{
    EnrolmentChallenge, issue_for_proof, issue_purpose_batch, verify_batch_request,
};

use netid_core::counter::{CounterRegistration, Registrar};
use netid_core::time::CivilDate;

use crate::counter::{CounterSigner, IssuedRequest};
use crate::live::Live;
use crate::types::Purpose;
use crate::verifier::TrustList;

/// Why the development issuer refused.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum IssuerError {
    /// The claims file is not acceptable (unknown claim, bad ID number, missing field...).
    #[error("{reason}")]
    InvalidClaims { reason: String },
    /// The proof of possession does not answer the challenge or does not verify.
    #[error("{reason}")]
    ProofRefused { reason: String },
    /// An argument is not acceptable.
    #[error("{reason}")]
    InvalidInput { reason: String },
}

/// A development issuer with a fresh random P-256 key.
#[derive(uniffi::Object)]
pub struct DevIssuer {
    issuer: issuer::DevIssuer,
    _live: Live,
}

impl std::fmt::Debug for DevIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevIssuer")
            .field("issuer_id", &self.issuer.issuer_id())
            .finish_non_exhaustive()
    }
}

/// How long the trust list of a development issuer trusts its key: a day back, ten years on.
const TRUST_BACK_SECONDS: i64 = 86_400;
const TRUST_AHEAD_SECONDS: i64 = 10 * 365 * 86_400;

#[uniffi::export]
impl DevIssuer {
    /// A development issuer signing as `issuer_id` (1 to 256 bytes).
    #[uniffi::constructor]
    pub fn new(issuer_id: String) -> Result<Arc<Self>, IssuerError> {
        if issuer_id.is_empty() || issuer_id.len() > 256 {
            return Err(IssuerError::InvalidInput {
                reason: "the issuer id must be 1 to 256 bytes".to_owned(),
            });
        }
        let mut kid = [0u8; 8];
        getrandom_kid(&mut kid);
        Ok(Arc::new(Self {
            issuer: issuer::DevIssuer::generate(&issuer_id, &kid),
            _live: Live::new(),
        }))
    }

    /// The issuer id credentials are signed under.
    pub fn issuer_id(&self) -> String {
        self.issuer.issuer_id().to_owned()
    }

    /// A trust list naming this issuer for every document type.
    pub fn trust_list(&self) -> Arc<TrustList> {
        let now = SystemClock.now();
        let mut list = issuer::TrustList::new();
        let entry = self.issuer.trust_entry(
            now.saturating_add(-TRUST_BACK_SECONDS),
            now.saturating_add(TRUST_AHEAD_SECONDS),
            &DocType::ALL,
        );
        // A fresh list and one entry: adding cannot collide.
        let _ = list.add(entry);
        Arc::new(TrustList {
            list,
            _live: Live::new(),
        })
    }

    /// A fresh 32-byte enrolment nonce for `Wallet.begin_enrolment`.
    pub fn new_challenge(&self) -> Result<Vec<u8>, IssuerError> {
        EnrolmentChallenge::random(self.issuer.issuer_id())
            .map(|challenge| challenge.nonce().to_vec())
            .map_err(|e| IssuerError::InvalidInput {
                reason: e.to_string(),
            })
    }

    /// Checks `proof` against the challenge `nonce` and issues the credential described by
    /// `claims_json` (a claims file) bound to the proven holder key.
    pub fn issue(
        &self,
        claims_json: String,
        proof: Vec<u8>,
        nonce: Vec<u8>,
    ) -> Result<Vec<u8>, IssuerError> {
        let document = parse_claims_file(&claims_json).map_err(|e| IssuerError::InvalidClaims {
            reason: e.to_string(),
        })?;
        let challenge = EnrolmentChallenge::new(self.issuer.issuer_id(), nonce).map_err(|e| {
            IssuerError::InvalidInput {
                reason: e.to_string(),
            }
        })?;
        issue_for_proof(
            &self.issuer,
            &document,
            &challenge,
            &proof,
            SystemClock.now(),
        )
        .map(|credential| credential.to_bytes())
        .map_err(|e| IssuerError::ProofRefused {
            reason: e.to_string(),
        })
    }
}

#[uniffi::export]
impl DevIssuer {
    /// Checks a refill's batch `request` (`PendingRefill.request()`) against the challenge `nonce`
    /// and issues one one-time credential per key it names, valid for 30 days (never past the
    /// document), without status entries (this issuer keeps no status list).
    pub fn issue_batch(
        &self,
        request: Vec<u8>,
        nonce: Vec<u8>,
    ) -> Result<Vec<Vec<u8>>, IssuerError> {
        let refused = |e: netid_core::wallet::ProofError| IssuerError::ProofRefused {
            reason: e.to_string(),
        };
        let challenge = EnrolmentChallenge::new(self.issuer.issuer_id(), nonce).map_err(|e| {
            IssuerError::InvalidInput {
                reason: e.to_string(),
            }
        })?;
        let now = SystemClock.now();
        let request = verify_batch_request(&request, &challenge, now).map_err(refused)?;
        let expires = now
            .saturating_add(30 * 86_400)
            .min(request.full_credential().expires());
        let trust = self.trust_list();
        issue_purpose_batch(&self.issuer, &trust.list, &request, &[], now, expires)
            .map(|issued| issued.iter().map(|c| c.to_bytes()).collect())
            .map_err(refused)
    }
}

/// A counter's registration from the development registrar: its certificate and the counter's
/// private key (the 32-byte P-256 scalar), for `CounterSigner(certificate, privateKey)`.
#[derive(Clone, uniffi::Record)]
pub struct DevCounterKeys {
    /// The certificate (an untagged COSE_Sign1 by the registrar).
    pub certificate: Vec<u8>,
    /// The counter's private key, the 32-byte P-256 scalar.
    pub private_key: Vec<u8>,
}

impl std::fmt::Debug for DevCounterKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevCounterKeys").finish_non_exhaustive()
    }
}

/// A development registrar with a fresh random key: certifies counters for tests and demos.
#[derive(uniffi::Object)]
pub struct DevRegistrar {
    registrar: Registrar,
    _live: Live,
}

impl std::fmt::Debug for DevRegistrar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.registrar.fmt(f)
    }
}

fn invalid(error: impl std::fmt::Display) -> IssuerError {
    IssuerError::InvalidInput {
        reason: error.to_string(),
    }
}

#[uniffi::export]
impl DevRegistrar {
    /// A registrar named `name`, shown to residents beside the counters it certifies.
    #[uniffi::constructor]
    pub fn new(name: String) -> Arc<Self> {
        let mut kid = [0u8; 8];
        getrandom_kid(&mut kid);
        Arc::new(Self {
            registrar: Registrar::generate(&name, &kid),
            _live: Live::new(),
        })
    }

    /// A copy of `trust` that also trusts this registrar (a day back, ten years on).
    pub fn trusted_by(&self, trust: Arc<TrustList>) -> Result<Arc<TrustList>, IssuerError> {
        let now = SystemClock.now();
        let mut list = trust.list.clone();
        list.add_registrar(self.registrar.trust_entry(
            now.saturating_add(-TRUST_BACK_SECONDS),
            now.saturating_add(TRUST_AHEAD_SECONDS),
        ))
        .map_err(invalid)?;
        Ok(Arc::new(TrustList {
            list,
            _live: Live::new(),
        }))
    }

    /// Certifies a new counter (a fresh key) for `purposes` and their claims, valid from
    /// yesterday for a year, keeping what it receives `keeps_days` days.
    pub fn register_counter(
        &self,
        counter_id: String,
        name_zh: String,
        name_en: String,
        purposes: Vec<Purpose>,
        keeps_days: u16,
    ) -> Result<DevCounterKeys, IssuerError> {
        let key = p256::ecdsa::SigningKey::random(&mut p256::elliptic_curve::rand_core::OsRng);
        let today = SystemClock.now().date();
        let days = today.days_since_epoch();
        let day = |offset: i64| {
            CivilDate::from_days_since_epoch_checked(days + offset)
                .ok_or_else(|| invalid("the date is out of range"))
        };
        let registration = CounterRegistration {
            id: counter_id,
            name_zh,
            name_en,
            purposes: purposes.into_iter().map(Into::into).collect(),
            claims: None,
            keeps_days,
            valid_from: day(-1)?,
            valid_until: day(365)?,
            key: p256::PublicKey::from(key.verifying_key()),
        };
        let certificate = self.registrar.register(&registration).map_err(invalid)?;
        Ok(DevCounterKeys {
            certificate,
            private_key: key.to_bytes().to_vec(),
        })
    }
}

/// Signs a request for `purpose` with `signer` even if its certificate does not allow it: for
/// tests of the wallet's refusals only (a real counter's `CounterSigner.request` refuses).
#[uniffi::export]
pub fn dev_sign_request_unchecked(
    signer: Arc<CounterSigner>,
    purpose: Purpose,
) -> Result<Arc<IssuedRequest>, IssuerError> {
    let (text, issued) = signer
        .signer
        .request_unchecked(purpose.into(), None, 120, SystemClock.now())
        .map_err(invalid)?;
    Ok(Arc::new(IssuedRequest::new(text, issued)))
}

fn getrandom_kid(out: &mut [u8]) {
    use p256::elliptic_curve::rand_core::{OsRng, RngCore};
    OsRng.fill_bytes(out);
}
