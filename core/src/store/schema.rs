//! The database schema and its forward migrations.
//!
//! The schema version lives in `PRAGMA user_version`. Each migration is SQL plus, where it needs
//! the data key, a finishing step; all run in the caller's IMMEDIATE transaction, so an upgrade is
//! all-or-nothing. A database newer than this code is refused before anything is written. Old
//! migrations are never edited: a store written by any earlier version must keep opening.

use rusqlite::{Connection, Transaction};

use super::StoreError;
use super::index::{self, Head};
use super::meta;
use super::record::RecordKeys;
use crate::keystore::WrappedKey;

/// The schema version this code writes.
pub const CURRENT_VERSION: u32 = 3;

/// Version 1: key material, documents, holder keys, settings. Every record table has the same
/// shape: a random id, a version, and the sealed payload; nothing else is stored in the clear.
pub(crate) const V1_SQL: &str = "
CREATE TABLE meta (name TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL) STRICT;
CREATE TABLE documents (id BLOB PRIMARY KEY NOT NULL, version INTEGER NOT NULL, sealed BLOB NOT NULL) STRICT;
CREATE TABLE holder_keys (id BLOB PRIMARY KEY NOT NULL, version INTEGER NOT NULL, sealed BLOB NOT NULL) STRICT;
CREATE TABLE settings (id BLOB PRIMARY KEY NOT NULL, version INTEGER NOT NULL, sealed BLOB NOT NULL) STRICT;
";

/// Version 2: the activity log, and the sealed version index that makes single-record rollback
/// detectable (its head is computed by [`seal_initial_index`] over the records already present).
const V2_SQL: &str = "
CREATE TABLE activity_log (id BLOB PRIMARY KEY NOT NULL, seq INTEGER NOT NULL UNIQUE, version INTEGER NOT NULL, sealed BLOB NOT NULL) STRICT;
";

/// Version 3: no new table; the version index's set MAC binds each record's sealed bytes too
/// (see [`bind_index_to_content`]).
const V3_SQL: &str = "";

type Finish = fn(&Transaction<'_>, &RecordKeys, u32) -> Result<(), StoreError>;

struct Migration {
    to: u32,
    sql: &'static str,
    finish: Option<Finish>,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        to: 1,
        sql: V1_SQL,
        finish: None,
    },
    Migration {
        to: 2,
        sql: V2_SQL,
        finish: Some(seal_initial_index),
    },
    Migration {
        to: 3,
        sql: V3_SQL,
        finish: Some(bind_index_to_content),
    },
];

/// A version-1 store had no index: whatever records it holds are taken as they are.
fn seal_initial_index(
    tx: &Transaction<'_>,
    keys: &RecordKeys,
    version: u32,
) -> Result<(), StoreError> {
    let (mut head, _) = index::scan(tx, keys, version, index::Element::V2)?;
    head.generation = 1;
    Head::write(&head, tx, keys)
}

/// A version-2 store's index is checked as it is (so an upgrade cannot launder a tampered record)
/// and re-sealed over (table, id, version, content). The generation is raised above every version
/// present, as the writer keeps it from now on; versions a version-2 store used for records it
/// has since removed are not known, but a row restored from such a record now also has to match
/// the content the index binds.
fn bind_index_to_content(
    tx: &Transaction<'_>,
    keys: &RecordKeys,
    version: u32,
) -> Result<(), StoreError> {
    let old = index::verify(tx, keys, version, index::Element::V2)?;
    let (mut head, versions) = index::scan(tx, keys, version, index::Element::WithContent)?;
    let highest = versions.values().map(|v| v.number).max().unwrap_or(0);
    head.generation =
        old.head
            .generation
            .max(highest)
            .checked_add(1)
            .ok_or(StoreError::RecordTampered {
                table: "version index",
                detail: "the generation counter is at its maximum",
            })?;
    Head::write(&head, tx, keys)
}

pub(crate) fn read_version(conn: &Connection) -> Result<u32, StoreError> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    u32::try_from(version).map_err(|_| StoreError::StoreCorrupted {
        detail: "the schema version is negative".to_owned(),
    })
}

fn set_version(conn: &Connection, version: u32) -> Result<(), StoreError> {
    conn.execute_batch(&format!("PRAGMA user_version={version}"))?;
    Ok(())
}

// Compared as bytes: a damaged schema may not even be valid UTF-8.
type SchemaRow = (Vec<u8>, Vec<u8>, Vec<u8>, Option<Vec<u8>>);

fn schema_rows(conn: &Connection) -> Result<Vec<SchemaRow>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT CAST(type AS BLOB), CAST(name AS BLOB), CAST(tbl_name AS BLOB), \
         CAST(sql AS BLOB) FROM sqlite_schema ORDER BY type, name",
    )?;
    let rows = stmt
        .query_map([], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Fails with `StoreCorrupted` unless the tables, indexes and their SQL are exactly what the
/// migrations up to `version` create (a damaged schema would otherwise surface as odd SQL
/// errors). The reference is built by replaying the migrations in an in-memory database.
pub(crate) fn verify_shape(conn: &Connection, version: u32) -> Result<(), StoreError> {
    let reference = Connection::open_in_memory()?;
    for migration in MIGRATIONS.iter().filter(|m| m.to <= version) {
        reference.execute_batch(migration.sql)?;
    }
    if schema_rows(conn)? == schema_rows(&reference)? {
        Ok(())
    } else {
        Err(StoreError::StoreCorrupted {
            detail: format!("the tables are not those of a version-{version} wallet store"),
        })
    }
}

/// Creates the schema up to `target` in an empty database, with the wrapped key and key check.
pub(crate) fn create(
    tx: &Transaction<'_>,
    wrapped: &WrappedKey,
    keys: &RecordKeys,
    target: u32,
) -> Result<(), StoreError> {
    tx.execute_batch(V1_SQL)?;
    meta::write_key_material(tx, wrapped, keys)?;
    set_version(tx, 1)?;
    upgrade(tx, keys, 1, target)
}

/// Applies every migration after `from` up to `to`.
pub(crate) fn upgrade(
    tx: &Transaction<'_>,
    keys: &RecordKeys,
    from: u32,
    to: u32,
) -> Result<(), StoreError> {
    for migration in MIGRATIONS.iter().filter(|m| m.to > from && m.to <= to) {
        tx.execute_batch(migration.sql)?;
        if let Some(finish) = migration.finish {
            finish(tx, keys, migration.to)?;
        }
        set_version(tx, migration.to)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_consecutive_and_end_at_current() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.to as usize, i + 1);
        }
        assert_eq!(MIGRATIONS.last().map(|m| m.to), Some(CURRENT_VERSION));
    }

    #[test]
    fn set_version_sets_user_version() {
        let conn = Connection::open_in_memory().expect("in-memory database");
        set_version(&conn, 7).expect("set_version");
        assert_eq!(read_version(&conn).expect("read_version"), 7);
    }
}
