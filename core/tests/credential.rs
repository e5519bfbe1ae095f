//! Issued credentials: issuance validation, holder-side decoding, salts and hashes, the trust
//! list file and the development issuer's key handling.

#[path = "vectors/fixtures.rs"]
mod fixtures;

use coset::TaggedCborSerializable;
use fixtures::*;
use netid_core::credential::cbor::{self, Cbor};
use netid_core::credential::sd_cwt::{self, CoseSign1};
use netid_core::credential::{
    ClaimName, ClaimValue, Credential, DocType, FormatError, IdNumberError, IssueError, OsSalts,
    SALT_LEN, Sex,
};
use netid_core::issuer::{
    ClaimsFileError, DevIssuer, TrustList, TrustListError, parse_claims_file,
};
use netid_core::present::HolderSigner;
use netid_core::time::{CivilDate, UnixTime};
use p256::ecdsa::signature::Verifier as _;

#[test]
fn every_doc_type_round_trips_through_bytes() {
    for doc_type in DocType::ALL {
        let cred = credential(doc_type);
        let again = Credential::from_bytes(&cred.to_bytes()).unwrap();
        assert_eq!(again, cred);
        assert_eq!(again.doc_type(), doc_type);
        assert_eq!(again.issuer(), ISSUER_ID);
        assert_eq!(again.kid(), KID);
        assert_eq!(*again.holder_key(), holder().public_key());
        let file = parse_claims_file(claims_json(doc_type)).unwrap();
        for (name, value) in &file.claims {
            assert_eq!(again.claim(*name), Some(value), "{doc_type:?} {name:?}");
        }
        // Claims file + two derived age claims, each its own disclosure.
        assert_eq!(again.disclosures().len(), file.claims.len() + 2);
        assert_eq!(again.not_before(), file.valid_from.start_utc());
        assert_eq!(
            again.expires(),
            file.valid_until.start_utc().saturating_add(86_400)
        );
    }
}

#[test]
fn derived_age_claims_are_computed_at_issuance() {
    let elder = credential(DocType::ResidentId); // born 1949-12-31
    assert_eq!(
        elder.claim(ClaimName::AgeOver18),
        Some(&ClaimValue::Bool(true))
    );
    assert_eq!(
        elder.claim(ClaimName::AgeOver60),
        Some(&ClaimValue::Bool(true))
    );
    let minor = credential(DocType::SocialSecurityCard); // born 2008-08-08, issued 2026-01-14
    assert_eq!(
        minor.claim(ClaimName::AgeOver18),
        Some(&ClaimValue::Bool(false))
    );
    // The day before and of the 18th birthday.
    let doc = parse_claims_file(claims_json(DocType::SocialSecurityCard)).unwrap();
    let issue_on = |date: &str| {
        let at = CivilDate::parse(date).unwrap().start_utc();
        issuer()
            .issue(&doc, &holder().public_key(), at, None, &mut OsSalts)
            .unwrap()
    };
    assert_eq!(
        issue_on("2026-08-07").claim(ClaimName::AgeOver18),
        Some(&ClaimValue::Bool(false))
    );
    assert_eq!(
        issue_on("2026-08-08").claim(ClaimName::AgeOver18),
        Some(&ClaimValue::Bool(true))
    );
}

#[test]
fn issuer_signature_is_es256_over_the_cose_sig_structure() {
    let cred = credential(DocType::ResidentId);
    let bytes = cred.to_bytes();
    // Cross-check with coset's independent Sig_structure and p256 directly.
    let theirs = coset::CoseSign1::from_tagged_slice(&bytes).unwrap();
    assert_eq!(
        theirs.protected.header.alg,
        Some(coset::RegisteredLabelWithPrivate::Assigned(
            coset::iana::Algorithm::ES256
        ))
    );
    assert_eq!(theirs.protected.header.key_id, KID);
    let sig = p256::ecdsa::Signature::from_slice(&theirs.signature).unwrap();
    let netid_core::issuer::IssuerPublicKey::P256(key) = issuer().public_key() else {
        panic!()
    };
    key.verify(&theirs.tbs_data(b""), &sig).unwrap();
    // typ 293 and no sd_alg (SHA-256 default).
    let ours = CoseSign1::from_slice(&bytes).unwrap();
    assert_eq!(ours.protected.get_int(16), Some(&Cbor::int(293)));
    assert_eq!(ours.protected.get_int(170), None);
}

#[test]
fn salts_are_16_random_bytes_and_hashes_match_payload() {
    let doc = parse_claims_file(resident_id_json()).unwrap();
    let a = issuer()
        .issue(
            &doc,
            &holder().public_key(),
            UnixTime::from_secs(NOW),
            None,
            &mut OsSalts,
        )
        .unwrap();
    let b = issuer()
        .issue(
            &doc,
            &holder().public_key(),
            UnixTime::from_secs(NOW),
            None,
            &mut OsSalts,
        )
        .unwrap();
    let cose = CoseSign1::from_slice(&a.to_bytes()).unwrap();
    let all = sd_cwt::sd_claims(&cose).unwrap();
    let mut salts = Vec::new();
    for d in &all {
        let v = cbor::decode(d).unwrap();
        let salt = v.as_array().unwrap()[0].as_bytes().unwrap().to_vec();
        assert_eq!(salt.len(), SALT_LEN);
        salts.push(salt);
    }
    salts.sort();
    salts.dedup();
    assert_eq!(salts.len(), all.len(), "salts must be unique");
    // Fresh salts make the same claims hash differently.
    assert_ne!(a.to_bytes(), b.to_bytes());
    // Top-level digests: name, id_number, age_over_18 + the details group; inner: the 6 other
    // claims (sex, ethnicity, birth_date, address, issuing_authority, age_over_60).
    let payload = cbor::decode(&cose.payload).unwrap();
    assert_eq!(sd_cwt::count_digests(&payload), 4);
    assert_eq!(all.len(), 4 + 6);
    // No personal value appears in the signed payload.
    let name = "李秀英".as_bytes();
    assert!(!cose.payload.windows(name.len()).any(|w| w == name));
}

#[test]
fn holder_rejects_credentials_with_missing_or_extra_disclosures() {
    let cred = credential(DocType::ResidentId);
    let mut cose = CoseSign1::from_slice(&cred.to_bytes()).unwrap();
    let mut all = sd_cwt::sd_claims(&cose).unwrap();
    let set = |cose: &mut CoseSign1, d: Vec<Vec<u8>>| {
        cose.unprotected = Cbor::Map(vec![(
            Cbor::int(17),
            Cbor::Array(d.into_iter().map(Cbor::Bytes).collect()),
        )]);
    };
    let removed = all.pop().unwrap();
    set(&mut cose, all.clone());
    assert_eq!(
        Credential::from_bytes(&cose.to_cbor().to_vec()).unwrap_err(),
        FormatError::Disclosure(sd_cwt::DisclosureError::Unmatched)
    );
    all.push(removed);
    all.push(
        Cbor::Array(vec![
            Cbor::Bytes(vec![1; 16]),
            Cbor::Text("x".into()),
            Cbor::int(3),
        ])
        .to_vec(),
    );
    set(&mut cose, all);
    assert_eq!(
        Credential::from_bytes(&cose.to_cbor().to_vec()).unwrap_err(),
        FormatError::Disclosure(sd_cwt::DisclosureError::Unmatched)
    );
    // Indefinite-length CBOR is refused outright.
    assert_eq!(
        Credential::from_bytes(&[0xd2, 0x9f, 0xff]).unwrap_err(),
        FormatError::Cbor(cbor::CborError::IndefiniteLength)
    );
}

#[test]
fn issuance_validates_claims() {
    let base = parse_claims_file(resident_id_json()).unwrap();
    let issue = |doc: &netid_core::credential::DocumentClaims| {
        issuer()
            .issue(
                doc,
                &holder().public_key(),
                UnixTime::from_secs(NOW),
                None,
                &mut OsSalts,
            )
            .unwrap_err()
    };
    let mut bad = base.clone();
    bad.claims.insert(
        ClaimName::IdNumber,
        ClaimValue::Text("110105194912310021".into()),
    );
    assert_eq!(
        issue(&bad),
        IssueError::IdNumber(IdNumberError::CheckCharacter)
    );
    let mut bad = base.clone();
    bad.claims.insert(
        ClaimName::BirthDate,
        ClaimValue::Date(CivilDate::parse("1950-01-01").unwrap()),
    );
    assert_eq!(
        issue(&bad),
        IssueError::IdNumber(IdNumberError::BirthDateMismatch)
    );
    let mut bad = base.clone();
    bad.claims
        .insert(ClaimName::Sex, ClaimValue::Sex(Sex::Male));
    assert_eq!(
        issue(&bad),
        IssueError::IdNumber(IdNumberError::SexMismatch)
    );
    let mut bad = base.clone();
    bad.claims.remove(&ClaimName::Address);
    assert_eq!(issue(&bad), IssueError::MissingClaim("address"));
    let mut bad = base.clone();
    bad.claims
        .insert(ClaimName::VehicleClass, ClaimValue::Text("C1".into()));
    assert_eq!(issue(&bad), IssueError::UnexpectedClaim("vehicle_class"));
    let mut bad = base;
    bad.claims.insert(ClaimName::Name, ClaimValue::Bool(true));
    assert_eq!(issue(&bad), IssueError::WrongValueKind("name"));
}

#[test]
fn claims_file_errors_name_the_key_not_the_value() {
    let with = |key: &str, value: &str| {
        let mut v: serde_json::Value = serde_json::from_str(resident_id_json()).unwrap();
        v[key] = serde_json::from_str(value).unwrap();
        parse_claims_file(&v.to_string())
    };
    assert!(
        matches!(with("age_over_18", "true"), Err(ClaimsFileError::UnknownKey(k)) if k == "age_over_18")
    );
    assert!(matches!(
        with("birth_date", "\"1949/12/31\""),
        Err(ClaimsFileError::BadValue("birth_date"))
    ));
    assert!(matches!(
        with("sex", "\"f\""),
        Err(ClaimsFileError::BadValue("sex"))
    ));
    assert!(matches!(
        with("doc_type", "\"passport\""),
        Err(ClaimsFileError::BadValue("doc_type"))
    ));
    let err = with("id_number", "\"11010519491231002Y\"").unwrap_err();
    assert!(!err.to_string().contains("11010519491231002"), "{err}");
    assert!(matches!(
        parse_claims_file("[1]"),
        Err(ClaimsFileError::NotAnObject)
    ));
    assert!(matches!(
        parse_claims_file("{"),
        Err(ClaimsFileError::Json(_))
    ));
}

#[test]
fn trust_list_file_round_trips_and_rejects_bad_entries() {
    let list = trust_list();
    let json = list.to_json();
    assert_eq!(TrustList::from_json(&json).unwrap(), list);
    let entry = &list.entries()[0];
    assert_eq!(entry.issuer, ISSUER_ID);
    let edit = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
        f(&mut v["issuers"][0]);
        TrustList::from_json(&v.to_string())
    };
    assert!(matches!(
        edit(&|e| e["public_key"]["sec1_hex"] = "04ff".into()),
        Err(TrustListError::BadKey { index: 0 })
    ));
    assert!(matches!(
        edit(&|e| e["public_key"]["crv"] = "P-521".into()),
        Err(TrustListError::BadKey { index: 0 })
    ));
    assert!(matches!(
        edit(&|e| e["kid_hex"] = "".into()),
        Err(TrustListError::BadKid { index: 0 })
    ));
    assert!(matches!(
        edit(&|e| e["doc_types"] = serde_json::json!(["passport"])),
        Err(TrustListError::UnknownDocType { index: 0 })
    ));
    assert!(matches!(
        edit(&|e| e["not_after"] = 0.into()),
        Err(TrustListError::BadWindow { index: 0 })
    ));
    assert!(matches!(
        edit(&|e| e["extra"] = 1.into()),
        Err(TrustListError::Json(_))
    ));
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let first = v["issuers"][0].clone();
    v["issuers"].as_array_mut().unwrap().push(first);
    assert!(matches!(
        TrustList::from_json(&v.to_string()),
        Err(TrustListError::DuplicateKid { index: 1 })
    ));
    // Loading from a file.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trust.json");
    std::fs::write(&path, &json).unwrap();
    assert_eq!(TrustList::load(&path).unwrap(), list);
    assert!(matches!(
        TrustList::load(&dir.path().join("missing.json")),
        Err(TrustListError::Io(_))
    ));
}

#[test]
fn dev_issuer_key_round_trips_through_pkcs8_pem() {
    let generated = DevIssuer::generate("cn-dev", b"k2");
    let pem = generated.to_pkcs8_pem().unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    let loaded = DevIssuer::from_pkcs8_pem(&pem, "cn-dev", b"k2").unwrap();
    assert_eq!(loaded.public_key(), generated.public_key());
    assert!(!format!("{loaded:?}").contains("BEGIN"));
    assert!(DevIssuer::from_pkcs8_pem("not a key", "x", b"k").is_err());
    // The draft's issuer key is P-384, which a P-256 dev issuer must refuse.
    let p384_pem = "-----BEGIN PRIVATE KEY-----\nMIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDBxxU0iIZN+phLbEiHw\n0933cck4HE475B1aoKidaF8Jz+90xLvxBHg/1X6HqyJ9B0yhZANiAATDF5iwx4hf\no1KPv4d+W0w6bcZ6Wl3Gswe3KMNyWSbyq+X7SWTNkeOUilST9uu2y7+PbH7HYWkc\nrTdMTaqTh0U/GAWOzljrCo6EoFWjH7f5IUsnUJUiwVnnZPhxHhFglVQ=\n-----END PRIVATE KEY-----\n";
    assert!(DevIssuer::from_pkcs8_pem(p384_pem, "x", b"k").is_err());
    // Issue from a claims file end to end.
    let cred = loaded
        .issue_from_claims_file(
            resident_id_json(),
            &holder().public_key(),
            UnixTime::from_secs(NOW),
            &mut OsSalts,
        )
        .unwrap();
    assert_eq!(cred.kid(), b"k2");
}

#[test]
fn wallet_checks_an_issued_credential_against_the_trust_list() {
    use netid_core::issuer::{CredentialTrustError, IssuerProblem};
    let cred = credential(DocType::ResidentId);
    let now = UnixTime::from_secs(NOW);
    assert_eq!(
        trust_list().check_credential(&cred, now).unwrap().issuer,
        ISSUER_ID
    );
    assert_eq!(
        TrustList::new().check_credential(&cred, now).unwrap_err(),
        CredentialTrustError::Untrusted(IssuerProblem::NotListed)
    );
    let mut bytes = cred.to_bytes();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x80;
    let forged = Credential::from_bytes(&bytes).unwrap();
    assert_eq!(
        trust_list().check_credential(&forged, now).unwrap_err(),
        CredentialTrustError::BadSignature
    );
    let mut narrow = TrustList::new();
    narrow
        .add(issuer().trust_entry(
            UnixTime::from_secs(0),
            UnixTime::from_secs(NOW * 2),
            &[DocType::DrivingLicence],
        ))
        .unwrap();
    assert_eq!(
        narrow.check_credential(&cred, now).unwrap_err(),
        CredentialTrustError::Untrusted(IssuerProblem::DocTypeNotAllowed)
    );
    assert_eq!(
        trust_list()
            .check_credential(&cred, UnixTime::from_secs(2_240_611_201))
            .unwrap_err(),
        CredentialTrustError::Untrusted(IssuerProblem::OutsideWindow)
    );
}
