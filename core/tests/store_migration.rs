//! Forward migration: a database written by schema version 1 (v1 SQL, records sealed at version
//! 1, no activity log, no version index) opens with the current code, is upgraded in place, keeps
//! every record, and gains the activity log and the rollback-detecting index.

mod store_support;

use netid_core::store::test_support::{create_v1_store, create_v2_store};
use netid_core::store::{
    ActivityKind, CURRENT_VERSION, DocType, FILE_NAME, NewActivity, SettingName, Store, StoreError,
    Timestamp,
};
use rusqlite::Connection;
use store_support::{PEOPLE, document, wrapper};

#[test]
fn a_version_1_database_is_upgraded_with_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let wrapper = wrapper();
    let failures = SettingName::new("auth.failed-attempts").unwrap();
    let docs = [
        document(DocType::RESIDENT_ID, PEOPLE[0].0, PEOPLE[0].1, 1),
        document(DocType::DRIVING_LICENCE, PEOPLE[0].0, PEOPLE[0].1, 2),
    ];
    let ids = create_v1_store(dir.path(), &wrapper, &docs, &[(failures.clone(), 4)]).unwrap();

    // It really is a version-1 file: no activity log, no index head.
    {
        let conn = Connection::open(dir.path().join(FILE_NAME)).unwrap();
        let version: u32 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, 1);
        let tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(tables, ["documents", "holder_keys", "meta", "settings"]);
        let heads: i64 = conn
            .query_row(
                "SELECT count(*) FROM meta WHERE name = 'index_head'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(heads, 0);
    }

    let mut store = Store::open(dir.path(), &wrapper).unwrap();
    assert_eq!(store.schema_version().unwrap(), CURRENT_VERSION);
    let listed = store.documents().unwrap();
    assert_eq!(listed.iter().map(|d| d.id).collect::<Vec<_>>(), ids);
    for (doc, input) in listed.iter().zip(&docs) {
        assert_eq!(doc.credential, input.credential);
        assert_eq!(doc.doc_type, input.doc_type);
    }
    assert_eq!(store.counter(&failures).unwrap(), 4);
    assert_eq!(store.increment_counter(&failures).unwrap(), 5);
    // The table added by version 2 works.
    store
        .append_activity(&NewActivity {
            at: Timestamp::from_unix_seconds(3),
            kind: ActivityKind::Enrolment,
            document: Some(ids[0]),
            detail: String::new(),
        })
        .unwrap();
    store.integrity_check().unwrap();
    store.close().unwrap();

    // The index added by version 2 now protects the migrated records.
    let conn = Connection::open(dir.path().join(FILE_NAME)).unwrap();
    conn.execute(
        "UPDATE documents SET version = 2 WHERE id = ?1",
        [&ids[1].as_bytes()[..]],
    )
    .unwrap();
    drop(conn);
    assert!(matches!(
        Store::open(dir.path(), &wrapper),
        Err(StoreError::RecordTampered { .. })
    ));
}

#[test]
fn a_version_1_database_with_the_wrong_key_is_not_upgraded() {
    let dir = tempfile::tempdir().unwrap();
    create_v1_store(dir.path(), &wrapper(), &[], &[]).unwrap();
    let before = store_support::snapshot(dir.path());
    assert!(matches!(
        Store::open(dir.path(), &wrapper()),
        Err(StoreError::KeyUnavailable(_))
    ));
    assert_eq!(store_support::snapshot(dir.path()), before);
    let conn = Connection::open(dir.path().join(FILE_NAME)).unwrap();
    let version: u32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 1);
}

fn raw_version(dir: &std::path::Path, table: &str) -> i64 {
    let conn = Connection::open(dir.join(FILE_NAME)).unwrap();
    conn.query_row(&format!("SELECT max(version) FROM {table}"), [], |r| {
        r.get(0)
    })
    .unwrap()
}

#[test]
fn a_version_2_database_is_upgraded_to_an_index_that_binds_content() {
    let dir = tempfile::tempdir().unwrap();
    let wrapper = wrapper();
    let name = SettingName::new("wallet.test-setting").unwrap();
    let docs = [
        document(DocType::RESIDENT_ID, PEOPLE[1].0, PEOPLE[1].1, 1),
        document(DocType::DRIVING_LICENCE, PEOPLE[1].0, PEOPLE[1].1, 2),
    ];
    let ids = create_v2_store(dir.path(), &wrapper, &docs, &[(name.clone(), b"kept", 7)]).unwrap();
    let schema = |dir: &std::path::Path| -> u32 {
        Connection::open(dir.join(FILE_NAME))
            .unwrap()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(schema(dir.path()), 2);
    // What the version-2 store holds before the upgrade: a document's row, to swap in later.
    let conn = Connection::open(dir.path().join(FILE_NAME)).unwrap();
    let (v0, sealed0): (i64, Vec<u8>) = conn
        .query_row(
            "SELECT version, sealed FROM documents WHERE id = ?1",
            [&ids[0].as_bytes()[..]],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    drop(conn);

    let mut store = Store::open(dir.path(), &wrapper).unwrap();
    assert_eq!(store.schema_version().unwrap(), CURRENT_VERSION);
    let listed = store.documents().unwrap();
    assert_eq!(listed.iter().map(|d| d.id).collect::<Vec<_>>(), ids);
    for (doc, input) in listed.iter().zip(&docs) {
        assert_eq!(doc.credential, input.credential);
    }
    assert_eq!(store.setting(&name).unwrap().unwrap().as_slice(), b"kept");
    // The setting had reached version 7 under version-2 code: removed and re-added, it starts
    // above that, never at 1 again.
    assert!(store.remove_setting(&name).unwrap());
    store.set_setting(&name, b"again").unwrap();
    assert!(raw_version(dir.path(), "settings") > 7);
    store.integrity_check().unwrap();
    store.close().unwrap();
    assert_eq!(schema(dir.path()), CURRENT_VERSION);

    // Updated after the upgrade, then the old row (its old version) put back: refused.
    let mut store = Store::open(dir.path(), &wrapper).unwrap();
    let mut renewed = document(DocType::RESIDENT_ID, PEOPLE[1].0, PEOPLE[1].1, 1);
    renewed.label = Some("renewed".to_owned());
    store.update_document(ids[0], &renewed).unwrap();
    store.close().unwrap();
    let conn = Connection::open(dir.path().join(FILE_NAME)).unwrap();
    conn.execute(
        "UPDATE documents SET version = ?2, sealed = ?3 WHERE id = ?1",
        rusqlite::params![&ids[0].as_bytes()[..], v0, sealed0],
    )
    .unwrap();
    drop(conn);
    assert!(matches!(
        Store::open(dir.path(), &wrapper),
        Err(StoreError::RecordTampered { .. })
    ));
}

#[test]
fn a_tampered_version_2_database_is_refused_not_upgraded() {
    // The upgrade re-seals the index: it must check the old one first, or it would launder a
    // record rolled back while the store was at version 2.
    let dir = tempfile::tempdir().unwrap();
    let wrapper = wrapper();
    let docs = [document(DocType::RESIDENT_ID, PEOPLE[2].0, PEOPLE[2].1, 1)];
    let ids = create_v2_store(dir.path(), &wrapper, &docs, &[]).unwrap();
    let conn = Connection::open(dir.path().join(FILE_NAME)).unwrap();
    conn.execute(
        "DELETE FROM documents WHERE id = ?1",
        [&ids[0].as_bytes()[..]],
    )
    .unwrap();
    drop(conn);
    let before = store_support::snapshot(dir.path());
    assert!(matches!(
        Store::open(dir.path(), &wrapper),
        Err(StoreError::RecordTampered { .. })
    ));
    assert_eq!(store_support::snapshot(dir.path()), before);
}
