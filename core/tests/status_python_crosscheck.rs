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

/// FORMAT.md §7's admission rules (fetched-at, default TTL, inclusive bounds, rollback), applied
/// by the core and, written independently from the document, by the Python checker, over a grid
/// of records, tokens, sources and clocks: both must reach the same decision and freshness.
#[test]
fn admission_rules_agree_with_the_python_reading_of_format_section_7() {
    use netid_core::status::{
        ListSource, MemoryHighWater, StatusError, StatusHighWater, StatusListCache,
        StatusListRecord,
    };
    use sha2::{Digest, Sha256};

    const DEFAULT_TTL: u64 = 3_600;
    let public = hex::encode(
        issuer_key()
            .verifying_key()
            .to_encoded_point(false)
            .as_bytes(),
    );
    let dir = tempfile::tempdir().unwrap();
    let token = |iat: u64, revoked: bool, ttl: Option<u64>, exp: Option<u64>| {
        let mut builder = StatusListBuilder::new(URI, 16, StatusBits::One).unwrap();
        if revoked {
            builder.set(3, TokenStatus::Revoked).unwrap();
        }
        if let Some(ttl) = ttl {
            builder.time_to_live(ttl);
        }
        if let Some(exp) = exp {
            builder.expires_at(exp);
        }
        builder.sign(&issuer_key(), KID, iat).unwrap()
    };
    let recorded = token(NOW, false, Some(600), None);
    let recorded_record = StatusListRecord {
        uri: URI.into(),
        issued_at: NOW,
        digest: Sha256::digest(&recorded).into(),
        fetched_at: NOW - 50,
    };
    let offered = [
        recorded.clone(),                                   // the same list again
        token(NOW, true, Some(600), None),                  // same iat, other content
        token(NOW - 1, false, Some(600), None),             // older
        token(NOW + 30, true, None, None),                  // newer, no ttl: default
        token(NOW + 30, false, Some(600), Some(NOW + 200)), // exp before ttl end
        token(NOW + 30, false, Some(600), Some(NOW + 100)), // exp exactly at one `now` below
        token(NOW + 200, false, Some(60), None),            // iat beyond now + skew for some clocks
    ];
    let mut cases = 0;
    let mut decisions = std::collections::BTreeSet::new();
    for bytes in &offered {
        let file = dir.path().join("offered.cwt");
        std::fs::write(&file, bytes).unwrap();
        for with_record in [false, true] {
            for (source, name) in [
                (ListSource::LocalFile, "local-file"),
                (ListSource::Fetched, "fetched"),
            ] {
                for now in [NOW + 40, NOW + 100, NOW + 150] {
                    let mut high_water = MemoryHighWater::new();
                    let mut args = vec![
                        "admit".to_owned(),
                        file.to_str().unwrap().to_owned(),
                        public.clone(),
                        name.to_owned(),
                        now.to_string(),
                        DEFAULT_TTL.to_string(),
                    ];
                    if with_record {
                        high_water.record(&recorded_record, &recorded).unwrap();
                        args.extend([
                            NOW.to_string(),
                            hex::encode(recorded_record.digest),
                            recorded_record.fetched_at.to_string(),
                        ]);
                    }
                    let args: Vec<&str> = args.iter().map(String::as_str).collect();
                    let python: serde_json::Value =
                        serde_json::from_str(&run_checker(&args)).unwrap();
                    let mut cache = StatusListCache::new(DEFAULT_TTL);
                    let rust = cache.admit(bytes, &trusted(), source, now, &mut high_water);
                    let context = format!("case {cases}: record {with_record}, {name}, now {now}");
                    match rust {
                        Ok(_) => {
                            assert_eq!(python["decision"], "accepted", "{context}: {python}");
                            let kept = high_water.newest(URI).unwrap().unwrap();
                            assert_eq!(python["fetched_at"], kept.fetched_at, "{context}");
                            assert_eq!(
                                python["fresh_until"],
                                cache.fresh_until(URI).unwrap(),
                                "{context}"
                            );
                        }
                        Err(e) => {
                            let expected = match e {
                                StatusError::OlderThanCached { .. } => "older",
                                StatusError::ConflictingList { .. } => "conflict",
                                StatusError::Expired { .. } => "expired",
                                StatusError::IssuedInFuture { .. } => "future",
                                other => panic!("{context}: unexpected {other:?}"),
                            };
                            assert_eq!(python["decision"], expected, "{context}: {python}");
                        }
                    }
                    decisions.insert(python["decision"].as_str().unwrap_or_default().to_owned());
                    cases += 1;
                }
            }
        }
    }
    assert_eq!(cases, offered.len() * 12);
    // The grid reaches every outcome, so agreement is not agreement on one branch.
    assert_eq!(
        decisions.into_iter().collect::<Vec<_>>(),
        ["accepted", "conflict", "expired", "future", "older"]
    );
}
