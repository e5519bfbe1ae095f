//! Mask selection: which of the eight data masks a symbol uses.
//!
//! The qrcode crate picks the mask with the lowest penalty score, but scores each candidate
//! through per-module accessors and boxed closures, which costs about 5 ms for a version 21
//! symbol: more than the whole present budget (DESIGN.md §7). This file applies the same eight
//! masks with qrcode's own `Canvas::apply_mask` and scores them with the same rules and the same
//! tie-break on a plain `Vec<bool>`, so the chosen mask, and therefore every module, is identical
//! to `QrCode::with_bits` (a test checks that); it only makes the scoring fast. It never changes
//! data or functional modules itself.

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
fn penalty(modules: &[bool], width: usize) -> u32 {
    // Columns are scored as the rows of the transposed symbol, so every rule walks contiguous
    // memory.
    let mut transposed = vec![false; modules.len()];
    for (y, row) in modules.chunks_exact(width).enumerate() {
        for (x, &module) in row.iter().enumerate() {
            if let Some(slot) = transposed.get_mut(x * width + y) {
                *slot = module;
            }
        }
    }
    let mut score = 0u32;
    for grid in [modules, &transposed] {
        for line in grid.chunks_exact(width) {
            // Rule 1: runs of five or more modules of one colour, in rows and in columns.
            score += run_penalty(line);
            // Rule 3: dark-light-dark-dark-dark-light-dark with four light modules on at least
            // one side (outside the symbol counts as light).
            score += 40 * finder_like_count(line);
        }
    }

    // Rule 2: every 2x2 block of one colour, overlapping blocks counted.
    let rows: Vec<&[bool]> = modules.chunks_exact(width).collect();
    for pair in rows.windows(2) {
        let (upper, lower) = (pair[0], pair[1]);
        for (top, bottom) in upper.windows(2).zip(lower.windows(2)) {
            let c = top[0];
            if top[1] == c && bottom[0] == c && bottom[1] == c {
                score += 3;
            }
        }
    }

    // Rule 4: distance of the dark share from 50 %.
    let dark = modules.iter().filter(|&&d| d).count();
    let ratio = dark * 200 / modules.len().max(1);
    score + ratio.abs_diff(100) as u32
}

fn run_penalty(line: &[bool]) -> u32 {
    let mut score = 0;
    let mut length = 0u32;
    let mut last = None;
    for &module in line {
        if Some(module) == last {
            length += 1;
        } else {
            if length >= 5 {
                score += length - 2;
            }
            last = Some(module);
            length = 1;
        }
    }
    if length >= 5 {
        score += length - 2;
    }
    score
}

fn finder_like_count(line: &[bool]) -> u32 {
    let width = line.len();
    let mut count = 0;
    for (j, w) in line.windows(7).enumerate() {
        // Short-circuits on the first mismatch, which is almost always within two modules.
        if !(w[0] && !w[1] && w[2] && w[3] && w[4] && !w[5] && w[6]) {
            continue;
        }
        let light_before = line[j.saturating_sub(4)..j].iter().all(|&d| !d);
        let light_after = line[j + 7..(j + 11).min(width)].iter().all(|&d| !d);
        if light_before || light_after {
            count += 1;
        }
    }
    count
}
