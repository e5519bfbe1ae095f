//! The PIN as a factor of the data key, attempts reserved atomically across processes, lockouts
//! that escalate and that no clock change or directory restore undoes (issue 9, findings 1, 2, 3
//! and 5). Each test states the attack it stands for.

#[path = "auth_support/mod.rs"]
mod auth_support;
#[path = "vectors/fixtures.rs"]
mod fixtures;
#[path = "wallet_support/mod.rs"]
mod wallet_support;

use std::num::NonZeroU32;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use auth_support::{AUTHENTICATOR_SECRET, ManualClock, ScriptedUser};
use netid_core::auth::{AuthError, AuthPolicy, LockStatus, NextStep as AuthStep, Pin, PinParams};
use netid_core::block_on::block_on;
use netid_core::keystore::DataKey;
use netid_core::present::{PresentationRequest, Purpose};
use netid_core::store::{Store, StoreError};
use netid_core::wallet::{LockedWallet, NextStep, WalletError};
use wallet_support::*;

const RIGHT: &str = "246810";
const WRONG: &str = "135791";

fn pin(digits: &str) -> Pin {
    Pin::new(digits).unwrap()
}

fn policy(attempts: u32, lockout: u64, lockouts: u32) -> AuthPolicy {
    AuthPolicy {
        max_failed_attempts: NonZeroU32::new(attempts).unwrap(),
        lockout: Duration::from_secs(lockout),
        max_lockouts: NonZeroU32::new(lockouts).unwrap(),
        ..AuthPolicy::default()
    }
}

/// A wallet with one document and a PIN, locked.
fn wallet_with_pin(host: &Host, dir: &Path, policy: AuthPolicy) -> SoftWallet {
    let mut wallet = host.create(dir, policy.clone()).unlock(None).unwrap();
    enrol(&mut wallet, host.now()).unwrap();
    wallet.set_pin(&pin(RIGHT)).unwrap();
    drop(wallet.lock());
    host.open(dir, policy)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

fn restore(backup: &Path, dir: &Path) {
    std::fs::remove_dir_all(dir).unwrap();
    copy_dir(backup, dir);
}

#[test]
fn with_a_pin_the_key_wrappers_answer_and_the_files_open_nothing() {
    // Attack: a same-user process (or a hooked host) that can call the key wrapper and read the
    // wallet's files, but does not know the PIN.
    let dir = tempfile::tempdir().unwrap();
    let host = Host::new(ScriptedUser::default());
    let locked = wallet_with_pin(&host, dir.path(), AuthPolicy::default());

    assert!(matches!(
        Store::open(dir.path(), &host.wrapper()),
        Err(StoreError::PinRequired)
    ));
    // Take the wrapper's answer by hand and try it as the data key: it is not the data key.
    let mut opened = Store::open_locked(dir.path()).unwrap();
    let secret = opened.unwrap_secret(&host.wrapper()).unwrap();
    let as_data_key = DataKey::from_bytes(zeroize::Zeroizing::new(*secret.expose_secret()));
    assert!(matches!(
        opened.unlock(&as_data_key, None),
        Err(StoreError::KeyUnavailable(_))
    ));

    // Without a PIN, or with a wrong one, the wallet stays locked and the wrong one is counted.
    assert!(matches!(locked.unlock(None), Err(WalletError::PinRequired)));
    assert!(matches!(
        locked.unlock(Some(&pin(WRONG))),
        Err(WalletError::Auth(AuthError::WrongPin { attempts_left: 4 }))
    ));
    assert_eq!(
        locked.lock_status().unwrap(),
        LockStatus::Open { attempts_left: 4 }
    );
    let mut wallet = locked.unlock(Some(&pin(RIGHT))).unwrap();
    assert_eq!(wallet.documents().unwrap().len(), 1);
    // The wrong PIN, counted before the store could be opened, is in the log now.
    let kinds: Vec<_> = block_on(wallet.export_activity(50))
        .unwrap()
        .iter()
        .map(|e| e.kind)
        .collect();
    assert!(kinds.contains(&netid_core::store::ActivityKind::FailedAuthentication));
}

#[test]
fn change_and_remove_rewrap_the_data_key_and_check_the_current_pin() {
    let dir = tempfile::tempdir().unwrap();
    let host = Host::new(ScriptedUser::default());
    let locked = wallet_with_pin(&host, dir.path(), AuthPolicy::default());
    let mut wallet = locked.unlock(Some(&pin(RIGHT))).unwrap();
    assert!(matches!(
        wallet.set_pin(&pin("111111")),
        Err(WalletError::Auth(AuthError::PinAlreadySet))
    ));
    assert!(matches!(
        wallet.change_pin(&pin(WRONG), &pin("222222")),
        Err(WalletError::Auth(AuthError::WrongPin { attempts_left: 4 }))
    ));
    wallet.change_pin(&pin(RIGHT), &pin("222222")).unwrap();
    let locked = wallet.lock();
    assert!(matches!(
        locked.unlock(Some(&pin(RIGHT))),
        Err(WalletError::Auth(AuthError::WrongPin { .. }))
    ));
    let mut wallet = locked.unlock(Some(&pin("222222"))).unwrap();
    assert_eq!(wallet.documents().unwrap().len(), 1);
    wallet.remove_pin(&pin("222222")).unwrap();
    let locked = wallet.lock();
    assert!(!locked.has_pin().unwrap());
    assert_eq!(locked.unlock(None).unwrap().documents().unwrap().len(), 1);
    // Without a PIN the wrapper's answer is the data key again: the plain store opens.
    assert!(Store::open(dir.path(), &host.wrapper()).is_ok());
}

#[test]
fn lockouts_escalate_and_the_last_one_is_for_good() {
    let dir = tempfile::tempdir().unwrap();
    let host = Host::new(ScriptedUser::default());
    let locked = wallet_with_pin(&host, dir.path(), policy(2, 10, 3));
    let wrong = || locked.unlock(Some(&pin(WRONG))).unwrap_err();
    assert!(matches!(
        wrong(),
        WalletError::Auth(AuthError::WrongPin { attempts_left: 1 })
    ));
    assert!(matches!(
        wrong(),
        WalletError::Auth(AuthError::LockedOut {
            remaining_seconds: 10
        })
    ));
    host.clock.advance(10);
    wrong();
    assert!(matches!(
        wrong(),
        WalletError::Auth(AuthError::LockedOut {
            remaining_seconds: 50
        })
    ));
    host.clock.advance(50);
    wrong();
    let last = wrong();
    assert!(matches!(
        last,
        WalletError::Auth(AuthError::PermanentlyLocked)
    ));
    assert_eq!(last.next_step(), NextStep::Auth(AuthStep::ResetWallet));
    host.clock.advance(10 * 365 * 86_400);
    assert!(matches!(
        locked.unlock(Some(&pin(RIGHT))),
        Err(WalletError::Auth(AuthError::PermanentlyLocked))
    ));
    assert_eq!(locked.lock_status().unwrap(), LockStatus::PermanentlyLocked);
}

#[test]
fn moving_the_clock_neither_shortens_a_lockout_nor_lengthens_a_session() {
    let dir = tempfile::tempdir().unwrap();
    let start = fixtures::NOW as u64;
    let host = Host::with_clock(
        AUTHENTICATOR_SECRET,
        ScriptedUser::default(),
        ManualClock::with_uptime(start, 1_000),
    );
    let locked = wallet_with_pin(&host, dir.path(), policy(1, 60, 5));
    assert!(matches!(
        locked.unlock(Some(&pin(WRONG))),
        Err(WalletError::Auth(AuthError::LockedOut {
            remaining_seconds: 60
        }))
    ));
    // The wall clock moved a day forward: the lockout does not notice.
    host.clock.set(start + 86_400);
    assert_eq!(
        locked.lock_status().unwrap(),
        LockStatus::LockedOut {
            remaining_seconds: 60
        }
    );
    // 20 s really pass (and are seen), then a reboot 5 s into the new boot: 25 s are credited.
    host.clock.advance(20);
    assert_eq!(
        locked.lock_status().unwrap(),
        LockStatus::LockedOut {
            remaining_seconds: 40
        }
    );
    host.clock.reboot(5);
    host.clock.set(start + 10 * 86_400);
    assert_eq!(
        locked.lock_status().unwrap(),
        LockStatus::LockedOut {
            remaining_seconds: 35
        }
    );
    host.clock.advance(35);
    let mut wallet = locked.unlock(Some(&pin(RIGHT))).unwrap();

    // A session: the wall clock set back an hour does not keep it open past its length.
    host.clock.set(start);
    host.clock.advance(u64::from(SESSION_SECS) - 1);
    assert!(wallet.is_unlocked());
    host.clock.set(start - 3_600);
    host.clock.advance(1);
    assert!(!wallet.is_unlocked(), "the session ends by elapsed time");
}

#[test]
fn restoring_an_old_copy_of_the_directory_neither_resets_the_count_nor_rolls_back_records() {
    // Attack: copy the wallet directory, use up the attempts, put the copy back.
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("wallet");
    let backup = root.path().join("backup");
    let host = Host::new(ScriptedUser::default());
    let policy = policy(3, 300, 5);
    let locked = wallet_with_pin(&host, &dir, policy.clone());
    copy_dir(&dir, &backup);

    // The store moves on (a code shown and logged), then the attempts are used up.
    let mut wallet = locked.unlock(Some(&pin(RIGHT))).unwrap();
    let id = wallet.documents().unwrap()[0].id;
    block_on(wallet.show_qr(id, &PresentationRequest::for_purpose(Purpose::HotelCheckIn))).unwrap();
    let locked = wallet.lock();
    for _ in 0..3 {
        let _ = locked.unlock(Some(&pin(WRONG)));
    }
    assert!(matches!(
        locked.lock_status().unwrap(),
        LockStatus::LockedOut { .. }
    ));

    restore(&backup, &dir);
    let reopened = LockedWallet::open(&dir, host.config(policy)).unwrap();
    assert!(
        matches!(
            reopened.unlock(Some(&pin(RIGHT))),
            Err(WalletError::Auth(AuthError::LockedOut { .. }))
        ),
        "the restored directory's zero count lost to the anchor"
    );
    host.clock.advance(300);
    let error = reopened.unlock(Some(&pin(RIGHT))).unwrap_err();
    assert!(
        matches!(
            error,
            WalletError::Store(StoreError::StoreRolledBack { .. })
        ),
        "{error:?}"
    );
    assert_eq!(error.next_step(), NextStep::RestoreOrReset);
}

const CHILD_TEST: &str = "parallel_attempt_child";
const DIR_VAR: &str = "NETID_PIN_RACE_DIR";

/// One process's wrong PIN: waits for the go file, tries once, prints what it evaluated.
#[test]
fn parallel_attempt_child() {
    let Ok(root) = std::env::var(DIR_VAR) else {
        return; // only meaningful as the child of the test below
    };
    let root = Path::new(&root);
    let host = Host::new(ScriptedUser::default());
    let anchors = root.join("anchors");
    let mut config = host.config(policy(5, 300, 5));
    config.wrapper =
        netid_core::keystore::InMemoryKeyWrapper::from_kek(KEK).with_anchor_dir(&anchors);
    let locked = LockedWallet::open(&root.join("wallet"), config).unwrap();
    while !root.join("go").exists() {
        std::thread::sleep(Duration::from_millis(2));
    }
    let outcome = locked.unlock(Some(&pin(WRONG)));
    println!(
        "derivations={} outcome={:?}",
        netid_core::auth::pin::derivations_run(),
        outcome.err()
    );
}

#[test]
fn parallel_processes_get_exactly_the_limit_evaluated() {
    // Attack: run many processes at once, each guessing, hoping the count is read before it is
    // written. Each attempt is reserved in one IMMEDIATE transaction before the PIN is derived.
    let root = tempfile::tempdir().unwrap();
    let anchors = root.path().join("anchors");
    std::fs::create_dir(&anchors).unwrap();
    let host = Host::new(ScriptedUser::default());
    let mut config = host.config(policy(5, 300, 5));
    config.wrapper =
        netid_core::keystore::InMemoryKeyWrapper::from_kek(KEK).with_anchor_dir(&anchors);
    // The recommended cost, so each derivation takes long enough for the processes to overlap.
    config.pin_params = PinParams::RECOMMENDED;
    let mut wallet = LockedWallet::create(&root.path().join("wallet"), config)
        .unwrap()
        .unlock(None)
        .unwrap();
    wallet.set_pin(&pin(RIGHT)).unwrap();
    drop(wallet.lock());

    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..10)
        .map(|_| {
            Command::new(&exe)
                .args(["--exact", CHILD_TEST, "--nocapture", "--test-threads=1"])
                .env(DIR_VAR, root.path())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    std::fs::write(root.path().join("go"), b"").unwrap();
    let mut evaluated = 0;
    let mut outcomes = Vec::new();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success());
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        let line = text
            .lines()
            .find_map(|l| l.split_once("derivations=").map(|(_, rest)| rest))
            .unwrap_or_else(|| panic!("child printed no result: {text}"))
            .to_owned();
        let count: u64 = line.split(' ').next().unwrap().parse().unwrap();
        evaluated += count;
        outcomes.push(line);
    }
    assert_eq!(evaluated, 5, "exactly the limit evaluated: {outcomes:#?}");
}

const CHANGE_CHILD: &str = "pin_change_child";
const CHANGE_DIR_VAR: &str = "NETID_PIN_CHANGE_DIR";
const NEW: &str = "97531864";

/// Changes the PIN from RIGHT to NEW with crash points armed (the parent names where to stop).
#[test]
fn pin_change_child() {
    let Ok(root) = std::env::var(CHANGE_DIR_VAR) else {
        return; // only meaningful as the child of the test below
    };
    let root = Path::new(&root);
    let host = Host::new(ScriptedUser::default());
    let mut config = host.config(AuthPolicy::default());
    config.wrapper = netid_core::keystore::InMemoryKeyWrapper::from_kek(KEK)
        .with_anchor_dir(&root.join("anchors"));
    let mut wallet = LockedWallet::open(&root.join("wallet"), config)
        .unwrap()
        .unlock(Some(&pin(RIGHT)))
        .unwrap();
    netid_core::store::test_support::arm_crash_points();
    wallet.change_pin(&pin(RIGHT), &pin(NEW)).unwrap();
    println!("CHANGED");
}

#[test]
fn a_crash_while_changing_the_pin_leaves_the_old_or_the_new_pin_working() {
    // Attack (or bad luck): the app dies in the middle of a PIN change. Never neither PIN.
    for point in 1..=3u32 {
        let root = tempfile::tempdir().unwrap();
        let anchors = root.path().join("anchors");
        std::fs::create_dir(&anchors).unwrap();
        let host = Host::new(ScriptedUser::default());
        let config = || {
            let mut config = host.config(AuthPolicy::default());
            config.wrapper =
                netid_core::keystore::InMemoryKeyWrapper::from_kek(KEK).with_anchor_dir(&anchors);
            config
        };
        let mut wallet = LockedWallet::create(&root.path().join("wallet"), config())
            .unwrap()
            .unlock(None)
            .unwrap();
        enrol(&mut wallet, host.now()).unwrap();
        wallet.set_pin(&pin(RIGHT)).unwrap();
        drop(wallet.lock());

        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", CHANGE_CHILD, "--nocapture", "--test-threads=1"])
            .env(CHANGE_DIR_VAR, root.path())
            .env(
                netid_core::store::test_support::CRASH_AT_VAR,
                point.to_string(),
            )
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut reached = String::new();
        for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)) {
            let line = line.unwrap();
            if line.contains("CRASH-POINT") || line.contains("CHANGED") {
                reached = line;
                break;
            }
        }
        let _ = child.kill();
        let _ = child.wait();

        let locked = LockedWallet::open(&root.path().join("wallet"), config()).unwrap();
        let old = locked
            .unlock(Some(&pin(RIGHT)))
            .map(|mut w| w.documents().unwrap().len());
        let new = locked
            .unlock(Some(&pin(NEW)))
            .map(|mut w| w.documents().unwrap().len());
        assert!(
            matches!((&old, &new), (Ok(1), Err(_)) | (Err(_), Ok(1))),
            "killed at {reached:?}: exactly one PIN must open the wallet with its document, got old {old:?}, new {new:?}"
        );
        if reached.contains("before commit") {
            assert!(
                old.is_ok(),
                "killed before the commit: the old PIN still works"
            );
        }
        if reached.contains("after commit") || reached.contains("CHANGED") {
            assert!(new.is_ok(), "killed after the commit: the new PIN works");
        }
    }
}
