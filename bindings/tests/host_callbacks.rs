//! Host callbacks that fail: the Rust side of the FFI against host implementations that throw,
//! return garbage, hang, or are cancelled. The "hosts" here are Rust implementations of the very
//! traits Kotlin and Swift implement (`with_foreign` traits accept both), so every answer a
//! foreign host could give goes through the same adapters.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use netid_core::block_on::block_on;
use netid_core::issuer::{self as core_issuer, parse_claims_file};
use netid_core::time::{Clock, SystemClock};
use netid_core::wallet::{EnrolmentChallenge, issue_for_proof};
use netid_ffi::{
    CreatedKey, HolderKeys, HostError, KeyEvidence, KeyPolicy, KeySecurityLevel, KeyWrapper,
    NextStep, PromptReason, Purpose, QrRequest, SecureArea, TrustList, UnlockGrant, UnlockRequest,
    UserAuthenticator, VerifierOptions, Wallet, WalletError, WalletOptions,
};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::elliptic_curve::point::AffineCoordinates;
use p256::elliptic_curve::sec1::ToEncodedPoint;

const CLAIMS: &str = include_str!("../../core/tests/vectors/claims/resident-id.json");

// ----- a key wrapper host -----

const WRAP_OK: u8 = 0;
const WRAP_THROWS: u8 = 1;
const WRAP_SHORT_KEY: u8 = 2;
const WRAP_WRONG_KEY: u8 = 3;
const WRAP_KEY_GONE: u8 = 4;

/// XORs the data key with a pad it keeps: enough to round-trip, and able to misbehave on demand.
/// Its anchors live in a map (outside any wallet directory).
struct TestKeyWrapper {
    pad: [u8; 32],
    mode: AtomicU8,
    anchors: std::sync::Mutex<std::collections::HashMap<String, Vec<u8>>>,
}

impl TestKeyWrapper {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            pad: [0x5a; 32],
            mode: AtomicU8::new(WRAP_OK),
            anchors: Default::default(),
        })
    }
}

impl KeyWrapper for TestKeyWrapper {
    fn wrap(&self, data_key: Vec<u8>) -> Result<Vec<u8>, HostError> {
        Ok(data_key.iter().zip(self.pad).map(|(k, p)| k ^ p).collect())
    }

    fn unwrap(&self, wrapped: Vec<u8>) -> Result<Vec<u8>, HostError> {
        let key: Vec<u8> = wrapped.iter().zip(self.pad).map(|(k, p)| k ^ p).collect();
        match self.mode.load(Ordering::SeqCst) {
            WRAP_THROWS => Err(HostError::Unexpected),
            WRAP_SHORT_KEY => Ok(key[..16].to_vec()),
            WRAP_WRONG_KEY => Ok(key.iter().map(|b| b ^ 1).collect()),
            WRAP_KEY_GONE => Err(HostError::KeyNotFound),
            _ => Ok(key),
        }
    }

    fn forget(&self, _wrapped: Vec<u8>) -> Result<(), HostError> {
        Ok(())
    }

    fn load_anchor(&self, name: String) -> Result<Option<Vec<u8>>, HostError> {
        Ok(self.anchors.lock().unwrap().get(&name).cloned())
    }

    fn save_anchor(&self, name: String, value: Vec<u8>) -> Result<(), HostError> {
        self.anchors.lock().unwrap().insert(name, value);
        Ok(())
    }

    fn forget_anchor(&self, name: String) -> Result<(), HostError> {
        self.anchors.lock().unwrap().remove(&name);
        Ok(())
    }
}

// ----- an authenticator host (software secure area) -----

const AUTH_OK: u8 = 0;
const AUTH_THROWS: u8 = 1;
const AUTH_CANCELS: u8 = 2;
const AUTH_HANGS: u8 = 3;
const AUTH_SAYS_YES_WITH_GARBAGE: u8 = 4;
const AUTH_WRONG_CHALLENGE: u8 = 5;
const AUTH_SHORT_SECRET: u8 = 6;
const AUTH_BAD_PUBLIC_KEY: u8 = 7;
/// Answers with the unlock secret of its first grant, echoing the new challenge.
const AUTH_REPLAYS_FIRST_SECRET: u8 = 8;
/// Answers with its first grant byte for byte.
const AUTH_REPLAYS_FIRST_GRANT: u8 = 9;
/// Its unlock key was invalidated by a biometric change and not set up again: every call throws
/// `KeyPermanentlyInvalidated`, as the Android glue does for `KeyPermanentlyInvalidatedException`.
const AUTH_UNLOCK_KEY_INVALIDATED: u8 = 10;

/// The software stand-in for a biometric-bound unlock key: ECDH with a P-256 secret.
struct TestAuthenticator {
    secret: Mutex<p256::SecretKey>,
    mode: AtomicU8,
    prompts: Mutex<Vec<PromptReason>>,
    /// The first grant it gave (challenge, unlock secret), as a host that captured it would keep.
    first_grant: Mutex<Option<(Vec<u8>, Vec<u8>)>>,
}

impl TestAuthenticator {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            secret: Mutex::new(p256::SecretKey::random(
                &mut p256::elliptic_curve::rand_core::OsRng,
            )),
            mode: AtomicU8::new(AUTH_OK),
            prompts: Mutex::new(Vec::new()),
            first_grant: Mutex::new(None),
        })
    }

    fn set(&self, mode: u8) {
        self.mode.store(mode, Ordering::SeqCst);
    }

    /// Biometrics re-enrolled: a new unlock key.
    fn re_enrol(&self) {
        *self.secret.lock().unwrap() =
            p256::SecretKey::random(&mut p256::elliptic_curve::rand_core::OsRng);
    }
}

#[async_trait::async_trait]
impl UserAuthenticator for TestAuthenticator {
    async fn unlock_public_key(&self) -> Result<Vec<u8>, HostError> {
        match self.mode.load(Ordering::SeqCst) {
            AUTH_BAD_PUBLIC_KEY => return Ok(vec![4; 65]),
            AUTH_UNLOCK_KEY_INVALIDATED => return Err(HostError::KeyPermanentlyInvalidated),
            _ => {}
        }
        let public = self.secret.lock().unwrap().public_key();
        Ok(public.to_encoded_point(false).as_bytes().to_vec())
    }

    async fn authenticate(&self, request: UnlockRequest) -> Result<UnlockGrant, HostError> {
        self.prompts.lock().unwrap().push(request.reason);
        match self.mode.load(Ordering::SeqCst) {
            AUTH_THROWS => return Err(HostError::Unexpected),
            AUTH_UNLOCK_KEY_INVALIDATED => return Err(HostError::KeyPermanentlyInvalidated),
            AUTH_CANCELS => return Err(HostError::Cancelled),
            AUTH_HANGS => std::future::pending::<()>().await,
            AUTH_REPLAYS_FIRST_SECRET | AUTH_REPLAYS_FIRST_GRANT => {
                let (first_challenge, first_secret) = self
                    .first_grant
                    .lock()
                    .unwrap()
                    .clone()
                    .ok_or(HostError::Unexpected)?;
                let replay_whole = self.mode.load(Ordering::SeqCst) == AUTH_REPLAYS_FIRST_GRANT;
                return Ok(UnlockGrant {
                    challenge: if replay_whole {
                        first_challenge
                    } else {
                        request.challenge
                    },
                    unlock_secret: first_secret,
                });
            }
            AUTH_SAYS_YES_WITH_GARBAGE => {
                return Ok(UnlockGrant {
                    challenge: request.challenge,
                    unlock_secret: vec![0x42; 32],
                });
            }
            _ => {}
        }
        let sealing =
            p256::PublicKey::from_sec1_bytes(&request.sealing_public_key).map_err(|_| {
                HostError::Unavailable {
                    detail: "bad sealing key".to_owned(),
                }
            })?;
        let scalar = self.secret.lock().unwrap().to_nonzero_scalar();
        let shared = (sealing.to_projective() * *scalar).to_affine();
        let mut unlock_secret = shared.x().to_vec();
        let mut challenge = request.challenge;
        match self.mode.load(Ordering::SeqCst) {
            AUTH_WRONG_CHALLENGE => challenge[0] ^= 1,
            AUTH_SHORT_SECRET => unlock_secret.truncate(31),
            _ => {}
        }
        self.first_grant
            .lock()
            .unwrap()
            .get_or_insert_with(|| (challenge.clone(), unlock_secret.clone()));
        Ok(UnlockGrant {
            challenge,
            unlock_secret,
        })
    }
}

// ----- a hardware secure area host -----

const AREA_OK: u8 = 0;
const AREA_GARBAGE_SIGNATURE: u8 = 1;
const AREA_OTHER_KEY_SIGNS: u8 = 2;
const AREA_THROWS: u8 = 3;
const AREA_KEY_INVALIDATED: u8 = 4;
const AREA_HANGS: u8 = 5;
/// `create_key` reports a StrongBox key whose "chain" is the challenge it was given (the wallet
/// passes evidence through without reading it, so any bytes do).
const AREA_ATTESTS: u8 = 6;
/// `create_key` reports a chain of 11 certificates, beyond the limit of 10.
const AREA_OVERSIZED_EVIDENCE: u8 = 7;

struct TestSecureArea {
    keys: Mutex<HashMap<String, SigningKey>>,
    mode: AtomicU8,
    /// Keys the OS invalidated (biometrics re-enrolled after they were made): still present in
    /// the key store, never usable again.
    invalidated: Mutex<std::collections::HashSet<String>>,
    signed: Mutex<Vec<String>>,
    /// Per key created: whether the device passcode was allowed for it.
    created_with_passcode: Mutex<Vec<bool>>,
    /// Per signature: the prompt's reason and whether it may offer the device passcode.
    prompts: Mutex<Vec<(PromptReason, bool)>>,
}

impl TestSecureArea {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            keys: Mutex::new(HashMap::new()),
            mode: AtomicU8::new(AREA_OK),
            invalidated: Mutex::default(),
            signed: Mutex::default(),
            created_with_passcode: Mutex::default(),
            prompts: Mutex::default(),
        })
    }

    /// Biometrics re-enrolled: every key made so far is permanently invalidated, as Android
    /// does for keys made with `setInvalidatedByBiometricEnrollment(true)`; later keys work.
    fn biometrics_re_enrolled(&self) {
        let keys = self.keys.lock().unwrap();
        self.invalidated
            .lock()
            .unwrap()
            .extend(keys.keys().cloned());
    }
}

fn sec1(key: &SigningKey) -> Vec<u8> {
    key.verifying_key()
        .to_encoded_point(false)
        .as_bytes()
        .to_vec()
}

#[async_trait::async_trait]
impl SecureArea for TestSecureArea {
    async fn create_key(
        &self,
        alias: String,
        _policy: KeyPolicy,
        allow_device_credential: bool,
        challenge: Vec<u8>,
    ) -> Result<CreatedKey, HostError> {
        self.created_with_passcode
            .lock()
            .unwrap()
            .push(allow_device_credential);
        let mut keys = self.keys.lock().unwrap();
        if keys.contains_key(&alias) {
            return Err(HostError::KeyExists);
        }
        let key = SigningKey::random(&mut p256::elliptic_curve::rand_core::OsRng);
        let public = sec1(&key);
        keys.insert(alias, key);
        let (security_level, evidence) = match self.mode.load(Ordering::SeqCst) {
            AREA_ATTESTS => (
                KeySecurityLevel::StrongBox,
                KeyEvidence::AndroidKeyAttestation {
                    chain: vec![challenge, b"intermediate".to_vec()],
                },
            ),
            AREA_OVERSIZED_EVIDENCE => (
                KeySecurityLevel::TrustedEnvironment,
                KeyEvidence::AndroidKeyAttestation {
                    chain: vec![vec![0x30]; 11],
                },
            ),
            _ => (KeySecurityLevel::Software, KeyEvidence::NoEvidence),
        };
        Ok(CreatedKey {
            public_key: public,
            security_level,
            evidence,
        })
    }

    async fn public_key(&self, alias: String) -> Result<Vec<u8>, HostError> {
        self.keys
            .lock()
            .unwrap()
            .get(&alias)
            .map(sec1)
            .ok_or(HostError::KeyNotFound)
    }

    async fn sign(
        &self,
        alias: String,
        message: Vec<u8>,
        reason: PromptReason,
        allow_device_credential: bool,
    ) -> Result<Vec<u8>, HostError> {
        self.prompts
            .lock()
            .unwrap()
            .push((reason, allow_device_credential));
        match self.mode.load(Ordering::SeqCst) {
            AREA_GARBAGE_SIGNATURE => return Ok(vec![0x30, 0x06, 1, 2, 3, 4, 5, 6]),
            AREA_OTHER_KEY_SIGNS => {
                let other = SigningKey::random(&mut p256::elliptic_curve::rand_core::OsRng);
                let signature: Signature = other.sign(&message);
                return Ok(signature.to_der().as_bytes().to_vec());
            }
            AREA_THROWS => return Err(HostError::Unexpected),
            AREA_KEY_INVALIDATED => return Err(HostError::KeyPermanentlyInvalidated),
            AREA_HANGS => std::future::pending::<()>().await,
            _ => {}
        }
        if self.invalidated.lock().unwrap().contains(&alias) {
            return Err(HostError::KeyPermanentlyInvalidated);
        }
        self.signed.lock().unwrap().push(alias.clone());
        let keys = self.keys.lock().unwrap();
        let key = keys.get(&alias).ok_or(HostError::KeyNotFound)?;
        let signature: Signature = key.sign(&message);
        Ok(signature.to_der().as_bytes().to_vec())
    }

    async fn delete_key(&self, alias: String) -> Result<(), HostError> {
        self.keys
            .lock()
            .unwrap()
            .remove(&alias)
            .map(|_| ())
            .ok_or(HostError::KeyNotFound)
    }
}

// ----- helpers -----

struct Issuer {
    issuer: core_issuer::DevIssuer,
    trust: Arc<TrustList>,
}

fn issuer() -> Issuer {
    let issuer = core_issuer::DevIssuer::generate("gov.example.test", b"test-kid");
    let now = SystemClock.now();
    let mut list = core_issuer::TrustList::new();
    list.add(issuer.trust_entry(
        now.saturating_add(-3600),
        now.saturating_add(86_400),
        &netid_core::credential::DocType::ALL,
    ))
    .unwrap();
    let trust = TrustList::from_json(list.to_json()).unwrap();
    Issuer { issuer, trust }
}

/// Enrols the resident ID through the FFI wallet and returns its document id.
fn enrol(wallet: &Wallet, issuer: &Issuer) -> String {
    let challenge = EnrolmentChallenge::random(issuer.issuer.issuer_id()).unwrap();
    let pending = block_on(wallet.begin_enrolment(
        issuer.issuer.issuer_id().to_owned(),
        challenge.nonce().to_vec(),
    ))
    .expect("begin enrolment");
    let document = parse_claims_file(CLAIMS).unwrap();
    let credential = issue_for_proof(
        &issuer.issuer,
        &document,
        &challenge,
        &pending.proof(),
        SystemClock.now(),
    )
    .unwrap();
    let summary = block_on(wallet.complete_enrolment(
        pending,
        credential.to_bytes(),
        Arc::clone(&issuer.trust),
        Some("my ID".to_owned()),
    ))
    .expect("complete enrolment");
    summary.id
}

fn options() -> WalletOptions {
    WalletOptions {
        session: Some(Duration::from_secs(300)),
        details_fresh_within: Some(Duration::from_secs(300)),
        max_failed_attempts: 5,
        lockout: Some(Duration::from_secs(300)),
        one_time_codes_per_purpose: 10,
        refill_below: 3,
        refuse_linkable_codes: false,
        device_credential_for: Vec::new(),
        device_credential_for_gov: false,
    }
}

fn hotel() -> QrRequest {
    QrRequest {
        purpose: Purpose::HotelCheckIn,
        audience: None,
        nonce: None,
        lifetime: Some(Duration::from_secs(60)),
    }
}

struct SoftwareSetup {
    _dir: tempfile::TempDir,
    wallet: Arc<Wallet>,
    authenticator: Arc<TestAuthenticator>,
    document: String,
    issuer: Issuer,
}

fn software_wallet() -> SoftwareSetup {
    let dir = tempfile::tempdir().unwrap();
    let authenticator = TestAuthenticator::new();
    let wallet = Wallet::create(
        dir.path().join("w").to_str().unwrap().to_owned(),
        TestKeyWrapper::new(),
        HolderKeys::software(authenticator.clone()),
        options(),
    )
    .unwrap();
    block_on(wallet.clone().unlock(None)).unwrap();
    let issuer = issuer();
    let document = enrol(&wallet, &issuer);
    SoftwareSetup {
        _dir: dir,
        wallet,
        authenticator,
        document,
        issuer,
    }
}

fn show(setup: &SoftwareSetup) -> Result<String, WalletError> {
    block_on(setup.wallet.show_qr(setup.document.clone(), hotel())).map(|p| p.qr_text())
}

fn assert_wallet_still_works(setup: &SoftwareSetup) {
    setup.authenticator.set(AUTH_OK);
    let text = show(setup).expect("after the failure, a well-behaved host can present again");
    let verifier =
        netid_ffi::Verifier::new(Arc::clone(&setup.issuer.trust), default_verifier()).unwrap();
    block_on(verifier.clone().verify(text, Purpose::HotelCheckIn)).expect("and the code verifies");
}

fn default_verifier() -> VerifierOptions {
    VerifierOptions {
        skew: Some(Duration::from_secs(30)),
        max_age: Some(Duration::from_secs(120)),
        replay_capacity: 100,
        accept_stale_status: false,
        accept_unavailable_status: false,
    }
}

/// Starts showing a QR on another thread with a host that never answers, and returns once the
/// operation is waiting on it (enrolment was prompt 1, this is prompt 2).
fn show_on_a_hanging_host(
    setup: &SoftwareSetup,
) -> std::thread::JoinHandle<Result<Arc<netid_ffi::Presentation>, WalletError>> {
    setup.authenticator.set(AUTH_HANGS);
    let wallet = Arc::clone(&setup.wallet);
    let document = setup.document.clone();
    let running = std::thread::spawn(move || block_on(wallet.show_qr(document, hotel())));
    while setup.authenticator.prompts.lock().unwrap().len() < 2 {
        std::thread::sleep(Duration::from_millis(5));
    }
    running
}

// ----- tests -----

#[test]
fn a_well_behaved_host_enrols_presents_and_the_counter_verifies() {
    let setup = software_wallet();
    let text = show(&setup).unwrap();
    let verifier =
        netid_ffi::Verifier::new(Arc::clone(&setup.issuer.trust), default_verifier()).unwrap();
    let verified = block_on(verifier.clone().verify(text.clone(), Purpose::HotelCheckIn)).unwrap();
    let names: Vec<_> = verified.claims.iter().map(|c| c.name.as_str()).collect();
    for required in ["name", "id_number", "sex", "birth_date"] {
        assert!(
            names.contains(&required),
            "{required} missing from {names:?}"
        );
    }
    assert!(matches!(
        block_on(verifier.clone().verify(text, Purpose::HotelCheckIn)),
        Err(netid_ffi::VerifyError::Replayed { .. })
    ));
    let prompts = setup.authenticator.prompts.lock().unwrap().clone();
    assert_eq!(prompts, vec![PromptReason::Enrolment, PromptReason::ShowQr]);
}

#[test]
fn an_enrolment_completed_while_the_wallet_is_locked_is_kept_for_a_retry_and_completes_once() {
    let dir = tempfile::tempdir().unwrap();
    let wallet = Wallet::create(
        dir.path().join("w").to_str().unwrap().to_owned(),
        TestKeyWrapper::new(),
        HolderKeys::software(TestAuthenticator::new()),
        options(),
    )
    .unwrap();
    block_on(wallet.clone().unlock(None)).unwrap();
    let issuer = issuer();
    let challenge = EnrolmentChallenge::random(issuer.issuer.issuer_id()).unwrap();
    let pending = block_on(wallet.begin_enrolment(
        issuer.issuer.issuer_id().to_owned(),
        challenge.nonce().to_vec(),
    ))
    .unwrap();
    let credential = issue_for_proof(
        &issuer.issuer,
        &parse_claims_file(CLAIMS).unwrap(),
        &challenge,
        &pending.proof(),
        SystemClock.now(),
    )
    .unwrap()
    .to_bytes();
    let complete = |pending: &Arc<netid_ffi::PendingEnrolment>| {
        block_on(wallet.complete_enrolment(
            Arc::clone(pending),
            credential.clone(),
            Arc::clone(&issuer.trust),
            None,
        ))
    };
    // Locked in between (the session ended): refused as locked, the enrolment is not used up.
    wallet.lock();
    assert!(matches!(
        complete(&pending),
        Err(WalletError::Locked { .. })
    ));
    block_on(wallet.clone().unlock(None)).unwrap();
    let summary = complete(&pending).expect("the retry completes");
    assert_eq!(block_on(wallet.clone().documents()).unwrap().len(), 1);
    assert_eq!(
        block_on(wallet.clone().documents()).unwrap()[0].id,
        summary.id
    );
    // And only once.
    assert!(matches!(
        complete(&pending),
        Err(WalletError::InvalidInput { .. })
    ));
}

#[test]
fn bad_options_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w");
    let secs = |s| Some(Duration::from_secs(s));
    let millis = |ms| Some(Duration::from_millis(ms));
    for (bad, says) in [
        (
            WalletOptions {
                max_failed_attempts: 0,
                ..options()
            },
            "max_failed_attempts must be at least 1",
        ),
        (
            WalletOptions {
                one_time_codes_per_purpose: 0,
                ..options()
            },
            "one_time_codes_per_purpose must be 1 to 16",
        ),
        (
            WalletOptions {
                session: secs(86_401),
                ..options()
            },
            "session must be a whole number of seconds from 1 s to 86 400 s (24 h); got 86401.000000000 s",
        ),
        (
            WalletOptions {
                session: Some(Duration::ZERO),
                ..options()
            },
            "session must be a whole number of seconds from 1 s to 86 400 s (24 h); got 0.000000000 s",
        ),
        (
            WalletOptions {
                session: millis(90_500),
                ..options()
            },
            "session must be a whole number of seconds from 1 s to 86 400 s (24 h); got 90.500000000 s",
        ),
        (
            WalletOptions {
                lockout: Some(Duration::ZERO),
                ..options()
            },
            "lockout must be a whole number of seconds from 1 s to 4 294 967 295 s; got 0.000000000 s",
        ),
        (
            WalletOptions {
                lockout: secs(u64::from(u32::MAX) + 1),
                ..options()
            },
            "lockout must be a whole number of seconds from 1 s to 4 294 967 295 s; got 4294967296.000000000 s",
        ),
        (
            WalletOptions {
                details_fresh_within: millis(250),
                ..options()
            },
            "detailsFreshWithin must be a whole number of seconds from 0 s (authenticate every time) to 4 294 967 295 s; got 0.250000000 s",
        ),
    ] {
        let created = Wallet::create(
            path.to_str().unwrap().to_owned(),
            TestKeyWrapper::new(),
            HolderKeys::software(TestAuthenticator::new()),
            bad.clone(),
        );
        match created {
            Err(WalletError::InvalidInput { reason, next_step }) => {
                assert_eq!(reason, says, "{bad:?}");
                assert_eq!(next_step, NextStep::ChangeRequest);
            }
            other => panic!("{bad:?}: expected InvalidInput, got {other:?}"),
        }
        assert!(!path.exists(), "no directory is left behind");
    }
}

#[test]
fn unset_durations_take_the_documented_defaults_and_the_range_ends_are_accepted() {
    let unset = WalletOptions {
        session: None,
        details_fresh_within: None,
        lockout: None,
        ..options()
    };
    for (name, accepted) in [
        ("defaults", unset.clone()),
        (
            "longest session",
            WalletOptions {
                session: Some(Duration::from_secs(86_400)),
                ..unset.clone()
            },
        ),
        (
            "shortest session and lockout",
            WalletOptions {
                session: Some(Duration::from_secs(1)),
                lockout: Some(Duration::from_secs(1)),
                ..unset.clone()
            },
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let wallet = Wallet::create(
            dir.path().join("w").to_str().unwrap().to_owned(),
            TestKeyWrapper::new(),
            HolderKeys::software(TestAuthenticator::new()),
            accepted,
        )
        .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        if name == "defaults" {
            let before = std::time::SystemTime::now();
            block_on(wallet.clone().unlock(None)).unwrap();
            let until = wallet.unlocked_until().expect("unlocked");
            let session = until.duration_since(before).expect("in the future");
            assert!(
                session > Duration::from_secs(298) && session <= Duration::from_secs(301),
                "an unset session lasts the default 5 minutes: {session:?}"
            );
        }
    }
}

#[test]
fn verifier_durations_out_of_range_or_fractional_are_refused_and_unset_ones_work() {
    let trust = issuer().trust;
    for (options, says) in [
        (
            VerifierOptions {
                skew: Some(Duration::from_millis(30_001)),
                ..default_verifier()
            },
            "skew must be a whole number of seconds from 0 s to 300 s (5 min); got 30.001000000 s",
        ),
        (
            VerifierOptions {
                skew: Some(Duration::from_secs(301)),
                ..default_verifier()
            },
            "skew must be a whole number of seconds from 0 s to 300 s (5 min); got 301.000000000 s",
        ),
        (
            VerifierOptions {
                max_age: Some(Duration::from_secs(601)),
                ..default_verifier()
            },
            "maxAge must be a whole number of seconds from 1 s to 600 s (10 min); got 601.000000000 s",
        ),
        (
            VerifierOptions {
                max_age: Some(Duration::ZERO),
                ..default_verifier()
            },
            "maxAge must be a whole number of seconds from 1 s to 600 s (10 min); got 0.000000000 s",
        ),
        (
            VerifierOptions {
                max_age: Some(Duration::from_secs(u64::from(u32::MAX) + 1)),
                ..default_verifier()
            },
            "maxAge must be a whole number of seconds from 1 s to 600 s (10 min); got 4294967296.000000000 s",
        ),
    ] {
        match netid_ffi::Verifier::new(Arc::clone(&trust), options) {
            Err(netid_ffi::VerifyError::InvalidConfiguration { reason }) => {
                assert_eq!(reason, says);
            }
            other => panic!("expected InvalidConfiguration, got {other:?}"),
        }
    }
    let unset = VerifierOptions {
        skew: None,
        max_age: None,
        ..default_verifier()
    };
    netid_ffi::Verifier::new(Arc::clone(&trust), unset).expect("unset durations take defaults");
    let zero = VerifierOptions {
        skew: Some(Duration::ZERO),
        ..default_verifier()
    };
    netid_ffi::Verifier::new(Arc::clone(&trust), zero).expect("no skew at all is allowed");
    let widest = VerifierOptions {
        skew: Some(Duration::from_secs(300)),
        max_age: Some(Duration::from_secs(600)),
        ..default_verifier()
    };
    netid_ffi::Verifier::new(trust, widest).expect("the bounds themselves are allowed");
}

#[test]
fn a_host_that_throws_gets_misbehaved_and_nothing_is_shown() {
    let setup = software_wallet();
    setup.authenticator.set(AUTH_THROWS);
    let error = show(&setup).unwrap_err();
    assert!(
        matches!(error, WalletError::HostMisbehaved { .. }),
        "{error:?}"
    );
    assert_eq!(error.next_step(), NextStep::ReportProblem);
    assert!(!error.to_string().is_empty());
    assert_wallet_still_works(&setup);
}

#[test]
fn a_host_that_says_yes_with_garbage_cannot_present() {
    let setup = software_wallet();
    for (mode, what) in [
        (AUTH_SAYS_YES_WITH_GARBAGE, "a made-up unlock secret"),
        (AUTH_WRONG_CHALLENGE, "a grant for another challenge"),
        (AUTH_SHORT_SECRET, "a 31-byte secret"),
        (AUTH_BAD_PUBLIC_KEY, "an unlock key that is not a point"),
    ] {
        setup.authenticator.set(mode);
        match show(&setup) {
            Err(WalletError::HostMisbehaved { .. }) => {}
            other => panic!("{what}: expected HostMisbehaved, got {other:?}"),
        }
    }
    assert_wallet_still_works(&setup);
}

#[test]
fn a_host_that_replays_its_first_grant_cannot_present() {
    for (mode, what) in [
        (
            AUTH_REPLAYS_FIRST_SECRET,
            "the first grant's secret with the new challenge",
        ),
        (AUTH_REPLAYS_FIRST_GRANT, "the first grant byte for byte"),
    ] {
        // The first grant was given at enrolment (prompt 1), in this unlocked session.
        let setup = software_wallet();
        setup.authenticator.set(mode);
        match show(&setup) {
            Err(WalletError::HostMisbehaved { reason, next_step }) => {
                assert!(
                    reason.contains("already used once"),
                    "{what}: the reason names the replay: {reason}"
                );
                assert_eq!(next_step, NextStep::ReportProblem, "{what}");
            }
            other => panic!("{what}: expected HostMisbehaved, got {other:?}"),
        }
        assert_wallet_still_works(&setup);
    }
}

#[test]
fn a_host_cancel_is_reported_as_cancelled_with_try_again() {
    let setup = software_wallet();
    setup.authenticator.set(AUTH_CANCELS);
    let error = show(&setup).unwrap_err();
    assert!(matches!(error, WalletError::Cancelled { .. }), "{error:?}");
    assert_eq!(error.next_step(), NextStep::TryAgain);
    assert_wallet_still_works(&setup);
}

#[test]
fn re_enrolled_biometrics_invalidate_the_key_and_ask_for_re_enrolment() {
    let setup = software_wallet();
    setup.authenticator.re_enrol();
    let error = show(&setup).unwrap_err();
    assert!(
        matches!(error, WalletError::HolderKeyInvalidated { .. }),
        "{error:?}"
    );
    assert_eq!(error.next_step(), NextStep::ReEnrolDocument);
}

#[test]
fn an_invalidated_unlock_key_is_authenticator_invalidated_until_it_is_set_up_again() {
    let setup = software_wallet();
    setup.authenticator.set(AUTH_UNLOCK_KEY_INVALIDATED);
    let error = show(&setup).unwrap_err();
    assert!(
        matches!(error, WalletError::AuthenticatorInvalidated { .. }),
        "{error:?}"
    );
    assert_eq!(error.next_step(), NextStep::SetUpAuthenticatorAgain);
    // Enrolling needs the authenticator too: the same typed error, and nothing is created.
    let issuer = &setup.issuer;
    let challenge = EnrolmentChallenge::random(issuer.issuer.issuer_id()).unwrap();
    let begun = block_on(setup.wallet.begin_enrolment(
        issuer.issuer.issuer_id().to_owned(),
        challenge.nonce().to_vec(),
    ));
    assert!(
        matches!(begun, Err(WalletError::AuthenticatorInvalidated { .. })),
        "{begun:?}"
    );
    // Set up again (a new unlock key): the old sealed key is now a holder key to re-enrol.
    setup.authenticator.re_enrol();
    setup.authenticator.set(AUTH_OK);
    let error = show(&setup).unwrap_err();
    assert!(
        matches!(error, WalletError::HolderKeyInvalidated { .. }),
        "{error:?}"
    );
    assert_eq!(error.next_step(), NextStep::ReEnrolDocument);
    // Nothing else was lost: the wallet, its document list and its log are intact, and
    // re-enrolment recovers; the dead document is deleted with the new key's authentication.
    assert_eq!(block_on(setup.wallet.clone().documents()).unwrap().len(), 1);
    let renewed = enrol(&setup.wallet, issuer);
    assert!(block_on(setup.wallet.show_qr(renewed.clone(), hotel())).is_ok());
    block_on(setup.wallet.delete_document(setup.document.clone())).unwrap();
    let left: Vec<String> = block_on(setup.wallet.clone().documents())
        .unwrap()
        .into_iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(left, vec![renewed]);
}

#[test]
fn a_hardware_key_invalidated_by_new_biometrics_costs_only_its_document() {
    let dir = tempfile::tempdir().unwrap();
    let area = TestSecureArea::new();
    let wallet = Wallet::create(
        dir.path().to_str().unwrap().to_owned(),
        TestKeyWrapper::new(),
        HolderKeys::secure_area(area.clone()),
        options(),
    )
    .unwrap();
    block_on(wallet.clone().unlock(None)).unwrap();
    let issuer = issuer();
    let old = enrol(&wallet, &issuer);
    area.biometrics_re_enrolled();
    // A document enrolled after the change keeps working beside the dead one.
    let other = enrol(&wallet, &issuer);
    let show = |id: &str| block_on(wallet.show_qr(id.to_owned(), hotel()));
    let error = show(&old).unwrap_err();
    assert!(
        matches!(error, WalletError::HolderKeyInvalidated { .. }),
        "{error:?}"
    );
    assert_eq!(error.next_step(), NextStep::ReEnrolDocument);
    assert!(
        !error.to_string().contains(&old),
        "no document id or alias in the message"
    );
    // An invalidated key is not a wrong biometric: more tries than the lockout allows are not
    // counted, and the other document still presents.
    for _ in 0..6 {
        assert!(matches!(
            show(&old),
            Err(WalletError::HolderKeyInvalidated { .. })
        ));
    }
    assert!(show(&other).is_ok(), "the other document still presents");
    // Recovery: enrol again, then delete the dead entry, authorised by a working key.
    let renewed = enrol(&wallet, &issuer);
    assert!(show(&renewed).is_ok());
    let signed_before = area.signed.lock().unwrap().len();
    block_on(wallet.delete_document(old.clone())).unwrap();
    assert_eq!(
        area.signed.lock().unwrap().len(),
        signed_before + 1,
        "the deletion was authorised by one signature of a working key"
    );
    let mut left: Vec<String> = block_on(wallet.clone().documents())
        .unwrap()
        .into_iter()
        .map(|d| d.id)
        .collect();
    left.sort();
    let mut expected = vec![other, renewed];
    expected.sort();
    assert_eq!(left, expected);
    // The wallet itself is untouched: it locks and unlocks, and its log exports (the export
    // gate's oldest key is the dead one; a working key passes it).
    wallet.lock();
    block_on(wallet.clone().unlock(None)).unwrap();
    assert!(!block_on(wallet.activity_log(50)).unwrap().is_empty());
}

#[test]
fn a_document_whose_key_died_cannot_be_deleted_without_another_proven_authentication() {
    let dir = tempfile::tempdir().unwrap();
    let area = TestSecureArea::new();
    let wallet = Wallet::create(
        dir.path().to_str().unwrap().to_owned(),
        TestKeyWrapper::new(),
        HolderKeys::secure_area(area.clone()),
        options(),
    )
    .unwrap();
    block_on(wallet.clone().unlock(None)).unwrap();
    let issuer = issuer();
    let only = enrol(&wallet, &issuer);
    area.biometrics_re_enrolled();
    let error = block_on(wallet.delete_document(only.clone())).unwrap_err();
    assert!(
        matches!(error, WalletError::HolderKeyInvalidated { .. }),
        "{error:?}"
    );
    assert_eq!(
        block_on(wallet.clone().documents()).unwrap().len(),
        1,
        "nothing deleted"
    );
}

fn hardware_wallet(
    options: WalletOptions,
) -> (tempfile::TempDir, Arc<Wallet>, Arc<TestSecureArea>) {
    let dir = tempfile::tempdir().unwrap();
    let area = TestSecureArea::new();
    let wallet = Wallet::create(
        dir.path().to_str().unwrap().to_owned(),
        TestKeyWrapper::new(),
        HolderKeys::secure_area(area.clone()),
        options,
    )
    .unwrap();
    block_on(wallet.clone().unlock(None)).unwrap();
    (dir, wallet, area)
}

#[test]
fn by_default_every_prompt_and_key_is_biometric_only() {
    let (_dir, wallet, area) = hardware_wallet(WalletOptions {
        details_fresh_within: Some(Duration::ZERO),
        ..options()
    });
    let issuer = issuer();
    let document = enrol(&wallet, &issuer);
    block_on(wallet.show_qr(document.clone(), hotel())).unwrap();
    block_on(wallet.document_details(document.clone())).unwrap();
    block_on(wallet.activity_log(10)).unwrap();
    block_on(wallet.delete_document(document)).unwrap();
    assert_eq!(*area.created_with_passcode.lock().unwrap(), vec![false]);
    let prompts = area.prompts.lock().unwrap().clone();
    assert_eq!(prompts.len(), 5, "{prompts:?}");
    assert!(prompts.iter().all(|(_, passcode)| !passcode), "{prompts:?}");
}

#[test]
fn the_device_passcode_is_offered_only_for_the_actions_the_options_list() {
    let (_dir, wallet, area) = hardware_wallet(WalletOptions {
        device_credential_for: vec![PromptReason::ViewDetails, PromptReason::ShowQr],
        details_fresh_within: Some(Duration::ZERO),
        ..options()
    });
    let issuer = issuer();
    let document = enrol(&wallet, &issuer);
    block_on(wallet.show_qr(document.clone(), hotel())).unwrap();
    block_on(wallet.document_details(document.clone())).unwrap();
    block_on(wallet.activity_log(10)).unwrap();
    block_on(wallet.delete_document(document)).unwrap();
    assert_eq!(
        *area.created_with_passcode.lock().unwrap(),
        vec![true],
        "the key must accept the passcode for the prompts that offer it"
    );
    assert_eq!(
        *area.prompts.lock().unwrap(),
        vec![
            (PromptReason::Enrolment, true),
            (PromptReason::ShowQr, true),
            (PromptReason::ViewDetails, true),
            (PromptReason::ExportLog, false),
            (PromptReason::DeleteDocument, false),
        ]
    );
}

#[test]
fn the_software_authenticator_is_told_when_the_passcode_may_be_offered() {
    let dir = tempfile::tempdir().unwrap();
    let authenticator = Arc::new(PasscodeRecorder {
        inner: TestAuthenticator::new(),
        allowed: Mutex::default(),
    });
    let wallet = Wallet::create(
        dir.path().join("w").to_str().unwrap().to_owned(),
        TestKeyWrapper::new(),
        HolderKeys::software(authenticator.clone()),
        WalletOptions {
            device_credential_for: vec![PromptReason::DeleteDocument],
            ..options()
        },
    )
    .unwrap();
    block_on(wallet.clone().unlock(None)).unwrap();
    let document = enrol(&wallet, &issuer());
    block_on(wallet.show_qr(document.clone(), hotel())).unwrap();
    block_on(wallet.delete_document(document)).unwrap();
    assert_eq!(
        *authenticator.allowed.lock().unwrap(),
        vec![
            (PromptReason::Enrolment, true),
            (PromptReason::ShowQr, false),
            (PromptReason::DeleteDocument, true),
        ]
    );
}

/// Records what each unlock request allows, then answers as the test authenticator.
struct PasscodeRecorder {
    inner: Arc<TestAuthenticator>,
    allowed: Mutex<Vec<(PromptReason, bool)>>,
}

#[async_trait::async_trait]
impl UserAuthenticator for PasscodeRecorder {
    async fn unlock_public_key(&self) -> Result<Vec<u8>, HostError> {
        self.inner.unlock_public_key().await
    }

    async fn authenticate(&self, request: UnlockRequest) -> Result<UnlockGrant, HostError> {
        self.allowed
            .lock()
            .unwrap()
            .push((request.reason, request.allow_device_credential));
        self.inner.authenticate(request).await
    }
}

#[test]
fn passcode_options_that_make_no_sense_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for bad in [
        WalletOptions {
            device_credential_for: vec![PromptReason::Enrolment],
            ..options()
        },
        WalletOptions {
            // gov needs ShowQr listed as well
            device_credential_for: vec![PromptReason::ViewDetails],
            device_credential_for_gov: true,
            ..options()
        },
    ] {
        let created = Wallet::create(
            dir.path().join("w").to_str().unwrap().to_owned(),
            TestKeyWrapper::new(),
            HolderKeys::software(TestAuthenticator::new()),
            bad,
        );
        assert!(
            matches!(created, Err(WalletError::InvalidInput { .. })),
            "{created:?}"
        );
    }
}

#[test]
fn a_hanging_host_is_ended_by_cancel_and_the_wallet_is_busy_meanwhile() {
    let setup = software_wallet();
    let running = show_on_a_hanging_host(&setup);
    assert!(matches!(
        block_on(setup.wallet.clone().documents()),
        Err(WalletError::Busy { .. })
    ));
    setup.wallet.cancel_authentication();
    let outcome = running.join().unwrap();
    assert!(matches!(outcome, Err(WalletError::Cancelled { .. })));
    assert!(setup.wallet.is_unlocked(), "cancel keeps the session");
    assert_eq!(block_on(setup.wallet.clone().documents()).unwrap().len(), 1);
    assert_wallet_still_works(&setup);
}

#[test]
fn lock_during_a_hanging_prompt_cancels_it_and_locks() {
    let setup = software_wallet();
    let running = show_on_a_hanging_host(&setup);
    setup.wallet.lock();
    assert!(matches!(
        running.join().unwrap(),
        Err(WalletError::Cancelled { .. })
    ));
    assert!(!setup.wallet.is_unlocked());
    assert!(matches!(
        block_on(setup.wallet.clone().documents()),
        Err(WalletError::Locked { .. })
    ));
    setup.authenticator.set(AUTH_OK);
    block_on(setup.wallet.clone().unlock(None)).unwrap();
    assert!(show(&setup).is_ok());
}

#[test]
fn the_host_gets_the_enrolment_nonce_as_attestation_challenge_and_its_evidence_reaches_the_issuer()
{
    let dir = tempfile::tempdir().unwrap();
    let area = TestSecureArea::new();
    area.mode.store(AREA_ATTESTS, Ordering::SeqCst);
    let wallet = Wallet::create(
        dir.path().to_str().unwrap().to_owned(),
        TestKeyWrapper::new(),
        HolderKeys::secure_area(area.clone()),
        options(),
    )
    .unwrap();
    block_on(wallet.clone().unlock(None)).unwrap();
    let issuer = issuer();
    let challenge = EnrolmentChallenge::random(issuer.issuer.issuer_id()).unwrap();
    let pending = block_on(wallet.begin_enrolment(
        issuer.issuer.issuer_id().to_owned(),
        challenge.nonce().to_vec(),
    ))
    .unwrap();
    assert_eq!(pending.security_level(), KeySecurityLevel::StrongBox);
    let proven =
        netid_core::wallet::verify_proof_attested(&pending.proof(), &challenge, SystemClock.now())
            .unwrap();
    assert_eq!(
        proven.attestation,
        netid_core::secure_area::KeyAttestation {
            level: netid_core::secure_area::KeySecurityLevel::StrongBox,
            evidence: netid_core::secure_area::KeyEvidence::AndroidKeyAttestation {
                chain: vec![challenge.nonce().to_vec(), b"intermediate".to_vec()],
            },
        }
    );

    // Evidence beyond the limits is the host misbehaving, and no proof is made.
    area.mode.store(AREA_OVERSIZED_EVIDENCE, Ordering::SeqCst);
    let refused = block_on(wallet.begin_enrolment(
        issuer.issuer.issuer_id().to_owned(),
        challenge.nonce().to_vec(),
    ));
    assert!(
        matches!(refused, Err(WalletError::HostMisbehaved { .. })),
        "{refused:?}"
    );
}

#[test]
fn a_hardware_secure_area_that_lies_cannot_present() {
    let dir = tempfile::tempdir().unwrap();
    let area = TestSecureArea::new();
    let wallet = Wallet::create(
        dir.path().to_str().unwrap().to_owned(),
        TestKeyWrapper::new(),
        HolderKeys::secure_area(area.clone()),
        options(),
    )
    .unwrap();
    block_on(wallet.clone().unlock(None)).unwrap();
    let issuer = issuer();
    let document = enrol(&wallet, &issuer);
    let show = || block_on(wallet.show_qr(document.clone(), hotel()));
    assert!(show().is_ok(), "an honest secure area presents");
    for (mode, what) in [
        (AREA_GARBAGE_SIGNATURE, "garbage instead of a signature"),
        (AREA_OTHER_KEY_SIGNS, "a valid signature by another key"),
        (AREA_THROWS, "an unexpected exception"),
    ] {
        area.mode.store(mode, Ordering::SeqCst);
        match show() {
            Err(WalletError::HostMisbehaved { .. }) => {}
            other => panic!("{what}: expected HostMisbehaved, got {other:?}"),
        }
    }
    area.mode.store(AREA_KEY_INVALIDATED, Ordering::SeqCst);
    let error = show().unwrap_err();
    assert!(
        matches!(error, WalletError::HolderKeyInvalidated { .. }),
        "{error:?}"
    );
    assert_eq!(error.next_step(), NextStep::ReEnrolDocument);

    area.mode.store(AREA_HANGS, Ordering::SeqCst);
    let canceller = {
        let wallet = Arc::clone(&wallet);
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            wallet.cancel_authentication();
        })
    };
    assert!(matches!(show(), Err(WalletError::Cancelled { .. })));
    canceller.join().unwrap();
    area.mode.store(AREA_OK, Ordering::SeqCst);
    assert!(show().is_ok(), "usable again after a cancelled hang");
}

#[test]
fn a_key_wrapper_that_fails_or_lies_opens_nothing_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_str().unwrap().to_owned();
    let wrapper = TestKeyWrapper::new();
    let authenticator = TestAuthenticator::new();
    let keys = HolderKeys::software(authenticator.clone());
    let wallet = Wallet::create(path.clone(), wrapper.clone(), keys.clone(), options()).unwrap();
    block_on(wallet.clone().unlock(None)).unwrap();
    let issuer = issuer();
    enrol(&wallet, &issuer);
    wallet.lock();
    drop(wallet);

    for (mode, what) in [
        (WRAP_THROWS, "throws"),
        (WRAP_SHORT_KEY, "returns 16 bytes"),
        (WRAP_WRONG_KEY, "returns another key"),
        (WRAP_KEY_GONE, "lost its key"),
    ] {
        wrapper.mode.store(mode, Ordering::SeqCst);
        let outcome = block_on(Wallet::open(
            path.clone(),
            wrapper.clone(),
            keys.clone(),
            options(),
        ))
        .and_then(|wallet| block_on(wallet.clone().unlock(None)).map(|()| wallet));
        match outcome {
            Err(
                WalletError::HostUnavailable { .. }
                | WalletError::KeyUnavailable { .. }
                | WalletError::StoreDamaged { .. },
            ) => {}
            other => panic!("a key wrapper that {what}: expected a key error, got {other:?}"),
        }
    }
    wrapper.mode.store(WRAP_KEY_GONE, Ordering::SeqCst);
    let gone = block_on(Wallet::open(
        path.clone(),
        wrapper.clone(),
        keys.clone(),
        options(),
    ))
    .and_then(|wallet| block_on(wallet.clone().unlock(None)));
    assert!(
        matches!(gone, Err(WalletError::KeyUnavailable { .. })),
        "{gone:?}"
    );

    wrapper.mode.store(WRAP_OK, Ordering::SeqCst);
    let wallet = block_on(Wallet::open(path, wrapper, keys, options())).unwrap();
    block_on(wallet.clone().unlock(None)).unwrap();
    assert_eq!(
        block_on(wallet.clone().documents()).unwrap().len(),
        1,
        "nothing was lost"
    );
}

#[test]
fn the_pin_is_counted_and_locks_out_across_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_str().unwrap().to_owned();
    let wrapper = TestKeyWrapper::new();
    let keys = HolderKeys::software(TestAuthenticator::new());
    let wallet = Wallet::create(path.clone(), wrapper.clone(), keys.clone(), options()).unwrap();
    block_on(wallet.clone().unlock(None)).unwrap();
    assert!(matches!(
        wallet.set_pin("12a4".to_owned()),
        Err(WalletError::InvalidInput {
            next_step: NextStep::ChooseValidPin,
            ..
        })
    ));
    wallet.set_pin("482915".to_owned()).unwrap();
    wallet.lock();
    drop(wallet);

    let with_pin = WalletOptions {
        max_failed_attempts: 3,
        ..options()
    };
    let open = || {
        block_on(Wallet::open(
            path.clone(),
            wrapper.clone(),
            keys.clone(),
            with_pin.clone(),
        ))
    };
    let wallet = open().unwrap();
    assert!(matches!(
        block_on(wallet.clone().unlock(None)),
        Err(WalletError::PinRequired { .. })
    ));
    block_on(wallet.clone().unlock(Some("482915".to_owned()))).unwrap();
    wallet.lock();
    assert!(matches!(
        block_on(wallet.clone().unlock(Some("000000".to_owned()))),
        Err(WalletError::WrongPin {
            attempts_left: 2,
            ..
        })
    ));
    drop(wallet);
    let wallet = open().unwrap();
    assert!(matches!(
        block_on(wallet.clone().unlock(Some("000001".to_owned()))),
        Err(WalletError::WrongPin {
            attempts_left: 1,
            ..
        })
    ));
    match block_on(wallet.clone().unlock(Some("000002".to_owned()))) {
        Err(WalletError::LockedOut {
            remaining,
            next_step: NextStep::WaitThenTryAgain { wait },
            ..
        }) => {
            assert!(
                remaining > Duration::from_secs(290) && remaining <= Duration::from_secs(300),
                "the configured 300 s lockout, just begun: {remaining:?}"
            );
            assert_eq!(remaining.subsec_nanos(), 0, "whole seconds");
            assert_eq!(wait, remaining);
        }
        other => panic!("expected a lockout, got {other:?}"),
    }
    drop(wallet);
    let wallet = open().unwrap();
    assert!(
        matches!(
            block_on(wallet.clone().unlock(Some("482915".to_owned()))),
            Err(WalletError::LockedOut { .. })
        ),
        "even the right PIN waits for the lockout, after reopening"
    );
}

#[test]
fn bad_arguments_get_specific_errors() {
    let setup = software_wallet();
    for bad in ["", "zz", "00112233445566778899aabbccddeeff00"] {
        let error = block_on(setup.wallet.show_qr(bad.to_owned(), hotel())).unwrap_err();
        assert!(
            matches!(error, WalletError::InvalidInput { .. }),
            "{bad:?}: {error:?}"
        );
    }
    let unknown = "00112233445566778899aabbccddeeff".to_owned();
    assert!(matches!(
        block_on(setup.wallet.show_qr(unknown, hotel())),
        Err(WalletError::NoSuchDocument { .. })
    ));
    for (lifetime, why) in [
        (Duration::from_secs(601), "too long"),
        (Duration::ZERO, "zero"),
        (Duration::from_millis(1_500), "a fraction of a second"),
    ] {
        let request = QrRequest {
            lifetime: Some(lifetime),
            ..hotel()
        };
        match block_on(setup.wallet.show_qr(setup.document.clone(), request)) {
            Err(WalletError::InvalidInput { reason, .. }) => assert!(
                reason.contains("lifetime must be a whole number of seconds from 1 s to 600 s"),
                "{why}: {reason}"
            ),
            other => panic!("{why}: expected InvalidInput, got {other:?}"),
        }
    }
    let default_lifetime = QrRequest {
        lifetime: None,
        ..hotel()
    };
    let shown = block_on(
        setup
            .wallet
            .show_qr(setup.document.clone(), default_lifetime),
    )
    .expect("an unset lifetime takes the default");
    let lifetime = shown
        .expires_at()
        .duration_since(shown.issued_at())
        .expect("expires after it is issued");
    assert_eq!(
        lifetime,
        Duration::from_secs(60),
        "the default lifetime is 1 minute"
    );
    assert!(matches!(
        block_on(setup.wallet.begin_enrolment("gov".to_owned(), vec![1; 3])),
        Err(WalletError::InvalidInput { .. })
    ));
    assert!(matches!(
        TrustList::from_json("{not json".to_owned()),
        Err(netid_ffi::VerifyError::InvalidConfiguration { .. })
    ));
    let verifier =
        netid_ffi::Verifier::new(Arc::clone(&setup.issuer.trust), default_verifier()).unwrap();
    assert!(matches!(
        block_on(
            verifier
                .clone()
                .verify("NID1:%%%".to_owned(), Purpose::HotelCheckIn)
        ),
        Err(netid_ffi::VerifyError::Malformed { .. })
    ));
}

#[test]
fn interactive_mode_binds_a_code_to_the_counter_and_its_challenge() {
    let setup = software_wallet();
    let challenge = vec![0x5c; 16];
    let request = QrRequest {
        audience: Some("front-desk-3".to_owned()),
        nonce: Some(challenge.clone()),
        ..hotel()
    };
    let text = block_on(setup.wallet.show_qr(setup.document.clone(), request))
        .unwrap()
        .qr_text();
    let verifier =
        netid_ffi::Verifier::new(Arc::clone(&setup.issuer.trust), default_verifier()).unwrap();
    let scan = |audience: &str, nonce: &[u8]| {
        verifier.verify_scan(
            text.clone(),
            netid_ffi::ScanRequest {
                purpose: Purpose::HotelCheckIn,
                audience: Some(audience.to_owned()),
                nonce: Some(nonce.to_vec()),
            },
        )
    };
    assert!(matches!(
        scan("front-desk-4", &challenge),
        Err(netid_ffi::VerifyError::WrongAudience { .. })
    ));
    assert!(matches!(
        scan("front-desk-3", &[0x5d; 16]),
        Err(netid_ffi::VerifyError::NonceMismatch { .. })
    ));
    assert!(matches!(
        block_on(verifier.clone().verify(text.clone(), Purpose::HotelCheckIn)),
        Err(netid_ffi::VerifyError::WrongAudience { .. })
    ));
    scan("front-desk-3", &challenge).expect("the right counter and challenge accept it");
}

#[test]
fn a_wallet_whose_key_is_gone_can_be_destroyed_and_started_over() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wallet");
    let path_text = path.to_str().unwrap().to_owned();
    let wrapper = TestKeyWrapper::new();
    let keys = HolderKeys::software(TestAuthenticator::new());
    let wallet =
        Wallet::create(path_text.clone(), wrapper.clone(), keys.clone(), options()).unwrap();
    block_on(wallet.clone().unlock(None)).unwrap();
    enrol(&wallet, &issuer());
    drop(wallet);

    // The phone was restored without its key store: the wallet cannot be opened any more.
    wrapper.mode.store(WRAP_KEY_GONE, Ordering::SeqCst);
    let stuck = block_on(Wallet::open(
        path_text.clone(),
        wrapper.clone(),
        keys.clone(),
        options(),
    ))
    .and_then(|wallet| block_on(wallet.clone().unlock(None)));
    let error = stuck.unwrap_err();
    assert!(
        matches!(error, WalletError::KeyUnavailable { .. }),
        "{error:?}"
    );

    netid_ffi::destroy_wallet(path_text.clone(), wrapper.clone()).unwrap();
    let left: Vec<_> = std::fs::read_dir(&path).unwrap().collect();
    assert!(
        left.is_empty(),
        "destroy leaves no wallet file behind: {left:?}"
    );
    assert!(
        matches!(
            netid_ffi::destroy_wallet(path_text.clone(), wrapper.clone()),
            Err(WalletError::StoreDamaged { .. })
        ),
        "destroying nothing says there is no wallet"
    );

    wrapper.mode.store(WRAP_OK, Ordering::SeqCst);
    let fresh = Wallet::create(path_text, wrapper, keys, options()).unwrap();
    block_on(fresh.clone().unlock(None)).unwrap();
    assert!(block_on(fresh.clone().documents()).unwrap().is_empty());
}

// ----- a key wrapper that calls back into the wallet -----

/// What a host key wrapper may do from inside `unwrap`, while the wallet is unlocking.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum CallBack {
    /// Lists documents and unlocks again: both must get `Busy`, not wait on the unlock.
    ListAndUnlock,
    /// Locks the wallet: the unlock in progress must end locked.
    Lock,
}

/// Unwraps like [`TestKeyWrapper`], calling back into the wallet once armed.
struct ReentrantKeyWrapper {
    inner: Arc<TestKeyWrapper>,
    wallet: Mutex<Option<std::sync::Weak<Wallet>>>,
    call_back: Mutex<Option<CallBack>>,
    seen: Mutex<Vec<String>>,
}

impl KeyWrapper for ReentrantKeyWrapper {
    fn wrap(&self, data_key: Vec<u8>) -> Result<Vec<u8>, HostError> {
        self.inner.wrap(data_key)
    }

    fn unwrap(&self, wrapped: Vec<u8>) -> Result<Vec<u8>, HostError> {
        let wallet = self
            .wallet
            .lock()
            .unwrap()
            .as_ref()
            .and_then(|w| w.upgrade());
        let call_back = *self.call_back.lock().unwrap();
        if let (Some(wallet), Some(call_back)) = (wallet, call_back) {
            let mut seen = self.seen.lock().unwrap();
            match call_back {
                CallBack::ListAndUnlock => {
                    seen.push(format!(
                        "documents: {:?}",
                        block_on(wallet.clone().documents()).map(|d| d.len())
                    ));
                    seen.push(format!(
                        "unlock: {:?}",
                        block_on(wallet.clone().unlock(None))
                    ));
                    seen.push(format!("is_unlocked: {}", wallet.is_unlocked()));
                }
                CallBack::Lock => {
                    wallet.lock();
                    seen.push("locked".to_owned());
                }
            }
        }
        self.inner.unwrap(wrapped)
    }

    fn forget(&self, wrapped: Vec<u8>) -> Result<(), HostError> {
        self.inner.forget(wrapped)
    }

    fn load_anchor(&self, name: String) -> Result<Option<Vec<u8>>, HostError> {
        self.inner.load_anchor(name)
    }

    fn save_anchor(&self, name: String, value: Vec<u8>) -> Result<(), HostError> {
        self.inner.save_anchor(name, value)
    }

    fn forget_anchor(&self, name: String) -> Result<(), HostError> {
        self.inner.forget_anchor(name)
    }
}

/// Runs `body` on its own thread and fails if it has not finished within 60 s: a deadlock must
/// fail the test, not hang CI.
fn within_a_minute(body: impl FnOnce() + Send + 'static) {
    let (done, finished) = std::sync::mpsc::channel();
    let worker = std::thread::spawn(move || {
        body();
        let _ = done.send(());
    });
    match finished.recv_timeout(Duration::from_secs(60)) {
        Ok(()) => worker.join().unwrap(),
        // The body panicked: join to report its message.
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => worker.join().unwrap(),
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("the wallet deadlocked: a host callback re-entered it during unlock")
        }
    }
}

fn reentrant_wallet(
    call_back: CallBack,
) -> (tempfile::TempDir, Arc<Wallet>, Arc<ReentrantKeyWrapper>) {
    let dir = tempfile::tempdir().unwrap();
    let wrapper = Arc::new(ReentrantKeyWrapper {
        inner: TestKeyWrapper::new(),
        wallet: Mutex::new(None),
        call_back: Mutex::new(None),
        seen: Mutex::new(Vec::new()),
    });
    let wallet = Wallet::create(
        dir.path().join("w").to_str().unwrap().to_owned(),
        wrapper.clone(),
        HolderKeys::software(TestAuthenticator::new()),
        options(),
    )
    .unwrap();
    *wrapper.wallet.lock().unwrap() = Some(Arc::downgrade(&wallet));
    *wrapper.call_back.lock().unwrap() = Some(call_back);
    (dir, wallet, wrapper)
}

#[test]
fn a_key_wrapper_calling_back_into_the_unlocking_wallet_gets_busy_not_a_deadlock() {
    within_a_minute(|| {
        let (_dir, wallet, wrapper) = reentrant_wallet(CallBack::ListAndUnlock);
        block_on(wallet.clone().unlock(None)).expect("the unlock itself completes");
        let seen = wrapper.seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 3, "{seen:?}");
        assert!(seen[0].starts_with("documents: Err(Busy"), "{seen:?}");
        assert!(seen[1].starts_with("unlock: Err(Busy"), "{seen:?}");
        assert_eq!(seen[2], "is_unlocked: false");
        assert!(wallet.is_unlocked());
        assert_eq!(block_on(wallet.clone().documents()).unwrap().len(), 0);
    });
}

#[test]
fn a_lock_requested_during_unlock_wins() {
    within_a_minute(|| {
        let (_dir, wallet, wrapper) = reentrant_wallet(CallBack::Lock);
        let outcome = block_on(wallet.clone().unlock(None));
        assert!(
            matches!(outcome, Err(WalletError::Locked { .. })),
            "{outcome:?}"
        );
        assert_eq!(*wrapper.seen.lock().unwrap(), ["locked"]);
        assert!(!wallet.is_unlocked());
        assert!(matches!(
            block_on(wallet.clone().documents()),
            Err(WalletError::Locked { .. })
        ));
        // Nothing is stuck: unlocking again (without the lock this time) works.
        *wrapper.call_back.lock().unwrap() = None;
        block_on(wallet.clone().unlock(None)).unwrap();
        assert!(wallet.is_unlocked());
    });
}

/// A logger that keeps every message, and can be told to throw or to call back into a wallet.
struct RecordingLogger {
    messages: Mutex<Vec<(netid_ffi::LogLevel, String)>>,
    throw: std::sync::atomic::AtomicBool,
    reenter: Mutex<Option<Arc<Wallet>>>,
}

impl netid_ffi::LogSink for RecordingLogger {
    fn log(&self, level: netid_ffi::LogLevel, message: String) -> Result<(), HostError> {
        if let Some(wallet) = self.reenter.lock().unwrap().clone() {
            // A logger that asks the wallet something must not deadlock it.
            let _ = wallet.is_unlocked();
        }
        self.messages.lock().unwrap().push((level, message));
        if self.throw.load(Ordering::SeqCst) {
            return Err(HostError::Unavailable {
                detail: "the logger failed".to_owned(),
            });
        }
        Ok(())
    }
}

/// The logging hook hears operations and outcome kinds, never personal data; a logger that
/// throws or calls back into the wallet changes no outcome. (One test: the logger is global.)
#[test]
fn the_logging_hook_hears_outcomes_never_claims_and_cannot_break_anything() {
    let logger = Arc::new(RecordingLogger {
        messages: Mutex::new(Vec::new()),
        throw: std::sync::atomic::AtomicBool::new(false),
        reenter: Mutex::new(None),
    });
    netid_ffi::set_logger(Some(logger.clone()));
    let setup = software_wallet();
    let text = show(&setup).expect("a code");
    let verifier =
        netid_ffi::Verifier::new(Arc::clone(&setup.issuer.trust), default_verifier()).unwrap();
    block_on(verifier.clone().verify(text.clone(), Purpose::HotelCheckIn)).expect("verifies");
    let replayed = block_on(verifier.clone().verify(text.clone(), Purpose::HotelCheckIn));
    assert!(replayed.is_err());

    let messages: Vec<(netid_ffi::LogLevel, String)> = logger.messages.lock().unwrap().clone();
    let said = |wanted: &str| messages.iter().any(|(_, m)| m == wanted);
    assert!(said("unlock: ok"), "{messages:?}");
    assert!(said("show a code (HotelCheckIn): ok"), "{messages:?}");
    assert!(said("verify a code: ok"), "{messages:?}");
    assert!(
        messages
            .iter()
            .any(|(l, m)| *l == netid_ffi::LogLevel::Warn && m == "verify a code: replayed"),
        "{messages:?}"
    );
    // Every string value of the claims file, e.g. the name and the ID number.
    let values: Vec<&str> = CLAIMS
        .split('"')
        .skip(3)
        .step_by(4)
        .filter(|v| v.len() > 3)
        .collect();
    assert!(values.len() > 4, "{values:?}");
    for (_, message) in &messages {
        assert!(!message.contains(&text), "a QR text was logged");
        assert!(
            !message.contains(&setup.document),
            "a document id was logged"
        );
        for value in &values {
            assert!(!message.contains(value), "claim value {value} in {message}");
        }
    }

    // Throwing and re-entrant loggers: every outcome stays the same.
    logger.throw.store(true, Ordering::SeqCst);
    *logger.reenter.lock().unwrap() = Some(setup.wallet.clone());
    let again = show(&setup).expect("a code, whatever the logger does");
    block_on(verifier.clone().verify(again, Purpose::HotelCheckIn)).expect("verifies");
    setup.wallet.lock();
    assert!(!setup.wallet.is_unlocked());
    *logger.reenter.lock().unwrap() = None;
    netid_ffi::set_logger(None);
    let before = logger.messages.lock().unwrap().len();
    block_on(setup.wallet.clone().unlock(None)).unwrap();
    assert_eq!(
        logger.messages.lock().unwrap().len(),
        before,
        "removed means silent"
    );
}
