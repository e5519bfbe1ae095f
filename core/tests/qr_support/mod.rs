//! Helpers shared by the QR tests: realistic QR texts, an independent PNG decoder and the
//! zxing-cpp scanner.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

/// The 45 characters of QR alphanumeric mode, in base45 order.
pub const BASE45_ALPHABET: &[u8; 45] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/// "NID1:" followed by `length - 5` pseudo-random base45 characters, as a presentation's QR text
/// looks; deterministic so a failure reproduces.
pub fn qr_text(length: usize, seed: u64) -> String {
    let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    let mut text = String::from("NID1:");
    while text.len() < length {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let index = ((state >> 33) % 45) as usize;
        text.push(char::from(BASE45_ALPHABET[index]));
    }
    text.truncate(length);
    text
}

/// A greyscale image decoded by the `png` crate: (width, height, one luminance byte per pixel).
pub fn decode_png(bytes: &[u8]) -> (usize, usize, Vec<u8>) {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().expect("PNG header must parse");
    let mut buffer = vec![
        0;
        reader
            .output_buffer_size()
            .expect("PNG size must fit memory")
    ];
    let info = reader
        .next_frame(&mut buffer)
        .expect("PNG data must decode");
    assert_eq!(
        info.color_type,
        png::ColorType::Grayscale,
        "expected greyscale output"
    );
    assert_eq!(
        info.bit_depth,
        png::BitDepth::Eight,
        "EXPAND must widen 1-bit pixels"
    );
    buffer.truncate(info.buffer_size());
    (info.width as usize, info.height as usize, buffer)
}

pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("core/ lives inside the workspace")
        .to_path_buf()
}

/// Runs scripts/qr_decode.py on `png` and returns the decoded text and the decoder's notes.
pub fn scan_with_zxing(png: &[u8]) -> (String, String) {
    let root = workspace_root();
    let python = root.join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/setup.sh (it creates .venv with zxing-cpp and Pillow)",
        python.display()
    );
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("qr.png");
    std::fs::write(&file, png).expect("write the PNG");
    let output = Command::new(&python)
        .arg(root.join("scripts/qr_decode.py"))
        .arg(&file)
        .output()
        .expect("run scripts/qr_decode.py");
    let notes = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "zxing-cpp could not decode the PNG: {notes}\n(if zxingcpp or PIL is missing, run \
         scripts/setup.sh)"
    );
    let text = String::from_utf8(output.stdout).expect("decoded text is UTF-8");
    (text, notes)
}

/// The smallest QR version that holds `text` at error correction M (the size tests' measure).
pub fn qr_version(text: &str) -> i16 {
    let code =
        qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M).unwrap();
    match code.version() {
        qrcode::Version::Normal(v) => v,
        qrcode::Version::Micro(_) => 0,
    }
}
