//! Reading a QR code from a photo or screenshot (`netid verify --image`): PNG or JPEG in, the
//! code's text out.
//!
//! This module owns image decoding (the `image` crate, PNG and JPEG only) and QR detection
//! (`rqrr`, an independent decoder, so the counter does not trust the wallet's own QR encoder to
//! read its output). It says which of three things went wrong — the file is not an image, there
//! is no readable QR in it, or the QR is not a netid code — and never interprets the text beyond
//! its prefix. It reads the image's header before decoding anything and refuses dimensions past
//! [`MAX_IMAGE_SIDE`] / [`MAX_IMAGE_PIXELS`]: a small file can declare a huge picture (a
//! decompression bomb), and decoding it first would cost seconds and gigabytes.

use std::path::Path;

use netid_core::credential::QR_TEXT_PREFIX;

use crate::error::{CliError, CliResult};
use crate::home;

/// Largest image file accepted (a phone photo is a few MB).
const MAX_IMAGE_BYTES: usize = 64 * 1024 * 1024;
/// Longest side accepted, in pixels: a 200-megapixel phone sensor's full-resolution photo is
/// 16,320 × 12,240, but phones save 12–50 MP by default (at most 8,160 px a side), and an A4 page
/// scanned at 600 dpi is 4,961 × 7,016; a QR code needs a few hundred pixels.
pub const MAX_IMAGE_SIDE: u32 = 10_000;
/// Most pixels accepted (50 megapixels): decoding keeps the picture (up to 4 bytes a pixel, 8 for
/// 16-bit images) plus a grey copy and the QR detector's own, so this bounds the peak at roughly
/// 600 MB in the worst case and under 200 MB for an 8-bit RGB photo.
pub const MAX_IMAGE_PIXELS: u64 = 50_000_000;
/// Most bytes the decoder may allocate for one image, whatever the header says.
const MAX_DECODE_ALLOC: u64 = 512 * 1024 * 1024;

/// The netid text of the QR code in the image at `path`.
pub fn qr_text_from_image(path: &Path) -> CliResult<String> {
    let bytes = home::read("image", path)?;
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(unreadable(path, "it is larger than 64 MB"));
    }
    let image = decode_bounded(&bytes, path)?;
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

/// Decode `bytes` as a PNG or JPEG after checking the dimensions its header declares, with the
/// decoder itself limited to the same dimensions and [`MAX_DECODE_ALLOC`] bytes.
fn decode_bounded(bytes: &[u8], path: &Path) -> CliResult<image::DynamicImage> {
    const NOT_AN_IMAGE: &str = "it is not a PNG or JPEG image (or it is damaged)";
    let reader = || {
        image::ImageReader::new(std::io::Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|_| unreadable(path, NOT_AN_IMAGE))
    };
    // Only the header is read here, so a bomb is refused before any pixel is inflated.
    let (width, height) = reader()?
        .into_dimensions()
        .map_err(|_| unreadable(path, NOT_AN_IMAGE))?;
    if width > MAX_IMAGE_SIDE
        || height > MAX_IMAGE_SIDE
        || u64::from(width) * u64::from(height) > MAX_IMAGE_PIXELS
    {
        return Err(unreadable(
            path,
            &format!(
                "it declares {width} × {height} pixels, more than the {MAX_IMAGE_SIDE} pixels a \
                 side and {} megapixels accepted",
                MAX_IMAGE_PIXELS / 1_000_000
            ),
        ));
    }
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    let mut reader = reader()?;
    reader.limits(limits);
    reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => unreadable(
            path,
            "decoding it would need more memory than any photo of a code does",
        ),
        _ => unreadable(path, NOT_AN_IMAGE),
    })
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
