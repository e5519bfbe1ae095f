//! QR rendering cost for a realistic presentation: 1,000 alphanumeric characters (version 21 at
//! level M), the upper end of what the hotel disclosure produces. The present budget (DESIGN.md
//! §7: sign + base45 + QR encode + SVG ≤ 2 ms median) leaves roughly 1.5 ms for encode + SVG.

use criterion::{Criterion, criterion_group, criterion_main};
use netid_core::qr::{QrMatrix, TerminalColors};
use std::hint::black_box;

const BASE45: &[u8; 45] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

fn presentation_text(length: usize) -> String {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut text = String::from("NID1:");
    while text.len() < length {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        text.push(char::from(BASE45[(state % 45) as usize]));
    }
    text
}

fn qr(c: &mut Criterion) {
    let text = presentation_text(1_000);
    let matrix = QrMatrix::encode(&text).expect("1,000 alphanumeric characters fit");
    assert_eq!(matrix.version(), 21);

    let mut group = c.benchmark_group("qr_1000_chars_v21_M");
    group.bench_function("encode", |b| {
        b.iter(|| QrMatrix::encode(black_box(&text)).unwrap())
    });
    group.bench_function("encode+svg", |b| {
        b.iter(|| {
            QrMatrix::encode(black_box(&text))
                .unwrap()
                .to_svg(4)
                .unwrap()
        })
    });
    group.bench_function("svg_only", |b| {
        b.iter(|| black_box(&matrix).to_svg(4).unwrap())
    });
    group.bench_function("png_only_4px", |b| {
        b.iter(|| black_box(&matrix).to_png(4).unwrap())
    });
    group.bench_function("encode+png_4px", |b| {
        b.iter(|| {
            QrMatrix::encode(black_box(&text))
                .unwrap()
                .to_png(4)
                .unwrap()
        })
    });
    group.bench_function("terminal_only", |b| {
        b.iter(|| black_box(&matrix).to_terminal(TerminalColors::Ansi))
    });
    group.finish();

    // The alternatives measured against qrcode for the same text and level (see the report in
    // the module documentation of core::qr).
    let mut alternatives = c.benchmark_group("qr_1000_chars_v21_M_alternatives");
    alternatives.bench_function("fast_qr_encode", |b| {
        b.iter(|| {
            fast_qr::QRBuilder::new(black_box(text.as_bytes()))
                .ecl(fast_qr::ECL::M)
                .mode(fast_qr::Mode::Alphanumeric)
                .build()
                .unwrap()
        })
    });
    alternatives.bench_function("qrcode_fixed_mask_no_selection", |b| {
        use qrcode::bits::Bits;
        use qrcode::canvas::{Canvas, MaskPattern};
        use qrcode::{EcLevel, Version};
        b.iter(|| {
            let mut bits = Bits::new(Version::Normal(21));
            bits.push_alphanumeric_data(black_box(text.as_bytes()))
                .unwrap();
            bits.push_terminator(EcLevel::M).unwrap();
            let data = bits.into_bytes();
            let (data, ec) =
                qrcode::ec::construct_codewords(&data, Version::Normal(21), EcLevel::M).unwrap();
            let mut canvas = Canvas::new(Version::Normal(21), EcLevel::M);
            canvas.draw_all_functional_patterns();
            canvas.draw_data(&data, &ec);
            canvas.apply_mask(MaskPattern::Checkerboard);
            canvas.into_colors()
        })
    });
    alternatives.finish();
}

criterion_group!(benches, qr);
criterion_main!(benches);
