//! Base45 (RFC 9285): the text encoding that puts presentation bytes into a QR code's
//! alphanumeric mode.
//!
//! This module owns only the byte ⇄ text mapping. It must never accept a character outside the
//! 45-character alphabet or a triple whose value exceeds 65535: such input is rejected with a
//! typed error, never silently repaired.

const ALPHABET: &[u8; 45] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/// Why a text is not valid Base45.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Base45Error {
    /// A character outside the Base45 alphabet (for example a lower-case letter).
    #[error("the code contains a character that Base45 does not use, at position {position}")]
    InvalidCharacter {
        /// Zero-based character position.
        position: usize,
    },
    /// The text length leaves one dangling character (valid lengths are 0 or 2 modulo 3).
    #[error("the code is cut short: its length cannot be Base45")]
    InvalidLength,
    /// A group of characters encodes a number too large for its byte count.
    #[error("the code contains an out-of-range Base45 group at position {position}")]
    ValueOutOfRange {
        /// Zero-based position of the group's first character.
        position: usize,
    },
}

/// Encode `bytes` as Base45 text.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(2) * 3);
    let mut push = |v: usize| out.push(char::from(ALPHABET[v % 45]));
    for pair in bytes.chunks(2) {
        match *pair {
            [a, b] => {
                let n = usize::from(a) * 256 + usize::from(b);
                push(n);
                push(n / 45);
                push(n / (45 * 45));
            }
            [a] => {
                let n = usize::from(a);
                push(n);
                push(n / 45);
            }
            _ => {}
        }
    }
    out
}

/// Decode Base45 `text` into bytes.
pub fn decode(text: &str) -> Result<Vec<u8>, Base45Error> {
    let digits = text
        .bytes()
        .enumerate()
        .map(|(position, c)| {
            ALPHABET
                .iter()
                .position(|&a| a == c)
                .map(|v| v as u32)
                .ok_or(Base45Error::InvalidCharacter { position })
        })
        .collect::<Result<Vec<u32>, _>>()?;
    if digits.len() % 3 == 1 {
        return Err(Base45Error::InvalidLength);
    }
    let mut out = Vec::with_capacity(digits.len() / 3 * 2 + 1);
    for (i, group) in digits.chunks(3).enumerate() {
        let position = i * 3;
        match *group {
            [c, d, e] => {
                let n = c + d * 45 + e * 45 * 45;
                let n = u16::try_from(n).map_err(|_| Base45Error::ValueOutOfRange { position })?;
                out.extend_from_slice(&n.to_be_bytes());
            }
            [c, d] => {
                let n = c + d * 45;
                let n = u8::try_from(n).map_err(|_| Base45Error::ValueOutOfRange { position })?;
                out.push(n);
            }
            _ => return Err(Base45Error::InvalidLength),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The examples of RFC 9285 sections 4.3 and 4.4.
    #[test]
    fn rfc9285_vectors() {
        assert_eq!(encode(b"AB"), "BB8");
        assert_eq!(encode(b"Hello!!"), "%69 VD92EX0");
        assert_eq!(encode(b"base-45"), "UJCLQE7W581");
        assert_eq!(decode("QED8WEX0").unwrap(), b"ietf!");
        assert_eq!(decode("").unwrap(), b"");
        assert_eq!(encode(b""), "");
    }

    #[test]
    fn round_trips_every_byte_pair_edge() {
        let data: Vec<u8> = (0..=255u8).chain([255, 255, 0, 0, 255]).collect();
        assert_eq!(decode(&encode(&data)).unwrap(), data);
        assert_eq!(encode(&[0xff, 0xff]), "FGW");
        assert_eq!(encode(&[0xff]), "U5");
    }

    #[test]
    fn rejects_invalid_input() {
        assert_eq!(
            decode("bb8"),
            Err(Base45Error::InvalidCharacter { position: 0 })
        );
        assert_eq!(decode("BB8B"), Err(Base45Error::InvalidLength));
        // 65536 = "GGW" is one past the largest two-byte value.
        assert_eq!(
            decode("GGW"),
            Err(Base45Error::ValueOutOfRange { position: 0 })
        );
        // A two-character tail must stay below 256; ":5" is 269.
        assert_eq!(
            decode("BB8:5"),
            Err(Base45Error::ValueOutOfRange { position: 3 })
        );
    }
}
