//! One write transaction: every change to records, the version index and its sealed head.
//!
//! A [`Writer`] exists only inside `Store::write`, within an IMMEDIATE transaction; its changes
//! become visible (and durable, with `synchronous = FULL`) only when that transaction commits, and
//! the in-memory index is updated only after the commit succeeded. Nothing here writes a plaintext
//! byte: every payload is sealed for its (table, id, version) before it reaches SQLite.
//!
//! Versions never repeat for an id, even across a removal (settings are addressed by a fixed id,
//! so a removed setting comes back under the same one): every version written is at least the
//! generation this transaction commits as, and the committed generation is raised to the highest
//! version written, so a later write, always at a higher generation, starts above it.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};
use zeroize::Zeroizing;

use super::StoreError;
use super::activity::NewActivity;
use super::document::NewDocument;
use super::holder_key::NewHolderKey;
use super::ids::{ActivityId, DocumentId, HolderKeyId};
use super::index::{Head, IndexState, Version};
use super::record::{RecordId, RecordKeys, Table};
use super::rows;
use super::setting::{self, SettingName, SettingValue};

/// Changes made in a transaction: `None` means deleted.
pub(crate) type Changes = HashMap<(Table, RecordId), Option<Version>>;

/// The operations allowed inside `Store::write`; all of them commit together or not at all.
pub struct Writer<'a> {
    conn: &'a Connection,
    keys: &'a RecordKeys,
    committed: &'a IndexState,
    changes: Changes,
    head: Head,
    /// The highest version this transaction wrote (0 if none).
    highest_version: u64,
}

impl<'a> Writer<'a> {
    pub(crate) fn new(
        conn: &'a Connection,
        keys: &'a RecordKeys,
        committed: &'a IndexState,
    ) -> Self {
        Self {
            conn,
            keys,
            committed,
            changes: HashMap::new(),
            head: committed.head,
            highest_version: 0,
        }
    }

    fn expected(&self, table: Table, id: &RecordId) -> Option<Version> {
        match self.changes.get(&(table, *id)) {
            Some(change) => *change,
            None => self.committed.versions.get(&(table, *id)).copied(),
        }
    }

    fn load(&self, table: Table, id: &RecordId) -> Result<Option<rows::OpenedRow>, StoreError> {
        let row = rows::fetch(self.conn, table, id)?;
        rows::verified(self.keys, table, id, self.expected(table, id), row)
    }

    /// The current version of a record, checked against the index, without decrypting it.
    fn current_version(&self, table: Table, id: &RecordId) -> Result<Option<Version>, StoreError> {
        let row: Option<i64> = self
            .conn
            .query_row(
                &format!("SELECT version FROM {} WHERE id = ?1", table.name()),
                [&id.as_bytes()[..]],
                |row| row.get(0),
            )
            .optional()?;
        let expected = self.expected(table, id);
        match (row, expected) {
            (None, None) => Ok(None),
            (Some(stored), Some(expected))
                if u64::try_from(stored).ok() == Some(expected.number) =>
            {
                Ok(Some(expected))
            }
            _ => Err(StoreError::RecordTampered {
                table: table.name(),
                detail: "a record's presence or version does not match the index",
            }),
        }
    }

    fn new_id(&self, table: Table) -> Result<RecordId, StoreError> {
        let id = RecordId::random()?;
        // 128 random bits do not collide; a hit means the random source is broken.
        if self.expected(table, &id).is_some() {
            return Err(StoreError::KeyStore(
                crate::keystore::KeyStoreError::Randomness,
            ));
        }
        Ok(id)
    }

    /// Seals `payload` as the next version of (table, id) and writes it: one above its current
    /// version, and never below the generation this transaction commits as.
    fn put(
        &mut self,
        table: Table,
        id: RecordId,
        old: Option<Version>,
        payload: &[u8],
        seq: Option<u64>,
    ) -> Result<(), StoreError> {
        let at_maximum = || StoreError::RecordTampered {
            table: table.name(),
            detail: "a record's version is at its maximum",
        };
        let generation = self
            .committed
            .head
            .generation
            .checked_add(1)
            .ok_or_else(at_maximum)?;
        let after_old = match old {
            Some(old) => old.number.checked_add(1).ok_or_else(at_maximum)?,
            None => 1,
        };
        let version = after_old.max(generation);
        let sealed = self
            .keys
            .seal(table.name(), id.as_bytes(), version, payload)?;
        let new = Version::of(version, &sealed);
        let to_sql = |n: u64| {
            i64::try_from(n).map_err(|_| StoreError::RecordTampered {
                table: table.name(),
                detail: "a record's version or log position is out of range",
            })
        };
        let version_sql = to_sql(version)?;
        let written = match (old, seq) {
            (None, None) => self.conn.execute(
                &format!(
                    "INSERT INTO {} (id, version, sealed) VALUES (?1, ?2, ?3)",
                    table.name()
                ),
                params![&id.as_bytes()[..], version_sql, sealed],
            )?,
            (None, Some(seq)) => self.conn.execute(
                &format!(
                    "INSERT INTO {} (id, seq, version, sealed) VALUES (?1, ?2, ?3, ?4)",
                    table.name()
                ),
                params![&id.as_bytes()[..], to_sql(seq)?, version_sql, sealed],
            )?,
            (Some(old), _) => self.conn.execute(
                &format!(
                    "UPDATE {} SET version = ?2, sealed = ?3 WHERE id = ?1 AND version = ?4",
                    table.name()
                ),
                params![&id.as_bytes()[..], version_sql, sealed, to_sql(old.number)?],
            )?,
        };
        if written != 1 {
            return Err(StoreError::RecordTampered {
                table: table.name(),
                detail: "a record changed underneath the write",
            });
        }
        if let Some(old) = old {
            self.head.toggle(self.keys, table, &id, &old);
        } else {
            self.head.count += 1;
        }
        self.head.toggle(self.keys, table, &id, &new);
        self.highest_version = self.highest_version.max(version);
        self.changes.insert((table, id), Some(new));
        Ok(())
    }

    fn remove(&mut self, table: Table, id: RecordId, what: &'static str) -> Result<(), StoreError> {
        let old = self
            .current_version(table, &id)?
            .ok_or(StoreError::NotFound { what })?;
        self.conn.execute(
            &format!("DELETE FROM {} WHERE id = ?1", table.name()),
            [&id.as_bytes()[..]],
        )?;
        self.head.toggle(self.keys, table, &id, &old);
        self.head.count = self
            .head
            .count
            .checked_sub(1)
            .ok_or(StoreError::RecordTampered {
                table: "version index",
                detail: "the record count is inconsistent",
            })?;
        self.changes.insert((table, id), None);
        Ok(())
    }

    /// Adds a document; returns its new random id.
    pub fn put_document(&mut self, document: &NewDocument) -> Result<DocumentId, StoreError> {
        let payload = document.encode()?;
        let id = self.new_id(Table::Documents)?;
        self.put(Table::Documents, id, None, &payload, None)?;
        Ok(DocumentId(id))
    }

    /// Replaces a document's content (e.g. after re-issuance); its version goes up by one.
    pub fn update_document(
        &mut self,
        id: DocumentId,
        document: &NewDocument,
    ) -> Result<(), StoreError> {
        let payload = document.encode()?;
        let old = self
            .current_version(Table::Documents, &id.0)?
            .ok_or(StoreError::NotFound { what: "document" })?;
        self.put(Table::Documents, id.0, Some(old), &payload, None)
    }

    /// Deletes a document.
    pub fn delete_document(&mut self, id: DocumentId) -> Result<(), StoreError> {
        self.remove(Table::Documents, id.0, "document")
    }

    /// Records a holder key; returns its new random id.
    pub fn put_holder_key(&mut self, key: &NewHolderKey) -> Result<HolderKeyId, StoreError> {
        let payload = key.encode()?;
        let id = self.new_id(Table::HolderKeys)?;
        self.put(Table::HolderKeys, id, None, &payload, None)?;
        Ok(HolderKeyId(id))
    }

    /// Deletes a holder-key record.
    pub fn delete_holder_key(&mut self, id: HolderKeyId) -> Result<(), StoreError> {
        self.remove(Table::HolderKeys, id.0, "holder key")
    }

    fn setting_value(
        &self,
        name: &SettingName,
    ) -> Result<(RecordId, Option<(Version, SettingValue)>), StoreError> {
        let id = self.keys.setting_id(name.as_str());
        let current = match (
            self.load(Table::Settings, &id)?,
            self.expected(Table::Settings, &id),
        ) {
            (Some((_, plain)), Some(version)) => Some((version, setting::decode(name, &plain)?)),
            _ => None,
        };
        Ok((id, current))
    }

    /// A byte-valued setting as this transaction sees it, if set.
    pub fn setting(&self, name: &SettingName) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
        match self.setting_value(name)?.1 {
            None => Ok(None),
            Some((_, SettingValue::Bytes(bytes))) => Ok(Some(bytes)),
            Some((_, other)) => Err(StoreError::SettingKind {
                name: name.as_str().to_owned(),
                expected: "a byte value",
                found: other.kind(),
            }),
        }
    }

    /// Sets a byte-valued setting.
    pub fn set_setting(&mut self, name: &SettingName, value: &[u8]) -> Result<(), StoreError> {
        let (id, current) = self.setting_value(name)?;
        if let Some((_, existing @ SettingValue::Counter(_))) = &current {
            return Err(StoreError::SettingKind {
                name: name.as_str().to_owned(),
                expected: "a byte value",
                found: existing.kind(),
            });
        }
        let payload = setting::encode(name, &SettingValue::Bytes(Zeroizing::new(value.to_vec())))?;
        self.put(Table::Settings, id, current.map(|(v, _)| v), &payload, None)
    }

    /// Removes a setting or counter; returns whether it existed.
    pub fn remove_setting(&mut self, name: &SettingName) -> Result<bool, StoreError> {
        let id = self.keys.setting_id(name.as_str());
        if self.current_version(Table::Settings, &id)?.is_none() {
            return Ok(false);
        }
        self.remove(Table::Settings, id, "setting")?;
        Ok(true)
    }

    /// Adds one to a counter (absent counts as 0) and returns the new value.
    pub fn increment_counter(&mut self, name: &SettingName) -> Result<u64, StoreError> {
        let (id, current) = self.setting_value(name)?;
        let (old_version, value) = match current {
            None => (None, 0),
            Some((version, SettingValue::Counter(n))) => (Some(version), n),
            Some((_, other)) => {
                return Err(StoreError::SettingKind {
                    name: name.as_str().to_owned(),
                    expected: "a counter",
                    found: other.kind(),
                });
            }
        };
        let next = value
            .checked_add(1)
            .ok_or_else(|| StoreError::CounterOverflow {
                name: name.as_str().to_owned(),
            })?;
        let payload = setting::encode(name, &SettingValue::Counter(next))?;
        self.put(Table::Settings, id, old_version, &payload, None)?;
        Ok(next)
    }

    /// Sets a counter to 0.
    pub fn reset_counter(&mut self, name: &SettingName) -> Result<(), StoreError> {
        let (id, current) = self.setting_value(name)?;
        if let Some((_, existing @ SettingValue::Bytes(_))) = &current {
            return Err(StoreError::SettingKind {
                name: name.as_str().to_owned(),
                expected: "a counter",
                found: existing.kind(),
            });
        }
        let payload = setting::encode(name, &SettingValue::Counter(0))?;
        self.put(Table::Settings, id, current.map(|(v, _)| v), &payload, None)
    }

    /// Appends an entry to the activity log.
    pub fn append_activity(&mut self, entry: &NewActivity) -> Result<ActivityId, StoreError> {
        let last: Option<i64> =
            self.conn
                .query_row("SELECT max(seq) FROM activity_log", [], |row| row.get(0))?;
        let seq = last.map_or(Ok(1), |s| {
            u64::try_from(s)
                .ok()
                .and_then(|s| s.checked_add(1))
                .ok_or(StoreError::RecordTampered {
                    table: Table::Activity.name(),
                    detail: "the log position is invalid",
                })
        })?;
        let payload = entry.encode(seq)?;
        let id = self.new_id(Table::Activity)?;
        self.put(Table::Activity, id, None, &payload, Some(seq))?;
        Ok(ActivityId(id))
    }

    /// Seals the new index head; returns what the in-memory index must apply after commit.
    pub(crate) fn finish(self) -> Result<Option<(Changes, Head)>, StoreError> {
        if self.changes.is_empty() {
            return Ok(None);
        }
        let mut head = self.head;
        head.generation = head
            .generation
            .checked_add(1)
            .ok_or(StoreError::RecordTampered {
                table: "version index",
                detail: "the generation counter is at its maximum",
            })?
            .max(self.highest_version);
        head.write(self.conn, self.keys)?;
        Ok(Some((self.changes, head)))
    }
}

impl IndexState {
    pub(crate) fn apply(&mut self, changes: Changes, head: Head) {
        for (key, change) in changes {
            match change {
                Some(version) => self.versions.insert(key, version),
                None => self.versions.remove(&key),
            };
        }
        self.head = head;
    }
}
