//! The issuer's check of iOS App Attest evidence (`netid_core::attestation::apple`): attestation
//! objects and assertions made by a test App Attestation CA to Apple's schema, and one real
//! development-environment attestation and assertion from an iPhone on iOS 14.4
//! (tests/vectors/apple_app_attest/SOURCE.md) under Apple's published root, accepted or refused
//! with the error naming the rule.

#[path = "vectors/fixtures.rs"]
mod fixtures;

use netid_core::attestation::apple::{
    self, AppAttestEnvironment, AppAttestEvidence, AttestedAppKey,
};
use netid_core::attestation::testing::{AppAttestOptions, TestAppAttestCa, base64};
use netid_core::attestation::{
    AppAttestError, AppAttestPolicy, AttestationError, AttestationPolicy, CheckedKey, TrustedRoots,
    check_key_attestation, issue_for_attested_proof,
};
use netid_core::credential::AssuranceLevel;
use netid_core::issuer::parse_claims_file;
use netid_core::secure_area::{KeyAttestation, KeyEvidence, KeySecurityLevel};
use netid_core::time::UnixTime;
use netid_core::wallet::{EnrolmentChallenge, UnsignedProof};
use p256::ecdsa::SigningKey;
use p256::ecdsa::signature::Signer;

const NONCE: [u8; 32] = [0x42; 32];
const APP_ID: &str = "ABCDE12345.io.netid.wallet";

fn now() -> UnixTime {
    UnixTime::from_secs(fixtures::NOW)
}

fn random_key() -> SigningKey {
    SigningKey::random(&mut rand_core::OsRng)
}

fn public(key: &SigningKey) -> p256::PublicKey {
    p256::PublicKey::from(key.verifying_key())
}

struct Setup {
    ca: TestAppAttestCa,
    policy: AttestationPolicy,
    /// The installation's App Attest key.
    app_key: SigningKey,
    /// The clientDataHash of the installation's first enrolment, which the attestation answers.
    first_hash: [u8; 32],
    holder: SigningKey,
}

impl Setup {
    fn new() -> Self {
        let ca = TestAppAttestCa::generate("netid").unwrap();
        let apple = AppAttestPolicy {
            roots: TrustedRoots::from_der([ca.root_certificate()]).unwrap(),
            app_ids: vec!["OTHER12345.io.example.app".to_owned(), APP_ID.to_owned()],
            allow_development: false,
        };
        let first_hash = apple::client_data_hash(&public(&random_key()), &[0x11; 32]);
        Self {
            ca,
            policy: AttestationPolicy::new(TrustedRoots::new()).with_app_attest(apple),
            app_key: random_key(),
            first_hash,
            holder: random_key(),
        }
    }

    fn evidence_with(&self, options: &AppAttestOptions) -> AppAttestEvidence {
        self.ca
            .evidence(
                &self.app_key,
                &self.first_hash,
                &public(&self.holder),
                &NONCE,
                options,
            )
            .unwrap()
    }

    fn evidence(&self) -> AppAttestEvidence {
        self.evidence_with(&AppAttestOptions::production(APP_ID))
    }

    fn check(
        &self,
        evidence: &AppAttestEvidence,
        grade: AssuranceLevel,
    ) -> Result<CheckedKey, AttestationError> {
        check_key_attestation(
            &attested(evidence),
            &public(&self.holder),
            &NONCE,
            grade,
            &self.policy,
            now(),
        )
    }

    /// The check at both grades, which must agree (evidence that is sent is checked in full).
    fn refusal(&self, evidence: &AppAttestEvidence) -> AttestationError {
        let basic = self.check(evidence, AssuranceLevel::Basic).unwrap_err();
        let enhanced = self.check(evidence, AssuranceLevel::Enhanced).unwrap_err();
        assert_eq!(basic, enhanced);
        basic
    }
}

fn attested(evidence: &AppAttestEvidence) -> KeyAttestation {
    KeyAttestation {
        level: KeySecurityLevel::SecureEnclave,
        evidence: KeyEvidence::AppleAppAttest {
            evidence: evidence.to_bytes(),
        },
    }
}

fn app_attest(error: AppAttestError) -> AttestationError {
    AttestationError::AppAttest(error)
}

const SECURE_ENCLAVE: CheckedKey = CheckedKey {
    level: KeySecurityLevel::SecureEnclave,
    user_auth_required: true,
};

#[test]
fn a_genuine_app_key_vouching_for_this_holder_key_and_nonce_is_accepted_for_the_enhanced_grade() {
    let setup = Setup::new();
    let evidence = setup.evidence();
    assert_eq!(
        setup.check(&evidence, AssuranceLevel::Enhanced),
        Ok(SECURE_ENCLAVE)
    );
    assert_eq!(
        setup.check(&evidence, AssuranceLevel::Basic),
        Ok(SECURE_ENCLAVE)
    );
    // The same installation (attestation kept from its first enrolment) enrols another key
    // against another nonce: a fresh assertion is all that changes.
    let next_holder = random_key();
    let next_nonce = [0x99; 32];
    let next = setup
        .ca
        .evidence(
            &setup.app_key,
            &setup.first_hash,
            &public(&next_holder),
            &next_nonce,
            &AppAttestOptions::production(APP_ID),
        )
        .unwrap();
    assert_eq!(next.attestation, evidence.attestation);
    assert_eq!(
        check_key_attestation(
            &attested(&next),
            &public(&next_holder),
            &next_nonce,
            AssuranceLevel::Enhanced,
            &setup.policy,
            now(),
        ),
        Ok(SECURE_ENCLAVE)
    );
}

#[test]
fn the_evidence_json_as_swifts_json_encoder_writes_it_is_read() {
    // `JSONEncoder` escapes "/" (base64's 63rd digit) as "\/" and may order keys differently.
    let setup = Setup::new();
    let evidence = setup.evidence();
    let json = String::from_utf8(evidence.to_bytes()).unwrap();
    assert!(json.contains('/'), "a 1 KB base64 text has a '/'");
    let escaped = json.replace('/', "\\/");
    assert_eq!(
        AppAttestEvidence::parse(escaped.as_bytes()),
        Ok(evidence.clone())
    );
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let reordered = format!(
        r#"{{"client_data_hash":{},"assertion":{},"key_id":{},"attestation_client_data_hash":{},"attestation":{}}}"#,
        value["client_data_hash"],
        value["assertion"],
        value["key_id"],
        value["attestation_client_data_hash"],
        value["attestation"]
    );
    assert_eq!(AppAttestEvidence::parse(reordered.as_bytes()), Ok(evidence));
}

#[test]
fn without_apple_roots_and_app_ids_app_attest_is_not_verifiable() {
    let setup = Setup::new();
    let evidence = setup.evidence();
    let mut policy = AttestationPolicy::new(TrustedRoots::new());
    for unconfigured in [
        AppAttestPolicy::default(),
        AppAttestPolicy {
            app_ids: Vec::new(),
            ..setup.policy.apple.clone()
        },
        AppAttestPolicy {
            roots: TrustedRoots::new(),
            ..setup.policy.apple.clone()
        },
    ] {
        policy.apple = unconfigured;
        let check = |grade| {
            check_key_attestation(
                &attested(&evidence),
                &public(&setup.holder),
                &NONCE,
                grade,
                &policy,
                now(),
            )
        };
        assert_eq!(
            check(AssuranceLevel::Enhanced),
            Err(AttestationError::EvidenceNotVerifiable)
        );
        // The basic grade takes any key, and this one counts as software.
        assert_eq!(
            check(AssuranceLevel::Basic),
            Ok(CheckedKey {
                level: KeySecurityLevel::Software,
                user_auth_required: false,
            })
        );
    }
}

#[test]
fn an_attestation_under_another_root_is_refused() {
    let setup = Setup::new();
    let stranger = TestAppAttestCa::generate("stranger").unwrap();
    let evidence = stranger
        .evidence(
            &setup.app_key,
            &setup.first_hash,
            &public(&setup.holder),
            &NONCE,
            &AppAttestOptions::production(APP_ID),
        )
        .unwrap();
    assert_eq!(setup.refusal(&evidence), AttestationError::UnknownRoot);
}

#[test]
fn a_certificate_nonce_that_is_not_over_the_attestation_data_is_refused() {
    let setup = Setup::new();
    let wrong = AppAttestOptions {
        wrong_nonce: true,
        ..AppAttestOptions::production(APP_ID)
    };
    assert_eq!(
        setup.refusal(&setup.evidence_with(&wrong)),
        app_attest(AppAttestError::WrongNonce)
    );
    // A genuine attestation with another clientDataHash claimed for it.
    let mut evidence = setup.evidence();
    evidence.attestation_client_data_hash = vec![0x22; 32];
    assert_eq!(
        setup.refusal(&evidence),
        app_attest(AppAttestError::WrongNonce)
    );
}

#[test]
fn a_key_id_or_credential_id_that_is_not_the_certified_keys_is_refused() {
    let setup = Setup::new();
    let mut evidence = setup.evidence();
    evidence.key_id = vec![0x33; 32];
    assert_eq!(
        setup.refusal(&evidence),
        app_attest(AppAttestError::KeyIdMismatch)
    );
    let other_credential = AppAttestOptions {
        credential_id: Some(vec![0x44; 32]),
        ..AppAttestOptions::production(APP_ID)
    };
    assert_eq!(
        setup.refusal(&setup.evidence_with(&other_credential)),
        app_attest(AppAttestError::CredentialIdMismatch)
    );
}

#[test]
fn another_apps_key_is_refused() {
    let setup = Setup::new();
    let other_app = AppAttestOptions::production("ABCDE12345.io.netid.other");
    assert_eq!(
        setup.refusal(&setup.evidence_with(&other_app)),
        app_attest(AppAttestError::UnknownAppId)
    );
    // Another team's build of the same bundle id.
    let other_team = AppAttestOptions::production("ZZZZZ99999.io.netid.wallet");
    assert_eq!(
        setup.refusal(&setup.evidence_with(&other_team)),
        app_attest(AppAttestError::UnknownAppId)
    );
    // An assertion whose rpIdHash is another allowed app's.
    let crossed = AppAttestOptions {
        assertion_app_id: Some("OTHER12345.io.example.app".to_owned()),
        ..AppAttestOptions::production(APP_ID)
    };
    assert_eq!(
        setup.refusal(&setup.evidence_with(&crossed)),
        app_attest(AppAttestError::AssertionAppIdMismatch)
    );
}

#[test]
fn a_development_key_is_refused_unless_the_policy_allows_development() {
    let mut setup = Setup::new();
    let development = AppAttestOptions {
        development: true,
        ..AppAttestOptions::production(APP_ID)
    };
    let evidence = setup.evidence_with(&development);
    assert_eq!(
        setup.refusal(&evidence),
        app_attest(AppAttestError::DevelopmentNotAllowed)
    );
    setup.policy.apple.allow_development = true;
    assert_eq!(
        setup.check(&evidence, AssuranceLevel::Enhanced),
        Ok(SECURE_ENCLAVE)
    );
    // Neither environment's aaguid, even where development is allowed.
    let unknown = AppAttestOptions {
        aaguid: Some(*b"appattestfuture\0"),
        ..AppAttestOptions::production(APP_ID)
    };
    assert_eq!(
        setup.refusal(&setup.evidence_with(&unknown)),
        app_attest(AppAttestError::UnknownEnvironment)
    );
}

#[test]
fn counters_other_than_apples_are_refused() {
    let setup = Setup::new();
    let used = AppAttestOptions {
        attestation_counter: 1,
        ..AppAttestOptions::production(APP_ID)
    };
    assert_eq!(
        setup.refusal(&setup.evidence_with(&used)),
        app_attest(AppAttestError::AttestationCounterNotZero)
    );
    let zero = AppAttestOptions {
        assertion_counter: 0,
        ..AppAttestOptions::production(APP_ID)
    };
    assert_eq!(
        setup.refusal(&setup.evidence_with(&zero)),
        app_attest(AppAttestError::AssertionCounterZero)
    );
    // A later assertion (the installation's 7th) is fine: counters are not tracked.
    let later = AppAttestOptions {
        assertion_counter: 7,
        ..AppAttestOptions::production(APP_ID)
    };
    assert!(
        setup
            .check(&setup.evidence_with(&later), AssuranceLevel::Enhanced)
            .is_ok()
    );
}

#[test]
fn an_assertion_not_signed_by_the_attested_key_is_refused() {
    let setup = Setup::new();
    let mut evidence = setup.evidence();
    evidence.assertion = TestAppAttestCa::assertion(
        &random_key(),
        &evidence.client_data_hash,
        &AppAttestOptions::production(APP_ID),
    )
    .unwrap();
    assert_eq!(
        setup.refusal(&evidence),
        app_attest(AppAttestError::BadAssertionSignature)
    );
}

#[test]
fn an_assertion_for_another_holder_key_or_nonce_is_refused() {
    let setup = Setup::new();
    let other_holder = public(&random_key());
    for (holder, nonce) in [
        (other_holder, NONCE.to_vec()),
        (public(&setup.holder), vec![0x43; 32]),
    ] {
        // Evidence made for another key or nonce, sent honestly: its clientDataHash is not the
        // issuer's own.
        let honest = setup
            .ca
            .evidence(
                &setup.app_key,
                &setup.first_hash,
                &holder,
                &nonce,
                &AppAttestOptions::production(APP_ID),
            )
            .unwrap();
        assert_eq!(
            setup.refusal(&honest),
            app_attest(AppAttestError::ClientDataHashMismatch)
        );
        // The same with the issuer's own hash written in: the assertion does not verify over it.
        let mut lying = honest;
        lying.client_data_hash = apple::client_data_hash(&public(&setup.holder), &NONCE).to_vec();
        assert_eq!(
            setup.refusal(&lying),
            app_attest(AppAttestError::BadAssertionSignature)
        );
    }
}

#[test]
fn an_evidence_client_data_hash_that_differs_from_the_issuers_own_is_refused() {
    let setup = Setup::new();
    let mut evidence = setup.evidence();
    evidence.client_data_hash = vec![0x55; 32];
    assert_eq!(
        setup.refusal(&evidence),
        app_attest(AppAttestError::ClientDataHashMismatch)
    );
}

#[test]
fn a_host_claiming_another_level_with_app_attest_evidence_is_refused() {
    let setup = Setup::new();
    let mut attestation = attested(&setup.evidence());
    attestation.level = KeySecurityLevel::StrongBox;
    assert_eq!(
        check_key_attestation(
            &attestation,
            &public(&setup.holder),
            &NONCE,
            AssuranceLevel::Basic,
            &setup.policy,
            now(),
        ),
        Err(AttestationError::LevelMismatch {
            claimed: KeySecurityLevel::StrongBox,
            attested: KeySecurityLevel::SecureEnclave,
        })
    );
}

#[test]
fn malformed_evidence_gets_typed_errors() {
    let setup = Setup::new();
    let check_bytes = |bytes: Vec<u8>| {
        check_key_attestation(
            &KeyAttestation {
                level: KeySecurityLevel::SecureEnclave,
                evidence: KeyEvidence::AppleAppAttest { evidence: bytes },
            },
            &public(&setup.holder),
            &NONCE,
            AssuranceLevel::Basic,
            &setup.policy,
            now(),
        )
    };
    assert!(matches!(
        check_bytes(b"not json".to_vec()),
        Err(AttestationError::AppAttest(
            AppAttestError::MalformedEvidence(_)
        ))
    ));
    // The evidence the glue wrote before `attestation_client_data_hash` existed.
    let good = setup.evidence();
    let old = format!(
        r#"{{"key_id":"{0}","attestation":"{0}","assertion":"{0}","client_data_hash":"{0}"}}"#,
        "AAAA"
    );
    assert!(matches!(
        check_bytes(old.into_bytes()),
        Err(AttestationError::AppAttest(
            AppAttestError::MalformedEvidence(_)
        ))
    ));
    let mut short_key_id = good.clone();
    short_key_id.key_id.truncate(20);
    assert!(matches!(
        check_bytes(short_key_id.to_bytes()),
        Err(AttestationError::AppAttest(
            AppAttestError::MalformedEvidence(_)
        ))
    ));
    let mut not_cbor = good.clone();
    not_cbor.attestation = b"\xff\x00".to_vec();
    assert!(matches!(
        setup.refusal(&not_cbor),
        AttestationError::AppAttest(AppAttestError::MalformedAttestation(_))
    ));
    let mut trailing = good.clone();
    trailing.attestation.push(0);
    assert!(matches!(
        setup.refusal(&trailing),
        AttestationError::AppAttest(AppAttestError::MalformedAttestation(_))
    ));
    // Another WebAuthn attestation format.
    let mut packed = good.clone();
    let mut object: ciborium::Value = ciborium::de::from_reader(&good.attestation[..]).unwrap();
    for (key, value) in object.as_map_mut().unwrap() {
        if key.as_text() == Some("fmt") {
            *value = ciborium::Value::Text("packed".to_owned());
        }
    }
    packed.attestation.clear();
    ciborium::ser::into_writer(&object, &mut packed.attestation).unwrap();
    assert_eq!(
        setup.refusal(&packed),
        app_attest(AppAttestError::WrongFormat)
    );
    let mut not_an_assertion = good;
    not_an_assertion.assertion = vec![0xa0];
    assert!(matches!(
        setup.refusal(&not_an_assertion),
        AttestationError::AppAttest(AppAttestError::MalformedAssertion(_))
    ));
}

// ----- through the enrolment proof -----

#[test]
fn an_enrolment_proof_with_app_attest_evidence_mints_an_enhanced_credential() {
    let setup = Setup::new();
    let challenge = EnrolmentChallenge::new(fixtures::ISSUER_ID, NONCE.to_vec()).unwrap();
    let attestation = attested(&setup.evidence());
    let unsigned =
        UnsignedProof::new(&challenge, &public(&setup.holder), &attestation, now()).unwrap();
    let signature: p256::ecdsa::Signature = setup.holder.sign(unsigned.to_be_signed());
    let proof = unsigned.finish(signature.to_bytes().into()).unwrap();
    let mut document = parse_claims_file(fixtures::resident_id_json()).unwrap();
    document.assurance_level = AssuranceLevel::Enhanced;
    let (credential, checked) = issue_for_attested_proof(
        &fixtures::issuer(),
        &document,
        &challenge,
        &proof,
        &setup.policy,
        now(),
    )
    .unwrap();
    assert_eq!(checked, SECURE_ENCLAVE);
    assert_eq!(credential.assurance_level(), AssuranceLevel::Enhanced);
}

// ----- a real attestation and assertion -----

fn pem_body(pem: &str) -> Vec<u8> {
    let (_, rest) = pem.split_once("-----BEGIN CERTIFICATE-----").unwrap();
    let (body, _) = rest.split_once("-----END CERTIFICATE-----").unwrap();
    base64(body)
}

fn apple_root() -> Vec<u8> {
    pem_body(include_str!(
        "vectors/apple_app_attest/apple_app_attestation_root_ca.pem"
    ))
}

/// 2021-01-23T12:14:00Z: a minute after the attestation was made, inside every certificate's
/// validity.
const REAL_CHECKED_AT: i64 = 1_611_404_040;
const REAL_APP_ID: &str = "6MURL8TA57.de.vincent-haupert.apple-appattest-poc";

struct Real {
    attestation: Vec<u8>,
    assertion: Vec<u8>,
    key_id: Vec<u8>,
    /// SHA-256("wurzelpfropf"): what both the attestation and the assertion were made over.
    client_data_hash: [u8; 32],
}

fn real() -> Real {
    use sha2::Digest;
    Real {
        attestation: base64(include_str!(
            "vectors/apple_app_attest/ios14_4_attestation.b64"
        )),
        assertion: base64(include_str!(
            "vectors/apple_app_attest/ios14_4_assertion.b64"
        )),
        key_id: base64("YmbJO4x5nEHUvncp9zdWuVZjNBEMgJn3cdSToAXQe3M="),
        client_data_hash: sha2::Sha256::digest(b"wurzelpfropf").into(),
    }
}

fn real_policy(allow_development: bool) -> AppAttestPolicy {
    AppAttestPolicy {
        roots: TrustedRoots::from_der([apple_root().as_slice()]).unwrap(),
        app_ids: vec![REAL_APP_ID.to_owned()],
        allow_development,
    }
}

#[test]
fn a_real_ios_attestation_and_assertion_verify_under_apples_published_root() {
    let real = real();
    let attested = apple::verify_attestation(
        &real.attestation,
        &real.key_id,
        &real.client_data_hash,
        &real_policy(true),
        UnixTime::from_secs(REAL_CHECKED_AT),
    )
    .unwrap();
    assert_eq!(attested.environment, AppAttestEnvironment::Development);
    assert_eq!(attested.app_id, REAL_APP_ID);
    assert_eq!(
        apple::verify_assertion(&real.assertion, &attested, &real.client_data_hash),
        Ok(1)
    );
    // The 3-day credential certificate expired on 2021-01-25; the kept object still verifies
    // while Apple's CA certificate is valid (to 2030).
    assert!(
        apple::verify_attestation(
            &real.attestation,
            &real.key_id,
            &real.client_data_hash,
            &real_policy(true),
            now(),
        )
        .is_ok()
    );
}

#[test]
fn the_real_attestation_is_refused_where_a_rule_does_not_hold() {
    let real = real();
    let at = UnixTime::from_secs(REAL_CHECKED_AT);
    let verify = |policy: &AppAttestPolicy, hash: &[u8]| {
        apple::verify_attestation(&real.attestation, &real.key_id, hash, policy, at).map(|_| ())
    };
    assert_eq!(
        verify(&real_policy(false), &real.client_data_hash),
        Err(app_attest(AppAttestError::DevelopmentNotAllowed))
    );
    assert_eq!(
        verify(&real_policy(true), &[0u8; 32]),
        Err(app_attest(AppAttestError::WrongNonce))
    );
    let other_app = AppAttestPolicy {
        app_ids: vec!["6MURL8TA57.io.netid.wallet".to_owned()],
        ..real_policy(true)
    };
    assert_eq!(
        verify(&other_app, &real.client_data_hash),
        Err(app_attest(AppAttestError::UnknownAppId))
    );
    let test_root = TestAppAttestCa::generate("netid").unwrap();
    let other_root = AppAttestPolicy {
        roots: TrustedRoots::from_der([test_root.root_certificate()]).unwrap(),
        ..real_policy(true)
    };
    assert_eq!(
        verify(&other_root, &real.client_data_hash),
        Err(AttestationError::UnknownRoot)
    );
    // After Apple's CA certificate expires (2030-03-13).
    assert_eq!(
        apple::verify_attestation(
            &real.attestation,
            &real.key_id,
            &real.client_data_hash,
            &real_policy(true),
            UnixTime::from_secs(1_900_000_000),
        )
        .map(|_| ()),
        Err(AttestationError::CertificateNotValidNow { index: 1 })
    );
    let attested = apple::verify_attestation(
        &real.attestation,
        &real.key_id,
        &real.client_data_hash,
        &real_policy(true),
        at,
    )
    .unwrap();
    assert_eq!(
        apple::verify_assertion(&real.assertion, &attested, &[0u8; 32]),
        Err(app_attest(AppAttestError::BadAssertionSignature))
    );
    // The real objects as enrolment evidence: the assertion is over "wurzelpfropf", not over a
    // holder key and nonce, so no enrolment can use it.
    let holder = public(&random_key());
    let evidence = AppAttestEvidence {
        key_id: real.key_id.clone(),
        attestation: real.attestation.clone(),
        attestation_client_data_hash: real.client_data_hash.to_vec(),
        assertion: real.assertion.clone(),
        client_data_hash: apple::client_data_hash(&holder, &NONCE).to_vec(),
    };
    assert_eq!(
        apple::verify_evidence(
            &evidence.to_bytes(),
            &holder,
            &NONCE,
            &real_policy(true),
            at
        )
        .map(|_: AttestedAppKey| ()),
        Err(app_attest(AppAttestError::BadAssertionSignature))
    );
}

// ----- hostile input -----

mod hostile {
    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

    /// A seeded runner: `NETID_PROPTEST_SEED` (hex, 32 bytes) or a fixed seed, printed.
    fn runner(cases: u32) -> TestRunner {
        let seed = std::env::var("NETID_PROPTEST_SEED")
            .ok()
            .and_then(|s| hex::decode(s).ok())
            .and_then(|s| <[u8; 32]>::try_from(s).ok())
            .unwrap_or([0x5e; 32]);
        println!("proptest seed: {}", hex::encode(seed));
        TestRunner::new_with_rng(
            Config {
                cases,
                failure_persistence: None,
                ..Config::default()
            },
            TestRng::from_seed(RngAlgorithm::ChaCha, &seed),
        )
    }

    #[test]
    fn arbitrary_evidence_gets_a_typed_error_never_a_panic() {
        let setup = Setup::new();
        let good = setup.evidence();
        let inputs = (proptest::collection::vec(any::<u8>(), 0..600), 0usize..3);
        runner(128)
            .run(&inputs, |(bytes, place)| {
                let evidence = match place {
                    0 => bytes,
                    1 => AppAttestEvidence {
                        attestation: bytes,
                        ..good.clone()
                    }
                    .to_bytes(),
                    _ => AppAttestEvidence {
                        assertion: bytes,
                        ..good.clone()
                    }
                    .to_bytes(),
                };
                let attestation = KeyAttestation {
                    level: KeySecurityLevel::SecureEnclave,
                    evidence: KeyEvidence::AppleAppAttest { evidence },
                };
                prop_assert!(
                    check_key_attestation(
                        &attestation,
                        &public(&setup.holder),
                        &NONCE,
                        AssuranceLevel::Basic,
                        &setup.policy,
                        now(),
                    )
                    .is_err()
                );
                Ok(())
            })
            .unwrap();
    }

    /// Every bit the checks cover is covered: a flip anywhere in the attestation object but its
    /// receipt (which is not checked: docs/SECURITY.md §2), or anywhere in the assertion, is
    /// refused.
    #[test]
    fn every_bit_flip_of_the_attestation_object_or_assertion_is_refused() {
        let setup = Setup::new();
        let good = setup.evidence();
        assert_eq!(
            setup.check(&good, AssuranceLevel::Basic),
            Ok(SECURE_ENCLAVE)
        );
        // `"receipt": h'…'`: the text key (1 + 7 bytes) and the byte string (1 + 12 bytes).
        let receipt_at = good
            .attestation
            .windows(8)
            .position(|w| w == b"greceipt")
            .unwrap();
        let receipt = receipt_at..receipt_at + 8 + 13;
        let inputs = (any::<bool>(), any::<proptest::sample::Index>(), 0u8..8);
        runner(256)
            .run(&inputs, |(in_attestation, position, bit)| {
                let mut evidence = good.clone();
                let target = if in_attestation {
                    &mut evidence.attestation
                } else {
                    &mut evidence.assertion
                };
                let at = position.index(target.len());
                if in_attestation && receipt.contains(&at) {
                    return Ok(());
                }
                target[at] ^= 1 << bit;
                prop_assert!(setup.check(&evidence, AssuranceLevel::Basic).is_err());
                Ok(())
            })
            .unwrap();
    }
}
