//! `netid issuer`: the development issuer kept in `<home>/issuer/` — its P-256 key (PKCS#8 PEM,
//! 0600), its identity, the trust list counters load, and (with `core::status`) its status list.
//!
//! This is a development tool: it mints real, verifiable credentials from a claims file so the
//! demo, the wallet commands and tests run end to end, but its key sits in a file on disk and
//! must never sign anything a real counter trusts. It never prints the private key and never
//! echoes claim values in errors.

use std::path::{Path, PathBuf};

use netid_core::credential::{DocType, OsSalts};
use netid_core::issuer::{DevIssuer, TrustList};
use netid_core::time::{Clock, SystemClock, UnixTime};
use p256::pkcs8::DecodePublicKey;
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::args::IssuerCommand;
use crate::error::{CliError, CliResult};
use crate::home::{self, Home};
use crate::output::Output;

/// How long the development issuer's key stays on its own trust list.
const TRUST_YEARS: i64 = 10;
/// Tolerated clock difference between the issuing and verifying machines at key creation.
const TRUST_BACKDATE_SECS: i64 = 300;
/// Printed with every key the development issuer creates.
pub const DEV_KEY_WARNING: &str = "This is a DEVELOPMENT issuer: its private key is a plain file on this machine. \
Use it for tests and demos only; never let a real counter trust it.";

/// The development issuer's identity file, `<home>/issuer/issuer.json`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct IssuerIdentity {
    issuer_id: String,
    kid_hex: String,
}

/// Paths of the development issuer inside a home.
pub struct IssuerFiles {
    dir: PathBuf,
}

impl IssuerFiles {
    /// The issuer files of `home`.
    pub fn new(home: &Home) -> Self {
        Self {
            dir: home.issuer_dir(),
        }
    }
    fn key(&self) -> PathBuf {
        self.dir.join("issuer-key.pem")
    }
    fn identity(&self) -> PathBuf {
        self.dir.join("issuer.json")
    }
    fn trust(&self) -> PathBuf {
        self.dir.join("trust.json")
    }
    /// Whether a development issuer exists here.
    pub fn exists(&self) -> bool {
        self.key().is_file()
    }
}

/// Run an `issuer` subcommand.
pub fn run(home: &Home, command: IssuerCommand, out: Output) -> CliResult<()> {
    match command {
        IssuerCommand::Keygen { issuer_id, force } => {
            let created = keygen(home, &issuer_id, force, out)?;
            let files = IssuerFiles::new(home);
            out.result(
                &json!({
                    "issuer_id": created.issuer_id(),
                    "kid": hex::encode(created.kid()),
                    "key_file": files.key(),
                    "trust_list": files.trust(),
                    "development_only": true,
                    "warning": DEV_KEY_WARNING,
                }),
                &format!(
                    "Created development issuer {} (kid {}).\n  key:        {}\n  trust list: {}\n\n{DEV_KEY_WARNING}",
                    created.issuer_id(),
                    hex::encode(created.kid()),
                    files.key().display(),
                    files.trust().display(),
                ),
            );
            Ok(())
        }
        IssuerCommand::Issue {
            claims,
            holder_key,
            out: out_path,
        } => issue_to_file(home, &claims, &holder_key, &out_path, out),
    }
}

/// Create the development issuer in `home` (refusing to replace one unless `force`).
pub fn keygen(home: &Home, issuer_id: &str, force: bool, out: Output) -> CliResult<DevIssuer> {
    let files = IssuerFiles::new(home);
    if files.exists() && !force {
        return Err(CliError::usage(
            "issuer-exists",
            format!(
                "a development issuer already exists in {}",
                files.dir.display()
            ),
            "keep using it, or pass --force to replace it (credentials it issued will stop verifying)",
        ));
    }
    if issuer_id.is_empty() || issuer_id.len() > 256 {
        return Err(CliError::usage(
            "bad-issuer-id",
            "the issuer id must be 1 to 256 characters",
            "pass a shorter --issuer-id, e.g. https://dev-issuer.example",
        ));
    }
    home.ensure_dir(&files.dir)?;
    out.progress("creating the development issuer key");
    let mut kid = [0u8; 8];
    OsRng.fill_bytes(&mut kid);
    let issuer = DevIssuer::generate(issuer_id, &kid);
    let pem = issuer.to_pkcs8_pem().map_err(|_| {
        CliError::usage(
            "issuer-key",
            "the new issuer key could not be encoded",
            "run `netid issuer keygen` again",
        )
    })?;
    let now = SystemClock.now();
    let mut trust = TrustList::new();
    trust
        .add(issuer.trust_entry(
            now.saturating_add(-TRUST_BACKDATE_SECS),
            now.saturating_add(TRUST_YEARS * 366 * 86_400),
            &DocType::ALL,
        ))
        .map_err(|e| CliError::usage("trust-list", e.to_string(), "run keygen again"))?;
    let identity = IssuerIdentity {
        issuer_id: issuer_id.to_owned(),
        kid_hex: hex::encode(kid),
    };
    home::write_private(&files.key(), pem.as_bytes())?;
    home::write_private(
        &files.identity(),
        serde_json::to_string_pretty(&identity)
            .unwrap_or_default()
            .as_bytes(),
    )?;
    home::write_private(&files.trust(), trust.to_json().as_bytes())?;
    Ok(issuer)
}

/// Load the development issuer of `home`.
pub fn load(home: &Home) -> CliResult<DevIssuer> {
    let files = IssuerFiles::new(home);
    if !files.exists() {
        return Err(CliError::usage(
            "no-issuer",
            format!("no development issuer in {}", files.dir.display()),
            format!(
                "create one with `netid issuer keygen --home {}`",
                home.root().display()
            ),
        ));
    }
    let damaged = |what: &str| {
        CliError::usage(
            "issuer-damaged",
            format!("the development issuer's {what} is damaged"),
            "recreate it with `netid issuer keygen --force`",
        )
    };
    let identity: IssuerIdentity =
        serde_json::from_str(&home::read_text("issuer identity", &files.identity())?)
            .map_err(|_| damaged("identity file"))?;
    let kid = hex::decode(&identity.kid_hex).map_err(|_| damaged("identity file"))?;
    let pem = zeroize::Zeroizing::new(home::read_text("issuer key", &files.key())?);
    DevIssuer::from_pkcs8_pem(&pem, &identity.issuer_id, &kid).map_err(|_| damaged("key file"))
}

/// Issue a credential from the claims file at `claims` for `holder`, at `now`.
pub fn issue(
    issuer: &DevIssuer,
    claims: &Path,
    holder: &p256::PublicKey,
    now: UnixTime,
) -> CliResult<netid_core::credential::Credential> {
    let json = home::read_text("claims file", claims)?;
    issuer
        .issue_from_claims_file(&json, holder, now, &mut OsSalts)
        .map_err(|e| {
            CliError::usage(
                "bad-claims",
                format!("{}: {e}", claims.display()),
                "fix the claims file (see docs/FORMAT.md, \"Claims file\") and try again",
            )
        })
}

fn issue_to_file(
    home: &Home,
    claims: &Path,
    holder_key: &Path,
    out_path: &Path,
    out: Output,
) -> CliResult<()> {
    let issuer = load(home)?;
    let pem = home::read_text("holder public key", holder_key)?;
    let holder = p256::PublicKey::from_public_key_pem(&pem).map_err(|_| {
        CliError::usage(
            "bad-holder-key",
            format!(
                "{} is not a P-256 public key in SPKI PEM form",
                holder_key.display()
            ),
            "pass the holder's public key (-----BEGIN PUBLIC KEY-----)",
        )
    })?;
    let credential = issue(&issuer, claims, &holder, SystemClock.now())?;
    // The credential carries its disclosures in clear: owner-only, and say so.
    home::write_private(out_path, &credential.to_bytes())?;
    out.result(
        &json!({
            "credential_file": out_path,
            "doc_type": credential.doc_type().as_str(),
            "issuer_id": credential.issuer(),
            "expires": credential.expires().as_secs(),
            "bytes": credential.to_bytes().len(),
        }),
        &format!(
            "Issued a {} credential to {} ({} bytes).\nThe file holds personal data in clear (mode 0600): hand it to the holder and delete it.",
            credential.doc_type().as_str(),
            out_path.display(),
            credential.to_bytes().len(),
        ),
    );
    Ok(())
}

/// The trust list at `path`, with errors that say what to do.
pub fn load_trust(path: &Path, home: &Home) -> CliResult<TrustList> {
    if !path.exists() {
        return Err(CliError::usage(
            "no-trust-list",
            format!("no trust list at {}", path.display()),
            format!(
                "pass --trust FILE, or create the development issuer with `netid issuer keygen --home {}`",
                home.root().display()
            ),
        ));
    }
    let text = home::read_text("trust list", path)?;
    TrustList::from_json(&text).map_err(|e| {
        CliError::usage(
            "bad-trust-list",
            format!("{}: {e}", path.display()),
            "pass a trust list in the format of docs/FORMAT.md, \"Trust list\"",
        )
    })
}
