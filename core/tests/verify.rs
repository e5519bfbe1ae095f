//! The counter verifier: round trips for every document type and purpose, and one specific error
//! per cause, none of which echoes personal data.

#[path = "vectors/fixtures.rs"]
mod fixtures;

use std::collections::BTreeMap;

use fixtures::*;
use netid_core::credential::cbor::{self, Cbor};
use netid_core::credential::sd_cwt::{self, CoseSign1};
use netid_core::credential::{
    AssuranceLevel, ClaimName, ClaimValue, Credential, DocType, StatusReference,
};
use netid_core::issuer::{DevIssuer, TrustList, parse_claims_file};
use netid_core::present::{
    Disclose, HolderSigner, Presentation, PresentationRequest, Purpose, present,
};
use netid_core::status::{StaleReason, StatusAnswer, StatusError, StatusLookup, TokenStatus};
use netid_core::time::{FixedClock, UnixTime};
use netid_core::verify::{
    IssuerProblem, Policy, PolicyProblem, Verifier, VerifierOptions, VerifyError, VerifyRequest,
};

fn at(secs: i64) -> FixedClock {
    FixedClock::new(UnixTime::from_secs(secs))
}

fn verifier_at(secs: i64) -> Verifier {
    without_gov_request_rule(Verifier::new(trust_list(), Box::new(at(secs))))
}

fn show(cred: &Credential, purpose: Purpose) -> Presentation {
    present(
        cred,
        &PresentationRequest::for_purpose(purpose),
        &holder(),
        &at(NOW),
    )
    .unwrap()
}

/// Personal data that must never appear in an error message.
const PERSONAL: [&str; 4] = ["李秀英", "11010519491231002X", "1949", "北京"];

fn assert_err(result: Result<impl std::fmt::Debug, VerifyError>, expected: VerifyError) {
    let err = result.unwrap_err();
    assert_eq!(err, expected);
    let message = err.to_string();
    for p in PERSONAL {
        assert!(
            !message.contains(p),
            "error message leaks personal data: {message}"
        );
    }
}

#[test]
fn every_doc_type_and_purpose_round_trips_or_fails_its_policy() {
    for doc_type in DocType::ALL {
        let cred = credential(doc_type);
        for purpose in Purpose::ALL {
            let p = show(&cred, purpose);
            let result =
                verifier_at(NOW + 5).verify(p.as_bytes(), &VerifyRequest::for_purpose(purpose));
            let accepted_type = match purpose {
                Purpose::HotelCheckIn | Purpose::TrainTicket => {
                    matches!(doc_type, DocType::ResidentId | DocType::ResidencePermit)
                }
                _ => true,
            };
            let minor = doc_type == DocType::SocialSecurityCard; // born 2008
            let expected_err = if !accepted_type {
                Some(VerifyError::PolicyUnmet(PolicyProblem::DocType))
            } else if purpose == Purpose::GovernmentService
                && cred.assurance_level() == AssuranceLevel::Basic
            {
                Some(VerifyError::PolicyUnmet(PolicyProblem::AssuranceTooLow))
            } else if purpose == Purpose::InternetCafe && minor {
                Some(VerifyError::PolicyUnmet(PolicyProblem::ConditionFalse(
                    ClaimName::AgeOver18,
                )))
            } else {
                None
            };
            match (result, expected_err) {
                (Ok(v), None) => {
                    assert_eq!(v.doc_type(), doc_type);
                    assert_eq!(v.assurance_level(), cred.assurance_level());
                    assert_eq!(v.issuer(), ISSUER_ID);
                    assert_eq!(v.audience(), purpose.as_str());
                    assert_eq!(v.issued_at(), UnixTime::from_secs(NOW));
                    assert_eq!(v.expires(), UnixTime::from_secs(NOW + 60));
                    // What the wallet disclosed, plus what the counter read from the ID number:
                    // the hotel's sex and birth date (FORMAT.md §4).
                    let derived: Vec<ClaimName> = match purpose {
                        Purpose::HotelCheckIn => vec![ClaimName::Sex, ClaimName::BirthDate],
                        _ => Vec::new(),
                    };
                    let expected: BTreeMap<ClaimName, ClaimValue> = purpose
                        .claims(&cred)
                        .into_iter()
                        .chain(derived.iter().copied())
                        .map(|c| (c, cred.claim(c).unwrap().clone()))
                        .collect();
                    assert_eq!(v.claims(), &expected, "{doc_type:?} {purpose:?}");
                    assert_eq!(
                        v.derived_claims().iter().copied().collect::<Vec<_>>(),
                        derived,
                        "{doc_type:?} {purpose:?}"
                    );
                }
                (Err(e), Some(x)) => assert_eq!(e, x, "{doc_type:?} {purpose:?}"),
                (r, x) => panic!("{doc_type:?} {purpose:?}: got {r:?}, expected {x:?}"),
            }
        }
    }
}

#[test]
fn qr_text_round_trip_and_gov_discloses_everything() {
    let cred = credential(DocType::DrivingLicence);
    let p = show(&cred, Purpose::GovernmentService);
    let v = verifier_at(NOW)
        .verify_qr_text(
            &p.qr_text(),
            &VerifyRequest::for_purpose(Purpose::GovernmentService),
        )
        .unwrap();
    assert_eq!(v.claims().len(), cred.disclosures().len());
    assert_eq!(
        v.claim(ClaimName::VehicleClass),
        Some(&ClaimValue::Text("C1".into()))
    );
    assert_eq!(v.claim(ClaimName::AgeOver18), Some(&ClaimValue::Bool(true)));
    assert_eq!(
        v.claim(ClaimName::AgeOver60),
        Some(&ClaimValue::Bool(false))
    );
}

#[test]
fn interactive_mode_binds_audience_and_nonce() {
    let cred = credential(DocType::ResidentId);
    let nonce = b"counter-nonce-01".to_vec();
    let req = PresentationRequest {
        disclose: Disclose::Purpose(Purpose::HotelCheckIn),
        audience: Some("hotel-4711".into()),
        nonce: Some(nonce.clone()),
        lifetime_secs: 60,
    };
    let p = present(&cred, &req, &holder(), &at(NOW)).unwrap();
    let good = VerifyRequest {
        purpose: Purpose::HotelCheckIn,
        audience: Some("hotel-4711".into()),
        nonce: Some(nonce),
    };
    let v = verifier_at(NOW).verify(p.as_bytes(), &good).unwrap();
    assert_eq!(v.nonce(), Some(&b"counter-nonce-01"[..]));
    let other_counter = VerifyRequest {
        audience: Some("hotel-9999".into()),
        ..good.clone()
    };
    assert_err(
        verifier_at(NOW).verify(p.as_bytes(), &other_counter),
        VerifyError::WrongAudience,
    );
    let other_nonce = VerifyRequest {
        nonce: Some(b"another".to_vec()),
        ..good
    };
    assert_err(
        verifier_at(NOW).verify(p.as_bytes(), &other_nonce),
        VerifyError::NonceMismatch,
    );
}

#[test]
fn malformed_input_gets_malformed_errors() {
    let p = show(&credential(DocType::ResidentId), Purpose::HotelCheckIn);
    let v = verifier_at(NOW);
    let hotel = VerifyRequest::for_purpose(Purpose::HotelCheckIn);
    for bad in [
        &p.as_bytes()[..100],
        &p.as_bytes()[..p.as_bytes().len() - 1],
        b"",
        &[0xd2, 0x9f, 0xff][..],
    ] {
        assert!(matches!(
            v.verify(bad, &hotel),
            Err(VerifyError::Malformed(_))
        ));
    }
    assert!(matches!(
        v.verify_qr_text("HC1:ABC", &hotel),
        Err(VerifyError::Malformed(_))
    ));
    assert!(matches!(
        v.verify_qr_text("NID1:abc", &hotel),
        Err(VerifyError::Malformed(_))
    ));
    assert!(matches!(
        v.verify_qr_text("NID1:A", &hotel),
        Err(VerifyError::Malformed(_))
    ));
    // The issued credential alone (no key binding) is not a presentation.
    let cred = credential(DocType::ResidentId).to_bytes();
    assert!(matches!(
        v.verify(&cred, &hotel),
        Err(VerifyError::Malformed(_))
    ));
}

#[test]
fn unknown_issuer_cases() {
    let p = show(&credential(DocType::ResidentId), Purpose::HotelCheckIn);
    let hotel = VerifyRequest::for_purpose(Purpose::HotelCheckIn);
    let empty = Verifier::new(TrustList::new(), Box::new(at(NOW)));
    assert_err(
        empty.verify(p.as_bytes(), &hotel),
        VerifyError::UnknownIssuer(IssuerProblem::NotListed),
    );

    let mut only_licences = TrustList::new();
    only_licences
        .add(issuer().trust_entry(
            UnixTime::from_secs(0),
            UnixTime::from_secs(i64::MAX / 2),
            &[DocType::DrivingLicence],
        ))
        .unwrap();
    let v = Verifier::new(only_licences, Box::new(at(NOW)));
    assert_err(
        v.verify(p.as_bytes(), &hotel),
        VerifyError::UnknownIssuer(IssuerProblem::DocTypeNotAllowed),
    );

    let mut retired = TrustList::new();
    retired
        .add(issuer().trust_entry(
            UnixTime::from_secs(0),
            UnixTime::from_secs(NOW - 1),
            &DocType::ALL,
        ))
        .unwrap();
    let v = Verifier::new(retired, Box::new(at(NOW)));
    assert_err(
        v.verify(p.as_bytes(), &hotel),
        VerifyError::UnknownIssuer(IssuerProblem::OutsideWindow),
    );

    // Same kid, different iss.
    let impostor = DevIssuer::from_scalar_bytes(&[7; 32], "someone-else", KID).unwrap();
    let mut list = TrustList::new();
    list.add(impostor.trust_entry(
        UnixTime::from_secs(0),
        UnixTime::from_secs(i64::MAX / 2),
        &DocType::ALL,
    ))
    .unwrap();
    let doc = parse_claims_file(resident_id_json()).unwrap();
    let cred = impostor
        .issue(
            &doc,
            &holder().public_key(),
            UnixTime::from_secs(NOW - 10),
            None,
            &mut CountingSalts::new("i"),
        )
        .unwrap();
    let p2 = show(&cred, Purpose::HotelCheckIn);
    assert!(
        Verifier::new(list, Box::new(at(NOW)))
            .verify(p2.as_bytes(), &hotel)
            .is_ok()
    );
    // Its credential claims kid "d1" but is signed by another key: a forgery against our list.
    assert_err(
        verifier_at(NOW).verify(p2.as_bytes(), &hotel),
        VerifyError::BadIssuerSignature,
    );
}

#[test]
fn bad_signatures_are_told_apart() {
    let hotel = VerifyRequest::for_purpose(Purpose::HotelCheckIn);
    // Issuer signature altered, then honestly presented by the holder.
    let mut bytes = credential(DocType::ResidentId).to_bytes();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    let forged = Credential::from_bytes(&bytes).unwrap();
    let p = show(&forged, Purpose::HotelCheckIn);
    assert_err(
        verifier_at(NOW).verify(p.as_bytes(), &hotel),
        VerifyError::BadIssuerSignature,
    );

    // Holder signature altered.
    let p = show(&credential(DocType::ResidentId), Purpose::HotelCheckIn);
    let mut bytes = p.as_bytes().to_vec();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    assert_err(
        verifier_at(NOW).verify(&bytes, &hotel),
        VerifyError::BadHolderSignature,
    );
}

/// Rebuild a presentation after `edit` changes its embedded SD-CWT, re-signed by the real
/// holder: only the disclosure checks can then notice.
fn resign_with(p: &Presentation, mut edit: impl FnMut(&mut CoseSign1)) -> Vec<u8> {
    let mut kbt = CoseSign1::from_slice(p.as_bytes()).unwrap();
    let mut protected = kbt.protected.clone();
    let Cbor::Map(header) = &mut protected else {
        panic!()
    };
    for (k, v) in header.iter_mut() {
        if *k == Cbor::int(sd_cwt::HEADER_KCWT) {
            let mut cwt = CoseSign1::from_cbor(v).unwrap();
            edit(&mut cwt);
            *v = cwt.to_cbor();
        }
    }
    kbt.protected = protected;
    kbt.protected_bytes = kbt.protected.to_vec();
    kbt.signature = holder()
        .sign(&kbt.to_be_signed())
        .unwrap()
        .to_bytes()
        .to_vec();
    kbt.to_cbor().to_vec()
}

fn set_sd_claims(cwt: &mut CoseSign1, disclosures: Vec<Vec<u8>>) {
    cwt.unprotected = Cbor::Map(vec![(
        Cbor::int(sd_cwt::HEADER_SD_CLAIMS),
        Cbor::Array(disclosures.into_iter().map(Cbor::Bytes).collect()),
    )]);
}

#[test]
fn disclosures_that_do_not_match_are_rejected() {
    let hotel = VerifyRequest::for_purpose(Purpose::HotelCheckIn);
    let cred = credential(DocType::ResidentId);
    let p = show(&cred, Purpose::HotelCheckIn);
    // A made-up disclosure (different name, fresh salt).
    let fake = Cbor::Array(vec![
        Cbor::Bytes(vec![9; 16]),
        Cbor::Text("张伟".into()),
        Cbor::int(3),
    ])
    .to_vec();
    let bytes = resign_with(&p, |cwt| {
        let mut d = sd_cwt::sd_claims(cwt).unwrap();
        d.push(fake.clone());
        set_sd_claims(cwt, d);
    });
    assert!(matches!(
        verifier_at(NOW).verify(&bytes, &hotel),
        Err(VerifyError::DisclosureMismatch(_))
    ));
    // The real name disclosure with its value swapped keeps the salt but not the hash.
    let name = cred
        .disclosures()
        .iter()
        .find(|d| d.claim() == ClaimName::Name)
        .unwrap();
    let decoded = cbor::decode(name.encoded()).unwrap();
    let salt = decoded.as_array().unwrap()[0].clone();
    let swapped = Cbor::Array(vec![salt, Cbor::Text("张伟".into()), Cbor::int(3)]).to_vec();
    let bytes = resign_with(&p, |cwt| {
        let d: Vec<Vec<u8>> = sd_cwt::sd_claims(cwt)
            .unwrap()
            .into_iter()
            .map(|e| {
                if e == name.encoded() {
                    swapped.clone()
                } else {
                    e
                }
            })
            .collect();
        set_sd_claims(cwt, d);
    });
    assert_err(
        verifier_at(NOW).verify(&bytes, &hotel),
        VerifyError::DisclosureMismatch(sd_cwt::DisclosureError::Unmatched),
    );
    // The same disclosure twice.
    let bytes = resign_with(&p, |cwt| {
        let mut d = sd_cwt::sd_claims(cwt).unwrap();
        d.push(d[0].clone());
        set_sd_claims(cwt, d);
    });
    assert_err(
        verifier_at(NOW).verify(&bytes, &hotel),
        VerifyError::DisclosureMismatch(sd_cwt::DisclosureError::Duplicate),
    );
    // An inner details claim without its group disclosure has nothing to match.
    let address = cred
        .disclosures()
        .iter()
        .find(|d| d.claim() == ClaimName::Address)
        .unwrap();
    let bytes = resign_with(&p, |cwt| {
        let mut d = sd_cwt::sd_claims(cwt).unwrap();
        d.push(address.encoded().to_vec());
        set_sd_claims(cwt, d);
    });
    assert_err(
        verifier_at(NOW).verify(&bytes, &hotel),
        VerifyError::DisclosureMismatch(sd_cwt::DisclosureError::Unmatched),
    );
    // Dropping disclosures is allowed by the format but then the hotel policy is unmet.
    let bytes = resign_with(&p, |cwt| cwt.unprotected = Cbor::Map(vec![]));
    assert_err(
        verifier_at(NOW).verify(&bytes, &hotel),
        VerifyError::PolicyUnmet(PolicyProblem::MissingClaim(ClaimName::Name)),
    );
}

#[test]
fn time_errors_name_the_right_cause() {
    let hotel = VerifyRequest::for_purpose(Purpose::HotelCheckIn);
    let cred = credential(DocType::ResidentId);
    let p = show(&cred, Purpose::HotelCheckIn);
    // exp = NOW + 60, skew 30; RFC 8392's exp is the time "on or after which" a token is
    // refused, so NOW + 90 (exp = now − skew) is already too late.
    assert!(verifier_at(NOW + 89).verify(p.as_bytes(), &hotel).is_ok());
    assert_err(
        verifier_at(NOW + 90).verify(p.as_bytes(), &hotel),
        VerifyError::PresentationExpired,
    );
    assert!(verifier_at(NOW - 30).verify(p.as_bytes(), &hotel).is_ok());
    assert_err(
        verifier_at(NOW - 31).verify(p.as_bytes(), &hotel),
        VerifyError::IssuedInFuture,
    );

    // A long lifetime is capped by the verifier's maximum age (120 s).
    let req = PresentationRequest {
        lifetime_secs: 600,
        ..PresentationRequest::for_purpose(Purpose::HotelCheckIn)
    };
    let long = present(&cred, &req, &holder(), &at(NOW)).unwrap();
    assert_err(
        verifier_at(NOW + 151).verify(long.as_bytes(), &hotel),
        VerifyError::PresentationExpired,
    );

    // Credential expired (valid_until 2040-01-01 → exp 2040-01-02T00:00Z).
    let exp = cred.expires().as_secs();
    let late = present(
        &cred,
        &PresentationRequest::for_purpose(Purpose::HotelCheckIn),
        &holder(),
        &at(exp - 10),
    )
    .unwrap();
    assert!(verifier_at(exp - 5).verify(late.as_bytes(), &hotel).is_ok());
    assert_err(
        verifier_at(exp + 30).verify(late.as_bytes(), &hotel),
        VerifyError::CredentialExpired,
    );

    // Credential not yet valid: valid_from in ten days, shown from a phone whose clock is ahead.
    let mut doc = parse_claims_file(resident_id_json()).unwrap();
    doc.valid_from = UnixTime::from_secs(NOW + 10 * 86_400).date();
    let future = issuer()
        .issue(
            &doc,
            &holder().public_key(),
            UnixTime::from_secs(NOW - 60),
            None,
            &mut CountingSalts::new("f"),
        )
        .unwrap();
    let p = present(
        &future,
        &PresentationRequest::for_purpose(Purpose::HotelCheckIn),
        &holder(),
        &at(NOW + 11 * 86_400),
    )
    .unwrap();
    assert_err(
        verifier_at(NOW).verify(p.as_bytes(), &hotel),
        VerifyError::NotYetValid,
    );
}

#[test]
fn replays_are_caught_and_the_cache_stays_bounded() {
    let hotel = VerifyRequest::for_purpose(Purpose::HotelCheckIn);
    let cred = credential(DocType::ResidentId);
    let clock = std::sync::Arc::new(at(NOW));
    struct Shared(std::sync::Arc<FixedClock>);
    impl netid_core::time::Clock for Shared {
        fn now(&self) -> UnixTime {
            netid_core::time::Clock::now(&*self.0)
        }
    }
    let options = VerifierOptions {
        replay_capacity: 2,
        ..VerifierOptions::default()
    };
    let v = Verifier::with_options(trust_list(), Box::new(Shared(clock.clone())), options);
    let codes: Vec<Presentation> = (0..3).map(|_| show(&cred, Purpose::HotelCheckIn)).collect();
    v.verify(codes[0].as_bytes(), &hotel).unwrap();
    assert_err(v.verify(codes[0].as_bytes(), &hotel), VerifyError::Replayed);
    v.verify(codes[1].as_bytes(), &hotel).unwrap();
    assert_err(
        v.verify(codes[2].as_bytes(), &hotel),
        VerifyError::ReplayCacheFull,
    );
    assert_eq!(v.replay_cache_len(), 2);
    // Entries expire at exp + skew = NOW + 90; the replay stays refused as expired afterwards.
    clock.set(UnixTime::from_secs(NOW + 91));
    assert_err(
        v.verify(codes[0].as_bytes(), &hotel),
        VerifyError::PresentationExpired,
    );
    let fresh = present(
        &cred,
        &PresentationRequest::for_purpose(Purpose::HotelCheckIn),
        &holder(),
        &at(NOW + 91),
    )
    .unwrap();
    v.verify(fresh.as_bytes(), &hotel).unwrap();
    assert!(v.replay_cache_len() <= 2);
}

#[test]
fn policy_errors() {
    let cred = credential(DocType::ResidentId);
    let req = PresentationRequest {
        disclose: Disclose::Claims(vec![ClaimName::Name]),
        audience: Some("hotel".into()),
        nonce: None,
        lifetime_secs: 60,
    };
    let p = present(&cred, &req, &holder(), &at(NOW)).unwrap();
    assert_err(
        verifier_at(NOW).verify(
            p.as_bytes(),
            &VerifyRequest::for_purpose(Purpose::HotelCheckIn),
        ),
        VerifyError::PolicyUnmet(PolicyProblem::MissingClaim(ClaimName::IdNumber)),
    );
    // A cafe code shown at a hotel is for another audience.
    let cafe = show(&cred, Purpose::InternetCafe);
    assert_err(
        verifier_at(NOW).verify(
            cafe.as_bytes(),
            &VerifyRequest::for_purpose(Purpose::HotelCheckIn),
        ),
        VerifyError::WrongAudience,
    );
}

/// FORMAT.md §4: a required `sex` or `birth_date` counts as present only when it is disclosed or
/// read from a disclosed, valid `id_number`; nothing else is derived, and a disclosed `sex` or
/// `birth_date` is still checked against the ID number.
#[test]
fn sex_and_birth_date_are_derived_only_from_a_disclosed_id_number() {
    let cred = credential(DocType::ResidentId);
    let hotel = VerifyRequest::for_purpose(Purpose::HotelCheckIn);
    let hand_picked = |claims: Vec<ClaimName>, aud: &str| {
        let req = PresentationRequest {
            disclose: Disclose::Claims(claims),
            audience: Some(aud.into()),
            nonce: None,
            lifetime_secs: 60,
        };
        present(&cred, &req, &holder(), &at(NOW)).unwrap()
    };
    // Sex and birth date disclosed without the ID number: the hotel still needs the ID number.
    let p = hand_picked(
        vec![ClaimName::Name, ClaimName::Sex, ClaimName::BirthDate],
        "hotel",
    );
    assert_err(
        verifier_at(NOW).verify(p.as_bytes(), &hotel),
        VerifyError::PolicyUnmet(PolicyProblem::MissingClaim(ClaimName::IdNumber)),
    );
    // Disclosed alongside the ID number, they are shown as disclosed, not derived.
    let p = hand_picked(
        vec![
            ClaimName::Name,
            ClaimName::IdNumber,
            ClaimName::Sex,
            ClaimName::BirthDate,
        ],
        "hotel",
    );
    let v = verifier_at(NOW).verify(p.as_bytes(), &hotel).unwrap();
    assert!(v.derived_claims().is_empty());
    assert_eq!(v.claim(ClaimName::Sex), cred.claim(ClaimName::Sex));
    // Only what the policy asks for is derived: the ticket counter sees name and ID number.
    let ticket = show(&cred, Purpose::TrainTicket);
    let v = verifier_at(NOW)
        .verify(
            ticket.as_bytes(),
            &VerifyRequest::for_purpose(Purpose::TrainTicket),
        )
        .unwrap();
    assert!(v.derived_claims().is_empty());
    assert_eq!(
        v.claims().keys().copied().collect::<Vec<_>>(),
        vec![ClaimName::Name, ClaimName::IdNumber]
    );
    // A counter policy asking for a claim the ID number does not hold gets no derivation.
    let mut counter = verifier_at(NOW);
    counter.set_policy(
        Purpose::HotelCheckIn,
        Policy {
            required_claims: vec![ClaimName::Name, ClaimName::Sex, ClaimName::Ethnicity],
            ..Policy::for_purpose(Purpose::HotelCheckIn)
        },
    );
    let p = show(&cred, Purpose::HotelCheckIn);
    assert_err(
        counter.verify(p.as_bytes(), &hotel),
        VerifyError::PolicyUnmet(PolicyProblem::MissingClaim(ClaimName::Ethnicity)),
    );
}

struct StatusFixture(StatusAnswer);

impl StatusLookup for StatusFixture {
    fn lookup(&self, uri: &str, idx: u64, _now: u64) -> Result<StatusAnswer, StatusError> {
        if uri == "https://status.example/1" && idx == 42 {
            Ok(self.0)
        } else {
            Ok(StatusAnswer::Valid)
        }
    }
}

#[test]
fn revocation_status_is_enforced() {
    let hotel = VerifyRequest::for_purpose(Purpose::HotelCheckIn);
    let doc = parse_claims_file(resident_id_json()).unwrap();
    let status = StatusReference {
        idx: 42,
        uri: "https://status.example/1".into(),
    };
    let cred = issuer()
        .issue(
            &doc,
            &holder().public_key(),
            UnixTime::from_secs(NOW - 60),
            Some(status.clone()),
            &mut CountingSalts::new("s"),
        )
        .unwrap();
    assert_eq!(
        Credential::from_bytes(&cred.to_bytes()).unwrap().status(),
        Some(&status)
    );
    let check = |answer: StatusAnswer, options: VerifierOptions| {
        let mut v = Verifier::with_options(trust_list(), Box::new(at(NOW)), options);
        v.set_status_lookup(Box::new(StatusFixture(answer)));
        v.verify(show(&cred, Purpose::HotelCheckIn).as_bytes(), &hotel)
    };
    let defaults = VerifierOptions::default;
    assert!(check(StatusAnswer::Valid, defaults()).is_ok());
    assert_err(
        check(StatusAnswer::Revoked, defaults()),
        VerifyError::Revoked,
    );
    assert_err(
        check(StatusAnswer::Suspended, defaults()),
        VerifyError::Suspended,
    );
    let stale = |status| StatusAnswer::Stale {
        since: u64::try_from(NOW - 3600).unwrap(),
        reason: StaleReason::TimeToLiveElapsed,
        status,
    };
    let accept_stale = || VerifierOptions {
        accept_stale_status: true,
        ..defaults()
    };
    assert_err(
        check(stale(TokenStatus::Valid), defaults()),
        VerifyError::StatusStale {
            since: UnixTime::from_secs(NOW - 3600),
        },
    );
    let accepted = check(stale(TokenStatus::Valid), accept_stale()).unwrap();
    assert_eq!(
        accepted.status_stale_since(),
        Some(UnixTime::from_secs(NOW - 3600))
    );
    // An out-of-date list still proves a revocation or suspension.
    assert_err(
        check(stale(TokenStatus::Revoked), accept_stale()),
        VerifyError::Revoked,
    );
    assert_err(
        check(stale(TokenStatus::Suspended), accept_stale()),
        VerifyError::Suspended,
    );
    assert_err(
        check(StatusAnswer::Other(3), defaults()),
        VerifyError::StatusUnavailable,
    );
    assert_err(
        check(StatusAnswer::Unavailable, defaults()),
        VerifyError::StatusUnavailable,
    );
    assert!(
        check(
            StatusAnswer::Unavailable,
            VerifierOptions {
                accept_unavailable_status: true,
                ..defaults()
            }
        )
        .is_ok()
    );
    // No lookup configured at all counts as unavailable.
    let v = Verifier::new(trust_list(), Box::new(at(NOW)));
    assert_err(
        v.verify(show(&cred, Purpose::HotelCheckIn).as_bytes(), &hotel),
        VerifyError::StatusUnavailable,
    );
}

mod robustness {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Arbitrary bytes and text never panic the decoder, Base45 or the verifier.
        #[test]
        fn arbitrary_input_is_refused_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..700), text in ".{0,200}") {
            let _ = cbor::decode(&bytes);
            let _ = netid_core::base45::decode(&text);
            let v = verifier_at(NOW);
            let hotel = VerifyRequest::for_purpose(Purpose::HotelCheckIn);
            prop_assert!(v.verify(&bytes, &hotel).is_err());
            prop_assert!(v.verify_qr_text(&text, &hotel).is_err());
            let prefixed = format!("NID1:{}", text);
            prop_assert!(v.verify_qr_text(&prefixed, &hotel).is_err());
        }
    }
}

#[test]
fn verifier_can_be_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Verifier>();
    assert_send_sync::<netid_core::verify::VerifiedPresentation>();
    // Two threads scanning the same code: exactly one wins, the other sees a replay.
    let v = std::sync::Arc::new(verifier_at(NOW));
    let p = show(&credential(DocType::ResidentId), Purpose::HotelCheckIn);
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let (v, bytes) = (v.clone(), p.as_bytes().to_vec());
            std::thread::spawn(move || {
                v.verify(&bytes, &VerifyRequest::for_purpose(Purpose::HotelCheckIn))
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    assert!(
        results
            .iter()
            .any(|r| r.as_ref().err() == Some(&VerifyError::Replayed))
    );
}

/// Issue 3's robustness rule, taken literally: every single-byte change of a presentation (each
/// of the 255 other values at each position) and every truncation is refused with an error, never
/// accepted and never a panic. Positions are split over the machine's cores.
#[test]
fn every_single_byte_change_and_every_truncation_is_refused() {
    let p = show(&credential(DocType::ResidentId), Purpose::HotelCheckIn);
    let bytes = p.as_bytes();
    let v = verifier_at(NOW);
    let hotel = VerifyRequest::for_purpose(Purpose::HotelCheckIn);
    for cut in 0..bytes.len() {
        assert!(
            matches!(
                v.verify(&bytes[..cut], &hotel),
                Err(VerifyError::Malformed(_))
            ),
            "truncation to {cut} bytes not refused as malformed"
        );
    }
    let threads = std::thread::available_parallelism().map_or(2, usize::from);
    std::thread::scope(|scope| {
        for worker in 0..threads {
            let (v, hotel) = (&v, &hotel);
            scope.spawn(move || {
                let mut changed = bytes.to_vec();
                for position in (worker..bytes.len()).step_by(threads) {
                    let original = bytes[position];
                    for value in (0..=u8::MAX).filter(|&value| value != original) {
                        changed[position] = value;
                        assert!(
                            v.verify(&changed, hotel).is_err(),
                            "byte {position} changed to {value:#04x} was accepted"
                        );
                    }
                    changed[position] = original;
                }
            });
        }
    });
    assert!(
        v.verify(bytes, &hotel).is_ok(),
        "the unchanged code verifies"
    );
}

#[test]
fn checking_all_but_replay_records_nothing_and_hands_over_the_replay_decision() {
    let hotel = VerifyRequest::for_purpose(Purpose::HotelCheckIn);
    let v = verifier_at(NOW);
    let p = show(&credential(DocType::ResidentId), Purpose::HotelCheckIn);
    let first = v.check_all_but_replay(p.as_bytes(), &hotel).unwrap();
    let second = v.check_all_but_replay(p.as_bytes(), &hotel).unwrap();
    // Same code, same identity; nothing was recorded, so the verifier's own cache still takes it.
    assert_eq!(first.replay_identity(), second.replay_identity());
    assert_eq!(v.replay_cache_len(), 0);
    let skew = i64::from(v.options().skew_secs);
    let verified = first.into_verified_after_recording();
    assert_eq!(
        second.replay_until(),
        verified.expires().saturating_add(skew)
    );
    assert_eq!(second.issued_at(), verified.issued_at());
    assert_eq!(verified, v.verify(p.as_bytes(), &hotel).unwrap());
    assert_err(v.verify(p.as_bytes(), &hotel), VerifyError::Replayed);
    // A different code has a different identity; a failing code never gets one.
    let other = show(&credential(DocType::ResidentId), Purpose::HotelCheckIn);
    let other = v.check_all_but_replay(other.as_bytes(), &hotel).unwrap();
    assert_ne!(other.replay_identity(), second.replay_identity());
    let mut tampered = p.as_bytes().to_vec();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    assert!(v.check_all_but_replay(&tampered, &hotel).is_err());
}

#[test]
fn every_refusal_has_a_distinct_stable_kind() {
    use netid_core::credential::FormatError;
    let all = [
        VerifyError::Malformed(FormatError::UnsupportedAlgorithm),
        VerifyError::UnknownIssuer(IssuerProblem::NotListed),
        VerifyError::BadIssuerSignature,
        VerifyError::BadHolderSignature,
        VerifyError::DisclosureMismatch(sd_cwt::DisclosureError::Malformed),
        VerifyError::PresentationExpired,
        VerifyError::NotYetValid,
        VerifyError::IssuedInFuture,
        VerifyError::Replayed,
        VerifyError::ReplayCacheFull,
        VerifyError::WrongAudience,
        VerifyError::NonceMismatch,
        VerifyError::PolicyUnmet(PolicyProblem::DocType),
        VerifyError::CredentialExpired,
        VerifyError::Revoked,
        VerifyError::Suspended,
        VerifyError::StatusUnavailable,
        VerifyError::StatusStale {
            since: UnixTime::from_secs(NOW),
        },
    ];
    let kinds: std::collections::BTreeSet<&str> = all.iter().map(VerifyError::kind).collect();
    assert_eq!(
        kinds.len(),
        all.len(),
        "two refusals share a kind: {kinds:?}"
    );
    // docs/cli.md lists every kind the command line and the service can answer.
    let cli_doc = include_str!("../../docs/cli.md");
    for kind in kinds {
        assert!(
            cli_doc.contains(&format!("`{kind}`")),
            "docs/cli.md does not list the refusal kind `{kind}`"
        );
    }
}
