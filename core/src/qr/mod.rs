//! QR symbols for the text a counter scans: encoding and the module matrix.
//!
//! This module owns the step from an already-built QR *text* (the presentation module produces it:
//! a prefix plus base45) to a QR symbol, and the renderings a host needs to show it: the module
//! matrix for native drawing, SVG, PNG and a terminal picture. It encodes in alphanumeric mode only,
//! because that is what keeps the hotel disclosure within version 20 at level M; text outside the
//! alphanumeric character set is refused with an error rather than silently encoded in byte mode,
//! which would make the symbol larger than the budget assumes. It never sees credentials, keys or
//! personal data in any other form, and it never writes files: renderings are returned as values.

mod mask;
mod png;
mod svg;
mod terminal;

use qrcode::bits::Bits;
use qrcode::canvas::Canvas;
use qrcode::{EcLevel, Version};

pub use terminal::TerminalColors;

/// Width of the light border every rendering draws around the symbol, in modules. ISO/IEC 18004
/// asks for four; scanners at counters find the finder patterns less reliably with less.
pub const QUIET_ZONE_MODULES: usize = 4;

/// Largest pixel size of one module a raster rendering accepts; beyond this a v40 symbol would
/// already be a 10,000-pixel image, which no screen needs.
pub const MAX_PIXELS_PER_MODULE: u32 = 64;

/// Error-correction level: how much of the symbol may be damaged or obscured and still be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ErrorCorrection {
    /// About 7 % of codewords recoverable.
    Low,
    /// About 15 % recoverable; the netid default for counter scanning (DESIGN.md §3).
    #[default]
    Medium,
    /// About 25 % recoverable.
    Quartile,
    /// About 30 % recoverable.
    High,
}

impl ErrorCorrection {
    fn to_qrcode(self) -> EcLevel {
        match self {
            Self::Low => EcLevel::L,
            Self::Medium => EcLevel::M,
            Self::Quartile => EcLevel::Q,
            Self::High => EcLevel::H,
        }
    }
}

/// Why a QR text could not be turned into a symbol or rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QrError {
    /// There was nothing to encode.
    #[error("the QR text is empty; build the presentation text before rendering it")]
    EmptyText,
    /// A character outside 0-9 A-Z space $ % * + - . / : would force byte mode.
    #[error(
        "the QR text has a character at byte {position} outside the QR alphanumeric set \
         (0-9, A-Z, space, $ % * + - . / :); encode the payload as base45 first"
    )]
    NotAlphanumeric {
        /// Byte offset of the first offending character.
        position: usize,
    },
    /// Even a version 40 symbol at this level cannot hold the text.
    #[error(
        "the QR text is {length} characters long but a version 40 symbol at {level:?} error \
         correction holds at most {capacity}; disclose fewer claims or lower the level"
    )]
    TooLong {
        /// Length of the text in characters.
        length: usize,
        /// Requested error-correction level.
        level: ErrorCorrection,
        /// Alphanumeric capacity of version 40 at that level.
        capacity: usize,
    },
    /// A raster rendering was asked for with a module size of 0 or above the limit.
    #[error(
        "a module must be 1 to {max} pixels wide for a raster rendering, not {requested}",
        max = MAX_PIXELS_PER_MODULE
    )]
    ModuleSizeOutOfRange {
        /// The pixel size asked for.
        requested: u32,
    },
    /// The qrcode crate refused input this module had already checked; a bug, not bad input.
    #[error("the QR encoder failed unexpectedly: {0}")]
    Encoder(String),
}

/// A QR symbol as a square grid of dark and light modules, without the quiet zone.
///
/// It is the single source every rendering draws from, and what a native host draws itself (an
/// Android `Canvas`, a SwiftUI `Path`): `rows()` hands out one slice of `size()` booleans per row,
/// `true` meaning dark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrMatrix {
    version: u8,
    error_correction: ErrorCorrection,
    size: usize,
    dark: Vec<bool>,
}

impl QrMatrix {
    /// Encodes `text` at level M in the smallest version that holds it.
    pub fn encode(text: &str) -> Result<Self, QrError> {
        Self::encode_with(text, ErrorCorrection::default())
    }

    /// Encodes `text` in alphanumeric mode at the given level in the smallest version that holds
    /// it.
    pub fn encode_with(text: &str, error_correction: ErrorCorrection) -> Result<Self, QrError> {
        let data = text.as_bytes();
        if data.is_empty() {
            return Err(QrError::EmptyText);
        }
        if let Some(position) = data.iter().position(|&b| !is_alphanumeric(b)) {
            return Err(QrError::NotAlphanumeric { position });
        }
        let level = error_correction.to_qrcode();
        let version = smallest_version(data.len(), level).ok_or(QrError::TooLong {
            length: data.len(),
            level: error_correction,
            capacity: alphanumeric_capacity(40, level),
        })?;
        let qr_version = Version::Normal(i16::from(version));
        let mut bits = Bits::new(qr_version);
        bits.push_alphanumeric_data(data).map_err(encoder_error)?;
        bits.push_terminator(level).map_err(encoder_error)?;
        let (data_codewords, ec_codewords) =
            qrcode::ec::construct_codewords(&bits.into_bytes(), qr_version, level)
                .map_err(encoder_error)?;
        let mut canvas = Canvas::new(qr_version, level);
        canvas.draw_all_functional_patterns();
        canvas.draw_data(&data_codewords, &ec_codewords);
        let size = 17 + 4 * usize::from(version);
        let dark = mask::apply_best_mask(&canvas, size, level);
        Ok(Self {
            version,
            error_correction,
            size,
            dark,
        })
    }

    /// QR version, 1 to 40; the symbol is `17 + 4 * version` modules wide.
    pub fn version(&self) -> u8 {
        self.version
    }

    /// Error-correction level the symbol was encoded with.
    pub fn error_correction(&self) -> ErrorCorrection {
        self.error_correction
    }

    /// Width and height in modules, quiet zone excluded.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Whether the module at column `x`, row `y` is dark. Coordinates outside the symbol are
    /// light, as the quiet zone around it is.
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        if x >= self.size || y >= self.size {
            return false;
        }
        self.dark.get(y * self.size + x).copied().unwrap_or(false)
    }

    /// The rows from top to bottom, each `size()` modules long, `true` meaning dark.
    pub fn rows(&self) -> impl ExactSizeIterator<Item = &[bool]> + '_ {
        self.dark.chunks_exact(self.size)
    }

    /// Width and height including the quiet zone on both sides, in modules.
    pub fn size_with_quiet_zone(&self) -> usize {
        self.size + 2 * QUIET_ZONE_MODULES
    }

    /// Like `is_dark`, in coordinates that include the quiet zone.
    fn is_dark_in_quiet_frame(&self, x: usize, y: usize) -> bool {
        match (
            x.checked_sub(QUIET_ZONE_MODULES),
            y.checked_sub(QUIET_ZONE_MODULES),
        ) {
            (Some(x), Some(y)) => self.is_dark(x, y),
            _ => false,
        }
    }

    /// An SVG document: a white background and one `<path>` of horizontal dark runs, with a
    /// quiet zone of four modules; one module is one user unit, and the picture is
    /// `pixels_per_module` pixels per module wide unless the host scales it.
    pub fn to_svg(&self, pixels_per_module: u32) -> Result<String, QrError> {
        check_module_size(pixels_per_module)?;
        Ok(svg::render(self, pixels_per_module))
    }

    /// A PNG image (1-bit greyscale), `pixels_per_module` pixels per module, quiet zone
    /// included.
    pub fn to_png(&self, pixels_per_module: u32) -> Result<Vec<u8>, QrError> {
        check_module_size(pixels_per_module)?;
        Ok(png::render(self, pixels_per_module))
    }

    /// A picture for a terminal: Unicode half blocks, two module rows per line, quiet zone
    /// included; see [`TerminalColors`] for how light and dark terminals are handled.
    pub fn to_terminal(&self, colors: TerminalColors) -> String {
        terminal::render(self, colors)
    }
}

fn check_module_size(pixels_per_module: u32) -> Result<(), QrError> {
    if pixels_per_module == 0 || pixels_per_module > MAX_PIXELS_PER_MODULE {
        return Err(QrError::ModuleSizeOutOfRange {
            requested: pixels_per_module,
        });
    }
    Ok(())
}

fn encoder_error(e: qrcode::types::QrError) -> QrError {
    QrError::Encoder(e.to_string())
}

/// The 45 characters of QR alphanumeric mode (ISO/IEC 18004 table 5).
pub fn is_alphanumeric(byte: u8) -> bool {
    matches!(byte, b'0'..=b'9' | b'A'..=b'Z' | b' ' | b'$' | b'%' | b'*' | b'+' | b'-' | b'.' | b'/' | b':')
}

/// Data bits an alphanumeric segment of `length` characters needs in `version`, header included.
fn alphanumeric_bits(length: usize, version: u8) -> usize {
    let count_bits = match version {
        1..=9 => 9,
        10..=26 => 11,
        _ => 13,
    };
    4 + count_bits + 11 * (length / 2) + 6 * (length % 2)
}

fn data_capacity_bits(version: u8, level: EcLevel) -> Option<usize> {
    Bits::new(Version::Normal(i16::from(version)))
        .max_len(level)
        .ok()
}

fn smallest_version(length: usize, level: EcLevel) -> Option<u8> {
    (1..=40u8).find(|&v| {
        data_capacity_bits(v, level).is_some_and(|cap| alphanumeric_bits(length, v) <= cap)
    })
}

fn alphanumeric_capacity(version: u8, level: EcLevel) -> usize {
    let cap = data_capacity_bits(version, level).unwrap_or(0);
    // Largest length whose bit count fits; the count grows by 5 or 6 bits per character.
    let mut length = 0;
    while alphanumeric_bits(length + 1, version) <= cap {
        length += 1;
    }
    length
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacities_match_the_iso_table() {
        // ISO/IEC 18004 table 7, alphanumeric capacities.
        let levels = [EcLevel::L, EcLevel::M, EcLevel::Q, EcLevel::H];
        let v1 = levels.map(|level| alphanumeric_capacity(1, level));
        assert_eq!(v1, [25, 20, 16, 10]);
        let v40 = levels.map(|level| alphanumeric_capacity(40, level));
        assert_eq!(v40, [4_296, 3_391, 2_420, 1_852]);
        assert_eq!(alphanumeric_capacity(10, EcLevel::M), 311);
        assert_eq!(alphanumeric_capacity(20, EcLevel::L), 1_249);
        assert_eq!(alphanumeric_capacity(20, EcLevel::M), 970);
    }

    #[test]
    fn smallest_version_switches_exactly_at_capacity() {
        assert_eq!(smallest_version(20, EcLevel::M), Some(1));
        assert_eq!(smallest_version(21, EcLevel::M), Some(2));
        assert_eq!(smallest_version(970, EcLevel::M), Some(20));
        assert_eq!(smallest_version(971, EcLevel::M), Some(21));
        assert_eq!(smallest_version(4_297, EcLevel::L), None);
    }
}
