//! The netid home directory and its layout (docs/cli.md, "Home layout"):
//! `wallet/` (the encrypted store), `issuer/` (the development issuer's key, trust list and
//! status lists) and `counter/` (the replay cache).
//!
//! This module owns paths and the file-creation rules: directories 0700, secret or per-user
//! files 0600, replaced by writing a temporary file and renaming it so a crash never leaves half
//! a file. It never reads file contents on behalf of another module's format.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{CliError, CliResult};

/// A netid home directory.
#[derive(Clone, Debug)]
pub struct Home {
    root: PathBuf,
}

impl Home {
    /// The home named by `--home`/`NETID_HOME`, or `~/.netid`.
    pub fn resolve(explicit: Option<PathBuf>) -> CliResult<Self> {
        if let Some(root) = explicit {
            return Ok(Self { root });
        }
        match std::env::var_os("HOME") {
            Some(h) if !h.is_empty() => Ok(Self {
                root: PathBuf::from(h).join(".netid"),
            }),
            _ => Err(CliError::usage(
                "missing-home",
                "no netid home directory: neither --home, NETID_HOME nor HOME is set",
                "pass --home DIR or set NETID_HOME",
            )),
        }
    }

    /// A home at `root`.
    pub fn at(root: PathBuf) -> Self {
        Self { root }
    }

    /// The home directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `<home>/wallet`.
    pub fn wallet_dir(&self) -> PathBuf {
        self.root.join("wallet")
    }

    /// `<home>/issuer`.
    pub fn issuer_dir(&self) -> PathBuf {
        self.root.join("issuer")
    }

    /// `<home>/counter`.
    pub fn counter_dir(&self) -> PathBuf {
        self.root.join("counter")
    }

    /// `<home>/issuer/trust.json`: the counter's default trust list.
    pub fn trust_list(&self) -> PathBuf {
        self.issuer_dir().join("trust.json")
    }

    /// Create `dir` (and the home) with mode 0700 if missing.
    pub fn ensure_dir(&self, dir: &Path) -> CliResult<()> {
        create_private_dir(&self.root)?;
        create_private_dir(dir)
    }
}

fn create_private_dir(dir: &Path) -> CliResult<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|e| CliError::write_file("directory", dir, &e))
}

/// Write `bytes` to `path` with mode 0600, atomically (temporary file, then rename).
pub fn write_private(path: &Path, bytes: &[u8]) -> CliResult<()> {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let tmp = path.with_file_name(format!(".{file_name}.tmp{}", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut options = fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut f = options.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        CliError::write_file("file", path, &e)
    })
}

/// Read a file the user named.
pub fn read(what: &str, path: &Path) -> CliResult<Vec<u8>> {
    fs::read(path).map_err(|e| CliError::read_file(what, path, &e))
}

/// Read a text file the user named.
pub fn read_text(what: &str, path: &Path) -> CliResult<String> {
    let bytes = read(what, path)?;
    String::from_utf8(bytes).map_err(|_| {
        CliError::usage(
            "bad-file",
            format!("{what} {} is not UTF-8 text", path.display()),
            format!("check that {} is the right file", path.display()),
        )
    })
}
