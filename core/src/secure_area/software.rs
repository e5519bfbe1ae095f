//! The software secure area: P-256 holder keys kept only as sealed blobs, for desktop and tests.
//!
//! A key blob is sealed twice over: opening it needs the wallet's wrapping key (from the encrypted
//! store, passed in as [`KeyWrappingKey`]) *and* the unlock secret that only the
//! [`UserAuthenticator`] computes after verifying the user, for a fresh challenge this module
//! issues per signature. The private key exists in plain only inside one `sign` call, in
//! zeroize-on-drop types.
//!
//! Every grant is good for one operation. The blob's sealing point `R` never leaves this module:
//! each request carries `R' = r·R` for a fresh random scalar `r`, the authenticator answers with
//! `x(d·R')` (its ordinary ECDH), and only this module, knowing `r`, turns that into `x(d·R)`, the
//! secret the blob was sealed under (lift the x-coordinate to a point, multiply by `r⁻¹`; either
//! lift works because `x(−P) = x(P)`). A grant's bytes therefore open nothing for any other
//! request, even with the new challenge echoed. Replays are also *named*: the area remembers a
//! digest of the last [`CONSUMED_GRANTS_KEPT`] grants that unlocked a key and reports
//! [`SecureAreaError::GrantReused`] for a repeat; older or cross-session replays are refused as
//! [`SecureAreaError::Misbehaved`] because they unblind to a wrong secret. The blob is opaque bytes ([`SoftwareKeyBlob`]) that the wallet persists
//! through [`SoftwareKeyBlobStore`] (the store's holder-key record).
//!
//! This module must never write or return an unsealed private key, never sign without a grant
//! that answers its own challenge, never send the blob's own sealing point to an authenticator,
//! and never overwrite an existing blob.
//!
//! Blob layout, version 1 (240 bytes, integers big-endian):
//! `version(1) | policy tag(1) | policy seconds(4) | holder public key, SEC1 uncompressed(65) |
//! enrolment id(16) | sealing public key, SEC1 uncompressed(65) | XChaCha20 nonce(24) |
//! sealed private scalar + Poly1305 tag(48) | wrap check(16)`.
//! The sealing key is HMAC-SHA256 keyed by the wrapping key over the unlock secret (the ECDH
//! shared x-coordinate between the sealing key pair and the authenticator's key) and the header;
//! the header and alias are the AEAD's associated data; the wrap check is a truncated
//! HMAC-SHA256 under the wrapping key over everything before it, so a wrong wallet key or an
//! altered blob is caught before the user is prompted.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::elliptic_curve::ops::Invert;
use p256::elliptic_curve::point::{AffineCoordinates, DecompressPoint};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::elliptic_curve::subtle::Choice;
use p256::{AffinePoint, FieldBytes, NonZeroScalar, ProjectivePoint, PublicKey, SecretKey};
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::authenticator::{EnrolmentId, UnlockRequest, UserAuthenticator, shared_unlock_secret};
use super::{
    CreatedKey, HolderPublicKey, KeyAlias, KeyAttestation, KeyAuthPolicy, Prompt, PromptReason,
    SecureArea, SecureAreaError, UncheckedSignature,
};

type HmacSha256 = Hmac<Sha256>;

const BLOB_VERSION: u8 = 1;
const POINT_LEN: usize = 65;
const NONCE_LEN: usize = 24;
const SEALED_LEN: usize = 32 + 16;
const WRAP_CHECK_LEN: usize = 16;
const HOLDER_KEY_AT: usize = 6;
const ENROLMENT_AT: usize = HOLDER_KEY_AT + POINT_LEN;
const SEALING_KEY_AT: usize = ENROLMENT_AT + 16;
const NONCE_AT: usize = SEALING_KEY_AT + POINT_LEN;
const SEALED_AT: usize = NONCE_AT + NONCE_LEN;
const WRAP_CHECK_AT: usize = SEALED_AT + SEALED_LEN;
/// Length of a version-1 blob.
pub const BLOB_LEN: usize = WRAP_CHECK_AT + WRAP_CHECK_LEN;

const AAD_CONTEXT: &[u8] = b"netid software secure area blob v1\0";
const SEALING_KEY_CONTEXT: &[u8] = b"netid software secure area sealing key v1\0";
const WRAP_CHECK_CONTEXT: &[u8] = b"netid software secure area wrap check v1\0";
const CONSUMED_GRANT_CONTEXT: &[u8] = b"netid software secure area consumed grant v1\0";

/// How many used grants a secure area remembers to name a replay [`SecureAreaError::GrantReused`].
/// A replay of an older grant is still refused (it unblinds to a wrong secret), as `Misbehaved`.
/// 4096 digests are 128 KiB, far more operations than one unlocked session performs.
pub const CONSUMED_GRANTS_KEPT: usize = 4096;

/// The wallet key the software secure area seals blobs under: the store's data key or a subkey
/// derived from it. Zeroized on drop; never printed.
pub struct KeyWrappingKey(Zeroizing<[u8; 32]>);

impl KeyWrappingKey {
    /// Wraps 32 secret bytes.
    pub fn new(bytes: Zeroizing<[u8; 32]>) -> Self {
        Self(bytes)
    }
}

impl fmt::Debug for KeyWrappingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyWrappingKey(<redacted>)")
    }
}

/// A sealed holder key as opaque bytes, for the store's holder-key record. Holds no secret in
/// plain: without the wrapping key and a grant from the authenticator it is useless.
#[derive(Clone, PartialEq, Eq)]
pub struct SoftwareKeyBlob(Vec<u8>);

impl SoftwareKeyBlob {
    /// Wraps bytes read back from storage; they are checked when used.
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// The bytes to persist.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The holder public key recorded in the blob (readable without unlocking).
    pub fn public_key(&self) -> Result<HolderPublicKey, SecureAreaError> {
        Ok(ParsedBlob::parse(&self.0)?.holder_public_key)
    }
}

impl fmt::Debug for SoftwareKeyBlob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SoftwareKeyBlob({} bytes)", self.0.len())
    }
}

/// Where the software secure area keeps its blobs. The store's holder-key record implements it
/// at merge time; [`MemoryKeyBlobStore`] serves tests.
pub trait SoftwareKeyBlobStore: Send + Sync {
    /// The blob under `alias`, if any.
    fn load(&self, alias: &KeyAlias) -> Result<Option<SoftwareKeyBlob>, SecureAreaError>;
    /// Stores a blob under a new alias; [`SecureAreaError::KeyExists`] if the alias is taken, in
    /// which case the existing blob stays untouched.
    fn insert_new(&self, alias: &KeyAlias, blob: &SoftwareKeyBlob) -> Result<(), SecureAreaError>;
    /// Removes the blob under `alias`; `false` if there was none.
    fn remove(&self, alias: &KeyAlias) -> Result<bool, SecureAreaError>;
}

/// An in-memory [`SoftwareKeyBlobStore`]; clones share the same map.
#[derive(Clone, Default)]
pub struct MemoryKeyBlobStore(Arc<Mutex<HashMap<KeyAlias, SoftwareKeyBlob>>>);

impl MemoryKeyBlobStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<KeyAlias, SoftwareKeyBlob>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Replaces a blob unconditionally (tests use it to simulate a damaged record).
    pub fn overwrite(&self, alias: &KeyAlias, blob: SoftwareKeyBlob) {
        self.map().insert(alias.clone(), blob);
    }
}

impl SoftwareKeyBlobStore for MemoryKeyBlobStore {
    fn load(&self, alias: &KeyAlias) -> Result<Option<SoftwareKeyBlob>, SecureAreaError> {
        Ok(self.map().get(alias).cloned())
    }

    fn insert_new(&self, alias: &KeyAlias, blob: &SoftwareKeyBlob) -> Result<(), SecureAreaError> {
        let mut map = self.map();
        if map.contains_key(alias) {
            return Err(SecureAreaError::KeyExists);
        }
        map.insert(alias.clone(), blob.clone());
        Ok(())
    }

    fn remove(&self, alias: &KeyAlias) -> Result<bool, SecureAreaError> {
        Ok(self.map().remove(alias).is_some())
    }
}

/// A blob split into its fields; every field has been checked for form, none for authenticity.
struct ParsedBlob<'a> {
    policy: KeyAuthPolicy,
    holder_public_key: HolderPublicKey,
    enrolment: EnrolmentId,
    sealing_public_key: PublicKey,
    header: &'a [u8],
    nonce: &'a [u8],
    sealed: &'a [u8],
    wrap_check: &'a [u8],
}

impl<'a> ParsedBlob<'a> {
    fn parse(bytes: &'a [u8]) -> Result<Self, SecureAreaError> {
        let corrupt = |what| SecureAreaError::CorruptKeyBlob { what };
        if bytes.len() != BLOB_LEN {
            return Err(corrupt("wrong length"));
        }
        let field = |from: usize, to: usize| bytes.get(from..to).ok_or(corrupt("wrong length"));
        if bytes.first() != Some(&BLOB_VERSION) {
            return Err(corrupt("unknown version"));
        }
        let mut seconds = [0u8; 4];
        seconds.copy_from_slice(field(2, HOLDER_KEY_AT)?);
        let seconds = u32::from_be_bytes(seconds);
        let policy = match (bytes.get(1), NonZeroU32::new(seconds)) {
            (Some(0), None) => KeyAuthPolicy::EveryUse,
            (Some(1), Some(seconds)) => KeyAuthPolicy::WithinSeconds(seconds),
            _ => return Err(corrupt("unknown authentication policy")),
        };
        let holder_public_key =
            HolderPublicKey::from_sec1_bytes(field(HOLDER_KEY_AT, ENROLMENT_AT)?)
                .map_err(|_| corrupt("holder public key is not a P-256 point"))?;
        let mut enrolment = [0u8; 16];
        enrolment.copy_from_slice(field(ENROLMENT_AT, SEALING_KEY_AT)?);
        let sealing_public_key = PublicKey::from_sec1_bytes(field(SEALING_KEY_AT, NONCE_AT)?)
            .map_err(|_| corrupt("sealing public key is not a P-256 point"))?;
        Ok(Self {
            policy,
            holder_public_key,
            enrolment: EnrolmentId(enrolment),
            sealing_public_key,
            header: field(0, SEALED_AT)?,
            nonce: field(NONCE_AT, SEALED_AT)?,
            sealed: field(SEALED_AT, WRAP_CHECK_AT)?,
            wrap_check: field(WRAP_CHECK_AT, BLOB_LEN)?,
        })
    }
}

fn encode_header(
    policy: KeyAuthPolicy,
    holder_public_key: &HolderPublicKey,
    enrolment: EnrolmentId,
    sealing_public_key: &PublicKey,
    nonce: &[u8; NONCE_LEN],
) -> Vec<u8> {
    let (tag, seconds) = match policy {
        KeyAuthPolicy::EveryUse => (0u8, 0u32),
        KeyAuthPolicy::WithinSeconds(seconds) => (1u8, seconds.get()),
    };
    let mut header = Vec::with_capacity(BLOB_LEN);
    header.push(BLOB_VERSION);
    header.push(tag);
    header.extend_from_slice(&seconds.to_be_bytes());
    header.extend_from_slice(&holder_public_key.to_sec1_uncompressed());
    header.extend_from_slice(&enrolment.0);
    header.extend_from_slice(sealing_public_key.to_encoded_point(false).as_bytes());
    header.extend_from_slice(nonce);
    header
}

fn associated_data(alias: &KeyAlias, header: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(AAD_CONTEXT.len() + 1 + alias.as_str().len() + header.len());
    aad.extend_from_slice(AAD_CONTEXT);
    // The alias is at most 128 bytes (KeyAlias guarantees it), so one length byte suffices.
    aad.push(u8::try_from(alias.as_str().len()).unwrap_or(u8::MAX));
    aad.extend_from_slice(alias.as_str().as_bytes());
    aad.extend_from_slice(header);
    aad
}

fn keyed_mac(wrapping_key: &KeyWrappingKey) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail for a 32-byte key.
    <HmacSha256 as Mac>::new_from_slice(wrapping_key.0.as_slice())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"))
}

fn sealing_key(
    wrapping_key: &KeyWrappingKey,
    unlock_secret: &[u8; 32],
    aad: &[u8],
) -> Zeroizing<[u8; 32]> {
    let mut mac = keyed_mac(wrapping_key);
    mac.update(SEALING_KEY_CONTEXT);
    mac.update(unlock_secret);
    mac.update(aad);
    let mut key = Zeroizing::new([0u8; 32]);
    key.copy_from_slice(&mac.finalize().into_bytes());
    key
}

fn wrap_check_mac(wrapping_key: &KeyWrappingKey, aad: &[u8], sealed: &[u8]) -> HmacSha256 {
    let mut mac = keyed_mac(wrapping_key);
    mac.update(WRAP_CHECK_CONTEXT);
    mac.update(aad);
    mac.update(sealed);
    mac
}

/// The request-side blinding of a sealing point: `R' = r·R` for a fresh random non-zero `r`.
/// Returns `r` (wiped on drop) and `R'`, which is public.
fn blind(sealing_public_key: &PublicKey) -> (Zeroizing<NonZeroScalar>, PublicKey) {
    let blinding = Zeroizing::new(NonZeroScalar::random(&mut OsRng));
    let blinded = Zeroizing::new(sealing_public_key.to_projective() * **blinding);
    // A non-zero multiple of a point of the prime-order P-256 group is never the identity.
    let blinded = PublicKey::from_affine(blinded.to_affine())
        .unwrap_or_else(|_| unreachable!("r·R is not the identity for non-zero r"));
    (blinding, blinded)
}

/// Turns an authenticator's answer `x(d·r·R)` back into the unlock secret `x(d·R)` the blob was
/// sealed under. Every intermediate that could reveal either point is wiped on drop.
fn unblind(
    blinded_secret: &[u8; 32],
    blinding: &NonZeroScalar,
) -> Result<Zeroizing<[u8; 32]>, SecureAreaError> {
    // Either lift of the x-coordinate will do: r⁻¹·(−P) = −(r⁻¹·P), which has the same x.
    let lifted: Option<AffinePoint> =
        AffinePoint::decompress(FieldBytes::from_slice(blinded_secret), Choice::from(0)).into();
    let lifted = Zeroizing::new(lifted.ok_or(SecureAreaError::Misbehaved {
        what: "the authenticator's grant is not the x-coordinate of a P-256 point",
    })?);
    let inverse = Zeroizing::new(blinding.invert());
    let product = Zeroizing::new(ProjectivePoint::from(*lifted) * **inverse);
    let unblinded = Zeroizing::new(product.to_affine());
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(&unblinded.x());
    Ok(out)
}

/// Digests of the grants that unlocked a key in this secure area, oldest first, at most
/// [`CONSUMED_GRANTS_KEPT`]. Only digests are kept: a blinded secret is worthless after its
/// request, and the list must not become a store of secrets anyway. Grants that opened nothing
/// are not recorded, so repeated garbage stays `Misbehaved` rather than "reused".
#[derive(Default)]
struct ConsumedGrants(VecDeque<[u8; 32]>);

impl ConsumedGrants {
    fn digest(blinded_secret: &[u8; 32]) -> [u8; 32] {
        let mut digest = [0u8; 32];
        digest.copy_from_slice(
            &Sha256::new()
                .chain_update(CONSUMED_GRANT_CONTEXT)
                .chain_update(blinded_secret)
                .finalize(),
        );
        digest
    }

    fn contains(&self, digest: &[u8; 32]) -> bool {
        self.0.contains(digest)
    }

    /// Records a grant that was used, forgetting the oldest beyond the bound.
    fn record(&mut self, digest: [u8; 32]) {
        if self.0.len() >= CONSUMED_GRANTS_KEPT {
            self.0.pop_front();
        }
        self.0.push_back(digest);
    }
}

/// The software [`SecureArea`]: holder keys sealed to the wallet key and the user authenticator.
pub struct SoftwareSecureArea<A, B> {
    wrapping_key: KeyWrappingKey,
    authenticator: A,
    blobs: B,
    /// Boxed: the area sits inside the FFI wallet's session slot, which must stay small.
    consumed: Box<Mutex<ConsumedGrants>>,
}

impl<A: UserAuthenticator, B: SoftwareKeyBlobStore> SoftwareSecureArea<A, B> {
    /// A secure area sealing under `wrapping_key`, unlocking through `authenticator`, keeping
    /// blobs in `blobs`.
    pub fn new(wrapping_key: KeyWrappingKey, authenticator: A, blobs: B) -> Self {
        Self {
            wrapping_key,
            authenticator,
            blobs,
            consumed: Box::default(),
        }
    }

    /// The authenticator this area asks.
    pub fn authenticator(&self) -> &A {
        &self.authenticator
    }

    /// The blob store this area keeps keys in.
    pub fn blobs(&self) -> &B {
        &self.blobs
    }

    fn consumed(&self) -> std::sync::MutexGuard<'_, ConsumedGrants> {
        self.consumed
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn load(&self, alias: &KeyAlias) -> Result<SoftwareKeyBlob, SecureAreaError> {
        self.blobs.load(alias)?.ok_or(SecureAreaError::KeyNotFound)
    }

    /// Opens the key under `alias` for one operation, after the authenticator's grant.
    async fn unseal(
        &self,
        alias: &KeyAlias,
        prompt: Prompt,
    ) -> Result<SigningKey, SecureAreaError> {
        let blob = self.load(alias)?;
        let parsed = ParsedBlob::parse(blob.as_bytes())?;
        let aad = associated_data(alias, parsed.header);
        wrap_check_mac(&self.wrapping_key, &aad, parsed.sealed)
            .verify_truncated_left(parsed.wrap_check)
            .map_err(|_| SecureAreaError::WrongWrappingKey)?;

        let mut challenge = [0u8; 32];
        OsRng.fill_bytes(&mut challenge);
        let (blinding, blinded_sealing_key) = blind(&parsed.sealing_public_key);
        let request = UnlockRequest {
            alias: alias.clone(),
            challenge,
            enrolment: parsed.enrolment,
            sealing_public_key: blinded_sealing_key,
            policy: parsed.policy,
            reason: prompt.reason,
            device_credential: prompt.device_credential,
        };
        let grant = self.authenticator.authenticate(&request).await?;
        // Checked before the challenge, so a grant replayed whole is named for what it is.
        let grant_digest = ConsumedGrants::digest(grant.unlock_secret());
        if self.consumed().contains(&grant_digest) {
            return Err(SecureAreaError::GrantReused);
        }
        if grant.challenge() != &challenge {
            return Err(SecureAreaError::Misbehaved {
                what: "the authenticator's grant answers a different challenge",
            });
        }
        let unlock_secret = unblind(grant.unlock_secret(), &blinding)?;
        drop(grant);
        let key = sealing_key(&self.wrapping_key, &unlock_secret, &aad);
        let plain_scalar = Zeroizing::new(
            XChaCha20Poly1305::new(key.as_slice().into())
                .decrypt(
                    XNonce::from_slice(parsed.nonce),
                    Payload {
                        msg: parsed.sealed,
                        aad: &aad,
                    },
                )
                .map_err(|_| SecureAreaError::Misbehaved {
                    what: "the authenticator's grant does not unlock this key",
                })?,
        );
        let signing_key =
            SigningKey::from_slice(&plain_scalar).map_err(|_| SecureAreaError::CorruptKeyBlob {
                what: "sealed private key is not a P-256 scalar",
            })?;
        if signing_key.verifying_key() != parsed.holder_public_key.as_verifying_key() {
            return Err(SecureAreaError::CorruptKeyBlob {
                what: "sealed private key does not match the recorded public key",
            });
        }
        // Two concurrent uses of one grant cannot both get here: the grant answers one request's
        // blinding, and unblinds to a wrong secret for any other.
        self.consumed().record(grant_digest);
        Ok(signing_key)
    }

    /// Test-support hook for the memory-scan test: the private key XOR `mask`, computed inside
    /// wiped buffers after the same user check as a signature. Never compiled into a shipping build.
    #[cfg(feature = "test-support")]
    pub async fn masked_private_key(
        &self,
        alias: &KeyAlias,
        mask: &[u8; 32],
    ) -> Result<Zeroizing<[u8; 32]>, SecureAreaError> {
        let signing_key = self.unseal(alias, PromptReason::ShowQr.into()).await?;
        let plain = Zeroizing::new(signing_key.to_bytes());
        let mut out = Zeroizing::new([0u8; 32]);
        for ((o, k), m) in out.iter_mut().zip(plain.iter()).zip(mask) {
            *o = k ^ m;
        }
        Ok(out)
    }
}

impl<A: UserAuthenticator, B: SoftwareKeyBlobStore> SecureArea for SoftwareSecureArea<A, B> {
    async fn create_key(
        &self,
        alias: &KeyAlias,
        policy: KeyAuthPolicy,
        _challenge: &[u8],
    ) -> Result<CreatedKey, SecureAreaError> {
        if self.blobs.load(alias)?.is_some() {
            return Err(SecureAreaError::KeyExists);
        }
        let enrolment = self.authenticator.enrolment().await?;
        let holder_key = SecretKey::random(&mut OsRng);
        let holder_public_key =
            HolderPublicKey::from(*SigningKey::from(&holder_key).verifying_key());
        let sealing_key_pair = SecretKey::random(&mut OsRng);
        let unlock_secret = shared_unlock_secret(&sealing_key_pair, &enrolment.unlock_public_key);
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);

        let mut blob = encode_header(
            policy,
            &holder_public_key,
            enrolment.id,
            &sealing_key_pair.public_key(),
            &nonce,
        );
        let aad = associated_data(alias, &blob);
        let key = sealing_key(&self.wrapping_key, &unlock_secret, &aad);
        let plain_scalar = Zeroizing::new(holder_key.to_bytes());
        let sealed = XChaCha20Poly1305::new(key.as_slice().into())
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain_scalar.as_slice(),
                    aad: &aad,
                },
            )
            .map_err(|_| SecureAreaError::Unavailable {
                detail: "sealing the new holder key failed".to_owned(),
            })?;
        let check = wrap_check_mac(&self.wrapping_key, &aad, &sealed)
            .finalize()
            .into_bytes();
        blob.extend_from_slice(&sealed);
        blob.extend_from_slice(check.get(..WRAP_CHECK_LEN).unwrap_or_default());
        self.blobs.insert_new(alias, &SoftwareKeyBlob(blob))?;
        Ok(CreatedKey {
            public_key: holder_public_key,
            attestation: KeyAttestation::software(),
        })
    }

    async fn public_key(&self, alias: &KeyAlias) -> Result<HolderPublicKey, SecureAreaError> {
        self.load(alias)?.public_key()
    }

    async fn sign(
        &self,
        alias: &KeyAlias,
        message: &[u8],
        reason: PromptReason,
    ) -> Result<UncheckedSignature, SecureAreaError> {
        self.sign_with(alias, message, reason.into()).await
    }

    async fn sign_with(
        &self,
        alias: &KeyAlias,
        message: &[u8],
        prompt: Prompt,
    ) -> Result<UncheckedSignature, SecureAreaError> {
        let signing_key = self.unseal(alias, prompt).await?;
        let signature: Signature = signing_key.sign(message);
        Ok(UncheckedSignature(signature.to_der().as_bytes().to_vec()))
    }

    async fn delete_key(&self, alias: &KeyAlias) -> Result<(), SecureAreaError> {
        if self.blobs.remove(alias)? {
            Ok(())
        } else {
            Err(SecureAreaError::KeyNotFound)
        }
    }
}

impl<A, B> fmt::Debug for SoftwareSecureArea<A, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SoftwareSecureArea").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unblinding_recovers_the_secret_the_blob_was_sealed_under() {
        let authenticator = SecretKey::random(&mut OsRng);
        let sealing = SecretKey::random(&mut OsRng).public_key();
        let sealed_under = shared_unlock_secret(&authenticator, &sealing);
        for _ in 0..16 {
            let (blinding, blinded) = blind(&sealing);
            let answer = shared_unlock_secret(&authenticator, &blinded);
            assert_ne!(
                *answer, *sealed_under,
                "the answer must not be the sealing secret"
            );
            assert_eq!(*unblind(&answer, &blinding).unwrap(), *sealed_under);
        }
    }

    #[test]
    fn consumed_grants_are_remembered_up_to_the_bound_then_the_oldest_is_forgotten() {
        let mut consumed = ConsumedGrants::default();
        let digest = |i: usize| {
            let mut secret = [0u8; 32];
            secret[..8].copy_from_slice(&(i as u64).to_be_bytes());
            ConsumedGrants::digest(&secret)
        };
        assert!(!consumed.contains(&digest(0)));
        for i in 0..CONSUMED_GRANTS_KEPT {
            consumed.record(digest(i));
        }
        assert!(
            consumed.contains(&digest(0)),
            "still remembered at the bound"
        );
        consumed.record(digest(CONSUMED_GRANTS_KEPT));
        assert!(!consumed.contains(&digest(0)), "the oldest was forgotten");
        assert!(consumed.contains(&digest(1)));
        assert!(consumed.contains(&digest(CONSUMED_GRANTS_KEPT)));
    }
}
