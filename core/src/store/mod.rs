//! The wallet's encrypted local store: documents, holder keys, settings and counters, and the
//! activity log, in one SQLite database (bundled SQLite, WAL, `synchronous = FULL`).
//!
//! Every record is sealed with a key derived from the wallet's [`DataKey`] for its own (table,
//! random id, version), and a sealed version index makes a record that was moved, rolled back,
//! removed or re-added fail with [`StoreError::RecordTampered`]. Only random ids, versions, log
//! positions and table names are in the clear. Opening verifies the file (SQLite's quick check,
//! the exact schema the migrations make), the key and the index before it writes anything, so a
//! wrong key or a damaged file leaves the file untouched. This module never writes plaintext to
//! disk and never puts record content into an error.
//!
//! [`DataKey`]: crate::keystore::DataKey

mod activity;
mod document;
mod error;
mod gate;
mod holder_key;
mod ids;
mod index;
mod meta;
mod payload;
mod record;
mod rows;
mod schema;
mod setting;
#[cfg(any(test, feature = "test-support"))]
pub mod test_support;
mod time;
mod writer;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use zeroize::Zeroizing;

pub use activity::{ActivityEntry, ActivityKind, MAX_DETAIL_CHARS, NewActivity};
pub use document::{DocType, Document, MAX_CREDENTIAL_LEN, MAX_LABEL_CHARS, NewDocument};
pub use error::StoreError;
pub use gate::{GateStore, UnwrapSecret};
pub use holder_key::{HolderKey, KeyAlgorithm, NewHolderKey, SecureAreaKind};
pub use ids::{ActivityId, DocumentId, HolderKeyId};
pub use schema::CURRENT_VERSION;
pub use setting::SettingName;
pub use time::Timestamp;
pub use writer::Writer;

use crate::keystore::{AnchorStore, DataKey, KeyWrapper};
use index::IndexState;
use record::{RecordId, RecordKeys, Table};
use setting::SettingValue;

/// The database file's name inside the store directory.
pub const FILE_NAME: &str = "wallet.sqlite3";

/// How long a write waits for another connection's lock before failing with [`StoreError::Busy`].
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// An open, unlocked store. Dropping it forgets the derived keys (they are wiped).
pub struct Store {
    conn: Connection,
    keys: RecordKeys,
    index: IndexState,
    path: PathBuf,
    generation_anchor: Option<GenerationAnchor>,
}

/// The store generation kept outside the directory (in the key wrapper's [`AnchorStore`]),
/// updated after every commit: a directory found behind it was restored from an older copy.
struct GenerationAnchor {
    anchors: std::sync::Arc<dyn AnchorStore>,
    name: String,
    saved: u64,
}

impl GenerationAnchor {
    fn load(&self) -> Result<Option<u64>, StoreError> {
        match self.anchors.load(&self.name)? {
            None => Ok(None),
            Some(bytes) => <[u8; 8]>::try_from(bytes.as_slice())
                .map(|b| Some(u64::from_be_bytes(b)))
                .map_err(|_| StoreError::StoreCorrupted {
                    detail: "the store generation's anchor is malformed".to_owned(),
                }),
        }
    }

    /// Best effort after a commit that already happened: a failure here must not report the
    /// committed write as failed; the next commit tries again.
    fn advance(&mut self, generation: u64) {
        if generation > self.saved
            && self
                .anchors
                .save(&self.name, &generation.to_be_bytes())
                .is_ok()
        {
            self.saved = generation;
        }
    }
}

/// A store whose file has been checked (intact SQLite, a schema this code knows) but whose data
/// key is not known yet: what the wallet holds while it asks the key wrapper and, if one is set,
/// checks the PIN. It can read the wrapped key and the PIN layer and open the attempt state;
/// [`LockedStore::unlock`] turns it into a [`Store`].
pub struct LockedStore {
    conn: Connection,
    path: PathBuf,
    version: u32,
}

impl std::fmt::Debug for LockedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LockedStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl LockedStore {
    /// What the key wrapper returns for this store (the data key, or the PIN layer's key),
    /// checked: an answer that is not this store's is [`StoreError::KeyUnavailable`] before
    /// anything is counted or written.
    pub fn unwrap_secret(&mut self, wrapper: &dyn KeyWrapper) -> Result<UnwrapSecret, StoreError> {
        let wrapped = meta::read_wrapped_key(&self.conn)?;
        let key = wrapper.unwrap(&wrapped)?;
        let secret = UnwrapSecret(Zeroizing::new(*key.expose_secret()));
        let expected = secret.check_value();
        let wrong = || StoreError::KeyUnavailable(crate::keystore::Unavailable::Wrong);
        match meta::read(&self.conn, gate::UNWRAP_CHECK)? {
            Some(stored) => {
                let same = stored.len() == expected.len()
                    && stored
                        .iter()
                        .zip(expected.iter())
                        .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                        == 0;
                if !same {
                    return Err(wrong());
                }
            }
            // A store from before the check existed (it is written with every PIN layer, so
            // only a store without a PIN lacks it): the answer is the data key, checked against
            // the key-check value; `unlock` records the check once everything is verified.
            None if gate::pin_layer(&self.conn)?.is_none() => {
                meta::verify_key(
                    &self.conn,
                    &RecordKeys::derive(&DataKey::from_bytes(secret.0.clone())),
                )?;
            }
            None => {
                return Err(StoreError::StoreCorrupted {
                    detail: "the key wrapper's check value is missing beside a PIN layer"
                        .to_owned(),
                });
            }
        }
        Ok(secret)
    }

    /// The PIN layer, if the wallet has a PIN.
    pub fn pin_layer(&self) -> Result<Option<crate::auth::PinLayer>, StoreError> {
        gate::pin_layer(&self.conn)
    }

    /// The attempt state, sealed under `secret` and anchored in `anchors` where given.
    pub fn gate(
        &self,
        secret: &UnwrapSecret,
        anchors: Option<std::sync::Arc<dyn AnchorStore>>,
    ) -> Result<GateStore, StoreError> {
        GateStore::open(&self.path, secret, anchors)
    }

    /// Opens the store with its data key: checks the key, upgrades the schema if it is older,
    /// verifies the version index, and, where `anchors` holds a store generation for this
    /// wallet, refuses a directory that is behind it ([`StoreError::StoreRolledBack`]).
    pub fn unlock(
        mut self,
        data_key: &DataKey,
        anchors: Option<std::sync::Arc<dyn AnchorStore>>,
    ) -> Result<Store, StoreError> {
        let keys = RecordKeys::derive(data_key);
        meta::verify_key(&self.conn, &keys)?;
        // Verified up to the index (checked below, before any write but these idempotent ones):
        // from here on, writing is safe.
        ensure_wal(&self.conn)?;
        if self.version < CURRENT_VERSION {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            // Another process may have upgraded it meanwhile.
            let version = schema::read_version(&tx)?;
            schema::upgrade(&tx, &keys, version, CURRENT_VERSION)?;
            tx.commit()?;
        }
        // The anchor is read *before* the index: it is written after each commit, so any value
        // read now belongs to a commit the index read below already contains.
        let anchored = match (&anchors, gate::read_wallet_id(&self.conn)?) {
            (Some(anchors), Some(id)) => GenerationAnchor {
                anchors: std::sync::Arc::clone(anchors),
                name: gate::anchor_name("store", &id),
                saved: 0,
            }
            .load()?,
            _ => None,
        };
        let index = index::load(&self.conn, &keys, CURRENT_VERSION)?;
        let found = index.head.generation;
        if let Some(expected) = anchored.filter(|expected| found < *expected) {
            return Err(StoreError::StoreRolledBack { found, expected });
        }
        if meta::read(&self.conn, gate::UNWRAP_CHECK)?.is_none()
            && gate::pin_layer(&self.conn)?.is_none()
        {
            let check = UnwrapSecret::from_data_key(data_key).check_value();
            meta::write(&self.conn, gate::UNWRAP_CHECK, &check)?;
        }
        let generation_anchor = match anchors {
            Some(anchors) => {
                let id = gate::wallet_id(&mut self.conn)?;
                let mut anchor = GenerationAnchor {
                    anchors,
                    name: gate::anchor_name("store", &id),
                    saved: anchored.unwrap_or(0),
                };
                anchor.advance(found);
                Some(anchor)
            }
            None => None,
        };
        let store = Store {
            conn: self.conn,
            keys,
            index,
            path: self.path,
            generation_anchor,
        };
        Ok(store)
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .field("records", &self.index.versions.len())
            .finish_non_exhaustive()
    }
}

fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // Connection settings only: none of these writes to the file. Fixed SQL rather than
    // rusqlite's `pragma_update`, which would bring its SQL builder (value quoting, identifier
    // checks) into the FFI library for no benefit; these are the statements it would build.
    conn.execute_batch(
        "PRAGMA synchronous='FULL'; PRAGMA temp_store='MEMORY'; PRAGMA trusted_schema='OFF'; \
         PRAGMA cell_size_check='ON'; PRAGMA secure_delete='ON';",
    )?;
    Ok(())
}

fn ensure_wal(conn: &Connection) -> Result<(), StoreError> {
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        let mode: String = conn.query_row("PRAGMA journal_mode='WAL'", [], |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Io(format!(
                "SQLite refused write-ahead logging (journal mode stays {mode})"
            )));
        }
    }
    Ok(())
}

fn quick_check(conn: &Connection) -> Result<(), StoreError> {
    let result: String = conn.query_row("PRAGMA quick_check(1)", [], |row| row.get(0))?;
    if result == "ok" {
        Ok(())
    } else {
        Err(StoreError::StoreCorrupted { detail: result })
    }
}

fn create_owner_only(path: &Path) -> Result<(), StoreError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(StoreError::AlreadyExists {
            path: path.to_owned(),
        }),
        Err(e) => Err(StoreError::Io(format!(
            "cannot create {}: {e}",
            path.display()
        ))),
    }
}

#[cfg(unix)]
fn restrict_to_owner(dir: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| StoreError::Io(format!("cannot restrict {}: {e}", dir.display())))
}

#[cfg(not(unix))]
fn restrict_to_owner(_dir: &Path) -> Result<(), StoreError> {
    Ok(())
}

/// Forgets the rollback anchors the key wrapper keeps for the store at `path` (best effort).
pub(crate) fn forget_anchors(path: &Path, wrapper: &dyn KeyWrapper) {
    if let Some(anchors) = wrapper.anchors() {
        gate::forget_anchors(path, &*anchors);
    }
}

/// Removes the database at `path` and its `-wal`, `-shm` and `-journal` files; files that do not
/// exist are fine. Stops at the first other error.
pub(crate) fn remove_files(path: &Path) -> std::io::Result<()> {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut file = path.to_owned().into_os_string();
        file.push(suffix);
        match std::fs::remove_file(&file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

impl Store {
    /// Creates a new store in `dir` (created if needed) with a fresh data key wrapped by
    /// `wrapper`. Fails with [`StoreError::AlreadyExists`] if `dir` already holds a store.
    pub fn create(dir: &Path, wrapper: &dyn KeyWrapper) -> Result<Self, StoreError> {
        Self::create_at(dir, wrapper, CURRENT_VERSION).map(|(store, _)| store)
    }

    /// As [`Store::create`], also handing back the new data key, for a caller (the wallet) that
    /// derives its own subkeys from it and wipes it when it locks.
    pub fn create_keeping_key(
        dir: &Path,
        wrapper: &dyn KeyWrapper,
    ) -> Result<(Self, DataKey), StoreError> {
        Self::create_at(dir, wrapper, CURRENT_VERSION)
    }

    fn create_at(
        dir: &Path,
        wrapper: &dyn KeyWrapper,
        target: u32,
    ) -> Result<(Self, DataKey), StoreError> {
        let path = dir.join(FILE_NAME);
        if path.exists() {
            return Err(StoreError::AlreadyExists { path });
        }
        if !dir.exists() {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Io(format!("cannot create {}: {e}", dir.display())))?;
            restrict_to_owner(dir)?;
        }
        // Claim the file exclusively, so a concurrent create cannot share it and the clean-up
        // below only ever removes a file this call made.
        create_owner_only(&path)?;
        let mut wrapped_key = None;
        let created = DataKey::generate()
            .and_then(|data_key| Ok((wrapper.wrap(&data_key)?, data_key)))
            .map_err(StoreError::from)
            .and_then(|(wrapped, data_key)| {
                let keys = RecordKeys::derive(&data_key);
                let store = Self::initialise(&path, &wrapped, keys, target);
                wrapped_key = Some(wrapped);
                store.map(|store| (store, data_key))
            });
        if created.is_err() {
            // Leave no half-made store behind (it would block a retry as "already exists"), and
            // no orphaned key in the key store.
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let mut file = path.clone().into_os_string();
                file.push(suffix);
                let _ = std::fs::remove_file(file);
            }
            if let Some(wrapped) = wrapped_key {
                let _ = wrapper.forget(&wrapped);
            }
        }
        created
    }

    fn initialise(
        path: &Path,
        wrapped: &crate::keystore::WrappedKey,
        keys: RecordKeys,
        target: u32,
    ) -> Result<Self, StoreError> {
        let mut conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        configure(&conn)?;
        ensure_wal(&conn)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if schema::read_version(&tx)? != 0 {
            return Err(StoreError::AlreadyExists {
                path: path.to_owned(),
            });
        }
        schema::create(&tx, wrapped, &keys, target)?;
        tx.commit()?;
        let index = if target >= 3 {
            index::load(&conn, &keys, target)?
        } else if target == 2 {
            index::verify(&conn, &keys, target, index::Element::V2)?
        } else {
            IndexState {
                head: index::Head::empty(),
                versions: Default::default(),
            }
        };
        Ok(Self {
            conn,
            keys,
            index,
            path: path.to_owned(),
            generation_anchor: None,
        })
    }

    /// Opens and unlocks the store in `dir`, upgrading its schema if it is older than this code.
    ///
    /// Before writing anything it checks that the file is an intact SQLite database of a schema
    /// it knows ([`StoreError::StoreCorrupted`], [`StoreError::SchemaTooNew`]), that `wrapper`
    /// yields the store's data key ([`StoreError::KeyUnavailable`]) and that every record is the
    /// version the sealed index names ([`StoreError::RecordTampered`]).
    pub fn open(dir: &Path, wrapper: &dyn KeyWrapper) -> Result<Self, StoreError> {
        Self::open_keeping_key(dir, wrapper).map(|(store, _)| store)
    }

    /// As [`Store::open`], also handing back the data key, for a caller (the wallet) that derives
    /// its own subkeys from it and wipes it when it locks.
    pub fn open_keeping_key(
        dir: &Path,
        wrapper: &dyn KeyWrapper,
    ) -> Result<(Self, DataKey), StoreError> {
        let mut locked = Self::open_locked(dir)?;
        if locked.pin_layer()?.is_some() {
            return Err(StoreError::PinRequired);
        }
        let secret = locked.unwrap_secret(wrapper)?;
        let data_key = DataKey::from_bytes(secret.0.clone());
        let store = locked.unlock(&data_key, wrapper.anchors())?;
        Ok((store, data_key))
    }

    /// Opens the store file in `dir` and checks it (intact SQLite, a schema this code knows)
    /// without any key: the first step of unlocking ([`LockedStore`]). Nothing is written.
    pub fn open_locked(dir: &Path) -> Result<LockedStore, StoreError> {
        let path = dir.join(FILE_NAME);
        if !path.is_file() {
            return Err(StoreError::Missing { path });
        }
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        configure(&conn)?;
        let version = schema::read_version(&conn)?;
        if version > CURRENT_VERSION {
            return Err(StoreError::SchemaTooNew {
                found: version,
                supported: CURRENT_VERSION,
            });
        }
        if version == 0 {
            return Err(StoreError::StoreCorrupted {
                detail: "the file has no netid schema (empty or not a wallet store)".to_owned(),
            });
        }
        quick_check(&conn)?;
        schema::verify_shape(&conn, version)?;
        Ok(LockedStore {
            conn,
            path,
            version,
        })
    }

    /// Replaces how the data key is kept, in one transaction: the wrapped key (`wrapped`, which
    /// wraps `secret`), the PIN layer (set, replaced or removed), and the attempt state re-sealed
    /// under `secret`'s key. A crash leaves the old arrangement or the new one, never neither.
    /// The caller makes `wrapped` before and forgets the old wrapped key after.
    pub fn replace_key_material(
        &mut self,
        wrapped: &crate::keystore::WrappedKey,
        pin_layer: Option<&crate::auth::PinLayer>,
        gate: &GateStore,
        secret: &UnwrapSecret,
    ) -> Result<(), StoreError> {
        let old_gate_key = gate.current_key();
        let new_gate_key = secret.gate_key();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        meta::write_wrapped_key(&tx, wrapped)?;
        meta::write(&tx, gate::UNWRAP_CHECK, &secret.check_value())?;
        match pin_layer {
            Some(layer) => meta::write(&tx, gate::PIN_LAYER, &layer.to_bytes())?,
            None => meta::remove(&tx, gate::PIN_LAYER)?,
        }
        if let Some(sealed) = meta::read(&tx, gate::GATE_STATE)? {
            let state = gate::open_state(&old_gate_key, &sealed)?;
            meta::write(
                &tx,
                gate::GATE_STATE,
                &gate::seal_state(&new_gate_key, &state)?,
            )?;
        }
        #[cfg(feature = "test-support")]
        test_support::crash_point("before commit (key material)");
        tx.commit()?;
        #[cfg(feature = "test-support")]
        test_support::crash_point("after commit (key material)");
        gate.rekey(secret);
        Ok(())
    }

    /// The wrapped data key as stored, so a wallet being deleted can ask its key wrapper to
    /// forget it ([`KeyWrapper::forget`]).
    pub fn wrapped_key(&self) -> Result<crate::keystore::WrappedKey, StoreError> {
        meta::read_wrapped_key(&self.conn)
    }

    /// The database file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        schema::read_version(&self.conn)
    }

    /// Runs SQLite's full `integrity_check`; [`StoreError::StoreCorrupted`] unless it reports ok.
    pub fn integrity_check(&self) -> Result<(), StoreError> {
        let mut stmt = self.conn.prepare("PRAGMA integrity_check")?;
        let problems: Vec<String> = stmt
            .query_map([], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
        match problems.as_slice() {
            [ok] if ok == "ok" => Ok(()),
            _ => Err(StoreError::StoreCorrupted {
                detail: problems.join("; "),
            }),
        }
    }

    /// Deletes the store in `dir` without its data key: the way out for a wallet that can no
    /// longer be opened (its key-store entry is gone, the phone was restored without it, the file
    /// is damaged). If the file still names a wrapped key of `wrapper`'s kind, the key store is
    /// asked to forget it (best effort: a key store that cannot must not keep a resident from
    /// starting over); then the database and its `-wal`, `-shm` and `-journal` files are removed.
    /// Holder keys in a host secure area cannot be listed without the data key; hosts delete them
    /// by their alias prefix (`netid-holder-`).
    pub fn destroy(dir: &Path, wrapper: &dyn KeyWrapper) -> Result<(), StoreError> {
        let path = dir.join(FILE_NAME);
        if !path.is_file() {
            return Err(StoreError::Missing { path });
        }
        let wrapped = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .ok()
        .and_then(|conn| meta::read_wrapped_key(&conn).ok());
        if let Some(wrapped) = wrapped.filter(|w| w.kind() == wrapper.kind()) {
            let _ = wrapper.forget(&wrapped);
        }
        if let Some(anchors) = wrapper.anchors() {
            gate::forget_anchors(&path, &*anchors);
        }
        remove_files(&path).map_err(|e| StoreError::Io(e.to_string()))
    }

    /// Closes the database, reporting any error SQLite has on closing.
    pub fn close(self) -> Result<(), StoreError> {
        self.conn.close().map_err(|(_, e)| StoreError::from(e))
    }

    /// Runs `f` in one IMMEDIATE transaction. Either every change `f` made is committed and
    /// durable when this returns `Ok`, or none is (when `f` or the commit fails).
    pub fn write<T>(
        &mut self,
        f: impl FnOnce(&mut Writer<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        // The transaction itself is not generic ([`Self::write_dyn`]): it is called with a dozen
        // different closures, and a copy of it per closure cost 6 KB of the stripped FFI library.
        let mut f = Some(f);
        let mut out = None;
        self.write_dyn(&mut |writer| {
            if let Some(f) = f.take() {
                out = Some(f(writer)?);
            }
            Ok(())
        })?;
        match out {
            Some(out) => Ok(out),
            // `write_dyn` returns `Ok` only after running the closure, which sets `out`.
            None => unreachable!("write_dyn committed without running its closure"),
        }
    }

    fn write_dyn(
        &mut self,
        f: &mut dyn FnMut(&mut Writer<'_>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        index::ensure_fresh(&tx, &self.keys, CURRENT_VERSION, &mut self.index)?;
        let mut writer = Writer::new(&tx, &self.keys, &self.index);
        f(&mut writer)?;
        let applied = writer.finish()?;
        #[cfg(feature = "test-support")]
        test_support::crash_point("before commit");
        tx.commit()?;
        #[cfg(feature = "test-support")]
        test_support::crash_point("after commit");
        if let Some((changes, head)) = applied {
            self.index.apply(changes, head);
            if let Some(anchor) = &mut self.generation_anchor {
                anchor.advance(head.generation);
            }
        }
        Ok(())
    }

    /// Runs `f` against one consistent snapshot, after bringing the index up to date.
    fn read<T>(
        &mut self,
        f: impl FnOnce(&Connection, &RecordKeys, &IndexState) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let tx = self.conn.transaction()?;
        index::ensure_fresh(&tx, &self.keys, CURRENT_VERSION, &mut self.index)?;
        let out = f(&tx, &self.keys, &self.index)?;
        tx.commit()?;
        Ok(out)
    }

    fn get(
        conn: &Connection,
        keys: &RecordKeys,
        index: &IndexState,
        table: Table,
        id: &RecordId,
    ) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
        let row = rows::fetch(conn, table, id)?;
        let expected = index.versions.get(&(table, *id)).copied();
        Ok(rows::verified(keys, table, id, expected, row)?.map(|(_, plain)| plain))
    }

    /// Every record of `table`, checked against the index; `tail` orders or limits the query.
    fn all(
        conn: &Connection,
        keys: &RecordKeys,
        index: &IndexState,
        table: Table,
        tail: &str,
        mut each: impl FnMut(RecordId, i64, Zeroizing<Vec<u8>>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let stored: i64 = conn.query_row(
            &format!("SELECT count(*) FROM {}", table.name()),
            [],
            |row| row.get(0),
        )?;
        if usize::try_from(stored).ok() != Some(index.count_in(table)) {
            return Err(StoreError::RecordTampered {
                table: table.name(),
                detail: "records were removed or added outside netid",
            });
        }
        let seq_column = if table == Table::Activity { "seq" } else { "0" };
        let mut stmt = conn.prepare(&format!(
            "SELECT id, version, sealed, {seq_column} FROM {} {tail}",
            table.name()
        ))?;
        let mut rows_iter = stmt.query([])?;
        while let Some(row) = rows_iter.next()? {
            let id = RecordId::from_slice(&row.get::<_, Vec<u8>>(0)?, table)?;
            let raw = (row.get::<_, i64>(1)?, row.get::<_, Vec<u8>>(2)?);
            let seq: i64 = row.get(3)?;
            let expected = index.versions.get(&(table, id)).copied();
            if let Some((_, plain)) = rows::verified(keys, table, &id, expected, Some(raw))? {
                each(id, seq, plain)?;
            }
        }
        Ok(())
    }

    /// Adds a document; returns its new random id.
    pub fn put_document(&mut self, document: &NewDocument) -> Result<DocumentId, StoreError> {
        self.write(|w| w.put_document(document))
    }

    /// Replaces a document's content.
    pub fn update_document(
        &mut self,
        id: DocumentId,
        document: &NewDocument,
    ) -> Result<(), StoreError> {
        self.write(|w| w.update_document(id, document))
    }

    /// Deletes a document.
    pub fn delete_document(&mut self, id: DocumentId) -> Result<(), StoreError> {
        self.write(|w| w.delete_document(id))
    }

    /// One document.
    pub fn document(&mut self, id: DocumentId) -> Result<Document, StoreError> {
        self.read(|conn, keys, index| {
            let plain = Self::get(conn, keys, index, Table::Documents, &id.0)?
                .ok_or(StoreError::NotFound { what: "document" })?;
            Document::decode(id, &plain)
        })
    }

    /// All documents, oldest first by the time they were added.
    pub fn documents(&mut self) -> Result<Vec<Document>, StoreError> {
        let mut documents = self.read(|conn, keys, index| {
            let mut out = Vec::new();
            Self::all(conn, keys, index, Table::Documents, "", |id, _, plain| {
                out.push(Document::decode(DocumentId(id), &plain)?);
                Ok(())
            })?;
            Ok(out)
        })?;
        documents.sort_by_key(|d| (d.added_at, d.id));
        Ok(documents)
    }

    /// Records a holder key; returns its new random id.
    pub fn put_holder_key(&mut self, key: &NewHolderKey) -> Result<HolderKeyId, StoreError> {
        self.write(|w| w.put_holder_key(key))
    }

    /// Deletes a holder-key record.
    pub fn delete_holder_key(&mut self, id: HolderKeyId) -> Result<(), StoreError> {
        self.write(|w| w.delete_holder_key(id))
    }

    /// One holder key.
    pub fn holder_key(&mut self, id: HolderKeyId) -> Result<HolderKey, StoreError> {
        self.read(|conn, keys, index| {
            let plain = Self::get(conn, keys, index, Table::HolderKeys, &id.0)?
                .ok_or(StoreError::NotFound { what: "holder key" })?;
            HolderKey::decode(id, &plain)
        })
    }

    /// All holder keys, oldest first.
    pub fn holder_keys(&mut self) -> Result<Vec<HolderKey>, StoreError> {
        let mut keys_out = self.read(|conn, keys, index| {
            let mut out = Vec::new();
            Self::all(conn, keys, index, Table::HolderKeys, "", |id, _, plain| {
                out.push(HolderKey::decode(HolderKeyId(id), &plain)?);
                Ok(())
            })?;
            Ok(out)
        })?;
        keys_out.sort_by_key(|k| (k.created_at, k.id));
        Ok(keys_out)
    }

    fn setting_value(&mut self, name: &SettingName) -> Result<Option<SettingValue>, StoreError> {
        self.read(|conn, keys, index| {
            let id = keys.setting_id(name.as_str());
            Self::get(conn, keys, index, Table::Settings, &id)?
                .map(|plain| setting::decode(name, &plain))
                .transpose()
        })
    }

    /// Sets a byte-valued setting.
    pub fn set_setting(&mut self, name: &SettingName, value: &[u8]) -> Result<(), StoreError> {
        self.write(|w| w.set_setting(name, value))
    }

    /// A byte-valued setting, if set.
    pub fn setting(
        &mut self,
        name: &SettingName,
    ) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
        match self.setting_value(name)? {
            None => Ok(None),
            Some(SettingValue::Bytes(bytes)) => Ok(Some(bytes)),
            Some(other) => Err(StoreError::SettingKind {
                name: name.as_str().to_owned(),
                expected: "a byte value",
                found: other.kind(),
            }),
        }
    }

    /// Removes a setting or counter; returns whether it existed.
    pub fn remove_setting(&mut self, name: &SettingName) -> Result<bool, StoreError> {
        self.write(|w| w.remove_setting(name))
    }

    /// Adds one to a counter and returns the new value; the new value is durable on disk before
    /// this returns, so a crash cannot undo a counted failure.
    pub fn increment_counter(&mut self, name: &SettingName) -> Result<u64, StoreError> {
        self.write(|w| w.increment_counter(name))
    }

    /// Sets a counter to 0.
    pub fn reset_counter(&mut self, name: &SettingName) -> Result<(), StoreError> {
        self.write(|w| w.reset_counter(name))
    }

    /// A counter's value (0 if never incremented).
    pub fn counter(&mut self, name: &SettingName) -> Result<u64, StoreError> {
        match self.setting_value(name)? {
            None => Ok(0),
            Some(SettingValue::Counter(n)) => Ok(n),
            Some(other) => Err(StoreError::SettingKind {
                name: name.as_str().to_owned(),
                expected: "a counter",
                found: other.kind(),
            }),
        }
    }

    /// Appends an entry to the activity log.
    pub fn append_activity(&mut self, entry: &NewActivity) -> Result<ActivityId, StoreError> {
        self.write(|w| w.append_activity(entry))
    }

    /// The newest `limit` activity entries, newest first.
    pub fn activity(&mut self, limit: usize) -> Result<Vec<ActivityEntry>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(|conn, keys, index| {
            let mut out = Vec::new();
            Self::all(
                conn,
                keys,
                index,
                Table::Activity,
                &format!("ORDER BY seq DESC LIMIT {limit}"),
                |id, seq, plain| {
                    let seq = u64::try_from(seq).map_err(|_| StoreError::RecordTampered {
                        table: Table::Activity.name(),
                        detail: "the log position is invalid",
                    })?;
                    out.push(ActivityEntry::decode(ActivityId(id), seq, &plain)?);
                    Ok(())
                },
            )?;
            Ok(out)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configure_sets_every_connection_pragma() {
        let conn = Connection::open_in_memory().expect("in-memory database");
        configure(&conn).expect("configure");
        let get = |pragma: &str| -> i64 {
            conn.query_row(&format!("PRAGMA {pragma}"), [], |row| row.get(0))
                .expect(pragma)
        };
        assert_eq!(get("synchronous"), 2, "FULL");
        assert_eq!(get("temp_store"), 2, "MEMORY");
        assert_eq!(get("trusted_schema"), 0);
        assert_eq!(get("cell_size_check"), 1);
        assert_eq!(get("secure_delete"), 1);
    }
}
