//! Reading a QR code from a photo or screenshot (`netid verify --image`): PNG or JPEG in, the
//! code's text out.
//!
//! This module owns image decoding (the `image` crate, PNG and JPEG only) and QR detection
//! (`rqrr`, an independent decoder, so the counter does not trust the wallet's own QR encoder to
//! read its output). It says which of three things went wrong — the file is not an image, there
//! is no readable QR in it, or the QR is not a netid code — and never interprets the text beyond
//! its prefix.

use std::path::Path;

use netid_core::credential::QR_TEXT_PREFIX;

use crate::error::{CliError, CliResult};
use crate::home;

/// Largest image file accepted (a phone photo is a few MB).
const MAX_IMAGE_BYTES: usize = 64 * 1024 * 1024;

/// The netid text of the QR code in the image at `path`.
pub fn qr_text_from_image(path: &Path) -> CliResult<String> {
    let bytes = home::read("image", path)?;
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(unreadable(path, "it is larger than 64 MB"));
    }
    let image = image::load_from_memory(&bytes)
        .map_err(|_| unreadable(path, "it is not a PNG or JPEG image (or it is damaged)"))?;
    let grey = image.to_luma8();
    let (width, height) = grey.dimensions();
    let (w, h) = (width as usize, height as usize);
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
        // Coordinates come from rqrr within (w, h), which are the image's own dimensions.
        grey.get_pixel_checked(x as u32, y as u32)
            .map(|p| p.0[0])
            .unwrap_or(255)
    });
    let texts: Vec<String> = prepared
        .detect_grids()
        .into_iter()
        .filter_map(|grid| grid.decode().ok().map(|(_, text)| text))
        .collect();
    if texts.is_empty() {
        return Err(CliError::usage(
            "no-qr-found",
            format!("no readable QR code found in {}", path.display()),
            "take a sharper, well-lit photo with the whole code and its white border in frame, or pass --text",
        ));
    }
    texts
        .into_iter()
        .find(|t| t.starts_with(QR_TEXT_PREFIX))
        .ok_or_else(not_netid)
}

/// The error for a QR (or text) that is not a netid code at all.
pub fn not_netid() -> CliError {
    CliError::usage(
        "not-netid",
        format!("this is not a netid code (its text does not start with {QR_TEXT_PREFIX})"),
        "scan the network ID code shown in the resident's wallet app",
    )
}

fn unreadable(path: &Path, why: &str) -> CliError {
    CliError::usage(
        "unreadable-image",
        format!("cannot read the image {}: {why}", path.display()),
        "pass a PNG or JPEG photo or screenshot of the code",
    )
}
