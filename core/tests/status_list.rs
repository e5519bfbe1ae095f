//! The status list's bit layout, its compressed form, the draft's own examples, and the limits
//! that protect a verifier from hostile lists.

mod status_support;

use ciborium::value::Value;
use netid_core::status::{
    MAX_STATUS_LIST_BYTES, StatusBits, StatusError, StatusList, StatusListBuilder, StatusListToken,
    TokenStatus,
};
use status_support::*;

fn statuses(list: &StatusList) -> Vec<u8> {
    (0..list.len())
        .map(|i| list.get(i).unwrap().value())
        .collect()
}

#[test]
fn draft_one_bit_example_decodes_to_its_statuses() {
    let list = StatusList::decompress(StatusBits::One, &vector("draft-1bit-lst.hex")).unwrap();
    assert_eq!(list.len(), 16);
    assert_eq!(
        statuses(&list),
        [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1]
    );
    assert_eq!(list.get(0).unwrap(), TokenStatus::Revoked);
    assert_eq!(list.get(1).unwrap(), TokenStatus::Valid);
}

#[test]
fn draft_two_bit_example_decodes_to_its_statuses() {
    let list = StatusList::decompress(StatusBits::Two, &vector("draft-2bit-lst.hex")).unwrap();
    // Three bytes of four entries each; the draft's example uses the first twelve.
    assert_eq!(list.len(), 12);
    assert_eq!(statuses(&list), [1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3]);
    assert_eq!(list.get(1).unwrap(), TokenStatus::Suspended);
    assert_eq!(list.get(3).unwrap(), TokenStatus::Other(3));
}

#[test]
fn building_the_draft_examples_gives_the_same_packed_bytes() {
    // Compressors may differ in output bytes, so compare what the compressed lists inflate to.
    for (bits, entries, name) in [
        (
            StatusBits::One,
            vec![1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1],
            "draft-1bit-lst.hex",
        ),
        (
            StatusBits::Two,
            vec![1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3],
            "draft-2bit-lst.hex",
        ),
    ] {
        let mut list = StatusList::new(entries.len() as u64, bits).unwrap();
        for (idx, value) in entries.iter().enumerate() {
            list.set(idx as u64, TokenStatus::from_value(*value))
                .unwrap();
        }
        let ours = miniz_oxide::inflate::decompress_to_vec_zlib(&list.compress()).unwrap();
        let drafts = miniz_oxide::inflate::decompress_to_vec_zlib(&vector(name)).unwrap();
        assert_eq!(ours, drafts, "{bits:?}");
    }
}

#[test]
fn draft_cbor_status_list_map_verifies_inside_a_signed_token() {
    let status_list: Value =
        ciborium::from_reader(vector("draft-1bit-status-list.cbor.hex").as_slice()).unwrap();
    let token = sign_raw(
        good_header(),
        claims_with_status_list(status_list),
        &issuer_key(),
    );
    let verified = StatusListToken::verify(&token, &trusted(), NOW).unwrap();
    assert_eq!(verified.list().bits(), StatusBits::One);
    assert_eq!(
        statuses(verified.list()),
        [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1]
    );
}

#[test]
fn index_zero_is_the_least_significant_bit_of_byte_zero() {
    for (bits, value, packed) in [
        (StatusBits::One, 1, 0x01),
        (StatusBits::Two, 2, 0x02),
        (StatusBits::Four, 9, 0x09),
        (StatusBits::Eight, 0xab, 0xab),
    ] {
        let mut list = StatusList::new(8, bits).unwrap();
        list.set(0, TokenStatus::from_value(value)).unwrap();
        let bytes = miniz_oxide::inflate::decompress_to_vec_zlib(&list.compress()).unwrap();
        assert_eq!(bytes[0], packed, "{bits:?}");
        assert!(bytes[1..].iter().all(|&b| b == 0));
    }
    // Entry 1 of a 2-bit list sits in bits 2-3 of byte 0.
    let mut list = StatusList::new(4, StatusBits::Two).unwrap();
    list.set(1, TokenStatus::Revoked).unwrap();
    let bytes = miniz_oxide::inflate::decompress_to_vec_zlib(&list.compress()).unwrap();
    assert_eq!(bytes, [0b0000_0100]);
}

#[test]
fn every_bit_size_round_trips_through_a_signed_token() {
    for bits in [
        StatusBits::One,
        StatusBits::Two,
        StatusBits::Four,
        StatusBits::Eight,
    ] {
        let max = (1u16 << bits.count()) - 1;
        let entries = 10_000u64;
        let mut builder = StatusListBuilder::new(URI, entries, bits).unwrap();
        let expected = |idx: u64| ((idx * 7 + idx / 3) % (u64::from(max) + 1)) as u8;
        for idx in 0..entries {
            builder
                .set(idx, TokenStatus::from_value(expected(idx)))
                .unwrap();
        }
        let token = builder.sign(&issuer_key(), KID, NOW).unwrap();
        let verified = StatusListToken::verify(&token, &trusted(), NOW).unwrap();
        assert_eq!(verified.list().bits(), bits);
        assert_eq!(verified.list().len(), entries, "{bits:?}");
        for idx in 0..entries {
            assert_eq!(verified.list().get(idx).unwrap().value(), expected(idx));
        }
    }
}

#[test]
fn set_overwrites_and_leaves_neighbours_alone() {
    let mut list = StatusList::new(16, StatusBits::Two).unwrap();
    list.set(5, TokenStatus::Other(3)).unwrap();
    list.set(5, TokenStatus::Suspended).unwrap();
    assert_eq!(list.get(5).unwrap(), TokenStatus::Suspended);
    assert_eq!(list.get(4).unwrap(), TokenStatus::Valid);
    assert_eq!(list.get(6).unwrap(), TokenStatus::Valid);
    list.set(5, TokenStatus::Valid).unwrap();
    assert_eq!(statuses(&list), vec![0; 16]);
}

#[test]
fn a_status_that_needs_more_bits_is_refused() {
    let mut list = StatusList::new(8, StatusBits::One).unwrap();
    assert_eq!(
        list.set(0, TokenStatus::Suspended),
        Err(StatusError::StatusDoesNotFit { value: 2, bits: 1 })
    );
    let mut list = StatusList::new(8, StatusBits::Four).unwrap();
    assert_eq!(
        list.set(0, TokenStatus::Other(16)),
        Err(StatusError::StatusDoesNotFit { value: 16, bits: 4 })
    );
    assert_eq!(list.get(0).unwrap(), TokenStatus::Valid, "nothing written");
}

#[test]
fn index_out_of_range_is_a_typed_error() {
    let mut list = StatusList::new(10, StatusBits::One).unwrap();
    // Ten entries round up to two bytes: sixteen entries.
    assert_eq!(list.len(), 16);
    assert!(list.get(15).is_ok());
    for idx in [16, 1 << 40, u64::MAX] {
        assert_eq!(
            list.get(idx),
            Err(StatusError::IndexOutOfRange { idx, len: 16 })
        );
        assert_eq!(
            list.set(idx, TokenStatus::Revoked),
            Err(StatusError::IndexOutOfRange { idx, len: 16 })
        );
    }
}

#[test]
fn list_sizes_and_bits_are_checked() {
    assert_eq!(
        StatusList::new(0, StatusBits::One),
        Err(StatusError::EmptyList)
    );
    assert!(matches!(
        StatusList::new(u64::MAX, StatusBits::Eight),
        Err(StatusError::ListTooLarge { .. })
    ));
    let max_entries = MAX_STATUS_LIST_BYTES as u64 * 8;
    assert!(StatusList::new(max_entries, StatusBits::One).is_ok());
    assert!(matches!(
        StatusList::new(max_entries + 1, StatusBits::One),
        Err(StatusError::ListTooLarge { .. })
    ));
    for bad in [0, 3, 5, 16, u64::MAX] {
        assert_eq!(
            StatusBits::from_count(bad),
            Err(StatusError::UnsupportedBits(bad))
        );
    }
    assert_eq!(
        StatusListBuilder::new("", 8, StatusBits::One).unwrap_err(),
        StatusError::EmptyUri
    );
}

#[test]
fn a_zip_bomb_is_refused_without_inflating_it() {
    // One MiB past the limit in zeros compresses to about 17 KiB.
    let bomb = miniz_oxide::deflate::compress_to_vec_zlib(
        &vec![0u8; MAX_STATUS_LIST_BYTES + (1 << 20)],
        6,
    );
    assert!(bomb.len() < 100_000, "{}", bomb.len());
    let err = StatusList::decompress(StatusBits::One, &bomb).unwrap_err();
    assert_eq!(
        err,
        StatusError::DecompressedTooLarge {
            max: MAX_STATUS_LIST_BYTES
        }
    );
    assert!(err.to_string().contains("decompression bomb"));

    // The same inside a correctly signed token.
    let token = sign_raw(
        good_header(),
        claims_with_status_list(status_list_map(1, bomb)),
        &issuer_key(),
    );
    assert_eq!(
        StatusListToken::verify(&token, &trusted(), NOW),
        Err(StatusError::DecompressedTooLarge {
            max: MAX_STATUS_LIST_BYTES
        })
    );
}

#[test]
fn corrupt_or_empty_compressed_lists_are_typed_errors() {
    let mut good = StatusList::new(64, StatusBits::One).unwrap().compress();
    assert_eq!(
        StatusList::decompress(StatusBits::One, &[]),
        Err(StatusError::Decompression)
    );
    assert_eq!(
        StatusList::decompress(StatusBits::One, b"not zlib at all"),
        Err(StatusError::Decompression)
    );
    let last = good.len() - 1;
    good[last] ^= 0xff; // breaks the Adler-32 trailer
    assert_eq!(
        StatusList::decompress(StatusBits::One, &good),
        Err(StatusError::Decompression)
    );
    let empty = miniz_oxide::deflate::compress_to_vec_zlib(&[], 6);
    assert_eq!(
        StatusList::decompress(StatusBits::One, &empty),
        Err(StatusError::EmptyList)
    );
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn any_bits() -> impl Strategy<Value = StatusBits> {
        prop_oneof![
            Just(StatusBits::One),
            Just(StatusBits::Two),
            Just(StatusBits::Four),
            Just(StatusBits::Eight),
        ]
    }

    proptest! {
        /// A list behaves like a plain vector of values under any sequence of writes, and
        /// survives compression unchanged.
        #[test]
        fn a_list_matches_a_vector_model(
            bits in any_bits(),
            entries in 1u64..300,
            writes in proptest::collection::vec((0u64..400, any::<u8>()), 0..100),
        ) {
            let mut list = StatusList::new(entries, bits).unwrap();
            let mut model = vec![0u8; list.len() as usize];
            let max = ((1u16 << bits.count()) - 1) as u8;
            for (idx, value) in writes {
                let result = list.set(idx, TokenStatus::from_value(value));
                if idx >= list.len() {
                    prop_assert!(matches!(result, Err(StatusError::IndexOutOfRange { .. })), "out of range");
                } else if value > max {
                    prop_assert!(matches!(result, Err(StatusError::StatusDoesNotFit { .. })), "too wide");
                } else {
                    prop_assert!(result.is_ok());
                    model[idx as usize] = value;
                }
            }
            let restored = StatusList::decompress(bits, &list.compress()).unwrap();
            prop_assert_eq!(statuses(&restored), model);
        }

        /// Arbitrary bytes are never a panic, and never a verified token.
        #[test]
        fn arbitrary_bytes_never_verify(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            prop_assert!(StatusListToken::verify(&bytes, &trusted(), NOW).is_err());
        }
    }
}

#[test]
fn a_verified_token_carries_the_digest_of_its_bytes_as_received() {
    use sha2::{Digest, Sha256};
    let mut builder = StatusListBuilder::new(URI, 16, StatusBits::One).unwrap();
    let first = builder.sign(&issuer_key(), KID, NOW).unwrap();
    builder.set(3, TokenStatus::Revoked).unwrap();
    let second = builder.sign(&issuer_key(), KID, NOW).unwrap();
    let a = StatusListToken::verify(&first, &trusted(), NOW).unwrap();
    let b = StatusListToken::verify(&second, &trusted(), NOW).unwrap();
    let expected: [u8; 32] = Sha256::digest(&first).into();
    assert_eq!(a.digest(), expected);
    // Same URI and iat, different content: the rollback guard tells them apart by this digest.
    assert_eq!(a.issued_at(), b.issued_at());
    assert_ne!(a.digest(), b.digest());
}
