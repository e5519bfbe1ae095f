//! A key wrapper whose key-encryption key lives only in process memory: for tests and benches.
//!
//! Compiled only for this crate's unit tests and under the `test-support` feature, which no
//! shipping crate enables. It must never be offered to users: a store wrapped by it is lost when
//! the process ends (unless the test fixes the KEK on purpose, as the crash test does to reopen a
//! store from another process).

use zeroize::Zeroizing;

use super::kek::{self, KEK_LEN, Kek};
use super::{DataKey, KeyStoreError, KeyWrapper, WrappedKey, WrapperKind, fill_random};

/// Wraps the data key under a KEK held in memory. Tests only.
pub struct InMemoryKeyWrapper {
    kek: Kek,
}

impl InMemoryKeyWrapper {
    /// A wrapper with a fresh random KEK.
    pub fn new() -> Result<Self, KeyStoreError> {
        let mut kek = Zeroizing::new([0u8; KEK_LEN]);
        fill_random(kek.as_mut())?;
        Ok(Self { kek })
    }

    /// A wrapper with a fixed KEK, so several processes of one test can open the same store.
    pub fn from_kek(kek: [u8; KEK_LEN]) -> Self {
        Self {
            kek: Zeroizing::new(kek),
        }
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
