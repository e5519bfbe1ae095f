//! The issuer's check of an enrolment proof of possession: a real proof passes once for its own
//! challenge; arbitrary or damaged bytes give a typed error, never a panic.

#[path = "vectors/fixtures.rs"]
mod fixtures;

use netid_core::present::{HolderSigner, SoftwareHolderKey};
use netid_core::time::UnixTime;
use netid_core::wallet::{EnrolmentChallenge, ProofError, UnsignedProof, verify_proof};
use proptest::prelude::*;

fn signed_proof(challenge: &EnrolmentChallenge, key: &SoftwareHolderKey) -> Vec<u8> {
    let unsigned = UnsignedProof::new(
        challenge,
        &key.public_key(),
        &netid_core::secure_area::KeyAttestation::software(),
        UnixTime::from_secs(fixtures::NOW),
    )
    .unwrap();
    let signature = key.sign(unsigned.to_be_signed()).unwrap();
    unsigned.finish(signature.to_bytes().into()).unwrap()
}

#[test]
fn a_proof_names_its_key_and_answers_only_its_challenge() {
    let key = SoftwareHolderKey::generate();
    let challenge = EnrolmentChallenge::random(fixtures::ISSUER_ID).unwrap();
    let proof = signed_proof(&challenge, &key);
    let now = UnixTime::from_secs(fixtures::NOW + 10);
    assert_eq!(
        verify_proof(&proof, &challenge, now).unwrap(),
        key.public_key()
    );

    let other_issuer = EnrolmentChallenge::new("someone-else", challenge.nonce().to_vec()).unwrap();
    assert_eq!(
        verify_proof(&proof, &other_issuer, now),
        Err(ProofError::WrongChallenge)
    );
    // a proof whose signature is by another key than the one it names
    let mut forged = proof.clone();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    assert_eq!(
        verify_proof(&forged, &challenge, now),
        Err(ProofError::BadSignature)
    );
    assert!(matches!(
        EnrolmentChallenge::new(fixtures::ISSUER_ID, vec![0; 8]),
        Err(ProofError::BadChallenge(_))
    ));
}

proptest! {
    #[test]
    fn arbitrary_bytes_are_refused_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let challenge = EnrolmentChallenge::new(fixtures::ISSUER_ID, vec![7; 32]).unwrap();
        prop_assert!(verify_proof(&bytes, &challenge, UnixTime::from_secs(fixtures::NOW)).is_err());
    }

    #[test]
    fn every_truncation_or_bit_flip_of_a_real_proof_is_refused(cut in 0usize..1000, flip in 0usize..8000) {
        let key = SoftwareHolderKey::generate();
        let challenge = EnrolmentChallenge::new(fixtures::ISSUER_ID, vec![9; 32]).unwrap();
        let proof = signed_proof(&challenge, &key);
        let now = UnixTime::from_secs(fixtures::NOW);
        let cut = cut % proof.len();
        prop_assert!(verify_proof(&proof[..cut], &challenge, now).is_err());
        let mut flipped = proof.clone();
        let bit = flip % (proof.len() * 8);
        flipped[bit / 8] ^= 1 << (bit % 8);
        prop_assert!(verify_proof(&flipped, &challenge, now).is_err());
    }
}
