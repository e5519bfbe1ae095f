//! No plaintext personal data anywhere on disk: documents with known names and ID numbers are
//! stored, and every file under the store directory (database, -wal, -shm, journals, SQLite temp
//! files, which are pointed into the same directory) is scanned for those strings in UTF-8,
//! UTF-16LE and UTF-16BE — at rest, while the store is open, and while a write transaction that
//! has spilled pages to disk is still open.
//!
//! One test function, because it points SQLite's temp directory into the store directory through
//! the environment, which must not change while other tests run.

mod store_support;

use std::path::Path;

use netid_core::store::{
    ActivityKind, DocType, KeyAlgorithm, NewActivity, NewHolderKey, SecureAreaKind, SettingName,
    Store, Timestamp,
};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use rand_core::OsRng;
use store_support::{PEOPLE, credential_for, document, walk, wrapper};
use zeroize::Zeroizing;

const OTHER_SECRETS: [&str; 5] = [
    "Grand Hotel Beijing",
    "auth.failed-attempts",
    "driving-licence",
    "residence-permit",
    "zh-CN-private-setting",
];

fn needles() -> Vec<(String, Vec<u8>)> {
    let mut texts: Vec<&str> = PEOPLE.iter().flat_map(|(n, i)| [*n, *i]).collect();
    texts.extend(OTHER_SECRETS);
    let mut out = Vec::new();
    for text in texts {
        out.push((format!("{text} (UTF-8)"), text.as_bytes().to_vec()));
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        out.push((format!("{text} (UTF-16LE)"), le));
        out.push((format!("{text} (UTF-16BE)"), be));
    }
    out
}

/// Every (file, needle) pair where a needle occurs; also returns how many files were read.
/// One pass per file, looking up candidate needles by their first byte (debug builds are slow).
fn scan(dir: &Path) -> (Vec<String>, usize) {
    let needles = needles();
    let mut by_first: Vec<Vec<usize>> = vec![Vec::new(); 256];
    for (n, (_, needle)) in needles.iter().enumerate() {
        by_first[usize::from(needle[0])].push(n);
    }
    let files = walk(dir);
    let mut found = Vec::new();
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        let mut hits = vec![false; needles.len()];
        for (i, b) in bytes.iter().enumerate() {
            for &n in &by_first[usize::from(*b)] {
                if bytes[i..].starts_with(&needles[n].1) {
                    hits[n] = true;
                }
            }
        }
        for (n, hit) in hits.iter().enumerate() {
            if *hit {
                found.push(format!("{} in {}", needles[n].0, file.display()));
            }
        }
    }
    (found, files.len())
}

fn assert_clean(dir: &Path, moment: &str, min_files: usize) {
    let (found, files) = scan(dir);
    assert!(found.is_empty(), "plaintext on disk {moment}: {found:?}");
    assert!(
        files >= min_files,
        "{moment}: expected at least {min_files} files, saw {files}"
    );
}

#[test]
fn no_plaintext_personal_data_on_disk_at_rest_open_or_mid_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let store_dir = dir.path().join("wallet");
    let sqlite_tmp = store_dir.join("sqlite-tmp");
    std::fs::create_dir_all(&sqlite_tmp).unwrap();
    // SAFETY (test only): set before any SQLite connection exists, and this binary has one test.
    unsafe { std::env::set_var("SQLITE_TMPDIR", &sqlite_tmp) };

    // The scanner itself finds each encoding when it is there.
    let probe = dir.path().join("probe");
    std::fs::create_dir(&probe).unwrap();
    for (i, (_, needle)) in needles().iter().enumerate() {
        std::fs::write(
            probe.join(i.to_string()),
            [b"xx".as_slice(), needle, b"yy"].concat(),
        )
        .unwrap();
    }
    assert_eq!(scan(&probe).0.len(), needles().len());

    let wrapper = wrapper();
    let mut store = Store::create(&store_dir, &wrapper).unwrap();
    let types = [
        DocType::RESIDENT_ID,
        DocType::DRIVING_LICENCE,
        DocType::SOCIAL_SECURITY,
        DocType::RESIDENCE_PERMIT,
    ];
    let mut first = None;
    for (p, (name, id)) in PEOPLE.iter().enumerate() {
        for (t, doc_type) in types.iter().enumerate() {
            let doc_id = store
                .put_document(&document(doc_type, name, id, (p * 10 + t) as u64))
                .unwrap();
            first.get_or_insert(doc_id);
        }
    }
    let secret = p256::SecretKey::random(&mut OsRng);
    store
        .put_holder_key(&NewHolderKey {
            algorithm: KeyAlgorithm::Es256,
            public_key: secret
                .public_key()
                .to_encoded_point(false)
                .as_bytes()
                .to_vec(),
            secure_area: SecureAreaKind::Software,
            wrapped_private_key: Some(Zeroizing::new(PEOPLE[0].1.as_bytes().to_vec())),
            created_at: Timestamp::from_unix_seconds(1),
        })
        .unwrap();
    let counter = SettingName::new("auth.failed-attempts").unwrap();
    store.increment_counter(&counter).unwrap();
    store
        .set_setting(
            &SettingName::new("ui.locale").unwrap(),
            b"zh-CN-private-setting",
        )
        .unwrap();
    store
        .append_activity(&NewActivity {
            at: Timestamp::from_unix_seconds(2),
            kind: ActivityKind::Presentation,
            document: first,
            detail: format!("Grand Hotel Beijing for {}", PEOPLE[0].0),
        })
        .unwrap();
    // Open: the database, its WAL and shared-memory index.
    assert_clean(&store_dir, "while open", 3);

    // A write transaction large enough to spill uncommitted pages into the WAL, scanned before
    // it commits.
    let mut scanned_mid_transaction = false;
    store
        .write(|w| {
            for i in 0..700u64 {
                let (name, id) = PEOPLE[(i % 3) as usize];
                let mut doc = document(DocType::RESIDENT_ID, name, id, 1000 + i);
                let mut big = credential_for(name, id).to_vec();
                big.resize(4096, b'#');
                big.extend_from_slice(name.as_bytes());
                doc.credential = Zeroizing::new(big);
                w.put_document(&doc)?;
            }
            let wal = std::fs::metadata(store_dir.join("wallet.sqlite3-wal"))
                .unwrap()
                .len();
            assert!(
                wal > 1024 * 1024,
                "uncommitted pages should have spilled to the WAL ({wal} bytes)"
            );
            assert_clean(&store_dir, "during an open write transaction", 3);
            scanned_mid_transaction = true;
            Ok(())
        })
        .unwrap();
    assert!(scanned_mid_transaction);
    let wal = std::fs::metadata(store_dir.join("wallet.sqlite3-wal"))
        .unwrap()
        .len();
    assert!(
        wal > 2 * 1024 * 1024,
        "the big transaction should have reached the WAL ({wal} bytes)"
    );
    assert_clean(&store_dir, "after a large commit", 3);

    store.close().unwrap();
    assert_clean(&store_dir, "at rest", 1);

    // And the data really is there, so the scan looked at real content.
    let mut store = Store::open(&store_dir, &wrapper).unwrap();
    let docs = store.documents().unwrap();
    assert_eq!(docs.len(), 12 + 700);
    assert!(docs.iter().any(|d| {
        d.credential
            .windows(PEOPLE[2].0.len())
            .any(|w| w == PEOPLE[2].0.as_bytes())
    }));
    store.close().unwrap();
    assert_clean(&store_dir, "after reopening", 1);
}
