//! Fuzz target: whatever a counter's scanner hands over (QR text, or raw bytes) → verified claims
//! or a typed refusal, never a panic, a hang or unbounded memory.
//!
//! The verifier trusts the issuer of the worked example in docs/FORMAT.md and its clock stands
//! five seconds after that example was presented, so the seed corpus (the example's QR text and
//! bytes, extracted by scripts/fuzz.sh) verifies and mutations explore the deep checks, not just
//! the parser's first rejection.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use netid_core::credential::{DocType, Purpose};
use netid_core::issuer::{DevIssuer, TrustList};
use netid_core::time::{FixedClock, UnixTime};
use netid_core::verify::{Verifier, VerifyRequest};
use sha2::{Digest, Sha256};

/// 2026-01-15T00:00:05Z: the worked example's presentation time plus five seconds.
const NOW: i64 = 1_768_435_205;

fn trust_list() -> &'static TrustList {
    static TRUST: OnceLock<TrustList> = OnceLock::new();
    TRUST.get_or_init(|| {
        let scalar: [u8; 32] = Sha256::digest(b"netid worked example issuer key").into();
        let issuer = DevIssuer::from_scalar_bytes(&scalar, "cn-dev", b"d1")
            .expect("the worked example's issuer key is a valid scalar");
        let mut list = TrustList::new();
        list.add(issuer.trust_entry(
            UnixTime::from_secs(1_704_067_200),
            UnixTime::from_secs(2_240_611_200),
            &DocType::ALL,
        ))
        .expect("one entry always fits an empty trust list");
        list
    })
}

fuzz_target!(|data: &[u8]| {
    // A fresh verifier per input, so a replay-cache hit from an earlier input cannot mask a path.
    let verifier = Verifier::new(
        trust_list().clone(),
        Box::new(FixedClock::new(UnixTime::from_secs(NOW))),
    );
    let request = VerifyRequest::for_purpose(Purpose::HotelCheckIn);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = verifier.verify_qr_text(text, &request);
    }
    let _ = verifier.verify(data, &request);
});
