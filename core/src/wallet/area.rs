//! How the wallet gets a secure area for one unlocked session.
//!
//! A host secure area (Android Keystore, Secure Enclave) exists independently of the wallet, so
//! [`HostArea`] just lends it. The software secure area seals holder keys under a key derived from
//! the wallet's data key and keeps them in the store, so [`SoftwareArea`] builds a fresh one at
//! every unlock, and it dies (wiping its wrapping key) when the wallet locks. This module must
//! never hand the data key itself to a secure area, only the subkey derived for it.

use std::future::Future;
use std::sync::Arc;

use crate::secure_area::{
    AuthenticatorEnrolment, CreatedKey, HolderPublicKey, KeyAlias, KeyAuthPolicy, KeyWrappingKey,
    Prompt, PromptReason, SecureArea, SecureAreaError, SoftwareSecureArea, UncheckedSignature,
    UnlockGrant, UnlockRequest, UserAuthenticator,
};
use crate::store::SecureAreaKind;

use super::storage::SharedStore;

/// Supplies the secure area of one unlocked session.
pub trait AreaProvider: Send + Sync {
    /// The secure area type.
    type Area: SecureArea;
    /// Where its private keys live (recorded with each holder key). A method, not a constant, so
    /// one provider type can stand for either kind (the FFI library's wallet: one copy of the
    /// wallet's code for both, not one per kind).
    fn kind(&self) -> SecureAreaKind;
    /// The area for a session: `wrapping_key` is the subkey of the data key reserved for sealing
    /// holder keys, `store` the open store its blobs go to. Hosts ignore both.
    fn open(&self, wrapping_key: KeyWrappingKey, store: SharedStore) -> Self::Area;
}

/// A host secure area, shared by every session.
#[derive(Debug)]
pub struct HostArea<A>(Arc<A>);

impl<A> HostArea<A> {
    /// Lends `area` to the wallet.
    pub fn new(area: Arc<A>) -> Self {
        Self(area)
    }
}

impl<A> Clone for HostArea<A> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<A: SecureArea> SecureArea for HostArea<A> {
    fn create_key(
        &self,
        alias: &KeyAlias,
        policy: KeyAuthPolicy,
        challenge: &[u8],
    ) -> impl Future<Output = Result<CreatedKey, SecureAreaError>> + Send {
        self.0.create_key(alias, policy, challenge)
    }

    fn public_key(
        &self,
        alias: &KeyAlias,
    ) -> impl Future<Output = Result<HolderPublicKey, SecureAreaError>> + Send {
        self.0.public_key(alias)
    }

    fn sign(
        &self,
        alias: &KeyAlias,
        message: &[u8],
        reason: PromptReason,
    ) -> impl Future<Output = Result<UncheckedSignature, SecureAreaError>> + Send {
        self.0.sign(alias, message, reason)
    }

    fn delete_key(
        &self,
        alias: &KeyAlias,
    ) -> impl Future<Output = Result<(), SecureAreaError>> + Send {
        self.0.delete_key(alias)
    }

    fn create_key_with(
        &self,
        alias: &KeyAlias,
        policy: KeyAuthPolicy,
        challenge: &[u8],
        device_credential: bool,
    ) -> impl Future<Output = Result<CreatedKey, SecureAreaError>> + Send {
        self.0
            .create_key_with(alias, policy, challenge, device_credential)
    }

    fn sign_with(
        &self,
        alias: &KeyAlias,
        message: &[u8],
        prompt: Prompt,
    ) -> impl Future<Output = Result<UncheckedSignature, SecureAreaError>> + Send {
        self.0.sign_with(alias, message, prompt)
    }
}

impl<A: SecureArea> AreaProvider for HostArea<A> {
    type Area = HostArea<A>;

    fn kind(&self) -> SecureAreaKind {
        SecureAreaKind::Host
    }

    fn open(&self, wrapping_key: KeyWrappingKey, _store: SharedStore) -> Self::Area {
        drop(wrapping_key);
        self.clone()
    }
}

/// The user authenticator of the software secure area, shared by every session (its own state,
/// such as when the user last authenticated, outlives a lock).
#[derive(Debug)]
pub struct SharedAuthenticator<U>(Arc<U>);

impl<U> Clone for SharedAuthenticator<U> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<U: UserAuthenticator> UserAuthenticator for SharedAuthenticator<U> {
    fn enrolment(
        &self,
    ) -> impl Future<Output = Result<AuthenticatorEnrolment, SecureAreaError>> + Send {
        self.0.enrolment()
    }

    fn authenticate(
        &self,
        request: &UnlockRequest,
    ) -> impl Future<Output = Result<UnlockGrant, SecureAreaError>> + Send {
        self.0.authenticate(request)
    }
}

/// The software secure area: holder keys sealed in the store under a subkey of the data key and
/// the user authenticator's secret.
#[derive(Debug)]
pub struct SoftwareArea<U>(SharedAuthenticator<U>);

impl<U> SoftwareArea<U> {
    /// A provider asking `authenticator` before every holder-key use.
    pub fn new(authenticator: Arc<U>) -> Self {
        Self(SharedAuthenticator(authenticator))
    }
}

impl<U: UserAuthenticator> AreaProvider for SoftwareArea<U> {
    type Area = SoftwareSecureArea<SharedAuthenticator<U>, SharedStore>;

    fn kind(&self) -> SecureAreaKind {
        SecureAreaKind::Software
    }

    fn open(&self, wrapping_key: KeyWrappingKey, store: SharedStore) -> Self::Area {
        SoftwareSecureArea::new(wrapping_key, self.0.clone(), store)
    }
}
