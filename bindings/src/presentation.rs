//! A shown code: the holder-signed presentation and its QR renderings.
//!
//! [`Presentation`] is what `Wallet.show_qr` returns: the QR text, its expiry, and three ways to
//! draw it (a module matrix for native drawing, SVG, PNG). It holds only what the QR itself shows
//! the counter, never the rest of the credential, and it must never be created except from a
//! presentation the wallet signed and checked.

use netid_core::qr::QrMatrix;
use netid_core::wallet::ShownQr;

use crate::error::WalletError;
use crate::live::Live;

/// The QR symbol as modules, for drawing natively (Android `Canvas`, SwiftUI `Path`).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct QrModules {
    /// Modules per side (without the quiet zone; leave 4 light modules around it).
    pub size: u32,
    /// `size × size` booleans, row by row from the top left; `true` is dark.
    pub dark: Vec<bool>,
    /// The QR version (1 to 40).
    pub version: u8,
}

/// A holder-signed, short-lived code to show at a counter. Refresh it (`Wallet.refresh_qr`)
/// before `expires_at`.
#[derive(uniffi::Object)]
pub struct Presentation {
    pub(crate) shown: ShownQr,
    matrix: QrMatrix,
    _live: Live,
}

impl Presentation {
    pub(crate) fn new(shown: ShownQr) -> Result<Self, WalletError> {
        let matrix = QrMatrix::encode(&shown.qr_text()).map_err(|e| WalletError::Internal {
            reason: e.to_string(),
            next_step: crate::error::NextStep::ReportProblem,
        })?;
        Ok(Self {
            shown,
            matrix,
            _live: Live::new(),
        })
    }
}

impl std::fmt::Debug for Presentation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Presentation")
            .field("expires", &self.shown.expires())
            .finish_non_exhaustive()
    }
}

#[uniffi::export]
impl Presentation {
    /// Made from the full credential, not a one-time code: counters comparing notes can link
    /// codes made this way. Tell the resident before showing it.
    pub fn linkable(&self) -> bool {
        self.shown.linkable
    }

    /// The purpose's one-time codes are running low: refill when online.
    pub fn refill_due(&self) -> bool {
        self.shown.refill_due
    }

    /// The QR text (prefix + Base45; encode in alphanumeric mode at level M).
    pub fn qr_text(&self) -> String {
        // The copy handed to the host is freed by uniffi; the allocator wipes it then.
        self.shown.qr_text().to_string()
    }

    /// When the counter stops accepting this code.
    pub fn expires_at(&self) -> std::time::SystemTime {
        crate::types::instant(self.shown.expires())
    }

    /// When it was signed.
    pub fn issued_at(&self) -> std::time::SystemTime {
        crate::types::instant(self.shown.presentation.issued_at())
    }

    /// The names of the claims this code discloses.
    pub fn disclosed_claims(&self) -> Vec<String> {
        self.shown
            .presentation
            .disclosed()
            .iter()
            .map(|c| c.as_str().to_owned())
            .collect()
    }

    /// The symbol's modules, for native drawing.
    pub fn qr_modules(&self) -> QrModules {
        QrModules {
            size: u32::try_from(self.matrix.size()).unwrap_or(u32::MAX),
            dark: self.matrix.rows().flatten().copied().collect(),
            version: self.matrix.version(),
        }
    }

    /// The symbol as an SVG document with its quiet zone.
    pub fn qr_svg(&self, pixels_per_module: u32) -> Result<String, WalletError> {
        self.matrix
            .to_svg(pixels_per_module)
            .map_err(|e| WalletError::invalid(e.to_string()))
    }

    /// The symbol as a black-and-white PNG with its quiet zone (`pixels_per_module` 1 to 64).
    pub fn qr_png(&self, pixels_per_module: u32) -> Result<Vec<u8>, WalletError> {
        self.matrix
            .to_png(pixels_per_module)
            .map_err(|e| WalletError::invalid(e.to_string()))
    }
}
