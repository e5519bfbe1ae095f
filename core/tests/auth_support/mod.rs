//! Test doubles shared by the `secure_area_*` and `auth_*` tests: a settable clock, a scripted
//! desktop user, a scripted hardware secure area with real P-256 keys, and a file-backed
//! authentication state store that outlives any `Auth`.
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use netid_core::auth::{AuthState, AuthStateStore, StateStoreError};
use netid_core::secure_area::{
    HolderPublicKey, KeyAlias, KeyAuthPolicy, KeyWrappingKey, MemoryKeyBlobStore, PromptReason,
    SecureArea, SecureAreaError, SoftwareAuthenticator, SoftwareSecureArea, UncheckedSignature,
    UserVerifier,
};
use netid_core::time::{Clock, UnixTime, Uptime};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use zeroize::Zeroizing;

/// A wall clock the test sets and, optionally, a boot-time clock: `advance` is time passing
/// (both move), `set` is someone changing the wall clock (only it moves), `reboot` starts a new
/// boot whose uptime begins at the given seconds.
#[derive(Debug)]
pub struct ManualClock {
    wall: AtomicU64,
    uptime: Mutex<Option<Uptime>>,
}

impl ManualClock {
    /// A wall clock only (the platform has no boot-time clock).
    pub fn at(seconds: u64) -> Self {
        Self {
            wall: AtomicU64::new(seconds),
            uptime: Mutex::new(None),
        }
    }
    /// A wall clock and a boot-time clock `uptime` seconds into boot 1.
    pub fn with_uptime(seconds: u64, uptime: u64) -> Self {
        Self {
            wall: AtomicU64::new(seconds),
            uptime: Mutex::new(Some(Uptime {
                boot_id: [1; 16],
                since_boot_secs: uptime,
            })),
        }
    }
    pub fn set(&self, seconds: u64) {
        self.wall.store(seconds, Ordering::SeqCst);
    }
    pub fn advance(&self, seconds: u64) {
        self.wall.fetch_add(seconds, Ordering::SeqCst);
        if let Some(uptime) = self.uptime.lock().unwrap().as_mut() {
            uptime.since_boot_secs += seconds;
        }
    }
    pub fn reboot(&self, uptime: u64) {
        if let Some(current) = self.uptime.lock().unwrap().as_mut() {
            current.boot_id[0] = current.boot_id[0].wrapping_add(1);
            current.since_boot_secs = uptime;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> UnixTime {
        UnixTime::from_secs(i64::try_from(self.wall.load(Ordering::SeqCst)).unwrap_or(i64::MAX))
    }
    fn uptime(&self) -> Option<Uptime> {
        *self.uptime.lock().unwrap()
    }
}

/// A desktop user who answers prompts from a script (then says yes), counting prompts.
#[derive(Default)]
pub struct ScriptedUser {
    script: Mutex<VecDeque<Result<(), SecureAreaError>>>,
    prompts: AtomicUsize,
}

impl ScriptedUser {
    pub fn answering(answers: Vec<Result<(), SecureAreaError>>) -> Self {
        Self {
            script: Mutex::new(answers.into()),
            prompts: AtomicUsize::new(0),
        }
    }
    pub fn prompts(&self) -> usize {
        self.prompts.load(Ordering::SeqCst)
    }
}

impl UserVerifier for ScriptedUser {
    async fn verify_user(&self, _reason: PromptReason) -> Result<(), SecureAreaError> {
        self.prompts.fetch_add(1, Ordering::SeqCst);
        self.script.lock().unwrap().pop_front().unwrap_or(Ok(()))
    }
}

pub const WRAPPING_KEY: [u8; 32] = [0x42; 32];
pub const AUTHENTICATOR_SECRET: [u8; 32] = [0x17; 32];
pub const NEW_AUTHENTICATOR_SECRET: [u8; 32] = [0x29; 32];

pub type SoftwareArea = SoftwareSecureArea<SoftwareAuthenticator<ScriptedUser>, MemoryKeyBlobStore>;

pub fn software_authenticator(
    secret: [u8; 32],
    user: ScriptedUser,
) -> SoftwareAuthenticator<ScriptedUser> {
    SoftwareAuthenticator::new(&Zeroizing::new(secret), user).expect("valid authenticator secret")
}

pub fn software_area_with(
    wrapping_key: [u8; 32],
    authenticator_secret: [u8; 32],
    user: ScriptedUser,
    blobs: MemoryKeyBlobStore,
) -> SoftwareArea {
    SoftwareSecureArea::new(
        KeyWrappingKey::new(Zeroizing::new(wrapping_key)),
        software_authenticator(authenticator_secret, user),
        blobs,
    )
}

pub fn software_area(user: ScriptedUser) -> SoftwareArea {
    software_area_with(
        WRAPPING_KEY,
        AUTHENTICATOR_SECRET,
        user,
        MemoryKeyBlobStore::new(),
    )
}

pub fn alias(name: &str) -> KeyAlias {
    KeyAlias::new(name).expect("valid alias")
}

/// What the scripted hardware secure area does on its next `sign`.
#[derive(Debug)]
pub enum HostAnswer {
    /// Prompts, the user passes, signs honestly.
    Sign,
    /// The prompt ends with this error.
    Refuse(SecureAreaError),
    /// Says "success" but returns bytes that are no signature.
    YesWithGarbage,
    /// Signs with a different key than the one it reported.
    SignWithOtherKey,
    /// Signs different bytes than it was given.
    SignOtherMessage,
}

/// A stand-in for a host's hardware secure area: real P-256 keys, scripted prompt outcomes.
pub struct ScriptedHostArea {
    keys: Mutex<HashMap<KeyAlias, SigningKey>>,
    script: Mutex<VecDeque<HostAnswer>>,
    pub report_foreign_public_key: bool,
    /// What `create_key` reports as the new key's attestation (given its public key and the
    /// challenge); `None`: a software key's (level software, no evidence).
    pub attestor: Option<Attestor>,
    sign_calls: AtomicUsize,
    signed: Mutex<Vec<Vec<u8>>>,
}

/// Makes a key's attestation from its public key and the attestation challenge.
pub type Attestor =
    Box<dyn Fn(&p256::PublicKey, &[u8]) -> netid_core::secure_area::KeyAttestation + Send + Sync>;

impl ScriptedHostArea {
    pub fn new() -> Self {
        Self {
            keys: Mutex::new(HashMap::new()),
            script: Mutex::new(VecDeque::new()),
            report_foreign_public_key: false,
            attestor: None,
            sign_calls: AtomicUsize::new(0),
            signed: Mutex::new(Vec::new()),
        }
    }
    pub fn then(&self, answer: HostAnswer) -> &Self {
        self.script.lock().unwrap().push_back(answer);
        self
    }
    pub fn sign_calls(&self) -> usize {
        self.sign_calls.load(Ordering::SeqCst)
    }
    /// Messages the host was asked to sign, in order.
    pub fn signed_messages(&self) -> Vec<Vec<u8>> {
        self.signed.lock().unwrap().clone()
    }
}

impl SecureArea for ScriptedHostArea {
    async fn create_key(
        &self,
        alias: &KeyAlias,
        _policy: KeyAuthPolicy,
        challenge: &[u8],
    ) -> Result<netid_core::secure_area::CreatedKey, SecureAreaError> {
        let mut keys = self.keys.lock().unwrap();
        if keys.contains_key(alias) {
            return Err(SecureAreaError::KeyExists);
        }
        let key = SigningKey::random(&mut rand_core::OsRng);
        let reported = if self.report_foreign_public_key {
            *SigningKey::random(&mut rand_core::OsRng).verifying_key()
        } else {
            *key.verifying_key()
        };
        keys.insert(alias.clone(), key);
        let attestation = match &self.attestor {
            Some(attest) => attest(&p256::PublicKey::from(&reported), challenge),
            None => netid_core::secure_area::KeyAttestation::software(),
        };
        Ok(netid_core::secure_area::CreatedKey {
            public_key: HolderPublicKey::from(reported),
            attestation,
        })
    }

    async fn public_key(&self, alias: &KeyAlias) -> Result<HolderPublicKey, SecureAreaError> {
        let keys = self.keys.lock().unwrap();
        let key = keys.get(alias).ok_or(SecureAreaError::KeyNotFound)?;
        Ok(HolderPublicKey::from(*key.verifying_key()))
    }

    async fn sign(
        &self,
        alias: &KeyAlias,
        message: &[u8],
        _reason: PromptReason,
    ) -> Result<UncheckedSignature, SecureAreaError> {
        self.sign_calls.fetch_add(1, Ordering::SeqCst);
        self.signed.lock().unwrap().push(message.to_vec());
        let answer = self
            .script
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or(HostAnswer::Sign);
        let key = self
            .keys
            .lock()
            .unwrap()
            .get(alias)
            .cloned()
            .ok_or(SecureAreaError::KeyNotFound)?;
        let der = |signature: Signature| UncheckedSignature(signature.to_der().as_bytes().to_vec());
        match answer {
            HostAnswer::Sign => Ok(der(key.sign(message))),
            HostAnswer::Refuse(error) => Err(error),
            HostAnswer::YesWithGarbage => Ok(UncheckedSignature(b"yes".to_vec())),
            HostAnswer::SignWithOtherKey => {
                Ok(der(SigningKey::random(&mut rand_core::OsRng).sign(message)))
            }
            HostAnswer::SignOtherMessage => Ok(der(key.sign(b"something else entirely"))),
        }
    }

    async fn delete_key(&self, alias: &KeyAlias) -> Result<(), SecureAreaError> {
        self.keys
            .lock()
            .unwrap()
            .remove(alias)
            .map(|_| ())
            .ok_or(SecureAreaError::KeyNotFound)
    }
}

/// The encoding of `state` with its write sequence one higher (the sequence is the store's to
/// keep; its field is not public, so the test stores bump it in the encoding: bytes 1..9).
pub fn bump_seq(state: &AuthState) -> Vec<u8> {
    let mut bytes = state.to_bytes();
    let seq = u64::from_be_bytes(bytes[1..9].try_into().unwrap()) + 1;
    bytes[1..9].copy_from_slice(&seq.to_be_bytes());
    bytes
}

/// Authentication state kept in a file, re-read on every load, so it outlives any `Auth` and any
/// instance of this store (the production store keeps it in its encrypted database instead).
pub struct FileStateStore {
    pub path: PathBuf,
}

impl AuthStateStore for FileStateStore {
    fn load(&self) -> Result<Option<AuthState>, StateStoreError> {
        match std::fs::read(&self.path) {
            Ok(bytes) => AuthState::from_bytes(&bytes)
                .map(Some)
                .map_err(|e| StateStoreError {
                    detail: e.to_string(),
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StateStoreError {
                detail: e.to_string(),
            }),
        }
    }

    fn update(&self, change: &mut dyn FnMut(&mut AuthState)) -> Result<AuthState, StateStoreError> {
        let mut state = self.load()?.unwrap_or_default();
        change(&mut state);
        let state = AuthState::from_bytes(&bump_seq(&state)).unwrap();
        let temporary = self.path.with_extension("tmp");
        let io = |e: std::io::Error| StateStoreError {
            detail: e.to_string(),
        };
        std::fs::write(&temporary, state.to_bytes()).map_err(io)?;
        std::fs::rename(&temporary, &self.path).map_err(io)?;
        Ok(state)
    }
}

/// A store that records every saved state and refuses saves once its budget is spent.
pub struct BudgetedStore {
    pub saved: Mutex<Vec<AuthState>>,
    pub saves_allowed: AtomicUsize,
}

impl BudgetedStore {
    pub fn with_state(state: Option<AuthState>, saves_allowed: usize) -> Self {
        Self {
            saved: Mutex::new(state.into_iter().collect()),
            saves_allowed: AtomicUsize::new(saves_allowed),
        }
    }
    pub fn last(&self) -> Option<AuthState> {
        self.saved.lock().unwrap().last().cloned()
    }
}

impl AuthStateStore for BudgetedStore {
    fn load(&self) -> Result<Option<AuthState>, StateStoreError> {
        Ok(self.last())
    }

    fn update(&self, change: &mut dyn FnMut(&mut AuthState)) -> Result<AuthState, StateStoreError> {
        let left = self.saves_allowed.load(Ordering::SeqCst);
        if left == 0 {
            return Err(StateStoreError {
                detail: "disk full (simulated)".to_owned(),
            });
        }
        let mut state = self.last().unwrap_or_default();
        change(&mut state);
        let state = AuthState::from_bytes(&bump_seq(&state)).unwrap();
        self.saves_allowed.store(left - 1, Ordering::SeqCst);
        self.saved.lock().unwrap().push(state.clone());
        Ok(state)
    }
}
