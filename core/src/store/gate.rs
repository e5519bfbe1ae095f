//! What the store keeps for the time *before* its data key is known: the wallet id, the PIN layer
//! and the attempt state, and their anchors outside the wallet directory.
//!
//! With a PIN set, the key wrapper's answer (the *unwrap secret*) no longer is the data key: the
//! data key is sealed under the PIN ([`PinLayer`], `meta` row `pin_layer`). Attempts must still be
//! counted before that, so the attempt state lives in `meta` row `gate_state`, sealed under a key
//! derived from the unwrap secret (the files alone can neither read nor forge it), and every
//! change is one IMMEDIATE transaction on its own connection: atomic across processes. Where the
//! key wrapper offers an [`AnchorStore`] (outside the directory, out of backups), each change is
//! also written there *before* the transaction commits, and a directory whose state is older than
//! its anchor gets the anchor's state back: restoring an old copy does not reset the count.
//!
//! This module never holds the data key, never decides policy (that is `auth`), and never lets an
//! anchor or state it cannot read count as "no attempts yet".

use std::path::Path;
use std::sync::{Arc, Mutex};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::{StoreError, configure, meta};
use crate::auth::{AuthState, AuthStateStore, PinLayer, StateStoreError};
use crate::keystore::{AnchorStore, fill_random};

const WALLET_ID: &str = "wallet_id";
pub(crate) const PIN_LAYER: &str = "pin_layer";
pub(crate) const GATE_STATE: &str = "gate_state";
pub(crate) const UNWRAP_CHECK: &str = "unwrap_check";
const GATE_KEY_LABEL: &[u8] = b"netid store: gate state key v1";
const UNWRAP_CHECK_LABEL: &[u8] = b"netid store: unwrap check v1";
const GATE_AAD: &[u8] = b"netid store: meta gate_state v1";
const NONCE_LEN: usize = 24;

/// What the key wrapper returned for this wallet: the data key itself without a PIN, the key the
/// PIN layer is sealed under with one. Zeroized on drop, never printed.
pub struct UnwrapSecret(pub(crate) Zeroizing<[u8; 32]>);

impl UnwrapSecret {
    /// A fresh random secret, for a new PIN layer.
    pub fn generate() -> Result<Self, StoreError> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        fill_random(bytes.as_mut())?;
        Ok(Self(bytes))
    }

    /// The data key itself, for a wallet without a PIN (the key wrapper then wraps the data key).
    pub fn from_data_key(data_key: &crate::keystore::DataKey) -> Self {
        Self(Zeroizing::new(*data_key.expose_secret()))
    }

    /// The bytes, for the PIN layer's derivation.
    pub fn expose_secret(&self) -> &[u8; 32] {
        &self.0
    }

    pub(crate) fn gate_key(&self) -> Zeroizing<[u8; 32]> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.0.as_slice())
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(GATE_KEY_LABEL);
        Zeroizing::new(mac.finalize().into_bytes().into())
    }
}

impl UnwrapSecret {
    /// A value that tells whether a key wrapper's answer is this store's, without revealing it:
    /// so a wrong answer is `KeyUnavailable`, never a (counted) wrong PIN or a damaged state.
    pub(crate) fn check_value(&self) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.gate_key().as_slice())
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(UNWRAP_CHECK_LABEL);
        mac.finalize().into_bytes().into()
    }
}

impl std::fmt::Debug for UnwrapSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UnwrapSecret(<secret>)")
    }
}

/// The name of one of a wallet's anchors in the key wrapper's [`AnchorStore`].
pub(crate) fn anchor_name(kind: &str, wallet_id: &str) -> String {
    format!("netid-anchor-{kind}-{wallet_id}")
}

/// Forgets both anchors of the store at `path` (best effort: the wallet is being deleted).
pub(crate) fn forget_anchors(path: &Path, anchors: &dyn AnchorStore) {
    let id = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .ok()
    .and_then(|conn| meta::read(&conn, WALLET_ID).ok().flatten());
    if let Some(id) = id {
        let id = hex::encode(id);
        let _ = anchors.forget(&anchor_name("gate", &id));
        let _ = anchors.forget(&anchor_name("store", &id));
    }
}

/// The wallet's random id (hex), if it has one yet (no write).
pub(crate) fn read_wallet_id(conn: &Connection) -> Result<Option<String>, StoreError> {
    Ok(meta::read(conn, WALLET_ID)?.map(hex::encode))
}

/// The wallet's random id (hex), creating it for a store made before ids existed.
pub(crate) fn wallet_id(conn: &mut Connection) -> Result<String, StoreError> {
    if let Some(id) = meta::read(conn, WALLET_ID)? {
        return Ok(hex::encode(id));
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let id = match meta::read(&tx, WALLET_ID)? {
        Some(id) => id,
        None => {
            let mut id = [0u8; 16];
            fill_random(&mut id)?;
            meta::write(&tx, WALLET_ID, &id)?;
            id.to_vec()
        }
    };
    tx.commit()?;
    Ok(hex::encode(id))
}

/// The PIN layer, if a PIN is set.
pub(crate) fn pin_layer(conn: &Connection) -> Result<Option<PinLayer>, StoreError> {
    meta::read(conn, PIN_LAYER)?
        .map(|bytes| {
            PinLayer::from_bytes(&bytes).map_err(|e| StoreError::StoreCorrupted {
                detail: e.to_string(),
            })
        })
        .transpose()
}

pub(crate) fn seal_state(key: &[u8; 32], state: &AuthState) -> Result<Vec<u8>, StoreError> {
    let mut nonce = [0u8; NONCE_LEN];
    fill_random(&mut nonce)?;
    let sealed = XChaCha20Poly1305::new(key.into())
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: &state.to_bytes(),
                aad: GATE_AAD,
            },
        )
        .map_err(|_| StoreError::StoreCorrupted {
            detail: "the attempt state could not be sealed".to_owned(),
        })?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed);
    Ok(out)
}

pub(crate) fn open_state(key: &[u8; 32], sealed: &[u8]) -> Result<AuthState, StoreError> {
    let damaged = |detail: &str| StoreError::StoreCorrupted {
        detail: format!("the attempt state {detail}"),
    };
    let (nonce, body) = sealed
        .split_at_checked(NONCE_LEN)
        .ok_or_else(|| damaged("is truncated"))?;
    let plain = XChaCha20Poly1305::new(key.into())
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: body,
                aad: GATE_AAD,
            },
        )
        .map_err(|_| damaged("failed authentication"))?;
    AuthState::from_bytes(&plain).map_err(|e| damaged(&e.to_string()))
}

/// The attempt state of one wallet, readable before the data key: an [`AuthStateStore`] whose
/// every update is one IMMEDIATE transaction on its own connection, anchored outside the
/// directory where the key wrapper allows.
pub struct GateStore {
    inner: Mutex<GateInner>,
}

struct GateInner {
    conn: Connection,
    key: Zeroizing<[u8; 32]>,
    anchors: Option<Arc<dyn AnchorStore>>,
    anchor: String,
}

impl std::fmt::Debug for GateStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GateStore")
    }
}

fn state_error(error: StoreError) -> StateStoreError {
    StateStoreError {
        detail: error.to_string(),
    }
}

impl GateStore {
    /// Opens the attempt state of the store at `path` (already verified by the caller).
    pub(crate) fn open(
        path: &Path,
        secret: &UnwrapSecret,
        anchors: Option<Arc<dyn AnchorStore>>,
    ) -> Result<Self, StoreError> {
        let mut conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        configure(&conn)?;
        let id = wallet_id(&mut conn)?;
        Ok(Self {
            inner: Mutex::new(GateInner {
                conn,
                key: secret.gate_key(),
                anchors,
                anchor: anchor_name("gate", &id),
            }),
        })
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, GateInner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Switches to the key of a new unwrap secret, after the store re-sealed the state under it
    /// in the same transaction that changed the PIN.
    pub(crate) fn rekey(&self, secret: &UnwrapSecret) {
        self.inner().key = secret.gate_key();
    }

    /// The sealing key in use (the store re-seals the state with it when the PIN changes).
    pub(crate) fn current_key(&self) -> Zeroizing<[u8; 32]> {
        self.inner().key.clone()
    }

    fn read(
        key: &[u8; 32],
        anchors: Option<&Arc<dyn AnchorStore>>,
        anchor: &str,
        conn: &Connection,
    ) -> Result<Option<AuthState>, StoreError> {
        let stored = meta::read(conn, GATE_STATE)?
            .map(|sealed| open_state(key, &sealed))
            .transpose()?;
        let anchored = match anchors {
            Some(anchors) => anchors
                .load(anchor)?
                .map(|bytes| {
                    AuthState::from_bytes(&bytes).map_err(|e| StoreError::StoreCorrupted {
                        detail: format!("the attempt state's anchor is damaged ({e})"),
                    })
                })
                .transpose()?,
            None => None,
        };
        // The later of the two wins: an anchor ahead of the directory means the directory was
        // restored from an older copy, and its count must not come back.
        Ok(match (stored, anchored) {
            (Some(stored), Some(anchored)) if anchored.seq > stored.seq => Some(anchored),
            (None, Some(anchored)) => Some(anchored),
            (stored, _) => stored,
        })
    }
}

impl AuthStateStore for GateStore {
    fn load(&self) -> Result<Option<AuthState>, StateStoreError> {
        let inner = self.inner();
        Self::read(
            &inner.key,
            inner.anchors.as_ref(),
            &inner.anchor,
            &inner.conn,
        )
        .map_err(state_error)
    }

    fn update(&self, change: &mut dyn FnMut(&mut AuthState)) -> Result<AuthState, StateStoreError> {
        let mut inner = self.inner();
        let inner = &mut *inner;
        let tx = inner
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| state_error(e.into()))?;
        let updated = (|| {
            let mut state = Self::read(&inner.key, inner.anchors.as_ref(), &inner.anchor, &tx)?
                .unwrap_or_default();
            change(&mut state);
            state.seq = state.seq.saturating_add(1);
            meta::write(&tx, GATE_STATE, &seal_state(&inner.key, &state)?)?;
            // Anchored before the commit: if the commit then fails, the anchor is ahead, which
            // only ever counts an attempt that did not happen, never forgets one that did.
            if let Some(anchors) = &inner.anchors {
                anchors.save(&inner.anchor, &state.to_bytes())?;
            }
            Ok::<_, StoreError>(state)
        })()
        .map_err(state_error)?;
        tx.commit().map_err(|e| state_error(e.into()))?;
        Ok(updated)
    }
}
