//! Presentations: chosen disclosures only, holder-signature self-check, lifetime and audience
//! rules, and the QR size budget for the hotel check-in code.

#[path = "vectors/fixtures.rs"]
mod fixtures;

use fixtures::*;
use netid_core::credential::{self, ClaimName, DocType};
use netid_core::issuer::parse_claims_file;
use netid_core::present::{
    Disclose, HolderSigner, PresentError, PresentationRequest, Purpose, SignerError,
    SoftwareHolderKey, present, present_with_ids,
};
use netid_core::time::{FixedClock, UnixTime};

fn clock() -> FixedClock {
    FixedClock::new(UnixTime::from_secs(NOW))
}

/// The budget holds for a credential as an issuer would really mint it: with a Token Status List
/// reference (a 24-character list URI and an index beyond 65,535, so the CBOR integer takes its
/// 5-byte form) and a three-character name.
#[test]
fn hotel_presentation_fits_qr_version_20_at_level_m() {
    let mut claims = parse_claims_file(resident_id_json()).unwrap();
    claims.claims.insert(
        ClaimName::Name,
        credential::ClaimValue::Text("欧阳娜娜".into()),
    );
    let cred = issuer()
        .issue(
            &claims,
            &holder().public_key(),
            UnixTime::from_secs(NOW - 86_400),
            Some(credential::StatusReference {
                idx: 1_234_567,
                uri: "https://st.nid.example/r1".into(),
            }),
            &mut CountingSalts::new("size"),
        )
        .unwrap();
    let p = present(
        &cred,
        &PresentationRequest::for_purpose(Purpose::HotelCheckIn),
        &holder(),
        &clock(),
    )
    .unwrap();
    let text = p.qr_text();
    let code =
        qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M).unwrap();
    let version = match code.version() {
        qrcode::Version::Normal(v) => v,
        qrcode::Version::Micro(_) => 0,
    };
    println!(
        "hotel presentation: {} bytes CBOR, {} QR text characters, QR version {} at level M",
        p.as_bytes().len(),
        text.len(),
        version
    );
    assert!(
        text.bytes()
            .all(|b| b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:".contains(&b))
    );
    assert!(
        version <= 20,
        "hotel QR needs version {version} (> 20) at level M"
    );
}

#[test]
fn every_purpose_discloses_exactly_its_claims() {
    let cred = credential(DocType::ResidentId);
    for purpose in Purpose::ALL {
        let p = present(
            &cred,
            &PresentationRequest::for_purpose(purpose),
            &holder(),
            &clock(),
        )
        .unwrap();
        let mut expected = purpose.claims(&cred);
        let mut got = p.disclosed().to_vec();
        expected.sort();
        got.sort();
        assert_eq!(got, expected, "{purpose:?}");
        // Undisclosed values are absent from the bytes (salted hashes only).
        let bytes = p.as_bytes();
        let address = "北京市朝阳区建国路88号".as_bytes();
        let has_address = bytes.windows(address.len()).any(|w| w == address);
        assert_eq!(
            has_address,
            purpose == Purpose::GovernmentService,
            "{purpose:?}"
        );
    }
}

#[test]
fn lifetime_defaults_to_60_seconds_and_never_outlives_the_credential() {
    let cred = credential(DocType::ResidentId);
    let p = present(
        &cred,
        &PresentationRequest::for_purpose(Purpose::TrainTicket),
        &holder(),
        &clock(),
    )
    .unwrap();
    assert_eq!(p.expires().as_secs() - p.issued_at().as_secs(), 60);
    // One second before the credential expires, the code's exp is clamped to it.
    let late = FixedClock::new(cred.expires().saturating_add(-1));
    let p = present(
        &cred,
        &PresentationRequest::for_purpose(Purpose::TrainTicket),
        &holder(),
        &late,
    )
    .unwrap();
    assert_eq!(p.expires(), cred.expires());
    let after = FixedClock::new(cred.expires());
    assert_eq!(
        present(
            &cred,
            &PresentationRequest::for_purpose(Purpose::TrainTicket),
            &holder(),
            &after
        )
        .unwrap_err(),
        PresentError::CredentialNotValidNow
    );
    let mut req = PresentationRequest::for_purpose(Purpose::TrainTicket);
    req.lifetime_secs = 0;
    assert_eq!(
        present(&cred, &req, &holder(), &clock()).unwrap_err(),
        PresentError::BadLifetime
    );
}

#[test]
fn custom_claim_sets_need_an_audience_and_existing_claims() {
    let cred = credential(DocType::ResidentId);
    let mut req = PresentationRequest {
        disclose: Disclose::Claims(vec![ClaimName::AgeOver60]),
        audience: None,
        nonce: Some(vec![7; 8]),
        lifetime_secs: 30,
    };
    assert_eq!(
        present(&cred, &req, &holder(), &clock()).unwrap_err(),
        PresentError::AudienceRequired
    );
    req.audience = Some("park-gate-3".into());
    let p = present(&cred, &req, &holder(), &clock()).unwrap();
    assert_eq!(p.disclosed(), &[ClaimName::AgeOver60]);
    req.disclose = Disclose::Claims(vec![ClaimName::VehicleClass]);
    assert_eq!(
        present(&cred, &req, &holder(), &clock()).unwrap_err(),
        PresentError::ClaimNotInCredential("vehicle_class")
    );
    // A driving licence has no ethnicity, so "gov" shows what it has and hotel still works.
    let licence = credential(DocType::DrivingLicence);
    assert!(
        present(
            &licence,
            &PresentationRequest::for_purpose(Purpose::HotelCheckIn),
            &holder(),
            &clock()
        )
        .is_ok()
    );
}

/// A secure area that signs with the wrong key, as a buggy or hostile host might.
struct LyingSecureArea {
    claimed: SoftwareHolderKey,
    actual: SoftwareHolderKey,
}

impl HolderSigner for LyingSecureArea {
    fn public_key(&self) -> p256::PublicKey {
        self.claimed.public_key()
    }
    fn sign(&self, msg: &[u8]) -> Result<p256::ecdsa::Signature, SignerError> {
        self.actual.sign(msg)
    }
}

struct CancelledPrompt;

impl HolderSigner for CancelledPrompt {
    fn public_key(&self) -> p256::PublicKey {
        holder().public_key()
    }
    fn sign(&self, _: &[u8]) -> Result<p256::ecdsa::Signature, SignerError> {
        Err(SignerError::AuthenticationFailed)
    }
}

#[test]
fn secure_area_output_is_checked_before_anything_is_shown() {
    let cred = credential(DocType::ResidentId);
    let req = PresentationRequest::for_purpose(Purpose::HotelCheckIn);
    let lying = LyingSecureArea {
        claimed: holder(),
        actual: SoftwareHolderKey::generate(),
    };
    assert_eq!(
        present(&cred, &req, &lying, &clock()).unwrap_err(),
        PresentError::SecureAreaMisbehaved
    );
    assert_eq!(
        present(&cred, &req, &CancelledPrompt, &clock()).unwrap_err(),
        PresentError::Signer(SignerError::AuthenticationFailed)
    );
    assert_eq!(
        present(&cred, &req, &SoftwareHolderKey::generate(), &clock()).unwrap_err(),
        PresentError::WrongHolderKey
    );
}

#[test]
fn cti_is_fresh_per_presentation_and_deterministic_when_injected() {
    let cred = credential(DocType::ResidentId);
    let req = PresentationRequest::for_purpose(Purpose::InternetCafe);
    let a = present(&cred, &req, &holder(), &clock()).unwrap();
    let b = present(&cred, &req, &holder(), &clock()).unwrap();
    assert_ne!(a.as_bytes(), b.as_bytes());
    let c = present_with_ids(
        &cred,
        &req,
        &holder(),
        &clock(),
        &mut CountingSalts::new("cti"),
    )
    .unwrap();
    let d = present_with_ids(
        &cred,
        &req,
        &holder(),
        &clock(),
        &mut CountingSalts::new("cti"),
    )
    .unwrap();
    assert_eq!(c.as_bytes(), d.as_bytes());
    assert_eq!(
        credential::from_qr_text(&c.qr_text()).unwrap(),
        c.as_bytes()
    );
}
