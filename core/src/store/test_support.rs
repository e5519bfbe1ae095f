//! Helpers for tests of stores written by older code. Compiled only under `test-support`.
//!
//! It writes a schema-version-1 database exactly as version-1 code did (v1 SQL, records sealed
//! at version 1, no version index), so migration tests start from a real old file. Never used by
//! shipping code.

use std::path::Path;

use rusqlite::params;

use super::document::NewDocument;
use super::ids::DocumentId;
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
