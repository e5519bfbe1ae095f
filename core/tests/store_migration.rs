//! Forward migration: a database written by schema version 1 (v1 SQL, records sealed at version
//! 1, no activity log, no version index) opens with the current code, is upgraded in place, keeps
//! every record, and gains the activity log and the rollback-detecting index.

mod store_support;

use netid_core::store::test_support::create_v1_store;
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
