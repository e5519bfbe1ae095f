//! The core checks every signature a (host) secure area returns against the public key recorded
//! at creation: whatever a host answers, only a signature that verifies comes out.

mod auth_support;

use auth_support::*;
use netid_core::block_on::block_on;
use netid_core::secure_area::{
    HolderPublicKey, KeyAuthPolicy, PromptReason, RecordedHolderKey, SecureArea, SecureAreaError,
    UncheckedSignature,
};
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{Signature, SigningKey};

const MESSAGE: &[u8] = b"\x84\x6aSignature1 presentation to sign";

fn host_key(host: &ScriptedHostArea) -> RecordedHolderKey {
    block_on(RecordedHolderKey::create(
        host,
        alias("doc-1"),
        KeyAuthPolicy::EveryUse,
    ))
    .expect("created")
}

fn assert_misbehaved(outcome: Result<impl std::fmt::Debug, SecureAreaError>) {
    assert!(
        matches!(outcome, Err(SecureAreaError::Misbehaved { .. })),
        "expected SecureAreaMisbehaved, got {outcome:?}"
    );
}

#[test]
fn honest_host_signature_comes_out_as_cose_raw_r_s() {
    let host = ScriptedHostArea::new();
    let key = host_key(&host);
    let signature = block_on(key.sign(&host, MESSAGE, PromptReason::ShowQr)).expect("verified");
    let raw = Signature::from_slice(&signature.to_raw_bytes()).expect("64-byte r||s");
    assert!(
        key.public_key()
            .as_verifying_key()
            .verify(MESSAGE, &raw)
            .is_ok()
    );
}

#[test]
fn host_that_says_yes_without_a_signature_is_misbehaving() {
    let host = ScriptedHostArea::new();
    let key = host_key(&host);
    host.then(HostAnswer::YesWithGarbage);
    assert_misbehaved(block_on(key.sign(&host, MESSAGE, PromptReason::ShowQr)));
}

#[test]
fn host_signing_with_another_key_is_misbehaving() {
    let host = ScriptedHostArea::new();
    let key = host_key(&host);
    host.then(HostAnswer::SignWithOtherKey);
    assert_misbehaved(block_on(key.sign(&host, MESSAGE, PromptReason::ShowQr)));
}

#[test]
fn host_signing_other_bytes_is_misbehaving() {
    let host = ScriptedHostArea::new();
    let key = host_key(&host);
    host.then(HostAnswer::SignOtherMessage);
    assert_misbehaved(block_on(key.sign(&host, MESSAGE, PromptReason::ShowQr)));
}

#[test]
fn host_reporting_a_foreign_public_key_is_caught_at_the_first_signature() {
    let mut host = ScriptedHostArea::new();
    host.report_foreign_public_key = true;
    let key = host_key(&host);
    assert_misbehaved(block_on(key.sign(
        &host,
        &key.creation_check_message(),
        PromptReason::ShowQr,
    )));
}

#[test]
fn the_recorded_key_is_trusted_over_what_the_host_reports_later() {
    let host = ScriptedHostArea::new();
    let key = host_key(&host);
    // A record whose public key differs from the host's key (e.g. the host swapped keys after
    // enrolment): the host's honest signature no longer verifies.
    let swapped = RecordedHolderKey::from_parts(
        key.alias().clone(),
        HolderPublicKey::from(*SigningKey::random(&mut rand_core::OsRng).verifying_key()),
        KeyAuthPolicy::EveryUse,
    );
    assert_eq!(
        block_on(host.public_key(key.alias())).unwrap(),
        *key.public_key()
    );
    assert_misbehaved(block_on(swapped.sign(&host, MESSAGE, PromptReason::ShowQr)));
}

#[test]
fn only_strict_der_is_accepted() {
    let signing_key = SigningKey::random(&mut rand_core::OsRng);
    let key = RecordedHolderKey::from_parts(
        alias("doc-1"),
        HolderPublicKey::from(*signing_key.verifying_key()),
        KeyAuthPolicy::EveryUse,
    );
    let signature: Signature = signing_key.sign(MESSAGE);
    let der = signature.to_der().as_bytes().to_vec();
    assert!(key.check(MESSAGE, &UncheckedSignature(der.clone())).is_ok());

    // Raw r||s is not the contract; neither is DER with trailing bytes or a cut-off end.
    let raw = signature.to_bytes().to_vec();
    let mut trailing = der.clone();
    trailing.push(0);
    let truncated = der[..der.len() - 1].to_vec();
    for bad in [raw, trailing, truncated, Vec::new()] {
        assert_misbehaved(key.check(MESSAGE, &UncheckedSignature(bad)));
    }
}

#[test]
fn host_refusals_pass_through_unchanged() {
    let host = ScriptedHostArea::new();
    let key = host_key(&host);
    for refusal in [
        SecureAreaError::Cancelled,
        SecureAreaError::Failed,
        SecureAreaError::NotEnrolled,
        SecureAreaError::HolderKeyInvalidated,
        SecureAreaError::AuthenticatorInvalidated,
        SecureAreaError::SystemLockedOut,
    ] {
        host.then(HostAnswer::Refuse(refusal.clone()));
        assert_eq!(
            block_on(key.sign(&host, MESSAGE, PromptReason::ShowQr)),
            Err(refusal)
        );
    }
}
