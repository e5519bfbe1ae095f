//! Named settings and counters (failed-attempt counts, lockout state, preferences).
//!
//! A setting's row id is a keyed hash of its name, so the name is not visible on disk and two rows
//! can never claim one name; the name is also sealed inside the payload and checked on read. A
//! value is either a counter or opaque bytes, never silently reinterpreted as the other.

use zeroize::Zeroizing;

use super::StoreError;
use super::payload::{Decoder, Encoder};
use super::record::Table;

/// A setting name: 1 to 64 of `a-z`, `0-9`, `.`, `_` and `-`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SettingName(String);

impl SettingName {
    /// Validates a setting name.
    pub fn new(name: &str) -> Result<Self, StoreError> {
        let valid = (1..=64).contains(&name.len())
            && name.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
            });
        if valid {
            Ok(Self(name.to_owned()))
        } else {
            Err(StoreError::InvalidInput {
                what: "setting name",
                why: "use 1 to 64 characters from a-z, 0-9, '.', '_' and '-'",
            })
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A stored setting value.
pub(crate) enum SettingValue {
    Counter(u64),
    Bytes(Zeroizing<Vec<u8>>),
}

impl SettingValue {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Self::Counter(_) => "a counter",
            Self::Bytes(_) => "a byte value",
        }
    }
}

const NAME: u8 = 0;
const COUNTER: u8 = 1;
const BYTES: u8 = 2;

pub(crate) fn encode(
    name: &SettingName,
    value: &SettingValue,
) -> Result<Zeroizing<Vec<u8>>, StoreError> {
    let e = Encoder::new().text(NAME, name.as_str());
    match value {
        SettingValue::Counter(n) => e.uint(COUNTER, *n),
        SettingValue::Bytes(b) => e.bytes(BYTES, b),
    }
    .finish()
}

pub(crate) fn decode(name: &SettingName, payload: &[u8]) -> Result<SettingValue, StoreError> {
    let mut d = Decoder::new(Table::Settings.name(), payload)?;
    if d.text(NAME)? != name.as_str() {
        return Err(StoreError::RecordTampered {
            table: Table::Settings.name(),
            detail: "a setting row holds another setting's value",
        });
    }
    if let Some(n) = d.optional_uint(COUNTER)? {
        return Ok(SettingValue::Counter(n));
    }
    Ok(SettingValue::Bytes(d.bytes(BYTES)?))
}
