//! Mask selection: which of the eight data masks a symbol uses.
//!
//! The choice has two steps. First, no data area may hold a finder look-alike (see
//! [`finder_lookalikes`]): ZXing's finder-pattern detector, which Android counter apps run on
//! every camera frame, stops scanning once it holds three candidates of one module size, so one
//! look-alike met before the real third finder makes it report no code at all. ISO/IEC 18004's
//! penalty rule N3 counts the pattern along single rows and columns only, and whatever the mask,
//! ZXing 3.5.3 missed about one symbol in twenty in a sharp 4-pixel rendering (229 of 4,800
//! renderings: 600 random symbols, v15 to v25, each with all eight masks) and 83 of 800
//! presentations of the core's test fixtures (44 of the 200 at version 19). Second, among the masks without a look-alike, the lowest
//! ISO penalty wins (ties: the lower mask number, as in the qrcode crate). About half of all
//! masks have a look-alike, so the first or second mask by penalty nearly always qualifies. When
//! all eight have one (1 symbol in 200 at v19, 1 in 22 at v25), the fewest met reading the
//! symbol's rows or columns from its top-left corner wins, then the fewest in any orientation:
//! of 20,000 random symbols ZXing then missed 2 (both v25), against 16 when the fewest in any
//! orientation decided alone. No mask choice can rule out every miss, since a look-alike may sit
//! in every mask; the JVM test `ZxingScanTest` runs ZXing on the FFI library's own renderings.
//!
//! The candidates are built from one read of qrcode's unmasked canvas (the same mask conditions,
//! format information in the same places) and scored on bit sets: qrcode's own selection takes
//! about 5 ms for a version 21 symbol, more than the whole present budget (DESIGN.md §7).
//! Measured with `cargo bench --bench qr` on 1,000 characters (v21, level M), medians on a shared
//! 2-core machine: qrcode's own path 4.4-5.8 ms, `fast_qr` 0.67-1.1 ms; this file when it still
//! cloned and masked qrcode's canvas per candidate 0.44-0.77 ms (1.34 ms on a slower machine),
//! building the candidates itself: see docs/SECURITY.md, Budgets.
//! It never changes data or functional modules itself: the masks are the standard's, so any
//! scanner decodes whichever is chosen.

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
/// modules, row by row, of the chosen one (see the file comment).
///
/// The canvas is read once; each candidate is then built from that (data modules XOR the mask,
/// functional modules as drawn, the mask's format information written where qrcode writes it),
/// instead of cloning and masking qrcode's canvas eight times, which was nine tenths of the
/// encoding time. `core/tests/qr_mask_choice.rs` checks the choice against an independent
/// implementation of both steps on qrcode's own masked canvases.
pub(super) fn apply_best_mask(canvas: &Canvas, width: usize, level: EcLevel) -> Vec<bool> {
    let base = Unmasked::read(canvas, width);
    let mut candidates: Vec<(u32, Vec<Line>, Vec<Line>)> = PATTERNS
        .iter()
        .map(|&pattern| {
            let (rows, columns) = base.masked(pattern, level);
            (penalty(&rows, &columns, width), rows, columns)
        })
        .collect();
    // Stable: equal penalties keep the mask order.
    candidates.sort_by_key(|(score, _, _)| *score);
    let lookalikes = |rows: &[Line], columns: &[Line], reading: Reading| {
        finder_lookalikes(rows, columns, width, reading)
            + finder_lookalikes(columns, rows, width, reading)
    };
    let mut chosen = None;
    for (i, (_, rows, columns)) in candidates.iter().enumerate() {
        if lookalikes(rows, columns, Reading::AnyWay) == 0 {
            chosen = Some(i);
            break;
        }
    }
    // Every mask has a look-alike: the fewest met reading rows or columns from the top-left
    // corner, then the fewest any way, then the penalty (see the file comment).
    let chosen = chosen.unwrap_or_else(|| {
        (0..candidates.len())
            .min_by_key(|&i| {
                let (_, rows, columns) = &candidates[i];
                (
                    lookalikes(rows, columns, Reading::Upright),
                    lookalikes(rows, columns, Reading::AnyWay),
                    i,
                )
            })
            .unwrap_or(0)
    });
    let rows = &candidates[chosen].1;
    rows.iter()
        .flat_map(|row| (0..width).map(move |x| row.get(x)))
        .collect()
}

/// Counts finder look-alikes whose exact pattern runs along `lines` (rows, or columns when the
/// two arguments are swapped), outside the three finder patterns.
///
/// A look-alike is what makes a row-scanning detector accept a false finder of the real module
/// size: the modules dark, light, three dark, light, dark between light ones along the line (ISO's
/// 1:1:3:1:1), and, through the middle module, the crossing line and then the line again through
/// the middle of the crossing centre run read as 1:1:3:1:1 within ZXing's tolerance. This is
/// ZXing's `FinderPatternFinder` check (its `foundPatternCross`, the run limits and the totals of
/// `crossCheckVertical` and `crossCheckHorizontal`) in modules instead of pixels, with both middle
/// modules of an even run tried and both sides held to the same limit, so it holds for the symbol
/// upside down or mirrored too; ZXing's diagonal check is left out, which only counts more.
fn finder_lookalikes(lines: &[Line], crossing: &[Line], width: usize, reading: Reading) -> u32 {
    let mut found = 0;
    for (y, line) in lines.iter().enumerate() {
        let mut starts = *line
            & !line.shl(1)
            & !line.shr(1)
            & line.shr(2)
            & line.shr(3)
            & line.shr(4)
            & !line.shr(5)
            & line.shr(6)
            & !line.shr(7)
            & Line::first_bits(width.saturating_sub(6));
        while let Some(start) = starts.pop_lowest() {
            let x = start + 3;
            let corner = |v: usize| v < 8 || v + 8 >= width;
            if corner(x) && corner(y) && !(x + 8 >= width && y + 8 >= width) {
                continue; // one of the three real finder patterns
            }
            let cross = |line: Option<&Line>, at, tolerance| {
                line.and_then(|line| cross_runs(line, at, tolerance, reading))
            };
            let Some((top, bottom)) = cross(crossing.get(x), y, 5) else {
                continue;
            };
            let mut middles = [(top + bottom).div_ceil(2), (top + bottom) / 2];
            if reading == Reading::Upright {
                middles[1] = middles[0];
            }
            if middles
                .iter()
                .any(|&middle| cross(lines.get(middle), x, 10).is_some())
            {
                found += 1;
            }
        }
    }
    found
}

/// How a scanner meets the symbol: in any of the eight orientations (turned and mirrored), or
/// reading its rows (or its columns) from the top-left corner, where ZXing's rounding of an even
/// centre run's middle and its run limits before and after the centre apply exactly.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reading {
    AnyWay,
    Upright,
}

/// Whether the runs through the dark module at `at` read as a finder cross to ZXing, for a
/// pattern seven modules wide along the other line: each of the four outer runs at most three
/// modules (the centre run's length there) and within half a module of the module size, the
/// centre within one and a half modules of three, and the total within 2/`tolerance` of seven
/// modules. Returns the first and last module of the centre run.
fn cross_runs(
    line: &Line,
    at: usize,
    tolerance: usize,
    reading: Reading,
) -> Option<(usize, usize)> {
    let dark = |p: isize| p >= 0 && line.get(p as usize);
    // A run's length from `p` going `step`, and where it ends. Runs stop at 8, more than any
    // pattern that passes; a light run that leaves the symbol goes on into the quiet zone and so
    // reaches the limit.
    let run = |mut p: isize, step: isize, colour: bool| {
        let mut length = 0;
        while length < 8 && dark(p) == colour {
            length += 1;
            p += step;
        }
        (length, p)
    };
    let at = at as isize;
    let (up, before) = run(at, -1, true);
    let (down, after) = run(at + 1, 1, true);
    let (light_before, next) = run(before, -1, false);
    let (dark_before, _) = run(next, -1, true);
    let (light_after, next) = run(after, 1, false);
    let (dark_after, _) = run(next, 1, true);
    let outer = [dark_before, light_before, light_after, dark_after];
    let total = outer.iter().sum::<usize>() + up + down;
    // |r - parts * module| < parts * module / 2, with module = total / 7, in integers.
    let fits = |r: usize, parts: usize| (2 * parts * total).abs_diff(14 * r) < parts * total;
    // ZXing allows up to the centre run's length (three) before the centre and less after it.
    let after_limit = if reading == Reading::Upright { 2 } else { 3 };
    (outer.iter().all(|&r| r <= 3 && fits(r, 1))
        && light_after.max(dark_after) <= after_limit
        && fits(up + down, 3)
        && tolerance * total.abs_diff(7) < 14)
        .then_some(((before + 1) as usize, (after - 1) as usize))
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

/// Total penalty of a masked symbol, ISO/IEC 18004 §7.8.3 rules N1 to N4 (the qrcode crate
/// scores N4 linearly instead of in 5 % steps, so its choice differs for a few symbols; it also
/// subtracts 360 for the real finder patterns, a constant that cannot change which mask wins,
/// so it is left out here).
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

    // Rule 4: ten points for each full 5 % step of the dark share away from 50 %.
    let dark = rows.iter().map(|row| row.count() as usize).sum::<usize>();
    let total = (width * width).max(1);
    score + 10 * ((2 * dark).abs_diff(total) * 10 / total) as u32
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

    /// Clears the lowest set bit and returns its position.
    fn pop_lowest(&mut self) -> Option<usize> {
        let i = self.0.iter().position(|&w| w != 0)?;
        let bit = self.0[i].trailing_zeros() as usize;
        self.0[i] &= self.0[i] - 1;
        Some(64 * i + bit)
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
