//! Helpers shared by the status list tests: fixed keys and hand-made tokens for bad input.
#![allow(dead_code)]

use ciborium::value::Value;
use coset::{CoseSign1Builder, Header, HeaderBuilder, TaggedCborSerializable, iana};
use netid_core::status::{STATUS_LIST_CWT_TYPE, StatusIssuerKeys};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};

pub const KID: &[u8] = b"status-key-1";
pub const URI: &str = "https://status.netid.example/lists/7";
pub const NOW: u64 = 1_800_000_000;

/// A fixed P-256 key, so failures reproduce.
pub fn issuer_key() -> SigningKey {
    SigningKey::from_slice(&[0x11; 32]).expect("a valid P-256 scalar")
}

pub fn other_key() -> SigningKey {
    SigningKey::from_slice(&[0x22; 32]).expect("a valid P-256 scalar")
}

/// Trusts `issuer_key()` under `KID`.
pub fn trusted() -> StatusIssuerKeys {
    let mut keys = StatusIssuerKeys::new();
    keys.insert(KID, *issuer_key().verifying_key());
    keys
}

/// The protected header a correct token carries.
pub fn good_header() -> Header {
    HeaderBuilder::new()
        .algorithm(iana::Algorithm::ES256)
        .key_id(KID.to_vec())
        .value(16, Value::Text(STATUS_LIST_CWT_TYPE.into()))
        .build()
}

/// Signs an arbitrary payload under an arbitrary protected header, as a hostile or broken
/// issuer could.
pub fn sign_raw(protected: Header, payload: Vec<u8>, key: &SigningKey) -> Vec<u8> {
    CoseSign1Builder::new()
        .protected(protected)
        .payload(payload)
        .create_signature(&[], |tbs| {
            let signature: Signature = key.sign(tbs);
            signature.to_bytes().to_vec()
        })
        .build()
        .to_tagged_vec()
        .expect("COSE_Sign1 encodes")
}

pub fn cbor(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).expect("CBOR encodes");
    out
}

pub fn int(i: i64) -> Value {
    Value::Integer(i.into())
}

/// A claims map with `sub`, `iat` and the given `status_list` value.
pub fn claims_with_status_list(status_list: Value) -> Vec<u8> {
    cbor(&Value::Map(vec![
        (int(2), Value::Text(URI.into())),
        (int(6), int(NOW as i64)),
        (int(65_533), status_list),
    ]))
}

pub fn status_list_map(bits: i64, lst: Vec<u8>) -> Value {
    Value::Map(vec![
        (Value::Text("bits".into()), int(bits)),
        (Value::Text("lst".into()), Value::Bytes(lst)),
    ])
}

pub fn vector(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/vectors/status_list/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    hex::decode(text.trim()).unwrap_or_else(|e| panic!("{path} is not hex: {e}"))
}
