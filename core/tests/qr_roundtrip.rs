//! QR symbols round-trip through an independent pure-Rust decoder (rqrr), and every rendering
//! draws exactly the module matrix it was given, quiet zone included.

mod qr_support;

use netid_core::qr::{ErrorCorrection, QUIET_ZONE_MODULES, QrError, QrMatrix, TerminalColors};
use qr_support::{decode_png, qr_text};

/// Scans a PNG with rqrr and returns (text, version, error-correction level 0-3, mode nibble).
fn scan_with_rqrr(png: &[u8]) -> (String, usize, u16, u8) {
    let (width, height, pixels) = decode_png(png);
    let mut image =
        rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| pixels[y * width + x]);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "rqrr must find exactly one QR code");
    let (meta, text) = grids[0].decode().expect("rqrr must decode the QR code");
    let (_, raw) = grids[0]
        .get_raw_data()
        .expect("rqrr must read the raw bit stream");
    let mode = unmasked_mode_indicator(raw.data[0] >> 4, meta.version.0, meta.mask);
    (text, meta.version.0, meta.ecc_level, mode)
}

/// rqrr hands out the data bits still masked. The mode indicator is the first four of them,
/// read from the bottom-right corner: (col, row) = (n-1, n-1), (n-2, n-1), (n-1, n-2),
/// (n-2, n-2); undo the mask (ISO/IEC 18004 table 10) at those modules.
fn unmasked_mode_indicator(masked: u8, version: usize, mask: u16) -> u8 {
    let n = 17 + 4 * version;
    let positions = [
        (n - 1, n - 1),
        (n - 2, n - 1),
        (n - 1, n - 2),
        (n - 2, n - 2),
    ];
    let mut mode = 0;
    for (k, (j, i)) in positions.into_iter().enumerate() {
        let flip = match mask {
            0 => (i + j) % 2 == 0,
            1 => i % 2 == 0,
            2 => j % 3 == 0,
            3 => (i + j) % 3 == 0,
            4 => (i / 2 + j / 3) % 2 == 0,
            5 => (i * j) % 2 + (i * j) % 3 == 0,
            6 => ((i * j) % 2 + (i * j) % 3) % 2 == 0,
            7 => ((i + j) % 2 + (i * j) % 3) % 2 == 0,
            other => panic!("rqrr reported mask {other}"),
        };
        let bit = (masked >> (3 - k)) & 1;
        mode |= (bit ^ u8::from(flip)) << (3 - k);
    }
    mode
}

/// rqrr numbers the levels as the format information does: M=0, L=1, H=2, Q=3.
fn rqrr_level(level: ErrorCorrection) -> u16 {
    match level {
        ErrorCorrection::Medium => 0,
        ErrorCorrection::Low => 1,
        ErrorCorrection::High => 2,
        ErrorCorrection::Quartile => 3,
    }
}

const ALPHANUMERIC_MODE: u8 = 0b0010;

#[test]
fn png_round_trips_through_rqrr_at_several_sizes() {
    // Versions from ISO/IEC 18004 table 7 (alphanumeric, level M). In byte mode 1,000
    // characters would need version 27, so these versions also show the mode.
    for (length, expected_version) in [(12, 1), (20, 1), (21, 2), (970, 20), (1_000, 21)] {
        let text = qr_text(length, length as u64);
        let matrix = QrMatrix::encode(&text).unwrap();
        assert_eq!(matrix.version(), expected_version, "{length} chars at M");
        assert_eq!(matrix.size(), 17 + 4 * usize::from(expected_version));
        let png = matrix.to_png(4).unwrap();
        let (decoded, version, level, mode) = scan_with_rqrr(&png);
        assert_eq!(
            decoded, text,
            "decoded text of {length} chars must equal the input"
        );
        assert_eq!(version, usize::from(expected_version));
        assert_eq!(level, rqrr_level(ErrorCorrection::Medium));
        assert_eq!(
            mode, ALPHANUMERIC_MODE,
            "the first segment must be alphanumeric"
        );
    }
}

#[test]
fn every_error_correction_level_round_trips() {
    let text = qr_text(300, 7);
    let mut versions = Vec::new();
    for level in [
        ErrorCorrection::Low,
        ErrorCorrection::Medium,
        ErrorCorrection::Quartile,
        ErrorCorrection::High,
    ] {
        let matrix = QrMatrix::encode_with(&text, level).unwrap();
        assert_eq!(matrix.error_correction(), level);
        let (decoded, version, rqrr_ec, _) = scan_with_rqrr(&matrix.to_png(3).unwrap());
        assert_eq!(decoded, text);
        assert_eq!(rqrr_ec, rqrr_level(level));
        assert_eq!(version, usize::from(matrix.version()));
        versions.push(matrix.version());
    }
    // More redundancy needs more modules.
    assert!(versions.windows(2).all(|w| w[0] < w[1]), "{versions:?}");
}

#[test]
fn png_pixels_match_the_matrix_and_quiet_zone() {
    let matrix = QrMatrix::encode(&qr_text(80, 3)).unwrap();
    let scale = 3;
    let (width, height, pixels) = decode_png(&matrix.to_png(scale).unwrap());
    let side = matrix.size_with_quiet_zone();
    assert_eq!((width, height), (side * 3, side * 3));
    for py in 0..height {
        for px in 0..width {
            let (mx, my) = (px / 3, py / 3);
            let dark = mx >= QUIET_ZONE_MODULES
                && my >= QUIET_ZONE_MODULES
                && matrix.is_dark(mx - QUIET_ZONE_MODULES, my - QUIET_ZONE_MODULES);
            let expected = if dark { 0 } else { 255 };
            assert_eq!(pixels[py * width + px], expected, "pixel ({px}, {py})");
        }
    }
}

#[test]
fn rows_and_is_dark_agree_and_outside_is_light() {
    let matrix = QrMatrix::encode("NID1:ABC").unwrap();
    assert_eq!(matrix.rows().len(), matrix.size());
    for (y, row) in matrix.rows().enumerate() {
        assert_eq!(row.len(), matrix.size());
        for (x, &dark) in row.iter().enumerate() {
            assert_eq!(matrix.is_dark(x, y), dark);
        }
    }
    // The top-left finder pattern: a dark 7x7 ring around a light ring around a dark 3x3 core.
    assert!(matrix.is_dark(0, 0) && matrix.is_dark(6, 6) && matrix.is_dark(3, 3));
    assert!(!matrix.is_dark(1, 1) && !matrix.is_dark(7, 7));
    assert!(!matrix.is_dark(matrix.size(), 0));
    assert!(!matrix.is_dark(0, usize::MAX));
}

#[test]
fn text_outside_the_alphanumeric_set_is_refused() {
    assert_eq!(
        QrMatrix::encode("NID1:abc"),
        Err(QrError::NotAlphanumeric { position: 5 })
    );
    assert_eq!(
        QrMatrix::encode("NID1:\u{e9}"),
        Err(QrError::NotAlphanumeric { position: 5 })
    );
    assert_eq!(
        QrMatrix::encode("A\nB"),
        Err(QrError::NotAlphanumeric { position: 1 })
    );
    assert_eq!(QrMatrix::encode(""), Err(QrError::EmptyText));
    let message = QrMatrix::encode("x").unwrap_err().to_string();
    assert!(
        message.contains("base45"),
        "message must say what to do: {message}"
    );
}

#[test]
fn text_too_long_for_version_40_is_a_typed_error() {
    let fits = qr_text(3_391, 1);
    assert_eq!(QrMatrix::encode(&fits).unwrap().version(), 40);
    let too_long = qr_text(3_392, 1);
    assert_eq!(
        QrMatrix::encode(&too_long),
        Err(QrError::TooLong {
            length: 3_392,
            level: ErrorCorrection::Medium,
            capacity: 3_391
        })
    );
}

#[test]
fn raster_module_size_is_bounded() {
    let matrix = QrMatrix::encode("NID1:X").unwrap();
    for bad in [0, 65, u32::MAX] {
        assert_eq!(
            matrix.to_png(bad),
            Err(QrError::ModuleSizeOutOfRange { requested: bad })
        );
        assert!(matrix.to_svg(bad).is_err());
    }
    assert!(matrix.to_png(64).is_ok());
}

/// Rebuilds the module grid (quiet zone included) from the SVG's single path of runs.
fn svg_to_grid(svg: &str, side: usize) -> Vec<Vec<bool>> {
    let d_start = svg.find(" d=\"").expect("the SVG must have a path") + 4;
    let d_end = d_start + svg[d_start..].find('"').expect("the path must close");
    let mut grid = vec![vec![false; side]; side];
    for run in svg[d_start..d_end].split('M').filter(|s| !s.is_empty()) {
        // Each run is "X Yh{L}v1h-{L}z".
        let (xy, rest) = run
            .split_once('h')
            .expect("run starts with a horizontal line");
        let (x, y) = xy.split_once(' ').expect("M takes x and y");
        let (len, rest) = rest.split_once('v').expect("run has a vertical step");
        assert_eq!(
            rest,
            format!("1h-{len}z"),
            "run must close as a 1-module-high box"
        );
        let (x, y, len): (usize, usize, usize) =
            (x.parse().unwrap(), y.parse().unwrap(), len.parse().unwrap());
        for cell in &mut grid[y][x..x + len] {
            assert!(!*cell, "runs must not overlap");
            *cell = true;
        }
    }
    grid
}

#[test]
fn svg_path_redraws_the_matrix_with_quiet_zone() {
    let matrix = QrMatrix::encode(&qr_text(1_000, 11)).unwrap();
    let svg = matrix.to_svg(4).unwrap();
    let side = matrix.size_with_quiet_zone();
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(svg.contains(&format!("viewBox=\"0 0 {side} {side}\"")));
    assert!(svg.contains(&format!("width=\"{}\"", side * 4)));
    assert_eq!(
        svg.matches("<path").count(),
        1,
        "one path, not a shape per module"
    );
    assert_eq!(svg.matches("<rect").count(), 1, "only the white background");
    assert!(svg.ends_with("</svg>"));
    let grid = svg_to_grid(&svg, side);
    for (y, row) in grid.iter().enumerate() {
        for (x, &dark) in row.iter().enumerate() {
            let expected = x >= QUIET_ZONE_MODULES
                && y >= QUIET_ZONE_MODULES
                && matrix.is_dark(x - QUIET_ZONE_MODULES, y - QUIET_ZONE_MODULES);
            assert_eq!(dark, expected, "module ({x}, {y})");
        }
    }
    // Compactness: a v21 symbol stays a few tens of kilobytes.
    assert!(svg.len() < 40_000, "SVG is {} bytes", svg.len());
}

/// Splits terminal output into lines of glyphs, stripping the ANSI colour escapes.
fn terminal_glyph_lines(picture: &str) -> Vec<Vec<char>> {
    picture
        .lines()
        .map(|line| {
            let line = line
                .strip_prefix("\u{1b}[30;107m")
                .and_then(|l| l.strip_suffix("\u{1b}[0m"))
                .unwrap_or(line);
            line.chars().collect()
        })
        .collect()
}

/// Rebuilds which half-cells are drawn with a glyph: (top, bottom) per character.
fn drawn_halves(glyph: char) -> (bool, bool) {
    match glyph {
        '\u{2588}' => (true, true),
        '\u{2580}' => (true, false),
        '\u{2584}' => (false, true),
        ' ' => (false, false),
        other => panic!("unexpected glyph {other:?}"),
    }
}

#[test]
fn terminal_pictures_have_the_right_shape_and_modules() {
    let matrix = QrMatrix::encode(&qr_text(60, 5)).unwrap();
    let side = matrix.size_with_quiet_zone();
    let dark_at = |x: usize, y: usize| {
        x >= QUIET_ZONE_MODULES
            && y >= QUIET_ZONE_MODULES
            && matrix.is_dark(x - QUIET_ZONE_MODULES, y - QUIET_ZONE_MODULES)
    };
    for colors in [
        TerminalColors::Ansi,
        TerminalColors::PlainOnLight,
        TerminalColors::PlainOnDark,
    ] {
        let picture = matrix.to_terminal(colors);
        assert_eq!(
            picture.contains('\u{1b}'),
            colors == TerminalColors::Ansi,
            "{colors:?}"
        );
        let lines = terminal_glyph_lines(&picture);
        assert_eq!(lines.len(), side.div_ceil(2), "two module rows per line");
        for (line_no, line) in lines.iter().enumerate() {
            assert_eq!(line.len(), side, "{colors:?} line {line_no} width");
            for (x, &glyph) in line.iter().enumerate() {
                let (top, bottom) = drawn_halves(glyph);
                let (top_y, bottom_y) = (2 * line_no, 2 * line_no + 1);
                // A glyph is drawn in the foreground colour: dark modules on a light
                // background (or with explicit colours), light modules on a dark one.
                let on_dark = colors == TerminalColors::PlainOnDark;
                assert_eq!(
                    top,
                    dark_at(x, top_y) != on_dark,
                    "{colors:?} ({x}, {top_y})"
                );
                if bottom_y < side {
                    assert_eq!(bottom, dark_at(x, bottom_y) != on_dark);
                } else {
                    assert!(!bottom, "the half row past the picture stays undrawn");
                }
            }
        }
    }
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        /// Any alphanumeric text (QR charset, 1 to 400 characters) decodes back exactly.
        #[test]
        fn any_alphanumeric_text_round_trips(text in "[0-9A-Z $%*+./:-]{1,400}") {
            let matrix = QrMatrix::encode(&text).unwrap();
            let (decoded, version, _, mode) = scan_with_rqrr(&matrix.to_png(2).unwrap());
            prop_assert_eq!(decoded, text);
            prop_assert_eq!(version, usize::from(matrix.version()));
            prop_assert_eq!(mode, ALPHANUMERIC_MODE);
        }
    }

    proptest! {
        /// Arbitrary text never panics: it encodes, or names the first byte outside the set.
        #[test]
        fn arbitrary_text_is_encoded_or_refused_at_the_right_byte(text in ".{0,64}") {
            match QrMatrix::encode(&text) {
                Ok(matrix) => prop_assert!(matrix.version() >= 1),
                Err(QrError::EmptyText) => prop_assert!(text.is_empty()),
                Err(QrError::NotAlphanumeric { position }) => {
                    prop_assert!(!netid_core::qr::is_alphanumeric(text.as_bytes()[position]));
                    prop_assert!(text.as_bytes()[..position].iter().all(|&b| netid_core::qr::is_alphanumeric(b)));
                }
                Err(other) => prop_assert!(false, "unexpected {other:?}"),
            }
        }
    }
}
