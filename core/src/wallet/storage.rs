//! The open store shared by the wallet's parts: the software secure area's key blobs and the
//! wallet's record of each holder key live in it (the attempt state does not: it must be readable
//! before the PIN, see `store::GateStore`).
//!
//! [`SharedStore`] implements [`SoftwareKeyBlobStore`] (the wrapped-private-
//! key field of the store's holder-key records, found by a setting that maps a key alias to its
//! record). It also keeps, per holder key, the alias and authentication policy the wallet needs to
//! rebuild a [`RecordedHolderKey`]. It must never hold an unwrapped key, and never let an alias,
//! which could be host-chosen text, appear on disk (setting names use a hash of it).
//!
//! It also keeps the *pending-key list* (one sealed setting, `wallet.pending-keys`): the alias of
//! every holder key that may exist in a secure area without a document to show for it. An
//! enrolment lists its alias (as `Enrolling`, with this process's random run id) before the key
//! is created, and the transaction that stores the document takes it off; a deletion lists the
//! alias (as `Deleting`) in the transaction that removes the document and the key's records, and
//! takes it off once the secure area has deleted the key. Whatever a crash leaves on the list is
//! what [`SharedStore::abandoned_keys`] hands the wallet's sweep: `Deleting` entries, and
//! `Enrolling` entries of another run (an enrolment of this process may still be under way).

use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use sha2::{Digest, Sha256};

use crate::secure_area::{
    HolderPublicKey, KeyAlias, KeyAuthPolicy, RecordedHolderKey, SecureAreaError, SoftwareKeyBlob,
    SoftwareKeyBlobStore,
};
use crate::store::{
    HolderKeyId, KeyAlgorithm, NewHolderKey, SecureAreaKind, SettingName, Store, StoreError,
    Timestamp, Writer,
};

const PENDING_KEYS: &str = "wallet.pending-keys";
const RUN_ID_LEN: usize = 16;

/// Why a holder key is on the pending-key list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PendingKind {
    /// Created (or about to be) for an enrolment whose document is not stored yet.
    Enrolling,
    /// Its document and records are deleted; the secure area still has to delete the key.
    Deleting,
}

/// One entry of the pending-key list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PendingKey {
    pub(crate) kind: PendingKind,
    run: [u8; RUN_ID_LEN],
    pub(crate) alias: KeyAlias,
}

/// A random id for this process, so the sweep can tell an enrolment that died with an earlier
/// process from one this process still has under way.
fn run_id() -> Result<[u8; RUN_ID_LEN], StoreError> {
    static RUN: OnceLock<[u8; RUN_ID_LEN]> = OnceLock::new();
    if let Some(run) = RUN.get() {
        return Ok(*run);
    }
    let mut fresh = [0u8; RUN_ID_LEN];
    crate::keystore::fill_random(&mut fresh)?;
    Ok(*RUN.get_or_init(|| fresh))
}

fn pending_corrupt() -> StoreError {
    StoreError::StoreCorrupted {
        detail: "the wallet's pending-key list is malformed".to_owned(),
    }
}

fn decode_pending(mut bytes: &[u8]) -> Result<Vec<PendingKey>, StoreError> {
    let mut out = Vec::new();
    while let Some((&kind, rest)) = bytes.split_first() {
        let kind = match kind {
            0 => PendingKind::Enrolling,
            1 => PendingKind::Deleting,
            _ => return Err(pending_corrupt()),
        };
        let (run, rest) = rest
            .split_first_chunk::<RUN_ID_LEN>()
            .ok_or_else(pending_corrupt)?;
        let (&len, rest) = rest.split_first().ok_or_else(pending_corrupt)?;
        let (alias, rest) = rest
            .split_at_checked(usize::from(len))
            .ok_or_else(pending_corrupt)?;
        let alias = std::str::from_utf8(alias)
            .ok()
            .and_then(|text| KeyAlias::new(text).ok())
            .ok_or_else(pending_corrupt)?;
        out.push(PendingKey {
            kind,
            run: *run,
            alias,
        });
        bytes = rest;
    }
    Ok(out)
}

fn encode_pending(list: &[PendingKey]) -> Result<Vec<u8>, StoreError> {
    let mut out = Vec::new();
    for entry in list {
        out.push(match entry.kind {
            PendingKind::Enrolling => 0,
            PendingKind::Deleting => 1,
        });
        out.extend_from_slice(&entry.run);
        let alias = entry.alias.as_str().as_bytes();
        out.push(u8::try_from(alias.len()).map_err(|_| pending_corrupt())?);
        out.extend_from_slice(alias);
    }
    Ok(out)
}

fn pending_name() -> Result<SettingName, StoreError> {
    SettingName::new(PENDING_KEYS)
}

fn read_pending(w: &Writer<'_>) -> Result<Vec<PendingKey>, StoreError> {
    match w.setting(&pending_name()?)? {
        Some(bytes) => decode_pending(&bytes),
        None => Ok(Vec::new()),
    }
}

fn write_pending(w: &mut Writer<'_>, list: &[PendingKey]) -> Result<(), StoreError> {
    if list.is_empty() {
        w.remove_setting(&pending_name()?)?;
        Ok(())
    } else {
        w.set_setting(&pending_name()?, &encode_pending(list)?)
    }
}

/// Within `w`: lists `alias` as `kind` (replacing any entry it had).
pub(crate) fn mark_pending_in(
    w: &mut Writer<'_>,
    alias: &KeyAlias,
    kind: PendingKind,
) -> Result<(), StoreError> {
    let mut list = read_pending(w)?;
    list.retain(|entry| entry.alias != *alias);
    list.push(PendingKey {
        kind,
        run: run_id()?,
        alias: alias.clone(),
    });
    write_pending(w, &list)
}

/// Within `w`: takes `alias` off the pending-key list, if it is on it.
pub(crate) fn unmark_pending_in(w: &mut Writer<'_>, alias: &KeyAlias) -> Result<(), StoreError> {
    let mut list = read_pending(w)?;
    let before = list.len();
    list.retain(|entry| entry.alias != *alias);
    if list.len() == before {
        return Ok(());
    }
    write_pending(w, &list)
}

/// The wallet's open store, shared (behind a mutex) by the wallet, `auth` and the secure area.
/// Dropping the last clone closes the database and wipes its keys.
#[derive(Clone)]
pub struct SharedStore(Arc<Mutex<Store>>);

impl std::fmt::Debug for SharedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedStore")
    }
}

impl SharedStore {
    pub(crate) fn new(store: Store) -> Self {
        Self(Arc::new(Mutex::new(store)))
    }

    /// The store, for one operation. A panic elsewhere while it was held leaves it usable: every
    /// write is one transaction, so there is no half-done state to protect.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Store> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Takes the store back if this is the last handle (for closing it explicitly).
    pub(crate) fn into_inner(self) -> Option<Store> {
        Arc::into_inner(self.0).map(|m| m.into_inner().unwrap_or_else(|p| p.into_inner()))
    }

    fn alias_setting(alias: &KeyAlias) -> Result<SettingName, StoreError> {
        let digest = Sha256::digest(alias.as_str().as_bytes());
        SettingName::new(&format!(
            "wallet.alias.{}",
            hex::encode(digest.get(..20).unwrap_or_default())
        ))
    }

    fn holder_setting(id: HolderKeyId) -> Result<SettingName, StoreError> {
        SettingName::new(&format!("wallet.holder.{}", id.to_hex()))
    }

    /// The holder-key record an alias names, if any.
    pub(crate) fn holder_key_id(
        &self,
        alias: &KeyAlias,
    ) -> Result<Option<HolderKeyId>, StoreError> {
        let name = Self::alias_setting(alias)?;
        let Some(bytes) = self.lock().setting(&name)? else {
            return Ok(None);
        };
        let hex = hex::encode(bytes.as_slice());
        HolderKeyId::from_hex(&hex)
            .map(Some)
            .map_err(|_| StoreError::StoreCorrupted {
                detail: "a holder-key alias record is malformed".to_owned(),
            })
    }

    /// Records a host-kept holder key with its alias and policy, in one transaction (the
    /// software secure area records its own key through [`SoftwareKeyBlobStore::insert_new`]).
    pub(crate) fn record_host_key(
        &self,
        key: &RecordedHolderKey,
        created_at: Timestamp,
    ) -> Result<HolderKeyId, StoreError> {
        let name = Self::alias_setting(key.alias())?;
        let saved = Self::recorded_value(key);
        self.lock().write(|w| {
            let id = w.put_holder_key(&NewHolderKey {
                algorithm: KeyAlgorithm::Es256,
                public_key: key.public_key().to_sec1_uncompressed(),
                secure_area: SecureAreaKind::Host,
                wrapped_private_key: None,
                created_at,
            })?;
            w.set_setting(&name, id.as_bytes())?;
            w.set_setting(&Self::holder_setting(id)?, &saved)?;
            Ok(id)
        })
    }

    fn recorded_value(key: &RecordedHolderKey) -> Vec<u8> {
        let (tag, seconds) = match key.policy() {
            KeyAuthPolicy::EveryUse => (0u8, 0u32),
            KeyAuthPolicy::WithinSeconds(seconds) => (1u8, seconds.get()),
        };
        let mut value = vec![tag];
        value.extend_from_slice(&seconds.to_be_bytes());
        value.extend_from_slice(key.alias().as_str().as_bytes());
        value
    }

    /// Saves the alias and policy of holder key `id`, so it can be used again after a restart.
    pub(crate) fn save_recorded_key(
        &self,
        id: HolderKeyId,
        key: &RecordedHolderKey,
    ) -> Result<(), StoreError> {
        self.lock()
            .set_setting(&Self::holder_setting(id)?, &Self::recorded_value(key))
    }

    /// Rebuilds the [`RecordedHolderKey`] of holder key `id`: the public key from its record, the
    /// alias and policy saved at enrolment. `None` if either is gone.
    pub(crate) fn recorded_key(
        &self,
        id: HolderKeyId,
    ) -> Result<Option<RecordedHolderKey>, StoreError> {
        let mut store = self.lock();
        let record = match store.holder_key(id) {
            Ok(record) => record,
            Err(StoreError::NotFound { .. }) => return Ok(None),
            Err(other) => return Err(other),
        };
        let Some(value) = store.setting(&Self::holder_setting(id)?)? else {
            return Ok(None);
        };
        let corrupt = || StoreError::StoreCorrupted {
            detail: "a holder key's alias or policy record is malformed".to_owned(),
        };
        let (head, alias) = value.split_at_checked(5).ok_or_else(corrupt)?;
        let (tag, seconds) = head.split_first().ok_or_else(corrupt)?;
        let seconds = <[u8; 4]>::try_from(seconds).map_err(|_| corrupt())?;
        let policy = match (tag, NonZeroU32::new(u32::from_be_bytes(seconds))) {
            (0, None) => KeyAuthPolicy::EveryUse,
            (1, Some(seconds)) => KeyAuthPolicy::WithinSeconds(seconds),
            _ => return Err(corrupt()),
        };
        let alias = std::str::from_utf8(alias)
            .ok()
            .and_then(|text| KeyAlias::new(text).ok())
            .ok_or_else(corrupt)?;
        let public_key = HolderPublicKey::from_sec1_bytes(&record.public_key).map_err(|_| {
            StoreError::StoreCorrupted {
                detail: "a holder key record's public key is not a P-256 point".to_owned(),
            }
        })?;
        Ok(Some(RecordedHolderKey::from_parts(
            alias, public_key, policy,
        )))
    }

    /// Within `w`: the alias saved for holder key `id`, if its record is still there.
    pub(crate) fn alias_of_in(
        w: &Writer<'_>,
        id: HolderKeyId,
    ) -> Result<Option<KeyAlias>, StoreError> {
        let Some(value) = w.setting(&Self::holder_setting(id)?)? else {
            return Ok(None);
        };
        value
            .get(5..)
            .and_then(|alias| std::str::from_utf8(alias).ok())
            .and_then(|text| KeyAlias::new(text).ok())
            .map(Some)
            .ok_or_else(|| StoreError::StoreCorrupted {
                detail: "a holder key's alias or policy record is malformed".to_owned(),
            })
    }

    /// Forgets holder key `id`: its record, its alias mapping, its saved alias and policy, and its
    /// pending-key entry, in one transaction.
    pub(crate) fn forget_holder_key(
        &self,
        id: HolderKeyId,
        alias: &KeyAlias,
    ) -> Result<(), StoreError> {
        self.lock().write(|w| {
            Self::forget_holder_key_in(w, id, alias)?;
            unmark_pending_in(w, alias)
        })
    }

    /// Within `w`: forgets holder key `id`'s record, alias mapping and saved alias and policy.
    pub(crate) fn forget_holder_key_in(
        w: &mut Writer<'_>,
        id: HolderKeyId,
        alias: &KeyAlias,
    ) -> Result<(), StoreError> {
        match w.delete_holder_key(id) {
            Ok(()) | Err(StoreError::NotFound { .. }) => {}
            Err(other) => return Err(other),
        }
        w.remove_setting(&Self::alias_setting(alias)?)?;
        w.remove_setting(&Self::holder_setting(id)?)?;
        Ok(())
    }

    /// Within `w`: the holder-key record an alias names, if any.
    fn holder_key_id_in(
        w: &Writer<'_>,
        alias: &KeyAlias,
    ) -> Result<Option<HolderKeyId>, StoreError> {
        let Some(bytes) = w.setting(&Self::alias_setting(alias)?)? else {
            return Ok(None);
        };
        HolderKeyId::from_hex(&hex::encode(bytes.as_slice()))
            .map(Some)
            .map_err(|_| StoreError::StoreCorrupted {
                detail: "a holder-key alias record is malformed".to_owned(),
            })
    }

    /// Lists `alias` as `kind` on the pending-key list, in its own transaction.
    pub(crate) fn mark_pending(
        &self,
        alias: &KeyAlias,
        kind: PendingKind,
    ) -> Result<(), StoreError> {
        self.lock().write(|w| mark_pending_in(w, alias, kind))
    }

    /// Takes `alias` off the pending-key list, in its own transaction.
    pub(crate) fn unmark_pending(&self, alias: &KeyAlias) -> Result<(), StoreError> {
        self.lock().write(|w| unmark_pending_in(w, alias))
    }

    /// The pending keys no running code of this process will finish: every `Deleting` entry, and
    /// `Enrolling` entries left by another run.
    pub(crate) fn abandoned_keys(&self) -> Result<Vec<PendingKey>, StoreError> {
        let list = match self.lock().setting(&pending_name()?)? {
            Some(bytes) => decode_pending(&bytes)?,
            None => return Ok(Vec::new()),
        };
        let run = run_id()?;
        Ok(list
            .into_iter()
            .filter(|entry| entry.kind == PendingKind::Deleting || entry.run != run)
            .collect())
    }

    /// Finishes an abandoned key's clean-up once the secure area no longer has it: forgets its
    /// records (unless a document uses it, which a pending entry should never allow: then only
    /// the entry goes) and takes it off the list, in one transaction.
    pub(crate) fn forget_abandoned(&self, alias: &KeyAlias) -> Result<(), StoreError> {
        let mut store = self.lock();
        let in_use: Vec<Option<HolderKeyId>> = store
            .documents()?
            .into_iter()
            .map(|d| d.holder_key)
            .collect();
        store.write(|w| {
            if let Some(id) = Self::holder_key_id_in(w, alias)?
                && !in_use.contains(&Some(id))
            {
                Self::forget_holder_key_in(w, id, alias)?;
            }
            unmark_pending_in(w, alias)
        })
    }

    /// Whether a document uses a holder key with this alias (the sweep must not delete it).
    pub(crate) fn alias_in_use(&self, alias: &KeyAlias) -> Result<bool, StoreError> {
        let Some(id) = self.holder_key_id(alias)? else {
            return Ok(false);
        };
        Ok(self
            .lock()
            .documents()?
            .iter()
            .any(|d| d.holder_key == Some(id)))
    }
}

fn blob_error(error: StoreError) -> SecureAreaError {
    SecureAreaError::BlobStore {
        detail: error.to_string(),
    }
}

impl SoftwareKeyBlobStore for SharedStore {
    fn load(&self, alias: &KeyAlias) -> Result<Option<SoftwareKeyBlob>, SecureAreaError> {
        let Some(id) = self.holder_key_id(alias).map_err(blob_error)? else {
            return Ok(None);
        };
        let record = match self.lock().holder_key(id) {
            Ok(record) => record,
            Err(StoreError::NotFound { .. }) => return Ok(None),
            Err(other) => return Err(blob_error(other)),
        };
        match (record.secure_area, record.wrapped_private_key) {
            (SecureAreaKind::Software, Some(wrapped)) => {
                Ok(Some(SoftwareKeyBlob::from_bytes(wrapped.to_vec())))
            }
            _ => Err(SecureAreaError::CorruptKeyBlob {
                what: "the holder key record holds no software key",
            }),
        }
    }

    fn insert_new(&self, alias: &KeyAlias, blob: &SoftwareKeyBlob) -> Result<(), SecureAreaError> {
        let public_key = blob.public_key()?;
        let name = Self::alias_setting(alias).map_err(blob_error)?;
        let mut store = self.lock();
        if store.setting(&name).map_err(blob_error)?.is_some() {
            return Err(SecureAreaError::KeyExists);
        }
        store
            .write(|w| {
                let id = w.put_holder_key(&NewHolderKey {
                    algorithm: KeyAlgorithm::Es256,
                    public_key: public_key.to_sec1_uncompressed(),
                    secure_area: SecureAreaKind::Software,
                    wrapped_private_key: Some(zeroize::Zeroizing::new(blob.as_bytes().to_vec())),
                    created_at: Timestamp::now(),
                })?;
                w.set_setting(&name, id.as_bytes())
            })
            .map_err(blob_error)
    }

    fn remove(&self, alias: &KeyAlias) -> Result<bool, SecureAreaError> {
        let Some(id) = self.holder_key_id(alias).map_err(blob_error)? else {
            return Ok(false);
        };
        self.forget_holder_key(id, alias).map_err(blob_error)?;
        Ok(true)
    }
}
