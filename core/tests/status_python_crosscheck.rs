//! Status List Tokens cross-checked with an independent implementation (Python cbor2,
//! cryptography and zlib, in scripts/status_list_check.py): tokens signed here verify there
//! with the same statuses, and tokens built there verify here.

mod status_support;

use std::path::PathBuf;
use std::process::Command;

use netid_core::status::{StatusBits, StatusListBuilder, StatusListToken, TokenStatus};
use status_support::*;

fn run_checker(args: &[&str]) -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("core/ lives inside the workspace")
        .to_path_buf();
    let python = root.join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/setup.sh (it creates .venv with cbor2 and cryptography)",
        python.display()
    );
    let output = Command::new(python)
        .arg(root.join("scripts/status_list_check.py"))
        .args(args)
        .output()
        .expect("run scripts/status_list_check.py");
    assert!(
        output.status.success(),
        "the Python checker refused: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

#[test]
fn tokens_signed_here_verify_in_python_with_the_same_statuses() {
    for bits in [
        StatusBits::One,
        StatusBits::Two,
        StatusBits::Four,
        StatusBits::Eight,
    ] {
        let max = (1u16 << bits.count()) - 1;
        let mut builder = StatusListBuilder::new(URI, 40, bits).unwrap();
        let expected: Vec<u8> = (0..40u16)
            .map(|i| ((i * 5 + 1) % (max + 1)) as u8)
            .collect();
        for (idx, value) in expected.iter().enumerate() {
            builder
                .set(idx as u64, TokenStatus::from_value(*value))
                .unwrap();
        }
        builder.time_to_live(300).expires_at(NOW + 900);
        let token = builder.sign(&issuer_key(), KID, NOW).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("list.cwt");
        std::fs::write(&file, &token).unwrap();
        let public = issuer_key()
            .verifying_key()
            .to_encoded_point(false)
            .as_bytes()
            .to_vec();
        let out = run_checker(&["verify", file.to_str().unwrap(), &hex::encode(public)]);
        let json: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(json["uri"], URI);
        assert_eq!(json["iat"], NOW);
        assert_eq!(json["exp"], NOW + 900);
        assert_eq!(json["ttl"], 300);
        assert_eq!(json["kid"], hex::encode(KID));
        assert_eq!(json["bits"], u64::from(bits.count()));
        let statuses: Vec<u8> = json["statuses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as u8)
            .collect();
        assert_eq!(&statuses[..40], expected.as_slice(), "{bits:?}");
        assert!(
            statuses[40..].iter().all(|&s| s == 0),
            "padding entries are valid"
        );
    }
}

#[test]
fn the_python_checker_rejects_a_token_signed_by_another_key() {
    // Guards the cross-check itself: it must be able to say no.
    let token = StatusListBuilder::new(URI, 8, StatusBits::One)
        .unwrap()
        .sign(&other_key(), KID, NOW)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("forged.cwt");
    std::fs::write(&file, &token).unwrap();
    let public = issuer_key()
        .verifying_key()
        .to_encoded_point(false)
        .as_bytes()
        .to_vec();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let output = Command::new(root.join(".venv/bin/python"))
        .arg(root.join("scripts/status_list_check.py"))
        .args(["verify", file.to_str().unwrap(), &hex::encode(public)])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("does not verify"));
}

#[test]
fn tokens_built_in_python_verify_here() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("python.cwt");
    let statuses = [0u8, 1, 2, 3, 0, 0, 1, 2, 3, 3, 1];
    let list: Vec<String> = statuses.iter().map(|s| s.to_string()).collect();
    run_checker(&[
        "sign",
        file.to_str().unwrap(),
        &hex::encode([0x11u8; 32]),
        &hex::encode(KID),
        URI,
        &NOW.to_string(),
        "2",
        &list.join(","),
    ]);
    let bytes = std::fs::read(&file).unwrap();
    let token = StatusListToken::verify(&bytes, &trusted(), NOW).unwrap();
    assert_eq!(token.uri(), URI);
    assert_eq!(token.list().bits(), StatusBits::Two);
    for (idx, value) in statuses.iter().enumerate() {
        assert_eq!(token.list().get(idx as u64).unwrap().value(), *value);
    }
}
