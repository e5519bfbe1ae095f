//! The persisted authentication state (failure count, lockout end, clock high-water mark, PIN
//! verifier), its byte encoding, and the narrow traits `auth` needs from the store and the clock.
//!
//! The state holds no personal data and no secret usable off the device; the store still keeps
//! it encrypted like every record. This module must never interpret time or policy (that is
//! `auth::Auth`) and never accept bytes it cannot fully account for.

use std::fmt;
use std::sync::{Arc, Mutex};

use super::pin::{PinParams, PinVerifier};

const STATE_VERSION: u8 = 1;
const WITHOUT_PIN_LEN: usize = 23;
const WITH_PIN_LEN: usize = WITHOUT_PIN_LEN + 16 + 12 + 32;

/// The lock state that must survive the app being closed, and the PIN verifier.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthState {
    pub(crate) failed_attempts: u32,
    pub(crate) locked_until: Option<u64>,
    pub(crate) clock_high_water: u64,
    pub(crate) pin: Option<PinVerifier>,
}

/// A persisted state that could not be read back.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the stored authentication state is damaged ({what})")]
pub struct CorruptAuthState {
    /// Which part is wrong.
    pub what: &'static str,
}

impl AuthState {
    /// Failed attempts since the last success or lockout.
    pub fn failed_attempts(&self) -> u32 {
        self.failed_attempts
    }

    /// When the current lockout ends (Unix seconds), if one was set.
    pub fn locked_until(&self) -> Option<u64> {
        self.locked_until
    }

    /// The latest wall-clock time the wallet has observed (Unix seconds).
    pub fn clock_high_water(&self) -> u64 {
        self.clock_high_water
    }

    /// Whether a wallet PIN is set.
    pub fn has_pin(&self) -> bool {
        self.pin.is_some()
    }

    /// The encoding the store persists: version 1, big-endian, fixed layout.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(WITH_PIN_LEN);
        out.push(STATE_VERSION);
        out.extend_from_slice(&self.failed_attempts.to_be_bytes());
        out.push(u8::from(self.locked_until.is_some()));
        out.extend_from_slice(&self.locked_until.unwrap_or(0).to_be_bytes());
        out.extend_from_slice(&self.clock_high_water.to_be_bytes());
        out.push(u8::from(self.pin.is_some()));
        if let Some(pin) = &self.pin {
            out.extend_from_slice(&pin.salt);
            out.extend_from_slice(&pin.params.memory_kib().to_be_bytes());
            out.extend_from_slice(&pin.params.iterations().to_be_bytes());
            out.extend_from_slice(&pin.params.parallelism().to_be_bytes());
            out.extend_from_slice(&pin.verifier);
        }
        out
    }

    /// Reads [`Self::to_bytes`] output back; any deviation is an error, never a guess.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CorruptAuthState> {
        let mut reader = Reader(bytes);
        if reader.array::<1>()? != [STATE_VERSION] {
            return Err(CorruptAuthState {
                what: "unknown version",
            });
        }
        let failed_attempts = u32::from_be_bytes(reader.array()?);
        let lock_flag = reader.flag()?;
        let locked_until = u64::from_be_bytes(reader.array()?);
        if !lock_flag && locked_until != 0 {
            return Err(CorruptAuthState {
                what: "lockout end set without a lockout",
            });
        }
        let clock_high_water = u64::from_be_bytes(reader.array()?);
        let pin = if reader.flag()? {
            let salt = reader.array()?;
            let memory_kib = u32::from_be_bytes(reader.array()?);
            let iterations = u32::from_be_bytes(reader.array()?);
            let parallelism = u32::from_be_bytes(reader.array()?);
            let params = PinParams::from_stored(memory_kib, iterations, parallelism).ok_or(
                CorruptAuthState {
                    what: "PIN parameters out of range",
                },
            )?;
            let verifier = reader.array()?;
            Some(PinVerifier {
                salt,
                params,
                verifier,
            })
        } else {
            None
        };
        if !reader.0.is_empty() {
            return Err(CorruptAuthState {
                what: "trailing bytes",
            });
        }
        Ok(Self {
            failed_attempts,
            locked_until: lock_flag.then_some(locked_until),
            clock_high_water,
            pin,
        })
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn array<const N: usize>(&mut self) -> Result<[u8; N], CorruptAuthState> {
        let (head, rest) = self
            .0
            .split_first_chunk::<N>()
            .ok_or(CorruptAuthState { what: "truncated" })?;
        self.0 = rest;
        Ok(*head)
    }

    fn flag(&mut self) -> Result<bool, CorruptAuthState> {
        match self.array::<1>()? {
            [0] => Ok(false),
            [1] => Ok(true),
            _ => Err(CorruptAuthState {
                what: "flag is neither 0 nor 1",
            }),
        }
    }
}

/// The storage for [`AuthState`] failed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the authentication state could not be read or saved: {detail}")]
pub struct StateStoreError {
    /// What the storage reported (no secrets).
    pub detail: String,
}

/// Where [`AuthState`] is persisted: the store's settings/counters record at merge time.
///
/// `save` must be durable when it returns `Ok`: `auth` relies on it to count an attempt before
/// revealing its result.
pub trait AuthStateStore: Send + Sync {
    /// The saved state, or `None` before the first save.
    fn load(&self) -> Result<Option<AuthState>, StateStoreError>;
    /// Replaces the saved state.
    fn save(&self, state: &AuthState) -> Result<(), StateStoreError>;
}

impl<T: AuthStateStore + ?Sized> AuthStateStore for Arc<T> {
    fn load(&self) -> Result<Option<AuthState>, StateStoreError> {
        (**self).load()
    }

    fn save(&self, state: &AuthState) -> Result<(), StateStoreError> {
        (**self).save(state)
    }
}

/// An in-memory [`AuthStateStore`] that keeps the encoded bytes; clones share them, so a state
/// outlives any one `Auth` using it.
#[derive(Clone, Default)]
pub struct MemoryAuthStateStore(Arc<Mutex<Option<Vec<u8>>>>);

impl MemoryAuthStateStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl fmt::Debug for MemoryAuthStateStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MemoryAuthStateStore")
    }
}

impl AuthStateStore for MemoryAuthStateStore {
    fn load(&self) -> Result<Option<AuthState>, StateStoreError> {
        let guard = self.0.lock().unwrap_or_else(|p| p.into_inner());
        guard
            .as_deref()
            .map(AuthState::from_bytes)
            .transpose()
            .map_err(|corrupt| StateStoreError {
                detail: corrupt.to_string(),
            })
    }

    fn save(&self, state: &AuthState) -> Result<(), StateStoreError> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(state.to_bytes());
        Ok(())
    }
}
