//! A key wrapper whose key-encryption key lives only in process memory: for tests and benches.
//!
//! Compiled only for this crate's unit tests and under the `test-support` feature, which no
//! shipping crate enables. It must never be offered to users: a store wrapped by it is lost when
//! the process ends (unless the test fixes the KEK on purpose, as the crash test does to reopen a
//! store from another process).

use zeroize::Zeroizing;

use super::kek::{self, KEK_LEN, Kek};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::{
    AnchorStore, DataKey, KeyStoreError, KeyWrapper, WrappedKey, WrapperKind, fill_random,
};

/// Wraps the data key under a KEK held in memory. Tests only.
///
/// Its anchors stand in for a platform key store's: kept in memory (shared by clones of
/// [`Self::anchors`]) or, with [`Self::with_anchor_dir`], in files of a directory outside the
/// wallet's, so several processes of one test share them.
pub struct InMemoryKeyWrapper {
    kek: Kek,
    anchors: Arc<MemoryAnchors>,
}

/// The in-memory wrapper's anchor store.
#[derive(Default)]
pub struct MemoryAnchors {
    values: Mutex<HashMap<String, Vec<u8>>>,
    dir: Option<PathBuf>,
}

impl AnchorStore for MemoryAnchors {
    fn load(&self, name: &str) -> Result<Option<Vec<u8>>, KeyStoreError> {
        if let Some(dir) = &self.dir {
            return match std::fs::read(dir.join(name)) {
                Ok(bytes) => Ok(Some(bytes)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(KeyStoreError::PlatformStore(e.to_string())),
            };
        }
        let values = self.values.lock().unwrap_or_else(|p| p.into_inner());
        Ok(values.get(name).cloned())
    }

    fn save(&self, name: &str, value: &[u8]) -> Result<(), KeyStoreError> {
        if let Some(dir) = &self.dir {
            let temporary = dir.join(format!("{name}.tmp-{}", std::process::id()));
            std::fs::write(&temporary, value)
                .and_then(|()| std::fs::rename(&temporary, dir.join(name)))
                .map_err(|e| KeyStoreError::PlatformStore(e.to_string()))?;
            return Ok(());
        }
        let mut values = self.values.lock().unwrap_or_else(|p| p.into_inner());
        values.insert(name.to_owned(), value.to_vec());
        Ok(())
    }

    fn forget(&self, name: &str) -> Result<(), KeyStoreError> {
        if let Some(dir) = &self.dir {
            return match std::fs::remove_file(dir.join(name)) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(KeyStoreError::PlatformStore(e.to_string())),
            };
        }
        let mut values = self.values.lock().unwrap_or_else(|p| p.into_inner());
        values.remove(name);
        Ok(())
    }
}

impl InMemoryKeyWrapper {
    /// A wrapper with a fresh random KEK.
    pub fn new() -> Result<Self, KeyStoreError> {
        let mut kek = Zeroizing::new([0u8; KEK_LEN]);
        fill_random(kek.as_mut())?;
        Ok(Self {
            kek,
            anchors: Arc::default(),
        })
    }

    /// A wrapper with a fixed KEK, so several processes of one test can open the same store.
    pub fn from_kek(kek: [u8; KEK_LEN]) -> Self {
        Self {
            kek: Zeroizing::new(kek),
            anchors: Arc::default(),
        }
    }

    /// Keeps anchors as files in `dir` (which must exist and lie outside the wallet directory),
    /// so other processes of the test see them.
    pub fn with_anchor_dir(mut self, dir: &Path) -> Self {
        self.anchors = Arc::new(MemoryAnchors {
            values: Mutex::default(),
            dir: Some(dir.to_owned()),
        });
        self
    }

    /// The anchor store, to inspect or tamper with in tests.
    pub fn memory_anchors(&self) -> Arc<MemoryAnchors> {
        Arc::clone(&self.anchors)
    }
}

impl std::fmt::Debug for InMemoryKeyWrapper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InMemoryKeyWrapper(<secret>)")
    }
}

impl KeyWrapper for InMemoryKeyWrapper {
    fn kind(&self) -> WrapperKind {
        WrapperKind::InMemory
    }

    fn wrap(&self, data_key: &DataKey) -> Result<WrappedKey, KeyStoreError> {
        let body = kek::seal(&self.kek, WrapperKind::InMemory, &[], data_key)?;
        Ok(WrappedKey::new(WrapperKind::InMemory, body))
    }

    fn unwrap(&self, wrapped: &WrappedKey) -> Result<DataKey, KeyStoreError> {
        let body = wrapped.expect_kind(WrapperKind::InMemory)?;
        kek::open(&self.kek, WrapperKind::InMemory, body)
    }

    fn anchors(&self) -> Option<Arc<dyn AnchorStore>> {
        Some(Arc::clone(&self.anchors) as Arc<dyn AnchorStore>)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keystore::Unavailable;

    #[test]
    fn another_instance_cannot_unwrap() {
        let key = DataKey::generate().unwrap();
        let a = InMemoryKeyWrapper::new().unwrap();
        let b = InMemoryKeyWrapper::new().unwrap();
        let wrapped = a.wrap(&key).unwrap();
        let encoded = WrappedKey::from_bytes(&wrapped.to_bytes()).unwrap();
        assert_eq!(
            a.unwrap(&encoded).unwrap().expose_secret(),
            key.expose_secret()
        );
        assert!(matches!(
            b.unwrap(&encoded),
            Err(KeyStoreError::KeyUnavailable(Unavailable::Wrong))
        ));
        assert_eq!(format!("{key:?}"), "DataKey(<secret>)");
        assert_eq!(format!("{a:?}"), "InMemoryKeyWrapper(<secret>)");
    }
}
