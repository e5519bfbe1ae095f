//! Every way a biometric check can end has its own error and the right next step for the UI,
//! whether the host's hardware secure area or the software one reports it.

mod auth_support;

use std::sync::Arc;

use auth_support::*;
use netid_core::auth::{Action, Auth, AuthError, AuthPolicy, MemoryAuthStateStore, NextStep};
use netid_core::block_on::block_on;
use netid_core::secure_area::{
    KeyAuthPolicy, MemoryKeyBlobStore, RecordedHolderKey, SecureAreaError,
};

const T0: u64 = 1_800_000_000;

fn auth() -> Auth<MemoryAuthStateStore, Arc<ManualClock>> {
    Auth::open(
        AuthPolicy::default(),
        MemoryAuthStateStore::new(),
        Arc::new(ManualClock::at(T0)),
    )
    .unwrap()
}

#[test]
fn each_host_outcome_has_its_own_error_and_next_step() {
    let cases = [
        (
            SecureAreaError::Cancelled,
            AuthError::Cancelled,
            NextStep::TryAgain,
        ),
        (
            SecureAreaError::Failed,
            AuthError::Failed { attempts_left: 4 },
            NextStep::TryAgain,
        ),
        (
            SecureAreaError::NotEnrolled,
            AuthError::NotEnrolled,
            NextStep::EnrolBiometricsInSystemSettings,
        ),
        (
            SecureAreaError::HolderKeyInvalidated,
            AuthError::HolderKeyInvalidated,
            NextStep::ReEnrolDocument,
        ),
        (
            SecureAreaError::AuthenticatorInvalidated,
            AuthError::AuthenticatorInvalidated,
            NextStep::SetUpAuthenticatorAgain,
        ),
        (
            SecureAreaError::SystemLockedOut,
            AuthError::SystemLockedOut,
            NextStep::UnlockDeviceWithPasscode,
        ),
        (
            SecureAreaError::Unavailable {
                detail: "keystore service restarting".to_owned(),
            },
            AuthError::Unavailable {
                detail: "keystore service restarting".to_owned(),
            },
            NextStep::TryAgainLater,
        ),
        (
            SecureAreaError::KeyNotFound,
            AuthError::SecureArea(SecureAreaError::KeyNotFound),
            NextStep::ReEnrolDocument,
        ),
    ];
    for (host_says, expected, next_step) in cases {
        let auth = auth();
        let host = ScriptedHostArea::new();
        let key = block_on(RecordedHolderKey::create(
            &host,
            alias("doc-1"),
            KeyAuthPolicy::EveryUse,
        ))
        .unwrap();
        host.then(HostAnswer::Refuse(host_says));
        let error = block_on(auth.sign_authenticated(Action::ShowQr, &host, &key, b"p"))
            .expect_err("refused");
        assert_eq!(error, expected);
        assert_eq!(error.next_step(), next_step, "{error}");
        assert!(!error.to_string().is_empty());
    }
}

#[test]
fn a_misbehaving_host_is_reported_not_retried() {
    let auth = auth();
    let host = ScriptedHostArea::new();
    let key = block_on(RecordedHolderKey::create(
        &host,
        alias("doc-1"),
        KeyAuthPolicy::EveryUse,
    ))
    .unwrap();
    host.then(HostAnswer::YesWithGarbage);
    let error =
        block_on(auth.sign_authenticated(Action::ShowQr, &host, &key, b"p")).expect_err("refused");
    assert!(matches!(error, AuthError::SecureAreaMisbehaved { .. }));
    assert_eq!(error.next_step(), NextStep::ReportProblem);
}

#[test]
fn software_area_outcomes_map_the_same_way() {
    let blobs = MemoryKeyBlobStore::new();
    let area = software_area_with(
        WRAPPING_KEY,
        AUTHENTICATOR_SECRET,
        ScriptedUser::answering(vec![
            Err(SecureAreaError::Cancelled),
            Err(SecureAreaError::Failed),
            Err(SecureAreaError::NotEnrolled),
        ]),
        blobs.clone(),
    );
    let key = block_on(RecordedHolderKey::create(
        &area,
        alias("doc-1"),
        KeyAuthPolicy::EveryUse,
    ))
    .unwrap();
    let auth = auth();
    let show = |area: &SoftwareArea| {
        block_on(auth.sign_authenticated(Action::ShowQr, area, &key, b"p"))
            .map(|_| ())
            .map_err(|error| (error.next_step(), error))
    };
    assert_eq!(show(&area), Err((NextStep::TryAgain, AuthError::Cancelled)));
    assert_eq!(
        show(&area),
        Err((NextStep::TryAgain, AuthError::Failed { attempts_left: 4 }))
    );
    assert_eq!(
        show(&area),
        Err((
            NextStep::EnrolBiometricsInSystemSettings,
            AuthError::NotEnrolled
        ))
    );
    assert_eq!(show(&area), Ok(()));

    // The user re-enrols biometrics: a new authenticator secret invalidates the key.
    let reenrolled = software_area_with(
        WRAPPING_KEY,
        NEW_AUTHENTICATOR_SECRET,
        ScriptedUser::default(),
        blobs,
    );
    assert_eq!(
        show(&reenrolled),
        Err((NextStep::ReEnrolDocument, AuthError::HolderKeyInvalidated))
    );
}

#[test]
fn a_software_authenticator_that_only_says_yes_cannot_sign_through_auth() {
    use netid_core::secure_area::{
        AuthenticatorEnrolment, KeyWrappingKey, SoftwareSecureArea, UnlockGrant, UnlockRequest,
        UserAuthenticator,
    };
    use zeroize::Zeroizing;

    struct SaysYes(netid_core::secure_area::SoftwareAuthenticator<ScriptedUser>);
    impl UserAuthenticator for SaysYes {
        async fn enrolment(&self) -> Result<AuthenticatorEnrolment, SecureAreaError> {
            self.0.enrolment().await
        }
        async fn authenticate(
            &self,
            request: &UnlockRequest,
        ) -> Result<UnlockGrant, SecureAreaError> {
            Ok(UnlockGrant::new(
                request.challenge,
                Zeroizing::new([0xFF; 32]),
            ))
        }
    }

    let area = SoftwareSecureArea::new(
        KeyWrappingKey::new(Zeroizing::new(WRAPPING_KEY)),
        SaysYes(software_authenticator(
            AUTHENTICATOR_SECRET,
            ScriptedUser::default(),
        )),
        MemoryKeyBlobStore::new(),
    );
    let key = block_on(RecordedHolderKey::create(
        &area,
        alias("doc-1"),
        KeyAuthPolicy::EveryUse,
    ))
    .unwrap();
    let auth = auth();
    let outcome = block_on(auth.sign_authenticated(Action::ShowQr, &area, &key, b"presentation"));
    assert!(
        matches!(outcome, Err(AuthError::SecureAreaMisbehaved { .. })),
        "{outcome:?}"
    );
    let outcome = block_on(auth.authorize(Action::ViewDetails, &area, &key));
    assert!(
        matches!(outcome, Err(AuthError::SecureAreaMisbehaved { .. })),
        "{outcome:?}"
    );
}
