//! Mask selection: which of the eight data masks a symbol uses.
//!
//! The qrcode crate picks the mask with the lowest penalty score, but scores each candidate
//! through per-module accessors and boxed closures: about 5 ms for a version 21 symbol, more
//! than the whole present budget (DESIGN.md §7). This file applies the same eight masks with
//! qrcode's own `Canvas::apply_mask` and scores them with the same rules and the same tie-break
//! on bit sets, so the chosen mask, and therefore every module, is identical to
//! `QrCode::with_bits` (a unit test checks that); it only makes the scoring fast. Measured with
//! `cargo bench --bench qr` on 1,000 characters (v21, level M), medians on a shared 2-core
//! machine: qrcode's own path 4.4-5.8 ms, this one 0.44-0.77 ms, the `fast_qr` crate
//! 0.67-1.1 ms, qrcode with a fixed mask (no selection at all) 0.07-0.1 ms.
//! It never changes data or functional modules itself.

use qrcode::canvas::{Canvas, MaskPattern};

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
pub(super) fn apply_best_mask(canvas: &Canvas, width: usize) -> Vec<bool> {
    let mut best: Option<(u32, Vec<bool>)> = None;
    for pattern in PATTERNS {
        let mut candidate = canvas.clone();
        candidate.apply_mask(pattern);
        let modules: Vec<bool> = candidate
            .into_colors()
            .into_iter()
            .map(|c| c == qrcode::Color::Dark)
            .collect();
        let score = penalty(&modules, width);
        if best.as_ref().is_none_or(|(lowest, _)| score < *lowest) {
            best = Some((score, modules));
        }
    }
    best.map(|(_, modules)| modules).unwrap_or_default()
}

/// Total penalty of a masked symbol (ISO/IEC 18004 §7.8.3, as the qrcode crate computes it:
/// the balance term is linear rather than in 5 % steps. qrcode also subtracts 360 for the real
/// finder patterns, a constant that cannot change which mask wins, so it is left out here).
///
/// Rows and columns are packed into bit sets and every rule is evaluated with shifts, masks and
/// popcounts: branching per module mispredicts on what is, by design, noise-like data, and
/// that made a per-module version cost about 0.4 ms per mask.
fn penalty(modules: &[bool], width: usize) -> u32 {
    let mut rows = vec![Line::default(); width];
    let mut columns = vec![Line::default(); width];
    for (y, row) in modules.chunks_exact(width).enumerate() {
        for (x, &dark) in row.iter().enumerate() {
            rows[y].put(x, dark);
            columns[x].put(y, dark);
        }
    }
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
    let ratio = dark as usize * 200 / modules.len().max(1);
    score + ratio.abs_diff(100) as u32
}

/// One row or column of up to 192 modules; bit x is the module at position x, dark = 1.
/// Bits past the symbol's width stay 0, which the rules read as light.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Line([u64; 3]);

impl Line {
    fn first_bits(n: usize) -> Self {
        let mut words = [0u64; 3];
        for (i, word) in words.iter_mut().enumerate() {
            let bits = n.saturating_sub(64 * i).min(64);
            *word = if bits == 64 { !0 } else { (1u64 << bits) - 1 };
        }
        Self(words)
    }

    fn put(&mut self, x: usize, dark: bool) {
        if let Some(word) = self.0.get_mut(x / 64) {
            *word |= u64::from(dark) << (x % 64);
        }
    }

    /// Bit x of the result is bit x + k of `self` (k in 1..64).
    fn shr(self, k: u32) -> Self {
        let [a, b, c] = self.0;
        Self([
            (a >> k) | (b << (64 - k)),
            (b >> k) | (c << (64 - k)),
            c >> k,
        ])
    }

    /// Bit x of the result is bit x - k of `self`, 0 below k (k in 1..64).
    fn shl(self, k: u32) -> Self {
        let [a, b, c] = self.0;
        Self([
            a << k,
            (b << k) | (a >> (64 - k)),
            (c << k) | (b >> (64 - k)),
        ])
    }

    fn count(self) -> u32 {
        self.0.iter().map(|w| w.count_ones()).sum()
    }
}

impl std::ops::BitAnd for Line {
    type Output = Self;
    fn bitand(self, other: Self) -> Self {
        Self(std::array::from_fn(|i| self.0[i] & other.0[i]))
    }
}

impl std::ops::BitOr for Line {
    type Output = Self;
    fn bitor(self, other: Self) -> Self {
        Self(std::array::from_fn(|i| self.0[i] | other.0[i]))
    }
}

impl std::ops::BitXor for Line {
    type Output = Self;
    fn bitxor(self, other: Self) -> Self {
        Self(std::array::from_fn(|i| self.0[i] ^ other.0[i]))
    }
}

impl std::ops::Not for Line {
    type Output = Self;
    fn not(self) -> Self {
        Self(self.0.map(|w| !w))
    }
}
