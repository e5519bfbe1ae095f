//! Trust and status from a development home's files (`netid-verifier config init` without
//! `--issuer-url`): re-read when they change, a list read again unchanged keeps the fetched-at
//! of its first import (docs/FORMAT.md §7), and a trust file caught half-written keeps the old
//! list and says so.

mod support;

use std::time::Duration;

use netid_core::issuer::TrustList;
use netid_core::status::{StatusAnswer, StatusLookup};
use netid_verifier::sources::{SourcesConfig, TrustAndStatus};
use support::*;
use tokio::sync::watch;

fn file_config(home: &IssuerHome) -> SourcesConfig {
    let text = format!(
        r#"
        [trust]
        file = "{}"
        refresh_seconds = 1
        [status]
        refresh_seconds = 1
        [[status.source]]
        uri = "{STATUS_URI}"
        file = "{}"
        "#,
        home.trust_file().display(),
        home.status_file().display()
    );
    toml::from_str(&text).expect("parses")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_homes_status_file_is_followed_and_rereading_it_is_not_a_fetch() {
    let home = IssuerHome::new(1);
    let (_stop, shutdown) = watch::channel(false);
    let sources = TrustAndStatus::start(&file_config(&home), shutdown)
        .await
        .expect("starts");
    let lookup = sources.status_lookup();
    assert_eq!(
        lookup.lookup(STATUS_URI, home.index(0), now()),
        Ok(StatusAnswer::Valid)
    );
    let first = sources.metrics().lists[0].clone();
    assert_eq!(first.counters.successes, 1);

    // Unchanged file: counted as confirmed, fetched-at kept.
    let unchanged = eventually(Duration::from_secs(3), "an unchanged read", || {
        let m = sources.metrics().lists[0].clone();
        (m.counters.not_modified >= 1).then_some(m)
    })
    .await;
    assert_eq!(unchanged.fetched_at, first.fetched_at);
    assert_eq!(unchanged.counters.successes, 1);

    home.revoke(0);
    eventually(Duration::from_secs(3), "the revocation is read", || {
        (lookup.lookup(STATUS_URI, home.index(0), now()) == Ok(StatusAnswer::Revoked)).then_some(())
    })
    .await;
    assert_eq!(sources.metrics().lists[0].counters.successes, 2);
    assert!(sources.readiness(now()).ready);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_written_trust_file_keeps_the_old_list_and_a_complete_one_bumps_the_generation() {
    let home = IssuerHome::new(0);
    let (_stop, shutdown) = watch::channel(false);
    let sources = TrustAndStatus::start(&file_config(&home), shutdown)
        .await
        .expect("starts");
    let (generation, before) = sources.trust();
    assert_eq!(generation, 1);

    let json = std::fs::read_to_string(home.trust_file()).expect("trust file");
    std::fs::write(home.trust_file(), &json[..json.len() / 2]).expect("half a file");
    eventually(
        Duration::from_secs(3),
        "the broken file is reported",
        || (sources.readiness(now()).trust.last_error == Some("bad-trust-list")).then_some(()),
    )
    .await;
    let (generation, during) = sources.trust();
    assert_eq!(generation, 1, "the old list stays in use");
    assert_eq!(*during, *before);
    assert!(sources.metrics().trust.failures >= 1);

    // The same list written out again in another layout: a change, read whole.
    let reformatted = TrustList::from_json(&json).expect("parses").to_json() + "\n\n";
    assert_ne!(reformatted, json);
    std::fs::write(home.trust_file(), &reformatted).expect("complete file");
    eventually(Duration::from_secs(3), "the new file is loaded", || {
        (sources.trust().0 == 2).then_some(())
    })
    .await;
    let readiness = sources.readiness(now());
    assert_eq!(readiness.trust.last_error, None);
    assert_eq!(readiness.trust.generation, 2);
    assert_eq!(*sources.trust().1, *before, "same issuers, new generation");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_trust_file_stops_the_start_and_names_keygen() {
    let dir = tempfile::tempdir().expect("dir");
    let text = format!(
        "[trust]\nfile = \"{}\"\n[status]\n",
        dir.path().join("issuer/trust.json").display()
    );
    let config: SourcesConfig = toml::from_str(&text).expect("parses");
    let (_stop, shutdown) = watch::channel(false);
    let error = TrustAndStatus::start(&config, shutdown)
        .await
        .expect_err("no trust list");
    let message = error.to_string();
    assert!(message.contains("netid issuer keygen"), "{message}");
    assert!(message.contains("trust.json"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_stops_the_refreshes() {
    let home = IssuerHome::new(1);
    let (stop, shutdown) = watch::channel(false);
    let sources = TrustAndStatus::start(&file_config(&home), shutdown)
        .await
        .expect("starts");
    stop.send(true).expect("signal");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = sources.metrics();
    home.revoke(0);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let after = sources.metrics();
    assert_eq!(
        (after.lists[0].counters, after.trust),
        (before.lists[0].counters, before.trust),
        "no read after shutdown"
    );
    // The last list still answers until it ages out: shutdown is not a revocation.
    assert_eq!(
        sources
            .status_lookup()
            .lookup(STATUS_URI, home.index(0), now()),
        Ok(StatusAnswer::Valid)
    );
}
