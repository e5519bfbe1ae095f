//! The rollback guard's record on disk (`[status] state_file`): for each status list URI the
//! newest list this instance accepted — `iat`, SHA-256, fetched-at and the token — so that after
//! a restart a list older than one already seen is still refused, and a kept list still answers
//! (with its original fetched-at) while the issuer is unreachable (docs/FORMAT.md §7).
//!
//! This module owns that file: JSON in the same shape as the CLI counter's
//! `counter/status-lists.json`, replaced atomically (temporary file, fsync, rename) on every
//! change, and an exclusive lock on a sibling `.lock` file for the life of the process so two
//! instances never share one record. It implements the core's [`StatusHighWater`]; the rules are
//! the core's. It must never forget a record: a damaged file stops the service from starting
//! rather than being reset, and a failed write leaves the offered list unaccepted. It holds no
//! personal data (a status list is a bit array).

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use netid_core::status::{StatusError, StatusHighWater, StatusListRecord};
use serde::{Deserialize, Serialize};

use super::SourcesError;

#[derive(Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordFile {
    lists: Vec<Entry>,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    uri: String,
    issued_at: u64,
    sha256_hex: String,
    fetched_at: u64,
    token_hex: String,
}

/// The record file, loaded and locked.
#[derive(Debug)]
pub(crate) struct FileHighWater {
    path: PathBuf,
    records: HashMap<String, (StatusListRecord, Vec<u8>)>,
    _lock: fs::File,
}

impl FileHighWater {
    /// Lock and read the record at `path` (empty if the file does not exist yet).
    pub fn open(path: &Path) -> Result<Self, SourcesError> {
        let state_error = |reason: String| SourcesError::StateFile {
            path: path.to_path_buf(),
            reason,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir)
                .map_err(|e| state_error(format!("cannot create its directory: {e}")))?;
        }
        let lock_path = sibling(path, ".lock");
        let lock = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| state_error(format!("cannot open {}: {e}", lock_path.display())))?;
        lock.try_lock().map_err(|_| {
            state_error(
                "another netid-verifier instance holds it; give each instance its own \
                 [status] state_file"
                    .into(),
            )
        })?;
        let file: RecordFile = match fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|_| damaged(path))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => RecordFile::default(),
            Err(e) => return Err(state_error(format!("cannot read it: {e}"))),
        };
        let mut records = HashMap::new();
        for entry in file.lists {
            let digest = hex::decode(&entry.sha256_hex)
                .ok()
                .and_then(|d| <[u8; 32]>::try_from(d).ok());
            let token = hex::decode(&entry.token_hex).ok();
            let (Some(digest), Some(token)) = (digest, token) else {
                return Err(damaged(path));
            };
            let record = StatusListRecord {
                uri: entry.uri.clone(),
                issued_at: entry.issued_at,
                digest,
                fetched_at: entry.fetched_at,
            };
            if records.insert(entry.uri, (record, token)).is_some() {
                return Err(damaged(path));
            }
        }
        Ok(Self {
            path: path.to_path_buf(),
            records,
            _lock: lock,
        })
    }

    /// The kept tokens, one per URI.
    pub fn kept(&self) -> Vec<(String, Vec<u8>)> {
        self.records
            .iter()
            .map(|(uri, (_, token))| (uri.clone(), token.clone()))
            .collect()
    }

    fn write(&self) -> std::io::Result<()> {
        let mut lists: Vec<Entry> = self
            .records
            .values()
            .map(|(record, token)| Entry {
                uri: record.uri.clone(),
                issued_at: record.issued_at,
                sha256_hex: hex::encode(record.digest),
                fetched_at: record.fetched_at,
                token_hex: hex::encode(token),
            })
            .collect();
        lists.sort_by(|a, b| a.uri.cmp(&b.uri));
        let json =
            serde_json::to_vec_pretty(&RecordFile { lists }).map_err(std::io::Error::other)?;
        let tmp = sibling(&self.path, &format!(".tmp{}", std::process::id()));
        let result = (|| {
            let mut options = fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            let mut file = options.open(&tmp)?;
            file.write_all(&json)?;
            file.sync_all()?;
            fs::rename(&tmp, &self.path)?;
            // The rename itself must survive a crash, or the old record comes back.
            #[cfg(unix)]
            if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
                fs::File::open(dir)?.sync_all()?;
            }
            Ok(())
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }
}

impl StatusHighWater for FileHighWater {
    fn newest(&self, uri: &str) -> Result<Option<StatusListRecord>, StatusError> {
        Ok(self.records.get(uri).map(|(record, _)| record.clone()))
    }

    fn record(&mut self, record: &StatusListRecord, token: &[u8]) -> Result<(), StatusError> {
        let previous = self
            .records
            .insert(record.uri.clone(), (record.clone(), token.to_vec()));
        if let Err(e) = self.write() {
            // Not on disk means not acknowledged: put the old record back and refuse the list.
            match previous {
                Some(previous) => self.records.insert(record.uri.clone(), previous),
                None => self.records.remove(&record.uri),
            };
            return Err(StatusError::HighWaterUnavailable(format!(
                "cannot write {}: {e}",
                self.path.display()
            )));
        }
        Ok(())
    }
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

fn damaged(path: &Path) -> SourcesError {
    SourcesError::StateFile {
        path: path.to_path_buf(),
        reason: "it is damaged; restore it from a backup, or delete it and accept that a status \
                 list older than the newest one seen could be accepted once"
            .into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(uri: &str, iat: u64) -> StatusListRecord {
        StatusListRecord {
            uri: uri.into(),
            issued_at: iat,
            digest: [iat as u8; 32],
            fetched_at: iat + 5,
        }
    }

    #[test]
    fn records_survive_a_restart_and_a_second_instance_is_refused() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("state/status-lists.json");
        {
            let mut hw = FileHighWater::open(&path).expect("opens");
            assert_eq!(hw.newest("u"), Ok(None));
            hw.record(&record("u", 10), b"token-10").expect("writes");
            hw.record(&record("v", 20), b"token-20").expect("writes");
            hw.record(&record("u", 11), b"token-11").expect("writes");
            assert!(
                matches!(
                    FileHighWater::open(&path),
                    Err(SourcesError::StateFile { .. })
                ),
                "the file is locked while an instance uses it"
            );
        }
        let hw = FileHighWater::open(&path).expect("reopens");
        assert_eq!(hw.newest("u"), Ok(Some(record("u", 11))));
        assert_eq!(hw.newest("v"), Ok(Some(record("v", 20))));
        let mut kept = hw.kept();
        kept.sort();
        assert_eq!(
            kept,
            vec![
                ("u".to_owned(), b"token-11".to_vec()),
                ("v".to_owned(), b"token-20".to_vec())
            ]
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }

    #[test]
    fn a_damaged_record_is_reported_not_reset() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("status-lists.json");
        for damage in [
            &b"{not json"[..],
            br#"{"lists":[{"uri":"u","issued_at":1,"sha256_hex":"00","fetched_at":1,"token_hex":"00"}]}"#,
            br#"{"lists":[],"extra":1}"#,
        ] {
            fs::write(&path, damage).expect("write");
            let error = FileHighWater::open(&path).expect_err("damaged");
            assert!(error.to_string().contains("damaged"), "{error}");
            assert_eq!(fs::read(&path).expect("kept"), damage, "never reset");
        }
    }

    #[test]
    fn a_failed_write_leaves_the_list_unaccepted() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("status-lists.json");
        let mut hw = FileHighWater::open(&path).expect("opens");
        hw.record(&record("u", 10), b"token-10").expect("writes");
        // A non-empty directory where the file goes: the rename fails, even for root.
        fs::remove_file(&path).expect("remove");
        fs::create_dir(&path).expect("dir in the way");
        fs::write(path.join("x"), b"x").expect("write");
        let result = hw.record(&record("u", 11), b"token-11");
        assert!(
            matches!(result, Err(StatusError::HighWaterUnavailable(_))),
            "{result:?}"
        );
        assert_eq!(
            hw.newest("u"),
            Ok(Some(record("u", 10))),
            "the old record stays"
        );
        assert!(
            fs::read_dir(dir.path())
                .expect("list")
                .flatten()
                .all(|e| !e.file_name().to_string_lossy().contains(".tmp")),
            "no temporary file is left behind"
        );
    }
}
