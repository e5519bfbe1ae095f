//! Terminal rendering of a [`QrMatrix`] with Unicode half blocks, two module rows per line.
//!
//! A scanner needs dark modules darker than light ones, but a terminal's glyphs are drawn in the
//! foreground colour, which is light on a dark theme and dark on a light one. This file therefore
//! either sets both colours explicitly, or draws the glyphs for whichever modules match the
//! foreground the caller says the terminal has. It never guesses the theme.

use super::QrMatrix;

const UPPER: char = '\u{2580}';
const LOWER: char = '\u{2584}';
const FULL: char = '\u{2588}';

/// How the picture maps onto terminal colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TerminalColors {
    /// ANSI escapes set black glyphs on a bright white background on every line, so the symbol
    /// reads the same on dark and light themes. The default.
    #[default]
    Ansi,
    /// No escapes, for a terminal with a light foreground on a dark background: glyphs mark the
    /// light modules, and everything undrawn shows as dark.
    PlainOnDark,
    /// No escapes, for a terminal with a dark foreground on a light background: glyphs mark the
    /// dark modules.
    PlainOnLight,
}

/// ANSI: foreground black (30), background bright white (107); reset at the end of each line so
/// a line break never paints the rest of the terminal row.
const ANSI_START: &str = "\u{1b}[30;107m";
const ANSI_RESET: &str = "\u{1b}[0m";

pub(super) fn render(matrix: &QrMatrix, colors: TerminalColors) -> String {
    let side = matrix.size_with_quiet_zone();
    let lines = side.div_ceil(2);
    let mut out = String::with_capacity(lines * (side * 3 + 16));
    for line in 0..lines {
        let top_y = 2 * line;
        let bottom_y = top_y + 1;
        if colors == TerminalColors::Ansi {
            out.push_str(ANSI_START);
        }
        for x in 0..side {
            let top = matrix.is_dark_in_quiet_frame(x, top_y);
            // The half row below an odd-sized picture is not part of it: it stays undrawn.
            let bottom = (bottom_y < side).then(|| matrix.is_dark_in_quiet_frame(x, bottom_y));
            let (draw_top, draw_bottom) = match colors {
                TerminalColors::Ansi | TerminalColors::PlainOnLight => {
                    (top, bottom.unwrap_or(false))
                }
                TerminalColors::PlainOnDark => (!top, bottom.is_some_and(|dark| !dark)),
            };
            out.push(match (draw_top, draw_bottom) {
                (true, true) => FULL,
                (true, false) => UPPER,
                (false, true) => LOWER,
                (false, false) => ' ',
            });
        }
        if colors == TerminalColors::Ansi {
            out.push_str(ANSI_RESET);
        }
        out.push('\n');
    }
    out
}
