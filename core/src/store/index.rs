//! The version index: the authenticated answer to "which records exist, at which version".
//!
//! Sealing binds each record to its (table, id, version), but an old sealed record is still a
//! valid one; this index is what rejects it. Its head, sealed in `meta`, holds a generation that
//! grows with every committed write, the number of records, and the XOR of a keyed MAC of every
//! (table, id, version) — an incremental set MAC, updated in the same IMMEDIATE transaction as the
//! records. Opening recomputes it from the rows; any record rolled back, removed, added or moved
//! changes it. In memory the index keeps every record's version so that each read is checked too.
//! It never decides anything from unauthenticated data alone.

use std::collections::HashMap;

use hmac::Mac;
use rusqlite::Connection;

use super::StoreError;
use super::meta::{self, INDEX_HEAD, META_TABLE};
use super::record::{RecordId, RecordKeys, Table};

const HEAD_LEN: usize = 8 + 8 + 32;

/// Every record's current version.
pub(crate) type Versions = HashMap<(Table, RecordId), u64>;

/// The sealed summary of all records.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Head {
    pub(crate) generation: u64,
    pub(crate) count: u64,
    pub(crate) digest: [u8; 32],
}

/// The index as this process last verified it.
pub(crate) struct IndexState {
    pub(crate) head: Head,
    pub(crate) versions: Versions,
}

fn tampered(detail: &'static str) -> StoreError {
    StoreError::RecordTampered {
        table: "version index",
        detail,
    }
}

impl Head {
    pub(crate) fn empty() -> Self {
        Self {
            generation: 0,
            count: 0,
            digest: [0; 32],
        }
    }

    /// Adds (or, applied twice, removes) one record version to the set.
    pub(crate) fn toggle(&mut self, keys: &RecordKeys, table: Table, id: &RecordId, version: u64) {
        let mut mac = keys.index_mac();
        mac.update(table.name().as_bytes());
        mac.update(&[0]);
        mac.update(id.as_bytes());
        mac.update(&version.to_be_bytes());
        let element = mac.finalize().into_bytes();
        self.digest
            .iter_mut()
            .zip(element.iter())
            .for_each(|(d, e)| *d ^= e);
    }

    pub(crate) fn write(&self, conn: &Connection, keys: &RecordKeys) -> Result<(), StoreError> {
        let mut plain = [0u8; HEAD_LEN];
        plain[..8].copy_from_slice(&self.generation.to_be_bytes());
        plain[8..16].copy_from_slice(&self.count.to_be_bytes());
        plain[16..].copy_from_slice(&self.digest);
        let sealed = keys.seal(META_TABLE, INDEX_HEAD.as_bytes(), 0, &plain)?;
        meta::write(conn, INDEX_HEAD, &sealed)
    }

    pub(crate) fn read(conn: &Connection, keys: &RecordKeys) -> Result<Self, StoreError> {
        let sealed = meta::read(conn, INDEX_HEAD)?.ok_or(tampered("the index head is missing"))?;
        let plain = keys
            .open(META_TABLE, INDEX_HEAD.as_bytes(), 0, &sealed)
            .ok_or(tampered("the index head failed authentication"))?;
        let (generation, rest) = plain
            .split_first_chunk::<8>()
            .ok_or(tampered("the index head is truncated"))?;
        let (count, digest) = rest
            .split_first_chunk::<8>()
            .ok_or(tampered("the index head is truncated"))?;
        let digest: [u8; 32] = digest
            .try_into()
            .map_err(|_| tampered("the index head is truncated"))?;
        Ok(Self {
            generation: u64::from_be_bytes(*generation),
            count: u64::from_be_bytes(*count),
            digest,
        })
    }
}

/// Reads every record's (id, version) and the set MAC over them, without decrypting anything.
pub(crate) fn scan(
    conn: &Connection,
    keys: &RecordKeys,
    schema_version: u32,
) -> Result<(Head, Versions), StoreError> {
    let mut head = Head::empty();
    let mut versions = HashMap::new();
    for table in Table::ALL {
        if !table.exists_in(schema_version) {
            continue;
        }
        let mut stmt = conn.prepare_cached(&format!("SELECT id, version FROM {}", table.name()))?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let id = RecordId::from_slice(&row.get::<_, Vec<u8>>(0)?, table)?;
            let version = u64::try_from(row.get::<_, i64>(1)?)
                .ok()
                .filter(|v| *v >= 1)
                .ok_or(StoreError::RecordTampered {
                    table: table.name(),
                    detail: "a record has an invalid version",
                })?;
            head.toggle(keys, table, &id, version);
            head.count += 1;
            versions.insert((table, id), version);
        }
    }
    Ok((head, versions))
}

/// Verifies the rows against the sealed head and returns the index.
pub(crate) fn load(
    conn: &Connection,
    keys: &RecordKeys,
    schema_version: u32,
) -> Result<IndexState, StoreError> {
    let head = Head::read(conn, keys)?;
    let (computed, versions) = scan(conn, keys, schema_version)?;
    if computed.count != head.count || !digests_equal(&computed.digest, &head.digest) {
        return Err(tampered(
            "records were rolled back, removed or added outside netid",
        ));
    }
    Ok(IndexState { head, versions })
}

/// Makes sure `state` matches the database as seen by the current transaction: cheap when no
/// other connection has written since (the sealed head is unchanged), a full reload otherwise.
pub(crate) fn ensure_fresh(
    conn: &Connection,
    keys: &RecordKeys,
    schema_version: u32,
    state: &mut IndexState,
) -> Result<(), StoreError> {
    let head = Head::read(conn, keys)?;
    if head == state.head {
        return Ok(());
    }
    if head.generation <= state.head.generation {
        return Err(tampered(
            "the store went back to an earlier state while open",
        ));
    }
    *state = load(conn, keys, schema_version)?;
    Ok(())
}

fn digests_equal(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

impl IndexState {
    pub(crate) fn count_in(&self, table: Table) -> usize {
        self.versions.keys().filter(|(t, _)| *t == table).count()
    }
}
