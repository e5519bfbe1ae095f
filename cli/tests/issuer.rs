//! `netid issuer` driven as a user would: the development issuer's files, their permissions and
//! warnings, issuing to a holder key, and the errors for bad claims, keys and homes.

mod support;

use netid_core::credential::Credential;
use netid_core::issuer::TrustList;
use netid_core::present::HolderSigner;
use p256::pkcs8::{EncodePublicKey, LineEnding};
use support::*;

#[test]
fn keygen_writes_owner_only_files_and_says_it_is_for_development() {
    let dir = tempfile::tempdir().expect("dir");
    let home = dir.path().join("home");
    let out = netid(&home)
        .args(["issuer", "keygen"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("DEVELOPMENT issuer"), "{stdout}");
    assert!(!stdout.contains("PRIVATE KEY"), "the key is never printed");

    let key = std::fs::read_to_string(home.join("issuer/issuer-key.pem")).expect("key");
    assert!(key.starts_with("-----BEGIN PRIVATE KEY-----"));
    let trust = TrustList::load(&home.join("issuer/trust.json")).expect("trust list parses");
    assert_eq!(trust.entries().len(), 1);
    assert_eq!(trust.entries()[0].key, dev_issuer(&home).public_key());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode =
            |p: &std::path::Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&home.join("issuer/issuer-key.pem")), 0o600);
        assert_eq!(mode(&home.join("issuer")), 0o700);
        assert_eq!(mode(&home), 0o700);
    }

    let (code, v) = json_of(netid(&dir.path().join("second")).args(["issuer", "keygen"]));
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["development_only"], true);
    assert!(
        v["warning"]
            .as_str()
            .is_some_and(|w| w.contains("DEVELOPMENT"))
    );
}

#[test]
fn keygen_does_not_replace_an_issuer_without_force() {
    let home = home_with_issuer();
    let before = std::fs::read(home.path().join("issuer/issuer-key.pem")).expect("key");
    let (code, v) = json_of(netid(home.path()).args(["issuer", "keygen"]));
    assert_eq!(
        (code, v["error"]["kind"].as_str()),
        (2, Some("issuer-exists")),
        "{v}"
    );
    assert_eq!(
        std::fs::read(home.path().join("issuer/issuer-key.pem")).expect("key"),
        before
    );
    netid(home.path())
        .args(["issuer", "keygen", "--force"])
        .assert()
        .code(0);
    assert_ne!(
        std::fs::read(home.path().join("issuer/issuer-key.pem")).expect("key"),
        before
    );
}

#[test]
fn issue_writes_a_credential_for_the_holder_key_that_the_trust_list_accepts() {
    let home = home_with_issuer();
    let dir = home.path();
    let holder = netid_core::present::SoftwareHolderKey::generate();
    let pem = holder
        .public_key()
        .to_public_key_pem(LineEnding::LF)
        .expect("pem");
    std::fs::write(dir.join("holder.pem"), pem).expect("write");
    std::fs::write(dir.join("claims.json"), RESIDENT_ID_CLAIMS).expect("write");

    let (code, v) = json_of(
        netid(dir)
            .args([
                "issuer",
                "issue",
                "--claims",
                "claims.json",
                "--holder-key",
                "holder.pem",
                "--out",
                "cred.cbor",
            ])
            .current_dir(dir),
    );
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["doc_type"], "resident-id");

    let credential = Credential::from_bytes(&std::fs::read(dir.join("cred.cbor")).expect("read"))
        .expect("a credential");
    assert_eq!(credential.holder_key(), &holder.public_key());
    let trust = TrustList::load(&dir.join("issuer/trust.json")).expect("trust");
    trust
        .check_credential(&credential, now())
        .expect("issued by the trusted development issuer");
}

#[test]
fn issue_refuses_bad_claims_and_bad_holder_keys_without_echoing_values() {
    let home = home_with_issuer();
    let dir = home.path();
    let holder = netid_core::present::SoftwareHolderKey::generate();
    std::fs::write(
        dir.join("holder.pem"),
        holder
            .public_key()
            .to_public_key_pem(LineEnding::LF)
            .expect("pem"),
    )
    .expect("write");
    // An ID number with a wrong check digit.
    let bad = RESIDENT_ID_CLAIMS.replace(SECRET_ID_NUMBER, "110105194912310021");
    std::fs::write(dir.join("bad.json"), bad).expect("write");
    std::fs::write(dir.join("not-a-key.pem"), "hello").expect("write");
    std::fs::write(dir.join("claims.json"), RESIDENT_ID_CLAIMS).expect("write");

    let issue = |claims: &str, key: &str| {
        let mut cmd = netid(dir);
        cmd.current_dir(dir).args([
            "issuer",
            "issue",
            "--claims",
            claims,
            "--holder-key",
            key,
            "--out",
            "c.cbor",
        ]);
        json_of(&mut cmd)
    };
    let (code, v) = issue("bad.json", "holder.pem");
    assert_eq!(
        (code, v["error"]["kind"].as_str()),
        (2, Some("bad-claims")),
        "{v}"
    );
    assert!(!v.to_string().contains("110105194912310021"));
    let (code, v) = issue("claims.json", "not-a-key.pem");
    assert_eq!(
        (code, v["error"]["kind"].as_str()),
        (2, Some("bad-holder-key")),
        "{v}"
    );
    let (code, v) = issue("missing.json", "holder.pem");
    assert_eq!(
        (code, v["error"]["kind"].as_str()),
        (2, Some("unreadable-file")),
        "{v}"
    );
    assert!(!dir.join("c.cbor").exists());
}

#[test]
fn issue_without_an_issuer_says_to_run_keygen() {
    let dir = tempfile::tempdir().expect("dir");
    let (code, v) = json_of(netid(dir.path()).args([
        "issuer",
        "issue",
        "--claims",
        "c.json",
        "--holder-key",
        "k.pem",
        "--out",
        "o.cbor",
    ]));
    assert_eq!(
        (code, v["error"]["kind"].as_str()),
        (2, Some("no-issuer")),
        "{v}"
    );
    assert!(
        v["error"]["next_step"]
            .as_str()
            .is_some_and(|s| s.contains("netid issuer keygen"))
    );
}

#[test]
fn a_damaged_issuer_key_is_reported() {
    let home = home_with_issuer();
    std::fs::write(home.path().join("issuer/issuer-key.pem"), "garbage").expect("write");
    let (code, v) = json_of(netid(home.path()).args([
        "issuer",
        "issue",
        "--claims",
        "c.json",
        "--holder-key",
        "k.pem",
        "--out",
        "o.cbor",
    ]));
    assert_eq!(
        (code, v["error"]["kind"].as_str()),
        (2, Some("issuer-damaged")),
        "{v}"
    );
}
