//! Helpers for tests of stores written by older code. Compiled only under `test-support`.
//!
//! It writes a schema-version-1 database exactly as version-1 code did (v1 SQL, records sealed
//! at version 1, no version index), and a schema-version-2 database as version-2 code left it
//! (records at the versions given, a version index over (table, id, version) only), so migration
//! tests start from a real old file. It also holds the crash points the crash tests stop a
//! child process at (see [`crash_point`]). Never used by shipping code.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use rusqlite::params;

use super::document::NewDocument;
use super::ids::DocumentId;
use super::index::{self, Head};
use super::record::{RecordId, Table};
use super::setting::{self, SettingName, SettingValue};
use super::{FILE_NAME, Store, StoreError};
use crate::keystore::KeyWrapper;

/// Creates a schema-version-1 store in `dir` holding `documents` and `counters`.
pub fn create_v1_store(
    dir: &Path,
    wrapper: &dyn KeyWrapper,
    documents: &[NewDocument],
    counters: &[(SettingName, u64)],
) -> Result<Vec<DocumentId>, StoreError> {
    let (store, _) = Store::create_at(dir, wrapper, 1)?;
    let mut ids = Vec::new();
    for document in documents {
        let id = RecordId::random()?;
        let sealed = store.keys.seal(
            Table::Documents.name(),
            id.as_bytes(),
            1,
            &document.encode()?,
        )?;
        store.conn.execute(
            "INSERT INTO documents (id, version, sealed) VALUES (?1, 1, ?2)",
            params![&id.as_bytes()[..], sealed],
        )?;
        ids.push(DocumentId(id));
    }
    for (name, value) in counters {
        let id = store.keys.setting_id(name.as_str());
        let payload = setting::encode(name, &SettingValue::Counter(*value))?;
        let sealed = store
            .keys
            .seal(Table::Settings.name(), id.as_bytes(), 1, &payload)?;
        store.conn.execute(
            "INSERT INTO settings (id, version, sealed) VALUES (?1, 1, ?2)",
            params![&id.as_bytes()[..], sealed],
        )?;
    }
    debug_assert!(dir.join(FILE_NAME).is_file());
    store.close()?;
    Ok(ids)
}

/// Creates a schema-version-2 store in `dir` holding `documents` (at version 1) and byte-valued
/// `settings` at the versions given, with the version-2 index over them (generation 1 + the
/// number of records, as if each had been written in its own transaction).
pub fn create_v2_store(
    dir: &Path,
    wrapper: &dyn KeyWrapper,
    documents: &[NewDocument],
    settings: &[(SettingName, &[u8], u64)],
) -> Result<Vec<DocumentId>, StoreError> {
    let (store, _) = Store::create_at(dir, wrapper, 2)?;
    let mut ids = Vec::new();
    let insert = |table: Table, id: &RecordId, version: u64, payload: &[u8]| {
        let sealed = store
            .keys
            .seal(table.name(), id.as_bytes(), version, payload)?;
        let version = i64::try_from(version).map_err(|_| StoreError::RecordTampered {
            table: table.name(),
            detail: "test version out of range",
        })?;
        store.conn.execute(
            &format!(
                "INSERT INTO {} (id, version, sealed) VALUES (?1, ?2, ?3)",
                table.name()
            ),
            params![&id.as_bytes()[..], version, sealed],
        )?;
        Ok::<_, StoreError>(())
    };
    for document in documents {
        let id = RecordId::random()?;
        insert(Table::Documents, &id, 1, &document.encode()?)?;
        ids.push(DocumentId(id));
    }
    for (name, value, version) in settings {
        let id = store.keys.setting_id(name.as_str());
        let payload = setting::encode(
            name,
            &SettingValue::Bytes(zeroize::Zeroizing::new(value.to_vec())),
        )?;
        insert(Table::Settings, &id, *version, &payload)?;
    }
    let (mut head, versions) = index::scan(&store.conn, &store.keys, 2, index::Element::V2)?;
    head.generation = 1 + versions.len() as u64;
    Head::write(&head, &store.conn, &store.keys)?;
    store.close()?;
    Ok(ids)
}

/// The environment variable naming the crash point (its 1-based number since
/// [`arm_crash_points`]) at which [`crash_point`] stops the process.
pub const CRASH_AT_VAR: &str = "NETID_CRASH_AT";

static ARMED: AtomicBool = AtomicBool::new(false);
static PASSED: AtomicU64 = AtomicU64::new(0);

/// Starts counting crash points from here (a crash test's child calls it once its setup is
/// done, so only the operation under test is counted).
pub fn arm_crash_points() {
    PASSED.store(0, Ordering::SeqCst);
    ARMED.store(true, Ordering::SeqCst);
}

/// A point a crash test may stop at: every store transaction passes two, just before its COMMIT
/// (all its changes made, none in the write-ahead log yet) and just after it (the WAL frames
/// written and synced). When armed and this is the point [`CRASH_AT_VAR`] names, prints
/// `CRASH-POINT <n> <what>` on stdout and blocks forever, for the parent to SIGKILL the process
/// exactly there.
pub fn crash_point(what: &str) {
    if !ARMED.load(Ordering::SeqCst) {
        return;
    }
    let passed = PASSED.fetch_add(1, Ordering::SeqCst) + 1;
    let wanted = std::env::var(CRASH_AT_VAR)
        .ok()
        .and_then(|v| v.parse::<u64>().ok());
    if wanted == Some(passed) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "CRASH-POINT {passed} {what}");
        let _ = out.flush();
        drop(out);
        loop {
            std::thread::park();
        }
    }
}
