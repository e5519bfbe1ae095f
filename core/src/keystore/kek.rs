//! Encrypting the data key under a key-encryption key (KEK), shared by the built-in wrappers.
//!
//! A wrapped body is `header_len (u16 BE) | header | nonce (24) | XChaCha20-Poly1305 ciphertext`;
//! the wrapper kind and its header (entry name, Argon2 salt and cost) are the associated data, so
//! none of them can be altered without the unwrap failing. This module never sees where the KEK
//! comes from and never returns key bytes except inside a wiped [`DataKey`].

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

use super::{DATA_KEY_LEN, DataKey, KeyStoreError, Unavailable, WrapperKind, fill_random};

/// Length of a key-encryption key in bytes.
pub(crate) const KEK_LEN: usize = 32;
const NONCE_LEN: usize = 24;
const AD_LABEL: &[u8] = b"netid wrapped data key v1";

/// A key-encryption key, wiped on drop.
pub(crate) type Kek = Zeroizing<[u8; KEK_LEN]>;

fn associated_data(kind: WrapperKind, header: &[u8]) -> Vec<u8> {
    let mut ad = Vec::with_capacity(AD_LABEL.len() + 1 + header.len());
    ad.extend_from_slice(AD_LABEL);
    ad.push(kind.code());
    ad.extend_from_slice(header);
    ad
}

/// Encrypts `data_key` under `kek`, binding `kind` and `header`; returns the wrapped body.
pub(crate) fn seal(
    kek: &Kek,
    kind: WrapperKind,
    header: &[u8],
    data_key: &DataKey,
) -> Result<Vec<u8>, KeyStoreError> {
    let header_len = u16::try_from(header.len())
        .map_err(|_| KeyStoreError::MalformedWrappedKey("wrapper header too long"))?;
    let mut nonce = [0u8; NONCE_LEN];
    fill_random(&mut nonce)?;
    let ad = associated_data(kind, header);
    let ciphertext = XChaCha20Poly1305::new(kek.as_ref().into())
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: data_key.expose_secret(),
                aad: &ad,
            },
        )
        .map_err(|_| KeyStoreError::MalformedWrappedKey("data key encryption failed"))?;
    let mut body = Vec::with_capacity(2 + header.len() + NONCE_LEN + ciphertext.len());
    body.extend_from_slice(&header_len.to_be_bytes());
    body.extend_from_slice(header);
    body.extend_from_slice(&nonce);
    body.extend_from_slice(&ciphertext);
    Ok(body)
}

/// Splits a wrapped body into its header and the sealed part, without decrypting.
pub(crate) fn header(body: &[u8]) -> Result<(&[u8], &[u8]), KeyStoreError> {
    let (len, rest) = body
        .split_first_chunk::<2>()
        .ok_or(KeyStoreError::MalformedWrappedKey("wrapped body truncated"))?;
    rest.split_at_checked(usize::from(u16::from_be_bytes(*len)))
        .ok_or(KeyStoreError::MalformedWrappedKey(
            "wrapped header truncated",
        ))
}

/// Decrypts a wrapped body made by [`seal`] with the same `kek` and `kind`.
pub(crate) fn open(kek: &Kek, kind: WrapperKind, body: &[u8]) -> Result<DataKey, KeyStoreError> {
    let (header, sealed) = header(body)?;
    let (nonce, ciphertext) =
        sealed
            .split_at_checked(NONCE_LEN)
            .ok_or(KeyStoreError::MalformedWrappedKey(
                "wrapped nonce truncated",
            ))?;
    let ad = associated_data(kind, header);
    let plain = Zeroizing::new(
        XChaCha20Poly1305::new(kek.as_ref().into())
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &ad,
                },
            )
            .map_err(|_| KeyStoreError::KeyUnavailable(Unavailable::Wrong))?,
    );
    let mut key = Zeroizing::new([0u8; DATA_KEY_LEN]);
    if plain.len() != DATA_KEY_LEN {
        return Err(KeyStoreError::MalformedWrappedKey(
            "wrapped data key has the wrong length",
        ));
    }
    key.copy_from_slice(&plain);
    Ok(DataKey::from_bytes(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kek(byte: u8) -> Kek {
        Zeroizing::new([byte; KEK_LEN])
    }

    #[test]
    fn round_trips_and_binds_kind_and_header() {
        let key = DataKey::generate().unwrap();
        let body = seal(&kek(1), WrapperKind::InMemory, b"hdr", &key).unwrap();
        let back = open(&kek(1), WrapperKind::InMemory, &body).unwrap();
        assert_eq!(back.expose_secret(), key.expose_secret());

        assert!(matches!(
            open(&kek(2), WrapperKind::InMemory, &body),
            Err(KeyStoreError::KeyUnavailable(Unavailable::Wrong))
        ));
        assert!(matches!(
            open(&kek(1), WrapperKind::Passphrase, &body),
            Err(KeyStoreError::KeyUnavailable(Unavailable::Wrong))
        ));
        let mut altered = body.clone();
        altered[3] ^= 1; // inside the header
        assert!(open(&kek(1), WrapperKind::InMemory, &altered).is_err());
    }

    #[test]
    fn truncated_bodies_are_typed_errors() {
        let key = DataKey::generate().unwrap();
        let body = seal(&kek(1), WrapperKind::InMemory, b"hdr", &key).unwrap();
        for len in 0..body.len() {
            assert!(open(&kek(1), WrapperKind::InMemory, &body[..len]).is_err());
        }
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_wrapped_keys_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..128)) {
            if let Ok(wrapped) = crate::keystore::WrappedKey::from_bytes(&bytes) {
                let _ = open(&kek(1), wrapped.kind(), wrapped.body());
            }
            let _ = open(&kek(1), WrapperKind::OsKeyStore, &bytes);
        }
    }
}
