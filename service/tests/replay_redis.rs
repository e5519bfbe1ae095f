//! The Redis replay cache against real Redis 7 (Debian's `redis-server`), one node and a local
//! 3-master Cluster, started by the tests on free ports without persistence (support/redis.rs).
//! These tests must never use a Redis they did not start, nor pass without one. What each test
//! proves:
//!
//! - `two_instances_racing_on_one_code_get_exactly_one_first_on_a_single_node` and
//!   `…_on_a_cluster`: 200 concurrent checks of one identity through two connections (two
//!   service instances) give exactly one `First`; the rest are `Replayed`.
//! - `a_used_code_is_kept_exactly_until_the_expiry_given`: the entry's Redis `PTTL` is the
//!   expiry the caller gave (until − now), it is `Replayed` until then and forgotten after. Being
//!   `First` again after that is right only because the verifier refuses a code past its
//!   effective expiry, and the expiry given is that expiry + skew.
//! - `identities_spread_over_all_three_masters`: the bucket hash tags put entries on every master
//!   of a Cluster, not on one.
//! - `a_flush_makes_older_codes_before_memory_on_a_single_node`,
//!   `a_restart_without_persistence_makes_older_codes_before_memory` and
//!   `a_flush_of_the_whole_cluster_makes_older_codes_before_memory`: after Redis loses its memory,
//!   a code accepted before is `BeforeMemory`, never `First`; so is any code whose `iat` is not
//!   later than the new memory start + skew; a code made after that is `First`. After a restart the
//!   connection comes back by itself.
//! - `a_restart_from_an_older_snapshot_never_makes_a_used_code_first`: a Redis that comes back
//!   with an older snapshot (memory start kept, a later used code lost) is noticed by its new
//!   `run_id`; the lost code is `BeforeMemory`, not `First` (it was `First` before this fix).
//! - `a_new_instance_keeps_the_memory_start_of_a_running_deployment`: an instance connecting
//!   later does not move the shared memory start to its own start.
//! - `a_stopped_redis_is_unavailable_fast_and_recovery_needs_no_help`: with Redis down every check
//!   is `Err(ReplayUnavailable)` within the timeout plus a margin, never `Ok`; once Redis is back
//!   the cache answers again by itself, and old codes are `BeforeMemory`.
//! - `a_cluster_master_down_then_back_empty_never_gives_first_to_a_used_code`: with one master
//!   down its codes are errors within the timeout (the others still `Replayed`); once it is back,
//!   empty, the client finds it again by itself and its codes are `BeforeMemory`, never `First`.
//! - `a_slow_redis_is_a_timeout_never_an_answer`: a check during `DEBUG SLEEP` is an error.
//! - `an_evicting_redis_is_refused_unless_declared_noeviction` and
//!   `an_evicting_cluster_node_is_refused`: a Redis that may evict keys is refused at start-up
//!   (the message names `maxmemory-policy`) unless the operator asserts `noeviction`.
//! - `a_challenge_is_redeemed_once_on_any_instance_by_its_own_counter` (and on the Cluster in the
//!   racing test): one instance stores, another redeems once; a wrong counter's attempt uses the
//!   challenge up, like the in-process cache; an expired challenge is refused.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use netid_verifier::replay::{
    Redeemed, RedisCache, RedisTarget, ReplayCache, ReplayDecision, ReplayUnavailable,
};
use sha2::{Digest, Sha256};
use support::redis::{RedisCluster, RedisServer};

const PREFIX: &str = "netid";
const MINUTE_MS: i64 = 60_000;

fn now_ms() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_millis(),
    )
    .expect("fits")
}

/// The seed of this run's identities: `NETID_TEST_SEED` to replay a failure, else the clock.
fn seed() -> u64 {
    let seed = std::env::var("NETID_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| now_ms().unsigned_abs());
    println!("identity seed {seed} (NETID_TEST_SEED={seed} reproduces)");
    seed
}

/// A replay identity as the verifier makes them: a SHA-256, so spread over every bucket.
fn identity(seed: u64, label: &str, i: u64) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(seed.to_be_bytes());
    h.update(label.as_bytes());
    h.update(i.to_be_bytes());
    h.finalize().into()
}

/// Another identity in the same bucket as `of` (the bucket is chosen by the first byte), so
/// its memory start is the one `of`'s check just recreated.
fn same_bucket(of: &[u8; 32], salt: u8) -> [u8; 32] {
    let mut other = *of;
    other[31] ^= salt | 1;
    other[30] ^= 0x5a;
    other
}

async fn connect_at(
    target: &RedisTarget,
    skew: Duration,
    timeout: Duration,
    memory_start_ms: i64,
) -> RedisCache {
    RedisCache::connect(target, PREFIX, skew, timeout, false, memory_start_ms)
        .await
        .expect("connect to the test Redis")
}

/// A cache whose memory began ten minutes ago, so codes made now are within it.
async fn connect(target: &RedisTarget, skew: Duration, timeout: Duration) -> ReplayCache {
    ReplayCache::Redis(connect_at(target, skew, timeout, now_ms() - 10 * MINUTE_MS).await)
}

/// A fresh code made now: within the memory, remembered for ten minutes.
async fn check_now(
    cache: &ReplayCache,
    id: &[u8; 32],
) -> Result<ReplayDecision, ReplayUnavailable> {
    let now = now_ms();
    cache
        .check_and_insert(id, now, now + 10 * MINUTE_MS, now)
        .await
}

async fn exactly_one_first_among_200(a: ReplayCache, b: ReplayCache, seed: u64) {
    let (a, b) = (Arc::new(a), Arc::new(b));
    for round in 0..5 {
        let id = identity(seed, "race", round);
        let now = now_ms();
        let tasks: Vec<_> = (0..200)
            .map(|i| {
                let cache = if i % 2 == 0 { a.clone() } else { b.clone() };
                tokio::spawn(async move {
                    cache
                        .check_and_insert(&id, now, now + 10 * MINUTE_MS, now)
                        .await
                })
            })
            .collect();
        let (mut first, mut replayed) = (0, 0);
        for task in tasks {
            match task.await.expect("task") {
                Ok(ReplayDecision::First) => first += 1,
                Ok(ReplayDecision::Replayed) => replayed += 1,
                other => panic!("round {round}: unexpected {other:?}"),
            }
        }
        assert_eq!((first, replayed), (1, 199), "round {round}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_racing_on_one_code_get_exactly_one_first_on_a_single_node() {
    let server = RedisServer::start();
    let target = RedisTarget::Single(server.url());
    let skew = Duration::from_secs(30);
    let a = connect(&target, skew, Duration::from_secs(2)).await;
    let b = connect(&target, skew, Duration::from_secs(2)).await;
    assert_eq!(a.kind(), "redis");
    exactly_one_first_among_200(a, b, seed()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_racing_on_one_code_get_exactly_one_first_on_a_cluster() {
    let cluster = RedisCluster::start();
    let target = RedisTarget::Cluster(cluster.seed_urls());
    let skew = Duration::from_secs(30);
    let a = connect(&target, skew, Duration::from_secs(2)).await;
    let b = connect(&target, skew, Duration::from_secs(2)).await;
    assert_eq!(a.kind(), "redis-cluster");
    a.ping().await.expect("the cluster answers PING");
    let seed = seed();

    // Challenges cross instances on the Cluster too (their keys live on whichever master owns
    // the nonce's bucket).
    for n in 0u8..8 {
        let nonce = [n.wrapping_mul(37); 16];
        let now = now_ms();
        a.store_challenge(&nonce, "desk-1", now, Duration::from_secs(60))
            .await
            .expect("store");
        assert_eq!(
            b.redeem_challenge(&nonce, "desk-1", now).await,
            Ok(Redeemed::Yes)
        );
        assert_eq!(
            a.redeem_challenge(&nonce, "desk-1", now).await,
            Ok(Redeemed::No)
        );
    }

    exactly_one_first_among_200(a, b, seed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_used_code_is_kept_exactly_until_the_expiry_given() {
    let server = RedisServer::start();
    let target = RedisTarget::Single(server.url());
    let cache = connect_at(
        &target,
        Duration::from_secs(1),
        Duration::from_secs(2),
        now_ms() - MINUTE_MS,
    )
    .await;
    let id = identity(seed(), "expiry", 0);
    let key = cache.used_key(&id);
    let cache = ReplayCache::Redis(cache);
    let now = now_ms();
    let until = now + 1_500;
    assert_eq!(
        cache.check_and_insert(&id, now, until, now).await,
        Ok(ReplayDecision::First)
    );
    let pttl: i64 = server
        .cli(&["PTTL", &key])
        .parse()
        .expect("PTTL is a number");
    let elapsed = now_ms() - now;
    assert!(
        pttl <= until - now + 1 && pttl >= until - now - elapsed - 50,
        "PTTL {pttl} ms, expected about {} ms",
        until - now
    );
    assert_eq!(
        cache
            .check_and_insert(&id, now_ms(), now_ms() + MINUTE_MS, now)
            .await,
        Ok(ReplayDecision::Replayed)
    );
    tokio::time::sleep(Duration::from_millis(
        u64::try_from(until - now_ms() + 100).unwrap_or(0),
    ))
    .await;
    assert_eq!(
        server.cli(&["PTTL", &key]),
        "-2",
        "the entry is gone after its expiry"
    );
    let later = now_ms();
    assert_eq!(
        cache.check_and_insert(&id, later, later + 1_500, now).await,
        Ok(ReplayDecision::First)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identities_spread_over_all_three_masters() {
    let cluster = RedisCluster::start();
    let target = RedisTarget::Cluster(cluster.seed_urls());
    let cache = connect(&target, Duration::from_secs(30), Duration::from_secs(2)).await;
    let seed = seed();
    for i in 0..300 {
        assert_eq!(
            check_now(&cache, &identity(seed, "spread", i)).await,
            Ok(ReplayDecision::First)
        );
    }
    let mut total = 0;
    for node in cluster.nodes() {
        let dbsize: usize = node.cli(&["DBSIZE"]).parse().expect("DBSIZE is a number");
        // The memory-start keys are on every node from the start; count the used-code entries.
        let used = node
            .cli(&["--scan", "--pattern", &format!("{PREFIX}:*:u:*")])
            .lines()
            .count();
        println!(
            "node {}: {dbsize} keys, {used} used-code entries",
            node.port()
        );
        assert!(
            dbsize > 0 && used > 0,
            "node {} holds no entries",
            node.port()
        );
        total += used;
    }
    assert_eq!(total, 300);
}

/// Codes accepted before a loss of memory (`lose` flushes or restarts), then the rules after it.
/// `recovery` is how long the first answer after the loss may take to come.
async fn older_codes_are_before_memory_after(
    cache: &ReplayCache,
    skew: Duration,
    seed: u64,
    lose: impl FnOnce(),
    recovery: Duration,
) {
    let skew_ms = i64::try_from(skew.as_millis()).expect("fits");
    let accepted: Vec<[u8; 32]> = (0..20).map(|i| identity(seed, "lost", i)).collect();
    let accepted_iat = now_ms();
    for id in &accepted {
        assert_eq!(check_now(cache, id).await, Ok(ReplayDecision::First));
    }
    let lost_at = now_ms();
    lose();

    // The first answers after the loss may be errors (a reconnection); never First.
    let deadline = Instant::now() + recovery;
    let memory_start = loop {
        let now = now_ms();
        match cache
            .check_and_insert(&accepted[0], now, now + 10 * MINUTE_MS, accepted_iat)
            .await
        {
            Ok(ReplayDecision::BeforeMemory { memory_start_ms }) => break memory_start_ms,
            Err(e) if Instant::now() < deadline => {
                println!("not yet answering after the loss: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            other => panic!("a code accepted before the loss got {other:?}"),
        }
    };
    assert!(
        memory_start >= lost_at,
        "the new memory starts at {memory_start}, before the loss at {lost_at}"
    );
    for id in &accepted {
        let now = now_ms();
        assert!(
            matches!(
                cache.check_and_insert(id, now, now + 10 * MINUTE_MS, accepted_iat).await,
                Ok(ReplayDecision::BeforeMemory { memory_start_ms }) if memory_start_ms >= lost_at
            ),
            "a replay of a code accepted before the loss"
        );
    }

    // A code made after the loss, but not later than the new start + skew (a phone clock that
    // far ahead could have stamped it before): refused too. Same bucket as the probe above, whose
    // memory start is `memory_start`.
    let fresh = same_bucket(&accepted[0], 1);
    let now = now_ms();
    assert_eq!(
        cache
            .check_and_insert(&fresh, now, now + 10 * MINUTE_MS, memory_start + skew_ms)
            .await,
        Ok(ReplayDecision::BeforeMemory {
            memory_start_ms: memory_start
        })
    );
    // Made later than start + skew: first use, then a replay.
    let iat = memory_start + skew_ms + 1;
    assert_eq!(
        cache
            .check_and_insert(&fresh, iat, iat + 10 * MINUTE_MS, iat)
            .await,
        Ok(ReplayDecision::First)
    );
    assert_eq!(
        cache
            .check_and_insert(&fresh, iat, iat + 10 * MINUTE_MS, iat)
            .await,
        Ok(ReplayDecision::Replayed)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flush_makes_older_codes_before_memory_on_a_single_node() {
    let server = RedisServer::start();
    let target = RedisTarget::Single(server.url());
    let skew = Duration::from_secs(2);
    let cache = connect(&target, skew, Duration::from_secs(2)).await;
    older_codes_are_before_memory_after(
        &cache,
        skew,
        seed(),
        || assert_eq!(server.cli(&["FLUSHALL"]), "OK"),
        Duration::ZERO,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_without_persistence_makes_older_codes_before_memory() {
    let mut server = RedisServer::start();
    let target = RedisTarget::Single(server.url());
    let skew = Duration::from_secs(2);
    let cache = connect(&target, skew, Duration::from_millis(500)).await;
    older_codes_are_before_memory_after(
        &cache,
        skew,
        seed(),
        || {
            server.restart();
            assert_eq!(server.cli(&["DBSIZE"]), "0", "Redis came back empty");
        },
        Duration::from_secs(10),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flush_of_the_whole_cluster_makes_older_codes_before_memory() {
    let cluster = RedisCluster::start();
    let target = RedisTarget::Cluster(cluster.seed_urls());
    let skew = Duration::from_secs(2);
    let cache = connect(&target, skew, Duration::from_secs(2)).await;
    older_codes_are_before_memory_after(
        &cache,
        skew,
        seed(),
        || cluster.flushall_everywhere(),
        Duration::ZERO,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_redis_is_unavailable_fast_and_recovery_needs_no_help() {
    let mut server = RedisServer::start();
    let target = RedisTarget::Single(server.url());
    let timeout = Duration::from_millis(250);
    let skew = Duration::from_secs(1);
    let skew_ms = 1_000;
    let cache = connect(&target, skew, timeout).await;
    let seed = seed();
    let old = identity(seed, "down", 0);
    let old_iat = now_ms();
    assert_eq!(check_now(&cache, &old).await, Ok(ReplayDecision::First));

    server.stop();
    let stopped_at = now_ms();
    for i in 0..10 {
        let started = Instant::now();
        let answer = check_now(&cache, &identity(seed, "down", i)).await;
        let took = started.elapsed();
        assert!(
            answer.is_err(),
            "check {i} with Redis down answered {answer:?}"
        );
        assert!(took < Duration::from_secs(2), "check {i} took {took:?}");
    }
    assert!(cache.ping().await.is_err());

    server.restart();
    let started = Instant::now();
    let memory_start = loop {
        let now = now_ms();
        match cache
            .check_and_insert(&old, now, now + 10 * MINUTE_MS, old_iat)
            .await
        {
            Ok(ReplayDecision::BeforeMemory { memory_start_ms }) => break memory_start_ms,
            Err(_) if started.elapsed() < Duration::from_secs(10) => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            other => panic!("an old code after the restart got {other:?}"),
        }
    };
    println!("answering again {:?} after the restart", started.elapsed());
    assert!(memory_start >= stopped_at);
    cache.ping().await.expect("PING after recovery");
    let fresh = same_bucket(&old, 2);
    let iat = memory_start + skew_ms + 1;
    assert_eq!(
        cache
            .check_and_insert(&fresh, iat, iat + MINUTE_MS, iat)
            .await,
        Ok(ReplayDecision::First)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_redis_is_a_timeout_never_an_answer() {
    let server = RedisServer::start_with_debug();
    let target = RedisTarget::Single(server.url());
    let cache = connect(&target, Duration::from_secs(1), Duration::from_millis(250)).await;
    let seed = seed();
    // Loads the script, so the slow call below is one EVALSHA.
    assert_eq!(
        check_now(&cache, &identity(seed, "slow", 0)).await,
        Ok(ReplayDecision::First)
    );
    let port = server.port();
    let sleeper = std::thread::spawn(move || {
        support::redis::RedisServer::cli_on(port, &["DEBUG", "SLEEP", "1"])
    });
    // Go on only once Redis is asleep: a loaded machine may take a while to start redis-cli.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !server.is_unresponsive(Duration::from_millis(50)) {
        assert!(
            !sleeper.is_finished() && Instant::now() < deadline,
            "never saw Redis asleep"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let id = identity(seed, "slow", 1);
    let started = Instant::now();
    let answer = check_now(&cache, &id).await;
    let took = started.elapsed();
    assert!(
        matches!(
            answer,
            Err(ReplayUnavailable::Timeout(_) | ReplayUnavailable::Backend(_))
        ),
        "a check while Redis sleeps answered {answer:?}"
    );
    assert!(took < Duration::from_secs(2), "took {took:?}");
    assert_eq!(sleeper.join().expect("sleeper"), "OK", "DEBUG SLEEP ran");

    // Awake again: the cache answers without help. The timed-out check had reached Redis and
    // ran once it woke, so the code may already be recorded: it must not be First twice, and
    // the one attempt that did record it answered an error, so no code was accepted.
    let deadline = Instant::now() + Duration::from_secs(5);
    let again = loop {
        match check_now(&cache, &id).await {
            Ok(decision) => break decision,
            Err(e) => {
                assert!(
                    Instant::now() < deadline,
                    "no recovery after DEBUG SLEEP: {e}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    println!("after the sleep, the timed-out code is {again:?}");
    assert!(matches!(
        again,
        ReplayDecision::First | ReplayDecision::Replayed
    ));
    assert_eq!(
        check_now(&cache, &identity(seed, "slow", 2)).await,
        Ok(ReplayDecision::First)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_evicting_redis_is_refused_unless_declared_noeviction() {
    let server = RedisServer::start_evicting();
    let target = RedisTarget::Single(server.url());
    let skew = Duration::from_secs(30);
    let timeout = Duration::from_secs(2);
    let refused = RedisCache::connect(&target, PREFIX, skew, timeout, false, now_ms())
        .await
        .err()
        .expect("an allkeys-lru Redis is refused");
    assert!(
        refused.contains("maxmemory-policy") && refused.contains("allkeys-lru"),
        "{refused}"
    );
    assert_eq!(
        server.cli(&["DBSIZE"]),
        "0",
        "refused before writing anything"
    );
    let accepted = RedisCache::connect(&target, PREFIX, skew, timeout, true, now_ms() - MINUTE_MS)
        .await
        .expect("accepted when the operator asserts noeviction");
    assert_eq!(
        check_now(&ReplayCache::Redis(accepted), &identity(seed(), "evict", 0)).await,
        Ok(ReplayDecision::First)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_evicting_cluster_node_is_refused() {
    let cluster = RedisCluster::start();
    let target = RedisTarget::Cluster(cluster.seed_urls());
    let skew = Duration::from_secs(30);
    let timeout = Duration::from_secs(2);
    RedisCache::connect(&target, PREFIX, skew, timeout, false, now_ms())
        .await
        .expect("a noeviction Cluster is accepted");
    let evicting = &cluster.nodes()[2];
    assert_eq!(
        evicting.cli(&["CONFIG", "SET", "maxmemory-policy", "volatile-lru"]),
        "OK"
    );
    let refused = RedisCache::connect(&target, PREFIX, skew, timeout, false, now_ms())
        .await
        .err()
        .expect("a Cluster with one evicting master is refused");
    assert!(
        refused.contains("maxmemory-policy") && refused.contains(&evicting.port().to_string()),
        "{refused}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_challenge_is_redeemed_once_on_any_instance_by_its_own_counter() {
    let server = RedisServer::start();
    let target = RedisTarget::Single(server.url());
    let skew = Duration::from_secs(30);
    let a = connect(&target, skew, Duration::from_secs(2)).await;
    let b = connect(&target, skew, Duration::from_secs(2)).await;
    let minute = Duration::from_secs(60);
    let now = now_ms();

    a.store_challenge(&[1; 16], "desk-1", now, minute)
        .await
        .expect("store");
    assert_eq!(
        b.redeem_challenge(&[1; 16], "desk-1", now).await,
        Ok(Redeemed::Yes)
    );
    assert_eq!(
        b.redeem_challenge(&[1; 16], "desk-1", now).await,
        Ok(Redeemed::No)
    );
    assert_eq!(
        a.redeem_challenge(&[1; 16], "desk-1", now).await,
        Ok(Redeemed::No)
    );

    // Another counter's attempt uses the challenge up (GETDEL), as in the in-process cache: a
    // challenge relayed to the wrong desk cannot be retried at the right one.
    a.store_challenge(&[2; 16], "desk-1", now, minute)
        .await
        .expect("store");
    assert_eq!(
        b.redeem_challenge(&[2; 16], "desk-2", now).await,
        Ok(Redeemed::No)
    );
    assert_eq!(
        b.redeem_challenge(&[2; 16], "desk-1", now).await,
        Ok(Redeemed::No)
    );

    // A fresh nonce colliding with a live one is refused, never shared.
    a.store_challenge(&[3; 16], "desk-1", now, minute)
        .await
        .expect("store");
    assert!(
        b.store_challenge(&[3; 16], "desk-2", now, minute)
            .await
            .is_err()
    );
    assert_eq!(
        b.redeem_challenge(&[3; 16], "desk-2", now).await,
        Ok(Redeemed::No)
    );

    // Expired after its TTL.
    a.store_challenge(&[4; 16], "desk-1", now, Duration::from_millis(300))
        .await
        .expect("store");
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        b.redeem_challenge(&[4; 16], "desk-1", now_ms()).await,
        Ok(Redeemed::No)
    );

    // Unknown or malformed nonces.
    assert_eq!(
        b.redeem_challenge(&[5; 16], "desk-1", now).await,
        Ok(Redeemed::No)
    );
    assert_eq!(
        b.redeem_challenge(&[1; 3], "desk-1", now).await,
        Ok(Redeemed::No)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_from_an_older_snapshot_never_makes_a_used_code_first() {
    let mut server = RedisServer::start();
    let target = RedisTarget::Single(server.url());
    let cache = connect(&target, Duration::from_secs(2), Duration::from_millis(500)).await;
    let seed = seed();
    // The snapshot holds the memory starts but not the code accepted after it, as an RDB
    // snapshot or an AOF without `appendfsync always` would after a crash.
    assert_eq!(server.cli(&["SAVE"]), "OK");
    let used = identity(seed, "snapshot", 0);
    let used_iat = now_ms();
    assert_eq!(check_now(&cache, &used).await, Ok(ReplayDecision::First));
    let restarted_at = now_ms();
    server.restart();
    let key = match &cache {
        ReplayCache::Redis(c) => c.used_key(&used),
        ReplayCache::InProcess(_) => unreachable!(),
    };
    assert_ne!(server.cli(&["DBSIZE"]), "0", "the snapshot was loaded");
    assert_eq!(server.cli(&["EXISTS", &key]), "0", "the used code was lost");

    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = now_ms();
        match cache
            .check_and_insert(&used, now, now + 10 * MINUTE_MS, used_iat)
            .await
        {
            Ok(ReplayDecision::BeforeMemory { memory_start_ms }) => {
                assert!(memory_start_ms >= restarted_at);
                break;
            }
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            other => panic!("a code used before the restart got {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_instance_keeps_the_memory_start_of_a_running_deployment() {
    let server = RedisServer::start();
    let target = RedisTarget::Single(server.url());
    let skew = Duration::from_secs(2);
    let timeout = Duration::from_secs(2);
    let started = now_ms() - 10 * MINUTE_MS;
    let _running = connect_at(&target, skew, timeout, started).await;
    // An instance joining now must not move the shared memory start to its own start, which
    // would refuse every code made before it as `replay-cache-reset`.
    let joining = ReplayCache::Redis(connect_at(&target, skew, timeout, now_ms()).await);
    let now = now_ms();
    let made_a_minute_ago = now - MINUTE_MS;
    assert_eq!(
        joining
            .check_and_insert(
                &identity(seed(), "join", 0),
                now,
                now + MINUTE_MS,
                made_a_minute_ago
            )
            .await,
        Ok(ReplayDecision::First)
    );
    assert_eq!(
        joining
            .check_and_insert(
                &identity(seed(), "join", 1),
                now,
                now + MINUTE_MS,
                started + 1_000
            )
            .await,
        Ok(ReplayDecision::BeforeMemory {
            memory_start_ms: started
        })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_master_down_then_back_empty_never_gives_first_to_a_used_code() {
    let mut cluster = RedisCluster::start();
    let target = RedisTarget::Cluster(cluster.seed_urls());
    let cache = connect(&target, Duration::from_secs(1), Duration::from_millis(250)).await;
    let seed = seed();
    let used: Vec<[u8; 32]> = (0..30).map(|i| identity(seed, "master", i)).collect();
    let used_iat = now_ms();
    for id in &used {
        assert_eq!(check_now(&cache, id).await, Ok(ReplayDecision::First));
    }
    let check_old = |id: [u8; 32]| {
        let cache = &cache;
        async move {
            let now = now_ms();
            let started = Instant::now();
            let answer = cache
                .check_and_insert(&id, now, now + 10 * MINUTE_MS, used_iat)
                .await;
            assert!(
                started.elapsed() < Duration::from_secs(2),
                "took {:?}",
                started.elapsed()
            );
            answer
        }
    };

    cluster.node_mut(0).stop();
    let mut unavailable = 0;
    for id in &used {
        match check_old(*id).await {
            Ok(ReplayDecision::Replayed) => {}
            Err(_) => unavailable += 1,
            other => panic!("a used code with a master down got {other:?}"),
        }
    }
    assert!(unavailable > 0, "no code lived on the stopped master");

    cluster.node_mut(0).restart();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut pending = used.clone();
    let mut before_memory = 0;
    while !pending.is_empty() {
        let mut still = Vec::new();
        for id in pending {
            match check_old(id).await {
                Ok(ReplayDecision::Replayed) => {}
                Ok(ReplayDecision::BeforeMemory { .. }) => before_memory += 1,
                Err(e) => {
                    assert!(Instant::now() < deadline, "no recovery: {e}");
                    still.push(id);
                }
                other => panic!("a used code after the master came back got {other:?}"),
            }
        }
        pending = still;
        if !pending.is_empty() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    println!("after the master came back: {before_memory} codes before its new memory");
    assert!(
        before_memory > 0,
        "the restarted master's codes are before its memory"
    );
}
