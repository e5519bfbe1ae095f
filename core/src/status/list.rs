//! The status list itself: entries of 1, 2, 4 or 8 bits packed into bytes, and its compressed
//! form.
//!
//! Owns the bit layout (entry 0 in the least significant bits of byte 0) and the bounded
//! decompression that keeps a hostile list from exhausting memory. It knows nothing of
//! signatures: a `StatusList` decoded here is trusted only once `token` has checked its token.

use super::StatusError;

/// Largest decompressed status list accepted or built: 16 MiB, that is 134 million entries at
/// one bit each. A zlib stream that inflates past this is refused rather than expanded.
pub const MAX_STATUS_LIST_BYTES: usize = 16 * 1024 * 1024;

/// zlib level for issued lists: lists are built rarely and fetched by every counter.
const COMPRESSION_LEVEL: u8 = 9;

/// Bits per entry; more bits allow more status values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusBits {
    /// Valid or revoked only.
    One,
    /// Adds suspended and one application-specific value.
    Two,
    /// Sixteen values.
    Four,
    /// 256 values.
    Eight,
}

impl StatusBits {
    /// The number of bits, as the `bits` field carries it.
    pub fn count(self) -> u8 {
        match self {
            Self::One => 1,
            Self::Two => 2,
            Self::Four => 4,
            Self::Eight => 8,
        }
    }

    /// Reads the `bits` field.
    pub fn from_count(count: u64) -> Result<Self, StatusError> {
        match count {
            1 => Ok(Self::One),
            2 => Ok(Self::Two),
            4 => Ok(Self::Four),
            8 => Ok(Self::Eight),
            other => Err(StatusError::UnsupportedBits(other)),
        }
    }

    fn entries_per_byte(self) -> usize {
        8 / usize::from(self.count())
    }

    fn mask(self) -> u8 {
        ((1u16 << self.count()) - 1) as u8
    }
}

/// The status of one credential as the list states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenStatus {
    /// 0x00 VALID.
    Valid,
    /// 0x01 INVALID: revoked for good.
    Revoked,
    /// 0x02 SUSPENDED: temporarily not valid.
    Suspended,
    /// Any other value: application-specific or reserved; a verifier should not treat it as valid.
    Other(u8),
}

impl TokenStatus {
    /// The value as stored in the list.
    pub fn value(self) -> u8 {
        match self {
            Self::Valid => 0,
            Self::Revoked => 1,
            Self::Suspended => 2,
            Self::Other(value) => value,
        }
    }

    /// Reads a stored value.
    pub fn from_value(value: u8) -> Self {
        match value {
            0 => Self::Valid,
            1 => Self::Revoked,
            2 => Self::Suspended,
            other => Self::Other(other),
        }
    }
}

/// A decoded status list: a fixed number of entries of `bits` bits each.
#[derive(Clone, PartialEq, Eq)]
pub struct StatusList {
    bits: StatusBits,
    bytes: Vec<u8>,
}

impl std::fmt::Debug for StatusList {
    // A list can be megabytes; its length says what a log needs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusList")
            .field("bits", &self.bits.count())
            .field("entries", &self.len())
            .finish()
    }
}

impl StatusList {
    /// A list of at least `entries` entries, all valid. The length is rounded up to whole bytes,
    /// as the wire format carries bytes.
    pub fn new(entries: u64, bits: StatusBits) -> Result<Self, StatusError> {
        if entries == 0 {
            return Err(StatusError::EmptyList);
        }
        let per_byte = bits.entries_per_byte() as u64;
        let byte_count = entries.div_ceil(per_byte);
        let too_large = StatusError::ListTooLarge {
            bytes: byte_count,
            max: MAX_STATUS_LIST_BYTES,
        };
        let byte_count = usize::try_from(byte_count).map_err(|_| too_large.clone())?;
        if byte_count > MAX_STATUS_LIST_BYTES {
            return Err(too_large);
        }
        Ok(Self {
            bits,
            bytes: vec![0; byte_count],
        })
    }

    /// Bits per entry.
    pub fn bits(&self) -> StatusBits {
        self.bits
    }

    /// Number of entries.
    pub fn len(&self) -> u64 {
        self.bytes.len() as u64 * self.bits.entries_per_byte() as u64
    }

    /// Always false: a list holds at least one byte of entries.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The status of entry `idx`.
    pub fn get(&self, idx: u64) -> Result<TokenStatus, StatusError> {
        let (byte, shift) = self.position(idx)?;
        let value = (self.bytes.get(byte).copied().unwrap_or(0) >> shift) & self.bits.mask();
        Ok(TokenStatus::from_value(value))
    }

    /// Sets the status of entry `idx`.
    pub fn set(&mut self, idx: u64, status: TokenStatus) -> Result<(), StatusError> {
        let (byte, shift) = self.position(idx)?;
        let value = status.value();
        if value > self.bits.mask() {
            return Err(StatusError::StatusDoesNotFit {
                value,
                bits: self.bits.count(),
            });
        }
        let mask = self.bits.mask() << shift;
        let len = self.len();
        let slot = self
            .bytes
            .get_mut(byte)
            .ok_or(StatusError::IndexOutOfRange { idx, len })?;
        *slot = (*slot & !mask) | (value << shift);
        Ok(())
    }

    /// Byte index and bit shift of entry `idx`; entry 0 is the least significant bits of byte 0.
    fn position(&self, idx: u64) -> Result<(usize, u32), StatusError> {
        let len = self.len();
        if idx >= len {
            return Err(StatusError::IndexOutOfRange { idx, len });
        }
        let per_byte = self.bits.entries_per_byte() as u64;
        let byte = usize::try_from(idx / per_byte)
            .map_err(|_| StatusError::IndexOutOfRange { idx, len })?;
        let shift = (idx % per_byte) as u32 * u32::from(self.bits.count());
        Ok((byte, shift))
    }

    /// The `lst` field: the packed bytes, zlib-compressed (RFC 1950).
    pub fn compress(&self) -> Vec<u8> {
        miniz_oxide::deflate::compress_to_vec_zlib(&self.bytes, COMPRESSION_LEVEL)
    }

    /// Reads an `lst` field, refusing streams that inflate past [`MAX_STATUS_LIST_BYTES`].
    pub fn decompress(bits: StatusBits, compressed: &[u8]) -> Result<Self, StatusError> {
        use miniz_oxide::inflate::{TINFLStatus, decompress_to_vec_zlib_with_limit};
        let bytes =
            decompress_to_vec_zlib_with_limit(compressed, MAX_STATUS_LIST_BYTES).map_err(|e| {
                match e.status {
                    TINFLStatus::HasMoreOutput => StatusError::DecompressedTooLarge {
                        max: MAX_STATUS_LIST_BYTES,
                    },
                    _ => StatusError::Decompression,
                }
            })?;
        if bytes.is_empty() {
            return Err(StatusError::EmptyList);
        }
        Ok(Self { bits, bytes })
    }
}
