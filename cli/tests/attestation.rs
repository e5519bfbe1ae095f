//! The development issuer's key-attestation policy through the `netid` binary: secure by default
//! (the CLI wallet's software keys enrol at the basic grade only), an explicit development policy
//! for the enhanced grade, typed refusals in both languages, and `netid issuer attestation`
//! refusing root files it cannot use.

mod support;

use std::path::Path;

use serde_json::Value;
use sha2::{Digest, Sha256};
use support::*;

/// The resident ID at the enhanced ("colour") grade.
fn enhanced_claims() -> String {
    let claims = RESIDENT_ID_CLAIMS.replace("\"basic\"", "\"enhanced\"");
    assert_ne!(claims, RESIDENT_ID_CLAIMS, "the vector is basic-grade");
    claims
}

/// A home with a development issuer and an empty wallet.
fn home_with_wallet() -> tempfile::TempDir {
    let home = home_with_issuer();
    wallet(home.path()).arg("init").assert().success();
    home
}

fn enrol(home: &Path, claims: &str) -> (i32, Value) {
    let file = home.join("claims.json");
    std::fs::write(&file, claims).expect("write claims");
    json_of(
        wallet(home)
            .args(["enrol", "--doctype", "resident-id", "--claims"])
            .arg(&file),
    )
}

fn documents(home: &Path) -> Vec<Value> {
    let (code, v) = json_of(wallet(home).arg("list"));
    assert_eq!(code, 0, "{v}");
    v["documents"].as_array().expect("documents").clone()
}

/// The status-list entries the issuer has handed out.
fn issued_entries(home: &Path) -> usize {
    let (code, v) = json_of(netid(home).args(["issuer", "status-list"]));
    assert_eq!(code, 0, "{v}");
    v["entries"].as_array().expect("entries").len()
}

fn policy(home: &Path, args: &[&str]) -> (i32, Value) {
    json_of(netid(home).args(["issuer", "attestation"]).args(args))
}

/// The chain Google published (core/tests/vectors/android_attestation/SOURCE.md), leaf first,
/// in 76-column PEM as Google writes it; its last certificate is Google's hardware attestation
/// root (RSA-4096).
const GOOGLE_CHAIN_PEM: &str =
    include_str!("../../core/tests/vectors/android_attestation/google_normal_cert_chain.pem");

/// Google's root as DER, decoded here independently of the command's PEM reader.
fn google_root_der() -> Vec<u8> {
    let last = GOOGLE_CHAIN_PEM
        .rfind("-----BEGIN CERTIFICATE-----")
        .expect("a certificate");
    let body: String = GOOGLE_CHAIN_PEM[last..]
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let body = body.as_bytes();
    let mut strict = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in body.chunks(64) {
        strict.push_str(std::str::from_utf8(chunk).expect("base64"));
        strict.push('\n');
    }
    strict.push_str("-----END CERTIFICATE-----\n");
    let (label, der) = p256::pkcs8::der::pem::decode_vec(strict.as_bytes()).expect("PEM");
    assert_eq!(label, "CERTIFICATE");
    der
}

#[test]
fn a_new_issuer_refuses_an_enhanced_enrolment_of_a_software_key_and_stores_nothing() {
    let home = home_with_wallet();
    let (code, v) = policy(home.path(), &[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(
        (v["basic"].as_str(), v["enhanced"].as_str()),
        (Some("any-key"), Some("hardware-with-user-auth"))
    );
    assert_eq!(v["trust_roots"], serde_json::json!([]));
    assert_eq!(v["changed"], false);

    let (code, v) = enrol(home.path(), &enhanced_claims());
    assert_eq!(code, 1, "a refusal: {v}");
    assert_eq!(v["error"]["kind"], "key-attestation-refused", "{v}");
    let message = v["error"]["message"].as_str().expect("message");
    assert!(message.contains("enhanced grade"), "{message}");
    assert!(
        message.contains("secure hardware"),
        "names the rule: {message}"
    );
    assert!(message.contains("software key"), "{message}");
    assert!(!message.contains(SECRET_NAME) && !message.contains(SECRET_ID_NUMBER));
    let next = v["error"]["next_step"].as_str().expect("next step");
    assert!(next.contains("basic grade"), "{next}");
    assert!(
        next.contains("netid issuer attestation --enhanced any-key"),
        "{next}"
    );
    // Nothing stored: no document, no status entry, no enrolment in the log.
    assert!(documents(home.path()).is_empty());
    assert_eq!(issued_entries(home.path()), 0);
    let (code, log) = json_of(wallet(home.path()).arg("log"));
    assert_eq!(code, 0, "{log}");
    assert!(
        !log["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .any(|e| e["kind"] == "enrolment"),
        "{log}"
    );

    // The same refusal for people, in English and in Chinese.
    let file = home.path().join("claims.json");
    let out = wallet(home.path())
        .args(["enrol", "--doctype", "resident-id", "--claims"])
        .arg(&file)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error: The issuer refused this holder key for the enhanced grade"),
        "{stderr}"
    );
    assert!(
        stderr.contains("next: enrol at the basic grade"),
        "{stderr}"
    );
    let out = wallet(home.path())
        .env("LANG", "zh_CN.UTF-8")
        .args(["enrol", "--doctype", "resident-id", "--claims"])
        .arg(&file)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("签发方拒绝了此持有人密钥"), "{stderr}");
    assert!(stderr.contains("软件密钥"), "{stderr}");
    assert!(
        stderr.contains("netid issuer attestation --enhanced any-key"),
        "{stderr}"
    );
    assert!(documents(home.path()).is_empty());
    assert_eq!(issued_entries(home.path()), 0);
}

#[test]
fn an_issuer_without_a_policy_file_gets_the_default_not_any_key() {
    // An issuer made before attestation existed has no attestation.json.
    let home = home_with_wallet();
    std::fs::remove_file(home.path().join("issuer/attestation.json")).expect("policy file");
    let (code, v) = enrol(home.path(), &enhanced_claims());
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["error"]["kind"], "key-attestation-refused", "{v}");
    assert!(documents(home.path()).is_empty());

    // A damaged policy is reported, never taken for the default or for "any key".
    std::fs::write(
        home.path().join("issuer/attestation.json"),
        r#"{"basic":"any-key","enhanced":"whatever","trust_roots":[]}"#,
    )
    .expect("write");
    let (code, v) = enrol(home.path(), RESIDENT_ID_CLAIMS);
    assert_eq!(code, 2, "{v}");
    assert_eq!(v["error"]["kind"], "issuer-damaged", "{v}");
    assert!(
        v["error"]["next_step"]
            .as_str()
            .is_some_and(|n| n.contains("--reset")),
        "{v}"
    );
    assert!(documents(home.path()).is_empty());
    let (code, v) = policy(home.path(), &["--reset"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["enhanced"], "hardware-with-user-auth");
}

#[test]
fn the_basic_grade_still_enrols_a_software_key_under_the_default_policy() {
    let home = home_with_wallet();
    let (code, v) = enrol(home.path(), RESIDENT_ID_CLAIMS);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["assurance_level"], "basic");
    assert_eq!(v["holder_key"]["attested_level"], "software", "{v}");
    assert_eq!(v["holder_key"]["user_auth_required"], false, "{v}");
    assert_eq!(documents(home.path()).len(), 1);
}

#[test]
fn a_development_policy_set_explicitly_enrols_a_software_key_at_the_enhanced_grade() {
    let home = home_with_wallet();
    let out = netid(home.path())
        .args(["issuer", "attestation", "--enhanced", "any-key"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("enhanced grade: any-key"), "{text}");
    assert!(
        text.contains("development issuer: software keys accepted at the enhanced grade"),
        "{text}"
    );
    let (code, v) = policy(home.path(), &[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["software_keys_accepted_at_enhanced"], true, "{v}");

    let (code, v) = enrol(home.path(), &enhanced_claims());
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["assurance_level"], "enhanced", "{v}");
    assert_eq!(v["holder_key"]["attested_level"], "software", "{v}");
    assert!(issued_entries(home.path()) > 0);

    // And back to the secure choice: the next enhanced enrolment is refused again.
    let (code, v) = policy(home.path(), &["--enhanced", "hardware-with-user-auth"]);
    assert_eq!((code, v["changed"].clone()), (0, Value::Bool(true)), "{v}");
    let (code, v) = enrol(home.path(), &enhanced_claims());
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["error"]["kind"], "key-attestation-refused", "{v}");
    assert_eq!(documents(home.path()).len(), 1);
}

#[test]
fn roots_are_read_from_pem_or_der_and_a_bad_root_file_is_a_typed_usage_error() {
    let home = home_with_issuer();
    let policy_file = home.path().join("issuer/attestation.json");
    let before = std::fs::read(&policy_file).expect("keygen writes the policy");

    let garbage = home.path().join("garbage.der");
    std::fs::write(&garbage, b"not a certificate").expect("write");
    let key_pem = home.path().join("issuer/issuer-key.pem");
    let empty_pem = home.path().join("empty.pem");
    std::fs::write(&empty_pem, "-----BEGIN CERTIFICATE-----\n").expect("write");
    for (file, expect) in [
        (&garbage, "not a usable attestation root certificate"),
        (&key_pem, "not a CERTIFICATE"),
        (&empty_pem, "END"),
    ] {
        let (code, v) = policy(
            home.path(),
            &["--trust-root", file.to_str().expect("utf-8")],
        );
        assert_eq!(code, 2, "{file:?}: {v}");
        assert_eq!(v["error"]["kind"], "bad-attestation-root", "{v}");
        let message = v["error"]["message"].as_str().expect("message");
        assert!(message.contains(expect), "{message}");
        assert!(
            v["error"]["next_step"]
                .as_str()
                .is_some_and(|n| n.contains("PEM") && n.contains("DER")),
            "{v}"
        );
        assert_eq!(std::fs::read(&policy_file).expect("policy"), before);
    }
    let (code, v) = policy(home.path(), &["--trust-root", "/nonexistent/root.pem"]);
    assert_eq!(
        (code, v["error"]["kind"].as_str()),
        (2, Some("unreadable-file"))
    );
    // One bad file among good ones changes nothing either.
    let root = google_root_der();
    let der_file = home.path().join("google-root.der");
    std::fs::write(&der_file, &root).expect("write");
    let (code, v) = policy(
        home.path(),
        &[
            "--trust-root",
            der_file.to_str().expect("utf-8"),
            "--trust-root",
            garbage.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(code, 2, "{v}");
    assert_eq!(std::fs::read(&policy_file).expect("policy"), before);

    // DER, then the same root again as PEM: stored once, shown by its SHA-256.
    let fingerprint = hex::encode(Sha256::digest(&root));
    let (code, v) = policy(
        home.path(),
        &["--trust-root", der_file.to_str().expect("utf-8")],
    );
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["roots_added"], 1);
    assert_eq!(v["trust_roots"][0]["sha256"], fingerprint.as_str(), "{v}");
    let pem_file = home.path().join("google-root.pem");
    let pem = p256::pkcs8::der::pem::encode_string(
        "CERTIFICATE",
        p256::pkcs8::der::pem::LineEnding::LF,
        &root,
    )
    .expect("PEM");
    std::fs::write(&pem_file, pem).expect("write");
    let (code, v) = policy(
        home.path(),
        &["--trust-root", pem_file.to_str().expect("utf-8")],
    );
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["roots_added"], 0);
    assert_eq!(v["trust_roots"].as_array().map(Vec::len), Some(1));
    let out = netid(home.path())
        .args(["issuer", "attestation"])
        .output()
        .expect("runs");
    assert!(String::from_utf8_lossy(&out.stdout).contains(&fingerprint));

    // The enhanced grade never requires less than the basic one.
    let (code, v) = policy(
        home.path(),
        &[
            "--basic",
            "hardware-with-user-auth",
            "--enhanced",
            "any-key",
        ],
    );
    assert_eq!(code, 2, "{v}");
    assert_eq!(v["error"]["kind"], "bad-attestation-policy", "{v}");

    let (code, v) = policy(home.path(), &["--clear-roots"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["trust_roots"], serde_json::json!([]));
}

#[test]
fn the_policy_needs_an_issuer() {
    let dir = tempfile::tempdir().expect("dir");
    let (code, v) = policy(dir.path(), &[]);
    assert_eq!(code, 2, "{v}");
    assert_eq!(v["error"]["kind"], "no-issuer", "{v}");
}

#[test]
fn a_policy_asking_hardware_at_the_basic_grade_refuses_a_basic_software_key_too() {
    let home = home_with_wallet();
    let (code, v) = policy(home.path(), &["--basic", "hardware-with-user-auth"]);
    assert_eq!(code, 0, "{v}");
    let (code, v) = enrol(home.path(), RESIDENT_ID_CLAIMS);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["error"]["kind"], "key-attestation-refused", "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("basic grade") && m.contains("secure hardware")),
        "{v}"
    );
    assert!(
        v["error"]["next_step"]
            .as_str()
            .is_some_and(|n| n.contains("--basic any-key")),
        "{v}"
    );
    assert!(documents(home.path()).is_empty());
    assert_eq!(issued_entries(home.path()), 0);
}

// ----- iOS App Attest -----
// The CLI wallet cannot make App Attest evidence, and the binary takes no enrolment proof from
// outside: enrolment under an App Attest policy is tested at the issuer's check itself
// (cli/src/wallet_cmd.rs, `app_attest_tests`). Here: the policy's flags, output and file.

/// Apple's "Apple App Attestation Root CA" (core/tests/vectors/apple_app_attest/SOURCE.md).
const APPLE_APP_ATTEST_ROOT_PEM: &str =
    include_str!("../../core/tests/vectors/apple_app_attest/apple_app_attestation_root_ca.pem");
/// Its SHA-256 fingerprint as Apple publishes it (SOURCE.md).
const APPLE_APP_ATTEST_ROOT_SHA256: &str =
    "1cb9823ba28ba6ad2d33a006941de2ae4f513ef1d4e831b9f7e0fa7b6242c932";
const APP_ID: &str = "ABCDE12345.io.example.wallet";

#[test]
fn app_attest_roots_and_app_ids_are_set_shown_and_stored_and_bad_ones_change_nothing() {
    let home = home_with_issuer();
    let policy_file = home.path().join("issuer/attestation.json");
    let (code, v) = policy(home.path(), &[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(
        v["app_attest"],
        serde_json::json!({"configured": false, "roots": [], "app_ids": [],
            "allow_development": false, "roots_added": 0}),
        "a new issuer configures no App Attest"
    );
    let text = netid(home.path())
        .args(["issuer", "attestation"])
        .output()
        .expect("runs");
    assert!(
        String::from_utf8_lossy(&text.stdout).contains("iOS App Attest: not configured"),
        "{text:?}"
    );

    let root_file = home.path().join("apple-root.pem");
    std::fs::write(&root_file, APPLE_APP_ATTEST_ROOT_PEM).expect("write");
    let root = root_file.to_str().expect("utf-8");
    let before = std::fs::read(&policy_file).expect("keygen writes the policy");

    // A bad app id is a typed usage error, even beside a good root: nothing changes.
    for bad in [
        "io.example.wallet",
        "abcde12345.io.example.wallet",
        "ABCDE1234.io.example.wallet",
        "ABCDE12345.",
        "ABCDE12345.io..wallet",
        "ABCDE12345.io.example wallet",
    ] {
        let (code, v) = policy(
            home.path(),
            &[
                "--app-attest-root",
                root,
                "--app-id",
                APP_ID,
                "--app-id",
                bad,
            ],
        );
        assert_eq!(code, 2, "{bad}: {v}");
        assert_eq!(v["error"]["kind"], "bad-app-id", "{v}");
        let message = v["error"]["message"].as_str().expect("message");
        assert!(message.contains(bad), "{message}");
        let next = v["error"]["next_step"].as_str().expect("next step");
        assert!(
            next.contains("team id") && next.contains("--app-id"),
            "{next}"
        );
        assert_eq!(std::fs::read(&policy_file).expect("policy"), before);
    }
    // A bad root file likewise, with a next step naming Apple's root.
    let garbage = home.path().join("garbage.der");
    std::fs::write(&garbage, b"not a certificate").expect("write");
    let (code, v) = policy(
        home.path(),
        &[
            "--app-attest-root",
            garbage.to_str().expect("utf-8"),
            "--app-id",
            APP_ID,
        ],
    );
    assert_eq!(code, 2, "{v}");
    assert_eq!(v["error"]["kind"], "bad-attestation-root", "{v}");
    assert!(
        v["error"]["next_step"]
            .as_str()
            .is_some_and(|n| n.contains("App Attestation root")),
        "{v}"
    );
    assert_eq!(std::fs::read(&policy_file).expect("policy"), before);

    // Apple's root (PEM) and an app id: configured, the root shown by Apple's fingerprint.
    let (code, v) = policy(
        home.path(),
        &["--app-attest-root", root, "--app-id", APP_ID],
    );
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["changed"], true);
    assert_eq!(v["app_attest"]["configured"], true, "{v}");
    assert_eq!(v["app_attest"]["roots_added"], 1);
    assert_eq!(
        v["app_attest"]["roots"],
        serde_json::json!([{"sha256": APPLE_APP_ATTEST_ROOT_SHA256}])
    );
    assert_eq!(v["app_attest"]["app_ids"], serde_json::json!([APP_ID]));
    assert_eq!(v["app_attest"]["allow_development"], false);
    // Android roots are a separate list.
    assert_eq!(v["trust_roots"], serde_json::json!([]));
    // Stored: a fresh run shows it; the same root and id again add nothing.
    let (code, v) = policy(
        home.path(),
        &["--app-attest-root", root, "--app-id", APP_ID],
    );
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["app_attest"]["roots_added"], 0);
    assert_eq!(v["app_attest"]["roots"].as_array().map(Vec::len), Some(1));
    assert_eq!(v["app_attest"]["app_ids"], serde_json::json!([APP_ID]));
    let out = netid(home.path())
        .args(["issuer", "attestation"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(APPLE_APP_ATTEST_ROOT_SHA256), "{text}");
    assert!(text.contains(APP_ID), "{text}");
    assert!(text.contains("production only"), "{text}");
    assert!(
        !text.contains("development-signed builds accepted"),
        "{text}"
    );

    // Development builds: explicit, shown, and switched off again.
    let (code, v) = policy(home.path(), &["--allow-app-attest-development"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["app_attest"]["allow_development"], true);
    let out = netid(home.path())
        .args(["issuer", "attestation"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("production and development"), "{text}");
    assert!(
        text.contains(
            "development issuer: iOS App Attest keys of development-signed builds accepted"
        ),
        "{text}"
    );
    let (code, v) = policy(
        home.path(),
        &[
            "--allow-app-attest-development",
            "--no-app-attest-development",
        ],
    );
    assert_eq!(
        (code, v["error"]["kind"].as_str()),
        (2, Some("usage")),
        "{v}"
    );
    let (code, v) = policy(home.path(), &["--no-app-attest-development"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["app_attest"]["allow_development"], false);

    // --clear-roots is about Android roots; --clear-app-attest and --reset clear App Attest.
    let (code, v) = policy(home.path(), &["--clear-roots"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["app_attest"]["configured"], true, "{v}");
    let (code, v) = policy(
        home.path(),
        &["--clear-app-attest", "--allow-app-attest-development"],
    );
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["app_attest"]["configured"], false, "{v}");
    assert_eq!(v["app_attest"]["roots"], serde_json::json!([]));
    assert_eq!(v["app_attest"]["app_ids"], serde_json::json!([]));
    assert_eq!(
        v["app_attest"]["allow_development"], true,
        "set after the clear"
    );
    let (code, v) = policy(
        home.path(),
        &["--app-attest-root", root, "--app-id", APP_ID],
    );
    assert_eq!(code, 0, "{v}");
    let (code, v) = policy(home.path(), &["--reset"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["app_attest"]["configured"], false, "{v}");
    assert_eq!(v["app_attest"]["allow_development"], false, "{v}");
}

#[test]
fn an_older_policy_file_without_app_attest_loads_as_not_configured_and_a_damaged_field_is_reported()
{
    let home = home_with_wallet();
    let policy_file = home.path().join("issuer/attestation.json");
    // As `netid issuer keygen` wrote it before App Attest could be configured.
    std::fs::write(
        &policy_file,
        r#"{"basic":"any-key","enhanced":"hardware-with-user-auth","trust_roots":[]}"#,
    )
    .expect("write");
    let (code, v) = policy(home.path(), &[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["app_attest"]["configured"], false, "{v}");
    assert_eq!(v["enhanced"], "hardware-with-user-auth");
    let (code, v) = enrol(home.path(), RESIDENT_ID_CLAIMS);
    assert_eq!(code, 0, "the old policy still works: {v}");

    let old = r#""basic":"any-key","enhanced":"hardware-with-user-auth","trust_roots":[]"#;
    for damaged in [
        r#""app_ids":"ABCDE12345.io.example.wallet""#,
        r#""app_ids":["not an app id"]"#,
        r#""app_ids":[""]"#,
        r#""app_attest_roots":[{"sha256":"00","der_hex":"zz"}]"#,
        r#""app_attest_roots":[{"sha256":"00","der_hex":"3003020101"}]"#,
        r#""app_attest_roots":"any""#,
        r#""allow_app_attest_development":"yes""#,
        r#""app_attest":true"#,
    ] {
        std::fs::write(&policy_file, format!("{{{old},{damaged}}}")).expect("write");
        let (code, v) = policy(home.path(), &[]);
        assert_eq!(code, 2, "{damaged}: {v}");
        assert_eq!(v["error"]["kind"], "issuer-damaged", "{damaged}: {v}");
        let (code, v) = enrol(home.path(), RESIDENT_ID_CLAIMS);
        assert_eq!(code, 2, "{damaged}: {v}");
        assert_eq!(v["error"]["kind"], "issuer-damaged", "{damaged}: {v}");
    }
    assert_eq!(
        documents(home.path()).len(),
        1,
        "nothing enrolled meanwhile"
    );
    let (code, v) = policy(home.path(), &["--reset"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["app_attest"]["configured"], false);
}
