//! The wallet PIN: format, Argon2id cost, the device secret mixed in, and the persisted state
//! encoding that the store keeps.

mod auth_support;

use std::sync::Arc;

use auth_support::ManualClock;
use netid_core::auth::{
    Auth, AuthError, AuthPolicy, AuthState, AuthStateStore, DeviceSecret, MemoryAuthStateStore,
    NextStep, Pin, PinFormatError, PinParams,
};
use zeroize::Zeroizing;

const T0: u64 = 1_800_000_000;

fn open(store: MemoryAuthStateStore) -> Auth<MemoryAuthStateStore, Arc<ManualClock>> {
    Auth::open(AuthPolicy::default(), store, Arc::new(ManualClock::at(T0))).unwrap()
}

fn secret(byte: u8) -> DeviceSecret {
    DeviceSecret::new(Zeroizing::new([byte; 32]))
}

fn pin(digits: &str) -> Pin {
    Pin::new(digits).unwrap()
}

#[test]
fn a_pin_is_six_to_sixty_four_digits() {
    assert_eq!(
        Pin::new("12345").unwrap_err(),
        PinFormatError::TooShort { min: 6 }
    );
    assert_eq!(
        Pin::new("").unwrap_err(),
        PinFormatError::TooShort { min: 6 }
    );
    for not_digits in ["12a456", "123 456", "１２３４５６", "-123456"] {
        assert_eq!(Pin::new(not_digits).unwrap_err(), PinFormatError::NotDigits);
    }
    assert_eq!(
        Pin::new(&"1".repeat(65)).unwrap_err(),
        PinFormatError::TooLong { max: 64 }
    );
    assert!(Pin::new("123456").is_ok());
    assert!(Pin::new(&"9".repeat(64)).is_ok());
    let error = AuthError::from(Pin::new("12").unwrap_err());
    assert_eq!(error.next_step(), NextStep::ChooseValidPin);
}

#[test]
fn default_cost_is_argon2id_at_or_above_owasp() {
    let params = PinParams::RECOMMENDED;
    assert!(params.memory_kib() >= 64 * 1024);
    assert!(params.iterations() >= 3);
    assert_eq!(params.parallelism(), 1);
}

#[test]
fn right_pin_is_accepted_and_wrong_pin_is_rejected() {
    let auth = open(MemoryAuthStateStore::new());
    auth.set_pin(
        &pin("135790"),
        &secret(1),
        PinParams::INSECURE_FAST_FOR_TESTS,
    )
    .unwrap();
    assert_eq!(auth.verify_pin(&pin("135790"), &secret(1)), Ok(()));
    assert_eq!(
        auth.verify_pin(&pin("135791"), &secret(1)),
        Err(AuthError::WrongPin { attempts_left: 4 })
    );
    assert_eq!(
        auth.verify_pin(&pin("1357900"), &secret(1)),
        Err(AuthError::WrongPin { attempts_left: 3 })
    );
}

#[test]
fn guessing_needs_the_device_secret() {
    let store = MemoryAuthStateStore::new();
    let auth = open(store.clone());
    auth.set_pin(
        &pin("135790"),
        &secret(1),
        PinParams::INSECURE_FAST_FOR_TESTS,
    )
    .unwrap();
    // A copy of the stored state checked with any other secret never matches, even for the
    // right PIN.
    let copied = open(store);
    assert_eq!(
        copied.verify_pin(&pin("135790"), &secret(2)),
        Err(AuthError::WrongPin { attempts_left: 4 })
    );
}

#[test]
fn the_stored_state_holds_neither_the_pin_nor_a_reusable_key() {
    let store = MemoryAuthStateStore::new();
    let auth = open(store.clone());
    auth.set_pin(
        &pin("864209"),
        &secret(1),
        PinParams::INSECURE_FAST_FOR_TESTS,
    )
    .unwrap();
    let bytes = store.load().unwrap().unwrap().to_bytes();
    assert!(!bytes.windows(6).any(|window| window == b"864209"));
    // Setting the same PIN again yields a different verifier (fresh salt).
    let other_store = MemoryAuthStateStore::new();
    open(other_store.clone())
        .set_pin(
            &pin("864209"),
            &secret(1),
            PinParams::INSECURE_FAST_FOR_TESTS,
        )
        .unwrap();
    assert_ne!(other_store.load().unwrap().unwrap().to_bytes(), bytes);
}

#[test]
fn a_second_pin_needs_the_current_one() {
    let auth = open(MemoryAuthStateStore::new());
    assert_eq!(
        auth.verify_pin(&pin("111111"), &secret(1)),
        Err(AuthError::PinNotSet)
    );
    assert_eq!(AuthError::PinNotSet.next_step(), NextStep::SetUpPin);
    auth.set_pin(
        &pin("111111"),
        &secret(1),
        PinParams::INSECURE_FAST_FOR_TESTS,
    )
    .unwrap();
    assert_eq!(
        auth.set_pin(
            &pin("222222"),
            &secret(1),
            PinParams::INSECURE_FAST_FOR_TESTS
        ),
        Err(AuthError::PinAlreadySet)
    );
    assert_eq!(
        auth.change_pin(
            &pin("999999"),
            &pin("222222"),
            &secret(1),
            PinParams::INSECURE_FAST_FOR_TESTS
        ),
        Err(AuthError::WrongPin { attempts_left: 4 })
    );
    auth.change_pin(
        &pin("111111"),
        &pin("222222"),
        &secret(1),
        PinParams::INSECURE_FAST_FOR_TESTS,
    )
    .unwrap();
    assert_eq!(auth.verify_pin(&pin("222222"), &secret(1)), Ok(()));
    assert_eq!(
        auth.verify_pin(&pin("111111"), &secret(1)),
        Err(AuthError::WrongPin { attempts_left: 4 })
    );
}

#[test]
fn state_bytes_round_trip_and_every_damage_is_a_typed_error() {
    let store = MemoryAuthStateStore::new();
    let auth = open(store.clone());
    auth.set_pin(
        &pin("135790"),
        &secret(1),
        PinParams::INSECURE_FAST_FOR_TESTS,
    )
    .unwrap();
    let _ = auth.verify_pin(&pin("000000"), &secret(1));
    let state = store.load().unwrap().unwrap();
    let bytes = state.to_bytes();
    assert_eq!(AuthState::from_bytes(&bytes).unwrap(), state);
    assert_eq!(state.failed_attempts(), 1);
    assert_eq!(state.clock_high_water(), T0);
    assert!(state.has_pin());

    for length in 0..bytes.len() {
        assert!(
            AuthState::from_bytes(&bytes[..length]).is_err(),
            "truncated to {length}"
        );
    }
    let mut trailing = bytes.clone();
    trailing.push(0);
    assert!(AuthState::from_bytes(&trailing).is_err());
    let mut version = bytes.clone();
    version[0] = 2;
    assert!(AuthState::from_bytes(&version).is_err());
    let mut flag = bytes.clone();
    flag[5] = 2; // lock flag
    assert!(AuthState::from_bytes(&flag).is_err());
    let mut stray_end = bytes.clone();
    stray_end[13] = 1; // a lockout end without the lock flag
    assert!(AuthState::from_bytes(&stray_end).is_err());
    let mut params = bytes.clone();
    params[39..43].copy_from_slice(&0u32.to_be_bytes()); // Argon2 memory of 0 KiB
    assert!(AuthState::from_bytes(&params).is_err());
}

#[test]
fn secrets_never_appear_in_debug_output() {
    assert_eq!(format!("{:?}", pin("123456")), "Pin(<redacted>)");
    assert_eq!(format!("{:?}", secret(0xAB)), "DeviceSecret(<redacted>)");
    let store = MemoryAuthStateStore::new();
    open(store.clone())
        .set_pin(
            &pin("123456"),
            &secret(1),
            PinParams::INSECURE_FAST_FOR_TESTS,
        )
        .unwrap();
    let state = store.load().unwrap().unwrap();
    let debug = format!("{state:?}");
    assert!(
        !debug.contains("verifier:") && !debug.contains("salt"),
        "{debug}"
    );
}

proptest::proptest! {
    /// Whatever bytes the store hands back, reading them is an answer, never a panic, and
    /// anything accepted re-encodes to exactly the same bytes (no silent reinterpretation).
    #[test]
    fn arbitrary_state_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..120)) {
        if let Ok(state) = AuthState::from_bytes(&bytes) {
            proptest::prop_assert_eq!(state.to_bytes(), bytes);
        }
    }
}
