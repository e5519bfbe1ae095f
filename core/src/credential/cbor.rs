//! The strict CBOR subset SD-CWT needs: a value tree that can hold `simple(59)`, a decoder that
//! refuses what the draft forbids, and a deterministic encoder.
//!
//! `ciborium::Value` cannot represent simple values other than booleans and null, and it accepts
//! indefinite-length items, which the SD-CWT draft requires decoders to reject. This module owns
//! the wire-level rules; it must never accept indefinite lengths, duplicate map keys, trailing
//! bytes, reserved simple values, non-preferred (longer than necessary) heads or floats, or
//! nesting deeper than [`MAX_DEPTH`].
//!
//! Values carry claim text and disclosures, so every byte and text string is wiped when its value
//! is dropped, and encoding allocates its output once at its final size: a growing buffer would
//! leave unwiped copies in the freed heap. Decoding copies each string exactly once.

use zeroize::Zeroize;

/// Deepest nesting accepted: the top-level item is at depth 0 and an item inside an array, map
/// (key or value) or tag is one deeper than its container; an item deeper than this is refused.
/// Real credentials use fewer than 8 levels.
pub const MAX_DEPTH: usize = 16;

/// One CBOR data item.
#[derive(Clone, Debug, PartialEq)]
pub enum Cbor {
    /// Major type 0 or 1, as a signed value wide enough for both (−2^64 … 2^64−1).
    Int(i128),
    /// Major type 2.
    Bytes(Vec<u8>),
    /// Major type 3.
    Text(String),
    /// Major type 4.
    Array(Vec<Cbor>),
    /// Major type 5, in wire order.
    Map(Vec<(Cbor, Cbor)>),
    /// Major type 6.
    Tag(u64, Box<Cbor>),
    /// `false` / `true`.
    Bool(bool),
    /// `null`.
    Null,
    /// Any other simple value (0–19, 32–255), e.g. SD-CWT's `simple(59)`.
    Simple(u8),
    /// Major type 7 floating point (half, single or double on the wire).
    Float(f64),
}

impl Drop for Cbor {
    fn drop(&mut self) {
        // Children are dropped (and so wiped) by their containers after this runs.
        match self {
            Cbor::Bytes(bytes) => bytes.zeroize(),
            Cbor::Text(text) => text.zeroize(),
            _ => {}
        }
    }
}

/// Why bytes are not acceptable CBOR for this profile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CborError {
    /// Input ended inside an item.
    #[error("the data is cut short")]
    Truncated,
    /// Bytes remain after the single top-level item.
    #[error("unexpected bytes after the end of the data")]
    TrailingBytes,
    /// Indefinite-length encoding, forbidden by the SD-CWT draft.
    #[error("indefinite-length CBOR is not allowed")]
    IndefiniteLength,
    /// Reserved additional-information values 28–30, or a reserved simple value.
    #[error("reserved CBOR encoding")]
    Reserved,
    /// A text string that is not UTF-8.
    #[error("text is not valid UTF-8")]
    InvalidUtf8,
    /// The same key twice in one map.
    #[error("a map contains the same key twice")]
    DuplicateKey,
    /// Nesting beyond [`MAX_DEPTH`].
    #[error("the data is nested too deeply")]
    TooDeep,
    /// A head or float written longer than its shortest form (RFC 8949 §4.1 preferred
    /// serialization). Refused so that one value has one encoding: digests of disclosures and
    /// anything compared as bytes cannot differ for the same value.
    #[error("CBOR not in its shortest (preferred) form")]
    NonPreferred,
}

impl Cbor {
    /// A non-negative or negative integer.
    pub fn int(v: i64) -> Self {
        Cbor::Int(i128::from(v))
    }

    /// The integer, if this is one that fits `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Cbor::Int(v) => i64::try_from(*v).ok(),
            _ => None,
        }
    }

    /// The text, if this is a text string.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Cbor::Text(t) => Some(t),
            _ => None,
        }
    }

    /// The bytes, if this is a byte string.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Cbor::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// The entries, if this is a map.
    pub fn as_map(&self) -> Option<&[(Cbor, Cbor)]> {
        match self {
            Cbor::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The items, if this is an array.
    pub fn as_array(&self) -> Option<&[Cbor]> {
        match self {
            Cbor::Array(a) => Some(a),
            _ => None,
        }
    }

    /// Look a key up in a map value.
    pub fn get(&self, key: &Cbor) -> Option<&Cbor> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// Look an integer key up in a map value.
    pub fn get_int(&self, key: i64) -> Option<&Cbor> {
        self.get(&Cbor::int(key))
    }

    /// Encode with preferred (shortest) argument encoding and definite lengths, keeping map
    /// entries in the order given so the caller decides the canonical order.
    /// The output is allocated once at its exact length, so no reallocation leaves a partial
    /// copy behind; a caller holding claim bytes wipes the result when done.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode_into(&mut out);
        debug_assert_eq!(out.len(), out.capacity());
        out
    }

    /// The length of [`Self::to_vec`]'s output.
    pub fn encoded_len(&self) -> usize {
        match self {
            Cbor::Int(v) if *v >= 0 => head_len(*v as u64),
            Cbor::Int(v) => head_len((-1 - *v) as u64),
            Cbor::Bytes(b) => head_len(b.len() as u64) + b.len(),
            Cbor::Text(t) => head_len(t.len() as u64) + t.len(),
            Cbor::Array(a) => {
                head_len(a.len() as u64) + a.iter().map(Cbor::encoded_len).sum::<usize>()
            }
            Cbor::Map(m) => {
                head_len(m.len() as u64)
                    + m.iter()
                        .map(|(k, v)| k.encoded_len() + v.encoded_len())
                        .sum::<usize>()
            }
            Cbor::Tag(t, v) => head_len(*t) + v.encoded_len(),
            Cbor::Bool(_) | Cbor::Null => 1,
            Cbor::Simple(s) if *s < 24 => 1,
            Cbor::Simple(_) => 2,
            // The shortest of half, single and double that holds the value exactly.
            Cbor::Float(f) if fits_half(*f) => 3,
            Cbor::Float(f) if f64::from(*f as f32) == *f => 5,
            Cbor::Float(_) => 9,
        }
    }

    fn encode_into(&self, out: &mut Vec<u8>) {
        match self {
            Cbor::Int(v) if *v >= 0 => head(out, 0, *v as u64),
            // -1 - n encoding; the range is guaranteed by the decoder and by `int()`.
            Cbor::Int(v) => head(out, 1, (-1 - *v) as u64),
            Cbor::Bytes(b) => {
                head(out, 2, b.len() as u64);
                out.extend_from_slice(b);
            }
            Cbor::Text(t) => {
                head(out, 3, t.len() as u64);
                out.extend_from_slice(t.as_bytes());
            }
            Cbor::Array(a) => {
                head(out, 4, a.len() as u64);
                a.iter().for_each(|v| v.encode_into(out));
            }
            Cbor::Map(m) => {
                head(out, 5, m.len() as u64);
                for (k, v) in m {
                    k.encode_into(out);
                    v.encode_into(out);
                }
            }
            Cbor::Tag(t, v) => {
                head(out, 6, *t);
                v.encode_into(out);
            }
            Cbor::Bool(false) => out.push(0xf4),
            Cbor::Bool(true) => out.push(0xf5),
            Cbor::Null => out.push(0xf6),
            Cbor::Simple(s) if *s < 24 => out.push(0xe0 | s),
            Cbor::Simple(s) => out.extend_from_slice(&[0xf8, *s]),
            // Preferred serialization: the shortest width that keeps the value.
            Cbor::Float(f) if fits_half(*f) => {
                out.push(0xf9);
                out.extend_from_slice(&f64_to_half(*f).to_be_bytes());
            }
            Cbor::Float(f) if f64::from(*f as f32) == *f => {
                out.push(0xfa);
                out.extend_from_slice(&(*f as f32).to_bits().to_be_bytes());
            }
            Cbor::Float(f) => {
                out.push(0xfb);
                out.extend_from_slice(&f.to_bits().to_be_bytes());
            }
        }
    }
}

fn head_len(arg: u64) -> usize {
    match arg {
        0..=23 => 1,
        24..=0xff => 2,
        0x100..=0xffff => 3,
        0x1_0000..=0xffff_ffff => 5,
        _ => 9,
    }
}

/// The head of a byte string of `len` bytes, for hashing a `bstr` without copying its content.
pub(crate) fn bytes_head(len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(9);
    head(&mut out, 2, len as u64);
    out
}

fn head(out: &mut Vec<u8>, major: u8, arg: u64) {
    let m = major << 5;
    if arg < 24 {
        out.push(m | arg as u8);
    } else if arg <= 0xff {
        out.extend_from_slice(&[m | 24, arg as u8]);
    } else if arg <= 0xffff {
        out.push(m | 25);
        out.extend_from_slice(&(arg as u16).to_be_bytes());
    } else if arg <= 0xffff_ffff {
        out.push(m | 26);
        out.extend_from_slice(&(arg as u32).to_be_bytes());
    } else {
        out.push(m | 27);
        out.extend_from_slice(&arg.to_be_bytes());
    }
}

/// Decode exactly one data item that fills `bytes`.
pub fn decode(bytes: &[u8]) -> Result<Cbor, CborError> {
    let mut r = Reader { bytes, pos: 0 };
    let v = r.item(0)?;
    if r.pos != bytes.len() {
        return Err(CborError::TrailingBytes);
    }
    Ok(v)
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], CborError> {
        let end = self.pos.checked_add(n).ok_or(CborError::Truncated)?;
        let s = self.bytes.get(self.pos..end).ok_or(CborError::Truncated)?;
        self.pos = end;
        Ok(s)
    }

    fn byte(&mut self) -> Result<u8, CborError> {
        Ok(self.take(1)?[0])
    }

    fn argument(&mut self, info: u8) -> Result<u64, CborError> {
        let (value, shorter_fits) = match info {
            0..=23 => (u64::from(info), false),
            24 => {
                let v = u64::from(self.byte()?);
                (v, v < 24)
            }
            25 => {
                let v = u64::from(u16::from_be_bytes(self.fixed()?));
                (v, v <= 0xff)
            }
            26 => {
                let v = u64::from(u32::from_be_bytes(self.fixed()?));
                (v, v <= 0xffff)
            }
            27 => {
                let v = u64::from_be_bytes(self.fixed()?);
                (v, v <= 0xffff_ffff)
            }
            28..=30 => return Err(CborError::Reserved),
            _ => return Err(CborError::IndefiniteLength),
        };
        if shorter_fits {
            return Err(CborError::NonPreferred);
        }
        Ok(value)
    }

    fn fixed<const N: usize>(&mut self) -> Result<[u8; N], CborError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    /// A length that cannot exceed what is left, so hostile lengths never drive allocation.
    fn length(&mut self, info: u8, min_item_size: usize) -> Result<usize, CborError> {
        let n = self.argument(info)?;
        let left = (self.bytes.len() - self.pos) as u64;
        if n.saturating_mul(min_item_size as u64) > left {
            return Err(CborError::Truncated);
        }
        Ok(n as usize)
    }

    fn item(&mut self, depth: usize) -> Result<Cbor, CborError> {
        if depth > MAX_DEPTH {
            return Err(CborError::TooDeep);
        }
        let initial = self.byte()?;
        let (major, info) = (initial >> 5, initial & 0x1f);
        Ok(match major {
            0 => Cbor::Int(i128::from(self.argument(info)?)),
            1 => Cbor::Int(-1 - i128::from(self.argument(info)?)),
            2 => {
                let n = self.length(info, 1)?;
                Cbor::Bytes(self.take(n)?.to_vec())
            }
            3 => {
                let n = self.length(info, 1)?;
                let s = std::str::from_utf8(self.take(n)?).map_err(|_| CborError::InvalidUtf8)?;
                Cbor::Text(s.to_owned())
            }
            4 => {
                let n = self.length(info, 1)?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.item(depth + 1)?);
                }
                Cbor::Array(items)
            }
            5 => {
                let n = self.length(info, 2)?;
                let mut entries: Vec<(Cbor, Cbor)> = Vec::with_capacity(n);
                for _ in 0..n {
                    let k = self.item(depth + 1)?;
                    if entries.iter().any(|(seen, _)| *seen == k) {
                        return Err(CborError::DuplicateKey);
                    }
                    let v = self.item(depth + 1)?;
                    entries.push((k, v));
                }
                Cbor::Map(entries)
            }
            6 => {
                let tag = self.argument(info)?;
                Cbor::Tag(tag, Box::new(self.item(depth + 1)?))
            }
            _ => match info {
                20 => Cbor::Bool(false),
                21 => Cbor::Bool(true),
                22 => Cbor::Null,
                0..=19 | 23 => Cbor::Simple(info),
                24 => match self.byte()? {
                    // Two-byte forms of values below 32 are not well-formed (RFC 8949 §3.3).
                    s if s < 32 => return Err(CborError::Reserved),
                    s => Cbor::Simple(s),
                },
                25 => Cbor::Float(half_to_f64(u16::from_be_bytes(self.fixed()?))),
                26 => {
                    let f = f64::from(f32::from_be_bytes(self.fixed()?));
                    if fits_half(f) {
                        return Err(CborError::NonPreferred);
                    }
                    Cbor::Float(f)
                }
                27 => {
                    let f = f64::from_be_bytes(self.fixed()?);
                    if f.is_nan() || f64::from(f as f32) == f {
                        return Err(CborError::NonPreferred);
                    }
                    Cbor::Float(f)
                }
                28..=30 => return Err(CborError::Reserved),
                _ => return Err(CborError::IndefiniteLength),
            },
        })
    }
}

/// Whether `f` survives a round trip through IEEE half precision (NaN counts: its preferred
/// form is the half `0x7e00`).
fn fits_half(f: f64) -> bool {
    if f.is_nan() || f.is_infinite() || f == 0.0 {
        return true;
    }
    let a = f.abs();
    if !(2f64.powi(-24)..=65_504.0).contains(&a) {
        return false;
    }
    // `a` is a normal f64 here, so its exponent is in the bits.
    let exp = ((a.to_bits() >> 52) & 0x7ff) as i32 - 1023;
    // Half precision keeps 10 fraction bits; below 2^-14 the step is fixed at 2^-24.
    let step = if exp < -14 {
        2f64.powi(-24)
    } else {
        2f64.powi(exp - 10)
    };
    (a / step).fract() == 0.0
}

/// The half-precision bits of `f`, which [`fits_half`] has accepted.
fn f64_to_half(f: f64) -> u16 {
    let sign: u16 = if f.is_sign_negative() { 0x8000 } else { 0 };
    if f.is_nan() {
        return 0x7e00;
    }
    if f.is_infinite() {
        return sign | 0x7c00;
    }
    let a = f.abs();
    if a == 0.0 {
        return sign;
    }
    let exp = ((a.to_bits() >> 52) & 0x7ff) as i32 - 1023;
    if exp < -14 {
        return sign | (a / 2f64.powi(-24)) as u16;
    }
    let fraction = (a / 2f64.powi(exp - 10)) as u16 - 1024;
    sign | (((exp + 15) as u16) << 10) | fraction
}

fn half_to_f64(h: u16) -> f64 {
    let exp = (h >> 10) & 0x1f;
    let mant = f64::from(h & 0x3ff);
    let v = match exp {
        0 => mant * 2f64.powi(-24),
        31 if mant == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        e => (mant + 1024.0) * 2f64.powi(i32::from(e) - 25),
    };
    if h & 0x8000 != 0 { -v } else { v }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_simple_59_and_tags() {
        let v = Cbor::Map(vec![
            (Cbor::Simple(59), Cbor::Array(vec![Cbor::Bytes(vec![1, 2])])),
            (
                Cbor::int(-65537),
                Cbor::Tag(100, Box::new(Cbor::int(-7306))),
            ),
            (Cbor::int(1), Cbor::Text("x".into())),
        ]);
        let bytes = v.to_vec();
        assert_eq!(&bytes[..3], &[0xa3, 0xf8, 0x3b]);
        assert_eq!(decode(&bytes).unwrap(), v);
    }

    #[test]
    fn rejects_what_the_draft_forbids() {
        assert_eq!(
            decode(&[0x9f, 0x01, 0xff]),
            Err(CborError::IndefiniteLength)
        );
        assert_eq!(
            decode(&[0x5f, 0x41, 0x00, 0xff]),
            Err(CborError::IndefiniteLength)
        );
        assert_eq!(
            decode(&[0xa2, 0x01, 0x01, 0x01, 0x02]),
            Err(CborError::DuplicateKey)
        );
        assert_eq!(decode(&[0x01, 0x01]), Err(CborError::TrailingBytes));
        assert_eq!(
            decode(&[0x5a, 0xff, 0xff, 0xff, 0xff]),
            Err(CborError::Truncated)
        );
        assert_eq!(decode(&[0xf8, 0x14]), Err(CborError::Reserved));
        assert_eq!(decode(&[0x1c]), Err(CborError::Reserved));
        assert_eq!(decode(&[0x62, 0xff, 0xfe]), Err(CborError::InvalidUtf8));
        let deep: Vec<u8> = std::iter::repeat_n(0x81, 40).chain([0x00]).collect();
        assert_eq!(decode(&deep), Err(CborError::TooDeep));
    }

    #[test]
    fn non_preferred_heads_and_floats_are_refused() {
        // 1 as a one-byte argument; 0x1d-byte string with a two-byte length; 255 in 2 bytes;
        // 65535 in 4; 2^32-1 in 8; a tag 18 in long form; a text length in long form.
        for bad in [
            &[0x18, 0x01][..],
            &[0x59, 0x00, 0x01, 0x00],
            &[0x19, 0x00, 0xff],
            &[0x1a, 0x00, 0x00, 0xff, 0xff],
            &[0x1b, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff],
            &[0xd8, 0x12, 0x00],
            &[0x78, 0x01, 0x61],
            &[0x38, 0x00],
            // 1.0 as a single and as a double; NaN as a double.
            &[0xfa, 0x3f, 0x80, 0x00, 0x00],
            &[0xfb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0],
            &[0xfb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0],
        ] {
            assert_eq!(decode(bad), Err(CborError::NonPreferred), "{bad:02x?}");
        }
        // The shortest forms of the same values, and floats that need their width, decode.
        for good in [
            &[0x01][..],
            &[0x18, 0x18],
            &[0x19, 0x01, 0x00],
            &[0xf9, 0x3c, 0x00],
            &[0xfa, 0x3f, 0x80, 0x00, 0x01],
            &[0xfb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 1],
            &[0xfa, 0x47, 0x80, 0x00, 0x00], // 65536.0 is beyond half range
        ] {
            assert!(decode(good).is_ok(), "{good:02x?}");
        }
        for v in [0.5, 1.5, 65_504.0, 2f64.powi(-24), 1e10, 0.1, -3.25] {
            assert_eq!(decode(&Cbor::Float(v).to_vec()).unwrap(), Cbor::Float(v));
        }
    }

    #[test]
    fn nesting_depth_counts_from_zero_and_stops_at_sixteen() {
        // 16 arrays around a leaf: the leaf is at depth 16, accepted; one more is refused.
        let ok: Vec<u8> = std::iter::repeat_n(0x81, MAX_DEPTH).chain([0x00]).collect();
        assert!(decode(&ok).is_ok());
        let deep: Vec<u8> = std::iter::repeat_n(0x81, MAX_DEPTH + 1)
            .chain([0x00])
            .collect();
        assert_eq!(decode(&deep), Err(CborError::TooDeep));
        // Map values and tags count the same way.
        let tags: Vec<u8> = std::iter::repeat_n([0xa1, 0x01], MAX_DEPTH / 2)
            .flatten()
            .chain(std::iter::repeat_n(0xc1, MAX_DEPTH / 2 + 1))
            .chain([0x00])
            .collect();
        assert_eq!(decode(&tags), Err(CborError::TooDeep));
    }

    #[test]
    fn extreme_integers_survive() {
        for v in [
            u64::MAX as i128,
            -1 - u64::MAX as i128,
            0,
            -1,
            23,
            24,
            -24,
            -25,
        ] {
            assert_eq!(decode(&Cbor::Int(v).to_vec()).unwrap(), Cbor::Int(v));
        }
    }
}
