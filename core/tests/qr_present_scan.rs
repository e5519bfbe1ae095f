//! The whole counter path with independent parts: a presentation is rendered as a PNG, read back
//! by two scanners that share no code with the encoder (zxing-cpp, as counter apps embed it, and
//! rqrr), and the text each scanner returns verifies with the claims the resident disclosed.

#[path = "vectors/fixtures.rs"]
mod fixtures;
mod qr_support;

use fixtures::*;
use netid_core::credential::{ClaimName, ClaimValue, DocType, Purpose};
use netid_core::present::{PresentationRequest, present};
use netid_core::qr::QrMatrix;
use netid_core::time::{FixedClock, UnixTime};
use netid_core::verify::{Verifier, VerifyRequest};
use qr_support::scan_with_zxing;

fn scan_with_rqrr(png: &[u8]) -> String {
    let (width, height, pixels) = qr_support::decode_png(png);
    let mut image =
        rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| pixels[y * width + x]);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "exactly one QR code in the rendering");
    let (_, text) = grids[0].decode().expect("rqrr decodes the rendering");
    text
}

#[test]
fn scanned_hotel_code_verifies_with_the_disclosed_claims() {
    let credential = credential(DocType::ResidentId);
    let shown = present(
        &credential,
        &PresentationRequest::for_purpose(Purpose::HotelCheckIn),
        &holder(),
        &FixedClock::new(UnixTime::from_secs(NOW)),
    )
    .unwrap();
    let matrix = QrMatrix::encode(&shown.qr_text()).unwrap();
    assert!(
        matrix.version() <= 20,
        "hotel code is v{}",
        matrix.version()
    );
    let png = matrix.to_png(4).unwrap();

    let (from_zxing, _) = scan_with_zxing(&png);
    let from_rqrr = scan_with_rqrr(&png);
    assert_eq!(from_zxing, *shown.qr_text());
    assert_eq!(from_rqrr, *shown.qr_text());

    let hotel = VerifyRequest::for_purpose(Purpose::HotelCheckIn);
    // Two counters, one scanner each: both accept (one counter would refuse the second as a replay).
    for scanned in [from_zxing, from_rqrr] {
        let counter = Verifier::new(
            trust_list(),
            Box::new(FixedClock::new(UnixTime::from_secs(NOW + 5))),
        );
        let verified = counter.verify_qr_text(&scanned, &hotel).unwrap();
        assert_eq!(verified.doc_type(), DocType::ResidentId);
        let disclosed: Vec<ClaimName> = verified.claims().keys().copied().collect();
        for claim in Purpose::HotelCheckIn.claims(&credential) {
            assert!(disclosed.contains(&claim), "{claim:?} must be disclosed");
        }
        assert!(matches!(
            verified.claim(ClaimName::Name),
            Some(ClaimValue::Text(name)) if !name.is_empty()
        ));
    }
}
