//! The issuer's check of holder-key attestations (`netid_core::attestation`): Android chains made
//! by a test root to the real schema, and one real chain Google published
//! (tests/vectors/android_attestation), accepted or refused with the error naming the rule.

#[path = "vectors/fixtures.rs"]
mod fixtures;

use netid_core::attestation::testing::{LeafOptions, TestAttestationCa, base64};
use netid_core::attestation::{
    AttestationError, AttestationPolicy, AttestedEnrolmentError, CheckedKey, KeyRequirement,
    TrustedRoots, android, check_key_attestation, issue_for_attested_proof,
};
use netid_core::credential::AssuranceLevel;
use netid_core::issuer::parse_claims_file;
use netid_core::secure_area::{KeyAttestation, KeyEvidence, KeySecurityLevel};
use netid_core::time::UnixTime;
use netid_core::wallet::{EnrolmentChallenge, ProofError, UnsignedProof, verify_proof_attested};
use p256::ecdsa::SigningKey;
use p256::ecdsa::signature::Signer;

const NONCE: [u8; 32] = [0x42; 32];

fn now() -> UnixTime {
    UnixTime::from_secs(fixtures::NOW)
}

struct Setup {
    ca: TestAttestationCa,
    policy: AttestationPolicy,
    holder: SigningKey,
}

impl Setup {
    fn new() -> Self {
        let ca = TestAttestationCa::generate("netid").unwrap();
        let roots = TrustedRoots::from_der([ca.root_certificate()]).unwrap();
        Self {
            ca,
            policy: AttestationPolicy::new(roots),
            holder: SigningKey::random(&mut rand_core::OsRng),
        }
    }

    fn holder_public(&self) -> p256::PublicKey {
        p256::PublicKey::from(self.holder.verifying_key())
    }

    fn android(&self, options: &LeafOptions) -> KeyAttestation {
        KeyAttestation {
            level: options.level,
            evidence: KeyEvidence::AndroidKeyAttestation {
                chain: self.ca.chain(&self.holder_public(), options).unwrap(),
            },
        }
    }

    fn check(
        &self,
        attestation: &KeyAttestation,
        grade: AssuranceLevel,
    ) -> Result<CheckedKey, AttestationError> {
        check_key_attestation(
            attestation,
            &self.holder_public(),
            &NONCE,
            grade,
            &self.policy,
            now(),
        )
    }
}

fn hardware_with_auth(level: KeySecurityLevel) -> CheckedKey {
    CheckedKey {
        level,
        user_auth_required: true,
    }
}

#[test]
fn a_tee_chain_over_the_enrolment_challenge_is_accepted_for_the_enhanced_grade() {
    let setup = Setup::new();
    let attestation = setup.android(&LeafOptions::tee(&NONCE));
    assert_eq!(
        setup.check(&attestation, AssuranceLevel::Enhanced),
        Ok(hardware_with_auth(KeySecurityLevel::TrustedEnvironment))
    );
}

#[test]
fn a_strongbox_chain_is_accepted_and_reported_as_strongbox() {
    let setup = Setup::new();
    let options = LeafOptions {
        level: KeySecurityLevel::StrongBox,
        ..LeafOptions::tee(&NONCE)
    };
    assert_eq!(
        setup.check(&setup.android(&options), AssuranceLevel::Enhanced),
        Ok(hardware_with_auth(KeySecurityLevel::StrongBox))
    );
}

#[test]
fn a_chain_over_another_challenge_is_refused() {
    let setup = Setup::new();
    let attestation = setup.android(&LeafOptions::tee(&[0x43; 32]));
    for grade in [AssuranceLevel::Basic, AssuranceLevel::Enhanced] {
        assert_eq!(
            setup.check(&attestation, grade),
            Err(AttestationError::WrongChallenge)
        );
    }
}

#[test]
fn a_software_level_key_is_refused_for_enhanced_and_accepted_for_basic() {
    let setup = Setup::new();
    let options = LeafOptions {
        level: KeySecurityLevel::Software,
        ..LeafOptions::tee(&NONCE)
    };
    let attestation = setup.android(&options);
    assert_eq!(
        setup.check(&attestation, AssuranceLevel::Enhanced),
        Err(AttestationError::NotHardware {
            attested: KeySecurityLevel::Software
        })
    );
    assert_eq!(
        setup.check(&attestation, AssuranceLevel::Basic),
        Ok(CheckedKey {
            level: KeySecurityLevel::Software,
            user_auth_required: true,
        })
    );
    // The software secure area's own report: no evidence at all.
    assert_eq!(
        setup.check(&KeyAttestation::software(), AssuranceLevel::Enhanced),
        Err(AttestationError::NotHardware {
            attested: KeySecurityLevel::Software
        })
    );
    assert!(
        setup
            .check(&KeyAttestation::software(), AssuranceLevel::Basic)
            .is_ok()
    );
}

#[test]
fn a_hardware_claim_without_evidence_counts_as_software() {
    let setup = Setup::new();
    let claim = KeyAttestation {
        level: KeySecurityLevel::StrongBox,
        evidence: KeyEvidence::None,
    };
    assert_eq!(
        setup.check(&claim, AssuranceLevel::Enhanced),
        Err(AttestationError::NotHardware {
            attested: KeySecurityLevel::Software
        })
    );
}

#[test]
fn a_claimed_level_the_chain_does_not_show_is_refused() {
    let setup = Setup::new();
    let mut attestation = setup.android(&LeafOptions::tee(&NONCE));
    attestation.level = KeySecurityLevel::StrongBox;
    assert_eq!(
        setup.check(&attestation, AssuranceLevel::Basic),
        Err(AttestationError::LevelMismatch {
            claimed: KeySecurityLevel::StrongBox,
            attested: KeySecurityLevel::TrustedEnvironment,
        })
    );
}

#[test]
fn a_key_usable_without_user_authentication_is_refused_for_enhanced() {
    let setup = Setup::new();
    let no_auth = LeafOptions {
        no_auth_required: true,
        ..LeafOptions::tee(&NONCE)
    };
    assert_eq!(
        setup.check(&setup.android(&no_auth), AssuranceLevel::Enhanced),
        Err(AttestationError::NoUserAuthentication)
    );
    let no_auth_type = LeafOptions {
        user_auth_type: None,
        ..LeafOptions::tee(&NONCE)
    };
    assert_eq!(
        setup.check(&setup.android(&no_auth_type), AssuranceLevel::Enhanced),
        Err(AttestationError::NoUserAuthentication)
    );
    // The basic grade does not ask for it.
    assert_eq!(
        setup.check(&setup.android(&no_auth), AssuranceLevel::Basic),
        Ok(CheckedKey {
            level: KeySecurityLevel::TrustedEnvironment,
            user_auth_required: false,
        })
    );
}

#[test]
fn an_imported_key_is_refused_at_every_grade() {
    let setup = Setup::new();
    let imported = LeafOptions {
        origin: 2,
        ..LeafOptions::tee(&NONCE)
    };
    for grade in [AssuranceLevel::Basic, AssuranceLevel::Enhanced] {
        assert_eq!(
            setup.check(&setup.android(&imported), grade),
            Err(AttestationError::NotGenerated)
        );
    }
}

#[test]
fn a_broken_signature_anywhere_in_the_chain_is_refused() {
    let setup = Setup::new();
    let good = setup.android(&LeafOptions::tee(&NONCE));
    let KeyEvidence::AndroidKeyAttestation { chain } = &good.evidence else {
        unreachable!()
    };
    for index in 0..2 {
        let mut chain = chain.clone();
        // The certificate's last byte is the end of its signature's `s`.
        let last = chain[index].len() - 1;
        chain[index][last] ^= 0x01;
        let attestation = KeyAttestation {
            level: good.level,
            evidence: KeyEvidence::AndroidKeyAttestation { chain },
        };
        assert_eq!(
            setup.check(&attestation, AssuranceLevel::Basic),
            Err(AttestationError::BrokenChain { index }),
            "certificate {index}"
        );
    }
}

#[test]
fn a_chain_from_an_unknown_root_is_refused() {
    let setup = Setup::new();
    let stranger = TestAttestationCa::generate("stranger").unwrap();
    let attestation = KeyAttestation {
        level: KeySecurityLevel::TrustedEnvironment,
        evidence: KeyEvidence::AndroidKeyAttestation {
            chain: stranger
                .chain(&setup.holder_public(), &LeafOptions::tee(&NONCE))
                .unwrap(),
        },
    };
    assert_eq!(
        setup.check(&attestation, AssuranceLevel::Basic),
        Err(AttestationError::UnknownRoot)
    );
    // Without the root certificate at the end, the chain is judged by its intermediate.
    let KeyEvidence::AndroidKeyAttestation { chain } = attestation.evidence else {
        unreachable!()
    };
    let short = KeyAttestation {
        level: KeySecurityLevel::TrustedEnvironment,
        evidence: KeyEvidence::AndroidKeyAttestation {
            chain: chain[..2].to_vec(),
        },
    };
    assert_eq!(
        setup.check(&short, AssuranceLevel::Basic),
        Err(AttestationError::UnknownRoot)
    );
}

#[test]
fn a_chain_without_its_root_certificate_is_accepted_under_the_configured_root() {
    let setup = Setup::new();
    let KeyEvidence::AndroidKeyAttestation { chain } =
        setup.android(&LeafOptions::tee(&NONCE)).evidence
    else {
        unreachable!()
    };
    let short = KeyAttestation {
        level: KeySecurityLevel::TrustedEnvironment,
        evidence: KeyEvidence::AndroidKeyAttestation {
            chain: chain[..2].to_vec(),
        },
    };
    assert!(setup.check(&short, AssuranceLevel::Enhanced).is_ok());
}

#[test]
fn a_chain_for_another_key_is_refused() {
    let setup = Setup::new();
    let other = p256::PublicKey::from(SigningKey::random(&mut rand_core::OsRng).verifying_key());
    let attestation = KeyAttestation {
        level: KeySecurityLevel::TrustedEnvironment,
        evidence: KeyEvidence::AndroidKeyAttestation {
            chain: setup.ca.chain(&other, &LeafOptions::tee(&NONCE)).unwrap(),
        },
    };
    assert_eq!(
        setup.check(&attestation, AssuranceLevel::Basic),
        Err(AttestationError::KeyMismatch)
    );
}

#[test]
fn a_certificate_forged_below_a_genuine_attested_key_is_refused() {
    // Whoever holds an attested key can sign a "leaf" for any key with it; the chain then
    // verifies, but the KeyDescription above the leaf gives it away.
    let setup = Setup::new();
    let KeyEvidence::AndroidKeyAttestation { chain } =
        setup.android(&LeafOptions::tee(&NONCE)).evidence
    else {
        unreachable!()
    };
    let victim = SigningKey::random(&mut rand_core::OsRng);
    let victim_public = p256::PublicKey::from(victim.verifying_key());
    let forged = TestAttestationCa::sign_with_leaf_key(
        &setup.holder,
        "CN=Android Keystore Key",
        &victim_public,
        &LeafOptions::tee(&NONCE),
    )
    .unwrap();
    let mut extended = vec![forged];
    extended.extend(chain);
    let attestation = KeyAttestation {
        level: KeySecurityLevel::TrustedEnvironment,
        evidence: KeyEvidence::AndroidKeyAttestation { chain: extended },
    };
    assert_eq!(
        check_key_attestation(
            &attestation,
            &victim_public,
            &NONCE,
            AssuranceLevel::Enhanced,
            &setup.policy,
            now(),
        ),
        Err(AttestationError::KeyDescriptionAboveLeaf { index: 1 })
    );
}

#[test]
fn garbage_certificates_and_app_attest_evidence_get_typed_errors() {
    let setup = Setup::new();
    let garbage = KeyAttestation {
        level: KeySecurityLevel::TrustedEnvironment,
        evidence: KeyEvidence::AndroidKeyAttestation {
            chain: vec![vec![0x30, 0x03, 0x02, 0x01, 0x01]],
        },
    };
    assert_eq!(
        setup.check(&garbage, AssuranceLevel::Basic),
        Err(AttestationError::MalformedCertificate { index: 0 })
    );
    let apple = KeyAttestation {
        level: KeySecurityLevel::SecureEnclave,
        evidence: KeyEvidence::AppleAppAttest {
            evidence: vec![1, 2, 3],
        },
    };
    assert_eq!(
        setup.check(&apple, AssuranceLevel::Enhanced),
        Err(AttestationError::EvidenceNotVerifiable)
    );
    assert!(setup.check(&apple, AssuranceLevel::Basic).is_ok());
}

#[test]
fn the_policy_is_configurable_per_grade() {
    let mut setup = Setup::new();
    setup.policy.basic = KeyRequirement::HardwareWithUserAuth;
    assert!(matches!(
        setup.check(&KeyAttestation::software(), AssuranceLevel::Basic),
        Err(AttestationError::NotHardware { .. })
    ));
    setup.policy.enhanced = KeyRequirement::AnyKey;
    assert!(
        setup
            .check(&KeyAttestation::software(), AssuranceLevel::Enhanced)
            .is_ok()
    );
}

// ----- the attestation inside the enrolment proof -----

fn signed_proof(
    setup: &Setup,
    challenge: &EnrolmentChallenge,
    attestation: &KeyAttestation,
) -> Vec<u8> {
    let unsigned =
        UnsignedProof::new(challenge, &setup.holder_public(), attestation, now()).unwrap();
    let signature: p256::ecdsa::Signature = setup.holder.sign(unsigned.to_be_signed());
    unsigned.finish(signature.to_bytes().into()).unwrap()
}

fn document(grade: AssuranceLevel) -> netid_core::credential::DocumentClaims {
    let mut document = parse_claims_file(fixtures::resident_id_json()).unwrap();
    document.assurance_level = grade;
    document
}

#[test]
fn the_proof_carries_the_attestation_to_the_issuer_signed_by_the_holder_key() {
    let setup = Setup::new();
    let challenge = EnrolmentChallenge::new(fixtures::ISSUER_ID, NONCE.to_vec()).unwrap();
    let attestation = setup.android(&LeafOptions::tee(&NONCE));
    let proof = signed_proof(&setup, &challenge, &attestation);
    let proven = verify_proof_attested(&proof, &challenge, now()).unwrap();
    assert_eq!(proven.attestation, attestation);
    assert_eq!(proven.holder_key, setup.holder_public());

    let issuer = fixtures::issuer();
    let (credential, checked) = issue_for_attested_proof(
        &issuer,
        &document(AssuranceLevel::Enhanced),
        &challenge,
        &proof,
        &setup.policy,
        now(),
    )
    .unwrap();
    assert_eq!(
        checked,
        hardware_with_auth(KeySecurityLevel::TrustedEnvironment)
    );
    assert_eq!(credential.assurance_level(), AssuranceLevel::Enhanced);

    // The same proof with a software claim is refused for the enhanced grade, minted for basic.
    let software = signed_proof(&setup, &challenge, &KeyAttestation::software());
    assert_eq!(
        issue_for_attested_proof(
            &issuer,
            &document(AssuranceLevel::Enhanced),
            &challenge,
            &software,
            &setup.policy,
            now(),
        )
        .map(|_| ()),
        Err(AttestedEnrolmentError::Attestation(
            AttestationError::NotHardware {
                attested: KeySecurityLevel::Software
            }
        ))
    );
    assert!(
        issue_for_attested_proof(
            &issuer,
            &document(AssuranceLevel::Basic),
            &challenge,
            &software,
            &setup.policy,
            now(),
        )
        .is_ok()
    );
    // A proof for another challenge is refused before its attestation is looked at.
    let other = EnrolmentChallenge::new(fixtures::ISSUER_ID, vec![0x44; 32]).unwrap();
    assert_eq!(
        issue_for_attested_proof(
            &issuer,
            &document(AssuranceLevel::Basic),
            &other,
            &proof,
            &setup.policy,
            now(),
        )
        .map(|_| ()),
        Err(AttestedEnrolmentError::Proof(ProofError::WrongChallenge))
    );
}

// ----- a real chain -----

fn google_chain() -> Vec<Vec<u8>> {
    let pem = include_str!("vectors/android_attestation/google_normal_cert_chain.pem");
    pem.split("-----END CERTIFICATE-----")
        .filter_map(|block| block.split_once("-----BEGIN CERTIFICATE-----"))
        .map(|(_, body)| base64(body))
        .collect()
}

/// 2023-03-01: inside every CA certificate's validity.
const GOOGLE_CHAIN_CHECKED_AT: i64 = 1_677_628_800;

#[test]
fn googles_published_chain_verifies_through_p256_p384_and_rsa_to_googles_root() {
    let chain = google_chain();
    assert_eq!(chain.len(), 5);
    let roots = TrustedRoots::from_der([chain[4].as_slice()]).unwrap();
    let attested =
        android::verify_chain(&chain, &roots, UnixTime::from_secs(GOOGLE_CHAIN_CHECKED_AT))
            .unwrap();
    assert_eq!(attested.level, KeySecurityLevel::TrustedEnvironment);
    assert_eq!(attested.challenge, b"challenge");
    assert!(attested.generated);
    // This key was made without user authentication (`noAuthRequired`).
    assert!(!attested.user_auth_required);

    let policy = AttestationPolicy::new(roots.clone());
    let attestation = KeyAttestation {
        level: KeySecurityLevel::TrustedEnvironment,
        evidence: KeyEvidence::AndroidKeyAttestation {
            chain: chain.clone(),
        },
    };
    let at = UnixTime::from_secs(GOOGLE_CHAIN_CHECKED_AT);
    let check = |challenge: &[u8], grade| {
        check_key_attestation(
            &attestation,
            &attested.public_key,
            challenge,
            grade,
            &policy,
            at,
        )
    };
    assert_eq!(
        check(b"challenge", AssuranceLevel::Basic),
        Ok(CheckedKey {
            level: KeySecurityLevel::TrustedEnvironment,
            user_auth_required: false,
        })
    );
    assert_eq!(
        check(b"challenge", AssuranceLevel::Enhanced),
        Err(AttestationError::NoUserAuthentication)
    );
    assert_eq!(
        check(b"other", AssuranceLevel::Basic),
        Err(AttestationError::WrongChallenge)
    );
}

#[test]
fn googles_published_chain_is_refused_once_its_intermediates_expired_or_under_another_root() {
    let chain = google_chain();
    let roots = TrustedRoots::from_der([chain[4].as_slice()]).unwrap();
    assert_eq!(
        android::verify_chain(&chain, &roots, now()).map(|_| ()),
        Err(AttestationError::CertificateNotValidNow { index: 1 })
    );
    let test_root = TestAttestationCa::generate("netid").unwrap();
    let other_roots = TrustedRoots::from_der([test_root.root_certificate()]).unwrap();
    assert_eq!(
        android::verify_chain(
            &chain,
            &other_roots,
            UnixTime::from_secs(GOOGLE_CHAIN_CHECKED_AT)
        )
        .map(|_| ()),
        Err(AttestationError::UnknownRoot)
    );
    // One flipped bit in the RSA signature of the P-384 intermediate breaks the chain there.
    let mut broken = chain.clone();
    let last = broken[3].len() - 1;
    broken[3][last] ^= 0x01;
    assert_eq!(
        android::verify_chain(
            &broken,
            &roots,
            UnixTime::from_secs(GOOGLE_CHAIN_CHECKED_AT)
        )
        .map(|_| ()),
        Err(AttestationError::BrokenChain { index: 3 })
    );
}

// ----- hostile input -----

mod hostile {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn arbitrary_certificates_get_a_typed_error_never_a_panic(
            chain in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 1..4)
        ) {
            let setup = Setup::new();
            let attestation = KeyAttestation {
                level: KeySecurityLevel::TrustedEnvironment,
                evidence: KeyEvidence::AndroidKeyAttestation { chain },
            };
            prop_assert!(setup.check(&attestation, AssuranceLevel::Basic).is_err());
        }

        /// Every bit of the leaf and of the attestation key's certificate is covered: a flip is
        /// refused (a signature that no longer verifies, or a certificate that no longer parses).
        #[test]
        fn every_bit_flip_of_the_leaf_or_intermediate_is_refused(
            which in 0usize..2, position in any::<proptest::sample::Index>(), bit in 0u8..8
        ) {
            let setup = Setup::new();
            let KeyEvidence::AndroidKeyAttestation { mut chain } =
                setup.android(&LeafOptions::tee(&NONCE)).evidence
            else {
                unreachable!()
            };
            let at = position.index(chain[which].len());
            chain[which][at] ^= 1 << bit;
            let attestation = KeyAttestation {
                level: KeySecurityLevel::TrustedEnvironment,
                evidence: KeyEvidence::AndroidKeyAttestation { chain },
            };
            prop_assert!(setup.check(&attestation, AssuranceLevel::Basic).is_err());
        }
    }
}
