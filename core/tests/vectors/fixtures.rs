//! Shared test fixtures: deterministic issuer and holder keys, salts, clock and claims files.
//! Included with `#[path]` by the integration tests of the format.
#![allow(dead_code)]

use netid_core::credential::DocType;
use netid_core::credential::{Credential, IssueError, SALT_LEN, SaltSource};
use netid_core::issuer::{DevIssuer, TrustList, parse_claims_file};
use netid_core::present::SoftwareHolderKey;
use netid_core::time::UnixTime;
use sha2::{Digest, Sha256};

/// 2026-01-15T00:00:00Z: the fixed "now" of format tests and the worked example.
pub const NOW: i64 = 1_768_435_200;
/// The development issuer's id and key id.
pub const ISSUER_ID: &str = "cn-dev";
pub const KID: &[u8] = b"d1";

pub fn resident_id_json() -> &'static str {
    include_str!("claims/resident-id.json")
}

pub fn claims_json(doc_type: DocType) -> &'static str {
    match doc_type {
        DocType::ResidentId => include_str!("claims/resident-id.json"),
        DocType::DrivingLicence => include_str!("claims/driving-licence.json"),
        DocType::SocialSecurityCard => include_str!("claims/social-security-card.json"),
        DocType::ResidencePermit => include_str!("claims/residence-permit.json"),
    }
}

fn scalar(label: &str) -> [u8; 32] {
    Sha256::digest(label.as_bytes()).into()
}

/// Salts `SHA-256(label ‖ n)[..16]`, n = 0, 1, 2…: reproducible, never repeating.
pub struct CountingSalts {
    label: &'static str,
    next: u32,
}

impl CountingSalts {
    pub fn new(label: &'static str) -> Self {
        Self { label, next: 0 }
    }
}

impl SaltSource for CountingSalts {
    fn salt(&mut self) -> Result<[u8; SALT_LEN], IssueError> {
        let mut h = Sha256::new();
        h.update(self.label.as_bytes());
        h.update(self.next.to_be_bytes());
        self.next += 1;
        let mut out = [0u8; SALT_LEN];
        out.copy_from_slice(&h.finalize()[..SALT_LEN]);
        Ok(out)
    }
}

pub fn issuer() -> DevIssuer {
    DevIssuer::from_scalar_bytes(&scalar("netid worked example issuer key"), ISSUER_ID, KID)
        .unwrap()
}

pub fn holder() -> SoftwareHolderKey {
    SoftwareHolderKey::from_scalar_bytes(&scalar("netid worked example holder key")).unwrap()
}

pub fn trust_list() -> TrustList {
    let mut list = TrustList::new();
    list.add(issuer().trust_entry(
        UnixTime::from_secs(1_704_067_200),
        UnixTime::from_secs(2_240_611_200),
        &DocType::ALL,
    ))
    .unwrap();
    list
}

/// Issue `doc_type`'s fixture claims at [`NOW`] − 1 day to [`holder`], with deterministic salts.
pub fn credential(doc_type: DocType) -> Credential {
    use netid_core::present::HolderSigner;
    let document = parse_claims_file(claims_json(doc_type)).unwrap();
    issuer()
        .issue(
            &document,
            &holder().public_key(),
            UnixTime::from_secs(NOW - 86_400),
            None,
            &mut CountingSalts::new("salt"),
        )
        .unwrap()
}

/// A counter that checks FORMAT.md §6 alone: `gov`'s default demand for a signed request (§13,
/// tested in `counter_request.rs`) is lifted, so per-purpose tests can check `gov`'s claim and
/// assurance policy with one-shot codes.
pub fn without_gov_request_rule(
    mut verifier: netid_core::verify::Verifier,
) -> netid_core::verify::Verifier {
    let mut gov =
        netid_core::verify::Policy::for_purpose(netid_core::credential::Purpose::GovernmentService);
    gov.requires_signed_request = false;
    verifier.set_policy(netid_core::credential::Purpose::GovernmentService, gov);
    verifier
}
