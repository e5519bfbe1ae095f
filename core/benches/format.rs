//! Budgets of DESIGN.md §7 for the format path: sign a hotel presentation, produce its QR text,
//! encode the QR symbol and render it as SVG (≤ 2 ms for the whole chain), and verify one
//! presentation (≤ 1 ms: parse, two signatures, disclosures, policy).

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

criterion_group!(format, benches);
criterion_main!(format);
