//! The OS key store against a real Secret Service: gnome-keyring-daemon in the private D-Bus
//! session that `scripts/with-keyring.sh` starts (the test command runs it with
//! `--include-ignored`). Not a mock: the secret is checked and deleted with `secret-tool`, an
//! independent libsecret client.

mod store_support;

use std::path::Path;
use std::process::Command;

use netid_core::keystore::{OsKeyStore, SERVICE, Unavailable, WrappedKey};
use netid_core::store::{DocType, FILE_NAME, Store, StoreError};
use store_support::{PEOPLE, document, snapshot};

const CHILD_DIR: &str = "NETID_KEYRING_CHILD_DIR";
const TEST_NAME: &str = "os_key_store_round_trips_through_gnome_keyring";

fn secret_tool(args: &[&str]) -> (bool, String) {
    let out = Command::new("secret-tool")
        .args(args)
        .output()
        .expect("secret-tool (libsecret-tools) is installed by scripts/setup.sh");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn entry_user(dir: &Path) -> String {
    let conn = rusqlite::Connection::open(dir.join(FILE_NAME)).unwrap();
    let bytes: Vec<u8> = conn
        .query_row(
            "SELECT value FROM meta WHERE name = 'wrapped_key'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    OsKeyStore::entry_user(&WrappedKey::from_bytes(&bytes).unwrap()).unwrap()
}

#[test]
#[ignore = "needs a D-Bus session with gnome-keyring: run bash scripts/test.sh"]
fn os_key_store_round_trips_through_gnome_keyring() {
    if let Some(dir) = std::env::var_os(CHILD_DIR) {
        // Second process: a fresh D-Bus connection and a fresh store instance.
        let keyring = OsKeyStore::new().expect("Secret Service reachable in the child");
        let mut store = Store::open(Path::new(&dir), &keyring).expect("child opens the store");
        println!("CHILD-SAW-DOCUMENTS {}", store.documents().unwrap().len());
        return;
    }

    let dir = tempfile::tempdir().unwrap();
    let keyring = OsKeyStore::new().expect(
        "no Secret Service: run inside scripts/with-keyring.sh (bash scripts/test.sh does)",
    );
    let mut store = Store::create(dir.path(), &keyring).unwrap();
    for (i, (name, id)) in PEOPLE.iter().enumerate() {
        store
            .put_document(&document(DocType::RESIDENT_ID, name, id, i as u64))
            .unwrap();
    }
    store.close().unwrap();

    let child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", TEST_NAME, "--include-ignored", "--nocapture"])
        .env(CHILD_DIR, dir.path())
        .output()
        .unwrap();
    let child_out = String::from_utf8_lossy(&child.stdout);
    assert!(child.status.success(), "child failed: {child_out}");
    assert!(
        child_out.contains(&format!("CHILD-SAW-DOCUMENTS {}", PEOPLE.len())),
        "{child_out}"
    );

    // The key-encryption key is an item in the Secret Service, found by another client.
    let user = entry_user(dir.path());
    let (found, listing) = secret_tool(&["search", "--all", "service", SERVICE, "username", &user]);
    assert!(found, "secret-tool search failed: {listing}");
    assert!(
        listing.contains(&format!("attribute.username = {user}")),
        "{listing}"
    );

    // Delete it behind netid's back: the store must now report the key missing, untouched.
    let (cleared, text) = secret_tool(&["clear", "service", SERVICE, "username", &user]);
    assert!(cleared, "secret-tool clear failed: {text}");
    let (_, listing) = secret_tool(&["search", "--all", "service", SERVICE, "username", &user]);
    assert!(!listing.contains(&user), "still present: {listing}");

    let before = snapshot(dir.path());
    let reopened = OsKeyStore::new().unwrap();
    assert!(matches!(
        Store::open(dir.path(), &reopened),
        Err(StoreError::KeyUnavailable(Unavailable::Missing))
    ));
    assert_eq!(snapshot(dir.path()), before);
}
