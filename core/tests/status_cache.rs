//! The verifier's status list cache: answers per entry, staleness after the TTL or `exp`
//! ("status stale since T", not a failure), no rollback to older lists, and bad input that
//! leaves the cache as it was.

mod status_support;

use netid_core::status::{
    StaleReason, StatusAnswer, StatusBits, StatusError, StatusListBuilder, StatusListCache,
    TokenStatus,
};
use status_support::*;

const TTL: u64 = 600;

fn list_token(issued_at: u64, revoked: &[u64], ttl: Option<u64>, exp: Option<u64>) -> Vec<u8> {
    let mut builder = StatusListBuilder::new(URI, 32, StatusBits::Two).unwrap();
    for &idx in revoked {
        builder.set(idx, TokenStatus::Revoked).unwrap();
    }
    builder.set(2, TokenStatus::Suspended).unwrap();
    builder.set(3, TokenStatus::Other(3)).unwrap();
    if let Some(ttl) = ttl {
        builder.time_to_live(ttl);
    }
    if let Some(exp) = exp {
        builder.expires_at(exp);
    }
    builder.sign(&issuer_key(), KID, issued_at).unwrap()
}

fn cache_with(bytes: &[u8], fetched_at: u64) -> StatusListCache {
    let mut cache = StatusListCache::new(3_600);
    cache
        .verify_and_insert(bytes, &trusted(), fetched_at)
        .unwrap();
    cache
}

#[test]
fn a_fresh_list_answers_each_status() {
    let cache = cache_with(&list_token(NOW, &[1], Some(TTL), None), NOW);
    assert_eq!(cache.lookup(URI, 0, NOW).unwrap(), StatusAnswer::Valid);
    assert_eq!(cache.lookup(URI, 1, NOW).unwrap(), StatusAnswer::Revoked);
    assert_eq!(cache.lookup(URI, 2, NOW).unwrap(), StatusAnswer::Suspended);
    assert_eq!(cache.lookup(URI, 3, NOW).unwrap(), StatusAnswer::Other(3));
}

#[test]
fn an_uncached_uri_is_unavailable() {
    let cache = cache_with(&list_token(NOW, &[], Some(TTL), None), NOW);
    assert_eq!(
        cache
            .lookup("https://status.netid.example/lists/8", 0, NOW)
            .unwrap(),
        StatusAnswer::Unavailable
    );
    assert_eq!(
        StatusListCache::new(60).lookup(URI, 0, NOW).unwrap(),
        StatusAnswer::Unavailable
    );
}

#[test]
fn past_its_ttl_a_list_answers_stale_since_the_ttl_end() {
    let fetched = NOW + 5;
    let cache = cache_with(&list_token(NOW, &[1], Some(TTL), None), fetched);
    assert_eq!(cache.fresh_until(URI), Some(fetched + TTL));
    assert_eq!(
        cache.lookup(URI, 1, fetched + TTL - 1).unwrap(),
        StatusAnswer::Revoked
    );
    for now in [fetched + TTL, fetched + TTL * 100] {
        assert_eq!(
            cache.lookup(URI, 1, now).unwrap(),
            StatusAnswer::Stale {
                since: fetched + TTL,
                reason: StaleReason::TimeToLiveElapsed,
                status: TokenStatus::Revoked
            }
        );
    }
    assert_eq!(
        cache.lookup(URI, 0, fetched + TTL).unwrap(),
        StatusAnswer::Stale {
            since: fetched + TTL,
            reason: StaleReason::TimeToLiveElapsed,
            status: TokenStatus::Valid
        }
    );
}

#[test]
fn without_a_ttl_claim_the_cache_default_applies() {
    let cache = cache_with(&list_token(NOW, &[], None, None), NOW);
    assert_eq!(cache.fresh_until(URI), Some(NOW + 3_600));
    assert_eq!(
        cache.lookup(URI, 0, NOW + 3_599).unwrap(),
        StatusAnswer::Valid
    );
    assert!(matches!(
        cache.lookup(URI, 0, NOW + 3_600).unwrap(),
        StatusAnswer::Stale { since, .. } if since == NOW + 3_600
    ));
}

#[test]
fn an_expiry_before_the_ttl_end_makes_the_list_stale_as_expired() {
    let exp = NOW + 100;
    let cache = cache_with(&list_token(NOW, &[], Some(TTL), Some(exp)), NOW);
    assert_eq!(cache.fresh_until(URI), Some(exp));
    assert_eq!(cache.lookup(URI, 0, exp - 1).unwrap(), StatusAnswer::Valid);
    assert_eq!(
        cache.lookup(URI, 2, exp).unwrap(),
        StatusAnswer::Stale {
            since: exp,
            reason: StaleReason::Expired,
            status: TokenStatus::Suspended
        }
    );
}

#[test]
fn an_index_out_of_range_is_a_typed_error_not_a_panic() {
    let cache = cache_with(&list_token(NOW, &[], Some(TTL), None), NOW);
    assert_eq!(
        cache.lookup(URI, 32, NOW),
        Err(StatusError::IndexOutOfRange { idx: 32, len: 32 })
    );
    assert_eq!(
        cache.lookup(URI, u64::MAX, NOW + 10 * TTL),
        Err(StatusError::IndexOutOfRange {
            idx: u64::MAX,
            len: 32
        })
    );
}

#[test]
fn a_newer_list_replaces_an_older_one_but_never_the_reverse() {
    let mut cache = cache_with(&list_token(NOW, &[], Some(TTL), None), NOW);
    // The issuer revokes entry 5 in a later list.
    let newer = list_token(NOW + 60, &[5], Some(TTL), None);
    cache
        .verify_and_insert(&newer, &trusted(), NOW + 60)
        .unwrap();
    assert_eq!(
        cache.lookup(URI, 5, NOW + 60).unwrap(),
        StatusAnswer::Revoked
    );

    // A replayed older list (where 5 was still valid) must not un-revoke it.
    let older = list_token(NOW, &[], Some(TTL), None);
    assert_eq!(
        cache
            .verify_and_insert(&older, &trusted(), NOW + 61)
            .unwrap_err(),
        StatusError::OlderThanCached {
            cached: NOW + 60,
            offered: NOW
        }
    );
    assert_eq!(
        cache.lookup(URI, 5, NOW + 61).unwrap(),
        StatusAnswer::Revoked
    );
    assert_eq!(cache.fresh_until(URI), Some(NOW + 60 + TTL));

    // Re-fetching the same list refreshes its fetched-at time.
    cache
        .verify_and_insert(&newer, &trusted(), NOW + 500)
        .unwrap();
    assert_eq!(cache.fresh_until(URI), Some(NOW + 500 + TTL));
}

#[test]
fn bad_bytes_leave_the_cached_list_in_place() {
    let good = list_token(NOW, &[1], Some(TTL), None);
    let mut cache = cache_with(&good, NOW);
    let mut tampered = list_token(NOW + 10, &[], Some(TTL), None);
    let last = tampered.len() - 1;
    tampered[last] ^= 0x01;
    assert_eq!(
        cache
            .verify_and_insert(&tampered, &trusted(), NOW + 10)
            .unwrap_err(),
        StatusError::BadSignature
    );
    assert!(
        cache
            .verify_and_insert(&good[..good.len() / 2], &trusted(), NOW)
            .is_err()
    );
    assert!(cache.verify_and_insert(&[], &trusted(), NOW).is_err());
    assert_eq!(
        cache.lookup(URI, 1, NOW + 10).unwrap(),
        StatusAnswer::Revoked
    );
    assert_eq!(cache.get(URI).unwrap().issued_at(), NOW);
}

#[test]
fn an_expired_list_is_not_cached_at_all() {
    let mut cache = StatusListCache::new(TTL);
    let bytes = list_token(NOW, &[], Some(TTL), Some(NOW + 10));
    assert!(matches!(
        cache.verify_and_insert(&bytes, &trusted(), NOW + 10),
        Err(StatusError::Expired { .. })
    ));
    assert_eq!(
        cache.lookup(URI, 0, NOW + 10).unwrap(),
        StatusAnswer::Unavailable
    );
}
