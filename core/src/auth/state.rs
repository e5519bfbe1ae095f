//! The persisted attempt state (failure count, lockout level and remaining time, the clocks last
//! observed, a write sequence), its byte encoding, and the narrow trait `auth` needs from where it
//! is kept.
//!
//! The state holds no personal data and no secret; the wallet keeps it sealed under a key derived
//! from the key wrapper's output (so it can be counted *before* a PIN is known, and a copy of the
//! files alone cannot forge it) and anchored outside the wallet directory where the key wrapper
//! can. This module must never interpret time or policy (that is `auth::Auth`) and never accept
//! bytes it cannot fully account for.

use std::fmt;
use std::sync::{Arc, Mutex};

use crate::time::Uptime;

const STATE_VERSION: u8 = 2;
const STATE_LEN: usize = 1 + 8 + 4 + 4 + 1 + 8 + 8 + 1 + 16 + 8 + 4 + 4;

/// The attempt state that must survive the app being closed, the directory being restored and
/// the clock being moved.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthState {
    /// Grows by one with every durable update; an anchor with a higher value than the wallet
    /// directory's copy means the directory was restored from an older copy.
    pub(crate) seq: u64,
    /// Attempts counted since the last success or lockout (a reserved attempt counts at once).
    pub(crate) failed_attempts: u32,
    /// Lockouts since the last success: the escalation level.
    pub(crate) lockouts: u32,
    /// The lockout in force, if any.
    pub(crate) lock: Lock,
    /// The latest wall-clock time seen (Unix seconds): a clock set back reads as this.
    pub(crate) clock_high_water: u64,
    /// The boot-time clock at the last update, if the platform has one.
    pub(crate) observed_uptime: Option<Uptime>,
    /// Failed attempts not yet written to the activity log (a wrong PIN is counted before the
    /// store, and so its log, can be opened).
    pub(crate) unlogged_failures: u32,
    /// Lockouts not yet written to the activity log.
    pub(crate) unlogged_lockouts: u32,
}

/// Whether attempts are locked out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Lock {
    /// Attempts are allowed.
    #[default]
    Open,
    /// Locked for this many more seconds of elapsed time.
    For { remaining_secs: u64 },
    /// Locked for good: the wallet must be reset (see `AuthError::PermanentlyLocked`).
    Permanent,
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

    /// Lockouts since the last success.
    pub fn lockouts(&self) -> u32 {
        self.lockouts
    }

    /// The write sequence number.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The latest wall-clock time the wallet has observed (Unix seconds).
    pub fn clock_high_water(&self) -> u64 {
        self.clock_high_water
    }

    /// The encoding that is persisted: version 2, big-endian, fixed layout.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(STATE_LEN);
        out.push(STATE_VERSION);
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.failed_attempts.to_be_bytes());
        out.extend_from_slice(&self.lockouts.to_be_bytes());
        let (tag, remaining) = match self.lock {
            Lock::Open => (0u8, 0u64),
            Lock::For { remaining_secs } => (1, remaining_secs),
            Lock::Permanent => (2, 0),
        };
        out.push(tag);
        out.extend_from_slice(&remaining.to_be_bytes());
        out.extend_from_slice(&self.clock_high_water.to_be_bytes());
        let uptime = self.observed_uptime.unwrap_or(Uptime {
            boot_id: [0; 16],
            since_boot_secs: 0,
        });
        out.push(u8::from(self.observed_uptime.is_some()));
        out.extend_from_slice(&uptime.boot_id);
        out.extend_from_slice(&uptime.since_boot_secs.to_be_bytes());
        out.extend_from_slice(&self.unlogged_failures.to_be_bytes());
        out.extend_from_slice(&self.unlogged_lockouts.to_be_bytes());
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
        let seq = u64::from_be_bytes(reader.array()?);
        let failed_attempts = u32::from_be_bytes(reader.array()?);
        let lockouts = u32::from_be_bytes(reader.array()?);
        let [tag] = reader.array::<1>()?;
        let remaining = u64::from_be_bytes(reader.array()?);
        let lock = match (tag, remaining) {
            (0, 0) => Lock::Open,
            (1, remaining_secs) => Lock::For { remaining_secs },
            (2, 0) => Lock::Permanent,
            _ => {
                return Err(CorruptAuthState {
                    what: "unknown lock state",
                });
            }
        };
        let clock_high_water = u64::from_be_bytes(reader.array()?);
        let has_uptime = reader.flag()?;
        let boot_id = reader.array::<16>()?;
        let since_boot_secs = u64::from_be_bytes(reader.array()?);
        let observed_uptime = has_uptime.then_some(Uptime {
            boot_id,
            since_boot_secs,
        });
        let unlogged_failures = u32::from_be_bytes(reader.array()?);
        let unlogged_lockouts = u32::from_be_bytes(reader.array()?);
        if !reader.0.is_empty() {
            return Err(CorruptAuthState {
                what: "trailing bytes",
            });
        }
        Ok(Self {
            seq,
            failed_attempts,
            lockouts,
            lock,
            clock_high_water,
            observed_uptime,
            unlogged_failures,
            unlogged_lockouts,
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

/// The storage for [`AuthState`] failed, or found it rolled back or damaged.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the authentication state could not be read or saved: {detail}")]
pub struct StateStoreError {
    /// What the storage reported (no secrets).
    pub detail: String,
}

/// Where [`AuthState`] is kept.
///
/// `update` is the only way to change it: one read-modify-write that is atomic against every
/// other `update` on the same wallet, *across processes*, and durable before it returns. `auth`
/// relies on it to reserve an attempt before a prompt or a PIN check, so no number of parallel
/// callers gets more than the policy's attempts evaluated. Implementations increment
/// [`AuthState::seq`] on every update.
pub trait AuthStateStore: Send + Sync {
    /// The saved state, or `None` before the first update.
    fn load(&self) -> Result<Option<AuthState>, StateStoreError>;
    /// Applies `change` to the current state (the default state if none is saved) and saves the
    /// result durably; returns what was saved.
    fn update(&self, change: &mut dyn FnMut(&mut AuthState)) -> Result<AuthState, StateStoreError>;
}

impl<T: AuthStateStore + ?Sized> AuthStateStore for Arc<T> {
    fn load(&self) -> Result<Option<AuthState>, StateStoreError> {
        (**self).load()
    }

    fn update(&self, change: &mut dyn FnMut(&mut AuthState)) -> Result<AuthState, StateStoreError> {
        (**self).update(change)
    }
}

/// An in-memory [`AuthStateStore`] that keeps the encoded bytes; clones share them, so a state
/// outlives any one `Auth` using it. Atomic within one process only.
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

fn decode(bytes: Option<&[u8]>) -> Result<Option<AuthState>, StateStoreError> {
    bytes
        .map(AuthState::from_bytes)
        .transpose()
        .map_err(|corrupt| StateStoreError {
            detail: corrupt.to_string(),
        })
}

impl AuthStateStore for MemoryAuthStateStore {
    fn load(&self) -> Result<Option<AuthState>, StateStoreError> {
        let guard = self.0.lock().unwrap_or_else(|p| p.into_inner());
        decode(guard.as_deref())
    }

    fn update(&self, change: &mut dyn FnMut(&mut AuthState)) -> Result<AuthState, StateStoreError> {
        let mut guard = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let mut state = decode(guard.as_deref())?.unwrap_or_default();
        change(&mut state);
        state.seq = state.seq.saturating_add(1);
        *guard = Some(state.to_bytes());
        Ok(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_round_trips_and_rejects_damage() {
        let state = AuthState {
            seq: 9,
            failed_attempts: 3,
            lockouts: 2,
            lock: Lock::For { remaining_secs: 61 },
            clock_high_water: 1_800_000_000,
            observed_uptime: Some(Uptime {
                boot_id: [7; 16],
                since_boot_secs: 4_000,
            }),
            unlogged_failures: 4,
            unlogged_lockouts: 1,
        };
        let bytes = state.to_bytes();
        assert_eq!(bytes.len(), STATE_LEN);
        assert_eq!(AuthState::from_bytes(&bytes), Ok(state));
        assert!(AuthState::from_bytes(&bytes[..bytes.len() - 1]).is_err());
        let mut bad_tag = bytes.clone();
        bad_tag[17] = 9;
        assert!(AuthState::from_bytes(&bad_tag).is_err());
        let mut old = bytes;
        old[0] = 1;
        assert!(AuthState::from_bytes(&old).is_err());
    }
}
