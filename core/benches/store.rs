//! Store benchmarks (budgets in DESIGN.md §7 / docs/SECURITY.md): open and unlock a store holding
//! 20 documents and list them (budget: 15 ms median on the 2-core CI machine), put one document,
//! get one document, and a durable counter increment.
//!
//! The key wrapper is the in-memory one (behind `test-support`), so the figures are the store's
//! own cost; with the OS key store (when a Secret Service is reachable) one more benchmark adds
//! the platform round trip.

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use netid_core::credential::AssuranceLevel;
use netid_core::keystore::{InMemoryKeyWrapper, KeyWrapper, OsKeyStore};
use netid_core::store::{DocType, NewDocument, SettingName, Store, Timestamp};
use zeroize::Zeroizing;

const DOCUMENTS: u64 = 20;

fn document(i: u64) -> NewDocument {
    let types = [
        DocType::RESIDENT_ID,
        DocType::DRIVING_LICENCE,
        DocType::SOCIAL_SECURITY,
        DocType::RESIDENCE_PERMIT,
    ];
    NewDocument {
        doc_type: DocType::new(types[(i % 4) as usize]).unwrap(),
        // About the size of an SD-CWT with a dozen disclosures.
        credential: Zeroizing::new(vec![(i % 256) as u8; 1500]),
        label: Some(format!("document {i}")),
        added_at: Timestamp::from_unix_seconds(1_700_000_000 + i),
        holder_key: None,
        assurance_level: Some(AssuranceLevel::Basic),
    }
}

fn populated(dir: &Path, wrapper: &dyn KeyWrapper) {
    let mut store = Store::create(dir, wrapper).unwrap();
    for i in 0..DOCUMENTS {
        store.put_document(&document(i)).unwrap();
    }
    store.close().unwrap();
}

fn open_and_list(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let wrapper = InMemoryKeyWrapper::new().unwrap();
    populated(dir.path(), &wrapper);
    c.bench_function("store/open_unlock_list_20_documents", |b| {
        b.iter(|| {
            let mut store = Store::open(dir.path(), &wrapper).unwrap();
            let docs = store.documents().unwrap();
            assert_eq!(docs.len(), DOCUMENTS as usize);
            black_box(docs);
        })
    });

    match OsKeyStore::new() {
        Ok(keyring) => {
            let dir = tempfile::tempdir().unwrap();
            populated(dir.path(), &keyring);
            c.bench_function("store/open_unlock_list_20_documents_os_key_store", |b| {
                b.iter(|| {
                    let mut store = Store::open(dir.path(), &keyring).unwrap();
                    black_box(store.documents().unwrap());
                })
            });
        }
        Err(e) => eprintln!(
            "store/open_unlock_list_20_documents_os_key_store not run: {e} (run under scripts/with-keyring.sh)"
        ),
    }
}

fn put_and_get(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let wrapper = InMemoryKeyWrapper::new().unwrap();
    populated(dir.path(), &wrapper);
    let mut store = Store::open(dir.path(), &wrapper).unwrap();
    let new = document(99);
    let id = store.put_document(&new).unwrap();
    c.bench_function("store/put_document", |b| {
        b.iter(|| black_box(store.put_document(&new).unwrap()))
    });
    c.bench_function("store/get_document", |b| {
        b.iter(|| black_box(store.document(id).unwrap()))
    });
    let counter = SettingName::new("auth.failed-attempts").unwrap();
    c.bench_function("store/increment_counter", |b| {
        b.iter(|| black_box(store.increment_counter(&counter).unwrap()))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(5));
    targets = open_and_list, put_and_get
}
criterion_main!(benches);
