//! The plaintext inside a sealed record: a CBOR map with small integer keys.
//!
//! Encoding writes into a wiped buffer and wipes the intermediate CBOR values; decoding copies each
//! string once at its exact size and moves byte and text values out instead of copying them again. This module only converts; a payload that does not
//! decode was written by different code (authentication already passed), so it is reported as a
//! damaged store, never as a panic.

use ciborium::Value;
use zeroize::{Zeroize, Zeroizing};

use super::StoreError;

/// Builds a payload map.
pub(crate) struct Encoder {
    entries: Vec<(Value, Value)>,
    size_hint: usize,
}

impl Encoder {
    pub(crate) fn new() -> Self {
        Self {
            entries: Vec::new(),
            size_hint: 16,
        }
    }

    pub(crate) fn uint(mut self, key: u8, value: u64) -> Self {
        self.size_hint += 10;
        self.entries.push((Value::from(key), Value::from(value)));
        self
    }

    pub(crate) fn bytes(mut self, key: u8, value: &[u8]) -> Self {
        self.size_hint += value.len() + 10;
        self.entries
            .push((Value::from(key), Value::Bytes(value.to_vec())));
        self
    }

    pub(crate) fn text(mut self, key: u8, value: &str) -> Self {
        self.size_hint += value.len() + 10;
        self.entries
            .push((Value::from(key), Value::Text(value.to_owned())));
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
        // Reserve up front so the buffer never reallocates and leaves unwiped copies behind.
        let mut out = Zeroizing::new(Vec::with_capacity(self.size_hint));
        let mut map = Value::Map(self.entries);
        let written = ciborium::into_writer(&map, &mut *out);
        wipe(&mut map);
        written.map_err(|_| StoreError::InvalidInput {
            what: "record",
            why: "could not be encoded",
        })?;
        Ok(out)
    }
}

fn wipe(value: &mut Value) {
    match value {
        Value::Bytes(bytes) => bytes.zeroize(),
        Value::Text(text) => text.zeroize(),
        Value::Array(items) => items.iter_mut().for_each(wipe),
        Value::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
            wipe(k);
            wipe(v);
        }),
        Value::Tag(_, inner) => wipe(inner),
        _ => {}
    }
}

/// Reads fields out of a decoded payload map.
pub(crate) struct Decoder {
    table: &'static str,
    entries: Vec<(Value, Value)>,
}

impl Drop for Decoder {
    fn drop(&mut self) {
        self.entries.iter_mut().for_each(|(k, v)| {
            wipe(k);
            wipe(v);
        });
    }
}

impl Decoder {
    pub(crate) fn new(table: &'static str, payload: &[u8]) -> Result<Self, StoreError> {
        // A scratch buffer as large as the payload: ciborium reads any string that fits it there
        // and copies it once at its exact size; a longer one would be read into a growing `Vec`
        // whose abandoned buffers (a credential's disclosures) would stay in the freed heap.
        let mut scratch = Zeroizing::new(vec![0u8; payload.len().max(16)]);
        let value: Value = ciborium::from_reader_with_buffer(payload, &mut scratch[..])
            .map_err(|_| malformed(table))?;
        match value {
            Value::Map(entries) => Ok(Self { table, entries }),
            mut other => {
                wipe(&mut other);
                Err(malformed(table))
            }
        }
    }

    fn take(&mut self, key: u8) -> Option<Value> {
        let position = self
            .entries
            .iter()
            .position(|(k, _)| k.as_integer() == Some(key.into()))?;
        Some(self.entries.swap_remove(position).1)
    }

    pub(crate) fn uint(&mut self, key: u8) -> Result<u64, StoreError> {
        self.optional_uint(key)?.ok_or(malformed(self.table))
    }

    pub(crate) fn optional_uint(&mut self, key: u8) -> Result<Option<u64>, StoreError> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::Integer(i)) => u64::try_from(i)
                .map(Some)
                .map_err(|_| malformed(self.table)),
            Some(mut other) => {
                wipe(&mut other);
                Err(malformed(self.table))
            }
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
            Some(Value::Bytes(bytes)) => Ok(Some(Zeroizing::new(bytes))),
            Some(mut other) => {
                wipe(&mut other);
                Err(malformed(self.table))
            }
        }
    }

    pub(crate) fn text(&mut self, key: u8) -> Result<String, StoreError> {
        self.optional_text(key)?.ok_or(malformed(self.table))
    }

    pub(crate) fn optional_text(&mut self, key: u8) -> Result<Option<String>, StoreError> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::Text(text)) => Ok(Some(text)),
            Some(mut other) => {
                wipe(&mut other);
                Err(malformed(self.table))
            }
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
