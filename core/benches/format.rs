//! Budgets of DESIGN.md §7 for the format path: sign a hotel presentation, produce its QR text,
//! encode the QR symbol and render it as SVG (≤ 2 ms for the whole chain), and verify one
//! presentation (≤ 1 ms: parse, two signatures, disclosures, policy) — for the full credential
//! and for a purpose credential (FORMAT.md §12) — and the time a batch of purpose credentials
//! takes to issue and accept (10 per purpose).

#[path = "../tests/vectors/fixtures.rs"]
mod fixtures;

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use fixtures::*;
use netid_core::credential::DocType;
use netid_core::present::{PresentationRequest, Purpose, present};
use netid_core::qr::QrMatrix;
use netid_core::time::{FixedClock, UnixTime};
use netid_core::verify::{Verifier, VerifierOptions, VerifyRequest};

fn benches(c: &mut Criterion) {
    let cred = credential(DocType::ResidentId);
    let key = holder();
    let clock = FixedClock::new(UnixTime::from_secs(NOW));
    let hotel = PresentationRequest::for_purpose(Purpose::HotelCheckIn);

    c.bench_function("present_hotel_and_qr_text", |b| {
        b.iter(|| {
            let p = present(black_box(&cred), &hotel, &key, &clock).unwrap();
            black_box(p.qr_text())
        })
    });

    // The whole "show QR" chain the resident waits for, as one number against the 2 ms budget.
    c.bench_function("present_hotel_qr_svg", |b| {
        b.iter(|| {
            let p = present(black_box(&cred), &hotel, &key, &clock).unwrap();
            let matrix = QrMatrix::encode(&p.qr_text()).unwrap();
            black_box(matrix.to_svg(4).unwrap())
        })
    });

    let request = VerifyRequest::for_purpose(Purpose::HotelCheckIn);
    // Room for every iteration: with a stopped clock no replay entry ever expires.
    let options = VerifierOptions {
        replay_capacity: 1_000_000,
        ..VerifierOptions::default()
    };
    let verifier = Verifier::with_options(
        trust_list(),
        Box::new(FixedClock::new(UnixTime::from_secs(NOW))),
        options,
    );
    // Each iteration verifies a fresh presentation (a repeat would be a replay); signing happens
    // in the untimed setup.
    c.bench_function("verify_hotel_presentation", |b| {
        b.iter_batched(
            || present(&cred, &hotel, &key, &clock).unwrap().qr_text(),
            |text| black_box(verifier.verify_qr_text(&text, &request).unwrap()),
            BatchSize::SmallInput,
        )
    });
}

fn purpose_benches(c: &mut Criterion) {
    use netid_core::credential::StatusReference;
    use netid_core::credential::purpose::PurposeCredential;
    use netid_core::issuer::parse_claims_file;
    use netid_core::present::{HolderSigner, SoftwareHolderKey, present_purpose};
    use netid_core::wallet::{
        EnrolmentChallenge, UnsignedBatchRequest, accept_purpose_batch, issue_purpose_batch,
        verify_batch_request,
    };

    let document = parse_claims_file(resident_id_json()).unwrap();
    let now = UnixTime::from_secs(NOW);
    let expires = UnixTime::from_secs(NOW + 30 * 86_400);
    let status = |idx| StatusReference {
        idx,
        uri: "https://dev-issuer.example/s".into(),
    };
    let key = SoftwareHolderKey::generate();
    let hotel_credential = issuer()
        .issue_purpose(
            &document,
            Purpose::HotelCheckIn,
            &key.public_key(),
            now,
            expires,
            Some(status(1)),
        )
        .unwrap();
    let clock = FixedClock::new(now);
    let hotel = PresentationRequest::for_purpose(Purpose::HotelCheckIn);

    c.bench_function("present_hotel_purpose_qr_svg", |b| {
        b.iter(|| {
            let p = present_purpose(black_box(&hotel_credential), &hotel, &key, &clock).unwrap();
            let matrix = QrMatrix::encode(&p.qr_text()).unwrap();
            black_box(matrix.to_svg(4).unwrap())
        })
    });

    let verifier = Verifier::with_options(
        trust_list(),
        Box::new(FixedClock::new(now)),
        VerifierOptions {
            replay_capacity: 1_000_000,
            accept_unavailable_status: true,
            ..VerifierOptions::default()
        },
    );
    let request = VerifyRequest::for_purpose(Purpose::HotelCheckIn);
    // A purpose code's only variable part with a stopped clock is the signature, which ECDSA
    // (RFC 6979) makes deterministic: each iteration needs its own credential, made untimed.
    let mut idx = 2;
    c.bench_function("verify_hotel_purpose_presentation", |b| {
        b.iter_batched(
            || {
                idx += 1;
                let key = SoftwareHolderKey::generate();
                let credential = issuer()
                    .issue_purpose(
                        &document,
                        Purpose::HotelCheckIn,
                        &key.public_key(),
                        now,
                        expires,
                        Some(status(idx)),
                    )
                    .unwrap();
                present_purpose(&credential, &hotel, &key, &clock)
                    .unwrap()
                    .qr_text()
            },
            |text| black_box(verifier.verify_qr_text(&text, &request).unwrap()),
            BatchSize::SmallInput,
        )
    });

    // A refill of N = 10 per purpose: the wallet's batch request (one signature by the full
    // credential's key), the issuer's check and minting of 40, the wallet's acceptance. Key
    // generation is the secure area's and is left out (made untimed).
    let full = credential(DocType::ResidentId);
    let full_bytes = full.to_bytes();
    let mut group = c.benchmark_group("purpose_batch");
    group.sample_size(10);
    group.bench_function("request_issue_accept_10_per_purpose", |b| {
        b.iter_batched(
            || {
                let challenge = EnrolmentChallenge::random(ISSUER_ID).unwrap();
                let keys: Vec<(Purpose, p256::PublicKey)> = Purpose::ALL
                    .into_iter()
                    .flat_map(|p| {
                        (0..10).map(move |_| (p, SoftwareHolderKey::generate().public_key()))
                    })
                    .collect();
                (challenge, keys)
            },
            |(challenge, keys)| {
                let unsigned =
                    UnsignedBatchRequest::new(&challenge, &full_bytes, &keys, now).unwrap();
                let signature = holder().sign(unsigned.to_be_signed()).unwrap();
                let signed = unsigned.finish(signature.to_bytes().into()).unwrap();
                let request = verify_batch_request(&signed, &challenge, now).unwrap();
                let statuses: Vec<StatusReference> = (0..40).map(status).collect();
                let issued = issue_purpose_batch(
                    &issuer(),
                    &trust_list(),
                    &request,
                    &statuses,
                    now,
                    expires,
                )
                .unwrap();
                let bytes: Vec<Vec<u8>> = issued.iter().map(PurposeCredential::to_bytes).collect();
                black_box(accept_purpose_batch(&keys, &bytes, &full, &trust_list(), now).unwrap())
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(format, benches, purpose_benches);
criterion_main!(format);
