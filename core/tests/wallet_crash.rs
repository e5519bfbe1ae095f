//! Crash safety of enrolment: a child process enrols one document and is killed with SIGKILL at
//! an exact point — just before or just after the COMMIT of each store transaction it makes
//! (`netid_core::store::test_support::crash_point`), or between `begin_enrolment` and
//! `complete_enrolment` — every point in turn, over several rounds (at least 30 kills). After
//! each kill the parent reopens the store: it opens, `integrity_check` passes, and after the
//! wallet's sweep (`remove_abandoned_keys`) no holder key is left without a document, every
//! document has its enrolment entry, and the pending-key list is empty.
//!
//! The child is this test binary re-run with `--exact enrolment_child` and the wallet directory
//! and crash point in environment variables; without them `enrolment_child` is an ordinary test
//! that enrols once and checks the same things. The wallet uses the in-memory key wrapper and the
//! software secure area with a scripted user, so a run takes seconds.

#[path = "auth_support/mod.rs"]
mod auth_support;
#[path = "vectors/fixtures.rs"]
mod fixtures;
#[path = "wallet_support/mod.rs"]
mod wallet_support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use auth_support::ScriptedUser;
use netid_core::auth::AuthPolicy;
use netid_core::block_on::block_on;
use netid_core::issuer::parse_claims_file;
use netid_core::keystore::InMemoryKeyWrapper;
use netid_core::store::test_support::{CRASH_AT_VAR, arm_crash_points, crash_point};
use netid_core::store::{ActivityKind, SettingName, Store};
use netid_core::wallet::{EnrolmentChallenge, issue_for_proof};
use wallet_support::{Host, KEK};

const DIR_VAR: &str = "NETID_WALLET_CRASH_DIR";
/// Set to `delete` to make the child delete the oldest document instead of enrolling.
const OP_VAR: &str = "NETID_WALLET_CRASH_OP";
const CHILD_TEST: &str = "enrolment_child";
const MIN_KILLS: usize = 30;
const MIN_ROUNDS: usize = 3;

/// One enrolment, with a crash point between its two halves.
fn enrol_once(dir: &Path, armed: bool) {
    let host = Host::new(ScriptedUser::default());
    let mut wallet = host.open(dir, AuthPolicy::default()).unlock(None).unwrap();
    if armed {
        arm_crash_points();
    }
    let issuer = fixtures::issuer();
    let challenge = EnrolmentChallenge::random(fixtures::ISSUER_ID).unwrap();
    let pending = block_on(wallet.begin_enrolment(&challenge)).unwrap();
    crash_point("between begin_enrolment and complete_enrolment");
    let claims = parse_claims_file(fixtures::resident_id_json()).unwrap();
    let credential =
        issue_for_proof(&issuer, &claims, &challenge, pending.proof(), host.now()).unwrap();
    block_on(wallet.complete_enrolment(
        pending,
        &credential.to_bytes(),
        &fixtures::trust_list(),
        None,
    ))
    .unwrap();
}

/// Deletes the oldest document through the wallet.
fn delete_oldest(dir: &Path, armed: bool) {
    let host = Host::new(ScriptedUser::default());
    let mut wallet = host.open(dir, AuthPolicy::default()).unlock(None).unwrap();
    let id = wallet.documents().unwrap()[0].id;
    if armed {
        arm_crash_points();
    }
    block_on(wallet.delete_document(id)).unwrap();
}

/// Reopens the store after a crash and checks it, sweeping abandoned keys first.
fn check(dir: &Path, context: &str) {
    let wrapper = InMemoryKeyWrapper::from_kek(KEK);
    let store = Store::open(dir, &wrapper)
        .unwrap_or_else(|e| panic!("{context}: the store does not reopen: {e}"));
    store
        .integrity_check()
        .unwrap_or_else(|e| panic!("{context}: integrity_check: {e}"));
    store.close().unwrap();

    let host = Host::new(ScriptedUser::default());
    let mut wallet = host.open(dir, AuthPolicy::default()).unlock(None).unwrap();
    block_on(wallet.remove_abandoned_keys())
        .unwrap_or_else(|e| panic!("{context}: the sweep failed: {e}"));
    drop(wallet.lock());

    let mut store = Store::open(dir, &wrapper).unwrap();
    let documents = store.documents().unwrap();
    let log = store.activity(usize::MAX).unwrap();
    for key in store.holder_keys().unwrap() {
        assert!(
            documents.iter().any(|d| d.holder_key == Some(key.id)),
            "{context}: holder key {} has no document after the sweep",
            key.id.to_hex()
        );
    }
    for document in &documents {
        assert!(
            log.iter()
                .any(|e| e.kind == ActivityKind::Enrolment && e.document == Some(document.id)),
            "{context}: document {} has no enrolment entry",
            document.id.to_hex()
        );
        assert!(document.holder_key.is_some());
    }
    assert_eq!(
        store
            .setting(&SettingName::new("wallet.pending-keys").unwrap())
            .unwrap(),
        None,
        "{context}: the pending-key list is not empty after the sweep"
    );
    store.close().unwrap();
}

#[test]
fn enrolment_child() {
    match std::env::var_os(DIR_VAR) {
        Some(dir) if std::env::var(OP_VAR).as_deref() == Ok("delete") => {
            delete_oldest(Path::new(&dir), true);
            println!("ENROLMENT-DONE");
        }
        Some(dir) => {
            enrol_once(Path::new(&dir), true);
            println!("ENROLMENT-DONE");
        }
        None => {
            let dir = tempfile::tempdir().unwrap();
            Host::new(ScriptedUser::default()).create(dir.path(), AuthPolicy::default());
            enrol_once(dir.path(), false);
            check(dir.path(), "no crash");
            let mut store = Store::open(dir.path(), &InMemoryKeyWrapper::from_kek(KEK)).unwrap();
            assert_eq!(store.documents().unwrap().len(), 1);
            assert_eq!(store.holder_keys().unwrap().len(), 1);
        }
    }
}

/// How a child run ended.
enum Outcome {
    Killed(String),
    Finished,
}

fn run_child(exe: &Path, dir: &Path, op: &str, crash_at: usize) -> Outcome {
    let mut child = Command::new(exe)
        .args(["--exact", CHILD_TEST, "--nocapture", "--test-threads=1"])
        .env(DIR_VAR, dir)
        .env(OP_VAR, op)
        .env(CRASH_AT_VAR, crash_at.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        // The test harness may have begun a line ("test enrolment_child ... ") before it.
        if let Some((_, point)) = line.split_once("CRASH-POINT ") {
            // The child is blocked at the point: kill it there (SIGKILL on Unix).
            child.kill().unwrap();
            child.wait().unwrap();
            return Outcome::Killed(point.to_owned());
        }
        if line.ends_with("ENROLMENT-DONE") {
            let status = child.wait().unwrap();
            assert!(status.success(), "the child failed after enrolling");
            return Outcome::Finished;
        }
    }
    let status = child.wait().unwrap();
    panic!("the child (crash point {crash_at}) ended without reaching it or finishing: {status}");
}

#[test]
fn sigkill_at_each_write_of_an_enrolment_leaves_no_orphan_key_and_no_unlogged_document() {
    let exe = std::env::current_exe().unwrap();
    let dir = tempfile::tempdir().unwrap();
    Host::new(ScriptedUser::default()).create(dir.path(), AuthPolicy::default());
    let started = Instant::now();
    let (mut kills, mut finished) = (0, 0);
    let mut points = std::collections::BTreeSet::new();
    let mut round = 0;
    while kills < MIN_KILLS || round < MIN_ROUNDS {
        // Each round kills the child at point 1, 2, ... until one run finishes; the wallet
        // carries over, so each round also sweeps what the previous kills left.
        for crash_at in 1.. {
            match run_child(&exe, dir.path(), "enrol", crash_at) {
                Outcome::Killed(point) => {
                    kills += 1;
                    check(dir.path(), &format!("round {round}, killed at {point}"));
                    points.insert(
                        point
                            .split_once(' ')
                            .map_or(point.clone(), |(_, p)| p.to_owned()),
                    );
                }
                Outcome::Finished => {
                    finished += 1;
                    check(dir.path(), &format!("round {round}, finished"));
                    break;
                }
            }
            assert!(
                crash_at < 100,
                "an enrolment should not pass 100 crash points"
            );
        }
        round += 1;
    }
    assert!(kills >= MIN_KILLS);
    for expected in [
        "before commit",
        "after commit",
        "between begin_enrolment and complete_enrolment",
    ] {
        assert!(
            points.contains(expected),
            "never killed at {expected}: {points:?}"
        );
    }
    let mut store = Store::open(dir.path(), &InMemoryKeyWrapper::from_kek(KEK)).unwrap();
    let documents = store.documents().unwrap().len();
    assert!(
        documents >= finished,
        "{documents} documents for {finished} finished enrolments"
    );
    eprintln!(
        "{kills} kills over {round} rounds, {finished} finished, {documents} documents, {:?}",
        started.elapsed()
    );
    assert!(started.elapsed() < Duration::from_secs(600));
}

#[test]
fn sigkill_at_each_write_of_a_deletion_leaves_the_document_or_nothing_orphaned() {
    // The deletion's one transaction removes the document, its holder key's records (for the
    // software secure area, the key itself) and logs it: killed before its COMMIT, the document
    // and its key are intact; after it, neither is left and the deletion is logged.
    let exe = std::env::current_exe().unwrap();
    let dir = tempfile::tempdir().unwrap();
    Host::new(ScriptedUser::default()).create(dir.path(), AuthPolicy::default());
    let wrapper = InMemoryKeyWrapper::from_kek(KEK);
    let mut kills = 0;
    for crash_at in 1.. {
        enrol_once(dir.path(), false);
        let mut store = Store::open(dir.path(), &wrapper).unwrap();
        let target = store.documents().unwrap()[0].id;
        store.close().unwrap();
        let outcome = run_child(&exe, dir.path(), "delete", crash_at);
        let context = match &outcome {
            Outcome::Killed(point) => format!("deletion killed at {point}"),
            Outcome::Finished => "deletion finished".to_owned(),
        };
        check(dir.path(), &context);
        let mut store = Store::open(dir.path(), &wrapper).unwrap();
        let present = store.documents().unwrap().iter().any(|d| d.id == target);
        let logged = store
            .activity(usize::MAX)
            .unwrap()
            .iter()
            .any(|e| e.kind == ActivityKind::Deletion && e.document == Some(target));
        assert_ne!(
            present, logged,
            "{context}: present {present}, logged {logged}"
        );
        store.close().unwrap();
        match outcome {
            Outcome::Killed(_) => kills += 1,
            Outcome::Finished => break,
        }
        assert!(
            crash_at < 100,
            "a deletion should not pass 100 crash points"
        );
    }
    assert!(kills >= 2, "only {kills} crash points in a deletion");
}

/// A host secure area whose deletions can be made to fail, remembering every alias it created.
struct FlakyHostArea {
    inner: auth_support::ScriptedHostArea,
    fail_deletes: std::sync::atomic::AtomicBool,
    created: std::sync::Mutex<Vec<netid_core::secure_area::KeyAlias>>,
}

impl netid_core::secure_area::SecureArea for FlakyHostArea {
    async fn create_key(
        &self,
        alias: &netid_core::secure_area::KeyAlias,
        policy: netid_core::secure_area::KeyAuthPolicy,
        challenge: &[u8],
    ) -> Result<netid_core::secure_area::CreatedKey, netid_core::secure_area::SecureAreaError> {
        self.created.lock().unwrap().push(alias.clone());
        self.inner.create_key(alias, policy, challenge).await
    }

    async fn public_key(
        &self,
        alias: &netid_core::secure_area::KeyAlias,
    ) -> Result<netid_core::secure_area::HolderPublicKey, netid_core::secure_area::SecureAreaError>
    {
        self.inner.public_key(alias).await
    }

    async fn sign(
        &self,
        alias: &netid_core::secure_area::KeyAlias,
        message: &[u8],
        reason: netid_core::secure_area::PromptReason,
    ) -> Result<netid_core::secure_area::UncheckedSignature, netid_core::secure_area::SecureAreaError>
    {
        self.inner.sign(alias, message, reason).await
    }

    async fn delete_key(
        &self,
        alias: &netid_core::secure_area::KeyAlias,
    ) -> Result<(), netid_core::secure_area::SecureAreaError> {
        if self.fail_deletes.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(netid_core::secure_area::SecureAreaError::Unavailable {
                detail: "the test host refuses deletions".to_owned(),
            });
        }
        self.inner.delete_key(alias).await
    }
}

#[test]
fn a_host_key_the_area_failed_to_delete_is_deleted_by_the_next_sweep() {
    use netid_core::wallet::{HostArea, LockedWallet, WalletConfig};
    use std::sync::Arc;
    use std::sync::atomic::Ordering;

    let dir = tempfile::tempdir().unwrap();
    let area = Arc::new(FlakyHostArea {
        inner: auth_support::ScriptedHostArea::new(),
        fail_deletes: std::sync::atomic::AtomicBool::new(false),
        created: std::sync::Mutex::new(Vec::new()),
    });
    let clock = Arc::new(auth_support::ManualClock::at(fixtures::NOW as u64));
    let config = || WalletConfig {
        wrapper: InMemoryKeyWrapper::from_kek(KEK),
        area: HostArea::new(Arc::clone(&area)),
        clock: Arc::clone(&clock),
        policy: AuthPolicy::default(),
        session_secs: wallet_support::SESSION_SECS,
        pin_params: netid_core::auth::PinParams::INSECURE_FAST_FOR_TESTS,
        pool: Default::default(),
        presentation: Default::default(),
    };
    let mut wallet = LockedWallet::create(dir.path(), config())
        .unwrap()
        .unlock(None)
        .unwrap();
    let now = netid_core::time::Clock::now(&*clock);
    let document = wallet_support::enrol(&mut wallet, now).unwrap();
    let alias = area.created.lock().unwrap()[0].clone();

    area.fail_deletes.store(true, Ordering::SeqCst);
    block_on(wallet.delete_document(document.id)).expect("the document is deleted regardless");
    assert!(wallet.documents().unwrap().is_empty());
    assert!(
        block_on(netid_core::secure_area::SecureArea::public_key(
            &*area, &alias
        ))
        .is_ok(),
        "the refused deletion left the key in the host area"
    );
    // Still refusing: the sweep fails and keeps the entry.
    assert!(block_on(wallet.remove_abandoned_keys()).is_err());

    area.fail_deletes.store(false, Ordering::SeqCst);
    drop(wallet.lock());
    let mut wallet = LockedWallet::open(dir.path(), config())
        .unwrap()
        .unlock(None)
        .unwrap();
    block_on(wallet.remove_abandoned_keys()).unwrap();
    assert!(matches!(
        block_on(netid_core::secure_area::SecureArea::public_key(
            &*area, &alias
        )),
        Err(netid_core::secure_area::SecureAreaError::KeyNotFound)
    ));
    drop(wallet.lock());
    let mut store = Store::open(dir.path(), &InMemoryKeyWrapper::from_kek(KEK)).unwrap();
    assert!(store.holder_keys().unwrap().is_empty());
    assert_eq!(
        store
            .setting(&SettingName::new("wallet.pending-keys").unwrap())
            .unwrap(),
        None
    );
}
