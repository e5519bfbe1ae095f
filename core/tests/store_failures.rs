//! Failure behaviour: a wrong or missing key, a damaged file, a tampered record and a newer schema
//! each give their own typed error, never a panic, and leave every file of the store unchanged.

mod store_support;

use std::path::Path;

use netid_core::keystore::{
    DataKey, KeyStoreError, KeyWrapper, OsKeyStore, Passphrase, PassphraseKeyStore, Unavailable,
    WrappedKey, WrapperKind,
};
use netid_core::store::{
    ActivityKind, DocType, DocumentId, FILE_NAME, NewActivity, SettingName, Store, StoreError,
    Timestamp,
};
use rand_core::{OsRng, RngCore};
use rusqlite::{Connection, params};
use store_support::{PEOPLE, document, snapshot, wrapper};
use zeroize::Zeroizing;

/// A store with three documents, a counter and two log entries, closed cleanly.
fn populated(dir: &Path, wrapper: &dyn KeyWrapper) -> Vec<DocumentId> {
    let mut store = Store::create(dir, wrapper).unwrap();
    let ids = PEOPLE
        .iter()
        .enumerate()
        .map(|(i, (name, id))| {
            store
                .put_document(&document(DocType::RESIDENT_ID, name, id, i as u64))
                .unwrap()
        })
        .collect();
    let counter = SettingName::new("auth.failed-attempts").unwrap();
    store.increment_counter(&counter).unwrap();
    for at in [10, 11] {
        store
            .append_activity(&NewActivity {
                at: Timestamp::from_unix_seconds(at),
                kind: ActivityKind::Presentation,
                document: None,
                detail: "hotel".to_owned(),
            })
            .unwrap();
    }
    store.close().unwrap();
    ids
}

fn raw(dir: &Path) -> Connection {
    Connection::open(dir.join(FILE_NAME)).unwrap()
}

fn row(conn: &Connection, table: &str, id: &[u8]) -> (i64, Vec<u8>) {
    conn.query_row(
        &format!("SELECT version, sealed FROM {table} WHERE id = ?1"),
        [id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .unwrap()
}

fn put_row(conn: &Connection, table: &str, id: &[u8], (version, sealed): &(i64, Vec<u8>)) {
    let n = conn
        .execute(
            &format!("UPDATE {table} SET version = ?2, sealed = ?3 WHERE id = ?1"),
            params![id, version, sealed],
        )
        .unwrap();
    assert_eq!(n, 1);
}

/// Opens with `wrapper`, expects an error, and checks no file changed.
fn open_fails_untouched(dir: &Path, wrapper: &dyn KeyWrapper) -> StoreError {
    let before = snapshot(dir);
    let error = Store::open(dir, wrapper).unwrap_err();
    assert_eq!(
        snapshot(dir),
        before,
        "a failed open changed the store's files"
    );
    error
}

#[test]
fn wrong_key_is_key_unavailable_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let owner = wrapper();
    populated(dir.path(), &owner);
    let stranger = wrapper();
    assert!(matches!(
        open_fails_untouched(dir.path(), &stranger),
        StoreError::KeyUnavailable(Unavailable::Wrong)
    ));
    // The store still opens with the right key afterwards.
    Store::open(dir.path(), &owner).unwrap().close().unwrap();
}

/// A key store that hands back a well-formed key that is not the store's.
struct ReturnsAnotherKey;

impl KeyWrapper for ReturnsAnotherKey {
    fn kind(&self) -> WrapperKind {
        WrapperKind::InMemory
    }
    fn wrap(&self, _: &DataKey) -> Result<WrappedKey, KeyStoreError> {
        Ok(WrappedKey::new(WrapperKind::InMemory, Vec::new()))
    }
    fn unwrap(&self, _: &WrappedKey) -> Result<DataKey, KeyStoreError> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(bytes.as_mut());
        Ok(DataKey::from_bytes(bytes))
    }
}

#[test]
fn a_key_that_unwraps_but_is_not_the_stores_is_caught_by_the_key_check() {
    let dir = tempfile::tempdir().unwrap();
    populated(dir.path(), &wrapper());
    assert!(matches!(
        open_fails_untouched(dir.path(), &ReturnsAnotherKey),
        StoreError::KeyUnavailable(Unavailable::Wrong)
    ));
}

#[test]
fn another_kind_of_key_store_is_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    populated(dir.path(), &wrapper());
    let passphrase = PassphraseKeyStore::new(
        Passphrase::new(Zeroizing::new("a long passphrase".to_owned())).unwrap(),
    );
    assert!(matches!(
        open_fails_untouched(dir.path(), &passphrase),
        StoreError::KeyStore(KeyStoreError::WrongWrapperKind {
            wrapped_by: WrapperKind::InMemory,
            offered: WrapperKind::Passphrase
        })
    ));
}

#[test]
fn missing_os_key_is_key_unavailable_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let keyring = OsKeyStore::with_platform_store(keyring_core::mock::Store::new().unwrap());
    populated(dir.path(), &keyring);
    let wrapped = {
        let conn = raw(dir.path());
        let bytes: Vec<u8> = conn
            .query_row(
                "SELECT value FROM meta WHERE name = 'wrapped_key'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        WrappedKey::from_bytes(&bytes).unwrap()
    };
    keyring.delete_key(&wrapped).unwrap();
    assert!(matches!(
        open_fails_untouched(dir.path(), &keyring),
        StoreError::KeyUnavailable(Unavailable::Missing)
    ));
}

fn corrupt_and_expect(corrupt: impl Fn(&mut Vec<u8>)) -> StoreError {
    let dir = tempfile::tempdir().unwrap();
    let wrapper = wrapper();
    populated(dir.path(), &wrapper);
    let path = dir.path().join(FILE_NAME);
    let mut bytes = std::fs::read(&path).unwrap();
    corrupt(&mut bytes);
    std::fs::write(&path, &bytes).unwrap();
    open_fails_untouched(dir.path(), &wrapper)
}

#[test]
fn garbage_header_is_store_corrupted() {
    let error = corrupt_and_expect(|b| b[..100].fill(0xab));
    assert!(
        matches!(error, StoreError::StoreCorrupted { .. }),
        "{error:?}"
    );
}

#[test]
fn truncated_files_are_store_corrupted() {
    for keep in [0.0, 0.01, 0.5, 0.9] {
        let error = corrupt_and_expect(|b| b.truncate((b.len() as f64 * keep) as usize));
        assert!(
            matches!(error, StoreError::StoreCorrupted { .. }),
            "keeping {keep}: {error:?}"
        );
    }
}

#[test]
fn broken_page_structure_is_store_corrupted() {
    // Byte 0 of every b-tree page after the first is its page type; 0xff is not a valid type.
    let error = corrupt_and_expect(|b| {
        let page = usize::from(u16::from_be_bytes([b[16], b[17]]));
        for start in (page..b.len()).step_by(page) {
            b[start] = 0xff;
        }
    });
    assert!(
        matches!(error, StoreError::StoreCorrupted { .. }),
        "{error:?}"
    );
}

#[test]
fn random_bit_flips_never_panic_never_return_wrong_data_and_touch_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let wrapper = wrapper();
    let ids = populated(dir.path(), &wrapper);
    let path = dir.path().join(FILE_NAME);
    let pristine = std::fs::read(&path).unwrap();
    let used: Vec<usize> = (100..pristine.len())
        .filter(|i| pristine[*i] != 0)
        .collect();
    let (mut opened, mut refused) = (0, 0);
    for _ in 0..60 {
        let mut bytes = pristine.clone();
        // A used byte past the 100-byte file header (whole-header damage is its own test);
        // SQLite zeroes free space here (secure_delete), so non-zero bytes are live content.
        let at = used[(OsRng.next_u64() as usize) % used.len()];
        bytes[at] ^= 1 << (OsRng.next_u32() % 8);
        std::fs::write(&path, &bytes).unwrap();
        let before = snapshot(dir.path());
        match Store::open(dir.path(), &wrapper) {
            Ok(mut store) => {
                // A flip in free space is harmless; anything read must be exactly what was stored.
                let others = store
                    .activity(10)
                    .map(|log| assert_eq!(log.len(), 2))
                    .and_then(|()| {
                        store.counter(&SettingName::new("auth.failed-attempts").unwrap())
                    })
                    .map(|n| assert_eq!(n, 1));
                match others.and_then(|()| store.documents()) {
                    Ok(docs) => {
                        assert_eq!(docs.iter().map(|d| d.id).collect::<Vec<_>>(), ids);
                        for (doc, (name, id)) in docs.iter().zip(PEOPLE) {
                            assert_eq!(doc.credential, store_support::credential_for(name, id));
                        }
                        opened += 1;
                    }
                    Err(StoreError::StoreCorrupted { .. } | StoreError::RecordTampered { .. }) => {
                        refused += 1
                    }
                    Err(other) => panic!("unexpected error kind after a bit flip: {other:?}"),
                }
            }
            // A flip in the wrapped key's kind byte names another key store: also a refusal.
            Err(
                StoreError::StoreCorrupted { .. }
                | StoreError::RecordTampered { .. }
                | StoreError::KeyUnavailable(_)
                | StoreError::KeyStore(KeyStoreError::WrongWrapperKind { .. }),
            ) => {
                assert_eq!(snapshot(dir.path()), before, "a refused open changed files");
                refused += 1;
            }
            Err(other) => panic!("unexpected error kind after a bit flip at {at}: {other:?}"),
        }
    }
    eprintln!("bit flips: {opened} harmless, {refused} refused");
    assert_eq!(opened + refused, 60);
    assert!(refused > 0, "no flip in live content was noticed");
}

#[test]
fn an_altered_schema_is_store_corrupted() {
    let dir = tempfile::tempdir().unwrap();
    let wrapper = wrapper();
    populated(dir.path(), &wrapper);
    raw(dir.path())
        .execute_batch("CREATE TABLE extra (x); ")
        .unwrap();
    let error = open_fails_untouched(dir.path(), &wrapper);
    assert!(
        matches!(error, StoreError::StoreCorrupted { .. }),
        "{error:?}"
    );
}

#[test]
fn a_record_moved_to_another_row_is_record_tampered() {
    let dir = tempfile::tempdir().unwrap();
    let wrapper = wrapper();
    let ids = populated(dir.path(), &wrapper);
    {
        let conn = raw(dir.path());
        let a = row(&conn, "documents", ids[0].as_bytes());
        put_row(&conn, "documents", ids[1].as_bytes(), &a);
    }
    // The set MAC binds each record's sealed bytes, so opening already sees the move (before it
    // did, only reading the moved record failed).
    assert!(matches!(
        open_fails_untouched(dir.path(), &wrapper),
        StoreError::RecordTampered { .. }
    ));
}

#[test]
fn swapped_record_ids_are_record_tampered() {
    let dir = tempfile::tempdir().unwrap();
    let wrapper = wrapper();
    let ids = populated(dir.path(), &wrapper);
    {
        let conn = raw(dir.path());
        conn.execute_batch("BEGIN").unwrap();
        for (from, to) in [(&ids[0], [0u8; 16]), (&ids[1], *ids[0].as_bytes())] {
            conn.execute(
                "UPDATE documents SET id = ?2 WHERE id = ?1",
                params![&from.as_bytes()[..], &to[..]],
            )
            .unwrap();
        }
        conn.execute(
            "UPDATE documents SET id = ?2 WHERE id = ?1",
            params![&[0u8; 16][..], &ids[1].as_bytes()[..]],
        )
        .unwrap();
        conn.execute_batch("COMMIT").unwrap();
    }
    assert!(matches!(
        open_fails_untouched(dir.path(), &wrapper),
        StoreError::RecordTampered { .. }
    ));
}

#[test]
fn a_record_rolled_back_to_an_older_version_is_record_tampered_and_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let wrapper = wrapper();
    let ids = populated(dir.path(), &wrapper);
    let old = row(&raw(dir.path()), "documents", ids[0].as_bytes());
    let mut store = Store::open(dir.path(), &wrapper).unwrap();
    let mut changed = document(DocType::RESIDENT_ID, PEOPLE[0].0, PEOPLE[0].1, 0);
    changed.label = Some("renewed".to_owned());
    store.update_document(ids[0], &changed).unwrap();
    store.close().unwrap();
    put_row(&raw(dir.path()), "documents", ids[0].as_bytes(), &old);
    assert!(matches!(
        open_fails_untouched(dir.path(), &wrapper),
        StoreError::RecordTampered { .. }
    ));
}

#[test]
fn a_counter_rolled_back_is_record_tampered() {
    // The auth module keeps failed-attempt counters here: resetting one by restoring an old row
    // must not work.
    let dir = tempfile::tempdir().unwrap();
    let wrapper = wrapper();
    populated(dir.path(), &wrapper);
    let counter = SettingName::new("auth.failed-attempts").unwrap();
    let conn = raw(dir.path());
    let (id, old): (Vec<u8>, (i64, Vec<u8>)) = conn
        .query_row("SELECT id, version, sealed FROM settings", [], |r| {
            Ok((r.get(0)?, (r.get(1)?, r.get(2)?)))
        })
        .unwrap();
    let mut store = Store::open(dir.path(), &wrapper).unwrap();
    assert_eq!(store.increment_counter(&counter).unwrap(), 2);
    assert_eq!(store.increment_counter(&counter).unwrap(), 3);
    // Rolled back while the store is open: caught on the next read.
    put_row(&conn, "settings", &id, &old);
    assert!(matches!(
        store.counter(&counter),
        Err(StoreError::RecordTampered {
            table: "settings",
            ..
        })
    ));
    assert!(matches!(
        store.increment_counter(&counter),
        Err(StoreError::RecordTampered {
            table: "settings",
            ..
        })
    ));
    drop((store, conn));
    assert!(matches!(
        open_fails_untouched(dir.path(), &wrapper),
        StoreError::RecordTampered { .. }
    ));
}

#[test]
fn removed_or_restored_records_are_record_tampered() {
    let dir = tempfile::tempdir().unwrap();
    let wrapper = wrapper();
    let ids = populated(dir.path(), &wrapper);
    let conn = raw(dir.path());
    conn.execute(
        "DELETE FROM documents WHERE id = ?1",
        [&ids[0].as_bytes()[..]],
    )
    .unwrap();
    drop(conn); // the -shm index is shared state: hash files only with no other connection open
    assert!(matches!(
        open_fails_untouched(dir.path(), &wrapper),
        StoreError::RecordTampered { .. }
    ));

    // A document deleted through the store and then put back from an old copy of the file.
    let dir = tempfile::tempdir().unwrap();
    let ids = populated(dir.path(), &wrapper);
    let conn = raw(dir.path());
    let deleted = row(&conn, "documents", ids[2].as_bytes());
    let mut store = Store::open(dir.path(), &wrapper).unwrap();
    store.delete_document(ids[2]).unwrap();
    conn.execute(
        "INSERT INTO documents (id, version, sealed) VALUES (?1, ?2, ?3)",
        params![&ids[2].as_bytes()[..], deleted.0, deleted.1],
    )
    .unwrap();
    assert!(matches!(
        store.document(ids[2]),
        Err(StoreError::RecordTampered { .. })
    ));
    assert!(matches!(
        store.documents(),
        Err(StoreError::RecordTampered { .. })
    ));
    drop((store, conn));
    assert!(matches!(
        open_fails_untouched(dir.path(), &wrapper),
        StoreError::RecordTampered { .. }
    ));
}

#[test]
fn rolling_back_the_index_with_some_records_is_record_tampered() {
    let dir = tempfile::tempdir().unwrap();
    let wrapper = wrapper();
    let ids = populated(dir.path(), &wrapper);
    let conn = raw(dir.path());
    let old_head: Vec<u8> = conn
        .query_row(
            "SELECT value FROM meta WHERE name = 'index_head'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let old_doc = row(&conn, "documents", ids[0].as_bytes());
    let mut store = Store::open(dir.path(), &wrapper).unwrap();
    let mut changed = document(DocType::RESIDENT_ID, PEOPLE[0].0, PEOPLE[0].1, 0);
    changed.label = Some("renewed".to_owned());
    store.update_document(ids[0], &changed).unwrap();
    store
        .put_document(&document(
            DocType::DRIVING_LICENCE,
            PEOPLE[0].0,
            PEOPLE[0].1,
            9,
        ))
        .unwrap();
    // Restore the old head and the old document, but not the whole file.
    conn.execute(
        "UPDATE meta SET value = ?1 WHERE name = 'index_head'",
        [&old_head],
    )
    .unwrap();
    put_row(&conn, "documents", ids[0].as_bytes(), &old_doc);
    assert!(matches!(
        store.documents(),
        Err(StoreError::RecordTampered { .. })
    ));
    drop((store, conn));
    assert!(matches!(
        open_fails_untouched(dir.path(), &wrapper),
        StoreError::RecordTampered { .. }
    ));
}

#[test]
fn reordered_activity_entries_are_record_tampered() {
    let dir = tempfile::tempdir().unwrap();
    let wrapper = wrapper();
    populated(dir.path(), &wrapper);
    raw(dir.path())
        .execute_batch(
            "UPDATE activity_log SET seq = -seq; \
             UPDATE activity_log SET seq = 3 + seq;",
        )
        .unwrap();
    let mut store = Store::open(dir.path(), &wrapper).unwrap();
    assert!(matches!(
        store.activity(10),
        Err(StoreError::RecordTampered {
            table: "activity_log",
            ..
        })
    ));
}

#[test]
fn a_newer_schema_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let wrapper = wrapper();
    populated(dir.path(), &wrapper);
    raw(dir.path())
        .pragma_update(None, "user_version", 99)
        .unwrap();
    assert!(matches!(
        open_fails_untouched(dir.path(), &wrapper),
        StoreError::SchemaTooNew {
            found: 99,
            supported: netid_core::store::CURRENT_VERSION
        }
    ));
}

#[test]
fn missing_and_existing_stores_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let wrapper = wrapper();
    assert!(matches!(
        Store::open(dir.path(), &wrapper),
        Err(StoreError::Missing { .. })
    ));
    assert!(
        !dir.path().join(FILE_NAME).exists(),
        "open must not create a store"
    );
    populated(dir.path(), &wrapper);
    let before = snapshot(dir.path());
    assert!(matches!(
        Store::create(dir.path(), &wrapper),
        Err(StoreError::AlreadyExists { .. })
    ));
    assert_eq!(snapshot(dir.path()), before);
}

/// A key store that is down.
struct Unreachable;

impl KeyWrapper for Unreachable {
    fn kind(&self) -> WrapperKind {
        WrapperKind::Host
    }
    fn wrap(&self, _: &DataKey) -> Result<WrappedKey, KeyStoreError> {
        Err(KeyStoreError::PlatformStore(
            "key store is locked".to_owned(),
        ))
    }
    fn unwrap(&self, _: &WrappedKey) -> Result<DataKey, KeyStoreError> {
        Err(KeyStoreError::PlatformStore(
            "key store is locked".to_owned(),
        ))
    }
}

#[test]
fn a_create_that_cannot_wrap_the_key_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        Store::create(dir.path(), &Unreachable),
        Err(StoreError::KeyStore(KeyStoreError::PlatformStore(_)))
    ));
    assert!(snapshot(dir.path()).is_empty());
    // And a later create succeeds.
    Store::create(dir.path(), &wrapper()).unwrap();
}

#[cfg(unix)]
#[test]
fn new_store_files_are_private_to_the_owner() {
    use std::os::unix::fs::PermissionsExt;
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("wallet");
    let store = Store::create(&dir, &wrapper()).unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join(FILE_NAME)), 0o600);
    assert_eq!(mode(&dir.join(format!("{FILE_NAME}-wal"))), 0o600);
    drop(store);
}

/// Remembers what it was asked to forget.
struct ForgetfulWrapper {
    inner: netid_core::keystore::InMemoryKeyWrapper,
    forgotten: std::sync::Mutex<Vec<Vec<u8>>>,
}

impl KeyWrapper for ForgetfulWrapper {
    fn kind(&self) -> WrapperKind {
        self.inner.kind()
    }
    fn wrap(&self, data_key: &DataKey) -> Result<WrappedKey, KeyStoreError> {
        self.inner.wrap(data_key)
    }
    fn unwrap(&self, wrapped: &WrappedKey) -> Result<DataKey, KeyStoreError> {
        self.inner.unwrap(wrapped)
    }
    fn forget(&self, wrapped: &WrappedKey) -> Result<(), KeyStoreError> {
        self.forgotten.lock().unwrap().push(wrapped.to_bytes());
        Ok(())
    }
}

#[test]
fn destroy_removes_a_store_it_cannot_open_and_forgets_its_key_when_it_can_read_it() {
    let forgetful = ForgetfulWrapper {
        inner: netid_core::keystore::InMemoryKeyWrapper::new().unwrap(),
        forgotten: std::sync::Mutex::new(Vec::new()),
    };
    // Readable file, key unknown to anyone but the wrapper: the wrapped key is forgotten.
    let dir = tempfile::tempdir().unwrap();
    populated(dir.path(), &forgetful);
    let wrapped = Store::open(dir.path(), &forgetful)
        .unwrap()
        .wrapped_key()
        .unwrap();
    Store::destroy(dir.path(), &forgetful).unwrap();
    assert_eq!(
        *forgetful.forgotten.lock().unwrap(),
        vec![wrapped.to_bytes()]
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);

    // A damaged file: nothing to forget, but it is still removed.
    let damaged = tempfile::tempdir().unwrap();
    populated(damaged.path(), &forgetful);
    std::fs::write(damaged.path().join(FILE_NAME), b"not a database at all").unwrap();
    Store::destroy(damaged.path(), &forgetful).unwrap();
    assert_eq!(forgetful.forgotten.lock().unwrap().len(), 1);
    assert_eq!(std::fs::read_dir(damaged.path()).unwrap().count(), 0);

    assert!(matches!(
        Store::destroy(damaged.path(), &forgetful),
        Err(StoreError::Missing { .. })
    ));
}

/// The id and row of the only setting in a store that holds just one.
fn only_setting_row(conn: &Connection) -> (Vec<u8>, (i64, Vec<u8>)) {
    conn.query_row("SELECT id, version, sealed FROM settings", [], |r| {
        Ok((r.get(0)?, (r.get(1)?, r.get(2)?)))
    })
    .unwrap()
}

#[test]
fn a_setting_removed_and_re_added_never_reuses_a_version() {
    // Settings are addressed by a fixed keyed hash of their name, so a removed setting comes back
    // under the same id; its versions must carry on above any it had, or an old sealed row at
    // the same (id, version) would open as valid.
    let dir = tempfile::tempdir().unwrap();
    let wrapper = wrapper();
    let name = SettingName::new("wallet.test-setting").unwrap();
    let mut store = Store::create(dir.path(), &wrapper).unwrap();
    store.set_setting(&name, b"first").unwrap();
    let conn = raw(dir.path());
    let (id, old) = only_setting_row(&conn);
    assert!(store.remove_setting(&name).unwrap());
    store.set_setting(&name, b"second").unwrap();
    let (same_id, new) = only_setting_row(&conn);
    assert_eq!(same_id, id);
    assert!(
        new.0 > old.0,
        "version {} after re-adding does not exceed the removed record's {}",
        new.0,
        old.0
    );
    store.close().unwrap();
    drop(conn);
}

#[test]
fn an_old_setting_row_restored_after_remove_and_re_add_is_record_tampered() {
    // Before versions carried on, the re-added setting was at version 1 again, so the old row
    // (sealed for the same id and version 1) opened as valid and rolled the value back.
    let dir = tempfile::tempdir().unwrap();
    let wrapper = wrapper();
    let name = SettingName::new("wallet.test-setting").unwrap();
    let mut store = Store::create(dir.path(), &wrapper).unwrap();
    store.set_setting(&name, b"first").unwrap();
    let conn = raw(dir.path());
    let (id, old) = only_setting_row(&conn);
    assert!(store.remove_setting(&name).unwrap());
    store.set_setting(&name, b"second").unwrap();
    put_row(&conn, "settings", &id, &old);
    assert!(matches!(
        store.setting(&name),
        Err(StoreError::RecordTampered { .. })
    ));
    drop((store, conn));
    assert!(matches!(
        open_fails_untouched(dir.path(), &wrapper),
        StoreError::RecordTampered { .. }
    ));
}
