//! Signature verification backends (issue 11), in one run: for each backend, a verify of one
//! hotel presentation by the core (`Verifier::verify`: parse, two signatures, disclosures,
//! policy, replay) against the two raw ECDSA P-256 verifications it contains, done directly with
//! that backend's own API on already parsed keys. Goals: verify ≤ 1.5 × the two raw
//! verifications, and ring's verify ≥ 3 × faster than the p256 crate's.
//!
//! Also measured, for the overhead between the two: turning the holder's compressed `cnf` key
//! into a point (a square root in p256), and encoding a decoded key as the uncompressed SEC1
//! bytes ring takes.

#[path = "../tests/vectors/fixtures.rs"]
mod fixtures;

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use fixtures::*;
use netid_core::credential::DocType;
use netid_core::credential::cbor::{self, Cbor};
use netid_core::credential::sd_cwt::{self, CoseSign1};
use netid_core::issuer::IssuerPublicKey;
use netid_core::present::{PresentationRequest, Purpose, present};
use netid_core::signature::Backend;
use netid_core::time::{FixedClock, UnixTime};
use netid_core::verify::{Verifier, VerifierOptions, VerifyRequest};
use p256::ecdsa::signature::Verifier as _;

/// The two signatures inside a presentation: (key, signed bytes, r ‖ s), issuer's then holder's.
struct SignedParts {
    issuer: (p256::ecdsa::VerifyingKey, Vec<u8>, Vec<u8>),
    holder: (p256::ecdsa::VerifyingKey, Vec<u8>, Vec<u8>),
    claims: Cbor,
}

fn signed_parts(presentation: &[u8]) -> SignedParts {
    let kbt = CoseSign1::from_slice(presentation).unwrap();
    let cwt = CoseSign1::from_cbor(kbt.protected.get_int(sd_cwt::HEADER_KCWT).unwrap()).unwrap();
    let IssuerPublicKey::P256(issuer_key) = issuer().public_key() else {
        unreachable!("the development issuer signs with P-256")
    };
    let claims = cbor::decode(&cwt.payload).unwrap();
    let holder_key = sd_cwt::holder_key(&claims).unwrap().into();
    SignedParts {
        issuer: (issuer_key, cwt.to_be_signed(), cwt.signature.clone()),
        holder: (holder_key, kbt.to_be_signed(), kbt.signature.clone()),
        claims,
    }
}

fn name(backend: Backend) -> &'static str {
    match backend {
        Backend::RustCrypto => "p256",
        Backend::Ring => "ring",
    }
}

fn benches(c: &mut Criterion) {
    let cred = credential(DocType::ResidentId);
    let key = holder();
    let clock = FixedClock::new(UnixTime::from_secs(NOW));
    let hotel = PresentationRequest::for_purpose(Purpose::HotelCheckIn);
    let request = VerifyRequest::for_purpose(Purpose::HotelCheckIn);
    let sample = present(&cred, &hotel, &key, &clock).unwrap();
    let parts = signed_parts(sample.as_bytes());

    for &backend in Backend::ALL {
        // Room for every iteration: with a stopped clock no replay entry ever expires.
        let options = VerifierOptions {
            replay_capacity: 1_000_000,
            ..VerifierOptions::default()
        };
        let mut verifier = Verifier::with_options(
            trust_list(),
            Box::new(FixedClock::new(UnixTime::from_secs(NOW))),
            options,
        );
        verifier.set_signature_backend(backend);
        // A fresh presentation per iteration (a repeat would be a replay), signed in the untimed
        // setup.
        c.bench_function(
            &format!("verify_hotel_presentation/{}", name(backend)),
            |b| {
                b.iter_batched(
                    || present(&cred, &hotel, &key, &clock).unwrap(),
                    |p| black_box(verifier.verify(p.as_bytes(), &request).unwrap()),
                    BatchSize::SmallInput,
                )
            },
        );
    }

    let (issuer_key, issuer_tbs, issuer_sig) = &parts.issuer;
    let (holder_key, holder_tbs, holder_sig) = &parts.holder;
    c.bench_function("two_raw_verifications/p256", |b| {
        b.iter(|| {
            for (key, tbs, sig) in [
                (issuer_key, issuer_tbs, issuer_sig),
                (holder_key, holder_tbs, holder_sig),
            ] {
                let sig = p256::ecdsa::Signature::from_slice(black_box(sig)).unwrap();
                key.verify(black_box(tbs), &sig).unwrap();
            }
        })
    });
    let issuer_point = issuer_key.to_encoded_point(false);
    let holder_point = holder_key.to_encoded_point(false);
    c.bench_function("two_raw_verifications/ring", |b| {
        use ring::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};
        let issuer = UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, issuer_point.as_bytes());
        let holder = UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, holder_point.as_bytes());
        b.iter(|| {
            issuer
                .verify(black_box(issuer_tbs), black_box(issuer_sig))
                .unwrap();
            holder
                .verify(black_box(holder_tbs), black_box(holder_sig))
                .unwrap();
        })
    });

    c.bench_function("holder_key_from_compressed_cnf", |b| {
        b.iter(|| sd_cwt::holder_key(black_box(&parts.claims)).unwrap())
    });
    c.bench_function("p256_key_to_uncompressed", |b| {
        b.iter(|| black_box(black_box(holder_key).to_encoded_point(false)))
    });
}

criterion_group!(signature, benches);
criterion_main!(signature);
