//! Mask selection: which of the eight data masks a symbol uses.
//!
//! The qrcode crate picks the mask with the lowest penalty score, but scores each candidate
//! through per-module accessors and boxed closures: about 5 ms for a version 21 symbol, more
//! than the whole present budget (DESIGN.md §7). This file builds the eight candidates itself from
//! one read of qrcode's unmasked canvas (the same mask conditions, format information in the same
//! places) and scores them with the same rules and the same tie-break on bit sets, so the chosen
//! mask, and therefore every module, is identical to `QrCode::with_bits` (a unit test checks
//! that). Measured with `cargo bench --bench qr` on 1,000 characters (v21, level M), medians on a
//! shared 2-core machine: qrcode's own path 4.4-5.8 ms, `fast_qr` 0.67-1.1 ms; this file when it
//! still cloned and masked qrcode's canvas per candidate 0.44-0.77 ms (1.34 ms on a slower
//! machine), building the candidates itself: see docs/SECURITY.md, Budgets.
//! It never changes data or functional modules itself.

use qrcode::canvas::{Canvas, MaskPattern, Module};
use qrcode::{Color, EcLevel};

/// The candidates in qrcode's order; on equal scores the first wins, as there.
const PATTERNS: [MaskPattern; 8] = [
    MaskPattern::Checkerboard,
    MaskPattern::HorizontalLines,
    MaskPattern::VerticalLines,
    MaskPattern::DiagonalLines,
    MaskPattern::LargeCheckerboard,
    MaskPattern::Fields,
    MaskPattern::Diamonds,
    MaskPattern::Meadow,
];

/// Applies each mask to the unmasked `canvas` (format information included) and returns the
/// modules, row by row, of the one with the lowest penalty.
///
/// The canvas is read once; each candidate is then built from that (data modules XOR the mask,
/// functional modules as drawn, the mask's format information written where qrcode writes it),
/// instead of cloning and masking qrcode's canvas eight times, which was nine tenths of the
/// encoding time. `fast_mask_selection_matches_the_qrcode_crate` checks every module against
/// qrcode's own result.
pub(super) fn apply_best_mask(canvas: &Canvas, width: usize, level: EcLevel) -> Vec<bool> {
    let base = Unmasked::read(canvas, width);
    let mut best: Option<(u32, Vec<Line>)> = None;
    for pattern in PATTERNS {
        let (rows, columns) = base.masked(pattern, level);
        let score = penalty(&rows, &columns, width);
        if best.as_ref().is_none_or(|(lowest, _)| score < *lowest) {
            best = Some((score, rows));
        }
    }
    let rows = best.map(|(_, rows)| rows).unwrap_or_default();
    rows.iter()
        .flat_map(|row| (0..width).map(move |x| row.get(x)))
        .collect()
}

/// Every mask condition depends on x and y only modulo 12 (through x % 2, x % 3, x / 3 % 2,
/// x·y % 6 and y / 2 % 2), so twelve precomputed lines per pattern cover every row and column.
const MASK_PERIOD: usize = 12;

/// The symbol before masking, as bit sets per row and per column: the colour of every module,
/// and which modules carry data (the only ones a mask inverts).
struct Unmasked {
    width: usize,
    dark_rows: Vec<Line>,
    data_rows: Vec<Line>,
    dark_columns: Vec<Line>,
    data_columns: Vec<Line>,
}

impl Unmasked {
    fn read(canvas: &Canvas, width: usize) -> Self {
        let mut base = Self {
            width,
            dark_rows: vec![Line::default(); width],
            data_rows: vec![Line::default(); width],
            dark_columns: vec![Line::default(); width],
            data_columns: vec![Line::default(); width],
        };
        for y in 0..width {
            for x in 0..width {
                // Coordinates are below 177 (version 40), so they fit an i16.
                let (data, color) = match canvas.get(x as i16, y as i16) {
                    Module::Empty => (true, Color::Light),
                    Module::Unmasked(color) => (true, color),
                    Module::Masked(color) => (false, color),
                };
                let dark = color == Color::Dark;
                base.dark_rows[y].set(x, dark);
                base.data_rows[y].set(x, data);
                base.dark_columns[x].set(y, dark);
                base.data_columns[x].set(y, data);
            }
        }
        base
    }

    /// Rows and columns with `pattern` applied, as `Canvas::apply_mask` leaves the symbol.
    fn masked(&self, pattern: MaskPattern, level: EcLevel) -> (Vec<Line>, Vec<Line>) {
        let invert = mask_function(pattern);
        let lines = |along_rows: bool| -> [Line; MASK_PERIOD] {
            std::array::from_fn(|k| {
                let mut line = Line::default();
                for i in 0..self.width {
                    let (x, y) = if along_rows { (i, k) } else { (k, i) };
                    line.set(i, invert(x, y));
                }
                line
            })
        };
        let (row_masks, column_masks) = (lines(true), lines(false));
        let apply = |dark: &[Line], data: &[Line], masks: &[Line; MASK_PERIOD]| -> Vec<Line> {
            dark.iter()
                .zip(data)
                .enumerate()
                .map(|(i, (dark, data))| *dark ^ (*data & masks[i % MASK_PERIOD]))
                .collect()
        };
        let mut rows = apply(&self.dark_rows, &self.data_rows, &row_masks);
        let mut columns = apply(&self.dark_columns, &self.data_columns, &column_masks);
        let format = format_information(level, pattern);
        let mut put = |x: i16, y: i16, dark: bool| {
            let (x, y) = (self.wrap(x), self.wrap(y));
            rows[y].set(x, dark);
            columns[x].set(y, dark);
        };
        for (bit, (main, side)) in FORMAT_MAIN.iter().zip(FORMAT_SIDE.iter()).enumerate() {
            let dark = format & (1 << (14 - bit)) != 0;
            put(main.0, main.1, dark);
            put(side.0, side.1, dark);
        }
        // The dark module beside the bottom-left finder.
        put(8, -8, true);
        (rows, columns)
    }

    /// A coordinate, negative ones counting from the far edge, as qrcode's.
    fn wrap(&self, v: i16) -> usize {
        let width = self.width as i16;
        (if v < 0 { v + width } else { v }) as usize
    }
}

/// The mask condition of ISO/IEC 18004 table 10 (`true`: invert the module).
fn mask_function(pattern: MaskPattern) -> fn(usize, usize) -> bool {
    match pattern {
        MaskPattern::Checkerboard => |x, y| (x + y) % 2 == 0,
        MaskPattern::HorizontalLines => |_, y| y % 2 == 0,
        MaskPattern::VerticalLines => |x, _| x % 3 == 0,
        MaskPattern::DiagonalLines => |x, y| (x + y) % 3 == 0,
        MaskPattern::LargeCheckerboard => |x, y| ((y / 2) + (x / 3)) % 2 == 0,
        MaskPattern::Fields => |x, y| (x * y) % 2 + (x * y) % 3 == 0,
        MaskPattern::Diamonds => |x, y| ((x * y) % 2 + (x * y) % 3) % 2 == 0,
        MaskPattern::Meadow => |x, y| ((x + y) % 2 + (x * y) % 3) % 2 == 0,
    }
}

/// The 15-bit format information for `level` and `pattern`: 5 data bits, a BCH(15,5) remainder
/// (generator 0x537), XOR 0x5412 (ISO/IEC 18004 §7.9.1). Level bits: L 01, M 00, Q 11, H 10.
fn format_information(level: EcLevel, pattern: MaskPattern) -> u16 {
    let level_bits: u16 = match level {
        EcLevel::L => 0b01,
        EcLevel::M => 0b00,
        EcLevel::Q => 0b11,
        EcLevel::H => 0b10,
    };
    let data = (level_bits << 3) | pattern as u16;
    let mut remainder = data << 10;
    for bit in (10..15).rev() {
        if remainder & (1 << bit) != 0 {
            remainder ^= 0x537 << (bit - 10);
        }
    }
    ((data << 10) | remainder) ^ 0x5412
}

/// Where the format bits go, most significant first: around the top-left finder, and split
/// between the bottom-left and top-right finders (negative: from the far edge). The same
/// positions, in the same order, as the qrcode crate draws them.
const FORMAT_MAIN: [(i16, i16); 15] = [
    (0, 8),
    (1, 8),
    (2, 8),
    (3, 8),
    (4, 8),
    (5, 8),
    (7, 8),
    (8, 8),
    (8, 7),
    (8, 5),
    (8, 4),
    (8, 3),
    (8, 2),
    (8, 1),
    (8, 0),
];
const FORMAT_SIDE: [(i16, i16); 15] = [
    (8, -1),
    (8, -2),
    (8, -3),
    (8, -4),
    (8, -5),
    (8, -6),
    (8, -7),
    (-8, 8),
    (-7, 8),
    (-6, 8),
    (-5, 8),
    (-4, 8),
    (-3, 8),
    (-2, 8),
    (-1, 8),
];

/// Total penalty of a masked symbol (ISO/IEC 18004 §7.8.3, as the qrcode crate computes it:
/// the balance term is linear rather than in 5 % steps. qrcode also subtracts 360 for the real
/// finder patterns, a constant that cannot change which mask wins, so it is left out here).
///
/// Rows and columns are packed into bit sets and every rule is evaluated with shifts, masks and
/// popcounts: branching per module mispredicts on what is, by design, noise-like data, and
/// that made a per-module version cost about 0.4 ms per mask.
fn penalty(rows: &[Line], columns: &[Line], width: usize) -> u32 {
    let within = |n: usize| Line::first_bits(n);
    let mut score = 0u32;
    for line in rows.iter().chain(columns.iter()) {
        // `same` has bit x set where module x has the colour of module x + 1.
        let same = !(*line ^ line.shr(1)) & within(width - 1);

        // Rule 1: each run of L >= 5 modules of one colour costs L - 2. A run of L holds
        // L - 4 windows of five equal modules, and one of them starts the run, so the cost
        // is (windows) + 2 * (windows that start a run).
        let windows = same & same.shr(1) & same.shr(2) & same.shr(3);
        let run_starts = windows & !same.shl(1);
        score += windows.count() + 2 * run_starts.count();

        // Rule 3: dark-light-dark-dark-dark-light-dark with four light modules on at least one
        // side; modules outside the symbol count as light (shifts bring in zeros).
        let pattern = *line
            & !line.shr(1)
            & line.shr(2)
            & line.shr(3)
            & line.shr(4)
            & !line.shr(5)
            & line.shr(6)
            & within(width.saturating_sub(6));
        let light_before = !(line.shl(1) | line.shl(2) | line.shl(3) | line.shl(4));
        let light_after = !(line.shr(7) | line.shr(8) | line.shr(9) | line.shr(10));
        score += 40 * (pattern & (light_before | light_after)).count();
    }

    // Rule 2: every 2x2 block of one colour, overlapping blocks counted.
    for pair in rows.windows(2) {
        let (upper, lower) = (pair[0], pair[1]);
        let across = !(upper ^ upper.shr(1)) & !(lower ^ lower.shr(1));
        let down = !(upper ^ lower);
        score += 3 * (across & down & within(width - 1)).count();
    }

    // Rule 4: distance of the dark share from 50 %.
    let dark: u32 = rows.iter().map(|row| row.count()).sum();
    let ratio = dark as usize * 200 / (width * width).max(1);
    score + ratio.abs_diff(100) as u32
}

/// One row or column of up to 192 modules; bit x is the module at position x, dark = 1.
/// Bits past the symbol's width stay 0, which the rules read as light.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Line([u64; 3]);

impl Line {
    #[inline(always)]
    fn first_bits(n: usize) -> Self {
        let mut words = [0u64; 3];
        for (i, word) in words.iter_mut().enumerate() {
            let bits = n.saturating_sub(64 * i).min(64);
            *word = if bits == 64 { !0 } else { (1u64 << bits) - 1 };
        }
        Self(words)
    }

    #[inline(always)]
    fn set(&mut self, x: usize, on: bool) {
        if let Some(word) = self.0.get_mut(x / 64) {
            let bit = 1u64 << (x % 64);
            if on {
                *word |= bit;
            } else {
                *word &= !bit;
            }
        }
    }

    #[inline(always)]
    fn get(&self, x: usize) -> bool {
        self.0
            .get(x / 64)
            .is_some_and(|word| word & (1u64 << (x % 64)) != 0)
    }

    /// Bit x of the result is bit x + k of `self` (k in 1..64).
    #[inline(always)]
    fn shr(self, k: u32) -> Self {
        let [a, b, c] = self.0;
        Self([
            (a >> k) | (b << (64 - k)),
            (b >> k) | (c << (64 - k)),
            c >> k,
        ])
    }

    /// Bit x of the result is bit x - k of `self`, 0 below k (k in 1..64).
    #[inline(always)]
    fn shl(self, k: u32) -> Self {
        let [a, b, c] = self.0;
        Self([
            a << k,
            (b << k) | (a >> (64 - k)),
            (c << k) | (b >> (64 - k)),
        ])
    }

    #[inline(always)]
    fn count(self) -> u32 {
        self.0.iter().map(|w| w.count_ones()).sum()
    }
}

impl std::ops::BitAnd for Line {
    type Output = Self;
    #[inline(always)]
    fn bitand(self, other: Self) -> Self {
        Self(std::array::from_fn(|i| self.0[i] & other.0[i]))
    }
}

impl std::ops::BitOr for Line {
    type Output = Self;
    #[inline(always)]
    fn bitor(self, other: Self) -> Self {
        Self(std::array::from_fn(|i| self.0[i] | other.0[i]))
    }
}

impl std::ops::BitXor for Line {
    type Output = Self;
    #[inline(always)]
    fn bitxor(self, other: Self) -> Self {
        Self(std::array::from_fn(|i| self.0[i] ^ other.0[i]))
    }
}

impl std::ops::Not for Line {
    type Output = Self;
    #[inline(always)]
    fn not(self) -> Self {
        Self(self.0.map(|w| !w))
    }
}
