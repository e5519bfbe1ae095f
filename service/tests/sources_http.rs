//! Trust and status over HTTP, end to end with real parts: the `netid` binary creates a
//! development issuer, issues and revokes credentials and serves its lists (`netid issuer
//! serve`); [`TrustAndStatus`] fetches them over loopback HTTP; the core's `Verifier` uses its
//! lookup. Misbehaving servers are small raw-TCP servers on loopback, not mocks of the client.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use netid_core::credential::Purpose;
use netid_core::status::{StaleReason, StatusAnswer, StatusLookup, TokenStatus};
use netid_core::time::SystemClock;
use netid_core::verify::{Verifier, VerifyError, VerifyRequest};
use netid_verifier::sources::{SourcesConfig, SourcesError, TrustAndStatus};
use support::*;
use tokio::sync::watch;

/// The development issuer signs lists with a one-hour `ttl`.
const TTL: u64 = 3600;
/// The hard limit used below.
const MAX_STALE: u64 = 600;

fn http_config(server: &str, refresh: u64, extra_status: &str) -> SourcesConfig {
    let text = format!(
        r#"
        [trust]
        url = "{server}/trust-list.json"
        refresh_seconds = {refresh}
        [status]
        refresh_seconds = {refresh}
        max_stale_seconds = {MAX_STALE}
        connect_timeout_seconds = 1
        fetch_timeout_seconds = 2
        {extra_status}
        [[status.source]]
        uri_prefix = "{ISSUER_ID}/"
        fetch_prefix = "{server}/"
        lists = ["{STATUS_URI}"]
        "#
    );
    toml::from_str(&text).expect("test configuration parses")
}

fn answer(lookup: &dyn StatusLookup, idx: u64, at: u64) -> StatusAnswer {
    lookup.lookup(STATUS_URI, idx, at).expect("index in range")
}

fn list_metrics(sources: &TrustAndStatus) -> netid_verifier::sources::ListMetrics {
    sources
        .metrics()
        .lists
        .into_iter()
        .find(|l| l.uri == STATUS_URI)
        .expect("the configured list is reported")
}

fn verifier(sources: &TrustAndStatus) -> Verifier {
    let (_, trust) = sources.trust();
    let mut verifier = Verifier::new((*trust).clone(), Box::new(SystemClock));
    verifier.set_status_lookup(Box::new(sources.status_lookup()));
    verifier
}

fn verify(verifier: &Verifier, text: &str) -> Result<(), VerifyError> {
    verifier
        .verify_qr_text(text, &VerifyRequest::for_purpose(Purpose::HotelCheckIn))
        .map(|_| ())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_reaches_every_lookup_within_one_refresh_interval() {
    let home = IssuerHome::new(2);
    let server = IssuerServer::start(home.path());
    let (_stop, shutdown) = watch::channel(false);
    let sources = TrustAndStatus::start(&http_config(&server.base, 1, ""), shutdown)
        .await
        .expect("starts");
    let lookup = sources.status_lookup();
    assert_eq!(answer(&*lookup, home.index(0), now()), StatusAnswer::Valid);
    assert_eq!(answer(&*lookup, home.index(1), now()), StatusAnswer::Valid);
    let counter = verifier(&sources);
    verify(&counter, &home.qr_text(0)).expect("a valid credential is accepted");
    assert!(sources.readiness(now()).ready);

    home.revoke(0);
    let revoked_at = Instant::now();
    eventually(Duration::from_secs(3), "holder 0 answers Revoked", || {
        (answer(&*lookup, home.index(0), now()) == StatusAnswer::Revoked).then_some(())
    })
    .await;
    let took = revoked_at.elapsed();
    // One refresh interval (1 s) plus the fetch itself and the 20 ms poll.
    assert!(
        took <= Duration::from_millis(1500),
        "the revocation took {took:?} to arrive"
    );
    println!(
        "revocation observed {} ms after `netid issuer revoke`",
        took.as_millis()
    );
    assert_eq!(
        verify(&counter, &home.qr_text(0)),
        Err(VerifyError::Revoked),
        "the verifier built before the revocation refuses now"
    );
    assert_eq!(answer(&*lookup, home.index(1), now()), StatusAnswer::Valid);
    verify(&counter, &home.qr_text(1)).expect("the other credential is still accepted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unchanged_list_comes_back_304_and_renews_fetched_at() {
    let home = IssuerHome::new(1);
    let server = IssuerServer::start(home.path());
    let clock = Arc::new(OffsetClock::default());
    let (_stop, shutdown) = watch::channel(false);
    let sources = TrustAndStatus::start_with_clock(
        &http_config(&server.base, 1, ""),
        shutdown,
        clock.clone(),
    )
    .await
    .expect("starts");
    let first = list_metrics(&sources);
    assert_eq!(
        (
            first.counters.successes,
            first.counters.not_modified,
            first.counters.failures
        ),
        (1, 0, 0)
    );
    let fetched_at = first.fetched_at.expect("fetched");

    // The service's clock moves on 100 s: the next 304 is a fetch at that time.
    clock.advance(100);
    let renewed = eventually(Duration::from_secs(4), "a 304 is counted", || {
        let m = list_metrics(&sources);
        (m.counters.not_modified >= 1).then_some(m)
    })
    .await;
    assert_eq!(renewed.counters.successes, 1, "no second full download");
    assert_eq!(renewed.counters.failures, 0);
    let renewed_at = renewed.fetched_at.expect("fetched");
    assert!(
        renewed_at >= fetched_at + 100,
        "fetched-at renewed by the 304: {fetched_at} -> {renewed_at}"
    );
    // So the list stays fresh until the renewed fetched-at plus its ttl.
    let lookup = sources.status_lookup();
    assert_eq!(
        answer(&*lookup, home.index(0), fetched_at + TTL + 50),
        StatusAnswer::Valid
    );
    let readiness = sources.readiness(now() + 100);
    let list = &readiness.lists[0];
    assert_eq!(list.fetched_at, Some(renewed_at));
    assert!(list.age_seconds.is_some_and(|age| age <= 5));
    // The trust list is checked with If-None-Match too.
    eventually(Duration::from_secs(4), "a trust list 304", || {
        (sources.metrics().trust.not_modified >= 1).then_some(())
    })
    .await;
    assert_eq!(sources.metrics().trust_generation, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_issuer_gone_the_kept_list_ages_into_stale_and_then_stops_vouching() {
    let home = IssuerHome::new(2);
    home.revoke(1);
    let mut server = IssuerServer::start(home.path());
    let (_stop, shutdown) = watch::channel(false);
    let sources = TrustAndStatus::start(&http_config(&server.base, 1, ""), shutdown)
        .await
        .expect("starts");
    let lookup = sources.status_lookup();
    let fetched_at = list_metrics(&sources).fetched_at.expect("fetched");
    server.kill();
    eventually(Duration::from_secs(4), "a failed fetch is counted", || {
        (list_metrics(&sources).counters.failures >= 1).then_some(())
    })
    .await;
    let readiness = sources.readiness(now());
    assert_eq!(readiness.lists[0].last_error, Some("connect"));
    assert!(
        readiness.ready,
        "a fresh kept list keeps the instance ready"
    );

    // Fresh until fetched-at + ttl: the last answers stand.
    let fresh = fetched_at + TTL - 1;
    assert_eq!(answer(&*lookup, home.index(0), fresh), StatusAnswer::Valid);
    assert_eq!(
        answer(&*lookup, home.index(1), fresh),
        StatusAnswer::Revoked
    );
    // Then stale, with what the list said.
    let stale = fetched_at + TTL;
    assert_eq!(
        answer(&*lookup, home.index(0), stale),
        StatusAnswer::Stale {
            since: fetched_at + TTL,
            reason: StaleReason::TimeToLiveElapsed,
            status: TokenStatus::Valid
        }
    );
    assert!(matches!(
        answer(&*lookup, home.index(1), stale),
        StatusAnswer::Stale {
            status: TokenStatus::Revoked,
            ..
        }
    ));
    // Past the hard limit the list no longer vouches for anyone, and still refuses the revoked.
    let hard = fetched_at + TTL + MAX_STALE;
    assert_eq!(
        answer(&*lookup, home.index(0), hard - 1),
        answer(&*lookup, home.index(0), stale)
    );
    assert_eq!(
        answer(&*lookup, home.index(0), hard),
        StatusAnswer::Unavailable
    );
    assert!(matches!(
        answer(&*lookup, home.index(1), hard + 86_400),
        StatusAnswer::Stale {
            status: TokenStatus::Revoked,
            ..
        }
    ));
    // Never a Revoked for the valid entry, whatever the time.
    for at in [now(), fresh, stale, hard, hard + 10 * 86_400] {
        assert!(
            !matches!(
                answer(&*lookup, home.index(0), at),
                StatusAnswer::Revoked
                    | StatusAnswer::Stale {
                        status: TokenStatus::Revoked,
                        ..
                    }
            ),
            "at {at}"
        );
    }
    let later = sources.readiness(hard);
    assert!(later.lists[0].past_hard_limit);
    assert_eq!(later.lists[0].stale_since, Some(fetched_at + TTL));
    assert!(!later.ready, "/readyz fails past the hard limit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_no_list_ever_fetched_lookups_are_unavailable_and_the_instance_not_ready() {
    let home = IssuerHome::new(1);
    let dead = format!("http://127.0.0.1:{}", dead_port());
    let text = format!(
        r#"
        [trust]
        file = "{}"
        [status]
        refresh_seconds = 1
        connect_timeout_seconds = 1
        [[status.source]]
        uri_prefix = "{ISSUER_ID}/"
        fetch_prefix = "{dead}/"
        lists = ["{STATUS_URI}"]
        "#,
        home.trust_file().display()
    );
    let config: SourcesConfig = toml::from_str(&text).expect("parses");
    let (_stop, shutdown) = watch::channel(false);
    let sources = TrustAndStatus::start(&config, shutdown)
        .await
        .expect("a status list that cannot be fetched does not stop the start");
    let lookup = sources.status_lookup();
    assert_eq!(
        answer(&*lookup, home.index(0), now()),
        StatusAnswer::Unavailable
    );
    let readiness = sources.readiness(now());
    assert!(!readiness.ready);
    assert!(readiness.trust.loaded);
    assert_eq!(readiness.lists[0].last_error, Some("connect"));
    assert!(readiness.lists[0].past_hard_limit);
    assert_eq!(list_metrics(&sources).counters.failures, 1);
    // The verifier refuses rather than accepting an unchecked credential.
    assert_eq!(
        verify(&verifier(&sources), &home.qr_text(0)),
        Err(VerifyError::StatusUnavailable)
    );
    // A URI no source covers is never fetched and answers Unavailable.
    assert_eq!(
        lookup.lookup("https://elsewhere.example/s", 0, now()),
        Ok(StatusAnswer::Unavailable)
    );
    assert!(
        sources
            .readiness(now())
            .lists
            .iter()
            .all(|l| l.uri != "https://elsewhere.example/s"),
        "nothing started for a URI outside the configured prefixes"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_trust_list_stops_the_start_with_a_message_that_says_what_to_do() {
    let dead = format!("http://127.0.0.1:{}", dead_port());
    let (_stop, shutdown) = watch::channel(false);
    let error = TrustAndStatus::start(&http_config(&dead, 1, ""), shutdown)
        .await
        .expect_err("no trust list, no service");
    assert!(
        matches!(error, SourcesError::TrustUnavailable { .. }),
        "{error}"
    );
    let message = error.to_string();
    assert!(message.contains("netid issuer serve"), "{message}");
    assert!(message.contains(&dead), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_a_credential_names_under_a_configured_prefix_is_fetched_on_first_use() {
    let home = IssuerHome::new(1);
    let server = IssuerServer::start(home.path());
    let text = format!(
        r#"
        [trust]
        url = "{0}/trust-list.json"
        [status]
        refresh_seconds = 1
        [[status.source]]
        uri_prefix = "{ISSUER_ID}/"
        fetch_prefix = "{0}/"
        "#,
        server.base
    );
    let config: SourcesConfig = toml::from_str(&text).expect("parses");
    let (_stop, shutdown) = watch::channel(false);
    let sources = TrustAndStatus::start(&config, shutdown)
        .await
        .expect("starts");
    assert!(sources.readiness(now()).lists.is_empty());
    let lookup = sources.status_lookup();
    assert_eq!(
        answer(&*lookup, home.index(0), now()),
        StatusAnswer::Unavailable
    );
    eventually(Duration::from_secs(3), "the named list is fetched", || {
        (answer(&*lookup, home.index(0), now()) == StatusAnswer::Valid).then_some(())
    })
    .await;
    let readiness = sources.readiness(now());
    assert_eq!(readiness.lists.len(), 1);
    assert!(!readiness.lists[0].configured);
    assert!(readiness.ready);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_list_garbage_and_a_huge_body_are_refused_and_the_kept_list_stays() {
    let home = IssuerHome::new(1);
    let old = std::fs::read(home.status_file()).expect("the first list");
    let server = IssuerServer::start(home.path());
    let (_stop, shutdown) = watch::channel(false);
    let sources = TrustAndStatus::start(&http_config(&server.base, 1, ""), shutdown)
        .await
        .expect("starts");
    let lookup = sources.status_lookup();
    home.revoke(0);
    eventually(Duration::from_secs(3), "the revocation arrives", || {
        (answer(&*lookup, home.index(0), now()) == StatusAnswer::Revoked).then_some(())
    })
    .await;
    let kept_fetched_at = list_metrics(&sources).fetched_at;

    let cases: [(&str, Vec<u8>); 3] = [
        // The list from before the revocation, served again: a rollback.
        ("rollback", old),
        ("bad-list", b"this is not a COSE_Sign1 status list".to_vec()),
        // Over the 1 MiB default; `netid issuer serve` sends its Content-Length.
        ("too-large", vec![0xA5; 1024 * 1024 + 1]),
    ];
    for (kind, bytes) in cases {
        let failures = list_metrics(&sources).counters.failures;
        std::fs::write(home.status_file(), &bytes).expect("replace the published list");
        eventually(Duration::from_secs(4), kind, || {
            let readiness = sources.readiness(now());
            let m = list_metrics(&sources);
            (m.counters.failures > failures && readiness.lists[0].last_error == Some(kind))
                .then_some(())
        })
        .await;
        assert_eq!(
            answer(&*lookup, home.index(0), now()),
            StatusAnswer::Revoked,
            "{kind}: the kept list still answers"
        );
        assert_eq!(
            list_metrics(&sources).fetched_at,
            kept_fetched_at,
            "{kind}: a refused list is not a fetch of the kept one"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_elsewhere_silent_servers_and_endless_bodies_are_refused() {
    let home = IssuerHome::new(1);
    let issuer = IssuerServer::start(home.path());
    // Same port, other host name: another origin.
    let port = issuer.addr().rsplit(':').next().expect("port");
    let redirect = RawServer::start(Misbehaviour::Redirect(format!("http://localhost:{port}/s")));
    let silent = RawServer::start(Misbehaviour::Silent);
    let endless = RawServer::start(Misbehaviour::Endless(4 * 1024 * 1024));
    let mut text = format!(
        r#"
        [trust]
        file = "{}"
        [status]
        refresh_seconds = 60
        connect_timeout_seconds = 1
        fetch_timeout_seconds = 1
        "#,
        home.trust_file().display()
    );
    for (name, server) in [("r", &redirect), ("q", &silent), ("e", &endless)] {
        text.push_str(&format!(
            "[[status.source]]\nuri_prefix = \"https://{name}.example/\"\nfetch_prefix = \"{}/\"\nlists = [\"https://{name}.example/s\"]\n",
            server.base
        ));
    }
    let config: SourcesConfig = toml::from_str(&text).expect("parses");
    let (_stop, shutdown) = watch::channel(false);
    let started = Instant::now();
    let sources = TrustAndStatus::start(&config, shutdown)
        .await
        .expect("starts");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the first fetches run at once and time out: {:?}",
        started.elapsed()
    );
    let readiness = sources.readiness(now());
    let error_of = |uri: &str| {
        readiness
            .lists
            .iter()
            .find(|l| l.uri == uri)
            .and_then(|l| l.last_error)
    };
    assert_eq!(error_of("https://r.example/s"), Some("redirect"));
    assert_eq!(error_of("https://q.example/s"), Some("timeout"));
    assert_eq!(error_of("https://e.example/s"), Some("too-large"));
    let lookup = sources.status_lookup();
    for uri in [
        "https://r.example/s",
        "https://q.example/s",
        "https://e.example/s",
    ] {
        assert_eq!(
            lookup.lookup(uri, 0, now()),
            Ok(StatusAnswer::Unavailable),
            "{uri}"
        );
    }
    assert!(!readiness.ready);
}

/// Runs one instance in its own runtime, so dropping the runtime ends its tasks and releases its
/// state file before the next instance starts.
fn with_instance<T>(config: &SourcesConfig, body: impl AsyncFnOnce(&TrustAndStatus) -> T) -> T {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let (_stop, shutdown) = watch::channel(false);
        let sources = TrustAndStatus::start(config, shutdown)
            .await
            .expect("starts");
        body(&sources).await
    })
}

#[test]
fn the_state_file_keeps_the_newest_list_and_its_fetched_at_across_restarts() {
    let home = IssuerHome::new(1);
    let old = std::fs::read(home.status_file()).expect("the first list");
    let state = home.path().join("verifier/status-lists.json");
    let extra = format!("state_file = \"{}\"", state.display());
    let mut server = IssuerServer::start(home.path());
    let config = http_config(&server.base, 1, &extra);

    let fetched_at = with_instance(&config, async |sources| {
        home.revoke(0);
        let lookup = sources.status_lookup();
        eventually(Duration::from_secs(3), "the revocation arrives", || {
            (answer(&*lookup, home.index(0), now()) == StatusAnswer::Revoked).then_some(())
        })
        .await;
        list_metrics(sources).fetched_at.expect("fetched")
    });
    assert!(state.is_file());

    // Restart with the issuer unreachable: the kept list answers at once, with its fetched-at.
    let trust_copy = home.path().join("trust-copy.json");
    std::fs::copy(home.trust_file(), &trust_copy).expect("copy");
    let text = format!(
        r#"
        [trust]
        file = "{}"
        [status]
        refresh_seconds = 1
        connect_timeout_seconds = 1
        {extra}
        [[status.source]]
        uri_prefix = "{ISSUER_ID}/"
        fetch_prefix = "http://127.0.0.1:{}/"
        lists = ["{STATUS_URI}"]
        "#,
        trust_copy.display(),
        dead_port()
    );
    let offline: SourcesConfig = toml::from_str(&text).expect("parses");
    with_instance(&offline, async |sources| {
        let lookup = sources.status_lookup();
        assert_eq!(
            answer(&*lookup, home.index(0), now()),
            StatusAnswer::Revoked
        );
        let m = list_metrics(sources);
        assert_eq!(m.fetched_at, Some(fetched_at), "a restart is not a fetch");
        assert_eq!(m.counters.failures, 1);
        assert!(sources.readiness(now()).ready);
    });

    // Restart against an issuer that serves the list from before the revocation: refused.
    server.kill();
    std::fs::write(home.status_file(), &old).expect("put the old list back");
    let server = IssuerServer::start(home.path());
    let config = http_config(&server.base, 1, &extra);
    with_instance(&config, async |sources| {
        let lookup = sources.status_lookup();
        assert_eq!(
            answer(&*lookup, home.index(0), now()),
            StatusAnswer::Revoked
        );
        assert_eq!(
            sources.readiness(now()).lists[0].last_error,
            Some("rollback")
        );
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_cannot_share_a_state_file() {
    let home = IssuerHome::new(0);
    let server = IssuerServer::start(home.path());
    let extra = format!(
        "state_file = \"{}\"",
        home.path().join("status-lists.json").display()
    );
    let config = http_config(&server.base, 1, &extra);
    let (_stop, shutdown) = watch::channel(false);
    let _first = TrustAndStatus::start(&config, shutdown.clone())
        .await
        .expect("starts");
    let error = TrustAndStatus::start(&config, shutdown)
        .await
        .expect_err("the second instance is refused");
    assert!(
        error
            .to_string()
            .contains("another netid-verifier instance"),
        "{error}"
    );
}
