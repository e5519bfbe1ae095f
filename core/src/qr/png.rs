//! PNG rendering of a [`QrMatrix`]: a minimal writer for 1-bit greyscale images.
//!
//! A QR picture needs one PNG shape only (black and white, no alpha, no interlacing), so this
//! file writes the three chunks itself, and the zlib stream too: a picture scaled up from modules
//! is its unique rows, each repeated, so one fixed-Huffman deflate block of literal rows and
//! "copy the row above" matches compresses it about as well as a general compressor, in a small
//! fraction of the code a general deflate adds to every wallet app. Its output is checked by two
//! independent PNG decoders in the tests (the `png` crate and Pillow). It never writes files.

use super::QrMatrix;

const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];
/// Bit depth 1, colour type 0 (greyscale): 0 is black, 1 is white.
const BIT_DEPTH: u8 = 1;
const COLOUR_TYPE_GREYSCALE: u8 = 0;
/// PNG filter type 0 (None): the rows of a QR picture repeat, which the matches below use.
const FILTER_NONE: u8 = 0;

pub(super) fn render(matrix: &QrMatrix, pixels_per_module: u32) -> Vec<u8> {
    let scale = pixels_per_module as usize;
    let side = matrix.size_with_quiet_zone();
    let width = side * scale;
    let row_bytes = width.div_ceil(8);

    let mut raw = Vec::with_capacity((row_bytes + 1) * width);
    let mut row = vec![0u8; row_bytes];
    for y in 0..side {
        row.fill(0xff);
        for x in 0..side {
            if matrix.is_dark_in_quiet_frame(x, y) {
                for px in x * scale..(x + 1) * scale {
                    // Pixels are packed most significant bit first.
                    if let Some(byte) = row.get_mut(px / 8) {
                        *byte &= !(0x80 >> (px % 8));
                    }
                }
            }
        }
        for _ in 0..scale {
            raw.push(FILTER_NONE);
            raw.extend_from_slice(&row);
        }
    }
    let line = row_bytes + 1;

    let mut header = Vec::with_capacity(13);
    // The caller bounds `pixels_per_module` and QR symbols are at most 185 modules with the quiet
    // zone, so the width always fits the u32 a PNG header holds.
    let dimension = u32::try_from(width).unwrap_or(u32::MAX);
    header.extend_from_slice(&dimension.to_be_bytes());
    header.extend_from_slice(&dimension.to_be_bytes());
    header.extend_from_slice(&[BIT_DEPTH, COLOUR_TYPE_GREYSCALE, 0, 0, 0]);

    let idat = zlib_rows(&raw, line);
    let mut png = Vec::with_capacity(SIGNATURE.len() + 3 * 12 + header.len() + idat.len());
    png.extend_from_slice(&SIGNATURE);
    push_chunk(&mut png, b"IHDR", &header);
    push_chunk(&mut png, b"IDAT", &idat);
    push_chunk(&mut png, b"IEND", &[]);
    png
}

fn push_chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    let length = u32::try_from(data.len()).unwrap_or(u32::MAX);
    png.extend_from_slice(&length.to_be_bytes());
    png.extend_from_slice(kind);
    png.extend_from_slice(data);
    let crc = crc32(&[kind.as_slice(), data]);
    png.extend_from_slice(&crc.to_be_bytes());
}

/// A zlib stream (RFC 1950) of `raw`, made of lines of `line` bytes: one final deflate block with
/// the fixed Huffman codes (RFC 1951 §3.2.6), each line either as literals or, when it repeats
/// the line above, as matches of up to 258 bytes at distance `line`.
fn zlib_rows(raw: &[u8], line: usize) -> Vec<u8> {
    let mut out = BitWriter::default();
    out.bytes.extend_from_slice(&[0x78, 0x01]);
    out.bits(1, 1); // BFINAL
    out.bits(1, 2); // BTYPE 01: fixed Huffman codes
    let lines = raw.chunks(line);
    let mut previous: Option<&[u8]> = None;
    for current in lines {
        // Distances above 32,768 cannot be coded: such a picture (never one of a QR symbol at a
        // bounded scale) is written as literals.
        if previous == Some(current) && line <= 32_768 {
            let mut left = current.len();
            while left >= 3 {
                let length = left.min(258);
                out.length(length);
                out.distance(line);
                left -= length;
            }
            for &byte in &current[current.len() - left..] {
                out.literal(byte);
            }
        } else {
            for &byte in current {
                out.literal(byte);
            }
        }
        previous = Some(current);
    }
    out.code(0, 7); // end of block (256)
    let mut bytes = out.finish();
    bytes.extend_from_slice(&adler32(raw).to_be_bytes());
    bytes
}

/// Base lengths of length codes 257–285 (RFC 1951 §3.2.5); their extra bits follow from them.
const LENGTH_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LENGTH_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
/// Base distances of distance codes 0–29.
const DISTANCE_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DISTANCE_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];

/// Deflate's bit order: values least significant bit first, Huffman codes most significant first.
#[derive(Default)]
struct BitWriter {
    bytes: Vec<u8>,
    acc: u32,
    filled: u32,
}

impl BitWriter {
    /// `count` bits of `value`, least significant first.
    fn bits(&mut self, value: u32, count: u32) {
        self.acc |= value << self.filled;
        self.filled += count;
        while self.filled >= 8 {
            self.bytes.push(self.acc as u8);
            self.acc >>= 8;
            self.filled -= 8;
        }
    }

    /// A Huffman code of `count` bits, most significant first.
    fn code(&mut self, code: u32, count: u32) {
        self.bits(code.reverse_bits() >> (32 - count), count);
    }

    fn literal(&mut self, byte: u8) {
        match byte {
            0..=143 => self.code(0x30 + u32::from(byte), 8),
            _ => self.code(0x190 + u32::from(byte - 144), 9),
        }
    }

    /// A match length of 3 to 258.
    fn length(&mut self, length: usize) {
        let index = LENGTH_BASE
            .iter()
            .rposition(|&base| usize::from(base) <= length)
            .unwrap_or(0);
        let symbol = 257 + index as u32;
        match symbol {
            257..=279 => self.code(symbol - 256, 7),
            _ => self.code(0xc0 + symbol - 280, 8),
        }
        let extra = u32::from(LENGTH_EXTRA[index]);
        self.bits((length - usize::from(LENGTH_BASE[index])) as u32, extra);
    }

    /// A match distance of 1 to 32,768.
    fn distance(&mut self, distance: usize) {
        let index = DISTANCE_BASE
            .iter()
            .rposition(|&base| usize::from(base) <= distance)
            .unwrap_or(0);
        self.code(index as u32, 5);
        let extra = u32::from(DISTANCE_EXTRA[index]);
        self.bits((distance - usize::from(DISTANCE_BASE[index])) as u32, extra);
    }

    fn finish(mut self) -> Vec<u8> {
        if self.filled > 0 {
            self.bytes.push(self.acc as u8);
        }
        self.bytes
    }
}

/// Adler-32 (RFC 1950 §8), the zlib stream's check value.
fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    // 5,552 bytes is the most that can be summed before `b` could overflow.
    for chunk in data.chunks(5552) {
        for &byte in chunk {
            a += u32::from(byte);
            b += a;
        }
        a %= 65_521;
        b %= 65_521;
    }
    (b << 16) | a
}

/// CRC-32 (ISO 3309, reflected polynomial 0xEDB88320), as PNG chunks carry it.
fn crc32(parts: &[&[u8]]) -> u32 {
    let mut crc = !0u32;
    for part in parts {
        for &byte in *part {
            let index = usize::from((crc as u8) ^ byte);
            crc = CRC_TABLE[index] ^ (crc >> 8);
        }
    }
    !crc
}

const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut n = 0;
    while n < 256 {
        let mut c = n as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xedb8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[n] = c;
        n += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::{adler32, crc32, zlib_rows};

    #[test]
    fn adler32_matches_the_standard_check_values() {
        assert_eq!(adler32(b""), 1);
        assert_eq!(adler32(b"Wikipedia"), 0x11e6_0398);
        // Past one 5,552-byte chunk, the modulus must have been applied in between.
        let long = vec![0xffu8; 100_000];
        let (mut a, mut b) = (1u64, 0u64);
        for &byte in &long {
            a = (a + u64::from(byte)) % 65_521;
            b = (b + a) % 65_521;
        }
        assert_eq!(adler32(&long), ((b << 16) | a) as u32);
    }

    #[test]
    fn the_row_coder_round_trips_through_a_general_inflater() {
        // Seeded pseudo-random pictures: unique and repeated lines, lines of every length a
        // match split can leave (0, 1, 2 bytes after the 258-byte matches), all byte values.
        let seed = 0x006e_6574_6964_u64;
        let mut state = seed;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for case in 0..200 {
            let line = 1 + (next() % 800) as usize;
            let lines = 1 + (next() % 40) as usize;
            let mut raw = Vec::new();
            for _ in 0..lines {
                if raw.len() >= line && next() % 3 != 0 {
                    let start = raw.len() - line;
                    raw.extend_from_within(start..);
                } else {
                    raw.extend((0..line).map(|_| next() as u8));
                }
            }
            let stream = zlib_rows(&raw, line);
            let back = miniz_oxide::inflate::decompress_to_vec_zlib(&stream)
                .unwrap_or_else(|e| panic!("seed {seed:#x} case {case}: {e:?}"));
            assert_eq!(
                back, raw,
                "seed {seed:#x} case {case} (line {line}, {lines} lines)"
            );
        }
    }

    #[test]
    fn crc32_matches_the_standard_check_value() {
        // The CRC-32 catalogue's check value for "123456789".
        assert_eq!(crc32(&[b"123456789"]), 0xcbf4_3926);
        assert_eq!(crc32(&[b"1234", b"56789"]), 0xcbf4_3926);
        // IEND's CRC, as every PNG file ends with it.
        assert_eq!(crc32(&[b"IEND"]), 0xae42_6082);
    }
}
