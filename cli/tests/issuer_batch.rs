//! The development issuer's status indexes as a resident's batch of credentials uses them, driven
//! through the real `netid` binary: indexes are random, not consecutive; `revoke` takes the whole
//! resident (full credential and every purpose credential) and no one else; `status-list` shows
//! one line per resident; a `status.json` written before groups existed still loads.
//!
//! The CLI has no command yet that issues purpose batches, so groups of several indexes are written
//! into `status.json` here the way `allocate_batch_statuses` writes them (its own behaviour is
//! covered by the unit tests in `cli/src/issuer_cmd.rs`).

mod support;

use std::collections::HashSet;
use std::path::Path;

use netid_core::credential::Purpose;
use netid_core::issuer::TrustList;
use netid_core::present::HolderSigner;
use netid_core::status::{StatusListToken, TokenStatus};
use p256::pkcs8::{EncodePublicKey, LineEnding};
use serde_json::{Value, json};
use support::*;

const LIST_SIZE: u64 = 65_536;

/// Issue a resident ID with `netid issuer issue`; the holder and its status index.
fn issue(dir: &Path, name: &str) -> (Holder, u64) {
    let key = netid_core::present::SoftwareHolderKey::generate();
    let pem = key
        .public_key()
        .to_public_key_pem(LineEnding::LF)
        .expect("pem");
    std::fs::write(dir.join(format!("{name}.pem")), pem).expect("write");
    std::fs::write(dir.join("claims.json"), RESIDENT_ID_CLAIMS).expect("write");
    let out = format!("{name}.cbor");
    let (code, v) = json_of(
        netid(dir)
            .current_dir(dir)
            .args(["issuer", "issue", "--claims", "claims.json"])
            .args(["--holder-key", &format!("{name}.pem"), "--out", &out]),
    );
    assert_eq!(code, 0, "{v}");
    let index = v["status_index"].as_u64().expect("status index");
    let credential = netid_core::credential::Credential::from_bytes(
        &std::fs::read(dir.join(&out)).expect("read"),
    )
    .expect("credential");
    (Holder { key, credential }, index)
}

fn state(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("issuer/status.json")).expect("state"))
        .expect("JSON")
}

fn write_state(dir: &Path, state: &Value) {
    std::fs::write(
        dir.join("issuer/status.json"),
        serde_json::to_string_pretty(state).expect("JSON"),
    )
    .expect("write");
}

/// Add `count` purpose-credential entries to the group of `holder`, at indexes no entry uses (as
/// `allocate_batch_statuses` records them); returns them.
fn add_to_group(dir: &Path, holder: u64, count: usize, seed: u64) -> Vec<u64> {
    let mut state = state(dir);
    let issued = state["issued"].as_array_mut().expect("issued");
    let mut used: HashSet<u64> = issued
        .iter()
        .map(|e| e["index"].as_u64().expect("index"))
        .collect();
    // Spread with a fixed stride: which indexes does not matter here, only that they are free.
    let mut added = Vec::new();
    let mut next = seed;
    while added.len() < count {
        next = (next + 7_919) % LIST_SIZE;
        if used.insert(next) {
            issued.push(json!({
                "index": next, "doc_type": "resident-id", "issued_at": 1_768_348_800,
                "group": holder,
            }));
            added.push(next);
        }
    }
    write_state(dir, &state);
    added
}

/// The published list, verified under the home's trust list.
fn published(dir: &Path) -> StatusListToken {
    let trust = TrustList::load(&dir.join("issuer/trust.json")).expect("trust");
    StatusListToken::verify(
        &std::fs::read(dir.join("issuer/status-list.cwt")).expect("list"),
        &trust.status_issuer_keys(),
        u64::try_from(now().as_secs()).expect("after 1970"),
    )
    .expect("the published list verifies")
}

fn verify(dir: &Path, holder: &Holder) -> (i32, Value) {
    json_of(
        netid(dir)
            .args(["verify", "--text"])
            .arg(holder.qr_text(Purpose::HotelCheckIn, now())),
    )
}

#[test]
fn issued_status_indexes_are_random_not_consecutive() {
    let home = home_with_issuer();
    let dir = home.path();
    let indexes: Vec<u64> = (0..10).map(|i| issue(dir, &format!("h{i}")).1).collect();
    let unique: HashSet<u64> = indexes.iter().copied().collect();
    assert_eq!(unique.len(), 10, "distinct: {indexes:?}");
    assert!(indexes.iter().all(|i| *i < LIST_SIZE));
    let span = indexes.iter().max().expect("some") - indexes.iter().min().expect("some");
    // Ten uniform draws from 65,536 entries fall within 41 entries of each other with probability
    // below 65,536 × (41/65,536)^10 < 2^-90: consecutive (or clustered) allocation fails this.
    assert!(span > 40, "spread over the list: {indexes:?}");
}

#[test]
fn revoking_any_index_of_a_resident_revokes_the_whole_group_and_no_other() {
    let home = home_with_issuer();
    let dir = home.path();
    let (alice, a) = issue(dir, "alice");
    let (bob, b) = issue(dir, "bob");
    let a_batch = add_to_group(dir, a, 40, a);
    let b_batch = add_to_group(dir, b, 40, b);
    let (code, v) = verify(dir, &alice);
    assert_eq!(code, 0, "valid before: {v}");

    // Revoke by one of Alice's purpose credentials: the person goes, full credential included.
    let (code, v) =
        json_of(netid(dir).args(["issuer", "revoke", "--index", &a_batch[17].to_string()]));
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["revoked"], a_batch[17]);
    assert_eq!(v["group"], a);
    assert_eq!(v["doc_type"], "resident-id");
    assert_eq!(v["revoked_indexes"], 41);
    assert_eq!(v["newly_revoked"], 41);
    assert_eq!(v["already_revoked"], false);

    let list = published(dir).list().clone();
    for index in std::iter::once(a).chain(a_batch.iter().copied()) {
        assert_eq!(list.get(index), Ok(TokenStatus::Revoked), "Alice's {index}");
    }
    for index in std::iter::once(b).chain(b_batch.iter().copied()) {
        assert_eq!(list.get(index), Ok(TokenStatus::Valid), "Bob's {index}");
    }
    let revoked_bits = (0..LIST_SIZE)
        .filter(|i| list.get(*i) == Ok(TokenStatus::Revoked))
        .count();
    assert_eq!(revoked_bits, 41, "nothing else is revoked");

    // The counter refuses Alice's full credential and still accepts Bob's.
    let (code, v) = verify(dir, &alice);
    assert_eq!(
        (code, v["error"]["kind"].as_str()),
        (1, Some("revoked")),
        "{v}"
    );
    let (code, v) = verify(dir, &bob);
    assert_eq!(code, 0, "{v}");

    // Again, by the full credential's index: nothing new.
    let (code, v) = json_of(netid(dir).args(["issuer", "revoke", "--index", &a.to_string()]));
    assert_eq!(code, 0, "{v}");
    assert_eq!(
        (v["already_revoked"].as_bool(), v["newly_revoked"].as_u64()),
        (Some(true), Some(0)),
        "{v}"
    );
    assert_eq!(v["revoked_indexes"], 41);
    let out = netid(dir)
        .args(["issuer", "revoke", "--index", &a.to_string()])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Already revoked") && text.contains("41 status indexes"),
        "{text}"
    );

    // status-list: one line per resident.
    let (code, v) = json_of(netid(dir).args(["issuer", "status-list"]));
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["size"], LIST_SIZE);
    assert_eq!(v["entries"].as_array().map(Vec::len), Some(82));
    let groups = v["groups"].as_array().expect("groups");
    assert_eq!(groups.len(), 2, "{v}");
    assert_eq!(
        (
            &groups[0]["group"],
            &groups[0]["indexes"],
            &groups[0]["status"]
        ),
        (&json!(a), &json!(41), &json!("revoked"))
    );
    assert_eq!(
        (
            &groups[1]["group"],
            &groups[1]["indexes"],
            &groups[1]["status"]
        ),
        (&json!(b), &json!(41), &json!("valid"))
    );
    let out = netid(dir)
        .args(["issuer", "status-list"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("2 residents, 82 of 65536"), "{text}");
    let lines: Vec<&str> = text.lines().filter(|l| l.contains("resident-id")).collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].contains(&a.to_string()) && lines[0].ends_with("REVOKED"));
    assert!(lines[1].contains(&b.to_string()) && lines[1].ends_with("valid"));
}

/// `status.json` as the issuer wrote it before resident groups: consecutive indexes, no `group`.
const OLD_FORMAT_STATE: &str = r#"{
  "uri": "netid-dev/s",
  "issued": [
    { "index": 0, "doc_type": "resident-id", "issued_at": 1768348800 },
    { "index": 1, "doc_type": "resident-id", "issued_at": 1768348900 },
    { "index": 2, "doc_type": "driving-licence", "issued_at": 1768349000 }
  ],
  "revoked": [1],
  "published_iat": 1768349000
}"#;

#[test]
fn an_old_format_state_loads_with_each_entry_its_own_group() {
    let home = home_with_issuer();
    let dir = home.path();
    std::fs::write(dir.join("issuer/status.json"), OLD_FORMAT_STATE).expect("write");

    let (code, v) = json_of(netid(dir).args(["issuer", "status-list"]));
    assert_eq!(code, 0, "{v}");
    let groups = v["groups"].as_array().expect("groups");
    assert_eq!(groups.len(), 3, "{v}");
    for (i, group) in groups.iter().enumerate() {
        assert_eq!(group["group"], i);
        assert_eq!(group["indexes"], 1);
    }
    assert_eq!(groups[1]["status"], "revoked");
    assert_eq!(groups[2]["doc_type"], "driving-licence");
    assert_eq!(v["entries"][2]["group"], 2);

    // Revoking entry 0 takes entry 0 only.
    let (code, v) = json_of(netid(dir).args(["issuer", "revoke", "--index", "0"]));
    assert_eq!(code, 0, "{v}");
    assert_eq!(
        (v["revoked_indexes"].as_u64(), v["newly_revoked"].as_u64()),
        (Some(1), Some(1)),
        "{v}"
    );
    let list = published(dir).list().clone();
    assert_eq!(list.get(0), Ok(TokenStatus::Revoked));
    assert_eq!(list.get(1), Ok(TokenStatus::Revoked));
    assert_eq!(list.get(2), Ok(TokenStatus::Valid));

    // Saved in the new form (every entry names its group); the next credential gets a new index.
    let saved = state(dir);
    assert!(
        saved["issued"]
            .as_array()
            .expect("issued")
            .iter()
            .all(|e| e["group"] == e["index"]),
        "{saved}"
    );
    assert!(saved["published_iat"].as_u64() > Some(1_768_349_000));
    let (_, index) = issue(dir, "new");
    assert!(index > 2 && index < LIST_SIZE, "{index}");
}

#[test]
fn a_state_whose_groups_do_not_add_up_is_reported_as_damaged() {
    let home = home_with_issuer();
    let dir = home.path();
    let damaged = OLD_FORMAT_STATE.replace(
        r#""index": 2, "doc_type": "driving-licence", "issued_at": 1768349000"#,
        r#""index": 2, "doc_type": "driving-licence", "issued_at": 1768349000, "group": 9"#,
    );
    std::fs::write(dir.join("issuer/status.json"), damaged).expect("write");
    let (code, v) = json_of(netid(dir).args(["issuer", "revoke", "--index", "2"]));
    assert_eq!(
        (code, v["error"]["kind"].as_str()),
        (2, Some("issuer-damaged")),
        "{v}"
    );
}
