//! The version index: the authenticated answer to "which records exist, at which version".
//!
//! Sealing binds each record to its (table, id, version), but an old sealed record is still a
//! valid one; this index is what rejects it. Its head, sealed in `meta`, holds a generation that
//! grows with every committed write, the number of records, and the XOR of a keyed MAC of every
//! (table, id, version, SHA-256 of the sealed bytes) — an incremental set MAC, updated in the same
//! IMMEDIATE transaction as the records. Opening recomputes it from the rows; any record rolled
//! back, removed, added, moved or swapped for another sealed row of the same (id, version)
//! changes it. Versions never repeat for an id: a new record starts above the generation, and the
//! generation is kept at or above every version ever written (see `Writer`), so a removed and
//! re-created record (settings reuse their id) cannot be rolled back to a row of its earlier
//! life. In memory the index keeps every record's version and content hash so that each read is
//! checked too. It never decides anything from unauthenticated data alone.

use std::collections::HashMap;

use hmac::Mac;
use rusqlite::Connection;
use sha2::{Digest, Sha256};

use super::StoreError;
use super::meta::{self, INDEX_HEAD, META_TABLE};
use super::record::{RecordId, RecordKeys, Table};

const HEAD_LEN: usize = 8 + 8 + 32;

/// A record's current version and the SHA-256 of its sealed bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Version {
    pub(crate) number: u64,
    pub(crate) content: [u8; 32],
}

impl Version {
    pub(crate) fn of(number: u64, sealed: &[u8]) -> Self {
        Self {
            number,
            content: Sha256::digest(sealed).into(),
        }
    }
}

/// Every record's current version.
pub(crate) type Versions = HashMap<(Table, RecordId), Version>;

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
    pub(crate) fn toggle(
        &mut self,
        keys: &RecordKeys,
        table: Table,
        id: &RecordId,
        version: &Version,
    ) {
        let mut mac = keys.index_mac();
        mac.update(table.name().as_bytes());
        mac.update(&[0]);
        mac.update(id.as_bytes());
        mac.update(&version.number.to_be_bytes());
        mac.update(&version.content);
        self.xor(&mac.finalize().into_bytes());
    }

    /// The element schema version 2 used, without the content: only to check a version-2 head
    /// before the upgrade to version 3 replaces it.
    fn toggle_v2(&mut self, keys: &RecordKeys, table: Table, id: &RecordId, version: u64) {
        let mut mac = keys.index_mac();
        mac.update(table.name().as_bytes());
        mac.update(&[0]);
        mac.update(id.as_bytes());
        mac.update(&version.to_be_bytes());
        self.xor(&mac.finalize().into_bytes());
    }

    fn xor(&mut self, element: &[u8]) {
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

/// Which set MAC element a scan computes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Element {
    /// (table, id, version): schema version 2, read only to verify before upgrading.
    V2,
    /// (table, id, version, SHA-256 of the sealed bytes): schema version 3 on.
    WithContent,
}

/// Reads every record's (id, version, sealed bytes) and the set MAC over them, without
/// decrypting anything.
pub(crate) fn scan(
    conn: &Connection,
    keys: &RecordKeys,
    schema_version: u32,
    element: Element,
) -> Result<(Head, Versions), StoreError> {
    let mut head = Head::empty();
    let mut versions = HashMap::new();
    for table in Table::ALL {
        if !table.exists_in(schema_version) {
            continue;
        }
        let mut stmt =
            conn.prepare(&format!("SELECT id, version, sealed FROM {}", table.name()))?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let id = RecordId::from_slice(&row.get::<_, Vec<u8>>(0)?, table)?;
            let number = u64::try_from(row.get::<_, i64>(1)?)
                .ok()
                .filter(|v| *v >= 1)
                .ok_or(StoreError::RecordTampered {
                    table: table.name(),
                    detail: "a record has an invalid version",
                })?;
            let version = Version::of(number, &row.get::<_, Vec<u8>>(2)?);
            match element {
                Element::V2 => head.toggle_v2(keys, table, &id, number),
                Element::WithContent => head.toggle(keys, table, &id, &version),
            }
            head.count += 1;
            versions.insert((table, id), version);
        }
    }
    Ok((head, versions))
}

/// Checks the sealed head against the rows, with `element`; returns the index it describes.
pub(crate) fn verify(
    conn: &Connection,
    keys: &RecordKeys,
    schema_version: u32,
    element: Element,
) -> Result<IndexState, StoreError> {
    let head = Head::read(conn, keys)?;
    let (computed, versions) = scan(conn, keys, schema_version, element)?;
    if computed.count != head.count || !digests_equal(&computed.digest, &head.digest) {
        return Err(tampered(
            "records were rolled back, removed or added outside netid",
        ));
    }
    Ok(IndexState { head, versions })
}

/// Verifies the rows against the sealed head and returns the index.
pub(crate) fn load(
    conn: &Connection,
    keys: &RecordKeys,
    schema_version: u32,
) -> Result<IndexState, StoreError> {
    verify(conn, keys, schema_version, Element::WithContent)
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

#[cfg(test)]
mod tests {
    use zeroize::Zeroizing;

    use super::super::setting::{self, SettingName, SettingValue};
    use super::super::{Store, StoreError};
    use crate::keystore::InMemoryKeyWrapper;

    #[test]
    fn a_row_swapped_for_another_sealing_of_its_own_id_and_version_is_record_tampered() {
        // Stands for an old row of the same (id, version), which versions that never repeat make
        // unreachable through the store itself: it opens under the store's key, so only the
        // index's binding to the sealed bytes can refuse it.
        let dir = tempfile::tempdir().unwrap();
        let wrapper = InMemoryKeyWrapper::new().unwrap();
        let name = SettingName::new("wallet.test-setting").unwrap();
        let mut store = Store::create(dir.path(), &wrapper).unwrap();
        store.set_setting(&name, b"current").unwrap();
        let id = store.keys.setting_id(name.as_str());
        let version: i64 = store
            .conn
            .query_row("SELECT version FROM settings", [], |r| r.get(0))
            .unwrap();
        let forged = setting::encode(
            &name,
            &SettingValue::Bytes(Zeroizing::new(b"forged".to_vec())),
        )
        .unwrap();
        let sealed = store
            .keys
            .seal("settings", id.as_bytes(), version as u64, &forged)
            .unwrap();
        store
            .conn
            .execute("UPDATE settings SET sealed = ?1", [sealed])
            .unwrap();
        assert!(matches!(
            store.setting(&name),
            Err(StoreError::RecordTampered { .. })
        ));
        store.close().unwrap();
        assert!(matches!(
            Store::open(dir.path(), &wrapper),
            Err(StoreError::RecordTampered { .. })
        ));
    }
}
