//! The wallet facade end to end with the software secure area: every state transition,
//! enrolment, gated details and QR codes, refresh, deletion, log export and wipe.

#[path = "auth_support/mod.rs"]
mod auth_support;
#[path = "vectors/fixtures.rs"]
mod fixtures;
#[path = "wallet_support/mod.rs"]
mod wallet_support;

use auth_support::ScriptedUser;
use netid_core::auth::AuthPolicy;
use netid_core::block_on::block_on;
use netid_core::credential::{AssuranceLevel, ClaimName, DocType};
use netid_core::present::{PresentationRequest, Purpose};
use netid_core::store::{ActivityKind, StoreError};
use netid_core::time::FixedClock;
use netid_core::verify::{Verifier, VerifyRequest};
use netid_core::wallet::{LockedWallet, NextStep, WalletError};
use wallet_support::*;

#[test]
fn locked_unlocked_locked_on_request_and_at_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let host = Host::new(ScriptedUser::default());
    let locked = host.create(dir.path(), AuthPolicy::default());

    // locked → unlocked until T
    let mut wallet = locked.unlock(None).unwrap();
    assert!(wallet.is_unlocked());
    let until = wallet.unlocked_until().unwrap();
    assert_eq!(until.as_secs(), fixtures::NOW + i64::from(SESSION_SECS));
    assert!(wallet.documents().unwrap().is_empty());

    // unlocked → locked on request → unlocked again
    let locked = wallet.lock();
    let mut wallet = locked.unlock(None).unwrap();
    enrol(&mut wallet, host.now()).unwrap();

    // one second before T it still works; at T it locks itself and every call says so
    host.clock.advance(u64::from(SESSION_SECS) - 1);
    assert_eq!(wallet.documents().unwrap().len(), 1);
    host.clock.advance(1);
    assert!(matches!(wallet.documents(), Err(WalletError::Locked)));
    assert!(!wallet.is_unlocked());
    assert_eq!(wallet.unlocked_until(), None);
    // moving the clock back does not revive a session whose secrets were dropped
    host.clock.set(fixtures::NOW as u64);
    let error = wallet.documents().unwrap_err();
    assert!(matches!(error, WalletError::Locked));
    assert_eq!(error.next_step(), NextStep::UnlockWallet);
    let request = PresentationRequest::for_purpose(Purpose::HotelCheckIn);
    let id = {
        let mut again = wallet.lock().unlock(None).unwrap();
        again.documents().unwrap()[0].id
    };
    let mut expired = host
        .open(dir.path(), AuthPolicy::default())
        .unlock(None)
        .unwrap();
    host.clock.advance(u64::from(SESSION_SECS));
    assert!(matches!(
        block_on(expired.show_qr(id, &request)),
        Err(WalletError::Locked)
    ));
    assert!(matches!(
        block_on(expired.document_details(id)),
        Err(WalletError::Locked)
    ));
}

#[test]
fn enrol_list_details_qr_refresh_delete_export_each_gated_and_logged() {
    let dir = tempfile::tempdir().unwrap();
    let host = Host::new(ScriptedUser::default());
    let mut wallet = host
        .create(dir.path(), AuthPolicy::default())
        .unlock(None)
        .unwrap();

    let summary = enrol(&mut wallet, host.now()).unwrap();
    assert_eq!(summary.doc_type, DocType::ResidentId);
    assert_eq!(
        host.user().prompts(),
        1,
        "the proof of possession is signed after a prompt"
    );
    let listed = wallet.documents().unwrap();
    assert_eq!(listed, vec![summary.clone()]);
    assert_eq!(listed[0].label.as_deref(), Some("my card"));
    assert!(matches!(
        listed[0].assurance_level,
        AssuranceLevel::Basic | AssuranceLevel::Enhanced
    ));

    // details: the view-details gate prompts once, then counts for its window
    let details = block_on(wallet.document_details(summary.id)).unwrap();
    assert_eq!(host.user().prompts(), 2);
    assert!(
        details
            .claims
            .iter()
            .any(|(name, _)| *name == ClaimName::Name)
    );
    block_on(wallet.document_details(summary.id)).unwrap();
    assert_eq!(
        host.user().prompts(),
        2,
        "within five minutes no new prompt"
    );

    // QR: every code is its own authentication, and a counter accepts it
    let request = PresentationRequest::for_purpose(Purpose::HotelCheckIn);
    let shown = block_on(wallet.show_qr(summary.id, &request)).unwrap();
    assert_eq!(host.user().prompts(), 3);
    assert_eq!(shown.expires().as_secs(), fixtures::NOW + 60);
    let verifier = Verifier::new(
        fixtures::trust_list(),
        Box::new(FixedClock::new(host.now())),
    );
    verifier
        .verify_qr_text(
            &shown.qr_text(),
            &VerifyRequest::for_purpose(Purpose::HotelCheckIn),
        )
        .unwrap();

    // refresh: unchanged while more than 10 s remain, a new signed code after
    host.clock.advance(49);
    let same = block_on(wallet.refresh_qr(shown.clone(), 10)).unwrap();
    assert_eq!(same.presentation, shown.presentation);
    assert_eq!(host.user().prompts(), 3);
    host.clock.advance(1);
    let fresh = block_on(wallet.refresh_qr(same, 10)).unwrap();
    assert_ne!(fresh.presentation, shown.presentation);
    assert_eq!(fresh.expires().as_secs(), fixtures::NOW + 50 + 60);
    assert_eq!(host.user().prompts(), 4);

    // export and delete are gated every time
    let log = block_on(wallet.export_activity(100)).unwrap();
    assert_eq!(host.user().prompts(), 5);
    let kinds: Vec<ActivityKind> = log.iter().rev().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        vec![
            ActivityKind::Enrolment,
            ActivityKind::DetailsViewed,
            ActivityKind::DetailsViewed,
            ActivityKind::Presentation,
            ActivityKind::Presentation,
            ActivityKind::LogExported,
        ]
    );
    assert_eq!(
        log[2].detail,
        "unregistered, purpose hotel; shown: name,id_number"
    );

    block_on(wallet.delete_document(summary.id)).unwrap();
    assert_eq!(host.user().prompts(), 6);
    assert!(wallet.documents().unwrap().is_empty());
    assert!(matches!(
        block_on(wallet.document_details(summary.id)),
        Err(WalletError::NoSuchDocument)
    ));
    // its holder key went with it, so nothing is left to confirm an export with
    let error = block_on(wallet.export_activity(10)).unwrap_err();
    assert!(matches!(error, WalletError::NothingEnrolled));
    assert_eq!(error.next_step(), NextStep::EnrolDocument);
}

#[test]
fn enrolment_refuses_untrusted_or_foreign_bound_credentials_and_drops_the_new_key() {
    use netid_core::issuer::{DevIssuer, TrustList, parse_claims_file};
    use netid_core::wallet::{EnrolmentChallenge, issue_for_proof};

    let dir = tempfile::tempdir().unwrap();
    let host = Host::new(ScriptedUser::default());
    let mut wallet = host
        .create(dir.path(), AuthPolicy::default())
        .unlock(None)
        .unwrap();
    let claims = parse_claims_file(fixtures::resident_id_json()).unwrap();

    // an issuer that is not on the trust list
    let rogue = DevIssuer::generate(fixtures::ISSUER_ID, b"zz");
    let challenge = EnrolmentChallenge::random(fixtures::ISSUER_ID).unwrap();
    let pending = block_on(wallet.begin_enrolment(&challenge)).unwrap();
    let credential =
        issue_for_proof(&rogue, &claims, &challenge, pending.proof(), host.now()).unwrap();
    let error = block_on(wallet.complete_enrolment(
        pending,
        &credential.to_bytes(),
        &fixtures::trust_list(),
        None,
    ))
    .unwrap_err();
    assert!(matches!(error, WalletError::Untrusted(_)), "{error:?}");
    assert_eq!(error.next_step(), NextStep::ContactIssuer);

    // a trusted issuer, but the credential is bound to someone else's key
    let challenge = EnrolmentChallenge::random(fixtures::ISSUER_ID).unwrap();
    let pending = block_on(wallet.begin_enrolment(&challenge)).unwrap();
    let foreign = fixtures::credential(DocType::ResidentId);
    let error = block_on(wallet.complete_enrolment(
        pending,
        &foreign.to_bytes(),
        &fixtures::trust_list(),
        None,
    ))
    .unwrap_err();
    assert!(
        matches!(error, WalletError::NotBoundToHolderKey),
        "{error:?}"
    );

    // neither left a document, and an empty trust list refuses the real issuer too
    assert!(wallet.documents().unwrap().is_empty());
    let challenge = EnrolmentChallenge::random(fixtures::ISSUER_ID).unwrap();
    let pending = block_on(wallet.begin_enrolment(&challenge)).unwrap();
    let credential = issue_for_proof(
        &fixtures::issuer(),
        &claims,
        &challenge,
        pending.proof(),
        host.now(),
    )
    .unwrap();
    assert!(matches!(
        block_on(wallet.complete_enrolment(
            pending,
            &credential.to_bytes(),
            &TrustList::new(),
            None
        )),
        Err(WalletError::Untrusted(_))
    ));
    // the proof answers only its own challenge
    let challenge = EnrolmentChallenge::random(fixtures::ISSUER_ID).unwrap();
    let other = EnrolmentChallenge::random(fixtures::ISSUER_ID).unwrap();
    let pending = block_on(wallet.begin_enrolment(&challenge)).unwrap();
    assert!(matches!(
        issue_for_proof(
            &fixtures::issuer(),
            &claims,
            &other,
            pending.proof(),
            host.now()
        ),
        Err(netid_core::wallet::ProofError::WrongChallenge)
    ));
    // and goes stale
    let late = netid_core::time::UnixTime::from_secs(fixtures::NOW + 3600);
    assert!(matches!(
        issue_for_proof(
            &fixtures::issuer(),
            &claims,
            &challenge,
            pending.proof(),
            late
        ),
        Err(netid_core::wallet::ProofError::NotFresh)
    ));
}

#[test]
fn wipe_removes_the_store_and_holder_keys() {
    let dir = tempfile::tempdir().unwrap();
    let host = Host::new(ScriptedUser::default());
    let mut wallet = host
        .create(dir.path(), AuthPolicy::default())
        .unlock(None)
        .unwrap();
    enrol(&mut wallet, host.now()).unwrap();
    block_on(wallet.wipe()).unwrap();
    let leftover: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(leftover.is_empty(), "{leftover:?}");
    let error = LockedWallet::open(dir.path(), host.config(AuthPolicy::default())).unwrap_err();
    assert!(matches!(
        error,
        WalletError::Store(StoreError::Missing { .. })
    ));
}

#[test]
fn list_output_and_errors_carry_no_personal_data_and_a_wrong_key_store_opens_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let host = Host::new(ScriptedUser::default());
    let mut wallet = host
        .create(dir.path(), AuthPolicy::default())
        .unlock(None)
        .unwrap();
    let id = enrol(&mut wallet, host.now()).unwrap().id;
    let listed = format!("{:?}", wallet.documents().unwrap());
    let details = block_on(wallet.document_details(id)).unwrap();
    for personal in ["李秀英", "北京市朝阳区建国路88号"] {
        assert!(!listed.contains(personal), "list output leaks {personal}");
        assert!(
            !format!("{details:?}").contains(personal),
            "details Debug leaks"
        );
    }
    assert!(
        details
            .claims
            .iter()
            .any(|(_, value)| matches!(value, netid_core::credential::ClaimValue::Text(t) if t == "李秀英")),
        "details do show the claims once authorised"
    );
    drop(wallet.lock());

    // another key store's key does not open the wallet, and the file is left as it was
    let before = std::fs::read(dir.path().join(netid_core::store::FILE_NAME)).unwrap();
    let mut config = host.config(AuthPolicy::default());
    config.wrapper = netid_core::keystore::InMemoryKeyWrapper::from_kek([0x01; 32]);
    let error = LockedWallet::open(dir.path(), config)
        .unwrap()
        .unlock(None)
        .unwrap_err();
    assert!(
        matches!(error, WalletError::Store(StoreError::KeyUnavailable(_))),
        "{error:?}"
    );
    assert_eq!(error.next_step(), NextStep::RestoreOrReset);
    assert!(!error.to_string().contains("李秀英"));
    let after = std::fs::read(dir.path().join(netid_core::store::FILE_NAME)).unwrap();
    assert_eq!(before, after);
}
