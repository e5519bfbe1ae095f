//! PNG rendering of a [`QrMatrix`]: a minimal writer for 1-bit greyscale images.
//!
//! A QR picture needs one PNG shape only (black and white, no alpha, no interlacing), so this
//! file writes the three chunks itself with `miniz_oxide` for the zlib stream, instead of pulling
//! an image library into a core that ships inside mobile apps. Its output is checked by two
//! independent PNG decoders in the tests (the `png` crate and Pillow). It never writes files.

use super::QrMatrix;

const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];
/// Bit depth 1, colour type 0 (greyscale): 0 is black, 1 is white.
const BIT_DEPTH: u8 = 1;
const COLOUR_TYPE_GREYSCALE: u8 = 0;
/// PNG filter type 0 (None): the rows of a QR picture repeat, so zlib finds them anyway.
const FILTER_NONE: u8 = 0;
/// Fast zlib: repeated rows and runs compress well even at level 1, and the picture is made
/// anew every refresh.
const ZLIB_LEVEL: u8 = 1;

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

    let mut header = Vec::with_capacity(13);
    // The caller bounds `pixels_per_module` and QR symbols are at most 185 modules with the quiet
    // zone, so the width always fits the u32 a PNG header holds.
    let dimension = u32::try_from(width).unwrap_or(u32::MAX);
    header.extend_from_slice(&dimension.to_be_bytes());
    header.extend_from_slice(&dimension.to_be_bytes());
    header.extend_from_slice(&[BIT_DEPTH, COLOUR_TYPE_GREYSCALE, 0, 0, 0]);

    let idat = miniz_oxide::deflate::compress_to_vec_zlib(&raw, ZLIB_LEVEL);
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
    use super::crc32;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        // The CRC-32 catalogue's check value for "123456789".
        assert_eq!(crc32(&[b"123456789"]), 0xcbf4_3926);
        assert_eq!(crc32(&[b"1234", b"56789"]), 0xcbf4_3926);
        // IEND's CRC, as every PNG file ends with it.
        assert_eq!(crc32(&[b"IEND"]), 0xae42_6082);
    }
}
