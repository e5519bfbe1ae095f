//! Shared helpers for the CLI tests: run the built `netid` binary as a user would, and make
//! fixtures (credentials, presentations, QR images) with the core library and an independent
//! QR encoder.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use netid_core::credential::{Credential, OsSalts, Purpose};
use netid_core::issuer::DevIssuer;
use netid_core::present::{PresentationRequest, SoftwareHolderKey, present};
use netid_core::time::{FixedClock, UnixTime};
use serde_json::Value;

/// The claims file used throughout: the resident ID from core's vectors.
pub const RESIDENT_ID_CLAIMS: &str = include_str!("../vectors/resident-id.json");
/// A claim value that must never appear in errors, logs or the counter's cache.
pub const SECRET_NAME: &str = "李秀英";
pub const SECRET_ID_NUMBER: &str = "11010519491231002X";

/// `netid --home <home> …` with a clean environment (English: no locale variables; the i18n
/// tests set them).
pub fn netid(home: &Path) -> Command {
    let mut cmd = Command::cargo_bin("netid").expect("the netid binary is built");
    cmd.env_remove("NETID_HOME")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env_remove("LANG")
        .env_remove("NETID_PASSPHRASE")
        .env_remove("NETID_AUTH")
        .env_remove("NETID_PIN")
        .env_remove("NETID_NEW_PIN")
        .arg("--home")
        .arg(home);
    cmd
}

/// Run and parse standard output as JSON.
pub fn json_of(cmd: &mut Command) -> (i32, Value) {
    let out = cmd.arg("--json").output().expect("netid runs");
    let code = out.status.code().expect("exit code");
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, v)
}

/// A fresh home with a development issuer.
pub fn home_with_issuer() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    netid(dir.path())
        .args(["issuer", "keygen"])
        .assert()
        .success();
    dir
}

/// The development issuer of `home`, loaded from its files as `netid` wrote them.
pub fn dev_issuer(home: &Path) -> DevIssuer {
    let id: Value = serde_json::from_str(
        &std::fs::read_to_string(home.join("issuer/issuer.json")).expect("issuer.json"),
    )
    .expect("issuer.json is JSON");
    let kid = hex::decode(id["kid_hex"].as_str().expect("kid_hex")).expect("hex kid");
    let pem = std::fs::read_to_string(home.join("issuer/issuer-key.pem")).expect("key");
    DevIssuer::from_pkcs8_pem(&pem, id["issuer_id"].as_str().expect("issuer_id"), &kid)
        .expect("the key netid wrote loads")
}

/// A holder with a credential from `issuer`, issued at `at`.
pub struct Holder {
    pub key: SoftwareHolderKey,
    pub credential: Credential,
}

impl Holder {
    pub fn new(issuer: &DevIssuer, at: UnixTime) -> Self {
        let key = SoftwareHolderKey::generate();
        let holder_public = netid_core::present::HolderSigner::public_key(&key);
        let credential = issuer
            .issue_from_claims_file(RESIDENT_ID_CLAIMS, &holder_public, at, &mut OsSalts)
            .expect("the resident ID claims issue");
        Self { key, credential }
    }

    /// The QR text of a presentation for `purpose` made at `at`, for the counter whose audience
    /// is `audience` and whose challenge is `nonce` (interactive mode).
    pub fn qr_text_for(
        &self,
        purpose: Purpose,
        audience: &str,
        nonce: Option<&[u8]>,
        at: UnixTime,
    ) -> String {
        let mut request = PresentationRequest::for_purpose(purpose);
        request.audience = Some(audience.to_owned());
        request.nonce = nonce.map(<[u8]>::to_vec);
        present(&self.credential, &request, &self.key, &FixedClock::new(at))
            .expect("presentation")
            .qr_text()
            .to_string()
    }

    /// The QR text of a presentation for `purpose` made at `at`.
    pub fn qr_text(&self, purpose: Purpose, at: UnixTime) -> String {
        let clock = FixedClock::new(at);
        present(
            &self.credential,
            &PresentationRequest::for_purpose(purpose),
            &self.key,
            &clock,
        )
        .expect("presentation")
        .qr_text()
        .to_string()
    }
}

/// Now, from the system clock.
pub fn now() -> UnixTime {
    use netid_core::time::Clock;
    netid_core::time::SystemClock.now()
}

/// Draw `text` as a QR code with the `qrcode` crate (not netid's encoder) into a greyscale image
/// with a quiet zone, `scale` pixels per module.
pub fn qr_image(text: &str, scale: u32) -> image::GrayImage {
    let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M)
        .expect("text fits a QR code");
    let width = code.width() as u32;
    let colors = code.to_colors();
    let quiet = 4;
    let side = (width + 2 * quiet) * scale;
    image::GrayImage::from_fn(side, side, |x, y| {
        let (mx, my) = (x / scale, y / scale);
        let dark = mx >= quiet
            && my >= quiet
            && mx < quiet + width
            && my < quiet + width
            && colors[((my - quiet) * width + (mx - quiet)) as usize] == qrcode::Color::Dark;
        image::Luma([if dark { 0 } else { 255 }])
    })
}

/// Save `image` as `name` (PNG or JPEG by extension) in `dir`.
pub fn save(image: &image::GrayImage, dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    image.save(&path).expect("image saved");
    path
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// Whether any file under `dir` contains `needle` (as UTF-8 bytes).
pub fn any_file_contains(dir: &Path, needle: &str) -> bool {
    files_under(dir).iter().any(|p| {
        std::fs::read(p)
            .map(|b| b.windows(needle.len()).any(|w| w == needle.as_bytes()))
            .unwrap_or(false)
    })
}

/// The passphrase every wallet test uses (the passphrase store, so tests need no keyring).
pub const PASSPHRASE: &str = "correct horse battery";

/// `netid --home <home> --key-store passphrase` with NETID_PASSPHRASE set and NETID_AUTH=allow:
/// a wallet command as a script would run it.
pub fn wallet(home: &Path) -> Command {
    let mut cmd = netid(home);
    cmd.env("NETID_PASSPHRASE", PASSPHRASE)
        .env("NETID_AUTH", "allow")
        .args(["wallet", "--key-store", "passphrase"]);
    cmd
}

/// A home with a development issuer and an initialised wallet holding the resident ID; returns
/// the document id.
pub fn home_with_enrolled_wallet() -> (tempfile::TempDir, String) {
    let home = home_with_issuer();
    wallet(home.path()).arg("init").assert().success();
    let claims = home.path().join("claims.json");
    std::fs::write(&claims, RESIDENT_ID_CLAIMS).expect("write claims");
    let (code, v) = json_of(
        wallet(home.path())
            .args(["enrol", "--doctype", "resident-id", "--claims"])
            .arg(&claims),
    );
    assert_eq!(code, 0, "{v}");
    std::fs::remove_file(&claims).expect("remove the plaintext claims file");
    let id = v["id"].as_str().expect("document id").to_owned();
    (home, id)
}
