//! Shared helpers for the store integration tests: sample documents carrying known personal data,
//! and snapshots of every file in a store directory.
#![allow(dead_code)] // each test binary uses a different subset

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use netid_core::credential::AssuranceLevel;
use netid_core::keystore::InMemoryKeyWrapper;
use netid_core::store::{DocType, NewDocument, Timestamp};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// People whose data must never appear on disk in the clear.
pub const PEOPLE: [(&str, &str); 3] = [
    ("Zhang Weiqiang", "110105199003071234"),
    ("Li Xiaohong", "44030619851212002X"),
    ("张伟强", "32010619770101456X"),
];

/// A credential-like blob with the person's name and ID number inside, as an SD-CWT would carry
/// them in disclosures.
pub fn credential_for(name: &str, id_number: &str) -> Zeroizing<Vec<u8>> {
    let mut bytes = b"\xd2\x84\x43\xa1\x01\x26".to_vec();
    bytes.extend_from_slice(b"name=");
    bytes.extend_from_slice(name.as_bytes());
    bytes.extend_from_slice(b";id=");
    bytes.extend_from_slice(id_number.as_bytes());
    bytes.extend_from_slice(&[0x5a; 300]);
    Zeroizing::new(bytes)
}

pub fn document(doc_type: &str, name: &str, id_number: &str, added_at: u64) -> NewDocument {
    NewDocument {
        doc_type: DocType::new(doc_type).unwrap(),
        credential: credential_for(name, id_number),
        label: Some(format!("{name}'s {doc_type}")),
        added_at: Timestamp::from_unix_seconds(added_at),
        holder_key: None,
        assurance_level: Some(AssuranceLevel::Basic),
    }
}

pub fn wrapper() -> InMemoryKeyWrapper {
    InMemoryKeyWrapper::new().unwrap()
}

/// Every regular file under `dir` with the SHA-256 of its content.
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, [u8; 32]> {
    let mut out = BTreeMap::new();
    for entry in walk(dir) {
        let bytes = std::fs::read(&entry).unwrap();
        out.insert(entry, Sha256::digest(&bytes).into());
    }
    out
}

/// Every regular file under `dir`, recursively.
pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}
