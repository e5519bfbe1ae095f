//! Status List Tokens: what the issuer signs verifies, and every kind of bad token is refused
//! with its own error (never a panic).

mod status_support;

use ciborium::value::Value;
use coset::{CborSerializable, CoseSign1, HeaderBuilder, TaggedCborSerializable, iana};
use netid_core::status::{
    ISSUED_AT_SKEW_SECONDS, STATUS_LIST_CWT_TYPE, StatusBits, StatusError, StatusIssuerKeys,
    StatusListBuilder, StatusListToken, TokenStatus,
};
use status_support::*;

fn signed_list() -> Vec<u8> {
    let mut builder = StatusListBuilder::new(URI, 64, StatusBits::Two).unwrap();
    builder.set(3, TokenStatus::Revoked).unwrap();
    builder.set(4, TokenStatus::Suspended).unwrap();
    builder.time_to_live(3_600).expires_at(NOW + 86_400);
    builder.sign(&issuer_key(), KID, NOW).unwrap()
}

#[test]
fn a_signed_list_verifies_with_all_its_claims() {
    let token = StatusListToken::verify(&signed_list(), &trusted(), NOW).unwrap();
    assert_eq!(token.uri(), URI);
    assert_eq!(token.kid(), KID);
    assert_eq!(token.issued_at(), NOW);
    assert_eq!(token.expires_at(), Some(NOW + 86_400));
    assert_eq!(token.time_to_live(), Some(3_600));
    assert_eq!(token.issuer(), None);
    assert_eq!(token.list().len(), 64);
    assert_eq!(token.list().get(3).unwrap(), TokenStatus::Revoked);
    assert_eq!(token.list().get(4).unwrap(), TokenStatus::Suspended);
    assert_eq!(token.list().get(5).unwrap(), TokenStatus::Valid);
}

#[test]
fn the_wire_shape_follows_the_draft() {
    let bytes = signed_list();
    assert_eq!(bytes[0], 0xd2, "tagged COSE_Sign1 (tag 18)");
    let sign1 = CoseSign1::from_tagged_slice(&bytes).unwrap();
    let header = &sign1.protected.header;
    assert_eq!(
        header.alg,
        Some(coset::RegisteredLabelWithPrivate::Assigned(
            iana::Algorithm::ES256
        ))
    );
    assert_eq!(header.key_id, KID);
    assert!(header.rest.contains(&(
        coset::Label::Int(16),
        Value::Text("application/statuslist+cwt".into())
    )));
    let claims: Value = ciborium::from_reader(sign1.payload.as_deref().unwrap()).unwrap();
    let claims = claims.into_map().unwrap();
    let get = |label: i64| {
        claims
            .iter()
            .find(|(k, _)| *k == int(label))
            .map(|(_, v)| v.clone())
    };
    assert_eq!(get(2), Some(Value::Text(URI.into())));
    assert_eq!(get(6), Some(int(NOW as i64)));
    assert_eq!(get(4), Some(int((NOW + 86_400) as i64)));
    assert_eq!(get(65_534), Some(int(3_600)));
    let status_list = get(65_533).unwrap().into_map().unwrap();
    assert_eq!(status_list[0], (Value::Text("bits".into()), int(2)));
    assert_eq!(status_list[1].0, Value::Text("lst".into()));
    // The signature is a raw 64-byte r||s, as COSE requires for ES256.
    assert_eq!(sign1.signature.len(), 64);
}

#[test]
fn an_untagged_cose_sign1_is_accepted_too() {
    let sign1 = CoseSign1::from_tagged_slice(&signed_list()).unwrap();
    let untagged = sign1.to_vec().unwrap();
    assert_ne!(untagged[0], 0xd2);
    assert!(StatusListToken::verify(&untagged, &trusted(), NOW).is_ok());
}

#[test]
fn a_flipped_signature_or_payload_bit_fails_the_signature_check() {
    let bytes = signed_list();
    let mut bad_signature = bytes.clone();
    let last = bad_signature.len() - 1;
    bad_signature[last] ^= 0x01;
    assert_eq!(
        StatusListToken::verify(&bad_signature, &trusted(), NOW),
        Err(StatusError::BadSignature)
    );

    // Flip a bit inside the compressed list: still well-formed CBOR, no longer signed.
    let sign1 = CoseSign1::from_tagged_slice(&bytes).unwrap();
    let payload = sign1.payload.clone().unwrap();
    let mut tampered = sign1.clone();
    let mut new_payload = payload.clone();
    let lst_last = new_payload.len() - 1;
    new_payload[lst_last] ^= 0x80;
    tampered.payload = Some(new_payload);
    assert_eq!(
        StatusListToken::verify(&tampered.to_tagged_vec().unwrap(), &trusted(), NOW),
        Err(StatusError::BadSignature)
    );
}

#[test]
fn every_single_bit_flip_is_refused_or_changes_nothing() {
    let bytes = signed_list();
    let original = StatusListToken::verify(&bytes, &trusted(), NOW).unwrap();
    // One bit per byte position (the lowest) keeps the debug-build run short.
    for position in 0..bytes.len() {
        let mut flipped = bytes.clone();
        flipped[position] ^= 0x01;
        if let Ok(token) = StatusListToken::verify(&flipped, &trusted(), NOW) {
            // Only the unsigned parts (the unprotected header) may change without detection,
            // and then the list must be exactly the signed one.
            assert_eq!(token, original, "byte {position}");
        }
    }
}

#[test]
fn every_truncation_is_a_typed_error() {
    let bytes = signed_list();
    for length in 0..bytes.len() {
        let result = StatusListToken::verify(&bytes[..length], &trusted(), NOW);
        assert!(
            matches!(result, Err(StatusError::Malformed(_))),
            "{length} bytes: {result:?}"
        );
    }
}

#[test]
fn a_wrong_or_unknown_key_is_refused() {
    let bytes = signed_list();
    let mut wrong = StatusIssuerKeys::new();
    wrong.insert(KID, *other_key().verifying_key());
    assert_eq!(
        StatusListToken::verify(&bytes, &wrong, NOW),
        Err(StatusError::BadSignature)
    );

    let mut elsewhere = StatusIssuerKeys::new();
    elsewhere.insert(b"another-kid", *issuer_key().verifying_key());
    let err = StatusListToken::verify(&bytes, &elsewhere, NOW).unwrap_err();
    assert_eq!(
        err,
        StatusError::UnknownKey {
            kid_hex: hex::encode(KID)
        }
    );
    assert!(err.to_string().contains("trust list"));

    // Signed by another key under the trusted kid.
    let forged = StatusListBuilder::new(URI, 8, StatusBits::One)
        .unwrap()
        .sign(&other_key(), KID, NOW)
        .unwrap();
    assert_eq!(
        StatusListToken::verify(&forged, &trusted(), NOW),
        Err(StatusError::BadSignature)
    );
}

#[test]
fn expired_and_future_lists_are_refused() {
    let bytes = signed_list();
    let exp = NOW + 86_400;
    assert!(StatusListToken::verify(&bytes, &trusted(), exp - 1).is_ok());
    assert_eq!(
        StatusListToken::verify(&bytes, &trusted(), exp),
        Err(StatusError::Expired {
            expired_at: exp,
            now: exp
        })
    );
    assert!(StatusListToken::verify(&bytes, &trusted(), NOW - ISSUED_AT_SKEW_SECONDS).is_ok());
    let early = NOW - ISSUED_AT_SKEW_SECONDS - 1;
    assert_eq!(
        StatusListToken::verify(&bytes, &trusted(), early),
        Err(StatusError::IssuedInFuture {
            issued_at: NOW,
            now: early
        })
    );
}

#[test]
fn the_protected_type_and_algorithm_are_enforced() {
    let payload = claims_with_status_list(status_list_map(1, vector("draft-1bit-lst.hex")));
    let no_typ = HeaderBuilder::new()
        .algorithm(iana::Algorithm::ES256)
        .key_id(KID.to_vec())
        .build();
    assert_eq!(
        StatusListToken::verify(
            &sign_raw(no_typ, payload.clone(), &issuer_key()),
            &trusted(),
            NOW
        ),
        Err(StatusError::WrongType)
    );
    let credential_typ = HeaderBuilder::new()
        .algorithm(iana::Algorithm::ES256)
        .key_id(KID.to_vec())
        .value(16, Value::Text("application/sd-cwt".into()))
        .build();
    assert_eq!(
        StatusListToken::verify(
            &sign_raw(credential_typ, payload.clone(), &issuer_key()),
            &trusted(),
            NOW
        ),
        Err(StatusError::WrongType)
    );
    let es384 = HeaderBuilder::new()
        .algorithm(iana::Algorithm::ES384)
        .key_id(KID.to_vec())
        .value(16, Value::Text(STATUS_LIST_CWT_TYPE.into()))
        .build();
    assert_eq!(
        StatusListToken::verify(
            &sign_raw(es384, payload.clone(), &issuer_key()),
            &trusted(),
            NOW
        ),
        Err(StatusError::UnsupportedAlgorithm)
    );
    // The same payload under the right header verifies, so the refusals above are about the
    // header alone.
    assert!(
        StatusListToken::verify(
            &sign_raw(good_header(), payload, &issuer_key()),
            &trusted(),
            NOW
        )
        .is_ok()
    );
}

#[test]
fn malformed_claims_are_refused_with_a_reason() {
    let lst = || vector("draft-1bit-lst.hex");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("claims not a map", cbor(&Value::Array(vec![]))),
        ("claims not CBOR", vec![0xff, 0x00]),
        (
            "missing sub",
            cbor(&Value::Map(vec![
                (int(6), int(NOW as i64)),
                (int(65_533), status_list_map(1, lst())),
            ])),
        ),
        (
            "missing iat",
            cbor(&Value::Map(vec![
                (int(2), Value::Text(URI.into())),
                (int(65_533), status_list_map(1, lst())),
            ])),
        ),
        (
            "missing status_list",
            cbor(&Value::Map(vec![
                (int(2), Value::Text(URI.into())),
                (int(6), int(NOW as i64)),
            ])),
        ),
        (
            "negative iat",
            cbor(&Value::Map(vec![
                (int(2), Value::Text(URI.into())),
                (int(6), int(-5)),
                (int(65_533), status_list_map(1, lst())),
            ])),
        ),
        (
            "duplicate sub",
            cbor(&Value::Map(vec![
                (int(2), Value::Text(URI.into())),
                (int(2), Value::Text("https://elsewhere.example/1".into())),
                (int(6), int(NOW as i64)),
                (int(65_533), status_list_map(1, lst())),
            ])),
        ),
        (
            "lst as text",
            claims_with_status_list(Value::Map(vec![
                (Value::Text("bits".into()), int(1)),
                (
                    Value::Text("lst".into()),
                    Value::Text("eNrbuRgAAhcBXQ".into()),
                ),
            ])),
        ),
        (
            "no bits",
            claims_with_status_list(Value::Map(vec![(
                Value::Text("lst".into()),
                Value::Bytes(lst()),
            )])),
        ),
    ];
    for (name, payload) in cases {
        let token = sign_raw(good_header(), payload, &issuer_key());
        let result = StatusListToken::verify(&token, &trusted(), NOW);
        assert!(
            matches!(result, Err(StatusError::Malformed(_))),
            "{name}: {result:?}"
        );
    }
    let bad_bits = sign_raw(
        good_header(),
        claims_with_status_list(status_list_map(3, lst())),
        &issuer_key(),
    );
    assert_eq!(
        StatusListToken::verify(&bad_bits, &trusted(), NOW),
        Err(StatusError::UnsupportedBits(3))
    );
    let no_payload = {
        let mut sign1 = CoseSign1::from_tagged_slice(&signed_list()).unwrap();
        sign1.payload = None;
        sign1.to_tagged_vec().unwrap()
    };
    assert!(matches!(
        StatusListToken::verify(&no_payload, &trusted(), NOW),
        Err(StatusError::BadSignature | StatusError::Malformed(_))
    ));
}
