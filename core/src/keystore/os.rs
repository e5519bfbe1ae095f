//! The operating system's key store (keyring family) as a [`KeyWrapper`].
//!
//! Each wrap creates a random 256-bit key-encryption key and saves it as a secret in the platform
//! store (Secret Service on Linux, Keychain on Apple platforms, Credential Manager on Windows)
//! under service [`SERVICE`] and a random per-wallet user name; the wrapped key records that name
//! so any later process can find the KEK again. This module never writes the KEK anywhere but the
//! platform store and never includes secret bytes in an error (keyring errors that carry bytes
//! are reduced to a fixed message).

use std::sync::Arc;

use keyring_core::{CredentialStore, Entry};
use zeroize::Zeroizing;

use super::kek::{self, KEK_LEN, Kek};
use super::{
    DataKey, KeyStoreError, KeyWrapper, Unavailable, WrappedKey, WrapperKind, fill_random,
};

/// The keyring service name every netid key-encryption key is saved under.
pub const SERVICE: &str = "netid";
const USER_PREFIX: &str = "wallet-";
const USER_RANDOM_LEN: usize = 16;

/// Wraps the data key under a key-encryption key kept in the operating system's key store.
pub struct OsKeyStore {
    platform: Arc<CredentialStore>,
}

impl std::fmt::Debug for OsKeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OsKeyStore")
            .field("platform", &self.platform.vendor())
            .finish()
    }
}

impl OsKeyStore {
    /// Connects to this platform's key store.
    ///
    /// On Linux this needs a D-Bus session with a Secret Service provider (gnome-keyring,
    /// KeePassXC, KWallet); without one it fails with [`KeyStoreError::PlatformStore`].
    pub fn new() -> Result<Self, KeyStoreError> {
        Ok(Self {
            platform: platform_store()?,
        })
    }

    /// Uses a specific keyring credential store (another provider, or keyring-core's mock).
    pub fn with_platform_store(platform: Arc<CredentialStore>) -> Self {
        Self { platform }
    }

    /// The keyring user name under which the KEK for `wrapped` is saved (service [`SERVICE`]).
    pub fn entry_user(wrapped: &WrappedKey) -> Result<String, KeyStoreError> {
        let body = wrapped.expect_kind(WrapperKind::OsKeyStore)?;
        let (header, _) = kek::header(body)?;
        let user = std::str::from_utf8(header)
            .map_err(|_| KeyStoreError::MalformedWrappedKey("key store entry name is not UTF-8"))?;
        if !user.starts_with(USER_PREFIX) {
            return Err(KeyStoreError::MalformedWrappedKey(
                "key store entry name is not a netid wallet name",
            ));
        }
        Ok(user.to_owned())
    }

    /// Deletes the KEK that guards `wrapped`: afterwards the wallet cannot be opened on any
    /// device. Used when a wallet is deleted.
    pub fn delete_key(&self, wrapped: &WrappedKey) -> Result<(), KeyStoreError> {
        let entry = self.entry(&Self::entry_user(wrapped)?)?;
        match entry.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(e) => Err(platform_error(&e)),
        }
    }

    fn entry(&self, user: &str) -> Result<Entry, KeyStoreError> {
        self.platform
            .build(SERVICE, user, None)
            .map_err(|e| platform_error(&e))
    }
}

impl KeyWrapper for OsKeyStore {
    fn kind(&self) -> WrapperKind {
        WrapperKind::OsKeyStore
    }

    fn wrap(&self, data_key: &DataKey) -> Result<WrappedKey, KeyStoreError> {
        let mut id = [0u8; USER_RANDOM_LEN];
        fill_random(&mut id)?;
        let user = format!("{USER_PREFIX}{}", hex::encode(id));
        let mut kek: Kek = Zeroizing::new([0u8; KEK_LEN]);
        fill_random(kek.as_mut())?;
        self.entry(&user)?
            .set_secret(kek.as_ref())
            .map_err(|e| platform_error(&e))?;
        let body = kek::seal(&kek, WrapperKind::OsKeyStore, user.as_bytes(), data_key)?;
        Ok(WrappedKey::new(WrapperKind::OsKeyStore, body))
    }

    fn forget(&self, wrapped: &WrappedKey) -> Result<(), KeyStoreError> {
        self.delete_key(wrapped)
    }

    fn one_entry_per_wrap(&self) -> bool {
        true
    }

    fn anchors(&self) -> Option<Arc<dyn super::AnchorStore>> {
        Some(Arc::new(OsAnchors {
            platform: Arc::clone(&self.platform),
        }))
    }

    fn unwrap(&self, wrapped: &WrappedKey) -> Result<DataKey, KeyStoreError> {
        let user = Self::entry_user(wrapped)?;
        let secret = Zeroizing::new(match self.entry(&user)?.get_secret() {
            Ok(secret) => secret,
            Err(keyring_core::Error::NoEntry) => {
                return Err(KeyStoreError::KeyUnavailable(Unavailable::Missing));
            }
            Err(e) => return Err(platform_error(&e)),
        });
        let mut kek: Kek = Zeroizing::new([0u8; KEK_LEN]);
        if secret.len() != KEK_LEN {
            // Another program replaced our secret: it cannot be the key that wrapped this wallet.
            return Err(KeyStoreError::KeyUnavailable(Unavailable::Wrong));
        }
        kek.copy_from_slice(&secret);
        kek::open(&kek, WrapperKind::OsKeyStore, wrapped.body())
    }
}

/// Describes a keyring error without any bytes it may carry (secrets, in `BadEncoding`).
fn platform_error(error: &keyring_core::Error) -> KeyStoreError {
    use keyring_core::Error as E;
    let detail = match error {
        E::PlatformFailure(inner) => format!("platform failure: {inner}"),
        E::NoStorageAccess(inner) => format!("no access to the key store: {inner}"),
        E::NoEntry => "no such entry".to_owned(),
        E::BadEncoding(_) | E::BadDataFormat(..) => {
            "the stored secret has an unexpected format".to_owned()
        }
        E::BadStoreFormat(reason) => format!("the key store is malformed: {reason}"),
        E::TooLong(name, limit) => format!("{name} is longer than the platform limit {limit}"),
        E::Invalid(name, reason) => format!("{name} is invalid: {reason}"),
        E::Ambiguous(entries) => format!("{} entries match this wallet", entries.len()),
        E::NoDefaultStore => "no key store configured".to_owned(),
        E::NotSupportedByStore(what) => format!("not supported by this key store: {what}"),
        _ => "unexpected key store error".to_owned(),
    };
    KeyStoreError::PlatformStore(detail)
}

#[cfg(target_os = "linux")]
fn platform_store() -> Result<Arc<CredentialStore>, KeyStoreError> {
    let store = dbus_secret_service_keyring_store::Store::new().map_err(|e| platform_error(&e))?;
    Ok(store)
}

#[cfg(target_os = "macos")]
fn platform_store() -> Result<Arc<CredentialStore>, KeyStoreError> {
    let store =
        apple_native_keyring_store::keychain::Store::new().map_err(|e| platform_error(&e))?;
    Ok(store)
}

#[cfg(target_os = "ios")]
fn platform_store() -> Result<Arc<CredentialStore>, KeyStoreError> {
    let store =
        apple_native_keyring_store::protected::Store::new().map_err(|e| platform_error(&e))?;
    Ok(store)
}

#[cfg(target_os = "windows")]
fn platform_store() -> Result<Arc<CredentialStore>, KeyStoreError> {
    let store = windows_native_keyring_store::Store::new().map_err(|e| platform_error(&e))?;
    Ok(store)
}

#[cfg(not(any(
    target_os = "linux",
    target_os = "macos",
    target_os = "ios",
    target_os = "windows"
)))]
fn platform_store() -> Result<Arc<CredentialStore>, KeyStoreError> {
    // Android has no keyring provider: its host app wraps the data key through FFI instead.
    Err(KeyStoreError::PlatformStore(
        "this platform has no built-in key store; use the host app's key wrapper".to_owned(),
    ))
}

/// Anchors as Secret Service / Keychain / Credential Manager secrets under service [`SERVICE`],
/// beside the key-encryption keys and, like them, outside the wallet directory.
struct OsAnchors {
    platform: Arc<CredentialStore>,
}

impl OsAnchors {
    fn entry(&self, name: &str) -> Result<Entry, KeyStoreError> {
        self.platform
            .build(SERVICE, name, None)
            .map_err(|e| platform_error(&e))
    }
}

impl super::AnchorStore for OsAnchors {
    fn load(&self, name: &str) -> Result<Option<Vec<u8>>, KeyStoreError> {
        match self.entry(name)?.get_secret() {
            Ok(value) => Ok(Some(value)),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(platform_error(&e)),
        }
    }

    fn save(&self, name: &str, value: &[u8]) -> Result<(), KeyStoreError> {
        self.entry(name)?
            .set_secret(value)
            .map_err(|e| platform_error(&e))
    }

    fn forget(&self, name: &str) -> Result<(), KeyStoreError> {
        match self.entry(name)?.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(e) => Err(platform_error(&e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mock() -> OsKeyStore {
        OsKeyStore::with_platform_store(keyring_core::mock::Store::new().unwrap())
    }

    #[test]
    fn wraps_with_a_kek_saved_in_the_platform_store() {
        let store = mock();
        let key = DataKey::generate().unwrap();
        let wrapped = store.wrap(&key).unwrap();
        let user = OsKeyStore::entry_user(&wrapped).unwrap();
        assert!(user.starts_with(USER_PREFIX));
        let kek = store.entry(&user).unwrap().get_secret().unwrap();
        assert_eq!(kek.len(), KEK_LEN);
        assert_eq!(
            store.unwrap(&wrapped).unwrap().expose_secret(),
            key.expose_secret()
        );
    }

    #[test]
    fn deleted_kek_is_reported_missing() {
        let store = mock();
        let wrapped = store.wrap(&DataKey::generate().unwrap()).unwrap();
        store.delete_key(&wrapped).unwrap();
        assert!(matches!(
            store.unwrap(&wrapped),
            Err(KeyStoreError::KeyUnavailable(Unavailable::Missing))
        ));
        // The trait's `forget` deletes the entry too, and forgetting twice is not an error.
        let wrapped = store.wrap(&DataKey::generate().unwrap()).unwrap();
        let as_trait: &dyn KeyWrapper = &store;
        as_trait.forget(&wrapped).unwrap();
        as_trait.forget(&wrapped).unwrap();
        assert!(matches!(
            store.unwrap(&wrapped),
            Err(KeyStoreError::KeyUnavailable(Unavailable::Missing))
        ));
    }

    #[test]
    fn replaced_kek_is_reported_wrong() {
        let store = mock();
        let wrapped = store.wrap(&DataKey::generate().unwrap()).unwrap();
        let user = OsKeyStore::entry_user(&wrapped).unwrap();
        store
            .entry(&user)
            .unwrap()
            .set_secret(&[7u8; KEK_LEN])
            .unwrap();
        assert!(matches!(
            store.unwrap(&wrapped),
            Err(KeyStoreError::KeyUnavailable(Unavailable::Wrong))
        ));
        store.entry(&user).unwrap().set_secret(b"short").unwrap();
        assert!(matches!(
            store.unwrap(&wrapped),
            Err(KeyStoreError::KeyUnavailable(Unavailable::Wrong))
        ));
    }
}
