//! Sizes of full-form (SD-CWT) codes, docs/FORMAT.md §5: with a status reference to the
//! development issuer's 28-character list URI and a 7-digit index, the hotel, café and ticket codes
//! fit QR version 20 at level M for names of 1 to 15 characters (3 bytes each in UTF-8), and a code
//! that discloses fewer claims is never larger than one that discloses more.

#[path = "vectors/fixtures.rs"]
mod fixtures;
#[path = "qr_support/mod.rs"]
mod qr_support;

use std::collections::BTreeSet;

use fixtures::*;
use netid_core::credential::{
    self, ClaimName, ClaimValue, Credential, DocType, DocumentClaims, StatusReference,
};
use netid_core::issuer::parse_claims_file;
use netid_core::present::{
    Disclose, HolderSigner, PresentationRequest, Purpose, SoftwareHolderKey, present,
};
use netid_core::time::{FixedClock, UnixTime};
use netid_core::verify::{Verifier, VerifierOptions, VerifyRequest};

const STATUS_URI: &str = "https://dev-issuer.example/s";
const STATUS_IDX: u64 = 1_234_567;

fn clock() -> FixedClock {
    FixedClock::new(UnixTime::from_secs(NOW))
}

fn verifier() -> Verifier {
    // No status lists here: a credential's entry is unavailable, which is accepted in this test.
    let options = VerifierOptions {
        accept_unavailable_status: true,
        ..Default::default()
    };
    Verifier::with_options(trust_list(), Box::new(clock()), options)
}

fn issue(document: &DocumentClaims, holder: &SoftwareHolderKey) -> Credential {
    issuer()
        .issue(
            document,
            &holder.public_key(),
            UnixTime::from_secs(NOW - 86_400),
            Some(StatusReference {
                idx: STATUS_IDX,
                uri: STATUS_URI.into(),
            }),
            &mut CountingSalts::new("sizes"),
        )
        .unwrap()
}

fn code(
    credential: &Credential,
    holder: &SoftwareHolderKey,
    request: &PresentationRequest,
) -> String {
    present(credential, request, holder, &clock())
        .unwrap()
        .qr_text()
        .to_string()
}

/// FORMAT.md §5's size table: hotel, café and ticket ≤ v20 for names of 1 to 15 characters, each
/// accepted by the counter of its purpose, and the café code (two claims) never larger than the
/// hotel or the ticket code of the same credential.
#[test]
fn full_form_codes_fit_qr_version_20_for_names_of_1_to_15_characters() {
    let names = "阿卜杜热合曼买买提艾力江古丽";
    assert_eq!(names.chars().count(), 14);
    let holder = SoftwareHolderKey::generate();
    let mut rows = Vec::new();
    for n in 1..=15usize {
        let name: String = names.chars().cycle().take(n).collect();
        let mut document = parse_claims_file(claims_json(DocType::ResidentId)).unwrap();
        document
            .claims
            .insert(ClaimName::Name, ClaimValue::Text(name));
        let credential = issue(&document, &holder);
        let mut row = format!("name {n:2}:");
        let mut bytes_of = |purpose: Purpose| {
            let text = code(
                &credential,
                &holder,
                &PresentationRequest::for_purpose(purpose),
            );
            let verified = verifier()
                .verify_qr_text(&text, &VerifyRequest::for_purpose(purpose))
                .unwrap_or_else(|e| panic!("{} code, {n} characters: {e}", purpose.as_str()));
            if purpose == Purpose::HotelCheckIn {
                // The hotel counter reads sex and birth date from the disclosed ID number.
                let derived = [ClaimName::Sex, ClaimName::BirthDate];
                assert_eq!(verified.derived_claims(), &BTreeSet::from(derived));
                for c in derived {
                    assert_eq!(verified.claim(c), document.claims.get(&c));
                }
            } else {
                assert!(verified.derived_claims().is_empty());
            }
            let bytes = credential::from_qr_text(&text).unwrap().len();
            let version = qr_support::qr_version(&text);
            row.push_str(&format!(" {} {bytes} B v{version};", purpose.as_str()));
            assert!(
                version <= 20,
                "{} code for a {n}-character name is v{version} ({bytes} bytes), above v20",
                purpose.as_str()
            );
            bytes
        };
        let hotel = bytes_of(Purpose::HotelCheckIn);
        let cafe = bytes_of(Purpose::InternetCafe);
        let ticket = bytes_of(Purpose::TrainTicket);
        assert!(
            cafe <= hotel && cafe <= ticket,
            "{n} characters: café {cafe} B, hotel {hotel} B, ticket {ticket} B"
        );
        rows.push(row);
    }
    println!("{}", rows.join("\n"));
}

/// For one credential of each document type, every hand-picked set of claims: adding a claim to
/// the set never makes the code smaller, so disclosing fewer claims never costs more bytes.
#[test]
fn disclosing_a_subset_of_claims_never_yields_a_larger_code() {
    let holder = SoftwareHolderKey::generate();
    for doc_type in DocType::ALL {
        let document = parse_claims_file(claims_json(doc_type)).unwrap();
        let credential = issue(&document, &holder);
        let claims: Vec<ClaimName> = credential.disclosures().iter().map(|d| d.claim()).collect();
        assert!(claims.len() < 16);
        let size = |set: u32| {
            let chosen: Vec<ClaimName> = claims
                .iter()
                .enumerate()
                .filter(|(i, _)| set & (1 << i) != 0)
                .map(|(_, c)| *c)
                .collect();
            let request = PresentationRequest {
                disclose: Disclose::Claims(chosen),
                audience: Some("counter".into()),
                nonce: None,
                lifetime_secs: 60,
            };
            credential::from_qr_text(&code(&credential, &holder, &request))
                .unwrap()
                .len()
        };
        let sizes: Vec<usize> = (0..1u32 << claims.len()).map(size).collect();
        for (set, &bytes) in sizes.iter().enumerate() {
            for (i, claim) in claims.iter().enumerate() {
                let bigger = set | (1 << i);
                assert!(
                    sizes[bigger] >= bytes,
                    "{doc_type:?}: adding {} to {:?} shrinks the code from {bytes} to {} bytes",
                    claim.as_str(),
                    claims
                        .iter()
                        .enumerate()
                        .filter(|(j, _)| set & (1 << j) != 0)
                        .map(|(_, c)| c.as_str())
                        .collect::<BTreeSet<_>>(),
                    sizes[bigger]
                );
            }
        }
    }
}
