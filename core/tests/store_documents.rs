//! The store keeps several documents of several types, holder keys, settings, counters and an
//! activity log, and gives them back intact after reopening.

mod store_support;

use netid_core::keystore::{Passphrase, PassphraseKeyStore};
use netid_core::store::{
    ActivityKind, DocType, KeyAlgorithm, NewActivity, NewHolderKey, SecureAreaKind, SettingName,
    Store, StoreError, Timestamp,
};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use rand_core::OsRng;
use store_support::{PEOPLE, document, wrapper};
use zeroize::Zeroizing;

#[test]
fn several_documents_of_several_types_round_trip_and_persist() {
    let dir = tempfile::tempdir().unwrap();
    let wrapper = wrapper();
    let mut store = Store::create(dir.path(), &wrapper).unwrap();
    let (name, id) = PEOPLE[0];
    let inputs = [
        document(DocType::RESIDENT_ID, name, id, 100),
        document(DocType::DRIVING_LICENCE, name, id, 101),
        document(DocType::SOCIAL_SECURITY, name, id, 102),
        document(DocType::RESIDENCE_PERMIT, PEOPLE[1].0, PEOPLE[1].1, 103),
        document(DocType::RESIDENT_ID, PEOPLE[1].0, PEOPLE[1].1, 104),
    ];
    let ids: Vec<_> = inputs
        .iter()
        .map(|d| store.put_document(d).unwrap())
        .collect();
    store.close().unwrap();

    let mut store = Store::open(dir.path(), &wrapper).unwrap();
    let listed = store.documents().unwrap();
    assert_eq!(listed.len(), inputs.len());
    for ((doc, input), id) in listed.iter().zip(&inputs).zip(&ids) {
        assert_eq!(doc.id, *id);
        assert_eq!(doc.doc_type, input.doc_type);
        assert_eq!(doc.credential, input.credential);
        assert_eq!(doc.label, input.label);
        assert_eq!(doc.added_at, input.added_at);
    }
    assert_eq!(
        listed
            .iter()
            .filter(|d| d.doc_type.as_str() == DocType::RESIDENT_ID)
            .count(),
        2
    );

    let mut renamed = document(DocType::DRIVING_LICENCE, name, id, 101);
    renamed.label = Some("car".to_owned());
    store.update_document(ids[1], &renamed).unwrap();
    assert_eq!(
        store.document(ids[1]).unwrap().label.as_deref(),
        Some("car")
    );

    store.delete_document(ids[2]).unwrap();
    assert!(matches!(
        store.document(ids[2]),
        Err(StoreError::NotFound { what: "document" })
    ));
    assert!(matches!(
        store.delete_document(ids[2]),
        Err(StoreError::NotFound { .. })
    ));
    store.close().unwrap();

    let mut store = Store::open(dir.path(), &wrapper).unwrap();
    assert_eq!(store.documents().unwrap().len(), 4);
    assert_eq!(
        store.document(ids[1]).unwrap().label.as_deref(),
        Some("car")
    );
    assert_eq!(store.document(ids[0]).unwrap().id.to_hex(), ids[0].to_hex());
}

#[test]
fn holder_keys_round_trip_and_bad_keys_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let wrapper = wrapper();
    let mut store = Store::create(dir.path(), &wrapper).unwrap();
    let secret = p256::SecretKey::random(&mut OsRng);
    let public = secret
        .public_key()
        .to_encoded_point(false)
        .as_bytes()
        .to_vec();
    let software = store
        .put_holder_key(&NewHolderKey {
            algorithm: KeyAlgorithm::Es256,
            public_key: public.clone(),
            secure_area: SecureAreaKind::Software,
            wrapped_private_key: Some(Zeroizing::new(vec![9; 60])),
            created_at: Timestamp::from_unix_seconds(5),
        })
        .unwrap();
    let host = store
        .put_holder_key(&NewHolderKey {
            algorithm: KeyAlgorithm::Es256,
            public_key: secret
                .public_key()
                .to_encoded_point(true)
                .as_bytes()
                .to_vec(),
            secure_area: SecureAreaKind::Host,
            wrapped_private_key: None,
            created_at: Timestamp::from_unix_seconds(6),
        })
        .unwrap();
    store.close().unwrap();

    let mut store = Store::open(dir.path(), &wrapper).unwrap();
    let key = store.holder_key(software).unwrap();
    assert_eq!(key.public_key, public);
    assert_eq!(key.secure_area, SecureAreaKind::Software);
    assert_eq!(key.wrapped_private_key.as_deref(), Some(&vec![9; 60]));
    assert!(!format!("{key:?}").contains("9, 9"));
    let all = store.holder_keys().unwrap();
    assert_eq!(
        all.iter().map(|k| k.id).collect::<Vec<_>>(),
        [software, host]
    );

    let mut bad = NewHolderKey {
        algorithm: KeyAlgorithm::Es256,
        public_key: vec![4; 65],
        secure_area: SecureAreaKind::Host,
        wrapped_private_key: None,
        created_at: Timestamp::from_unix_seconds(7),
    };
    assert!(matches!(
        store.put_holder_key(&bad),
        Err(StoreError::InvalidInput {
            what: "holder public key",
            ..
        })
    ));
    bad.public_key = public;
    bad.wrapped_private_key = Some(Zeroizing::new(vec![1]));
    assert!(matches!(
        store.put_holder_key(&bad),
        Err(StoreError::InvalidInput {
            what: "holder key",
            ..
        })
    ));
    store.delete_holder_key(host).unwrap();
    assert_eq!(store.holder_keys().unwrap().len(), 1);
}

#[test]
fn counters_and_settings_persist_and_keep_their_kind() {
    let dir = tempfile::tempdir().unwrap();
    let wrapper = wrapper();
    let failures = SettingName::new("auth.failed-attempts").unwrap();
    let locale = SettingName::new("ui.locale").unwrap();
    let mut store = Store::create(dir.path(), &wrapper).unwrap();
    assert_eq!(store.counter(&failures).unwrap(), 0);
    assert_eq!(store.increment_counter(&failures).unwrap(), 1);
    assert_eq!(store.increment_counter(&failures).unwrap(), 2);
    assert_eq!(store.increment_counter(&failures).unwrap(), 3);
    store.set_setting(&locale, b"zh-CN").unwrap();
    drop(store); // no explicit close: increments must already be durable

    let mut store = Store::open(dir.path(), &wrapper).unwrap();
    assert_eq!(store.counter(&failures).unwrap(), 3);
    assert_eq!(
        store
            .setting(&locale)
            .unwrap()
            .as_deref()
            .map(Vec::as_slice),
        Some(&b"zh-CN"[..])
    );
    assert!(matches!(
        store.set_setting(&failures, b"x"),
        Err(StoreError::SettingKind { .. })
    ));
    assert!(matches!(
        store.increment_counter(&locale),
        Err(StoreError::SettingKind { .. })
    ));
    assert!(matches!(
        store.counter(&locale),
        Err(StoreError::SettingKind { .. })
    ));
    store.reset_counter(&failures).unwrap();
    assert_eq!(store.counter(&failures).unwrap(), 0);
    assert!(store.remove_setting(&locale).unwrap());
    assert!(!store.remove_setting(&locale).unwrap());
    assert_eq!(store.setting(&locale).unwrap(), None);
    assert!(matches!(
        SettingName::new("Bad Name"),
        Err(StoreError::InvalidInput { .. })
    ));
}

#[test]
fn activity_log_lists_newest_first_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let wrapper = wrapper();
    let mut store = Store::create(dir.path(), &wrapper).unwrap();
    let doc = store
        .put_document(&document(DocType::RESIDENT_ID, PEOPLE[0].0, PEOPLE[0].1, 1))
        .unwrap();
    let kinds = [
        ActivityKind::Enrolment,
        ActivityKind::Presentation,
        ActivityKind::FailedAuthentication,
        ActivityKind::Deletion,
    ];
    for (i, kind) in kinds.iter().enumerate() {
        store
            .append_activity(&NewActivity {
                at: Timestamp::from_unix_seconds(1000 + i as u64),
                kind: *kind,
                document: Some(doc),
                detail: format!("event {i}"),
            })
            .unwrap();
    }
    store.close().unwrap();
    let mut store = Store::open(dir.path(), &wrapper).unwrap();
    let all = store.activity(100).unwrap();
    assert_eq!(
        all.iter().map(|e| e.kind).collect::<Vec<_>>(),
        kinds.iter().rev().copied().collect::<Vec<_>>()
    );
    assert_eq!(all.iter().map(|e| e.seq).collect::<Vec<_>>(), [4, 3, 2, 1]);
    assert_eq!(all[0].detail, "event 3");
    assert_eq!(all[0].document, Some(doc));
    let newest_two = store.activity(2).unwrap();
    assert_eq!(newest_two, all[..2]);
    assert!(matches!(
        store.append_activity(&NewActivity {
            at: Timestamp::from_unix_seconds(1),
            kind: ActivityKind::Lockout,
            document: None,
            detail: "x".repeat(501),
        }),
        Err(StoreError::InvalidInput { .. })
    ));
}

#[test]
fn a_failed_batch_leaves_no_trace() {
    let dir = tempfile::tempdir().unwrap();
    let wrapper = wrapper();
    let mut store = Store::create(dir.path(), &wrapper).unwrap();
    let kept = store
        .put_document(&document(DocType::RESIDENT_ID, PEOPLE[0].0, PEOPLE[0].1, 1))
        .unwrap();
    let result: Result<(), StoreError> = store.write(|w| {
        w.put_document(&document(
            DocType::DRIVING_LICENCE,
            PEOPLE[0].0,
            PEOPLE[0].1,
            2,
        ))?;
        w.delete_document(kept)?;
        w.append_activity(&NewActivity {
            at: Timestamp::from_unix_seconds(3),
            kind: ActivityKind::Deletion,
            document: Some(kept),
            detail: String::new(),
        })?;
        Err(StoreError::InvalidInput {
            what: "test",
            why: "abort the batch",
        })
    });
    assert!(result.is_err());
    let docs = store.documents().unwrap();
    assert_eq!(docs.iter().map(|d| d.id).collect::<Vec<_>>(), [kept]);
    assert!(store.activity(10).unwrap().is_empty());
    // The store is still writable and consistent after the aborted batch.
    store
        .write(|w| {
            w.delete_document(kept)?;
            w.append_activity(&NewActivity {
                at: Timestamp::from_unix_seconds(4),
                kind: ActivityKind::Deletion,
                document: Some(kept),
                detail: String::new(),
            })
        })
        .unwrap();
    store.close().unwrap();
    let mut store = Store::open(dir.path(), &wrapper).unwrap();
    assert!(store.documents().unwrap().is_empty());
    assert_eq!(store.activity(10).unwrap().len(), 1);
}

#[test]
fn two_open_instances_see_each_others_writes() {
    let dir = tempfile::tempdir().unwrap();
    let wrapper = wrapper();
    let mut a = Store::create(dir.path(), &wrapper).unwrap();
    let mut b = Store::open(dir.path(), &wrapper).unwrap();
    let id = a
        .put_document(&document(DocType::RESIDENT_ID, PEOPLE[0].0, PEOPLE[0].1, 1))
        .unwrap();
    assert_eq!(b.document(id).unwrap().id, id);
    let failures = SettingName::new("auth.failed-attempts").unwrap();
    assert_eq!(b.increment_counter(&failures).unwrap(), 1);
    assert_eq!(a.increment_counter(&failures).unwrap(), 2);
    assert_eq!(b.counter(&failures).unwrap(), 2);
}

#[test]
fn passphrase_store_opens_only_with_its_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let pass =
        |p: &str| PassphraseKeyStore::new(Passphrase::new(Zeroizing::new(p.to_owned())).unwrap());
    let mut store = Store::create(dir.path(), &pass("a long passphrase")).unwrap();
    let id = store
        .put_document(&document(DocType::RESIDENT_ID, PEOPLE[0].0, PEOPLE[0].1, 1))
        .unwrap();
    store.close().unwrap();
    let mut store = Store::open(dir.path(), &pass("a long passphrase")).unwrap();
    assert_eq!(store.document(id).unwrap().id, id);
    store.close().unwrap();
    assert!(matches!(
        Store::open(dir.path(), &pass("another passphrase")),
        Err(StoreError::KeyUnavailable(_))
    ));
}

#[test]
fn debug_output_and_errors_carry_no_personal_data() {
    let dir = tempfile::tempdir().unwrap();
    let wrapper = wrapper();
    let mut store = Store::create(dir.path(), &wrapper).unwrap();
    let (name, id_number) = PEOPLE[0];
    let input = document(DocType::RESIDENT_ID, name, id_number, 1);
    let id = store.put_document(&input).unwrap();
    let doc = store.document(id).unwrap();
    let printed = format!("{input:?} {doc:?} {store:?}");
    assert!(!printed.contains(name), "{printed}");
    assert!(!printed.contains(id_number), "{printed}");
    assert!(printed.contains("resident-id"));

    let mut too_long = document(DocType::RESIDENT_ID, name, id_number, 1);
    too_long.label = Some(format!("{name}{}", "x".repeat(300)));
    let error = store.put_document(&too_long).unwrap_err();
    assert!(!error.to_string().contains(name));
    assert!(matches!(
        error,
        StoreError::InvalidInput { what: "label", .. }
    ));
    assert!(DocType::new("Resident ID").is_err());
}

#[test]
fn concurrent_writers_never_lose_an_increment() {
    // Two connections incrementing one counter: IMMEDIATE transactions and the busy timeout
    // serialise them, and each sees the other's writes through the refreshed index.
    let dir = tempfile::tempdir().unwrap();
    let wrapper = std::sync::Arc::new(wrapper());
    Store::create(dir.path(), &*wrapper)
        .unwrap()
        .close()
        .unwrap();
    let name = SettingName::new("auth.failed-attempts").unwrap();
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let (dir, wrapper, name) = (dir.path().to_owned(), wrapper.clone(), name.clone());
            std::thread::spawn(move || {
                let mut store = Store::open(&dir, &*wrapper).unwrap();
                let mut seen = Vec::new();
                for _ in 0..40 {
                    seen.push(store.increment_counter(&name).unwrap());
                }
                seen
            })
        })
        .collect();
    let mut all: Vec<u64> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    all.sort_unstable();
    assert_eq!(
        all,
        (1..=80).collect::<Vec<_>>(),
        "every increment returned a distinct value"
    );
    let mut store = Store::open(dir.path(), &*wrapper).unwrap();
    assert_eq!(store.counter(&name).unwrap(), 80);
}
