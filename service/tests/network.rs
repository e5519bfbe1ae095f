//! The counter network end to end: several real `netid-verifier` processes sharing one real
//! Redis (Debian's `redis-server` on a free port) or a 3-master local Redis Cluster, trust and
//! status lists from a real `netid issuer serve`. What each test proves is in its name;
//! docs/service.md and docs/SECURITY.md §6 cite them.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use support::redis::{RedisCluster, RedisServer};
use support::verifier::{Answer, TestConfig, VerifierProcess};
use support::{IssuerHome, IssuerServer};

/// Raise desk-1's rate so only the replay cache decides, and give the debug build room: 200
/// simultaneous verifications on 2 cores keep a replay answer waiting for a worker longer than
/// the production deadline of 250 ms.
fn unlimited(config: &TestConfig) {
    config.edit(
        "rate_per_second = 20\nburst = 40",
        "rate_per_second = 100000\nburst = 100000",
    );
    roomy(config);
}

/// The replay deadline for a debug build sharing 2 cores with the other tests (each test's own
/// checks of time are far looser than this).
fn roomy(config: &TestConfig) {
    config.edit("timeout_ms = 250", "timeout_ms = 2500");
}

/// After a loss, every bucket's memory restarts within about a second (the keeper, slower when
/// the machine is loaded), and a code needs an `iat` (whole seconds) later than that start + the
/// 1 s skew: fresh codes are refused `replay-cache-reset` until then, and accepted within this.
const AFTER_A_LOSS: Duration = Duration::from_secs(10);

/// Fresh codes from `home` until one is accepted by `service`; every refusal before must be
/// `replay-cache-reset`. The accepted code.
fn fresh_code_accepted_after_a_loss(
    service: &VerifierProcess,
    token: &str,
    home: &IssuerHome,
) -> String {
    let since = Instant::now();
    loop {
        let qr = home.qr_text(0);
        let answer = service.verify(token, &qr);
        if answer.accepted() {
            return qr;
        }
        assert_eq!(answer.reason(), "replay-cache-reset", "{answer:?}");
        assert!(
            since.elapsed() < AFTER_A_LOSS,
            "fresh codes still refused {:?} after the loss",
            since.elapsed()
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn instance(config: &TestConfig, state: &Path, redis: &[&str]) -> VerifierProcess {
    let mut args = vec!["--state-file", state.to_str().expect("utf-8 path")];
    args.extend_from_slice(redis);
    VerifierProcess::start(&config.path, &args)
}

/// `submissions` concurrent submissions of `qr`, alternating between the instances; the
/// answers.
fn flood(instances: &[&VerifierProcess], token: &str, qr: &str, submissions: usize) -> Vec<Answer> {
    let barrier = std::sync::Barrier::new(submissions);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..submissions)
            .map(|i| {
                let service = instances[i % instances.len()];
                let barrier = &barrier;
                s.spawn(move || {
                    barrier.wait();
                    service.verify(token, qr)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    })
}

fn exactly_one_accepted(answers: &[Answer]) {
    let accepted = answers.iter().filter(|a| a.accepted()).count();
    let replayed = answers.iter().filter(|a| a.reason() == "replayed").count();
    assert_eq!(
        (accepted, replayed),
        (1, answers.len() - 1),
        "every refusal must be `replayed`: {:?}",
        answers
            .iter()
            .find(|a| a.status != 200 || (a.reason() != "replayed" && !a.accepted()))
    );
}

#[test]
fn two_instances_sharing_one_redis_accept_a_code_exactly_once() {
    let redis = RedisServer::start();
    let home = IssuerHome::new(1);
    let config = TestConfig::init(home.path(), None, "");
    unlimited(&config);
    let url = redis.url();
    let a = instance(
        &config,
        &config.dir.path().join("a.state"),
        &["--redis", &url],
    );
    let b = instance(
        &config,
        &config.dir.path().join("b.state"),
        &["--redis", &url],
    );
    b.wait_for_fresh_memory();
    for round in 0..3 {
        let qr = home.qr_text(0);
        let answers = flood(&[&a, &b], &config.token, &qr, 200);
        exactly_one_accepted(&answers);
        eprintln!("round {round}: 1 of 200 accepted");
    }
    assert_eq!(a.get("/readyz").json()["replay_cache"]["backend"], "redis");
}

#[test]
fn two_instances_sharing_a_redis_cluster_accept_a_code_exactly_once() {
    let cluster = RedisCluster::start();
    let home = IssuerHome::new(1);
    let config = TestConfig::init(home.path(), None, "");
    unlimited(&config);
    let seeds = cluster.seed_urls().join(",");
    let a = instance(
        &config,
        &config.dir.path().join("a.state"),
        &["--redis-cluster", &seeds],
    );
    let b = instance(
        &config,
        &config.dir.path().join("b.state"),
        &["--redis-cluster", &seeds],
    );
    b.wait_for_fresh_memory();
    for _ in 0..3 {
        let qr = home.qr_text(0);
        exactly_one_accepted(&flood(&[&a, &b], &config.token, &qr, 200));
    }
    assert_eq!(
        a.get("/readyz").json()["replay_cache"]["backend"],
        "redis-cluster"
    );
    // A cluster FLUSHALL does not reopen the window either.
    let qr = home.qr_text(0);
    assert!(a.verify(&config.token, &qr).accepted());
    cluster.flushall_everywhere();
    let again = b.verify(&config.token, &qr);
    assert!(!again.accepted());
    assert_eq!(again.reason(), "replay-cache-reset");
}

#[test]
fn with_redis_stopped_nothing_is_accepted_and_the_service_recovers_by_itself() {
    let mut redis = RedisServer::start();
    let home = IssuerHome::new(1);
    let config = TestConfig::init(home.path(), None, "");
    unlimited(&config);
    let url = redis.url();
    let service = instance(
        &config,
        &config.dir.path().join("a.state"),
        &["--redis", &url],
    );
    service.wait_for_fresh_memory();
    let used = home.qr_text(0);
    assert!(service.verify(&config.token, &used).accepted());
    let unused = home.qr_text(0);

    redis.stop();
    for _ in 0..10 {
        let started = Instant::now();
        let answer = service.verify(&config.token, &home.qr_text(0));
        assert_eq!(answer.status, 503, "{answer:?}");
        assert_eq!(answer.json()["accepted"], false);
        assert_eq!(answer.reason(), "replay-cache-unavailable");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "took {:?}",
            started.elapsed()
        );
    }
    assert_eq!(service.get("/readyz").status, 503);
    let metrics = service.get("/metrics").body;
    assert!(
        !metrics
            .contains("netid_replay_backend_errors_total{backend=\"redis\",kind=\"timeout\"} 0\n")
            || !metrics.contains(
                "netid_replay_backend_errors_total{backend=\"redis\",kind=\"backend\"} 0\n"
            ),
        "{metrics}"
    );

    // Back without its data (no persistence): the service reconnects on its own; codes from
    // before the loss are refused, new ones verify.
    redis.restart();
    let restarted = Instant::now();
    let mut answer = service.verify(&config.token, &used);
    while answer.status == 503 && restarted.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(100));
        answer = service.verify(&config.token, &used);
    }
    assert!(
        !answer.accepted(),
        "a used code was accepted after Redis lost its data"
    );
    assert_eq!(answer.reason(), "replay-cache-reset");
    let answer = service.verify(&config.token, &unused);
    assert_eq!(answer.reason(), "replay-cache-reset");
    fresh_code_accepted_after_a_loss(&service, &config.token, &home);
    assert_eq!(service.get("/readyz").status, 200);
}

#[test]
fn flushall_does_not_reopen_a_replay_window() {
    let redis = RedisServer::start();
    let home = IssuerHome::new(1);
    let config = TestConfig::init(home.path(), None, "");
    roomy(&config);
    let url = redis.url();
    let a = instance(
        &config,
        &config.dir.path().join("a.state"),
        &["--redis", &url],
    );
    let b = instance(
        &config,
        &config.dir.path().join("b.state"),
        &["--redis", &url],
    );
    b.wait_for_fresh_memory();
    let qr = home.qr_text(0);
    assert!(a.verify(&config.token, &qr).accepted());
    assert_eq!(redis.cli(&["FLUSHALL"]).trim(), "OK");
    for service in [&a, &b] {
        let again = service.verify(&config.token, &qr);
        assert!(!again.accepted());
        assert_eq!(again.reason(), "replay-cache-reset");
    }
    let fresh = fresh_code_accepted_after_a_loss(&b, &config.token, &home);
    assert_eq!(a.verify(&config.token, &fresh).reason(), "replayed");
}

#[test]
fn a_redis_that_may_evict_keys_is_refused_at_start() {
    let redis = RedisServer::start_evicting();
    let home = IssuerHome::new(0);
    let config = TestConfig::init(home.path(), None, "");
    let out = std::process::Command::new(support::verifier::verifier_bin())
        .arg("--config")
        .arg(&config.path)
        .args(["--redis", &redis.url()])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("maxmemory-policy"), "{stderr}");
}

#[test]
fn revocation_over_http_reaches_every_instance_within_one_refresh() {
    let redis = RedisServer::start();
    let home = IssuerHome::new(2);
    let issuer = IssuerServer::start(home.path());
    let config = TestConfig::init(home.path(), Some(&issuer.base), "");
    config.edit(
        "[status]\nrefresh_seconds = 30",
        "[status]\nrefresh_seconds = 1",
    );
    unlimited(&config);
    let url = redis.url();
    let a = instance(
        &config,
        &config.dir.path().join("a.state"),
        &["--redis", &url],
    );
    let b = instance(
        &config,
        &config.dir.path().join("b.state"),
        &["--redis", &url],
    );
    b.wait_for_fresh_memory();
    assert!(a.verify(&config.token, &home.qr_text(0)).accepted());
    assert!(b.verify(&config.token, &home.qr_text(0)).accepted());
    home.revoke(0);
    let revoked_at = Instant::now();
    for service in [&a, &b] {
        loop {
            let answer = service.verify(&config.token, &home.qr_text(0));
            if !answer.accepted() {
                assert_eq!(answer.reason(), "revoked");
                break;
            }
            assert!(
                revoked_at.elapsed() < Duration::from_secs(4),
                "an instance still accepts {:?} after the revocation",
                revoked_at.elapsed()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    assert!(a.verify(&config.token, &home.qr_text(1)).accepted());
    let metrics = a.get("/metrics").body;
    assert!(
        metrics.contains("result=\"not-modified\""),
        "ETag/304 is counted: {metrics}"
    );
}

#[test]
fn with_the_status_server_down_the_answer_is_the_documented_one_never_a_guess() {
    let home = IssuerHome::new(2);
    let mut issuer = IssuerServer::start(home.path());
    home.revoke(1);
    let config = TestConfig::init(home.path(), Some(&issuer.base), "");
    config.edit(
        "[status]\nrefresh_seconds = 30",
        "[status]\nrefresh_seconds = 1",
    );
    unlimited(&config);
    let service = VerifierProcess::start(&config.path, &[]);
    service.wait_for_fresh_memory();
    assert!(service.verify(&config.token, &home.qr_text(0)).accepted());
    assert_eq!(
        service.verify(&config.token, &home.qr_text(1)).reason(),
        "revoked"
    );

    // The issuer goes away: the kept list answers within its freshness (the list's ttl, an
    // hour here; ageing past it is sources_http.rs's test) — the revoked entry stays revoked.
    issuer.kill();
    std::thread::sleep(Duration::from_millis(2500));
    assert!(service.verify(&config.token, &home.qr_text(0)).accepted());
    assert_eq!(
        service.verify(&config.token, &home.qr_text(1)).reason(),
        "revoked"
    );
    let readiness = service.get("/readyz").json();
    assert!(
        readiness["sources"]["lists"][0]["last_error"].is_string(),
        "{readiness}"
    );

    // An instance that never got a list (the status server down from its start) vouches for
    // nobody. (Its trust list comes from the file: without one it would not start at all.)
    drop(service);
    let dead = format!("http://127.0.0.1:{}", support::dead_port());
    let config = TestConfig::init(home.path(), Some(&dead), "");
    config.edit(
        &format!("url = \"{dead}/trust-list.json\""),
        &format!("file = {:?}", home.trust_file().display().to_string()),
    );
    let fresh = VerifierProcess::start(&config.path, &[]);
    fresh.wait_for_fresh_memory();
    let answer = fresh.verify(&config.token, &home.qr_text(0));
    assert!(!answer.accepted());
    assert_eq!(answer.reason(), "status-unavailable");
    assert_eq!(fresh.get("/readyz").status, 503);
}
