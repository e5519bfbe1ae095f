//! The policy's gates: which actions prompt, how long an authentication counts, and that an
//! authentication only counts when the secure area proved it with a verifying signature.

mod auth_support;

use std::num::NonZeroU32;
use std::sync::Arc;

use auth_support::*;
use netid_core::auth::{Action, Auth, AuthError, AuthPolicy, Gate, MemoryAuthStateStore};
use netid_core::block_on::block_on;
use netid_core::secure_area::{KeyAuthPolicy, RecordedHolderKey};

const T0: u64 = 1_800_000_000;

struct Setup {
    clock: Arc<ManualClock>,
    auth: Auth<MemoryAuthStateStore, Arc<ManualClock>>,
    host: ScriptedHostArea,
    key: RecordedHolderKey,
}

fn setup(policy: AuthPolicy) -> Setup {
    let clock = Arc::new(ManualClock::at(T0));
    let auth = Auth::open(policy, MemoryAuthStateStore::new(), clock.clone()).unwrap();
    let host = ScriptedHostArea::new();
    let key = block_on(RecordedHolderKey::create(
        &host,
        alias("doc-1"),
        KeyAuthPolicy::EveryUse,
    ))
    .unwrap();
    Setup {
        clock,
        auth,
        host,
        key,
    }
}

impl Setup {
    fn authorize(&self, action: Action) -> Result<(), AuthError> {
        block_on(self.auth.authorize(action, &self.host, &self.key)).map(|authorized| {
            assert_eq!(authorized.action(), action);
        })
    }
}

#[test]
fn default_policy_is_the_four_gates() {
    let policy = AuthPolicy::default();
    assert_eq!(
        policy.view_details,
        Gate::FreshWithin(NonZeroU32::new(300).unwrap())
    );
    assert_eq!(policy.show_qr, Gate::EveryTime);
    assert_eq!(policy.delete_document, Gate::EveryTime);
    assert_eq!(policy.export_log, Gate::EveryTime);
    assert_eq!(policy.holder_key_policy(), KeyAuthPolicy::EveryUse);
}

#[test]
fn details_reuse_an_authentication_for_five_minutes_then_ask_again() {
    let s = setup(AuthPolicy::default());
    s.authorize(Action::ViewDetails).unwrap();
    assert_eq!(s.host.sign_calls(), 1);
    s.clock.advance(300);
    s.authorize(Action::ViewDetails).unwrap();
    assert_eq!(s.host.sign_calls(), 1, "within five minutes: no prompt");
    s.clock.advance(1);
    s.authorize(Action::ViewDetails).unwrap();
    assert_eq!(s.host.sign_calls(), 2, "after five minutes: prompted");
}

#[test]
fn qr_delete_and_export_ask_every_time() {
    let s = setup(AuthPolicy::default());
    let mut expected = 0;
    for action in [Action::ShowQr, Action::DeleteDocument, Action::ExportLog] {
        for _ in 0..2 {
            s.authorize(action).unwrap();
            expected += 1;
            assert_eq!(s.host.sign_calls(), expected, "{action:?}");
        }
    }
}

#[test]
fn an_ungated_action_never_prompts() {
    let s = setup(AuthPolicy {
        export_log: Gate::None,
        ..AuthPolicy::default()
    });
    s.authorize(Action::ExportLog).unwrap();
    assert_eq!(s.host.sign_calls(), 0);
}

#[test]
fn setting_the_clock_back_does_not_stretch_an_authentication() {
    let s = setup(AuthPolicy::default());
    s.authorize(Action::ViewDetails).unwrap();
    s.clock.advance(400);
    assert!(s.auth.lock_status().is_ok()); // the wallet sees the later time
    s.clock.set(T0); // and then the clock is set back to the authentication time
    s.authorize(Action::ViewDetails).unwrap();
    assert_eq!(
        s.host.sign_calls(),
        2,
        "stale authentication was not reused"
    );
}

#[test]
fn ending_the_session_forgets_the_authentication() {
    let s = setup(AuthPolicy::default());
    s.authorize(Action::ViewDetails).unwrap();
    s.auth.end_session();
    s.authorize(Action::ViewDetails).unwrap();
    assert_eq!(s.host.sign_calls(), 2);
}

#[test]
fn a_host_answering_success_without_a_valid_signature_authorizes_nothing() {
    let s = setup(AuthPolicy::default());
    for answer in [
        HostAnswer::YesWithGarbage,
        HostAnswer::SignWithOtherKey,
        HostAnswer::SignOtherMessage,
    ] {
        s.host.then(answer);
        let outcome = s.authorize(Action::ViewDetails);
        assert!(
            matches!(outcome, Err(AuthError::SecureAreaMisbehaved { .. })),
            "{outcome:?}"
        );
    }
    // Nothing was recorded as a proven authentication: the next view prompts again.
    s.authorize(Action::ViewDetails).unwrap();
    assert_eq!(s.host.sign_calls(), 4);
}

#[test]
fn gate_challenges_are_fresh_and_never_look_like_a_presentation() {
    let s = setup(AuthPolicy::default());
    s.authorize(Action::DeleteDocument).unwrap();
    s.authorize(Action::DeleteDocument).unwrap();
    let signed = s.host.signed_messages();
    assert_eq!(signed.len(), 2);
    assert_ne!(signed[0], signed[1]);
    for message in signed {
        assert!(message.starts_with(b"netid user authentication v1\0"));
        assert_ne!(message[0], 0x84, "a COSE Sig_structure starts with 0x84");
    }
}

#[test]
fn a_presentation_signature_comes_out_verified() {
    let s = setup(AuthPolicy::default());
    let message = b"\x84\x6aSignature1...";
    let signature = block_on(
        s.auth
            .sign_authenticated(Action::ShowQr, &s.host, &s.key, message),
    )
    .unwrap();
    let checked = s
        .key
        .check(
            message,
            &netid_core::secure_area::UncheckedSignature(
                p256::ecdsa::Signature::from_slice(&signature.to_raw_bytes())
                    .unwrap()
                    .to_der()
                    .as_bytes()
                    .to_vec(),
            ),
        )
        .unwrap();
    assert_eq!(checked, signature);
    s.host.then(HostAnswer::SignOtherMessage);
    assert!(matches!(
        block_on(
            s.auth
                .sign_authenticated(Action::ShowQr, &s.host, &s.key, message)
        ),
        Err(AuthError::SecureAreaMisbehaved { .. })
    ));
}

#[test]
fn the_holder_key_policy_follows_the_strictest_gate() {
    let within = |seconds| Gate::FreshWithin(NonZeroU32::new(seconds).unwrap());
    let seconds = |n| KeyAuthPolicy::WithinSeconds(NonZeroU32::new(n).unwrap());
    let all = |gate| AuthPolicy {
        view_details: gate,
        show_qr: gate,
        delete_document: gate,
        export_log: gate,
        ..AuthPolicy::default()
    };
    assert_eq!(all(within(60)).holder_key_policy(), seconds(60));
    assert_eq!(all(Gate::None).holder_key_policy(), seconds(300));
    // A QR every 30 s but deletion every time: the key must prompt every time, or a deletion
    // right after a QR would go through without a prompt.
    let mixed = AuthPolicy {
        show_qr: within(30),
        ..AuthPolicy::default()
    };
    assert_eq!(mixed.holder_key_policy(), KeyAuthPolicy::EveryUse);
    let relaxed = AuthPolicy {
        show_qr: within(30),
        delete_document: within(120),
        export_log: Gate::None,
        ..AuthPolicy::default()
    };
    assert_eq!(relaxed.holder_key_policy(), seconds(30));
}

#[test]
fn auth_futures_are_send_for_the_ffi_layer() {
    fn assert_send<T: Send>(_: &T) {}
    let s = setup(AuthPolicy::default());
    let authorize = s.auth.authorize(Action::ShowQr, &s.host, &s.key);
    assert_send(&authorize);
    block_on(authorize).unwrap();
    let sign = s
        .auth
        .sign_authenticated(Action::ShowQr, &s.host, &s.key, b"p");
    assert_send(&sign);
    block_on(sign).unwrap();
}
