//! Failed attempts lock the wallet out; the lockout is persisted, survives reopening, cannot be
//! shortened by setting the clock back, and no PIN result is revealed before its attempt counts.

mod auth_support;

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use auth_support::*;
use netid_core::auth::{
    Action, Auth, AuthError, AuthPolicy, AuthStateStore, LockStatus, MemoryAuthStateStore, NextStep,
};
use netid_core::block_on::block_on;
use netid_core::secure_area::{KeyAuthPolicy, RecordedHolderKey, SecureAreaError};

const T0: u64 = 1_800_000_000;
const LOCKOUT: u64 = 60;

fn policy() -> AuthPolicy {
    AuthPolicy {
        max_failed_attempts: NonZeroU32::new(3).unwrap(),
        lockout: Duration::from_secs(LOCKOUT),
        ..AuthPolicy::default()
    }
}

const RIGHT_PIN: &str = "246810";

fn auth_with_pin<S: AuthStateStore>(
    store: S,
    clock: Arc<ManualClock>,
) -> Auth<S, Arc<ManualClock>> {
    Auth::open(policy(), store, clock).expect("opened")
}

/// A PIN check as the wallet makes one: `attempt_pin` reserves the attempt, then the check (here
/// a comparison standing in for opening the PIN layer) says right or wrong.
fn verify_pin<S: AuthStateStore>(
    auth: &Auth<S, Arc<ManualClock>>,
    typed: &str,
) -> Result<(), AuthError> {
    auth.attempt_pin(|| Ok((typed == RIGHT_PIN).then_some(())))
}

#[test]
fn wrong_pin_n_times_locks_out_with_the_time_remaining() {
    let clock = Arc::new(ManualClock::at(T0));
    let auth = auth_with_pin(MemoryAuthStateStore::new(), clock.clone());
    let wrong = "000000";

    assert_eq!(
        verify_pin(&auth, wrong),
        Err(AuthError::WrongPin { attempts_left: 2 })
    );
    assert_eq!(
        verify_pin(&auth, wrong),
        Err(AuthError::WrongPin { attempts_left: 1 })
    );
    let locked = verify_pin(&auth, wrong);
    assert_eq!(
        locked,
        Err(AuthError::LockedOut {
            remaining_seconds: LOCKOUT
        })
    );
    assert_eq!(
        locked.unwrap_err().next_step(),
        NextStep::WaitThenTryAgain { seconds: LOCKOUT }
    );

    clock.advance(10);
    assert_eq!(
        verify_pin(&auth, "246810"),
        Err(AuthError::LockedOut {
            remaining_seconds: LOCKOUT - 10
        }),
        "even the right PIN is refused while locked out"
    );
    assert_eq!(
        auth.lock_status().unwrap(),
        LockStatus::LockedOut {
            remaining_seconds: LOCKOUT - 10
        }
    );

    clock.advance(LOCKOUT - 10);
    assert_eq!(verify_pin(&auth, "246810"), Ok(()));
    assert_eq!(
        auth.lock_status().unwrap(),
        LockStatus::Open { attempts_left: 3 }
    );
}

#[test]
fn lockout_survives_closing_and_reopening() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("auth-state");
    let clock = Arc::new(ManualClock::at(T0));
    {
        let auth = auth_with_pin(FileStateStore { path: path.clone() }, clock.clone());
        for _ in 0..3 {
            let _ = verify_pin(&auth, "111111");
        }
    } // the Auth and its store are gone; only the file remains

    clock.advance(5);
    let reopened = Auth::open(
        policy(),
        FileStateStore { path: path.clone() },
        clock.clone(),
    )
    .expect("reopened");
    assert_eq!(
        reopened.lock_status().unwrap(),
        LockStatus::LockedOut {
            remaining_seconds: LOCKOUT - 5
        }
    );
    assert_eq!(
        verify_pin(&reopened, "246810"),
        Err(AuthError::LockedOut {
            remaining_seconds: LOCKOUT - 5
        })
    );
}

#[test]
fn setting_the_clock_back_does_not_shorten_a_lockout() {
    let store = MemoryAuthStateStore::new();
    let clock = Arc::new(ManualClock::at(T0));
    let auth = auth_with_pin(store.clone(), clock.clone());
    for _ in 0..3 {
        let _ = verify_pin(&auth, "111111");
    }
    let locked = |remaining_seconds| LockStatus::LockedOut { remaining_seconds };

    clock.set(T0 - 3_600);
    assert_eq!(auth.lock_status().unwrap(), locked(LOCKOUT));

    clock.set(T0 + 20);
    assert_eq!(auth.lock_status().unwrap(), locked(LOCKOUT - 20));

    // Back again, and reopen: time stays at the high-water mark, the lockout does not shrink.
    clock.set(0);
    drop(auth);
    let reopened = Auth::open(policy(), store, clock.clone()).unwrap();
    assert_eq!(reopened.lock_status().unwrap(), locked(LOCKOUT - 20));
    assert_eq!(
        verify_pin(&reopened, "246810"),
        Err(AuthError::LockedOut {
            remaining_seconds: LOCKOUT - 20
        })
    );

    // Real time passing still ends it.
    clock.set(T0 + LOCKOUT);
    assert_eq!(verify_pin(&reopened, "246810"), Ok(()));
}

#[test]
fn a_pin_result_is_never_revealed_unless_the_attempt_was_saved_first() {
    let clock = Arc::new(ManualClock::at(T0));
    let seeded = MemoryAuthStateStore::new();
    let _ = auth_with_pin(seeded.clone(), clock.clone());
    let state = seeded.load().unwrap().expect("state with PIN");

    for (typed, label) in [("246810", "right PIN"), ("999999", "wrong PIN")] {
        // Storage takes the open, then refuses to count the attempt: no answer either way, and
        // nothing changed.
        let refusing = Arc::new(BudgetedStore::with_state(Some(state.clone()), 1));
        let auth = Auth::open(policy(), refusing.clone(), clock.clone()).unwrap();
        let outcome = verify_pin(&auth, typed);
        assert!(
            matches!(outcome, Err(AuthError::StateStore(_))),
            "{label}: {outcome:?}"
        );
        assert_eq!(refusing.last().unwrap().failed_attempts(), 0, "{label}");

        // Storage counts the attempt, then fails: the answer is still withheld (right and wrong
        // PINs look the same) and the saved state records the attempt as failed.
        let flaky = Arc::new(BudgetedStore::with_state(Some(state.clone()), 2));
        let auth = Auth::open(policy(), flaky.clone(), clock.clone()).unwrap();
        let outcome = verify_pin(&auth, typed);
        assert!(
            matches!(outcome, Err(AuthError::StateStore(_))),
            "{label}: {outcome:?}"
        );
        assert_eq!(flaky.last().unwrap().failed_attempts(), 1, "{label}");
    }
}

#[test]
fn a_right_pin_resets_the_count_and_a_wrong_one_is_saved_as_failed() {
    let store = Arc::new(BudgetedStore::with_state(None, usize::MAX));
    let auth = auth_with_pin(store.clone(), Arc::new(ManualClock::at(T0)));
    let _ = verify_pin(&auth, "000000");
    assert_eq!(store.last().unwrap().failed_attempts(), 1);
    let _ = verify_pin(&auth, "000000");
    assert_eq!(store.last().unwrap().failed_attempts(), 2);
    verify_pin(&auth, "246810").unwrap();
    assert_eq!(store.last().unwrap().failed_attempts(), 0);
    assert_eq!(
        auth.lock_status().unwrap(),
        LockStatus::Open { attempts_left: 3 }
    );
}

#[test]
fn unrecognised_biometrics_count_toward_the_lockout_and_then_no_prompt_is_shown() {
    let clock = Arc::new(ManualClock::at(T0));
    let auth = Auth::open(policy(), MemoryAuthStateStore::new(), clock.clone()).unwrap();
    let host = ScriptedHostArea::new();
    let key = block_on(RecordedHolderKey::create(
        &host,
        alias("doc-1"),
        KeyAuthPolicy::EveryUse,
    ))
    .unwrap();
    for _ in 0..3 {
        host.then(HostAnswer::Refuse(SecureAreaError::Failed));
    }

    let show = || block_on(auth.sign_authenticated(Action::ShowQr, &host, &key, b"presentation"));
    assert_eq!(show(), Err(AuthError::Failed { attempts_left: 2 }));
    assert_eq!(show(), Err(AuthError::Failed { attempts_left: 1 }));
    assert_eq!(
        show(),
        Err(AuthError::LockedOut {
            remaining_seconds: LOCKOUT
        })
    );
    let prompts_so_far = host.sign_calls();
    assert_eq!(
        show(),
        Err(AuthError::LockedOut {
            remaining_seconds: LOCKOUT
        })
    );
    assert_eq!(
        block_on(auth.authorize(Action::ViewDetails, &host, &key)),
        Err(AuthError::LockedOut {
            remaining_seconds: LOCKOUT
        })
    );
    assert_eq!(
        host.sign_calls(),
        prompts_so_far,
        "no prompt while locked out"
    );

    clock.advance(LOCKOUT);
    show().expect("after the lockout the user can sign again");
}

#[test]
fn a_cancelled_prompt_is_not_counted() {
    let auth = Auth::open(
        policy(),
        MemoryAuthStateStore::new(),
        Arc::new(ManualClock::at(T0)),
    )
    .unwrap();
    let host = ScriptedHostArea::new();
    let key = block_on(RecordedHolderKey::create(
        &host,
        alias("doc-1"),
        KeyAuthPolicy::EveryUse,
    ))
    .unwrap();
    for _ in 0..5 {
        host.then(HostAnswer::Refuse(SecureAreaError::Cancelled));
        assert_eq!(
            block_on(auth.sign_authenticated(Action::ShowQr, &host, &key, b"p")),
            Err(AuthError::Cancelled)
        );
    }
    assert_eq!(
        auth.lock_status().unwrap(),
        LockStatus::Open { attempts_left: 3 }
    );
}

#[test]
fn a_lockout_shorter_than_a_second_is_an_invalid_policy() {
    let policy = AuthPolicy {
        lockout: Duration::from_millis(500),
        ..AuthPolicy::default()
    };
    assert!(matches!(
        Auth::open(
            policy,
            MemoryAuthStateStore::new(),
            Arc::new(ManualClock::at(T0))
        ),
        Err(AuthError::InvalidPolicy { .. })
    ));
}

#[test]
fn a_damaged_state_record_is_refused_and_left_as_it_was() {
    // Resetting a damaged record would hand out fresh attempts, so `Auth` refuses to open and
    // the record stays for inspection.
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("auth-state");
    let damaged = vec![1u8, 0, 0, 0, 9, 7];
    std::fs::write(&path, &damaged).unwrap();
    let outcome = Auth::open(
        policy(),
        FileStateStore { path: path.clone() },
        Arc::new(ManualClock::at(T0)),
    );
    let error = outcome.expect_err("damaged state refused");
    assert!(matches!(error, AuthError::StateStore(_)), "{error:?}");
    assert_eq!(error.next_step(), NextStep::ReportProblem);
    assert_eq!(std::fs::read(&path).unwrap(), damaged);
}
