//! The verifier's status list cache: answers per entry, staleness after the TTL or `exp`
//! ("status stale since T", not a failure), no rollback to older lists, and bad input that
//! leaves the cache as it was.

mod status_support;

use netid_core::status::{
    ListSource, MemoryHighWater, StaleReason, StatusAnswer, StatusBits, StatusError,
    StatusHighWater, StatusListBuilder, StatusListCache, StatusListRecord, TokenStatus,
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

const HOUR: u64 = 3_600;
const DAY: u64 = 86_400;

/// One counter run: a fresh in-memory cache (as each `netid verify` builds), the record that
/// persists between runs, and `bytes` admitted at `now`.
fn run_admitting(
    record: &mut MemoryHighWater,
    bytes: &[u8],
    source: ListSource,
    now: u64,
) -> (StatusListCache, Result<u64, StatusError>) {
    let mut cache = StatusListCache::new(HOUR);
    let result = cache
        .admit(bytes, &trusted(), source, now, record)
        .map(|token| token.issued_at());
    (cache, result)
}

#[test]
fn a_local_list_read_again_twenty_days_later_is_stale_after_its_one_hour_ttl() {
    // The case: a list with a 1-hour ttl whose exp is still 10 days ahead, re-read from
    // the same file 20 days after it was first imported, must not count as just fetched.
    let bytes = list_token(NOW, &[1], Some(HOUR), Some(NOW + 30 * DAY));
    let mut record = MemoryHighWater::new();
    let (first, result) = run_admitting(&mut record, &bytes, ListSource::LocalFile, NOW);
    assert_eq!(result, Ok(NOW));
    assert_eq!(first.lookup(URI, 0, NOW).unwrap(), StatusAnswer::Valid);

    let later = NOW + 20 * DAY;
    let (second, result) = run_admitting(&mut record, &bytes, ListSource::LocalFile, later);
    assert_eq!(result, Ok(NOW));
    assert_eq!(second.fresh_until(URI), Some(NOW + HOUR));
    assert_eq!(
        second.lookup(URI, 0, later).unwrap(),
        StatusAnswer::Stale {
            since: NOW + HOUR,
            reason: StaleReason::TimeToLiveElapsed,
            status: TokenStatus::Valid
        }
    );
    // Revoked stays revoked on a stale list; the verifier refuses either way.
    assert!(matches!(
        second.lookup(URI, 1, later).unwrap(),
        StatusAnswer::Stale {
            status: TokenStatus::Revoked,
            ..
        }
    ));
    assert_eq!(record.newest(URI).unwrap().unwrap().fetched_at, NOW);
}

#[test]
fn the_same_list_fetched_again_from_its_uri_is_fresh_from_the_new_fetch() {
    let bytes = list_token(NOW, &[], Some(HOUR), Some(NOW + 30 * DAY));
    let mut record = MemoryHighWater::new();
    run_admitting(&mut record, &bytes, ListSource::LocalFile, NOW)
        .1
        .unwrap();
    let later = NOW + 20 * DAY;
    let (cache, result) = run_admitting(&mut record, &bytes, ListSource::Fetched, later);
    assert_eq!(result, Ok(NOW));
    assert_eq!(cache.lookup(URI, 0, later).unwrap(), StatusAnswer::Valid);
    assert_eq!(record.newest(URI).unwrap().unwrap().fetched_at, later);
}

#[test]
fn a_new_list_in_the_file_counts_as_fetched_when_first_imported() {
    let mut record = MemoryHighWater::new();
    run_admitting(
        &mut record,
        &list_token(NOW, &[], Some(HOUR), None),
        ListSource::LocalFile,
        NOW,
    )
    .1
    .unwrap();
    let newer = list_token(NOW + DAY, &[5], Some(HOUR), None);
    let (cache, result) = run_admitting(&mut record, &newer, ListSource::LocalFile, NOW + DAY + 9);
    assert_eq!(result, Ok(NOW + DAY));
    assert_eq!(cache.fresh_until(URI), Some(NOW + DAY + 9 + HOUR));
    assert_eq!(
        cache.lookup(URI, 5, NOW + DAY + 9).unwrap(),
        StatusAnswer::Revoked
    );
}

#[test]
fn an_older_list_is_refused_in_a_later_run_and_the_newer_one_stays_usable() {
    let mut record = MemoryHighWater::new();
    let older = list_token(NOW, &[], Some(HOUR), None);
    let newer = list_token(NOW + 60, &[5], Some(HOUR), None);
    run_admitting(&mut record, &older, ListSource::LocalFile, NOW)
        .1
        .unwrap();
    run_admitting(&mut record, &newer, ListSource::LocalFile, NOW + 60)
        .1
        .unwrap();

    // A later run whose in-memory cache is empty: only the persisted record knows.
    let (mut cache, result) = run_admitting(&mut record, &older, ListSource::Fetched, NOW + 90);
    assert_eq!(
        result,
        Err(StatusError::OlderThanCached {
            cached: NOW + 60,
            offered: NOW
        })
    );
    assert_eq!(cache.get(URI), None);
    let kept = record.newest(URI).unwrap().unwrap();
    assert_eq!((kept.issued_at, kept.fetched_at), (NOW + 60, NOW + 60));
    // The host re-admits the bytes it kept beside the record; the revocation still answers.
    let kept_bytes = record.token(URI).unwrap().to_vec();
    cache
        .admit(
            &kept_bytes,
            &trusted(),
            ListSource::LocalFile,
            NOW + 90,
            &mut record,
        )
        .unwrap();
    assert_eq!(
        cache.lookup(URI, 5, NOW + 90).unwrap(),
        StatusAnswer::Revoked
    );
}

#[test]
fn a_different_list_with_the_same_iat_is_refused_in_memory_and_across_runs() {
    let first = list_token(NOW, &[], Some(HOUR), None);
    let second = list_token(NOW, &[5], Some(HOUR), None);
    assert_ne!(first, second);

    let mut cache = cache_with(&first, NOW);
    assert_eq!(
        cache
            .verify_and_insert(&second, &trusted(), NOW + 1)
            .unwrap_err(),
        StatusError::ConflictingList { issued_at: NOW }
    );
    assert_eq!(cache.lookup(URI, 5, NOW + 1).unwrap(), StatusAnswer::Valid);

    let mut record = MemoryHighWater::new();
    run_admitting(&mut record, &first, ListSource::LocalFile, NOW)
        .1
        .unwrap();
    let (cache, result) = run_admitting(&mut record, &second, ListSource::Fetched, NOW + 1);
    assert_eq!(result, Err(StatusError::ConflictingList { issued_at: NOW }));
    assert_eq!(cache.get(URI), None);
    assert_eq!(record.token(URI), Some(first.as_slice()));
}

/// A record store that fails, as a full disk or a damaged file would.
struct BrokenRecord;

impl StatusHighWater for BrokenRecord {
    fn newest(&self, _uri: &str) -> Result<Option<StatusListRecord>, StatusError> {
        Ok(None)
    }
    fn record(&mut self, _record: &StatusListRecord, _token: &[u8]) -> Result<(), StatusError> {
        Err(StatusError::HighWaterUnavailable("disk full".into()))
    }
}

#[test]
fn a_list_the_record_cannot_keep_is_not_used() {
    let mut cache = StatusListCache::new(HOUR);
    let bytes = list_token(NOW, &[1], Some(HOUR), None);
    assert_eq!(
        cache
            .admit(
                &bytes,
                &trusted(),
                ListSource::Fetched,
                NOW,
                &mut BrokenRecord
            )
            .unwrap_err(),
        StatusError::HighWaterUnavailable("disk full".into())
    );
    assert_eq!(
        cache.lookup(URI, 1, NOW).unwrap(),
        StatusAnswer::Unavailable
    );
}

#[test]
fn a_bad_list_changes_neither_the_cache_nor_the_record() {
    let mut record = MemoryHighWater::new();
    let good = list_token(NOW, &[1], Some(HOUR), None);
    run_admitting(&mut record, &good, ListSource::LocalFile, NOW)
        .1
        .unwrap();
    let mut tampered = list_token(NOW + 10, &[], Some(HOUR), None);
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    let (_, result) = run_admitting(&mut record, &tampered, ListSource::Fetched, NOW + 10);
    assert_eq!(result, Err(StatusError::BadSignature));
    assert_eq!(record.newest(URI).unwrap().unwrap().issued_at, NOW);
    assert_eq!(record.token(URI), Some(good.as_slice()));
}

#[test]
fn a_recorded_fetched_at_in_the_future_does_not_stretch_freshness() {
    // First imported by a run whose clock was a day ahead; today's run must not see the list as
    // fresh until a day from now plus its ttl.
    let bytes = list_token(NOW, &[], Some(HOUR), None);
    let mut record = MemoryHighWater::new();
    run_admitting(&mut record, &bytes, ListSource::LocalFile, NOW + DAY)
        .1
        .unwrap();
    let (cache, result) = run_admitting(&mut record, &bytes, ListSource::LocalFile, NOW + 10);
    assert_eq!(result, Ok(NOW));
    assert_eq!(cache.fresh_until(URI), Some(NOW + 10 + HOUR));
    assert_eq!(record.newest(URI).unwrap().unwrap().fetched_at, NOW + 10);
}
