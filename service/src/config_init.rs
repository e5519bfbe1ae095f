//! `netid-verifier config init`: a working configuration for a development netid home, and
//! the one counter token it authorises.
//!
//! This module owns writing that file. The token is random, shown once on standard output and
//! never written anywhere: the file keeps only its SHA-256. It must never overwrite an existing
//! file unless asked to, and never write a configuration that `Config::load` would refuse.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use rand_core::{OsRng, RngCore};
use zeroize::Zeroizing;

use crate::auth::token_digest_hex;
use crate::config::Config;

/// What `config init` was asked for.
pub struct InitRequest {
    /// The netid home whose development issuer the service trusts.
    pub netid_home: PathBuf,
    /// Where to write the configuration.
    pub out: PathBuf,
    /// `netid issuer serve`'s base URL; without it, the home's files are read directly.
    pub issuer_url: Option<String>,
    /// Replace an existing file.
    pub force: bool,
}

/// The written configuration's path and the counter's token (shown once).
pub struct Initialised {
    /// The configuration file.
    pub path: PathBuf,
    /// `desk-1`'s bearer token.
    pub token: Zeroizing<String>,
}

/// Write the configuration; errors are messages for the person running the command.
pub fn init(request: &InitRequest) -> Result<Initialised, String> {
    let home = request.netid_home.canonicalize().map_err(|e| {
        format!(
            "the netid home {} cannot be opened ({e}); create one with `netid --home DIR issuer keygen`",
            request.netid_home.display()
        )
    })?;
    let issuer_dir = home.join("issuer");
    let trust_file = issuer_dir.join("trust.json");
    let status_file = issuer_dir.join("status-list.cwt");
    let status_uri = read_status_uri(&issuer_dir.join("status.json"))?;
    if !trust_file.is_file() {
        return Err(format!(
            "{} has no trust list; run `netid --home {} issuer keygen` first",
            home.display(),
            home.display()
        ));
    }
    if request.out.exists() && !request.force {
        return Err(format!(
            "{} exists; choose another --out or pass --force to replace it",
            request.out.display()
        ));
    }
    let out_dir = match request.out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let out_dir = out_dir.canonicalize().map_err(|e| {
        format!(
            "the directory of {} cannot be opened ({e})",
            request.out.display()
        )
    })?;
    let stem = request.out.file_stem().map_or_else(
        || "netid-verifier".into(),
        |s| s.to_string_lossy().into_owned(),
    );
    let state_file = out_dir.join(format!("{stem}.status-state.json"));

    let mut raw = [0u8; 32];
    OsRng.fill_bytes(&mut raw);
    let token = Zeroizing::new(hex::encode(raw));
    raw.iter_mut().for_each(|b| *b = 0);
    let digest = token_digest_hex(&token);

    let mut text = String::new();
    let _ = writeln!(
        text,
        "# netid-verifier configuration for the development netid home {home}, written by\n\
         # `netid-verifier config init`. docs/service.md describes every key.\n\
         listen = \"127.0.0.1:8088\"\n",
        home = home.display()
    );
    match &request.issuer_url {
        None => {
            let _ = writeln!(
                text,
                "# Trust and status lists are read from the home's files, and re-read when they change.\n\
                 [trust]\nfile = {}\nrefresh_seconds = 5\n\n\
                 [status]\nrefresh_seconds = 5\nstate_file = {}\n\n\
                 [[status.source]]\nuri = {}\nfile = {}\n",
                quote(&trust_file.display().to_string()),
                quote(&state_file.display().to_string()),
                quote(&status_uri),
                quote(&status_file.display().to_string()),
            );
        }
        Some(url) => {
            let base = url.trim_end_matches('/');
            let Some(cut) = status_uri.rfind('/') else {
                return Err(format!(
                    "the home's status list URI {status_uri:?} has no path; re-create the issuer with \
                     `netid issuer keygen --issuer-id https://…`"
                ));
            };
            let uri_prefix = &status_uri[..=cut];
            let _ = writeln!(
                text,
                "# Trust and status lists are fetched from `netid issuer serve` at {base}.\n\
                 [trust]\nurl = {}\nrefresh_seconds = 60\n\n\
                 [status]\nrefresh_seconds = 30\nstate_file = {}\n\n\
                 [[status.source]]\nuri_prefix = {}\nfetch_prefix = {}\nlists = [{}]\n",
                quote(&format!("{base}/trust-list.json")),
                quote(&state_file.display().to_string()),
                quote(uri_prefix),
                quote(&format!("{base}/")),
                quote(&status_uri),
            );
        }
    }
    let _ = writeln!(
        text,
        "[verifier]\nskew_seconds = 30\nmax_age_seconds = 120\n\n\
         # The embedded in-process replay cache unless a Redis is named here or with --redis.\n\
         [replay]\n# redis_url = \"redis://127.0.0.1:6379\"\ntimeout_ms = 250\n\n\
         # Every purpose netid knows, with its default policy, is served (add [[purposes]] to narrow).\n\n\
         [[counter]]\nid = \"desk-1\"\ntoken_sha256 = \"{digest}\"\nrate_per_second = 20\nburst = 40"
    );
    Config::parse(&text, &request.out)
        .map_err(|e| format!("internal error: the written configuration is refused: {e}"))?;
    write_private(&request.out, &text)
        .map_err(|e| format!("cannot write {}: {e}", request.out.display()))?;
    Ok(Initialised {
        path: request.out.clone(),
        token,
    })
}

fn read_status_uri(status_json: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(status_json).map_err(|e| {
        format!(
            "cannot read {} ({e}); is this a netid home with an issuer (`netid issuer keygen`)?",
            status_json.display()
        )
    })?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("{} is not JSON: {e}", status_json.display()))?;
    value["uri"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("{} has no status list `uri`", status_json.display()))
}

/// A TOML basic string (JSON's escapes are a subset of TOML's).
fn quote(value: &str) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "\"\"".into())
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    use std::io::Write;
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}
