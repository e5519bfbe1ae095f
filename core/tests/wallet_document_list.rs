//! The document list reads type and assurance level from the sealed document record, never from
//! the credential (parsing one decodes every claim), and records written before the level was
//! kept there are upgraded once.

#[path = "auth_support/mod.rs"]
mod auth_support;
#[path = "vectors/fixtures.rs"]
mod fixtures;
#[path = "wallet_support/mod.rs"]
mod wallet_support;

use auth_support::ScriptedUser;
use netid_core::auth::AuthPolicy;
use netid_core::block_on::block_on;
use netid_core::credential::{AssuranceLevel, DocType};
use netid_core::keystore::InMemoryKeyWrapper;
use netid_core::store::{DocumentId, NewDocument, Store};
use netid_core::wallet::WalletError;
use wallet_support::{Host, KEK, enrol};
use zeroize::Zeroizing;

/// Rewrites document `id` directly in the store (the wallet locked), through `edit`.
fn rewrite(dir: &std::path::Path, id: DocumentId, edit: impl FnOnce(&mut NewDocument)) {
    let mut store = Store::open(dir, &InMemoryKeyWrapper::from_kek(KEK)).unwrap();
    let old = store.document(id).unwrap();
    let mut new = NewDocument {
        doc_type: old.doc_type.clone(),
        credential: old.credential.clone(),
        assurance_level: old.assurance_level,
        label: old.label.clone(),
        added_at: old.added_at,
        holder_key: old.holder_key,
    };
    edit(&mut new);
    store.update_document(id, &new).unwrap();
    store.close().unwrap();
}

fn stored_level(dir: &std::path::Path, id: DocumentId) -> Option<AssuranceLevel> {
    let mut store = Store::open(dir, &InMemoryKeyWrapper::from_kek(KEK)).unwrap();
    let level = store.document(id).unwrap().assurance_level;
    store.close().unwrap();
    level
}

#[test]
fn listing_does_not_parse_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let host = Host::new(ScriptedUser::default());
    let mut wallet = host
        .create(dir.path(), AuthPolicy::default())
        .unlock(None)
        .unwrap();
    let enrolled = enrol(&mut wallet, host.now()).unwrap();
    let locked = wallet.lock();
    assert_eq!(
        stored_level(dir.path(), enrolled.id),
        Some(enrolled.assurance_level),
        "enrolment seals the assurance level into the document record"
    );
    // A credential no parser accepts: listing must still work, since it never parses one.
    rewrite(dir.path(), enrolled.id, |d| {
        d.credential = Zeroizing::new(vec![0xff; 40]);
    });
    let mut wallet = locked.unlock(None).unwrap();
    let listed = wallet.documents().unwrap();
    assert_eq!(listed, vec![enrolled.clone()]);
    // Showing it does parse, and says the stored credential is unreadable.
    assert!(matches!(
        block_on(wallet.document_details(enrolled.id)),
        Err(WalletError::StoredCredentialUnreadable(_))
    ));
}

#[test]
fn a_record_without_a_level_is_read_once_from_the_credential_and_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let host = Host::new(ScriptedUser::default());
    let mut wallet = host
        .create(dir.path(), AuthPolicy::default())
        .unlock(None)
        .unwrap();
    let enrolled = enrol(&mut wallet, host.now()).unwrap();
    assert_eq!(enrolled.doc_type, DocType::ResidentId);
    let locked = wallet.lock();
    // Exactly what code before this change wrote: no assurance level in the record.
    rewrite(dir.path(), enrolled.id, |d| d.assurance_level = None);
    assert_eq!(stored_level(dir.path(), enrolled.id), None);

    let mut wallet = locked.unlock(None).unwrap();
    assert_eq!(wallet.documents().unwrap(), vec![enrolled.clone()]);
    let locked = wallet.lock();
    assert_eq!(
        stored_level(dir.path(), enrolled.id),
        Some(enrolled.assurance_level),
        "the first listing stores the level, so later listings need no credential"
    );
    // And the upgraded record lists like a new one.
    let mut wallet = locked.unlock(None).unwrap();
    assert_eq!(wallet.documents().unwrap(), vec![enrolled]);
}
