//! The SD-CWT draft's own examples verify with this implementation (ES384 issuer, ES256 holder,
//! nested redactions, redacted array elements), and our COSE framing agrees with coset's.

use coset::TaggedCborSerializable;
use netid_core::credential::cbor::{self, Cbor};
use netid_core::credential::sd_cwt::{self, CoseSign1, SignatureAlgorithm};
use netid_core::issuer::{IssuerPublicKey, TrustList, TrustedIssuer};
use netid_core::time::{FixedClock, UnixTime};
use netid_core::verify::{Verifier, VerifyError};
use p384::pkcs8::DecodePublicKey;

const ISSUER_CWT: &[u8] = include_bytes!("vectors/sd-cwt-draft/issuer_cwt.cbor");
const KBT: &[u8] = include_bytes!("vectors/sd-cwt-draft/kbt.cbor");
const ISSUER_PEM: &str = include_str!("vectors/sd-cwt-draft/issuer_pubkey.pem");
const HOLDER_PEM: &str = include_str!("vectors/sd-cwt-draft/holder_pubkey.pem");
const KID: &[u8] = b"https://issuer.example/cose-key3";
const AUD: &str = "https://verifier.example/app";
/// KBT iat in the example, plus three seconds.
const SCAN_TIME: i64 = 1_725_244_240;

fn cnonce() -> Vec<u8> {
    hex::decode("8c0f5f523b95bea44a9a48c649240803").unwrap()
}

fn issuer_key() -> IssuerPublicKey {
    IssuerPublicKey::P384(p384::ecdsa::VerifyingKey::from_public_key_pem(ISSUER_PEM).unwrap())
}

fn trust() -> TrustList {
    let mut list = TrustList::new();
    list.add(TrustedIssuer {
        issuer: "https://issuer.example".into(),
        kid: KID.to_vec(),
        key: issuer_key(),
        not_before: UnixTime::from_secs(1_704_067_200), // 2024-01-01
        not_after: UnixTime::from_secs(1_735_689_600),  // 2025-01-01
        doc_types: vec![],
    })
    .unwrap();
    list
}

fn verifier_at(secs: i64) -> Verifier {
    Verifier::new(
        trust(),
        Box::new(FixedClock::new(UnixTime::from_secs(secs))),
    )
}

fn text(s: &str) -> Cbor {
    Cbor::Text(s.into())
}

#[test]
fn issued_example_verifies_with_es384_and_all_disclosures_match() {
    let cwt = CoseSign1::from_slice(ISSUER_CWT).unwrap();
    assert_eq!(cwt.algorithm().unwrap(), SignatureAlgorithm::Es384);
    assert_eq!(cwt.kid().unwrap(), KID);
    assert!(issuer_key().verify(
        SignatureAlgorithm::Es384,
        &cwt.to_be_signed(),
        &cwt.signature
    ));
    // One flipped payload bit breaks it.
    let mut tampered = cwt.clone();
    tampered.payload[10] ^= 1;
    assert!(!issuer_key().verify(
        SignatureAlgorithm::Es384,
        &tampered.to_be_signed(),
        &tampered.signature
    ));

    let disclosures = sd_cwt::sd_claims(&cwt).unwrap();
    assert_eq!(disclosures.len(), 5);
    // The draft's "SHA-256 hash of inspector_license_number disclosure".
    assert_eq!(
        hex::encode(sd_cwt::disclosure_digest(&disclosures[0])),
        "af375dc3fba1d082448642c00be7b2f7bb05c9d8fb61cfc230ddfdfb4616a693"
    );
    let payload = cbor::decode(&cwt.payload).unwrap();
    let claims = sd_cwt::apply_disclosures(&payload, &disclosures).unwrap();
    assert_eq!(claims.get_int(501), Some(&text("ABCD-123456")));
    assert_eq!(
        claims.get_int(502),
        Some(&Cbor::Array(vec![
            Cbor::int(1_549_560_720),
            Cbor::int(1_612_560_720),
            Cbor::int(1_674_004_740)
        ]))
    );
    let location = claims.get_int(503).unwrap();
    assert_eq!(location.get(&text("country")), Some(&text("us")));
    assert_eq!(location.get(&text("region")), Some(&text("ca")));
    assert_eq!(location.get(&text("postal_code")), Some(&text("94188")));
    // No redaction markers survive.
    assert!(!format!("{claims:?}").contains("Simple(59)"));

    // With no disclosures, redacted keys and elements vanish.
    let bare = sd_cwt::apply_disclosures(&payload, &[]).unwrap();
    assert_eq!(bare.get_int(501), None);
    assert_eq!(
        bare.get_int(502),
        Some(&Cbor::Array(vec![Cbor::int(1_674_004_740)]))
    );
    assert_eq!(bare.get_int(503).unwrap().as_map().unwrap().len(), 1);
}

#[test]
fn kbt_example_verifies_at_a_fixed_2024_clock() {
    let verified = verifier_at(SCAN_TIME)
        .verify_sd_kbt(KBT, AUD, Some(&cnonce()))
        .unwrap();
    assert_eq!(verified.issuer(), "https://issuer.example");
    assert_eq!(verified.issued_at(), UnixTime::from_secs(1_725_244_237));
    let claims = verified.claims();
    assert_eq!(claims.get_int(501), Some(&text("ABCD-123456")));
    assert_eq!(
        claims.get_int(502),
        Some(&Cbor::Array(vec![
            Cbor::int(1_549_560_720),
            Cbor::int(1_674_004_740)
        ]))
    );
    let location = claims.get_int(503).unwrap();
    assert_eq!(location.get(&text("region")), Some(&text("ca")));
    assert_eq!(location.get(&text("postal_code")), None);
    // The holder key in cnf is the draft's holder key.
    let holder = p256::PublicKey::from_public_key_pem(HOLDER_PEM).unwrap();
    assert_eq!(sd_cwt::holder_key(claims).unwrap(), holder);
}

#[test]
fn kbt_example_is_refused_for_the_right_reasons() {
    assert_eq!(
        verifier_at(SCAN_TIME)
            .verify_sd_kbt(KBT, "https://other.example", None)
            .unwrap_err(),
        VerifyError::WrongAudience
    );
    assert_eq!(
        verifier_at(SCAN_TIME)
            .verify_sd_kbt(KBT, AUD, Some(b"another nonce"))
            .unwrap_err(),
        VerifyError::NonceMismatch
    );
    // The KBT has no exp: the verifier's maximum age (120 s) + skew (30 s) bounds it, and like
    // `exp` (RFC 8392, "on or after") the bound itself is already too late.
    assert_eq!(
        verifier_at(1_725_244_237 + 150)
            .verify_sd_kbt(KBT, AUD, None)
            .unwrap_err(),
        VerifyError::PresentationExpired
    );
    assert!(
        verifier_at(1_725_244_237 + 149)
            .verify_sd_kbt(KBT, AUD, None)
            .is_ok()
    );
    assert_eq!(
        verifier_at(1_725_244_237 - 31)
            .verify_sd_kbt(KBT, AUD, None)
            .unwrap_err(),
        VerifyError::IssuedInFuture
    );
    // Credential exp 1725330600 + 30 s skew: refused from that second on.
    assert_eq!(
        verifier_at(1_725_330_630)
            .verify_sd_kbt(KBT, AUD, None)
            .unwrap_err(),
        VerifyError::CredentialExpired
    );
    // Scanning the same bytes twice is a replay.
    let v = verifier_at(SCAN_TIME);
    v.verify_sd_kbt(KBT, AUD, None).unwrap();
    assert_eq!(
        v.verify_sd_kbt(KBT, AUD, None).unwrap_err(),
        VerifyError::Replayed
    );
    // Unknown issuer.
    let empty = Verifier::new(
        TrustList::new(),
        Box::new(FixedClock::new(UnixTime::from_secs(SCAN_TIME))),
    );
    assert!(matches!(
        empty.verify_sd_kbt(KBT, AUD, None),
        Err(VerifyError::UnknownIssuer(_))
    ));
}

#[test]
fn our_cose_framing_agrees_with_coset() {
    for bytes in [ISSUER_CWT, KBT] {
        let ours = CoseSign1::from_slice(bytes).unwrap();
        let theirs = coset::CoseSign1::from_tagged_slice(bytes).unwrap();
        assert_eq!(ours.to_be_signed(), theirs.tbs_data(b""));
        assert_eq!(ours.signature, theirs.signature);
        // Re-encoding what we parsed gives back the exact bytes.
        assert_eq!(ours.to_cbor().to_vec(), bytes);
        assert_eq!(theirs.to_tagged_vec().unwrap(), bytes);
    }
}
