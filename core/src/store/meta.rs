//! The `meta` table: the wrapped data key, the key-check value and the sealed version-index head.
//!
//! Only these three named rows exist; none holds anything readable without the data key. This
//! module reads and writes them and decides whether a data key is the right one for the store; it
//! never stores an unwrapped key.

use rusqlite::{Connection, OptionalExtension, params};

use super::StoreError;
use super::record::RecordKeys;
use crate::keystore::{KeyStoreError, Unavailable, WrappedKey};

const WRAPPED_KEY: &str = "wrapped_key";
const KEY_CHECK: &str = "key_check";
pub(crate) const INDEX_HEAD: &str = "index_head";
const KEY_CHECK_PLAINTEXT: &[u8] = b"netid store key check v1";
/// The table name bound into the associated data of sealed meta values.
pub(crate) const META_TABLE: &str = "meta";

pub(crate) fn read(conn: &Connection, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(conn
        .query_row("SELECT value FROM meta WHERE name = ?1", [name], |row| {
            row.get(0)
        })
        .optional()?)
}

pub(crate) fn write(conn: &Connection, name: &str, value: &[u8]) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO meta (name, value) VALUES (?1, ?2) \
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        params![name, value],
    )?;
    Ok(())
}

pub(crate) fn remove(conn: &Connection, name: &str) -> Result<(), StoreError> {
    conn.execute("DELETE FROM meta WHERE name = ?1", [name])?;
    Ok(())
}

pub(crate) fn write_wrapped_key(conn: &Connection, wrapped: &WrappedKey) -> Result<(), StoreError> {
    write(conn, WRAPPED_KEY, &wrapped.to_bytes())
}

pub(crate) fn read_wrapped_key(conn: &Connection) -> Result<WrappedKey, StoreError> {
    let bytes = read(conn, WRAPPED_KEY)?.ok_or_else(|| StoreError::StoreCorrupted {
        detail: "the wrapped data key is missing".to_owned(),
    })?;
    WrappedKey::from_bytes(&bytes).map_err(|e| match e {
        KeyStoreError::MalformedWrappedKey(why) => StoreError::StoreCorrupted {
            detail: format!("the wrapped data key is malformed: {why}"),
        },
        other => other.into(),
    })
}

pub(crate) fn write_key_material(
    conn: &Connection,
    wrapped: &WrappedKey,
    keys: &RecordKeys,
) -> Result<(), StoreError> {
    write(conn, WRAPPED_KEY, &wrapped.to_bytes())?;
    let check = keys.seal(META_TABLE, KEY_CHECK.as_bytes(), 0, KEY_CHECK_PLAINTEXT)?;
    write(conn, KEY_CHECK, &check)
}

/// Fails with `KeyUnavailable` unless `keys` open the store's key-check value.
pub(crate) fn verify_key(conn: &Connection, keys: &RecordKeys) -> Result<(), StoreError> {
    let check = read(conn, KEY_CHECK)?.ok_or_else(|| StoreError::StoreCorrupted {
        detail: "the key-check value is missing".to_owned(),
    })?;
    match keys.open(META_TABLE, KEY_CHECK.as_bytes(), 0, &check) {
        Some(plain) if plain.as_slice() == KEY_CHECK_PLAINTEXT => Ok(()),
        _ => Err(StoreError::KeyUnavailable(Unavailable::Wrong)),
    }
}
