//! Purpose credentials (docs/FORMAT.md §12): one-time credentials carrying exactly one
//! purpose's claims, each with its own holder key and status entry. Round trips through the
//! holder and the counter, the size bounds for names of 1–15 characters, refusal of everything
//! outside the shape, and unlinkability of two codes from one wallet.

#[path = "vectors/fixtures.rs"]
mod fixtures;
#[path = "qr_support/mod.rs"]
mod qr_support;

use std::collections::BTreeSet;

use fixtures::*;
use netid_core::credential::cbor::{self, Cbor};
use netid_core::credential::purpose::{PurposeCredential, TYP_CWT};
use netid_core::credential::{
    self, AssuranceLevel, ClaimName, ClaimValue, DocType, DocumentClaims, FormatError,
    StatusReference,
};
use netid_core::issuer::parse_claims_file;
use netid_core::present::{
    HolderSigner, PresentError, PresentationRequest, Purpose, SoftwareHolderKey, present,
    present_purpose,
};
use netid_core::time::{FixedClock, UnixTime};
use netid_core::verify::{PolicyProblem, Verifier, VerifierOptions, VerifyError, VerifyRequest};

const STATUS_URI: &str = "https://dev-issuer.example/s";
const DAY: i64 = 86_400;

fn clock() -> FixedClock {
    FixedClock::new(UnixTime::from_secs(NOW))
}

fn verifier() -> Verifier {
    // No status lists in these tests: a credential's entry is unavailable, which is accepted here.
    let options = VerifierOptions {
        accept_unavailable_status: true,
        ..Default::default()
    };
    without_gov_request_rule(Verifier::with_options(
        trust_list(),
        Box::new(clock()),
        options,
    ))
}

fn document(doc_type: DocType) -> DocumentClaims {
    parse_claims_file(claims_json(doc_type)).unwrap()
}

/// A purpose credential for `purpose`, issued yesterday, valid 30 days, to `holder`.
fn purpose_credential(
    document: &DocumentClaims,
    purpose: Purpose,
    holder: &SoftwareHolderKey,
    idx: u64,
) -> PurposeCredential {
    let issued = issuer()
        .issue_purpose(
            document,
            purpose,
            &holder.public_key(),
            UnixTime::from_secs(NOW - DAY),
            UnixTime::from_secs(NOW + 30 * DAY),
            Some(StatusReference {
                idx,
                uri: STATUS_URI.into(),
            }),
        )
        .unwrap();
    // What the holder stores is what it parsed back.
    PurposeCredential::from_bytes(&issued.to_bytes()).unwrap()
}

fn code(credential: &PurposeCredential, holder: &SoftwareHolderKey) -> String {
    present_purpose(
        credential,
        &PresentationRequest::for_purpose(credential.purpose()),
        holder,
        &clock(),
    )
    .unwrap()
    .qr_text()
    .to_string()
}

#[test]
fn every_purpose_credential_round_trips_through_holder_and_counter_with_exactly_its_claims() {
    for doc_type in DocType::ALL {
        let document = document(doc_type);
        for purpose in Purpose::ALL {
            let holder = SoftwareHolderKey::generate();
            let mut document = document.clone();
            if purpose == Purpose::GovernmentService {
                // netid's default gov policy asks for the enhanced grade.
                document.assurance_level = AssuranceLevel::Enhanced;
            }
            let credential = purpose_credential(&document, purpose, &holder, 7);
            assert_eq!(credential.purpose(), purpose);
            assert_eq!(
                credential.issued_at().as_secs() % DAY,
                0,
                "iat is a whole day"
            );
            let expected: BTreeSet<ClaimName> = purpose.claims_for(doc_type).into_iter().collect();
            assert_eq!(
                credential.claims().keys().copied().collect::<BTreeSet<_>>(),
                expected
            );
            let answer = verifier().verify_qr_text(
                &code(&credential, &holder),
                &VerifyRequest::for_purpose(purpose),
            );
            // The same document as a full credential, shown for the same purpose: the counter's
            // verdict must be the same (a refusal by policy — a document type this purpose does
            // not take, a minor at a café — included).
            let full = issuer()
                .issue(
                    &document,
                    &holder.public_key(),
                    UnixTime::from_secs(NOW - DAY),
                    None,
                    &mut CountingSalts::new("full"),
                )
                .unwrap();
            let full_answer = verifier().verify_qr_text(
                &present(
                    &full,
                    &PresentationRequest::for_purpose(purpose),
                    &holder,
                    &clock(),
                )
                .unwrap()
                .qr_text(),
                &VerifyRequest::for_purpose(purpose),
            );
            let verified = match (answer, full_answer) {
                (Ok(verified), Ok(full_verified)) => {
                    assert_eq!(
                        verified.claims(),
                        full_verified.claims(),
                        "{doc_type:?} {purpose:?}"
                    );
                    verified
                }
                (Err(e), Err(full_e)) => {
                    assert_eq!(e, full_e, "{doc_type:?} {purpose:?}");
                    assert!(
                        matches!(e, VerifyError::PolicyUnmet(_)),
                        "{doc_type:?} {purpose:?}: {e}"
                    );
                    continue;
                }
                (answer, full_answer) => panic!(
                    "{doc_type:?} {purpose:?}: purpose credential {answer:?}, full credential {full_answer:?}"
                ),
            };
            assert_eq!(verified.doc_type(), doc_type);
            assert_eq!(
                verified.claims().keys().copied().collect::<BTreeSet<_>>(),
                expected,
                "{doc_type:?} {purpose:?}"
            );
            for (name, value) in verified.claims() {
                match document.claims.get(name) {
                    Some(issued) => assert_eq!(value, issued),
                    // Derived claims: checked against the full credential's above.
                    None => assert!(matches!(name, ClaimName::AgeOver18 | ClaimName::AgeOver60)),
                }
            }
        }
    }
}

/// FORMAT.md §12's bounds, at level M with a status reference to the development issuer's
/// 28-character list URI and a 7-digit index: hotel and ticket ≤ v15 and gov ≤ v18 for names of
/// 1 to 15 characters; café ≤ v13 for one character, ≤ v14 up to 10 and ≤ v15 up to 15 (§12 says
/// why v13 is out of reach for longer names).
#[test]
fn purpose_codes_fit_their_qr_versions_for_names_of_1_to_15_characters() {
    let names = "阿卜杜热合曼买买提艾力江古丽";
    assert_eq!(names.chars().count(), 14);
    let mut rows = Vec::new();
    for n in 1..=15usize {
        let name: String = names.chars().cycle().take(n).collect();
        let mut document = document(DocType::ResidentId);
        document
            .claims
            .insert(ClaimName::Name, ClaimValue::Text(name));
        let mut row = format!("name {n:2}:");
        for purpose in Purpose::ALL {
            let holder = SoftwareHolderKey::generate();
            let credential = purpose_credential(&document, purpose, &holder, 1_234_567);
            let text = code(&credential, &holder);
            let bytes = credential::from_qr_text(&text).unwrap().len();
            let version = qr_support::qr_version(&text);
            let bound = match purpose {
                Purpose::HotelCheckIn | Purpose::TrainTicket => 15,
                Purpose::InternetCafe if n == 1 => 13,
                Purpose::InternetCafe if n <= 10 => 14,
                Purpose::InternetCafe => 15,
                Purpose::GovernmentService => 18,
            };
            row.push_str(&format!(" {} {bytes} B v{version};", purpose.as_str()));
            assert!(
                version <= bound,
                "{} code for a {n}-character name is v{version} ({bytes} bytes), above v{bound}",
                purpose.as_str()
            );
        }
        rows.push(row);
    }
    println!("{}", rows.join("\n"));
}

#[test]
fn a_purpose_code_serves_only_its_own_purpose() {
    let document = document(DocType::ResidentId);
    let holder = SoftwareHolderKey::generate();
    let hotel = purpose_credential(&document, Purpose::HotelCheckIn, &holder, 1);
    // The wallet will not make a café code from a hotel credential...
    assert_eq!(
        present_purpose(
            &hotel,
            &PresentationRequest::for_purpose(Purpose::InternetCafe),
            &holder,
            &clock(),
        )
        .unwrap_err(),
        PresentError::WrongPurpose
    );
    // ...and a counter of another purpose refuses a hotel code, even one addressed to it.
    let mut request = PresentationRequest::for_purpose(Purpose::HotelCheckIn);
    request.audience = Some("gov".into());
    let text = present_purpose(&hotel, &request, &holder, &clock())
        .unwrap()
        .qr_text()
        .to_string();
    assert_eq!(
        verifier()
            .verify_qr_text(
                &text,
                &VerifyRequest::for_purpose(Purpose::GovernmentService)
            )
            .unwrap_err(),
        VerifyError::PolicyUnmet(PolicyProblem::OtherPurpose(Purpose::HotelCheckIn))
    );
}

#[test]
fn a_purpose_code_is_accepted_once() {
    let document = document(DocType::ResidentId);
    let holder = SoftwareHolderKey::generate();
    let credential = purpose_credential(&document, Purpose::TrainTicket, &holder, 1);
    let text = code(&credential, &holder);
    let v = verifier();
    let request = VerifyRequest::for_purpose(Purpose::TrainTicket);
    v.verify_qr_text(&text, &request).unwrap();
    assert_eq!(
        v.verify_qr_text(&text, &request).unwrap_err(),
        VerifyError::Replayed
    );
}

#[test]
fn a_purpose_code_signed_by_another_key_than_its_own_is_refused() {
    let document = document(DocType::ResidentId);
    let holder = SoftwareHolderKey::generate();
    let credential = purpose_credential(&document, Purpose::HotelCheckIn, &holder, 1);
    assert_eq!(
        present_purpose(
            &credential,
            &PresentationRequest::for_purpose(Purpose::HotelCheckIn),
            &SoftwareHolderKey::generate(),
            &clock(),
        )
        .unwrap_err(),
        PresentError::WrongHolderKey
    );
    // A code made outside the wallet with another key does not pass the counter either.
    let kcwt = crafted(&holder, |_, _, _, _| {});
    assert_eq!(
        verifier()
            .verify(
                &present_crafted(kcwt, &SoftwareHolderKey::generate()),
                &VerifyRequest::for_purpose(Purpose::HotelCheckIn),
            )
            .unwrap_err(),
        VerifyError::BadHolderSignature
    );
}

// ---- Bad shapes, signed by the real issuer key so only the shape is wrong ----

fn int(v: i64) -> Cbor {
    Cbor::int(v)
}

fn sign1(
    protected: &Cbor,
    unprotected: Cbor,
    payload: &Cbor,
    sign: impl Fn(&[u8]) -> Vec<u8>,
) -> Cbor {
    let protected = protected.to_vec();
    let payload = payload.to_vec();
    let tbs = Cbor::Array(vec![
        Cbor::Text("Signature1".into()),
        Cbor::Bytes(protected.clone()),
        Cbor::Bytes(Vec::new()),
        Cbor::Bytes(payload.clone()),
    ])
    .to_vec();
    Cbor::Tag(
        18,
        Box::new(Cbor::Array(vec![
            Cbor::Bytes(protected),
            unprotected,
            Cbor::Bytes(payload),
            Cbor::Bytes(sign(&tbs)),
        ])),
    )
}

fn issuer_sign(tbs: &[u8]) -> Vec<u8> {
    issuer().sign_to_be_signed(tbs)
}

/// A hand-built purpose-shaped credential: `edit` changes the payload entries, the document
/// entries, the protected header and the unprotected header before signing.
fn crafted(
    holder: &SoftwareHolderKey,
    edit: impl Fn(
        &mut Vec<(Cbor, Cbor)>,
        &mut Vec<(Cbor, Cbor)>,
        &mut Vec<(Cbor, Cbor)>,
        &mut Vec<(Cbor, Cbor)>,
    ),
) -> Cbor {
    let hotel = purpose_credential(
        &document(DocType::ResidentId),
        Purpose::HotelCheckIn,
        holder,
        3,
    );
    let decoded = cbor::decode(&hotel.to_bytes()).unwrap();
    let Cbor::Tag(18, cose) = &decoded else {
        panic!("a tagged COSE_Sign1");
    };
    let payload = cbor::decode(cose.as_array().unwrap()[2].as_bytes().unwrap()).unwrap();
    let mut entries = payload.as_map().unwrap().to_vec();
    let doc_index = entries
        .iter()
        .position(|(k, _)| *k == int(-65_538))
        .unwrap();
    let mut doc = entries[doc_index].1.as_map().unwrap().to_vec();
    let mut protected = vec![
        (int(1), int(-7)),
        (int(4), Cbor::Bytes(KID.to_vec())),
        (int(16), int(TYP_CWT)),
    ];
    let mut unprotected = Vec::new();
    edit(&mut entries, &mut doc, &mut protected, &mut unprotected);
    if let Some(slot) = entries.iter_mut().find(|(k, _)| *k == int(-65_538)) {
        slot.1 = Cbor::Map(doc);
    }
    sign1(
        &Cbor::Map(protected),
        Cbor::Map(unprotected),
        &Cbor::Map(entries),
        issuer_sign,
    )
}

fn present_crafted(kcwt: Cbor, holder: &SoftwareHolderKey) -> Vec<u8> {
    let protected = Cbor::Map(vec![
        (int(1), int(-7)),
        (int(13), kcwt),
        (int(16), int(294)),
    ]);
    let payload = Cbor::Map(vec![
        (int(3), Cbor::Text("hotel".into())),
        (int(4), int(NOW + 60)),
        (int(6), int(NOW)),
    ]);
    sign1(&protected, Cbor::Map(Vec::new()), &payload, |tbs| {
        holder.sign(tbs).unwrap().to_bytes().to_vec()
    })
    .to_vec()
}

#[test]
fn the_unchanged_crafted_credential_is_accepted_so_each_refusal_below_is_its_edit() {
    let holder = SoftwareHolderKey::generate();
    let kcwt = crafted(&holder, |_, _, _, _| {});
    PurposeCredential::from_bytes(&kcwt.to_vec()).unwrap();
    verifier()
        .verify(
            &present_crafted(kcwt, &holder),
            &VerifyRequest::for_purpose(Purpose::HotelCheckIn),
        )
        .unwrap();
}

#[test]
fn purpose_credentials_outside_the_shape_are_refused_by_holder_and_counter() {
    type Edit = fn(
        &mut Vec<(Cbor, Cbor)>,
        &mut Vec<(Cbor, Cbor)>,
        &mut Vec<(Cbor, Cbor)>,
        &mut Vec<(Cbor, Cbor)>,
    );
    let cases: Vec<(&str, Edit)> = vec![
        ("a claim outside the purpose (address)", |_, doc, _, _| {
            doc.push((int(7), Cbor::Text("北京市".into())));
        }),
        ("a claim of the purpose missing (sex)", |_, doc, _, _| {
            doc.retain(|(k, _)| *k != int(4));
        }),
        ("an unknown purpose code", |_, doc, _, _| {
            for (k, v) in doc.iter_mut() {
                if *k == int(17) {
                    *v = int(99);
                }
            }
        }),
        ("a redaction in the document", |_, doc, _, _| {
            doc.push((
                Cbor::Simple(59),
                Cbor::Array(vec![Cbor::Bytes(vec![1; 32])]),
            ));
        }),
        (
            "disclosures in the unprotected header",
            |_, _, _, unprotected| {
                unprotected.push((int(17), Cbor::Array(vec![Cbor::Bytes(vec![0x83, 0x50])])));
            },
        ),
        (
            "a selective-disclosure document beside it",
            |entries, _, _, _| {
                entries.push((
                    int(-65_537),
                    Cbor::Map(vec![(int(1), int(1)), (int(2), int(1))]),
                ));
            },
        ),
        ("no holder key", |entries, _, _, _| {
            entries.retain(|(k, _)| *k != int(8));
        }),
        ("no iat", |entries, _, _, _| {
            entries.retain(|(k, _)| *k != int(6));
        }),
        (
            "the sd-cwt typ on a purpose-shaped payload",
            |_, _, protected, _| {
                protected[2].1 = int(293);
            },
        ),
        ("a wrong claim value type (sex as text)", |_, doc, _, _| {
            for (k, v) in doc.iter_mut() {
                if *k == int(4) {
                    *v = Cbor::Text("female".into());
                }
            }
        }),
    ];
    for (what, edit) in cases {
        let holder = SoftwareHolderKey::generate();
        let kcwt = crafted(&holder, edit);
        assert!(
            PurposeCredential::from_bytes(&kcwt.to_vec()).is_err(),
            "the holder accepted {what}"
        );
        let refused = verifier()
            .verify(
                &present_crafted(kcwt, &holder),
                &VerifyRequest::for_purpose(Purpose::HotelCheckIn),
            )
            .expect_err(what);
        assert!(
            matches!(refused, VerifyError::Malformed(_)),
            "{what}: {refused:?}"
        );
    }
}

#[test]
fn a_purpose_credential_inside_the_drafts_own_rules_is_not_an_sd_cwt() {
    let holder = SoftwareHolderKey::generate();
    let credential = purpose_credential(
        &document(DocType::ResidentId),
        Purpose::HotelCheckIn,
        &holder,
        1,
    );
    let text = code(&credential, &holder);
    let bytes = credential::from_qr_text(&text).unwrap();
    assert!(matches!(
        verifier().verify_sd_kbt(&bytes, "hotel", None),
        Err(VerifyError::Malformed(FormatError::WrongType))
    ));
}

// ---- Unlinkability ----

/// Every byte string in `value`, descending into byte strings that are themselves CBOR
/// (protected headers, payloads) and into the embedded credential.
fn byte_strings(value: &Cbor, out: &mut Vec<Vec<u8>>) {
    match value {
        Cbor::Bytes(b) => match cbor::decode(b) {
            Ok(inner @ (Cbor::Map(_) | Cbor::Array(_) | Cbor::Tag(..))) => {
                byte_strings(&inner, out)
            }
            _ => out.push(b.clone()),
        },
        Cbor::Array(items) => items.iter().for_each(|i| byte_strings(i, out)),
        Cbor::Map(entries) => entries.iter().for_each(|(k, v)| {
            byte_strings(k, out);
            byte_strings(v, out);
        }),
        Cbor::Tag(_, inner) => byte_strings(inner, out),
        _ => {}
    }
}

/// Overwrite every occurrence of `pattern` in `bytes` with `fill`.
fn blank(bytes: &mut [u8], pattern: &[u8], fill: u8) {
    if pattern.is_empty() {
        return;
    }
    let mut i = 0;
    while i + pattern.len() <= bytes.len() {
        if &bytes[i..i + pattern.len()] == pattern {
            bytes[i..i + pattern.len()].fill(fill);
            i += pattern.len();
        } else {
            i += 1;
        }
    }
}

#[test]
fn two_codes_from_one_wallet_for_one_purpose_share_nothing_that_links_them() {
    let document = document(DocType::ResidentId);
    let (first_key, second_key) = (SoftwareHolderKey::generate(), SoftwareHolderKey::generate());
    // Consecutive credentials of one batch: consecutive status entries, as an issuer hands out.
    let first = purpose_credential(&document, Purpose::HotelCheckIn, &first_key, 40_001);
    let second = purpose_credential(&document, Purpose::HotelCheckIn, &second_key, 40_002);
    let a = credential::from_qr_text(&code(&first, &first_key)).unwrap();
    let b = credential::from_qr_text(&code(&second, &second_key)).unwrap();

    // 1. Field by field: the only byte string the two share is the issuer's key id.
    let (mut in_a, mut in_b) = (Vec::new(), Vec::new());
    byte_strings(&cbor::decode(&a).unwrap(), &mut in_a);
    byte_strings(&cbor::decode(&b).unwrap(), &mut in_b);
    assert!(in_a.len() >= 4, "signatures, key, kid: {}", in_a.len());
    let shared: Vec<&Vec<u8>> = in_a.iter().filter(|s| in_b.contains(s)).collect();
    assert_eq!(shared, vec![&KID.to_vec()], "byte strings both codes carry");

    // 2. Whole encodings, after removing what every resident issued that day shares (headers,
    //    key id, the status list's URI, the day's iat and exp, the purpose's audience) and the
    //    disclosed values: no run of 16 identical bytes.
    let mut common: Vec<Vec<u8>> = vec![
        Cbor::Text(STATUS_URI.into()).to_vec(),
        Cbor::Text("status_list".into()).to_vec(),
        Cbor::Text("hotel".into()).to_vec(),
        Cbor::Bytes(KID.to_vec()).to_vec(),
        int(first.issued_at().as_secs()).to_vec(),
        int(first.expires().as_secs()).to_vec(),
        Cbor::Map(vec![
            (int(1), int(-7)),
            (int(4), Cbor::Bytes(KID.to_vec())),
            (int(16), int(TYP_CWT)),
        ])
        .to_vec(),
        // The KBT's protected header around the credential (alg, the kcwt label; typ) and its
        // empty unprotected header.
        vec![0xa3, 0x01, 0x26, 0x0d],
        vec![0x10, 0x19, 0x01, 0x26, 0xa0],
    ];
    for value in first.claims().values() {
        common.push(value.to_cbor().to_vec());
    }
    assert_eq!(first.issued_at(), second.issued_at(), "one day, one iat");
    let (mut a, mut b) = (a, b);
    for pattern in &common {
        blank(&mut a, pattern, 0x00);
        blank(&mut b, pattern, 0xff);
    }
    let windows: BTreeSet<&[u8]> = a.windows(16).collect();
    if let Some(run) = b.windows(16).find(|w| windows.contains(w)) {
        panic!("the two codes share the 16-byte run {}", hex(run));
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn a_key_trusted_from_mid_day_covers_that_days_purpose_credentials_and_no_earlier_day() {
    use netid_core::issuer::{CredentialTrustError, IssuerProblem, TrustList};
    // NOW is 00:00 UTC; the key is trusted from 01:00, the counter's clock reads 02:00.
    let opens = UnixTime::from_secs(NOW + 3_600);
    let at = UnixTime::from_secs(NOW + 7_200);
    let mut trust = TrustList::new();
    trust
        .add(issuer().trust_entry(opens, UnixTime::from_secs(NOW + 400 * DAY), &DocType::ALL))
        .unwrap();
    let verifier = Verifier::with_options(
        trust.clone(),
        Box::new(FixedClock::new(at)),
        VerifierOptions {
            accept_unavailable_status: true,
            ..Default::default()
        },
    );
    let document = document(DocType::ResidentId);
    let make = |issued: UnixTime| {
        let holder = SoftwareHolderKey::generate();
        let credential = issuer()
            .issue_purpose(
                &document,
                Purpose::TrainTicket,
                &holder.public_key(),
                issued,
                UnixTime::from_secs(NOW + 30 * DAY),
                None,
            )
            .unwrap();
        let text = present_purpose(
            &credential,
            &PresentationRequest::for_purpose(Purpose::TrainTicket),
            &holder,
            &FixedClock::new(at),
        )
        .unwrap()
        .qr_text()
        .to_string();
        (credential, text)
    };
    // Issued at 01:30 with the new key: its iat reads 00:00, before the window opened, and is
    // still that day's.
    let (today, text) = make(UnixTime::from_secs(NOW + 5_400));
    assert_eq!(today.issued_at(), UnixTime::from_secs(NOW));
    trust.check_purpose_credential(&today, at).unwrap();
    verifier
        .verify_qr_text(&text, &VerifyRequest::for_purpose(Purpose::TrainTicket))
        .unwrap();
    // Claiming the day before: outside the window, for the wallet and the counter.
    let (yesterday, text) = make(UnixTime::from_secs(NOW - 3_600));
    assert_eq!(
        trust.check_purpose_credential(&yesterday, at).unwrap_err(),
        CredentialTrustError::Untrusted(IssuerProblem::OutsideWindow)
    );
    assert_eq!(
        verifier
            .verify_qr_text(&text, &VerifyRequest::for_purpose(Purpose::TrainTicket))
            .unwrap_err(),
        VerifyError::UnknownIssuer(IssuerProblem::OutsideWindow)
    );
}
