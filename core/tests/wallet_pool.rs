//! The wallet's pool of one-time purpose credentials (FORMAT.md §12.5, `wallet/pool.rs`): a refill
//! with one prompt, one credential per code and never twice, the host told when a purpose runs
//! low, the documented fallback when it is empty, and refused or interrupted refills that store
//! nothing.

#[path = "auth_support/mod.rs"]
mod auth_support;
#[path = "vectors/fixtures.rs"]
mod fixtures;
#[path = "wallet_support/mod.rs"]
mod wallet_support;

use std::collections::HashSet;

use auth_support::ScriptedUser;
use netid_core::auth::AuthPolicy;
use netid_core::block_on::block_on;
use netid_core::credential::StatusReference;
use netid_core::credential::purpose::PurposeCredential;
use netid_core::present::{PresentationRequest, Purpose};
use netid_core::store::{ActivityKind, DocumentId};
use netid_core::time::{FixedClock, UnixTime};
use netid_core::verify::{Verifier, VerifierOptions, VerifyError, VerifyRequest};
use netid_core::wallet::{
    BatchError, EnrolmentChallenge, LockedWallet, NextStep, PendingRefill, PoolLevel, ShownQr,
    WalletError, WhenPoolEmpty, issue_purpose_batch, verify_batch_request,
};
use wallet_support::*;

const DAY: i64 = 86_400;

/// The development issuer's answer to a refill request: one credential per key, each with a
/// status entry of its own, valid for 30 days.
fn answer(challenge: &EnrolmentChallenge, pending: &PendingRefill, now: UnixTime) -> Vec<Vec<u8>> {
    let request = verify_batch_request(pending.request(), challenge, now).unwrap();
    let statuses: Vec<StatusReference> = (0..request.keys().len() as u64)
        .map(|i| StatusReference {
            idx: 1000 + i * 7,
            uri: "https://dev-issuer.example/s".into(),
        })
        .collect();
    issue_purpose_batch(
        &fixtures::issuer(),
        &fixtures::trust_list(),
        &request,
        &statuses,
        now,
        UnixTime::from_secs(now.as_secs() + 30 * DAY),
    )
    .unwrap()
    .iter()
    .map(PurposeCredential::to_bytes)
    .collect()
}

fn refill(wallet: &mut SoftUnlocked, id: DocumentId, now: UnixTime) -> Vec<PoolLevel> {
    let challenge = EnrolmentChallenge::random(fixtures::ISSUER_ID).unwrap();
    let pending = block_on(wallet.begin_refill(id, &challenge))
        .unwrap()
        .expect("something to refill");
    let response = answer(&challenge, &pending, now);
    block_on(wallet.complete_refill(pending, &response, &fixtures::trust_list())).unwrap()
}

/// A new wallet in `dir` with the fixtures' resident ID enrolled (its pool still empty).
fn enrolled(host: &Host, dir: &std::path::Path) -> (SoftUnlocked, DocumentId) {
    let mut wallet = host
        .create(dir, AuthPolicy::default())
        .unlock(None)
        .unwrap();
    let id = enrol(&mut wallet, host.now()).unwrap().id;
    (wallet, id)
}

fn remaining(levels: &[PoolLevel], purpose: Purpose) -> u32 {
    levels
        .iter()
        .find(|l| l.purpose == purpose)
        .map(|l| l.remaining)
        .unwrap()
}

fn verifier(now: UnixTime) -> Verifier {
    Verifier::with_options(
        fixtures::trust_list(),
        Box::new(FixedClock::new(now)),
        VerifierOptions {
            accept_unavailable_status: true,
            ..Default::default()
        },
    )
}

fn show(wallet: &mut SoftUnlocked, id: DocumentId, purpose: Purpose) -> ShownQr {
    block_on(wallet.show_qr(id, &PresentationRequest::for_purpose(purpose))).unwrap()
}

#[test]
fn a_refill_asks_once_and_every_code_spends_one_credential_never_offered_again() {
    let dir = tempfile::tempdir().unwrap();
    let host = Host::new(ScriptedUser::default());
    let (mut wallet, id) = enrolled(&host, dir.path());

    // A fresh document has an empty pool, due for a refill for each purpose it serves (the
    // fixture's basic-level resident ID: not `gov`, which asks for the enhanced level).
    let levels = wallet.pool_levels(id).unwrap();
    let purposes: Vec<Purpose> = levels.iter().map(|l| l.purpose).collect();
    assert_eq!(
        purposes,
        [
            Purpose::HotelCheckIn,
            Purpose::InternetCafe,
            Purpose::TrainTicket
        ]
    );
    assert!(levels.iter().all(|l| l.remaining == 0 && l.refill_due));

    let prompts = host.user().prompts();
    let challenge = EnrolmentChallenge::random(fixtures::ISSUER_ID).unwrap();
    let pending = block_on(wallet.begin_refill(id, &challenge))
        .unwrap()
        .unwrap();
    assert_eq!(pending.len(), 30);
    assert_eq!(host.user().prompts() - prompts, 1, "one prompt per refill");
    let response = answer(&challenge, &pending, host.now());
    let levels =
        block_on(wallet.complete_refill(pending, &response, &fixtures::trust_list())).unwrap();
    assert!(levels.iter().all(|l| l.remaining == 10 && !l.refill_due));
    // Full: nothing to ask for.
    let challenge = EnrolmentChallenge::random(fixtures::ISSUER_ID).unwrap();
    assert!(
        block_on(wallet.begin_refill(id, &challenge))
            .unwrap()
            .is_none()
    );

    let counter = verifier(host.now());
    let request = VerifyRequest::for_purpose(Purpose::HotelCheckIn);
    let mut seen = HashSet::new();
    for used in 1..=10u32 {
        let shown = show(&mut wallet, id, Purpose::HotelCheckIn);
        assert!(!shown.linkable, "code {used} is a one-time code");
        assert_eq!(shown.refill_due, 10 - used < 3, "after {used} codes");
        let text = shown.qr_text();
        assert!(seen.insert(text.to_string()), "code {used} is new");
        counter.verify_qr_text(&text, &request).unwrap();
        // The same code again is a replay at the counter.
        assert!(matches!(
            counter.verify_qr_text(&text, &request),
            Err(VerifyError::Replayed)
        ));
        let left = remaining(&wallet.pool_levels(id).unwrap(), Purpose::HotelCheckIn);
        assert_eq!(left, 10 - used);
    }
    // The other purposes were not touched.
    let levels = wallet.pool_levels(id).unwrap();
    assert_eq!(remaining(&levels, Purpose::InternetCafe), 10);
    assert_eq!(remaining(&levels, Purpose::TrainTicket), 10);

    // Empty: the default policy shows the full credential, marked linkable, and still due.
    let shown = show(&mut wallet, id, Purpose::HotelCheckIn);
    assert!(shown.linkable && shown.refill_due);
    counter.verify_qr_text(&shown.qr_text(), &request).unwrap();

    // The pool and its spending survive reopening; a refill tops up only what is missing.
    drop(wallet);
    let mut wallet = host
        .open(dir.path(), AuthPolicy::default())
        .unlock(None)
        .unwrap();
    let levels = wallet.pool_levels(id).unwrap();
    assert_eq!(remaining(&levels, Purpose::HotelCheckIn), 0);
    let challenge = EnrolmentChallenge::random(fixtures::ISSUER_ID).unwrap();
    let pending = block_on(wallet.begin_refill(id, &challenge))
        .unwrap()
        .unwrap();
    assert_eq!(pending.len(), 10);
    let response = answer(&challenge, &pending, host.now());
    let levels =
        block_on(wallet.complete_refill(pending, &response, &fixtures::trust_list())).unwrap();
    assert!(levels.iter().all(|l| l.remaining == 10));

    let log = block_on(wallet.export_activity(100)).unwrap();
    assert_eq!(
        log.iter()
            .filter(|e| e.kind == ActivityKind::Refill)
            .count(),
        2
    );
    assert_eq!(
        log.iter()
            .filter(|e| e.detail
                == "unregistered, purpose hotel; shown: name,sex,birth_date,id_number; one-time")
            .count(),
        10
    );
    assert!(log.iter().any(|e| e.detail == "hotel:10,cafe:10,ticket:10"));
}

#[test]
fn with_the_refuse_policy_an_empty_pool_refuses_and_names_the_refill() {
    let dir = tempfile::tempdir().unwrap();
    let host = Host::new(ScriptedUser::default());
    let mut config = host.config(AuthPolicy::default());
    config.pool.when_empty = WhenPoolEmpty::Refuse;
    let mut wallet = LockedWallet::create(dir.path(), config)
        .unwrap()
        .unlock(None)
        .unwrap();
    let id = enrol(&mut wallet, host.now()).unwrap().id;
    let error =
        block_on(wallet.show_qr(id, &PresentationRequest::for_purpose(Purpose::InternetCafe)))
            .unwrap_err();
    assert!(matches!(
        error,
        WalletError::PoolEmpty(Purpose::InternetCafe)
    ));
    assert_eq!(error.next_step(), NextStep::Refill);
    assert!(error.to_string().contains("refill"), "{error}");

    refill(&mut wallet, id, host.now());
    let shown = show(&mut wallet, id, Purpose::InternetCafe);
    assert!(!shown.linkable);
    verifier(host.now())
        .verify_qr_text(
            &shown.qr_text(),
            &VerifyRequest::for_purpose(Purpose::InternetCafe),
        )
        .unwrap();
}

#[test]
fn a_refused_batch_answer_stores_nothing_and_a_new_refill_still_works() {
    let dir = tempfile::tempdir().unwrap();
    let host = Host::new(ScriptedUser::default());
    let (mut wallet, id) = enrolled(&host, dir.path());

    let refused = |wallet: &mut SoftUnlocked, spoil: &dyn Fn(&mut Vec<Vec<u8>>)| {
        let challenge = EnrolmentChallenge::random(fixtures::ISSUER_ID).unwrap();
        let pending = block_on(wallet.begin_refill(id, &challenge))
            .unwrap()
            .unwrap();
        let mut response = answer(&challenge, &pending, host.now());
        spoil(&mut response);
        let error = block_on(wallet.complete_refill(pending, &response, &fixtures::trust_list()))
            .unwrap_err();
        assert!(
            wallet
                .pool_levels(id)
                .unwrap()
                .iter()
                .all(|l| l.remaining == 0),
            "nothing stored after {error}"
        );
        assert_eq!(error.next_step(), NextStep::ContactIssuer);
        error
    };
    // One credential missing.
    let error = refused(&mut wallet, &|r| {
        r.pop();
    });
    assert!(matches!(
        error,
        WalletError::BatchRefused(BatchError::Count { .. })
    ));
    // Another key's credential in place of one (order does not matter: each answer is matched to
    // the key it is bound to, so a copy is refused where it repeats).
    let error = refused(&mut wallet, &|r| r[0] = r[29].clone());
    assert!(matches!(
        error,
        WalletError::BatchRefused(BatchError::KeyNotRequested { index: 29 })
    ));
    // A damaged signature.
    let error = refused(&mut wallet, &|r| {
        let last = r[4].len() - 1;
        r[4][last] ^= 1;
    });
    assert!(matches!(error, WalletError::BatchRefused(_)));

    // A refill abandoned between its halves (the process died) leaves nothing in the pool, and
    // the next one succeeds.
    let challenge = EnrolmentChallenge::random(fixtures::ISSUER_ID).unwrap();
    let abandoned = block_on(wallet.begin_refill(id, &challenge)).unwrap();
    drop(abandoned);
    drop(wallet);
    let mut wallet = host
        .open(dir.path(), AuthPolicy::default())
        .unlock(None)
        .unwrap();
    block_on(wallet.remove_abandoned_keys()).unwrap();
    let levels = refill(&mut wallet, id, host.now());
    assert!(levels.iter().all(|l| l.remaining == 10));
}

#[test]
fn expired_credentials_leave_the_pool_and_deleting_the_document_empties_it() {
    let dir = tempfile::tempdir().unwrap();
    let host = Host::new(ScriptedUser::default());
    let (mut wallet, id) = enrolled(&host, dir.path());
    refill(&mut wallet, id, host.now());

    // 31 days on, every one-time credential has expired: none is offered, the code falls back.
    host.clock.advance(31 * DAY as u64);
    let mut wallet = host
        .open(dir.path(), AuthPolicy::default())
        .unlock(None)
        .unwrap();
    let levels = wallet.pool_levels(id).unwrap();
    assert!(levels.iter().all(|l| l.remaining == 0 && l.refill_due));
    let shown = show(&mut wallet, id, Purpose::TrainTicket);
    assert!(shown.linkable);

    let levels = refill(&mut wallet, id, host.now());
    assert!(levels.iter().all(|l| l.remaining == 10));
    block_on(wallet.delete_document(id)).unwrap();
    assert!(matches!(
        wallet.pool_levels(id),
        Err(WalletError::NoSuchDocument)
    ));
    // A new enrolment starts with an empty pool.
    let again = enrol(&mut wallet, host.now()).unwrap().id;
    assert!(
        wallet
            .pool_levels(again)
            .unwrap()
            .iter()
            .all(|l| l.remaining == 0)
    );
}
