//! Batches of purpose credentials (FORMAT.md §12.5): the issuer mints one per key named in a batch
//! request signed by the full credential's holder key; the wallet accepts a batch only whole — every credential for a
//! key it asked for, for the purpose it asked, with its own status entry and this document's
//! values, signed by a trusted issuer.

#[path = "vectors/fixtures.rs"]
mod fixtures;

use std::time::Instant;

use fixtures::*;
use netid_core::credential::purpose::PurposeCredential;
use netid_core::credential::{AssuranceLevel, ClaimName, ClaimValue, Credential, StatusReference};
use netid_core::issuer::{CredentialTrustError, DevIssuer, parse_claims_file};
use netid_core::present::{
    HolderSigner, PresentationRequest, Purpose, SoftwareHolderKey, present_purpose,
};
use netid_core::time::{FixedClock, UnixTime};
use netid_core::verify::{Verifier, VerifierOptions, VerifyRequest};
use netid_core::wallet::{
    BatchError, EnrolmentChallenge, ProofError, UnsignedBatchRequest, accept_purpose_batch,
    issue_purpose_batch, verify_batch_request,
};

const DAY: i64 = 86_400;
const URI: &str = "https://dev-issuer.example/s";

fn now() -> UnixTime {
    UnixTime::from_secs(NOW)
}

/// A batch request for `keys`, carrying `full` and signed by `signer`.
fn batch_request(
    challenge: &EnrolmentChallenge,
    full: &Credential,
    keys: &[(Purpose, p256::PublicKey)],
    signer: &SoftwareHolderKey,
) -> Vec<u8> {
    let unsigned = UnsignedBatchRequest::new(challenge, &full.to_bytes(), keys, now()).unwrap();
    let signature = signer.sign(unsigned.to_be_signed()).unwrap();
    unsigned.finish(signature.to_bytes().into()).unwrap()
}

fn statuses(first: u64, n: usize) -> Vec<StatusReference> {
    (0..n as u64)
        .map(|i| StatusReference {
            idx: first + i,
            uri: URI.into(),
        })
        .collect()
}

/// The wallet's document (the full credential) and a batch request: `per_purpose` keys for each
/// purpose, signed for one challenge by the full credential's holder key.
struct Request {
    full: Credential,
    challenge: EnrolmentChallenge,
    keys: Vec<(Purpose, SoftwareHolderKey)>,
}

impl Request {
    fn new(per_purpose: usize) -> Self {
        let challenge = EnrolmentChallenge::random(ISSUER_ID).unwrap();
        let keys = Purpose::ALL
            .into_iter()
            .flat_map(|p| (0..per_purpose).map(move |_| (p, SoftwareHolderKey::generate())))
            .collect();
        let full = issuer()
            .issue(
                &document(),
                &holder().public_key(),
                UnixTime::from_secs(NOW - DAY),
                None,
                &mut CountingSalts::new("full"),
            )
            .unwrap();
        Self {
            full,
            challenge,
            keys,
        }
    }

    fn signed(&self) -> Vec<u8> {
        batch_request(&self.challenge, &self.full, &self.requested(), &holder())
    }

    fn requested(&self) -> Vec<(Purpose, p256::PublicKey)> {
        self.keys
            .iter()
            .map(|(p, k)| (*p, k.public_key()))
            .collect()
    }

    /// The issuer's honest answer, as bytes.
    fn issue(&self) -> Vec<Vec<u8>> {
        let request = verify_batch_request(&self.signed(), &self.challenge, now()).unwrap();
        issue_purpose_batch(
            &issuer(),
            &trust_list(),
            &request,
            &statuses(100, self.keys.len()),
            now(),
            UnixTime::from_secs(NOW + 30 * DAY),
        )
        .unwrap()
        .iter()
        .map(PurposeCredential::to_bytes)
        .collect()
    }

    fn accept(&self, response: &[Vec<u8>]) -> Result<Vec<PurposeCredential>, BatchError> {
        accept_purpose_batch(
            &self.requested(),
            response,
            &self.full,
            &trust_list(),
            now(),
        )
    }
}

/// The resident ID at the enhanced grade, which `gov` counters ask for.
fn document() -> netid_core::credential::DocumentClaims {
    let mut document = parse_claims_file(resident_id_json()).unwrap();
    document.assurance_level = AssuranceLevel::Enhanced;
    document
}

/// One purpose credential from `issuer` outside any batch, for building bad answers.
fn single(
    issuer: &DevIssuer,
    document: &netid_core::credential::DocumentClaims,
    purpose: Purpose,
    key: &p256::PublicKey,
    idx: u64,
) -> Vec<u8> {
    issuer
        .issue_purpose(
            document,
            purpose,
            key,
            now(),
            UnixTime::from_secs(NOW + 30 * DAY),
            Some(StatusReference {
                idx,
                uri: URI.into(),
            }),
        )
        .unwrap()
        .to_bytes()
}

#[test]
fn ten_per_purpose_are_issued_accepted_and_each_verifies_at_its_counter() {
    let request = Request::new(10);
    let started = Instant::now();
    let response = request.issue();
    let issued_in = started.elapsed();
    let started = Instant::now();
    let accepted = request.accept(&response).unwrap();
    println!(
        "40 purpose credentials: issued (1 request checked, 40 signed) in {issued_in:?}, checked by the wallet in {:?} (debug build; the bench measures release)",
        started.elapsed()
    );
    assert_eq!(accepted.len(), 40);
    let verifier = without_gov_request_rule(Verifier::with_options(
        trust_list(),
        Box::new(FixedClock::new(now())),
        VerifierOptions {
            accept_unavailable_status: true,
            ..Default::default()
        },
    ));
    for ((purpose, key), credential) in request.keys.iter().zip(&accepted) {
        assert_eq!(credential.purpose(), *purpose);
        assert_eq!(*credential.holder_key(), key.public_key());
        let code = present_purpose(
            credential,
            &PresentationRequest::for_purpose(*purpose),
            key,
            &FixedClock::new(now()),
        )
        .unwrap();
        verifier
            .verify(code.as_bytes(), &VerifyRequest::for_purpose(*purpose))
            .unwrap();
    }
    // Every credential has its own status entry.
    let mut indexes: Vec<u64> = accepted.iter().map(|c| c.status().unwrap().idx).collect();
    indexes.sort_unstable();
    indexes.dedup();
    assert_eq!(indexes.len(), 40);
}

#[test]
fn the_issuer_refuses_a_batch_with_a_repeated_key_a_foreign_signer_or_shared_status_entries() {
    let request = Request::new(1);
    let keys = request.requested();
    let check = |bytes: &[u8]| verify_batch_request(bytes, &request.challenge, now());
    let issue = |statuses: &[StatusReference]| {
        let verified = check(&request.signed()).unwrap();
        issue_purpose_batch(
            &issuer(),
            &trust_list(),
            &verified,
            statuses,
            now(),
            UnixTime::from_secs(NOW + 30 * DAY),
        )
        .map(|issued| issued.len())
    };
    assert_eq!(issue(&statuses(0, 4)), Ok(4));
    assert_eq!(
        issue(&statuses(0, 3)),
        Err(ProofError::BadBatch("one status entry per credential"))
    );
    let mut shared = statuses(0, 4);
    shared[3] = shared[0].clone();
    assert_eq!(
        issue(&shared),
        Err(ProofError::BadBatch("a status entry is used twice"))
    );
    // The same key for two credentials, or the full credential's own key.
    let mut repeated = keys.clone();
    repeated[1].1 = repeated[0].1;
    let signed = batch_request(&request.challenge, &request.full, &repeated, &holder());
    assert_eq!(check(&signed).unwrap_err(), ProofError::DuplicateKey);
    let mut own = keys.clone();
    own[2].1 = holder().public_key();
    let signed = batch_request(&request.challenge, &request.full, &own, &holder());
    assert_eq!(check(&signed).unwrap_err(), ProofError::DuplicateKey);
    // Signed by another key than the full credential's.
    let stranger = SoftwareHolderKey::generate();
    let signed = batch_request(&request.challenge, &request.full, &keys, &stranger);
    assert_eq!(check(&signed).unwrap_err(), ProofError::BadSignature);
    // Made for another challenge.
    let other = EnrolmentChallenge::random(ISSUER_ID).unwrap();
    let signed = batch_request(&other, &request.full, &keys, &holder());
    assert_eq!(check(&signed).unwrap_err(), ProofError::WrongChallenge);
    // A tampered request.
    let mut signed = request.signed();
    let last = signed.len() - 70;
    signed[last] ^= 1;
    assert!(check(&signed).is_err());
    // A full credential signed by a key the issuer's trust list does not hold under its kid.
    let impostor = DevIssuer::from_scalar_bytes(&[7; 32], ISSUER_ID, KID).unwrap();
    let forged = impostor
        .issue(
            &document(),
            &holder().public_key(),
            UnixTime::from_secs(NOW - DAY),
            None,
            &mut CountingSalts::new("forged"),
        )
        .unwrap();
    let signed = batch_request(&request.challenge, &forged, &keys, &holder());
    let verified = check(&signed).unwrap();
    assert_eq!(
        issue_purpose_batch(
            &issuer(),
            &trust_list(),
            &verified,
            &statuses(0, 4),
            now(),
            UnixTime::from_secs(NOW + 30 * DAY),
        )
        .unwrap_err(),
        ProofError::DocumentNotTrusted(CredentialTrustError::BadSignature)
    );
}

#[test]
fn the_wallet_refuses_a_bad_batch_whole() {
    let request = Request::new(2);
    let good = request.issue();
    request.accept(&good).unwrap();
    let requested = request.requested();
    let document = document();

    // One credential fewer.
    assert_eq!(
        request.accept(&good[1..]).unwrap_err(),
        BatchError::Count {
            requested: 8,
            got: 7
        }
    );

    // A credential bound to a key the wallet did not ask for.
    let mut answer = good.clone();
    let stranger = SoftwareHolderKey::generate().public_key();
    answer[3] = single(&issuer(), &document, requested[3].0, &stranger, 900);
    assert_eq!(
        request.accept(&answer).unwrap_err(),
        BatchError::KeyNotRequested { index: 3 }
    );

    // Two credentials for one key (the second takes the place of another key's).
    let mut answer = good.clone();
    answer[1] = good[0].clone();
    assert_eq!(
        request.accept(&answer).unwrap_err(),
        BatchError::KeyNotRequested { index: 1 }
    );

    // A credential for another purpose than its key was requested for.
    let mut answer = good.clone();
    let (purpose, key) = &requested[0];
    let other = Purpose::ALL.into_iter().find(|p| p != purpose).unwrap();
    answer[0] = single(&issuer(), &document, other, key, 901);
    assert_eq!(
        request.accept(&answer).unwrap_err(),
        BatchError::WrongPurpose { index: 0 }
    );

    // Two credentials sharing a status entry.
    let mut answer = good.clone();
    answer[5] = single(&issuer(), &document, requested[5].0, &requested[5].1, 100);
    assert_eq!(
        request.accept(&answer).unwrap_err(),
        BatchError::DuplicateStatus { index: 5 }
    );

    // Someone else's document.
    let mut someone = document.clone();
    someone
        .claims
        .insert(ClaimName::Name, ClaimValue::Text("王芳".into()));
    let mut answer = good.clone();
    answer[2] = single(&issuer(), &someone, requested[2].0, &requested[2].1, 902);
    assert_eq!(
        request.accept(&answer).unwrap_err(),
        BatchError::NotThisDocument { index: 2 }
    );

    // Signed by a key the trust list does not hold under that kid.
    let impostor = DevIssuer::from_scalar_bytes(&[7; 32], ISSUER_ID, KID).unwrap();
    let mut answer = good.clone();
    answer[4] = single(&impostor, &document, requested[4].0, &requested[4].1, 903);
    assert_eq!(
        request.accept(&answer).unwrap_err(),
        BatchError::Untrusted {
            index: 4,
            error: CredentialTrustError::BadSignature
        }
    );

    // Not a purpose credential at all (a full credential, a damaged one).
    let mut answer = good.clone();
    answer[6] = request.full.to_bytes();
    assert!(matches!(
        request.accept(&answer).unwrap_err(),
        BatchError::Malformed { index: 6, .. }
    ));
    let mut answer = good.clone();
    let middle = answer[7].len() / 2;
    answer[7][middle] ^= 0x40;
    assert!(matches!(
        request.accept(&answer).unwrap_err(),
        BatchError::Malformed { index: 7, .. } | BatchError::Untrusted { index: 7, .. }
    ));
}
