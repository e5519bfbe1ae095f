//! Revocation end to end with the real parts: the development issuer signs a credential that
//! points into its status list and signs the list itself; the counter verifies the list against
//! the same trust list it uses for credentials, caches it, and its verifier consults the cache
//! while the host refreshes it.

#[path = "vectors/fixtures.rs"]
mod fixtures;

use std::sync::{Arc, RwLock};

use fixtures::*;
use netid_core::credential::{Credential, DocType, Purpose, StatusReference};
use netid_core::issuer::{DevIssuer, parse_claims_file};
use netid_core::present::{HolderSigner, PresentationRequest, present};
use netid_core::status::{
    ListSource, MemoryHighWater, StatusBits, StatusError, StatusListBuilder, StatusListCache,
    TokenStatus,
};
use netid_core::time::{FixedClock, UnixTime};
use netid_core::verify::{Verifier, VerifierOptions, VerifyError, VerifyRequest};

const LIST_URI: &str = "https://status.dev.netid.example/lists/1";
const INDEX: u64 = 7;
const TTL: u64 = 300;

fn unix(secs: i64) -> u64 {
    u64::try_from(secs).unwrap()
}

fn credential_with_status() -> Credential {
    issuer()
        .issue(
            &parse_claims_file(claims_json(DocType::ResidentId)).unwrap(),
            &holder().public_key(),
            UnixTime::from_secs(NOW - 86_400),
            Some(StatusReference {
                idx: INDEX,
                uri: LIST_URI.into(),
            }),
            &mut CountingSalts::new("revocation"),
        )
        .unwrap()
}

fn list_with(status: TokenStatus) -> StatusListBuilder {
    let mut list = StatusListBuilder::new(LIST_URI, 64, StatusBits::Two).unwrap();
    list.set(INDEX, status).unwrap();
    list.time_to_live(TTL);
    list
}

/// Shows the credential at `at` and has a counter whose clock says `at + 2` check it.
fn scan(
    credential: &Credential,
    cache: &Arc<RwLock<StatusListCache>>,
    at: i64,
    options: VerifierOptions,
) -> Result<netid_core::verify::VerifiedPresentation, VerifyError> {
    let shown = present(
        credential,
        &PresentationRequest::for_purpose(Purpose::HotelCheckIn),
        &holder(),
        &FixedClock::new(UnixTime::from_secs(at)),
    )
    .unwrap();
    let mut counter = Verifier::with_options(
        trust_list(),
        Box::new(FixedClock::new(UnixTime::from_secs(at + 2))),
        options,
    );
    counter.set_status_lookup(Box::new(Arc::clone(cache)));
    counter.verify(
        shown.as_bytes(),
        &VerifyRequest::for_purpose(Purpose::HotelCheckIn),
    )
}

#[test]
fn a_revocation_published_by_the_issuer_reaches_the_counter() {
    let credential = credential_with_status();
    let trusted_list_keys = trust_list().status_issuer_keys();
    let cache = Arc::new(RwLock::new(StatusListCache::new(TTL)));

    let valid = issuer()
        .sign_status_list(&list_with(TokenStatus::Valid), UnixTime::from_secs(NOW))
        .unwrap();
    cache
        .write()
        .unwrap()
        .verify_and_insert(&valid, &trusted_list_keys, unix(NOW))
        .unwrap();
    let accepted = scan(&credential, &cache, NOW + 10, VerifierOptions::default()).unwrap();
    assert_eq!(accepted.status_stale_since(), None);

    // The issuer revokes; the host fetches the new list while the counter keeps running.
    let revoked = issuer()
        .sign_status_list(
            &list_with(TokenStatus::Revoked),
            UnixTime::from_secs(NOW + 20),
        )
        .unwrap();
    cache
        .write()
        .unwrap()
        .verify_and_insert(&revoked, &trusted_list_keys, unix(NOW + 20))
        .unwrap();
    assert_eq!(
        scan(&credential, &cache, NOW + 30, VerifierOptions::default()).unwrap_err(),
        VerifyError::Revoked
    );

    // Replaying the older "valid" list cannot un-revoke it.
    let replay = cache
        .write()
        .unwrap()
        .verify_and_insert(&valid, &trusted_list_keys, unix(NOW + 40))
        .map(|_| ());
    assert_eq!(
        replay,
        Err(StatusError::OlderThanCached {
            cached: unix(NOW + 20),
            offered: unix(NOW),
        })
    );
    assert_eq!(
        scan(&credential, &cache, NOW + 50, VerifierOptions::default()).unwrap_err(),
        VerifyError::Revoked
    );
}

#[test]
fn a_list_signed_by_an_untrusted_key_is_refused_and_changes_nothing() {
    let credential = credential_with_status();
    let trusted_list_keys = trust_list().status_issuer_keys();
    let cache = Arc::new(RwLock::new(StatusListCache::new(TTL)));
    // An impostor uses the trusted kid with its own key.
    let impostor = DevIssuer::from_scalar_bytes(&[7; 32], ISSUER_ID, KID).unwrap();
    let forged = impostor
        .sign_status_list(&list_with(TokenStatus::Valid), UnixTime::from_secs(NOW))
        .unwrap();
    let refused = cache
        .write()
        .unwrap()
        .verify_and_insert(&forged, &trusted_list_keys, unix(NOW))
        .map(|_| ());
    assert_eq!(refused, Err(StatusError::BadSignature));
    assert_eq!(
        scan(&credential, &cache, NOW + 10, VerifierOptions::default()).unwrap_err(),
        VerifyError::StatusUnavailable
    );
}

#[test]
fn a_list_past_its_ttl_is_stale_since_then_and_policy_decides() {
    let credential = credential_with_status();
    let trusted_list_keys = trust_list().status_issuer_keys();
    let cache = Arc::new(RwLock::new(StatusListCache::new(TTL)));
    let list = issuer()
        .sign_status_list(&list_with(TokenStatus::Valid), UnixTime::from_secs(NOW))
        .unwrap();
    cache
        .write()
        .unwrap()
        .verify_and_insert(&list, &trusted_list_keys, unix(NOW))
        .unwrap();
    let later = NOW + 1_000;
    let stale_since = UnixTime::from_secs(NOW + i64::try_from(TTL).unwrap());
    assert_eq!(
        scan(&credential, &cache, later, VerifierOptions::default()).unwrap_err(),
        VerifyError::StatusStale { since: stale_since }
    );
    let lenient = VerifierOptions {
        accept_stale_status: true,
        ..VerifierOptions::default()
    };
    let accepted = scan(&credential, &cache, later, lenient).unwrap();
    assert_eq!(accepted.status_stale_since(), Some(stale_since));
}

#[test]
fn another_trusted_issuers_list_can_neither_vouch_for_nor_revoke_a_credential() {
    // A second issuer the counter also trusts (say, the driving-licence authority) publishes a
    // list at the URI the resident ID points to: a hijacked or misconfigured status service.
    let other =
        DevIssuer::from_scalar_bytes(&[7u8; 32], "other.authority.example", b"other-kid").unwrap();
    let mut trust = trust_list();
    trust
        .add(other.trust_entry(
            UnixTime::from_secs(1_704_067_200),
            UnixTime::from_secs(2_240_611_200),
            &DocType::ALL,
        ))
        .unwrap();
    let credential = credential_with_status();
    let shown = present(
        &credential,
        &PresentationRequest::for_purpose(Purpose::HotelCheckIn),
        &holder(),
        &FixedClock::new(UnixTime::from_secs(NOW + 10)),
    )
    .unwrap();
    let check = |list: &[u8], options: VerifierOptions| {
        let cache = Arc::new(RwLock::new(StatusListCache::new(TTL)));
        cache
            .write()
            .unwrap()
            .verify_and_insert(list, &trust.status_issuer_keys(), unix(NOW))
            .expect("the other issuer is trusted, so its list verifies and is cached");
        let mut counter = Verifier::with_options(
            trust.clone(),
            Box::new(FixedClock::new(UnixTime::from_secs(NOW + 12))),
            options,
        );
        counter.set_status_lookup(Box::new(cache));
        counter.verify(
            shown.as_bytes(),
            &VerifyRequest::for_purpose(Purpose::HotelCheckIn),
        )
    };

    for status in [TokenStatus::Valid, TokenStatus::Revoked] {
        let foreign = other
            .sign_status_list(&list_with(status), UnixTime::from_secs(NOW))
            .unwrap();
        assert_eq!(
            check(&foreign, VerifierOptions::default()).unwrap_err(),
            VerifyError::StatusUnavailable,
            "a {status:?} list from another issuer is no list for this credential"
        );
    }
    // The credential's own issuer is believed, both ways.
    let own_valid = issuer()
        .sign_status_list(&list_with(TokenStatus::Valid), UnixTime::from_secs(NOW))
        .unwrap();
    assert!(check(&own_valid, VerifierOptions::default()).is_ok());
    let own_revoked = issuer()
        .sign_status_list(&list_with(TokenStatus::Revoked), UnixTime::from_secs(NOW))
        .unwrap();
    assert_eq!(
        check(&own_revoked, VerifierOptions::default()).unwrap_err(),
        VerifyError::Revoked
    );
}

/// One counter run as `netid verify` makes it: a fresh cache, fed first the list the counter kept
/// from earlier runs, then the list it is handed now (which may be a rolled-back one).
fn counter_run(
    record: &mut MemoryHighWater,
    handed: &[u8],
    now: i64,
) -> (Arc<RwLock<StatusListCache>>, Result<(), StatusError>) {
    let keys = trust_list().status_issuer_keys();
    let mut cache = StatusListCache::new(TTL);
    if let Some(kept) = record.token(LIST_URI).map(<[u8]>::to_vec) {
        cache
            .admit(&kept, &keys, ListSource::LocalFile, unix(now), record)
            .unwrap();
    }
    let result = cache
        .admit(handed, &keys, ListSource::LocalFile, unix(now), record)
        .map(|_| ());
    (Arc::new(RwLock::new(cache)), result)
}

#[test]
fn an_older_list_put_back_in_a_later_run_cannot_un_revoke() {
    let credential = credential_with_status();
    let valid = issuer()
        .sign_status_list(&list_with(TokenStatus::Valid), UnixTime::from_secs(NOW))
        .unwrap();
    let revoked = issuer()
        .sign_status_list(
            &list_with(TokenStatus::Revoked),
            UnixTime::from_secs(NOW + 20),
        )
        .unwrap();
    let mut record = MemoryHighWater::new();

    let (cache, result) = counter_run(&mut record, &valid, NOW);
    result.unwrap();
    scan(&credential, &cache, NOW, VerifierOptions::default()).unwrap();
    let (cache, result) = counter_run(&mut record, &revoked, NOW + 20);
    result.unwrap();
    assert_eq!(
        scan(&credential, &cache, NOW + 20, VerifierOptions::default()).unwrap_err(),
        VerifyError::Revoked
    );

    // Someone puts the older, validly signed list back where the counter reads it.
    let (cache, result) = counter_run(&mut record, &valid, NOW + 40);
    assert_eq!(
        result,
        Err(StatusError::OlderThanCached {
            cached: unix(NOW + 20),
            offered: unix(NOW)
        })
    );
    assert_eq!(
        scan(&credential, &cache, NOW + 40, VerifierOptions::default()).unwrap_err(),
        VerifyError::Revoked
    );
}

#[test]
fn a_list_reread_from_its_file_long_after_import_is_stale_at_the_counter() {
    let credential = credential_with_status();
    let mut builder = list_with(TokenStatus::Valid);
    builder
        .time_to_live(3_600)
        .expires_at(unix(NOW) + 30 * 86_400);
    let list = issuer()
        .sign_status_list(&builder, UnixTime::from_secs(NOW))
        .unwrap();
    let mut record = MemoryHighWater::new();
    let (cache, result) = counter_run(&mut record, &list, NOW);
    result.unwrap();
    scan(&credential, &cache, NOW, VerifierOptions::default()).unwrap();

    let later = NOW + 20 * 86_400;
    let (cache, result) = counter_run(&mut record, &list, later);
    result.unwrap();
    assert!(matches!(
        scan(&credential, &cache, later, VerifierOptions::default()).unwrap_err(),
        VerifyError::StatusStale { .. }
    ));
}
