//! Verifier conformance (issue 10): crafted presentations, validly signed with the development
//! issuer's key and the holder key, that break one rule of docs/FORMAT.md each, so a refusal
//! proves the rule and not a signature failure. Every case is also written to
//! `core/tests/vectors/conformance/cases.json`, which `scripts/check_sd_cwt.py` (the independent
//! Python verifier) replays, so the two implementations must agree case by case.
//!
//! Signatures are deterministic (RFC 6979) and salts and `cti` fixed, so the file is stable; run
//! with `NETID_UPDATE_CONFORMANCE=1` to rewrite it after an intended change.

#[path = "vectors/fixtures.rs"]
mod fixtures;

use fixtures::*;
use netid_core::credential::cbor::{self, Cbor};
use netid_core::credential::sd_cwt::{self, CoseSign1};
use netid_core::credential::{ClaimName, DocType, StatusReference, to_qr_text, validate_id_number};
use netid_core::issuer::{IssuerPublicKey, parse_claims_file};
use netid_core::present::{HolderSigner, Purpose};
use netid_core::time::{FixedClock, UnixTime};
use netid_core::verify::{Verifier, VerifyError, VerifyRequest};

type Entries = Vec<(Cbor, Cbor)>;

/// Every part of a presentation, editable before [`Parts::build`] signs it.
#[derive(Clone)]
struct Parts {
    cwt_protected: Entries,
    cwt_unprotected: Entries,
    payload: Entries,
    disclosures: Vec<Vec<u8>>,
    kbt_alg: i64,
    kbt_typ: Cbor,
    kbt_protected_extra: Entries,
    kbt_unprotected: Entries,
    kbt_payload: Entries,
    /// Rewrites the encoded KBT protected header before the holder signs it.
    patch_kbt_protected: Option<fn(Vec<u8>) -> Vec<u8>>,
    /// Replaces the encoded KBT payload (for encodings the encoder never writes).
    raw_kbt_payload: Option<Vec<u8>>,
}

fn int(v: i64) -> Cbor {
    Cbor::int(v)
}

fn text(t: &str) -> Cbor {
    Cbor::Text(t.into())
}

fn entries(v: Cbor) -> Entries {
    // `Cbor` wipes itself on drop, so its contents are taken, not moved out.
    let mut v = v;
    match &mut v {
        Cbor::Map(m) => std::mem::take(m),
        other => panic!("not a map: {other:?}"),
    }
}

fn salted(salt: &[u8], value: Cbor, key: Cbor) -> Vec<u8> {
    Cbor::Array(vec![Cbor::Bytes(salt.to_vec()), value, key]).to_vec()
}

fn digest(d: &[u8]) -> Cbor {
    Cbor::Bytes(sd_cwt::disclosure_digest(d).to_vec())
}

fn set(m: &mut Entries, key: Cbor, value: Cbor) {
    match m.iter_mut().find(|(k, _)| *k == key) {
        Some((_, v)) => *v = value,
        None => m.push((key, value)),
    }
}

fn remove(m: &mut Entries, key: &Cbor) -> Cbor {
    let i = m.iter().position(|(k, _)| k == key).expect("key present");
    m.remove(i).1
}

impl Parts {
    /// An honest hotel presentation of the resident ID fixture at [`NOW`]: name and ID number,
    /// as the wallet shows it (the counter reads sex and birth date from the ID number).
    fn honest() -> Self {
        Self::for_claims(
            DocType::ResidentId,
            &[ClaimName::Name, ClaimName::IdNumber],
            "hotel",
        )
    }

    /// A presentation of `chosen` (with the details map's disclosure when one of them is in it).
    fn for_claims(doc_type: DocType, chosen: &[ClaimName], aud: &str) -> Self {
        let cred = credential(doc_type);
        let cwt = CoseSign1::from_slice(&cred.to_bytes()).unwrap();
        let shown = CoseSign1::from_slice(&cred.with_only(chosen).unwrap().to_vec()).unwrap();
        let disclosures = sd_cwt::sd_claims(&shown).unwrap();
        Self {
            cwt_protected: entries(cwt.protected.clone()),
            cwt_unprotected: Vec::new(),
            payload: entries(cbor::decode(&cwt.payload).unwrap()),
            disclosures,
            kbt_alg: -7,
            kbt_typ: int(sd_cwt::TYP_KB_CWT),
            kbt_protected_extra: Vec::new(),
            kbt_unprotected: Vec::new(),
            kbt_payload: vec![
                (int(3), text(aud)),
                (int(4), int(NOW + 60)),
                (int(6), int(NOW)),
                (int(7), Cbor::Bytes(vec![0x5a; 16])),
            ],
            patch_kbt_protected: None,
            raw_kbt_payload: None,
        }
    }

    fn document(&mut self) -> &mut Entries {
        let (_, doc) = self
            .payload
            .iter_mut()
            .find(|(k, _)| *k == int(-65_537))
            .unwrap();
        let Cbor::Map(m) = doc else { panic!() };
        m
    }

    fn doc_digests(&mut self) -> &mut Vec<Cbor> {
        let (_, d) = self
            .document()
            .iter_mut()
            .find(|(k, _)| *k == Cbor::Simple(59))
            .unwrap();
        let Cbor::Array(a) = d else { panic!() };
        a
    }

    /// Move a top-level claim behind a redacted digest; the holder discloses it or withholds it.
    fn redact_top(mut self, key: i64, disclose: bool) -> Self {
        let value = remove(&mut self.payload, &int(key));
        let d = salted(&[0xab; 16], value, int(key));
        self.payload
            .push((Cbor::Simple(59), Cbor::Array(vec![digest(&d)])));
        if disclose {
            self.disclosures.push(d);
        }
        self
    }

    /// Replace the presented disclosure of claim `key` (and its digest in the signed document
    /// map, or in the presented details map, whose own digest then changes too) by `new`.
    fn replace_disclosure(mut self, key: i64, new: Vec<u8>) -> Self {
        let index_of = |disclosures: &[Vec<u8>], key: i64| {
            disclosures
                .iter()
                .position(|d| cbor::decode(d).unwrap().as_array().unwrap()[2] == int(key))
                .unwrap()
        };
        let claim_index = index_of(&self.disclosures, key);
        let old_digest = digest(&self.disclosures[claim_index]);
        let new_digest = digest(&new);
        self.disclosures[claim_index] = new;
        if let Some(at) = self.doc_digests().iter().position(|x| *x == old_digest) {
            self.doc_digests()[at] = new_digest;
            return self;
        }
        let group_index = index_of(&self.disclosures, 16);
        let group = self.disclosures[group_index].clone();
        let mut decoded = cbor::decode(&group).unwrap();
        let Cbor::Array(parts) = &mut decoded else {
            panic!()
        };
        let Cbor::Map(inner) = &mut parts[1] else {
            panic!()
        };
        let Cbor::Array(digests) = &mut inner[0].1 else {
            panic!()
        };
        let at = digests.iter().position(|x| *x == old_digest).unwrap();
        digests[at] = new_digest;
        let new_group = decoded.to_vec();
        let at = self
            .doc_digests()
            .iter()
            .position(|x| *x == digest(&group))
            .unwrap();
        self.doc_digests()[at] = digest(&new_group);
        self.disclosures[group_index] = new_group;
        self
    }

    fn build(&self) -> Vec<u8> {
        let issuer = issuer();
        let cwt_protected = Cbor::Map(self.cwt_protected.clone()).to_vec();
        let payload = Cbor::Map(self.payload.clone()).to_vec();
        let signature = issuer.sign_to_be_signed(&sd_cwt::to_be_signed(&cwt_protected, &payload));
        let mut unprotected = self.cwt_unprotected.clone();
        if !self.disclosures.is_empty() {
            unprotected.insert(
                0,
                (
                    int(sd_cwt::HEADER_SD_CLAIMS),
                    Cbor::Array(
                        self.disclosures
                            .iter()
                            .map(|d| Cbor::Bytes(d.clone()))
                            .collect(),
                    ),
                ),
            );
        }
        let cwt = Cbor::Tag(
            18,
            Box::new(Cbor::Array(vec![
                Cbor::Bytes(cwt_protected),
                Cbor::Map(unprotected),
                Cbor::Bytes(payload),
                Cbor::Bytes(signature),
            ])),
        );
        let mut protected = vec![
            (int(1), int(self.kbt_alg)),
            (int(13), cwt),
            (int(16), self.kbt_typ.clone()),
        ];
        protected.extend(self.kbt_protected_extra.clone());
        let mut protected = Cbor::Map(protected).to_vec();
        if let Some(patch) = self.patch_kbt_protected {
            protected = patch(protected);
        }
        let payload = self
            .raw_kbt_payload
            .clone()
            .unwrap_or_else(|| Cbor::Map(self.kbt_payload.clone()).to_vec());
        let signature = holder()
            .sign(&sd_cwt::to_be_signed(&protected, &payload))
            .unwrap()
            .to_bytes()
            .to_vec();
        Cbor::Tag(
            18,
            Box::new(Cbor::Array(vec![
                Cbor::Bytes(protected),
                Cbor::Map(self.kbt_unprotected.clone()),
                Cbor::Bytes(payload),
                Cbor::Bytes(signature),
            ])),
        )
        .to_vec()
    }
}

/// One crafted scan and the verdict both verifiers must reach.
struct Case {
    name: &'static str,
    qr_text: String,
    purpose: Purpose,
    now: i64,
    expect: &'static str,
}

fn case(name: &'static str, parts: &Parts, expect: &'static str) -> Case {
    Case {
        name,
        qr_text: to_qr_text(&parts.build()).to_string(),
        purpose: Purpose::HotelCheckIn,
        now: NOW,
        expect,
    }
}

/// The error's variant name ("Malformed", "WrongAudience"…), or "ok".
fn verdict(result: &Result<impl std::fmt::Debug, VerifyError>) -> String {
    match result {
        Ok(_) => "ok".into(),
        Err(e) => format!("{e:?}")
            .split(['(', ' ', '{'])
            .next()
            .unwrap_or_default()
            .to_owned(),
    }
}

/// An ID number with a valid check character for `first17`.
fn id_with_check(first17: &str) -> String {
    "0123456789X"
        .chars()
        .map(|c| format!("{first17}{c}"))
        .find(|id| validate_id_number(id).is_ok())
        .unwrap()
}

fn cases() -> Vec<Case> {
    let honest = Parts::honest();
    let mut out = vec![case("honest hotel presentation", &honest, "ok")];
    let mut add = |name, edit: &dyn Fn(&mut Parts), expect| {
        let mut p = honest.clone();
        edit(&mut p);
        out.push(case(name, &p, expect));
    };

    // crit (RFC 9052 §3.1), in all three places.
    add(
        "crit in the SD-KBT protected header names an unknown label",
        &|p| {
            p.kbt_protected_extra
                .extend([(int(2), Cbor::Array(vec![int(99)])), (int(99), int(0))])
        },
        "Malformed",
    );
    add(
        "crit in the SD-CWT protected header names an unknown label",
        &|p| {
            p.cwt_protected
                .extend([(int(2), Cbor::Array(vec![int(99)])), (int(99), int(0))])
        },
        "Malformed",
    );
    add(
        "crit in the SD-KBT unprotected header",
        &|p| p.kbt_unprotected.push((int(2), Cbor::Array(vec![int(99)]))),
        "Malformed",
    );
    add(
        "crit in the SD-CWT unprotected header",
        &|p| p.cwt_unprotected.push((int(2), Cbor::Array(vec![int(99)]))),
        "Malformed",
    );
    add(
        "crit naming a label the verifier processes (alg) is fine",
        &|p| {
            p.kbt_protected_extra
                .push((int(2), Cbor::Array(vec![int(1)])))
        },
        "ok",
    );
    add(
        "crit that is an empty array",
        &|p| p.kbt_protected_extra.push((int(2), Cbor::Array(vec![]))),
        "Malformed",
    );
    // CWT Claims (15): in no header of either token.
    add(
        "CWT Claims header in the SD-KBT unprotected header",
        &|p| {
            p.kbt_unprotected
                .push((int(15), Cbor::Map(vec![(int(3), text("gov"))])))
        },
        "Malformed",
    );
    add(
        "CWT Claims header in the SD-KBT protected header",
        &|p| {
            p.kbt_protected_extra
                .push((int(15), Cbor::Map(vec![(int(3), text("gov"))])))
        },
        "Malformed",
    );
    add(
        "CWT Claims header in the SD-CWT protected header",
        &|p| {
            p.cwt_protected
                .push((int(15), Cbor::Map(vec![(int(4), int(NOW - 1))])))
        },
        "Malformed",
    );
    // Never-redactable claims, whatever the issuer signed.
    add(
        "status redacted at the top level and withheld",
        &|p| {
            let status = Cbor::Map(vec![(
                text("status_list"),
                Cbor::Map(vec![
                    (text("idx"), int(7)),
                    (text("uri"), text("https://s.example/1")),
                ]),
            )]);
            p.payload.push((int(65_535), status));
            *p = p.clone().redact_top(65_535, false);
        },
        "Malformed",
    );
    add(
        "exp redacted at the top level and withheld",
        &|p| *p = p.clone().redact_top(4, false),
        "Malformed",
    );
    add(
        "exp redacted at the top level and disclosed",
        &|p| *p = p.clone().redact_top(4, true),
        "Malformed",
    );
    add(
        "cnf redacted at the top level and disclosed",
        &|p| *p = p.clone().redact_top(8, true),
        "Malformed",
    );
    add(
        "an unknown claim redacted at the top level",
        &|p| {
            p.payload.push((int(500), text("x")));
            *p = p.clone().redact_top(500, false);
        },
        "Malformed",
    );
    add(
        "document type redacted and disclosed",
        &|p| {
            let doc_type = remove(p.document(), &int(1));
            let d = salted(&[0xcd; 16], doc_type, int(1));
            p.doc_digests().push(digest(&d));
            p.disclosures.push(d);
        },
        "Malformed",
    );
    // exp, nbf, iat required.
    for (name, key) in [
        ("credential without exp", 4),
        ("credential without nbf", 5),
        ("credential without iat", 6),
    ] {
        add(
            name,
            &|p| drop(remove(&mut p.payload, &int(key))),
            "Malformed",
        );
    }
    // The credential's own aud (draft step 8).
    add(
        "credential aud \"gov\" shown at a hotel",
        &|p| p.payload.insert(1, (int(3), text("gov"))),
        "WrongAudience",
    );
    add(
        "credential aud \"hotel\" shown at a hotel",
        &|p| p.payload.insert(1, (int(3), text("hotel"))),
        "ok",
    );
    add(
        "credential aud that is not text",
        &|p| p.payload.insert(1, (int(3), int(1))),
        "Malformed",
    );
    // Encoding rules.
    add(
        "non-preferred head in the SD-KBT payload (aud length in two bytes)",
        &|p| {
            let mut raw = Cbor::Map(p.kbt_payload.clone()).to_vec();
            let at = raw.windows(6).position(|w| w == b"\x65hotel").unwrap();
            raw.splice(at..at + 1, [0x78, 0x05]);
            p.raw_kbt_payload = Some(raw);
        },
        "Malformed",
    );
    add(
        "disclosure byte string with a non-preferred (long) head",
        &|p| {
            p.patch_kbt_protected = Some(|bytes| {
                // The first disclosure is 29 bytes: 58 1d → 59 00 1d.
                let at = bytes
                    .windows(3)
                    .position(|w| w[0] == 0x58 && w[1] == 0x1d && w[2] == 0x83)
                    .unwrap();
                let mut out = bytes[..at].to_vec();
                out.extend([0x59, 0x00]);
                out.extend(&bytes[at + 1..]);
                out
            })
        },
        "Malformed",
    );
    add(
        "float map key 3.0 beside aud in the SD-KBT payload",
        &|p| p.kbt_payload.push((Cbor::Float(3.0), text("gov"))),
        "Malformed",
    );
    add(
        "float map key 3.0 in the credential payload",
        &|p| p.payload.insert(1, (Cbor::Float(3.0), text("gov"))),
        "Malformed",
    );
    add(
        "text claim key in the SD-KBT payload",
        &|p| p.kbt_payload.push((text("note"), int(1))),
        "Malformed",
    );
    // Algorithms and typ forms both tokens may use.
    add("SD-KBT signed as ESP256 (-9)", &|p| p.kbt_alg = -9, "ok");
    add(
        "SD-KBT typ as text",
        &|p| p.kbt_typ = text("application/kb+cwt"),
        "ok",
    );
    add(
        "SD-CWT typ as text",
        &|p| set(&mut p.cwt_protected, int(16), text("application/sd-cwt")),
        "ok",
    );
    add(
        "SD-KBT typ of another token",
        &|p| p.kbt_typ = int(293),
        "Malformed",
    );
    // Salts, decoys, claim values.
    add(
        "a 17-byte salt",
        &|p| {
            let d = salted(&[0x11; 17], text("李秀英"), int(3));
            *p = p.clone().replace_disclosure(3, d);
        },
        "Malformed",
    );
    add(
        "a 15-byte salt",
        &|p| {
            let d = salted(&[0x11; 15], text("李秀英"), int(3));
            *p = p.clone().replace_disclosure(3, d);
        },
        "Malformed",
    );
    add(
        "a decoy digest in the document map, withheld",
        &|p| p.doc_digests().push(Cbor::Bytes(vec![0xee; 32])),
        "Malformed",
    );
    add(
        "a decoy digest in the document map, with its [salt] disclosure",
        &|p| {
            let d = Cbor::Array(vec![Cbor::Bytes(vec![0x22; 16])]).to_vec();
            p.doc_digests().push(digest(&d));
            p.disclosures.push(d);
        },
        "Malformed",
    );
    add(
        "id_number with a wrong check character",
        &|p| {
            let d = salted(&[0x33; 16], text("110105194912310021"), int(8));
            *p = p.clone().replace_disclosure(8, d);
        },
        "Malformed",
    );
    add(
        "id_number of 17 characters",
        &|p| {
            let d = salted(&[0x33; 16], text("11010519491231002"), int(8));
            *p = p.clone().replace_disclosure(8, d);
        },
        "Malformed",
    );
    // Time: exp is "on or after" (RFC 8392), with the 30 s skew.
    let mut cases = out;
    // Sex and birth date disclosed beside the ID number (through the details map): still checked
    // against it.
    let with_sex = Parts::for_claims(
        DocType::ResidentId,
        &[
            ClaimName::Name,
            ClaimName::IdNumber,
            ClaimName::Sex,
            ClaimName::BirthDate,
        ],
        "hotel",
    );
    cases.push(case(
        "hotel presentation that also discloses sex and birth_date",
        &with_sex,
        "ok",
    ));
    let male_id = salted(
        &[0x33; 16],
        text(&id_with_check("11010519491231001")),
        int(8),
    );
    cases.push(case(
        "id_number valid but for a male, sex female",
        &with_sex.clone().replace_disclosure(8, male_id),
        "Malformed",
    ));
    let other_birthday = salted(
        &[0x33; 16],
        text(&id_with_check("11010519500101002")),
        int(8),
    );
    cases.push(case(
        "id_number valid but for another birth date, birth_date disclosed",
        &with_sex.clone().replace_disclosure(8, other_birthday),
        "Malformed",
    ));
    cases.push(case(
        "sex 3",
        &with_sex
            .clone()
            .replace_disclosure(4, salted(&[0x44; 16], int(3), int(4))),
        "Malformed",
    ));
    // A hotel code without the ID number cannot stand in sex and birth date for it.
    cases.push(case(
        "hotel presentation of name, sex and birth_date without the ID number",
        &Parts::for_claims(
            DocType::ResidentId,
            &[ClaimName::Name, ClaimName::Sex, ClaimName::BirthDate],
            "hotel",
        ),
        "PolicyUnmet",
    ));
    for (name, now, expect) in [
        ("presentation exp = now - skew + 1", NOW + 89, "ok"),
        (
            "presentation exp = now - skew",
            NOW + 90,
            "PresentationExpired",
        ),
    ] {
        cases.push(Case {
            now,
            ..case(name, &honest, expect)
        });
    }
    let mut short = honest.clone();
    set(&mut short.payload, int(4), int(NOW + 100));
    set(&mut short.kbt_payload, int(4), int(NOW + 100));
    set(&mut short.kbt_payload, int(6), int(NOW + 90));
    for (name, now, expect) in [
        ("credential exp = now - skew + 1", NOW + 129, "ok"),
        (
            "credential exp = now - skew",
            NOW + 130,
            "CredentialExpired",
        ),
    ] {
        cases.push(Case {
            now,
            ..case(name, &short, expect)
        });
    }
    // QR text framing: only trailing CR/LF is tolerated.
    let qr = to_qr_text(&honest.build()).to_string();
    for (name, text, expect) in [
        ("QR text with trailing CR LF", format!("{qr}\r\n"), "ok"),
        (
            "QR text with a leading space",
            format!(" {qr}"),
            "Malformed",
        ),
        (
            "QR text with a leading newline",
            format!("\n{qr}"),
            "Malformed",
        ),
        (
            "QR text with a trailing space",
            format!("{qr} "),
            "Malformed",
        ),
    ] {
        cases.push(Case {
            name,
            qr_text: text,
            purpose: Purpose::HotelCheckIn,
            now: NOW,
            expect,
        });
    }
    // The gov policy requires the four core claims, not every claim.
    let mut gov = Parts::for_claims(
        DocType::ResidentId,
        &[
            ClaimName::Name,
            ClaimName::IdNumber,
            ClaimName::Sex,
            ClaimName::BirthDate,
        ],
        "gov",
    );
    set(gov.document(), int(2), int(2));
    cases.push(Case {
        purpose: Purpose::GovernmentService,
        ..case(
            "gov: enhanced level, only name, sex, birth_date, id_number shown",
            &gov,
            "ok",
        )
    });
    cases
}

/// A counter checking FORMAT.md §6 alone: `gov`'s demand for a signed request (§13, tested in
/// counter_request.rs) is lifted, so the gov case here tests the gov claim policy.
fn verifier(now: i64) -> Verifier {
    let mut verifier = Verifier::new(
        trust_list(),
        Box::new(FixedClock::new(UnixTime::from_secs(now))),
    );
    let mut gov = netid_core::verify::Policy::for_purpose(Purpose::GovernmentService);
    gov.requires_signed_request = false;
    verifier.set_policy(Purpose::GovernmentService, gov);
    verifier
}

fn vectors_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/conformance/cases.json")
}

#[test]
fn crafted_presentations_get_the_verdicts_of_format_md() {
    let cases = cases();
    let mut wrong = Vec::new();
    for c in &cases {
        let got = verdict(
            &verifier(c.now).verify_qr_text(&c.qr_text, &VerifyRequest::for_purpose(c.purpose)),
        );
        if got != c.expect {
            wrong.push(format!("{}: expected {}, got {got}", c.name, c.expect));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_development_issuer_never_produces_what_the_verifier_refuses() {
    // Every document type, with and without a status reference, through every purpose that
    // accepts it: nothing the dev issuer mints may trip a conformance rule.
    let issuer = issuer();
    for doc_type in DocType::ALL {
        for status in [
            None,
            Some(StatusReference {
                idx: 3,
                uri: "https://s.example/1".into(),
            }),
        ] {
            let document = parse_claims_file(claims_json(doc_type)).unwrap();
            let cred = issuer
                .issue(
                    &document,
                    &holder().public_key(),
                    UnixTime::from_secs(NOW - 86_400),
                    status.clone(),
                    &mut CountingSalts::new("dev"),
                )
                .unwrap();
            let cwt = CoseSign1::from_slice(&cred.to_bytes()).unwrap();
            let payload = cbor::decode(&cwt.payload).unwrap();
            netid_core::credential::check_profile(&payload, &sd_cwt::sd_claims(&cwt).unwrap())
                .unwrap_or_else(|e| panic!("{doc_type:?} status={status:?}: {e}"));
        }
    }
}

#[test]
fn conformance_vectors_file_matches_the_cases() {
    let IssuerPublicKey::P256(key) = issuer().public_key() else {
        panic!()
    };
    let trust = trust_list();
    let entry = &trust.entries()[0];
    let json = serde_json::json!({
        "generated_by": "core/tests/conformance.rs (NETID_UPDATE_CONFORMANCE=1 to rewrite)",
        "issuer": {
            "issuer": entry.issuer,
            "kid_hex": hex::encode(&entry.kid),
            "sec1_hex": hex::encode(key.to_encoded_point(true).as_bytes()),
            "not_before": entry.not_before.as_secs(),
            "not_after": entry.not_after.as_secs(),
        },
        "skew_secs": 30,
        "max_age_secs": 120,
        "cases": cases().iter().map(|c| serde_json::json!({
            "name": c.name,
            "purpose": c.purpose.as_str(),
            "now": c.now,
            "qr_text": c.qr_text,
            "expect": c.expect,
        })).collect::<Vec<_>>(),
    });
    let text = serde_json::to_string_pretty(&json).unwrap() + "\n";
    let path = vectors_path();
    if std::env::var("NETID_UPDATE_CONFORMANCE").as_deref() == Ok("1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &text).unwrap();
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == text,
        "{} is out of date; rerun with NETID_UPDATE_CONFORMANCE=1",
        path.display()
    );
}

#[test]
fn the_drafts_never_redacted_claims_are_refused_when_disclosed_even_without_the_profile() {
    // `verify_sd_kbt` applies the draft's rules alone (top-level redaction is allowed there), yet
    // a disclosure that restores `exp`, `cnf` or `iat` is still refused.
    for key in [4, 6, 8] {
        let p = Parts::honest().redact_top(key, true);
        let result = verifier(NOW).verify_sd_kbt(&p.build(), "hotel", None);
        assert!(
            matches!(result, Err(VerifyError::Malformed(_))),
            "claim {key}: {result:?}"
        );
    }
    // The same presentation with an ordinary claim redacted at the top level passes the draft.
    let mut p = Parts::honest();
    p.payload.push((int(500), text("x")));
    let p = p.redact_top(500, true);
    verifier(NOW)
        .verify_sd_kbt(&p.build(), "hotel", None)
        .unwrap();
}
