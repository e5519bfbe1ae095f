//! Reading sealed rows back, checked against the version index before and after decryption.
//!
//! Every read goes through [`verified`], so a row the index does not know, a row missing that the
//! index expects, a row at another version or with other sealed bytes than the index recorded,
//! and a row that fails to open are all `RecordTampered`, never data. This module only reads.

use rusqlite::{Connection, OptionalExtension};
use zeroize::Zeroizing;

use super::StoreError;
use super::index::Version;
use super::record::{RecordId, RecordKeys, Table};

/// A row as stored: version and sealed payload.
pub(crate) type RawRow = (i64, Vec<u8>);

/// A row checked and opened: its version and plaintext payload.
pub(crate) type OpenedRow = (u64, Zeroizing<Vec<u8>>);

pub(crate) fn fetch(
    conn: &Connection,
    table: Table,
    id: &RecordId,
) -> Result<Option<RawRow>, StoreError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT version, sealed FROM {} WHERE id = ?1",
        table.name()
    ))?;
    Ok(stmt
        .query_row([&id.as_bytes()[..]], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?)
}

/// Checks a fetched row against the version the index expects and opens it.
pub(crate) fn verified(
    keys: &RecordKeys,
    table: Table,
    id: &RecordId,
    expected: Option<Version>,
    row: Option<RawRow>,
) -> Result<Option<OpenedRow>, StoreError> {
    let tampered = |detail| StoreError::RecordTampered {
        table: table.name(),
        detail,
    };
    match (expected, row) {
        (None, None) => Ok(None),
        (None, Some(_)) => Err(tampered("a record the index does not know was added")),
        (Some(_), None) => Err(tampered("a record was removed outside netid")),
        (Some(expected), Some((version, sealed))) => {
            if u64::try_from(version).ok() != Some(expected.number) {
                return Err(tampered(
                    "a record was rolled back or replaced by another version",
                ));
            }
            if Version::of(expected.number, &sealed) != expected {
                return Err(tampered(
                    "a record was replaced by another sealed row of the same version",
                ));
            }
            let plain = keys
                .open(table.name(), id.as_bytes(), expected.number, &sealed)
                .ok_or(tampered(
                    "a record failed authentication (moved from another row, altered, or from another store)",
                ))?;
            Ok(Some((expected.number, plain)))
        }
    }
}
