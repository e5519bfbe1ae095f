//! SVG rendering of a [`QrMatrix`]: one `<path>` of horizontal runs on a white background.
//!
//! One path of runs instead of a `<rect>` per module keeps a version 20 symbol to a few kilobytes
//! and avoids the hairline seams some renderers draw between adjacent rectangles. This file only
//! formats; it never decides what is dark.

use std::fmt::Write;

use super::{QUIET_ZONE_MODULES, QrMatrix};

pub(super) fn render(matrix: &QrMatrix, pixels_per_module: u32) -> String {
    let side = matrix.size_with_quiet_zone();
    let pixels = side as u64 * u64::from(pixels_per_module);
    // Roughly 10 bytes per run and about one run per three modules of a typical symbol.
    let mut out = String::with_capacity(256 + matrix.size() * matrix.size() * 4);
    // `write!` into a String cannot fail; the results are ignored for that reason.
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{pixels}\" \
         height=\"{pixels}\" viewBox=\"0 0 {side} {side}\" shape-rendering=\"crispEdges\">\
         <rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/><path fill=\"#000\" d=\""
    );
    for (y, row) in matrix.rows().enumerate() {
        let mut x = 0;
        while x < row.len() {
            if !row[x] {
                x += 1;
                continue;
            }
            let start = x;
            while x < row.len() && row[x] {
                x += 1;
            }
            let run = x - start;
            // Hand-formatted: `write!` per run was most of the rendering time.
            out.push('M');
            push_number(&mut out, start + QUIET_ZONE_MODULES);
            out.push(' ');
            push_number(&mut out, y + QUIET_ZONE_MODULES);
            out.push('h');
            push_number(&mut out, run);
            out.push_str("v1h-");
            push_number(&mut out, run);
            out.push('z');
        }
    }
    out.push_str("\"/></svg>");
    out
}

/// Appends a decimal number; coordinates in a QR picture are below 200.
fn push_number(out: &mut String, n: usize) {
    if n >= 10 {
        push_number(out, n / 10);
    }
    out.push(char::from(b'0' + (n % 10) as u8));
}
