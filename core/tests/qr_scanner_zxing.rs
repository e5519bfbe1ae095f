//! PNG renderings are read by zxing-cpp (through its Python package and Pillow), the scanner
//! library many counter apps embed; the decoded text must equal the QR text exactly.

mod qr_support;

use netid_core::qr::{ErrorCorrection, QrMatrix};
use std::process::Command;

use qr_support::{qr_text, scan_with_zxing, workspace_root};

#[test]
fn zxing_reads_short_and_long_qr_texts_exactly() {
    for length in [8, 100, 500, 970, 1_000] {
        let text = qr_text(length, 1_000 + length as u64);
        let matrix = QrMatrix::encode(&text).unwrap();
        let (decoded, notes) = scan_with_zxing(&matrix.to_png(4).unwrap());
        assert_eq!(decoded, text, "{length} chars, v{}", matrix.version());
        assert!(notes.contains("ec=M"), "level M expected: {notes}");
    }
}

#[test]
fn zxing_reads_every_level_and_a_small_module_size() {
    let text = qr_text(250, 42);
    for (level, name) in [
        (ErrorCorrection::Low, "L"),
        (ErrorCorrection::Quartile, "Q"),
        (ErrorCorrection::High, "H"),
    ] {
        let matrix = QrMatrix::encode_with(&text, level).unwrap();
        // Two pixels per module is what a small phone screen may end up showing.
        let (decoded, notes) = scan_with_zxing(&matrix.to_png(2).unwrap());
        assert_eq!(decoded, text);
        assert!(notes.contains(&format!("ec={name}")), "{notes}");
    }
}

#[test]
fn blanking_a_third_of_the_symbol_defeats_the_scanner() {
    // Guards the guard: the decoder really looks at our pixels. Blank the middle third of the
    // image rows and zxing must fail, so the passing tests above are not vacuous.
    let text = qr_text(300, 9);
    let png = QrMatrix::encode(&text).unwrap().to_png(3).unwrap();
    let (width, height, mut pixels) = qr_support::decode_png(&png);
    for row in height / 3..2 * height / 3 {
        pixels[row * width..(row + 1) * width].fill(255);
    }
    let mut damaged = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut damaged, width as u32, height as u32);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(&pixels).unwrap();
    }
    let root = workspace_root();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("damaged.png");
    std::fs::write(&file, &damaged).unwrap();
    let status = Command::new(root.join(".venv/bin/python"))
        .arg(root.join("scripts/qr_decode.py"))
        .arg(&file)
        .output()
        .expect("run scripts/qr_decode.py");
    assert!(
        !status.status.success(),
        "a third of the symbol blanked out must not decode"
    );
}
