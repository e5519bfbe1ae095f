//! `netid issuer`: the development issuer kept in `<home>/issuer/` — its P-256 key (PKCS#8 PEM,
//! 0600), its identity, the trust list counters load, and (with `core::status`) its status list.
//!
//! This is a development tool: it mints real, verifiable credentials from a claims file so the
//! demo, the wallet commands and tests run end to end, but its key sits in a file on disk and
//! must never sign anything a real counter trusts. It never prints the private key and never
//! echoes claim values in errors.

use std::path::{Path, PathBuf};

use netid_core::credential::{DocType, OsSalts, StatusReference};
use netid_core::issuer::{DevIssuer, TrustList};
use netid_core::status::{StatusBits, StatusListBuilder, TokenStatus};
use netid_core::time::{Clock, SystemClock, UnixTime};
use p256::pkcs8::DecodePublicKey;
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::args::IssuerCommand;
use crate::error::{CliError, CliResult};
use crate::home::{self, Home};
use crate::output::Output;

/// The development issuer's default `iss`.
pub const DEFAULT_ISSUER_ID: &str = "netid-dev";
/// Random key id length (docs/FORMAT.md: keep it to 1–4 bytes).
const KID_LEN: usize = 2;
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
        IssuerCommand::Revoke { index } => {
            let mut state = StatusState::load(home)?;
            let entry = state.issued.iter().find(|e| e.index == index).ok_or_else(|| {
                CliError::usage(
                    "no-such-index",
                    format!("the development issuer has issued no credential with status index {index}"),
                    "list the issued credentials with `netid issuer status-list`",
                )
            })?;
            let doc_type = entry.doc_type.clone();
            let newly = !state.revoked.contains(&index);
            if newly {
                state.revoked.push(index);
                state.revoked.sort_unstable();
            }
            // Saved before signing, so the revocation is kept even if publishing fails.
            state.save(home)?;
            let published = publish_status_list(home, &mut state)?;
            out.result(
                &json!({
                    "revoked": index,
                    "doc_type": doc_type,
                    "already_revoked": !newly,
                    "status_list": published,
                }),
                &format!(
                    "{} credential with status index {index} ({doc_type}); published {}.\nCounters using this home's status list now refuse it.",
                    if newly { "Revoked the" } else { "Already revoked: the" },
                    published.display()
                ),
            );
            Ok(())
        }
        IssuerCommand::Serve { listen } => crate::issuer_serve::run(home, listen, out),
        IssuerCommand::StatusList => {
            let mut state = StatusState::load(home)?;
            let published = publish_status_list(home, &mut state)?;
            let mut text = format!(
                "Published the status list {} ({}), valid for {} days.\n",
                state.uri,
                published.display(),
                STATUS_LIST_DAYS
            );
            if state.issued.is_empty() {
                text.push_str("No credentials issued yet.\n");
            }
            let mut entries = Vec::new();
            for e in &state.issued {
                let revoked = state.revoked.contains(&e.index);
                text.push_str(&format!(
                    "  {:>5}  {:<22} issued {}  {}\n",
                    e.index,
                    e.doc_type,
                    e.issued_at,
                    if revoked { "REVOKED" } else { "valid" }
                ));
                entries.push(json!({
                    "index": e.index,
                    "doc_type": e.doc_type,
                    "issued_at": e.issued_at,
                    "status": if revoked { "revoked" } else { "valid" },
                }));
            }
            out.result(
                &json!({"uri": state.uri, "file": published, "entries": entries}),
                &text,
            );
            Ok(())
        }
    }
}

/// Entries in the development issuer's status list.
const STATUS_LIST_SIZE: u64 = 4096;
/// How long a published status list is acceptable to counters.
pub const STATUS_LIST_DAYS: u64 = 30;
/// How long a counter may use a loaded list before reloading it.
const STATUS_LIST_TTL_SECS: u64 = 3600;

/// The development issuer's record of status-list entries, `<home>/issuer/status.json`: indexes,
/// document types and issue times only, never personal data.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusState {
    uri: String,
    issued: Vec<IssuedEntry>,
    revoked: Vec<u64>,
    /// `iat` of the last published list. Each new list gets a later one: counters refuse a
    /// different list with the same `iat` (docs/FORMAT.md §7), and a revocation published in the
    /// same second as the previous list must still reach them.
    #[serde(default)]
    published_iat: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct IssuedEntry {
    index: u64,
    doc_type: String,
    issued_at: i64,
}

impl StatusState {
    fn path(home: &Home) -> PathBuf {
        home.issuer_dir().join("status.json")
    }

    fn load(home: &Home) -> CliResult<Self> {
        if !IssuerFiles::new(home).exists() {
            return Err(no_issuer(home));
        }
        let text = home::read_text("status list state", &Self::path(home))?;
        serde_json::from_str(&text).map_err(|_| {
            CliError::usage(
                "issuer-damaged",
                format!("{} is damaged", Self::path(home).display()),
                "recreate the development issuer with `netid issuer keygen --force`",
            )
        })
    }

    fn save(&self, home: &Home) -> CliResult<()> {
        home::write_private(
            &Self::path(home),
            serde_json::to_string_pretty(self)
                .unwrap_or_default()
                .as_bytes(),
        )
    }
}

/// The URI the development issuer's credentials name for their status list (`{issuer_id}/s`).
pub fn status_uri(home: &Home) -> CliResult<String> {
    Ok(StatusState::load(home)?.uri)
}

/// The published token: `<home>/issuer/status-list.cwt`, where counters look for it.
pub fn status_list_file(trust_dir: &Path) -> PathBuf {
    trust_dir.join("status-list.cwt")
}

/// Take the next status-list entry for a credential of `doc_type` issued at `now`.
pub fn allocate_status(
    home: &Home,
    doc_type: DocType,
    now: UnixTime,
) -> CliResult<StatusReference> {
    let mut state = StatusState::load(home)?;
    let index = state.issued.len() as u64;
    if index >= STATUS_LIST_SIZE {
        return Err(CliError::usage(
            "status-list-full",
            format!(
                "the development issuer's status list is full ({STATUS_LIST_SIZE} credentials)"
            ),
            "create a new development issuer with `netid issuer keygen --force`",
        ));
    }
    state.issued.push(IssuedEntry {
        index,
        doc_type: doc_type.as_str().to_owned(),
        issued_at: now.as_secs(),
    });
    state.save(home)?;
    Ok(StatusReference {
        idx: index,
        uri: state.uri,
    })
}

/// Sign the current status list with the issuer key (an `iat` later than the last one's), save
/// `state` and write the list where counters look.
fn publish_status_list(home: &Home, state: &mut StatusState) -> CliResult<PathBuf> {
    let issuer = load(home)?;
    let failed = |e: netid_core::status::StatusError| {
        CliError::usage(
            "status-list",
            e.to_string(),
            "run `netid issuer status-list` again",
        )
    };
    let mut builder = StatusListBuilder::new(
        &state.uri,
        STATUS_LIST_SIZE,
        StatusBits::from_count(1).map_err(failed)?,
    )
    .map_err(failed)?;
    for index in &state.revoked {
        builder.set(*index, TokenStatus::Revoked).map_err(failed)?;
    }
    let now = u64::try_from(SystemClock.now().as_secs()).unwrap_or(0);
    let issued_at = now.max(state.published_iat.saturating_add(1));
    builder
        .time_to_live(STATUS_LIST_TTL_SECS)
        .expires_at(now + STATUS_LIST_DAYS * 86_400);
    let bytes = issuer
        .sign_status_list(
            &builder,
            UnixTime::from_secs(i64::try_from(issued_at).unwrap_or(0)),
        )
        .map_err(failed)?;
    state.published_iat = issued_at;
    state.save(home)?;
    let path = status_list_file(&home.issuer_dir());
    home::write_private(&path, &bytes)?;
    Ok(path)
}

fn no_issuer(home: &Home) -> CliError {
    CliError::usage(
        "no-issuer",
        format!("no development issuer in {}", home.issuer_dir().display()),
        format!(
            "create one with `netid issuer keygen --home {}`",
            home.root().display()
        ),
    )
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
    // Short identifiers keep the hotel code within its QR size budget (docs/FORMAT.md §5).
    let mut kid = [0u8; KID_LEN];
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
    let mut state = StatusState {
        uri: format!("{issuer_id}/s"),
        issued: Vec::new(),
        revoked: Vec::new(),
        published_iat: 0,
    };
    publish_status_list(home, &mut state)?;
    Ok(issuer)
}

/// Load the development issuer of `home`.
pub fn load(home: &Home) -> CliResult<DevIssuer> {
    let files = IssuerFiles::new(home);
    if !files.exists() {
        return Err(no_issuer(home));
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

fn bad_claims(path: &Path, e: &dyn std::fmt::Display) -> CliError {
    CliError::usage(
        "bad-claims",
        format!("{}: {e}", path.display()),
        "fix the claims file (see docs/FORMAT.md, \"Claims file\") and try again",
    )
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
    let now = SystemClock.now();
    let json_text = home::read_text("claims file", claims)?;
    let document =
        netid_core::issuer::parse_claims_file(&json_text).map_err(|e| bad_claims(claims, &e))?;
    let status = allocate_status(home, document.doc_type, now)?;
    let index = status.idx;
    let credential = issuer
        .issue(&document, &holder, now, Some(status), &mut OsSalts)
        .map_err(|e| bad_claims(claims, &e))?;
    // The credential carries its disclosures in clear: owner-only, and say so.
    home::write_private(out_path, &credential.to_bytes())?;
    out.result(
        &json!({
            "credential_file": out_path,
            "doc_type": credential.doc_type().as_str(),
            "issuer_id": credential.issuer(),
            "expires": credential.expires().as_secs(),
            "bytes": credential.to_bytes().len(),
            "status_index": index,
        }),
        &format!(
            "Issued a {} credential to {} ({} bytes), status index {index}.\nThe file holds personal data in clear (mode 0600): hand it to the holder and delete it.",
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
