//! The open store shared by the wallet's parts: the software secure area's key blobs and the
//! wallet's record of each holder key live in it (the attempt state does not: it must be readable
//! before the PIN, see `store::GateStore`).
//!
//! [`SharedStore`] implements [`SoftwareKeyBlobStore`] (the wrapped-private-
//! key field of the store's holder-key records, found by a setting that maps a key alias to its
//! record). It also keeps, per holder key, the alias and authentication policy the wallet needs to
//! rebuild a [`RecordedHolderKey`]. It must never hold an unwrapped key, and never let an alias,
//! which could be host-chosen text, appear on disk (setting names use a hash of it).

use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, MutexGuard};

use sha2::{Digest, Sha256};

use crate::secure_area::{
    HolderPublicKey, KeyAlias, KeyAuthPolicy, RecordedHolderKey, SecureAreaError, SoftwareKeyBlob,
    SoftwareKeyBlobStore,
};
use crate::store::{
    HolderKeyId, KeyAlgorithm, NewHolderKey, SecureAreaKind, SettingName, Store, StoreError,
    Timestamp,
};

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

    /// Records a host-kept holder key (the software secure area records its own through
    /// [`SoftwareKeyBlobStore::insert_new`]).
    pub(crate) fn record_host_key(
        &self,
        alias: &KeyAlias,
        public_key: &HolderPublicKey,
        created_at: Timestamp,
    ) -> Result<HolderKeyId, StoreError> {
        let name = Self::alias_setting(alias)?;
        self.lock().write(|w| {
            let id = w.put_holder_key(&NewHolderKey {
                algorithm: KeyAlgorithm::Es256,
                public_key: public_key.to_sec1_uncompressed(),
                secure_area: SecureAreaKind::Host,
                wrapped_private_key: None,
                created_at,
            })?;
            w.set_setting(&name, id.as_bytes())?;
            Ok(id)
        })
    }

    /// Saves the alias and policy of holder key `id`, so it can be used again after a restart.
    pub(crate) fn save_recorded_key(
        &self,
        id: HolderKeyId,
        key: &RecordedHolderKey,
    ) -> Result<(), StoreError> {
        let (tag, seconds) = match key.policy() {
            KeyAuthPolicy::EveryUse => (0u8, 0u32),
            KeyAuthPolicy::WithinSeconds(seconds) => (1u8, seconds.get()),
        };
        let mut value = vec![tag];
        value.extend_from_slice(&seconds.to_be_bytes());
        value.extend_from_slice(key.alias().as_str().as_bytes());
        self.lock().set_setting(&Self::holder_setting(id)?, &value)
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

    /// Forgets holder key `id`: its record, its alias mapping and its saved alias and policy.
    pub(crate) fn forget_holder_key(
        &self,
        id: HolderKeyId,
        alias: &KeyAlias,
    ) -> Result<(), StoreError> {
        let alias_name = Self::alias_setting(alias)?;
        let holder_name = Self::holder_setting(id)?;
        self.lock().write(|w| {
            match w.delete_holder_key(id) {
                Ok(()) | Err(StoreError::NotFound { .. }) => {}
                Err(other) => return Err(other),
            }
            w.remove_setting(&alias_name)?;
            w.remove_setting(&holder_name)?;
            Ok(())
        })
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
