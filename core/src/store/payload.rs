//! The plaintext inside a sealed record: a CBOR map with small integer keys.
//!
//! Encoding writes into a wiped buffer and wipes the intermediate CBOR values; decoding copies each
//! string once at its exact size and moves byte and text values out instead of copying them again. This module only converts; a payload that does not
//! decode was written by different code (authentication already passed), so it is reported as a
//! damaged store, never as a panic.

use zeroize::Zeroizing;

use super::StoreError;
use crate::credential::cbor::{self, Cbor};

/// Builds a payload map.
pub(crate) struct Encoder {
    entries: Vec<(Cbor, Cbor)>,
}

impl Encoder {
    pub(crate) fn new() -> Self {
        Self {
            entries: Vec::new(),
        }
    }

    pub(crate) fn uint(mut self, key: u8, value: u64) -> Self {
        self.entries
            .push((Cbor::Int(key.into()), Cbor::Int(value.into())));
        self
    }

    pub(crate) fn bytes(mut self, key: u8, value: &[u8]) -> Self {
        self.entries
            .push((Cbor::Int(key.into()), Cbor::Bytes(value.to_vec())));
        self
    }

    pub(crate) fn text(mut self, key: u8, value: &str) -> Self {
        self.entries
            .push((Cbor::Int(key.into()), Cbor::Text(value.to_owned())));
        self
    }

    pub(crate) fn optional_uint(self, key: u8, value: Option<u64>) -> Self {
        match value {
            Some(value) => self.uint(key, value),
            None => self,
        }
    }

    pub(crate) fn optional_bytes(self, key: u8, value: Option<&[u8]>) -> Self {
        match value {
            Some(value) => self.bytes(key, value),
            None => self,
        }
    }

    pub(crate) fn optional_text(self, key: u8, value: Option<&str>) -> Self {
        match value {
            Some(value) => self.text(key, value),
            None => self,
        }
    }

    pub(crate) fn finish(self) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        // The encoder allocates its output once at its final size, so no unwiped copy is left
        // behind; the map's strings are wiped when it drops.
        Ok(Zeroizing::new(Cbor::Map(self.entries).to_vec()))
    }
}

/// Reads fields out of a decoded payload map.
pub(crate) struct Decoder {
    table: &'static str,
    // Each value wipes its strings when dropped (`Cbor`'s `Drop`).
    entries: Vec<(Cbor, Cbor)>,
}

impl Decoder {
    pub(crate) fn new(table: &'static str, payload: &[u8]) -> Result<Self, StoreError> {
        // The strict decoder copies each string once at its exact size: no growing buffer leaves
        // a credential's disclosures in the freed heap.
        let mut value = cbor::decode(payload).map_err(|_| malformed(table))?;
        match &mut value {
            Cbor::Map(entries) => Ok(Self {
                table,
                entries: std::mem::take(entries),
            }),
            _ => Err(malformed(table)),
        }
    }

    fn take(&mut self, key: u8) -> Option<Cbor> {
        let position = self
            .entries
            .iter()
            .position(|(k, _)| k.as_i64() == Some(key.into()))?;
        Some(self.entries.swap_remove(position).1)
    }

    pub(crate) fn uint(&mut self, key: u8) -> Result<u64, StoreError> {
        self.optional_uint(key)?.ok_or(malformed(self.table))
    }

    pub(crate) fn optional_uint(&mut self, key: u8) -> Result<Option<u64>, StoreError> {
        match self.take(key) {
            None => Ok(None),
            Some(Cbor::Int(i)) => u64::try_from(i)
                .map(Some)
                .map_err(|_| malformed(self.table)),
            Some(_) => Err(malformed(self.table)),
        }
    }

    pub(crate) fn bytes(&mut self, key: u8) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        self.optional_bytes(key)?.ok_or(malformed(self.table))
    }

    pub(crate) fn optional_bytes(
        &mut self,
        key: u8,
    ) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
        match self.take(key) {
            None => Ok(None),
            // Moved out, so the dropped value wipes an empty buffer, not the caller's copy.
            Some(mut value) => match &mut value {
                Cbor::Bytes(bytes) => Ok(Some(Zeroizing::new(std::mem::take(bytes)))),
                _ => Err(malformed(self.table)),
            },
        }
    }

    pub(crate) fn text(&mut self, key: u8) -> Result<String, StoreError> {
        self.optional_text(key)?.ok_or(malformed(self.table))
    }

    pub(crate) fn optional_text(&mut self, key: u8) -> Result<Option<String>, StoreError> {
        match self.take(key) {
            None => Ok(None),
            Some(mut value) => match &mut value {
                Cbor::Text(text) => Ok(Some(std::mem::take(text))),
                _ => Err(malformed(self.table)),
            },
        }
    }
}

fn malformed(table: &'static str) -> StoreError {
    StoreError::StoreCorrupted {
        detail: format!("a record in {table} is authentic but not in a format this version reads"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_field_kind() {
        let payload = Encoder::new()
            .uint(0, 7)
            .bytes(1, b"\x00\x01")
            .text(2, "label")
            .optional_text(3, None)
            .finish()
            .unwrap();
        let mut d = Decoder::new("t", &payload).unwrap();
        assert_eq!(d.uint(0).unwrap(), 7);
        assert_eq!(d.bytes(1).unwrap().as_slice(), b"\x00\x01");
        assert_eq!(d.text(2).unwrap(), "label");
        assert_eq!(d.optional_text(3).unwrap(), None);
        assert!(d.text(3).is_err());
    }

    #[test]
    fn wrong_shapes_are_errors_not_panics() {
        assert!(Decoder::new("t", b"").is_err());
        assert!(Decoder::new("t", b"\x01").is_err());
        let payload = Encoder::new().text(0, "x").finish().unwrap();
        assert!(Decoder::new("t", &payload).unwrap().uint(0).is_err());
        assert!(Decoder::new("t", &payload).unwrap().bytes(0).is_err());
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256)) {
            if let Ok(mut d) = Decoder::new("t", &bytes) {
                let _ = d.uint(0);
                let _ = d.optional_bytes(1);
                let _ = d.optional_text(2);
            }
        }
    }
}
