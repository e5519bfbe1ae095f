//! The wallet's authentication outcomes: lockouts that survive closing the wallet, the PIN, each
//! biometric failure with its own next step, and hosts that say "yes" without a signature.

#[path = "auth_support/mod.rs"]
mod auth_support;
#[path = "vectors/fixtures.rs"]
mod fixtures;
#[path = "wallet_support/mod.rs"]
mod wallet_support;

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use auth_support::{HostAnswer, NEW_AUTHENTICATOR_SECRET, ScriptedHostArea, ScriptedUser};
use netid_core::auth::{
    AuthError, AuthPolicy, DeviceCredentialFallback, NextStep as AuthStep, Pin,
};
use netid_core::block_on::block_on;
use netid_core::keystore::InMemoryKeyWrapper;
use netid_core::present::{PresentationRequest, Purpose};
use netid_core::secure_area::{
    CreatedKey, HolderPublicKey, KeyAlias, KeyAuthPolicy, Prompt, PromptReason, SecureArea,
    SecureAreaError, UncheckedSignature,
};
use netid_core::wallet::{HostArea, LockedWallet, NextStep, WalletConfig, WalletError};
use wallet_support::*;

fn policy(max_failed: u32) -> AuthPolicy {
    AuthPolicy {
        max_failed_attempts: NonZeroU32::new(max_failed).unwrap(),
        lockout: Duration::from_secs(300),
        ..AuthPolicy::default()
    }
}

fn hotel() -> PresentationRequest {
    PresentationRequest::for_purpose(Purpose::HotelCheckIn)
}

#[test]
fn biometric_lockout_survives_closing_and_reopening_the_wallet() {
    let dir = tempfile::tempdir().unwrap();
    let failed = || Err(SecureAreaError::Failed);
    // enrolment passes, then three failures
    let host = Host::new(ScriptedUser::answering(vec![
        Ok(()),
        failed(),
        failed(),
        failed(),
    ]));
    let mut wallet = host.create(dir.path(), policy(3)).unlock(None).unwrap();
    let id = enrol(&mut wallet, host.now()).unwrap().id;

    let error = block_on(wallet.show_qr(id, &hotel())).unwrap_err();
    assert!(matches!(
        error,
        WalletError::Auth(AuthError::Failed { attempts_left: 2 })
    ));
    assert_eq!(error.next_step(), NextStep::Auth(AuthStep::TryAgain));
    block_on(wallet.show_qr(id, &hotel())).unwrap_err();
    let error = block_on(wallet.show_qr(id, &hotel())).unwrap_err();
    assert!(matches!(
        error,
        WalletError::Auth(AuthError::LockedOut {
            remaining_seconds: 300
        })
    ));
    drop(wallet.lock());

    // a new process: the lockout is read back from the encrypted store, time still running
    host.clock.advance(100);
    let reopened = host.open(dir.path(), policy(3));
    let mut wallet = reopened.unlock(None).unwrap();
    let prompts = host.user().prompts();
    let error = block_on(wallet.show_qr(id, &hotel())).unwrap_err();
    assert!(matches!(
        error,
        WalletError::Auth(AuthError::LockedOut {
            remaining_seconds: 200
        })
    ));
    assert_eq!(
        error.next_step(),
        NextStep::Auth(AuthStep::WaitThenTryAgain { seconds: 200 })
    );
    assert_eq!(host.user().prompts(), prompts, "no prompt while locked out");

    // the failures and the lockout are in the log
    host.clock.advance(200);
    let mut wallet = wallet.lock().unlock(None).unwrap();
    block_on(wallet.show_qr(id, &hotel())).unwrap();
    let kinds: Vec<_> = block_on(wallet.export_activity(100))
        .unwrap()
        .iter()
        .map(|e| e.kind)
        .collect();
    use netid_core::store::ActivityKind::*;
    assert_eq!(
        kinds.iter().filter(|k| **k == FailedAuthentication).count(),
        2
    );
    assert_eq!(kinds.iter().filter(|k| **k == Lockout).count(), 2);
}

#[test]
fn wrong_pin_n_times_locks_out_with_the_time_remaining_across_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let host = Host::new(ScriptedUser::default());
    let mut wallet = host.create(dir.path(), policy(3)).unlock(None).unwrap();
    wallet.set_pin(&Pin::new("246810").unwrap()).unwrap();
    drop(wallet.lock());

    let pin_policy = AuthPolicy {
        require_pin: true,
        ..policy(3)
    };
    let locked = host.open(dir.path(), pin_policy.clone());
    let error = locked.unlock(None).unwrap_err();
    assert!(matches!(error, WalletError::PinRequired));
    assert_eq!(error.next_step(), NextStep::EnterPin);

    let wrong = Pin::new("135790").unwrap();
    for attempts_left in [2, 1] {
        let error = locked.unlock(Some(&wrong)).unwrap_err();
        assert!(
            matches!(error, WalletError::Auth(AuthError::WrongPin { attempts_left: n }) if n == attempts_left),
            "{error:?}"
        );
    }
    let error = locked.unlock(Some(&wrong)).unwrap_err();
    assert!(matches!(
        error,
        WalletError::Auth(AuthError::LockedOut {
            remaining_seconds: 300
        })
    ));

    // closed and reopened, 60 s later: even the right PIN is refused, with 240 s to go
    drop(locked);
    host.clock.advance(60);
    let locked = host.open(dir.path(), pin_policy);
    let right = Pin::new("246810").unwrap();
    let error = locked.unlock(Some(&right)).unwrap_err();
    assert!(matches!(
        error,
        WalletError::Auth(AuthError::LockedOut {
            remaining_seconds: 240
        })
    ));
    assert_eq!(
        error.next_step(),
        NextStep::Auth(AuthStep::WaitThenTryAgain { seconds: 240 })
    );
    host.clock.advance(240);
    locked.unlock(Some(&right)).unwrap();
}

#[test]
fn cancelled_failed_not_enrolled_each_has_its_own_error_and_next_step() {
    let dir = tempfile::tempdir().unwrap();
    let host = Host::new(ScriptedUser::answering(vec![
        Ok(()),
        Err(SecureAreaError::Cancelled),
        Err(SecureAreaError::Failed),
        Err(SecureAreaError::NotEnrolled),
        Err(SecureAreaError::SystemLockedOut),
    ]));
    let mut wallet = host.create(dir.path(), policy(5)).unlock(None).unwrap();
    let id = enrol(&mut wallet, host.now()).unwrap().id;

    let outcomes: Vec<WalletError> = (0..4)
        .map(|_| block_on(wallet.show_qr(id, &hotel())).unwrap_err())
        .collect();
    assert!(matches!(
        outcomes[0],
        WalletError::Auth(AuthError::Cancelled)
    ));
    assert_eq!(outcomes[0].next_step(), NextStep::Auth(AuthStep::TryAgain));
    assert!(matches!(
        outcomes[1],
        WalletError::Auth(AuthError::Failed { attempts_left: 4 })
    ));
    assert!(matches!(
        outcomes[2],
        WalletError::Auth(AuthError::NotEnrolled)
    ));
    assert_eq!(
        outcomes[2].next_step(),
        NextStep::Auth(AuthStep::EnrolBiometricsInSystemSettings)
    );
    assert!(matches!(
        outcomes[3],
        WalletError::Auth(AuthError::SystemLockedOut)
    ));
    assert_eq!(
        outcomes[3].next_step(),
        NextStep::Auth(AuthStep::UnlockDeviceWithPasscode)
    );
    // a cancel is not a failure: only one attempt was counted
    assert_eq!(
        wallet.lock_status().unwrap(),
        netid_core::auth::LockStatus::Open { attempts_left: 4 }
    );
    block_on(wallet.show_qr(id, &hotel())).unwrap();
}

#[test]
fn key_invalidated_by_new_biometrics_asks_for_re_enrolment() {
    let dir = tempfile::tempdir().unwrap();
    let host = Host::new(ScriptedUser::default());
    let mut wallet = host.create(dir.path(), policy(5)).unlock(None).unwrap();
    let id = enrol(&mut wallet, host.now()).unwrap().id;
    drop(wallet.lock());

    // the enrolled biometrics changed: the authenticator has a new secret (a new enrolment)
    let changed = Host::with_secret(NEW_AUTHENTICATOR_SECRET, ScriptedUser::default());
    let mut wallet = changed.open(dir.path(), policy(5)).unlock(None).unwrap();
    let error = block_on(wallet.show_qr(id, &hotel())).unwrap_err();
    assert!(
        matches!(error, WalletError::Auth(AuthError::HolderKeyInvalidated)),
        "{error:?}"
    );
    assert_eq!(error.next_step(), NextStep::Auth(AuthStep::ReEnrolDocument));
    // re-enrolment works with the new biometrics
    let renewed = enrol(&mut wallet, changed.now()).unwrap();
    assert_ne!(renewed.id, id);
    block_on(wallet.show_qr(renewed.id, &hotel())).unwrap();
    // the dead entry is deleted with the new key's authentication (its own key cannot sign),
    // and the log, gated by the oldest key (the dead one), still exports
    let prompts = changed.user().prompts();
    block_on(wallet.delete_document(id)).unwrap();
    assert_eq!(
        changed.user().prompts(),
        prompts + 1,
        "one proven authentication"
    );
    let ids: Vec<_> = wallet.documents().unwrap().iter().map(|d| d.id).collect();
    assert_eq!(ids, vec![renewed.id]);
    assert!(!block_on(wallet.export_activity(10)).unwrap().is_empty());
}

type HostWallet =
    LockedWallet<InMemoryKeyWrapper, HostArea<ScriptedHostArea>, auth_support::ManualClock>;

fn host_wallet(dir: &std::path::Path, area: Arc<ScriptedHostArea>, host: &Host) -> HostWallet {
    let software = host.config(policy(5));
    LockedWallet::create(
        dir,
        WalletConfig {
            wrapper: software.wrapper,
            area: HostArea::new(area),
            clock: software.clock,
            policy: software.policy,
            session_secs: software.session_secs,
            pin_params: software.pin_params,
            pool: software.pool,
            presentation: software.presentation,
        },
    )
    .unwrap()
}

#[test]
fn a_host_that_says_yes_without_a_valid_signature_cannot_present() {
    let dir = tempfile::tempdir().unwrap();
    let host = Host::new(ScriptedUser::default());
    let area = Arc::new(ScriptedHostArea::new());
    let mut wallet = host_wallet(dir.path(), Arc::clone(&area), &host)
        .unlock(None)
        .unwrap();
    let id = enrol(&mut wallet, host.now()).unwrap().id;

    for answer in [
        HostAnswer::YesWithGarbage,
        HostAnswer::SignWithOtherKey,
        HostAnswer::SignOtherMessage,
    ] {
        area.then(answer);
        let error = block_on(wallet.show_qr(id, &hotel())).unwrap_err();
        assert!(
            matches!(
                error,
                WalletError::Auth(AuthError::SecureAreaMisbehaved { .. })
            ),
            "{error:?}"
        );
        assert_eq!(error.next_step(), NextStep::Auth(AuthStep::ReportProblem));
    }
    // nothing was logged as shown; an honest answer works
    area.then(HostAnswer::Sign);
    block_on(wallet.show_qr(id, &hotel())).unwrap();
    let shown = block_on(wallet.export_activity(100))
        .unwrap()
        .iter()
        .filter(|e| e.kind == netid_core::store::ActivityKind::Presentation)
        .count();
    assert_eq!(shown, 1);

    // a host whose reported public key is not the one it signs with fails at enrolment
    let dir = tempfile::tempdir().unwrap();
    let mut lying = ScriptedHostArea::new();
    lying.report_foreign_public_key = true;
    let mut wallet = host_wallet(dir.path(), Arc::new(lying), &host)
        .unlock(None)
        .unwrap();
    let error = enrol(&mut wallet, host.now()).unwrap_err();
    assert!(matches!(
        error,
        WalletError::SecureArea(SecureAreaError::Misbehaved { .. })
    ));
    assert!(wallet.documents().unwrap().is_empty());
}

#[test]
fn a_pin_once_set_is_needed_to_unlock_even_when_the_policy_does_not_require_one() {
    let dir = tempfile::tempdir().unwrap();
    let host = Host::new(ScriptedUser::default());
    let mut wallet = host.create(dir.path(), policy(3)).unlock(None).unwrap();
    wallet.set_pin(&Pin::new("246810").unwrap()).unwrap();
    drop(wallet.lock());

    let locked = host.open(dir.path(), policy(3));
    assert!(matches!(
        locked.unlock(None).unwrap_err(),
        WalletError::PinRequired
    ));
    assert!(matches!(
        locked
            .unlock(Some(&Pin::new("135790").unwrap()))
            .unwrap_err(),
        WalletError::Auth(AuthError::WrongPin { attempts_left: 2 })
    ));
    assert!(locked.unlock(Some(&Pin::new("246810").unwrap())).is_ok());
}

/// A host secure area that records every prompt it is asked for (reason and whether the device
/// passcode may be offered), then signs as the scripted area.
struct PromptRecorder {
    inner: ScriptedHostArea,
    prompts: std::sync::Mutex<Vec<Prompt>>,
    created_with_passcode: std::sync::Mutex<Vec<bool>>,
}

impl SecureArea for PromptRecorder {
    async fn create_key(
        &self,
        alias: &KeyAlias,
        policy: KeyAuthPolicy,
        challenge: &[u8],
    ) -> Result<CreatedKey, SecureAreaError> {
        self.create_key_with(alias, policy, challenge, false).await
    }

    async fn public_key(&self, alias: &KeyAlias) -> Result<HolderPublicKey, SecureAreaError> {
        self.inner.public_key(alias).await
    }

    async fn sign(
        &self,
        alias: &KeyAlias,
        message: &[u8],
        reason: PromptReason,
    ) -> Result<UncheckedSignature, SecureAreaError> {
        self.sign_with(alias, message, reason.into()).await
    }

    async fn delete_key(&self, alias: &KeyAlias) -> Result<(), SecureAreaError> {
        self.inner.delete_key(alias).await
    }

    async fn create_key_with(
        &self,
        alias: &KeyAlias,
        policy: KeyAuthPolicy,
        challenge: &[u8],
        device_credential: bool,
    ) -> Result<CreatedKey, SecureAreaError> {
        self.created_with_passcode
            .lock()
            .unwrap()
            .push(device_credential);
        self.inner.create_key(alias, policy, challenge).await
    }

    async fn sign_with(
        &self,
        alias: &KeyAlias,
        message: &[u8],
        prompt: Prompt,
    ) -> Result<UncheckedSignature, SecureAreaError> {
        self.prompts.lock().unwrap().push(prompt);
        self.inner.sign(alias, message, prompt.reason).await
    }
}

/// Shows a hotel code and a whole-card (`gov`) code under `fallback` and returns the passcode
/// allowance of each prompt (enrolment, hotel, gov) and of the key's creation.
fn passcode_allowed_for(fallback: DeviceCredentialFallback) -> (Vec<(PromptReason, bool)>, bool) {
    let dir = tempfile::tempdir().unwrap();
    let host = Host::new(ScriptedUser::default());
    let area = Arc::new(PromptRecorder {
        inner: ScriptedHostArea::new(),
        prompts: Default::default(),
        created_with_passcode: Default::default(),
    });
    let software = host.config(AuthPolicy {
        device_credential: fallback,
        ..policy(5)
    });
    let mut presentation = software.presentation;
    presentation.allow_unrequested_full_card = true;
    let mut wallet = LockedWallet::create(
        dir.path(),
        WalletConfig {
            wrapper: software.wrapper,
            area: HostArea::new(Arc::clone(&area)),
            clock: software.clock,
            policy: software.policy,
            session_secs: software.session_secs,
            pin_params: software.pin_params,
            pool: software.pool,
            presentation,
        },
    )
    .unwrap()
    .unlock(None)
    .unwrap();
    let id = enrol(&mut wallet, host.now()).unwrap().id;
    block_on(wallet.show_qr(id, &hotel())).unwrap();
    block_on(wallet.show_qr(
        id,
        &PresentationRequest::for_purpose(Purpose::GovernmentService),
    ))
    .unwrap();
    let prompts = area
        .prompts
        .lock()
        .unwrap()
        .iter()
        .map(|p| (p.reason, p.device_credential))
        .collect();
    let created = area.created_with_passcode.lock().unwrap().clone();
    assert_eq!(created.len(), 1);
    (prompts, created[0])
}

#[test]
fn the_device_passcode_never_confirms_a_gov_code_unless_the_issuer_allows() {
    // Default: biometric only, everywhere.
    let (prompts, key) = passcode_allowed_for(DeviceCredentialFallback::default());
    assert!(!key);
    assert_eq!(
        prompts,
        vec![
            (PromptReason::Enrolment, false),
            (PromptReason::ShowQr, false),
            (PromptReason::ShowQr, false),
        ]
    );
    // Codes may fall back: the hotel code does, the whole card still does not.
    let codes = DeviceCredentialFallback {
        show_qr: true,
        ..DeviceCredentialFallback::default()
    };
    let (prompts, key) = passcode_allowed_for(codes);
    assert!(
        key,
        "the key must accept the passcode where a prompt offers it"
    );
    assert_eq!(
        prompts,
        vec![
            (PromptReason::Enrolment, true),
            (PromptReason::ShowQr, true),
            (PromptReason::ShowQr, false),
        ]
    );
    // Only where the issuer's policy allows does the whole card fall back too.
    let (prompts, _) = passcode_allowed_for(DeviceCredentialFallback {
        gov_presentations: true,
        ..codes
    });
    assert_eq!(prompts[2], (PromptReason::ShowQr, true));
}
