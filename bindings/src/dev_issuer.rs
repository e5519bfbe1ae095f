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

use crate::live::Live;
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

fn getrandom_kid(out: &mut [u8]) {
    use p256::elliptic_curve::rand_core::{OsRng, RngCore};
    OsRng.fill_bytes(out);
}
