//! Registered counters through the real binary (issue 13, docs/FORMAT.md §13): `netid issuer
//! register-counter`, `netid verify --counter DIR` (signs a request, then waits for the answer
//! on standard input), `netid wallet qr ID --request TEXT` (checks it, shows the consent, answers
//! it), and `netid wallet log` naming the counter. Every refusal exits with its kind and leaves no
//! presentation in the log.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use netid_core::credential::Purpose;
use serde_json::Value;
use support::*;

fn register(home: &Path, id: &str, purpose: &str, extra: &[&str]) -> PathBuf {
    let dir = home.join(format!("counter-{id}"));
    let (code, v) = json_of(
        netid(home)
            .args([
                "issuer",
                "register-counter",
                "--id",
                id,
                "--name-zh",
                "锦江之星",
                "--name-en",
                "Jinjiang Inn",
                "--purpose",
                purpose,
                "--keeps-days",
                "30",
                "--out",
            ])
            .arg(&dir)
            .args(extra),
    );
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["counter_id"], id);
    dir
}

/// `netid verify --counter DIR` running, its request read from its standard error.
struct Counter {
    child: Child,
    request: String,
}

fn counter(home: &Path, dir: &Path, purpose: &str) -> Counter {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("netid"))
        .env_remove("NETID_HOME")
        .arg("--home")
        .arg(home)
        .args([
            "--json",
            "verify",
            "--interactive",
            "--purpose",
            purpose,
            "--counter",
        ])
        .arg(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("netid runs");
    let stderr = child.stderr.take().expect("stderr");
    let mut request = None;
    for line in BufReader::new(stderr).lines() {
        let line = line.expect("stderr line");
        if let Ok(v) = serde_json::from_str::<Value>(&line)
            && let Some(text) = v["request"].as_str()
        {
            assert!(text.starts_with("NRQ1:"));
            request = Some(text.to_owned());
            break;
        }
    }
    Counter {
        child,
        request: request.expect("the counter printed its request"),
    }
}

impl Counter {
    /// Hands the counter `answer` and returns its exit code and JSON result.
    fn answer(mut self, answer: &str) -> (i32, Value) {
        let mut stdin = self.child.stdin.take().expect("stdin");
        stdin.write_all(answer.as_bytes()).expect("write answer");
        drop(stdin);
        let out = self.child.wait_with_output().expect("counter ends");
        let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        });
        (out.status.code().expect("exit code"), v)
    }
}

fn answer_request(home: &Path, id: &str, request: &str) -> (i32, Value, String) {
    let out = wallet(home)
        .args(["qr", id, "--request", request, "--json"])
        .output()
        .expect("netid runs");
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    (
        out.status.code().expect("exit code"),
        v,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn presentations(home: &Path) -> Vec<String> {
    let (code, v) = json_of(wallet(home).args(["log"]));
    assert_eq!(code, 0, "{v}");
    v["entries"]
        .as_array()
        .or_else(|| v.as_array())
        .expect("log entries")
        .iter()
        .filter(|e| e["kind"] == "presentation")
        .map(|e| e["detail"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn a_registered_counter_request_is_answered_accepted_and_logged_by_name() {
    let (home, id) = home_with_enrolled_wallet();
    let dir = register(home.path(), "hotel-bj-0042", "hotel", &[]);
    let trust: Value = serde_json::from_str(
        &std::fs::read_to_string(home.path().join("issuer/trust.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(trust["registrars"][0]["registrar"], "netid-dev-registrar");

    let desk = counter(home.path(), &dir, "hotel");
    let (code, shown, consent) = answer_request(home.path(), &id, &desk.request);
    assert_eq!(code, 0, "{shown} {consent}");
    assert_eq!(shown["counter"], "hotel-bj-0042");
    let consent: Value = consent
        .lines()
        .find_map(|l| {
            serde_json::from_str::<Value>(l)
                .ok()
                .filter(|v| v["consent"].is_object())
        })
        .expect("the consent data on standard error");
    assert_eq!(consent["consent"]["name_zh"], "锦江之星");
    assert_eq!(consent["consent"]["name_en"], "Jinjiang Inn");
    assert_eq!(consent["consent"]["registrar"], "netid-dev-registrar");
    assert_eq!(consent["consent"]["keeps_days"], 30);

    let code_text = shown["text"].as_str().unwrap().to_owned();
    let (code, accepted) = desk.answer(&code_text);
    assert_eq!(code, 0, "{accepted}");
    assert_eq!(accepted["result"], "accepted");
    assert_eq!(accepted["counter_id"], "hotel-bj-0042");
    assert_eq!(accepted["claims"]["id_number"], SECRET_ID_NUMBER);

    let log = presentations(home.path());
    assert_eq!(log.len(), 1, "{log:?}");
    assert!(
        log[0].contains("锦江之星 / Jinjiang Inn [hotel-bj-0042]"),
        "{log:?}"
    );
}

#[test]
fn refused_requests_exit_with_their_kind_and_log_nothing() {
    let (home, id) = home_with_enrolled_wallet();
    let hotel = register(home.path(), "hotel-bj-0042", "hotel", &[]);

    // Answered once; the same request again is refused by the wallet.
    let desk = counter(home.path(), &hotel, "hotel");
    let (code, shown, _) = answer_request(home.path(), &id, &desk.request);
    assert_eq!(code, 0, "{shown}");
    let request = desk.request.clone();
    assert_eq!(desk.answer(shown["text"].as_str().unwrap()).0, 0);
    let before = presentations(home.path()).len();
    let (code, v, _) = answer_request(home.path(), &id, &request);
    assert_eq!(
        (code, v["error"]["kind"].as_str()),
        (1, Some("request-replayed")),
        "{v}"
    );

    // Tampered: single characters changed throughout the text.
    let desk = counter(home.path(), &hotel, "hotel");
    let chars: Vec<char> = desk.request.chars().collect();
    for index in (5..chars.len()).step_by(41) {
        let mut tampered = chars.clone();
        tampered[index] = if chars[index] == 'A' { 'B' } else { 'A' };
        let tampered: String = tampered.into_iter().collect();
        let (code, v, _) = answer_request(home.path(), &id, &tampered);
        assert_eq!(code, 1, "char {index}: {v}");
        assert!(
            [
                "request-malformed",
                "bad-request-signature",
                "bad-certificate-signature",
                "unknown-registrar",
            ]
            .contains(&v["error"]["kind"].as_str().unwrap_or_default()),
            "char {index}: {v}"
        );
    }
    drop(desk.child);

    // A counter certified by a registrar this wallet does not trust.
    let other_home = home_with_issuer();
    let rogue = register(other_home.path(), "hotel-bj-0042", "hotel", &[]);
    let desk = counter(other_home.path(), &rogue, "hotel");
    let (code, v, _) = answer_request(home.path(), &id, &desk.request);
    assert_eq!(
        (code, v["error"]["kind"].as_str()),
        (1, Some("unknown-registrar")),
        "{v}"
    );

    // An expired certificate.
    let expired = register(
        home.path(),
        "hotel-old",
        "hotel",
        &["--valid-from", "2020-01-01", "--valid-until", "2021-01-01"],
    );
    let desk = counter(home.path(), &expired, "hotel");
    let (code, v, _) = answer_request(home.path(), &id, &desk.request);
    assert_eq!(
        (code, v["error"]["kind"].as_str()),
        (1, Some("certificate-not-valid")),
        "{v}"
    );

    // A hotel counter cannot even ask for gov, nor for a claim beyond its registration.
    let (code, v) = json_of(
        netid(home.path())
            .args(["verify", "--purpose", "gov", "--counter"])
            .arg(&hotel),
    );
    assert_eq!(
        (code, v["error"]["kind"].as_str()),
        (2, Some("purpose-not-certified")),
        "{v}"
    );
    let (code, v) = json_of(
        netid(home.path())
            .args([
                "verify",
                "--purpose",
                "hotel",
                "--claim",
                "address",
                "--counter",
            ])
            .arg(&hotel),
    );
    assert_eq!(
        (code, v["error"]["kind"].as_str()),
        (2, Some("claim-not-certified")),
        "{v}"
    );

    // A gov code without a request: the wallet will not make one.
    let (code, v) = json_of(wallet(home.path()).args(["qr", &id, "--purpose", "gov"]));
    assert_eq!(
        (code, v["error"]["kind"].as_str()),
        (1, Some("request-required")),
        "{v}"
    );

    assert_eq!(
        presentations(home.path()).len(),
        before,
        "nothing more was logged"
    );
}

#[test]
fn an_answer_is_refused_at_another_counter_and_a_gov_code_without_a_request_at_any() {
    let (home, id) = home_with_enrolled_wallet();
    let first = register(home.path(), "hotel-bj-0042", "hotel", &[]);
    let second = register(home.path(), "hotel-sh-0007", "hotel", &[]);
    let desk = counter(home.path(), &first, "hotel");
    let (code, shown, _) = answer_request(home.path(), &id, &desk.request);
    assert_eq!(code, 0, "{shown}");
    let answer = shown["text"].as_str().unwrap().to_owned();

    // Presented at the second counter (its own request, its own id): refused.
    let other = counter(home.path(), &second, "hotel");
    let (code, v) = other.answer(&answer);
    assert_eq!(
        (code, v["error"]["kind"].as_str()),
        (1, Some("wrong-audience")),
        "{v}"
    );
    // At the first counter but for a new request of it: another nonce.
    let again = counter(home.path(), &first, "hotel");
    let (code, v) = again.answer(&answer);
    assert_eq!(
        (code, v["error"]["kind"].as_str()),
        (1, Some("nonce-mismatch")),
        "{v}"
    );
    // At its own request it is accepted.
    assert_eq!(desk.answer(&answer).0, 0);

    // A gov code made without a request (by the library, as a rogue wallet could) is refused
    // by the counter's default policy.
    let holder = Holder::new(&dev_issuer(home.path()), now());
    let gov = holder.qr_text(Purpose::GovernmentService, now());
    let (code, v) =
        json_of(netid(home.path()).args(["verify", "--purpose", "gov", "--text", &gov]));
    assert_eq!(
        (code, v["error"]["kind"].as_str()),
        (1, Some("request-required")),
        "{v}"
    );
}

/// `netid demo --purpose gov` goes through a registered counter: request, consent, answer.
#[test]
fn the_gov_demo_answers_a_registered_counters_request() {
    let dir = tempfile::tempdir().expect("dir");
    let home = dir.path().join("home");
    let out = netid(&home)
        .env("NETID_PASSPHRASE", PASSPHRASE)
        .args([
            "demo",
            "--non-interactive",
            "--key-store",
            "passphrase",
            "--purpose",
            "gov",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "政务服务中心 / Service Hall (gov-demo-01), registered by netid-dev-registrar",
        "ACCEPTED for Government service",
        "Address",
    ] {
        assert!(stdout.contains(needle), "{needle}: {stdout}");
    }
    let (code, v) = json_of(wallet(&home).args(["log"]));
    assert_eq!(code, 0, "{v}");
    assert!(
        v["entries"].as_array().unwrap().iter().any(|e| e["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("[gov-demo-01]")),
        "{v}"
    );
}

/// Without --out and --counter, the home's registered counter is used.
#[test]
fn the_registered_counter_of_the_home_is_the_default() {
    let (home, id) = home_with_enrolled_wallet();
    let (code, v) = json_of(netid(home.path()).args([
        "issuer",
        "register-counter",
        "--id",
        "kiosk-7",
        "--name-zh",
        "自助机",
        "--name-en",
        "Kiosk",
        "--purpose",
        "ticket",
    ]));
    assert_eq!(code, 0, "{v}");
    assert!(
        home.path()
            .join("counter/registered/certificate.cbor")
            .is_file()
    );
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("netid"))
        .env_remove("NETID_HOME")
        .arg("--home")
        .arg(home.path())
        .args(["--json", "verify", "--interactive", "--purpose", "ticket"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("netid runs");
    let stderr = child.stderr.take().expect("stderr");
    let request = BufReader::new(stderr)
        .lines()
        .map_while(Result::ok)
        .find_map(|l| {
            serde_json::from_str::<Value>(&l)
                .ok()
                .and_then(|v| v["request"].as_str().map(str::to_owned))
        })
        .expect("a request");
    let (code, shown, _) = answer_request(home.path(), &id, &request);
    assert_eq!(code, 0, "{shown}");
    let (code, accepted) = Counter { child, request }.answer(shown["text"].as_str().unwrap());
    assert_eq!(
        (code, accepted["counter_id"].as_str()),
        (0, Some("kiosk-7")),
        "{accepted}"
    );
}

/// The counter's key is private to the clerk's account, and a registration whose largest request
/// would not fit a version-12 QR reaches the user with the core's message (by how much) and
/// writes nothing.
#[test]
fn the_counter_key_is_private_and_an_oversized_registration_is_refused_with_its_message() {
    let home = home_with_issuer();
    let dir = register(home.path(), "hotel-bj-0042", "hotel", &[]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("counter-key.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "counter key mode {mode:o}");
    }

    let too_large = home.path().join("counter-too-large");
    // The core's own example: every purpose, a long id and long names (each within its limit).
    let (code, v) = json_of(
        netid(home.path())
            .args([
                "issuer",
                "register-counter",
                "--id",
                "gov-beijing-haidian-service-01",
                "--name-zh",
                "北京市海淀区政务服务中心大厅",
                "--name-en",
                "Haidian Government Service Hall",
                "--purpose",
                "hotel",
                "--purpose",
                "cafe",
                "--purpose",
                "ticket",
                "--purpose",
                "gov",
                "--out",
            ])
            .arg(&too_large),
    );
    assert_eq!(
        (code, v["error"]["kind"].as_str()),
        (2, Some("registration-too-large")),
        "{v}"
    );
    let message = v["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("byte"), "says by how much: {v}");
    assert!(
        !too_large.join("counter-key.pem").exists(),
        "nothing written"
    );
}
