//! The HTTP API of `netid-verifier` on the embedded in-process replay cache, end to end: the
//! real binary, configured by its own `config init` for a development netid home made by the
//! real `netid`, answering over TCP. What each test proves is in its name; docs/service.md and
//! docs/SECURITY.md cite them.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use support::IssuerHome;
use support::verifier::{TestConfig, VerifierProcess, parse_answer, request};

/// Values of the test credential that must never reach a log.
const PERSONAL: [&str; 4] = ["李秀英", "11010519491231002X", "1949-12-31", "建国路"];

fn assert_no_personal_data(lines: &[String], qr_texts: &[&str]) {
    for line in lines {
        for value in PERSONAL {
            assert!(!line.contains(value), "personal data in a log line: {line}");
        }
        for qr in qr_texts {
            // Any 40-character piece of a code would be enough to recognise it.
            assert!(
                !line.contains(&qr[qr.len() / 2..qr.len() / 2 + 40]),
                "QR text in a log line: {line}"
            );
        }
    }
}

#[test]
fn a_fresh_code_is_accepted_once_with_its_claims_and_then_refused_as_replayed() {
    let home = IssuerHome::new(1);
    let config = TestConfig::init(home.path(), None, "");
    let service = VerifierProcess::start(&config.path, &[]);
    service.wait_for_fresh_memory();
    let qr = home.qr_text(0);

    let first = service.verify(&config.token, &qr);
    assert!(first.accepted(), "{first:?}");
    let body = first.json();
    assert_eq!(body["doc_type"], "resident-id");
    assert_eq!(body["purpose"], "hotel");
    assert_eq!(body["issuer"], support::ISSUER_ID);
    assert_eq!(body["claims"]["name"], "李秀英");
    assert!(body["expires"].as_i64().expect("expires") > body["issued_at"].as_i64().expect("iat"));
    assert_eq!(first.header("cache-control"), Some("no-store"));

    let again = service.verify(&config.token, &qr);
    assert!(!again.accepted());
    assert_eq!(again.reason(), "replayed");
    assert!(
        !again.json()["message"]
            .as_str()
            .expect("message")
            .is_empty()
    );

    let metrics = service.get("/metrics");
    assert_eq!(metrics.status, 200);
    assert!(
        metrics
            .body
            .contains("netid_verifications_total{outcome=\"accepted\"} 1\n")
    );
    assert!(
        metrics
            .body
            .contains("netid_verifications_total{outcome=\"replayed\"} 1\n")
    );
    assert!(
        metrics
            .body
            .contains("netid_status_list_age_seconds{uri=\"https://dev-issuer.example/s\"}")
    );

    // One audit line per verification: counter, outcome, document type, and nothing personal.
    std::thread::sleep(Duration::from_millis(200));
    let audit: Vec<serde_json::Value> = service
        .stdout_lines()
        .iter()
        .map(|l| serde_json::from_str(l).expect("audit lines are JSON"))
        .collect();
    assert_eq!(audit.len(), 2, "{audit:?}");
    assert_eq!(audit[0]["counter"], "desk-1");
    assert_eq!(audit[0]["outcome"], "accepted");
    assert_eq!(audit[0]["doc_type"], "resident-id");
    assert_eq!(audit[1]["outcome"], "replayed");
    assert!(audit[0]["time_ms"].as_u64().is_some());
    assert_no_personal_data(&service.stdout_lines(), &[&qr]);
    assert_no_personal_data(&service.stderr_lines(), &[&qr]);
}

#[test]
fn concurrent_submissions_of_one_code_accept_exactly_one() {
    let home = IssuerHome::new(1);
    let config = TestConfig::init(home.path(), None, "");
    config.edit(
        "rate_per_second = 20\nburst = 40",
        "rate_per_second = 1000\nburst = 1000",
    );
    let service = VerifierProcess::start(&config.path, &[]);
    service.wait_for_fresh_memory();
    let qr = home.qr_text(0);
    let accepted: usize = std::thread::scope(|s| {
        let handles: Vec<_> = (0..64)
            .map(|_| s.spawn(|| service.verify(&config.token, &qr)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .map(|a| {
                if a.accepted() {
                    1
                } else {
                    assert_eq!(a.reason(), "replayed");
                    0
                }
            })
            .sum()
    });
    assert_eq!(accepted, 1);
}

#[test]
fn codes_made_before_the_service_started_are_refused_as_replay_cache_reset() {
    // The in-process cache forgets everything on restart: a code from before it began could
    // have been accepted by the previous process.
    let home = IssuerHome::new(1);
    let qr = home.qr_text(0);
    let config = TestConfig::init(home.path(), None, "");
    let service = VerifierProcess::start(&config.path, &[]);
    let answer = service.verify(&config.token, &qr);
    assert!(!answer.accepted());
    assert_eq!(answer.reason(), "replay-cache-reset");
    service.wait_for_fresh_memory();
    assert!(service.verify(&config.token, &home.qr_text(0)).accepted());
}

#[test]
fn a_challenge_is_redeemed_once_and_only_by_the_counter_it_was_issued_to() {
    let home = IssuerHome::new(1);
    let config = TestConfig::init(home.path(), None, "");
    config.add_counter("desk-2", "token-of-desk-2", 20, 40);
    let service = VerifierProcess::start(&config.path, &[]);
    service.wait_for_fresh_memory();

    let challenge = |token: &str| {
        let a = service.post("/v1/challenge", Some(token), "");
        assert_eq!(a.status, 200, "{a:?}");
        assert_eq!(a.json()["ttl_seconds"], 120);
        a.json()["nonce"].as_str().expect("nonce").to_owned()
    };
    let verify_with = |token: &str, nonce: &str| {
        let bytes = hex::decode(nonce).expect("hex");
        let qr = home.qr_text_interactive(0, "front-desk-7", &bytes);
        let body = serde_json::json!({
            "qr": qr, "purpose": "hotel", "audience": "front-desk-7", "nonce": nonce
        });
        service.post("/v1/verify", Some(token), &body.to_string())
    };

    let nonce = challenge(&config.token);
    assert_eq!(nonce.len(), 32);
    assert!(verify_with(&config.token, &nonce).accepted());
    // A second code for the same challenge: the challenge is used up.
    let second = verify_with(&config.token, &nonce);
    assert!(!second.accepted());
    assert_eq!(second.reason(), "challenge-unknown");

    // desk-1's challenge is not desk-2's.
    let nonce = challenge(&config.token);
    let stolen = verify_with("token-of-desk-2", &nonce);
    assert!(!stolen.accepted());
    assert_eq!(stolen.reason(), "challenge-unknown");

    // A nonce nobody issued.
    let made_up = verify_with(&config.token, "00112233445566778899aabbccddeeff");
    assert_eq!(made_up.reason(), "challenge-unknown");

    // The code must carry the nonce the counter names (the core's check).
    let nonce = challenge(&config.token);
    let qr = home.qr_text(0);
    let body = serde_json::json!({ "qr": qr, "purpose": "hotel", "nonce": nonce });
    let refused = service.post("/v1/verify", Some(&config.token), &body.to_string());
    assert!(!refused.accepted());
    assert!(
        ["nonce-mismatch", "wrong-audience"].contains(&refused.reason().as_str()),
        "{refused:?}"
    );
}

#[test]
fn bad_requests_get_their_status_codes_learn_nothing_and_the_service_stays_up() {
    let home = IssuerHome::new(1);
    let config = TestConfig::init(home.path(), None, "");
    config.edit(
        "rate_per_second = 20\nburst = 40",
        "rate_per_second = 1000\nburst = 1000",
    );
    let service = VerifierProcess::start(&config.path, &[]);
    service.wait_for_fresh_memory();
    let qr = home.qr_text(0);
    let good = serde_json::json!({ "qr": qr, "purpose": "hotel" }).to_string();

    // No token, a wrong token, a token of the right shape: 401 with the same body each time,
    // and the code is not spent (it is accepted afterwards).
    let unauthorised: Vec<_> = [
        None,
        Some("wrong"),
        Some(&"0".repeat(64)[..]),
        Some(&config.token[..63]),
    ]
    .into_iter()
    .map(|token| service.post("/v1/verify", token, &good))
    .collect();
    for a in &unauthorised {
        assert_eq!(a.status, 401, "{a:?}");
        assert_eq!(a.body, unauthorised[0].body);
        assert!(a.header("www-authenticate").is_some());
    }
    assert_eq!(service.post("/v1/challenge", None, "").status, 401);

    for garbage in [
        "",
        "{",
        "[]",
        "{\"qr\": 5, \"purpose\": \"hotel\"}",
        "{\"purpose\": \"hotel\"}",
    ] {
        let a = service.post("/v1/verify", Some(&config.token), garbage);
        assert_eq!(a.status, 400, "{garbage:?}: {a:?}");
        assert_eq!(a.json()["error"]["kind"], "bad-request");
    }
    let unknown = serde_json::json!({ "qr": qr, "purpose": "casino" }).to_string();
    let a = service.post("/v1/verify", Some(&config.token), &unknown);
    assert_eq!(a.status, 400);
    assert_eq!(a.json()["error"]["kind"], "unknown-purpose");
    let bad_nonce = serde_json::json!({ "qr": qr, "purpose": "hotel", "nonce": "xyz" }).to_string();
    assert_eq!(
        service
            .post("/v1/verify", Some(&config.token), &bad_nonce)
            .status,
        400
    );

    // 10 MB: refused 413 without the service reading it all.
    let huge = vec![b'a'; 10 * 1024 * 1024];
    let a = request(
        &service.addr,
        "POST",
        "/v1/verify",
        Some(&config.token),
        &huge,
    );
    assert_eq!(a.status, 413, "{a:?}");
    assert_eq!(a.json()["error"]["kind"], "body-too-large");

    // Unknown paths and methods; without a token even the method is not revealed.
    assert_eq!(service.get("/v2/verify").status, 404);
    assert_eq!(service.get("/v1/verify").status, 401);
    let get = request(&service.addr, "GET", "/v1/verify", Some(&config.token), b"");
    assert_eq!(get.status, 405);

    // Still serving, and the code was never spent by the refused requests.
    assert!(service.verify(&config.token, &qr).accepted());
    assert_eq!(service.get("/healthz").status, 200);
    let metrics = service.get("/metrics").body;
    assert!(
        metrics.contains("netid_requests_turned_away_total{status=\"401\"} 6\n"),
        "{metrics}"
    );
    assert!(metrics.contains("netid_requests_turned_away_total{status=\"413\"} 1\n"));
    assert_no_personal_data(&service.stdout_lines(), &[&qr]);
    assert_no_personal_data(&service.stderr_lines(), &[&qr]);
}

#[test]
fn a_counter_over_its_rate_gets_429_with_retry_after() {
    let home = IssuerHome::new(1);
    let config = TestConfig::init(home.path(), None, "");
    config.edit(
        "rate_per_second = 20\nburst = 40",
        "rate_per_second = 1\nburst = 2",
    );
    let service = VerifierProcess::start(&config.path, &[]);
    let body = serde_json::json!({ "qr": "NETID1:x", "purpose": "hotel" }).to_string();
    for _ in 0..2 {
        assert_eq!(
            service
                .post("/v1/verify", Some(&config.token), &body)
                .status,
            200
        );
    }
    let limited = service.post("/v1/verify", Some(&config.token), &body);
    assert_eq!(limited.status, 429, "{limited:?}");
    assert_eq!(limited.header("retry-after"), Some("1"));
    assert_eq!(limited.json()["error"]["kind"], "rate-limited");
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(
        service
            .post("/v1/verify", Some(&config.token), &body)
            .status,
        200
    );
}

#[test]
fn slow_clients_are_cut_off_while_others_are_served() {
    let home = IssuerHome::new(1);
    let config = TestConfig::init(
        home.path(),
        None,
        "[limits]\nheader_timeout_ms = 1000\nrequest_timeout_ms = 1500",
    );
    let service = VerifierProcess::start(&config.path, &[]);

    // Headers trickled a byte every 200 ms: the connection is closed after about a second.
    let mut loris = TcpStream::connect(&service.addr).expect("connect");
    let started = Instant::now();
    let head = format!(
        "POST /v1/verify HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n",
        config.token
    );
    let mut closed = false;
    for byte in head.bytes().cycle().take(200) {
        if loris.write_all(&[byte]).is_err() {
            closed = true;
            break;
        }
        // A normal client is served meanwhile.
        if started.elapsed() < Duration::from_millis(300) {
            assert_eq!(service.get("/healthz").status, 200);
        }
        std::thread::sleep(Duration::from_millis(200));
        let mut probe = [0u8; 1];
        loris.set_nonblocking(true).expect("nonblocking");
        let read = loris.read(&mut probe);
        loris.set_nonblocking(false).expect("blocking");
        // End of stream (closed) or an answer (a timeout reply): either way, cut off.
        if read.is_ok() {
            closed = true;
            break;
        }
    }
    assert!(closed, "a client trickling its headers was never cut off");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(4),
        "cut off after {took:?}, not after the 1 s header timeout"
    );

    // A body trickled past the request timeout: 408.
    let mut slow = TcpStream::connect(&service.addr).expect("connect");
    write!(
        slow,
        "POST /v1/verify HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Length: 100\r\n\r\n{{",
        config.token
    )
    .expect("write");
    slow.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut raw = Vec::new();
    let _ = slow.read_to_end(&mut raw);
    assert_eq!(parse_answer(&raw).status, 408);
    assert_eq!(service.get("/healthz").status, 200);
}

#[test]
fn sigterm_lets_an_in_flight_request_finish_then_exits_cleanly() {
    let home = IssuerHome::new(1);
    let config = TestConfig::init(home.path(), None, "");
    let mut service = VerifierProcess::start(&config.path, &[]);
    service.wait_for_fresh_memory();
    let qr = home.qr_text(0);
    let body = serde_json::json!({ "qr": qr, "purpose": "hotel" }).to_string();
    let (first, rest) = body.split_at(10);

    let mut stream = TcpStream::connect(&service.addr).expect("connect");
    write!(
        stream,
        "POST /v1/verify HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {}\r\nContent-Length: {}\r\n\r\n{first}",
        config.token,
        body.len()
    )
    .expect("write");
    std::thread::sleep(Duration::from_millis(200));
    service.terminate();
    std::thread::sleep(Duration::from_millis(300));
    // The listener is closed: new connections are refused...
    assert!(
        TcpStream::connect(&service.addr).is_err(),
        "still accepting after SIGTERM"
    );
    // ...but the request in flight is answered.
    stream.write_all(rest.as_bytes()).expect("write the rest");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read");
    let answer = parse_answer(&raw);
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.json()["accepted"], true);
    let status = service.wait_exit(Duration::from_secs(10));
    assert!(status.success(), "{status:?}");
}

#[test]
fn revoking_in_the_home_makes_the_service_refuse_within_one_refresh() {
    let home = IssuerHome::new(2);
    let config = TestConfig::init(home.path(), None, "");
    config.edit(
        "[status]\nrefresh_seconds = 5",
        "[status]\nrefresh_seconds = 1",
    );
    config.edit(
        "rate_per_second = 20\nburst = 40",
        "rate_per_second = 1000\nburst = 1000",
    );
    let service = VerifierProcess::start(&config.path, &[]);
    service.wait_for_fresh_memory();
    assert!(service.verify(&config.token, &home.qr_text(0)).accepted());
    home.revoke(0);
    let revoked_at = Instant::now();
    loop {
        let a = service.verify(&config.token, &home.qr_text(0));
        if !a.accepted() {
            assert_eq!(a.reason(), "revoked");
            break;
        }
        assert!(
            revoked_at.elapsed() < Duration::from_secs(4),
            "still accepted {:?} after the revocation",
            revoked_at.elapsed()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // The other credential is unaffected.
    assert!(service.verify(&config.token, &home.qr_text(1)).accepted());
}

#[test]
fn readiness_reports_the_replay_cache_and_the_lists() {
    let home = IssuerHome::new(0);
    let config = TestConfig::init(home.path(), None, "");
    let service = VerifierProcess::start(&config.path, &[]);
    let ready = service.get("/readyz");
    assert_eq!(ready.status, 200, "{ready:?}");
    let body = ready.json();
    assert_eq!(body["ready"], true);
    assert_eq!(body["replay_cache"]["backend"], "in-process");
    assert_eq!(body["sources"]["trust"]["loaded"], true);
    assert_eq!(body["sources"]["lists"][0]["uri"], support::STATUS_URI);
    assert_eq!(service.get("/healthz").json()["status"], "alive");
}

#[test]
fn a_bad_configuration_is_refused_at_start_naming_the_key() {
    let home = IssuerHome::new(0);
    let config = TestConfig::init(home.path(), None, "");
    config.edit("token_sha256 = \"", "token_sha256 = \"zz");
    let out = std::process::Command::new(support::verifier::verifier_bin())
        .arg("--config")
        .arg(&config.path)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("counter[0].token_sha256"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn config_init_refuses_to_overwrite_and_each_run_makes_a_new_token() {
    let home = IssuerHome::new(0);
    let first = TestConfig::init(home.path(), None, "");
    let second = TestConfig::init(home.path(), None, "");
    assert_ne!(first.token, second.token);
    let text = std::fs::read_to_string(&first.path).expect("config");
    assert!(
        !text.contains(&first.token),
        "the token itself is in the file"
    );
    assert!(text.contains(&netid_verifier::auth::token_digest_hex(&first.token)));
    let out = std::process::Command::new(support::verifier::verifier_bin())
        .args(["config", "init", "--netid-home"])
        .arg(home.path())
        .arg("--out")
        .arg(&first.path)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));
    assert_eq!(std::fs::read_to_string(&first.path).expect("config"), text);
}

/// A one-time purpose credential (FORMAT.md §12) from the same development issuer, for hotel
/// check-in, bound to its own key and to status entry `idx`; its code, made now.
fn purpose_code(home: &IssuerHome, idx: u64) -> String {
    use netid_core::credential::StatusReference;
    use netid_core::issuer::{DevIssuer, parse_claims_file};
    use netid_core::present::{
        HolderSigner, PresentationRequest, Purpose, SoftwareHolderKey, present_purpose,
    };
    use netid_core::time::{Clock, FixedClock, SystemClock};
    let issuer_dir = home.path().join("issuer");
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(issuer_dir.join("issuer.json")).unwrap())
            .unwrap();
    let issuer = DevIssuer::from_pkcs8_pem(
        &std::fs::read_to_string(issuer_dir.join("issuer-key.pem")).unwrap(),
        meta["issuer_id"].as_str().unwrap(),
        &hex::decode(meta["kid_hex"].as_str().unwrap()).unwrap(),
    )
    .unwrap();
    let now = SystemClock.now();
    let key = SoftwareHolderKey::generate();
    let credential = issuer
        .issue_purpose(
            &parse_claims_file(support::RESIDENT_ID_CLAIMS).unwrap(),
            Purpose::HotelCheckIn,
            &key.public_key(),
            now,
            now.saturating_add(30 * 86_400),
            Some(StatusReference {
                idx,
                uri: support::STATUS_URI.into(),
            }),
        )
        .unwrap();
    present_purpose(
        &credential,
        &PresentationRequest::for_purpose(Purpose::HotelCheckIn),
        &key,
        &FixedClock::new(now),
    )
    .unwrap()
    .qr_text()
    .to_string()
}

#[test]
fn a_purpose_credential_code_verifies_once_at_its_purpose_only_and_follows_revocation() {
    let home = IssuerHome::new(1);
    let config = TestConfig::init(home.path(), None, "");
    config.edit(
        "[status]\nrefresh_seconds = 5",
        "[status]\nrefresh_seconds = 1",
    );
    config.edit(
        "rate_per_second = 20\nburst = 40",
        "rate_per_second = 1000\nburst = 1000",
    );
    let service = VerifierProcess::start(&config.path, &[]);
    service.wait_for_fresh_memory();

    // The full credential's status entry, listed as valid.
    let qr = purpose_code(&home, home.index(0));
    let first = service.verify(&config.token, &qr);
    assert!(first.accepted(), "{first:?}");
    let claims = first.json()["claims"].clone();
    let names: std::collections::BTreeSet<&str> = claims
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        names,
        ["birth_date", "id_number", "name", "sex"]
            .into_iter()
            .collect()
    );
    assert_eq!(service.verify(&config.token, &qr).reason(), "replayed");

    // A hotel credential at a ticket counter that accepts the code's audience: refused all the
    // same, for its purpose.
    let body = serde_json::json!({
        "qr": purpose_code(&home, home.index(0)), "purpose": "ticket", "audience": "hotel"
    });
    let elsewhere = service.post("/v1/verify", Some(&config.token), &body.to_string());
    assert!(!elsewhere.accepted());
    assert_eq!(elsewhere.reason(), "policy-unmet");

    // Revoking the entry reaches purpose codes too.
    home.revoke(0);
    let revoked_at = Instant::now();
    loop {
        let answer = service.verify(&config.token, &purpose_code(&home, home.index(0)));
        if !answer.accepted() {
            assert_eq!(answer.reason(), "revoked");
            break;
        }
        assert!(
            revoked_at.elapsed() < Duration::from_secs(4),
            "a purpose code of a revoked entry still accepted"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_no_personal_data(&service.stdout_lines(), &[&qr]);
}

/// Registers a counter in the netid home with the real `netid issuer register-counter`.
fn register_counter(home: &IssuerHome, id: &str) -> std::path::PathBuf {
    let dir = home.path().join(format!("counter-{id}"));
    support::run_ok(
        support::netid(home.path())
            .args(["issuer", "register-counter", "--id", id])
            .args(["--name-zh", "锦江之星", "--name-en", "Jinjiang Inn"])
            .args(["--purpose", "hotel", "--purpose", "gov", "--out"])
            .arg(&dir),
    );
    dir
}

fn add_registered_counter(config: &TestConfig, id: &str, token: &str, dir: &std::path::Path) {
    config.add_counter(id, token, 20, 40);
    let mut text = std::fs::read_to_string(&config.path).expect("config");
    text.push_str(&format!(
        "registered = {{ certificate = \"{}\", key = \"{}\" }}\n",
        dir.join("certificate.cbor").display(),
        dir.join("counter-key.pem").display()
    ));
    std::fs::write(&config.path, text).expect("config");
}

#[test]
fn a_registered_counters_challenge_is_a_signed_request_answered_once_and_only_there() {
    use netid_core::counter::verify_request;
    use netid_core::issuer::TrustList;
    use netid_core::time::{Clock, SystemClock};

    let home = IssuerHome::new(1);
    let hotel = register_counter(&home, "hotel-bj-0042");
    let other = register_counter(&home, "hotel-sh-0007");
    let config = TestConfig::init(home.path(), None, "");
    add_registered_counter(&config, "desk-reg", "token-of-desk-reg", &hotel);
    add_registered_counter(&config, "desk-other", "token-of-desk-other", &other);
    let service = VerifierProcess::start(&config.path, &[]);
    service.wait_for_fresh_memory();
    let trust =
        TrustList::from_json(&std::fs::read_to_string(home.trust_file()).expect("trust")).unwrap();

    let challenge = |token: &str, purpose: &str| {
        let a = service.post(
            "/v1/challenge",
            Some(token),
            &serde_json::json!({ "purpose": purpose }).to_string(),
        );
        assert_eq!(a.status, 200, "{a:?}");
        a.json()
    };
    let answer = |challenge: &serde_json::Value| {
        // The wallet's side: the request verifies under the home's registrar and names the
        // counter as registered; the answer is bound to its id and nonce.
        let request = verify_request(
            challenge["request"].as_str().expect("a signed request"),
            trust.registrars(),
            SystemClock.now(),
        )
        .expect("the service's request verifies");
        assert_eq!(request.name_en(), "Jinjiang Inn");
        assert_eq!(challenge["counter_id"], request.counter_id());
        home.qr_text_interactive(0, request.counter_id(), request.nonce())
    };
    let verify = |token: &str, qr: &str, nonce: &serde_json::Value, purpose: &str| {
        let body = serde_json::json!({ "qr": qr, "purpose": purpose, "nonce": nonce });
        service.post("/v1/verify", Some(token), &body.to_string())
    };

    let first = challenge("token-of-desk-reg", "hotel");
    assert_eq!(first["counter_id"], "hotel-bj-0042");
    let qr = answer(&first);
    let accepted = verify("token-of-desk-reg", &qr, &first["nonce"], "hotel");
    assert!(accepted.accepted(), "{accepted:?}");
    // Once only.
    let again = verify("token-of-desk-reg", &qr, &first["nonce"], "hotel");
    assert!(
        ["challenge-unknown", "replayed"].contains(&again.reason().as_str()),
        "{again:?}"
    );

    // An answer to this counter's request, presented by another registered counter (with the
    // same nonce): bound to another id.
    let second = challenge("token-of-desk-reg", "hotel");
    let qr = answer(&second);
    let elsewhere = verify("token-of-desk-other", &qr, &second["nonce"], "hotel");
    assert_eq!(elsewhere.reason(), "wrong-audience", "{elsewhere:?}");
    // ...and at this counter for its next request: another nonce.
    let third = challenge("token-of-desk-reg", "hotel");
    let mismatched = verify("token-of-desk-reg", &qr, &third["nonce"], "hotel");
    assert_eq!(mismatched.reason(), "nonce-mismatch", "{mismatched:?}");
    // A request for hotel is not answered as gov.
    let wrong_purpose = verify("token-of-desk-reg", &qr, &second["nonce"], "gov");
    assert!(!wrong_purpose.accepted(), "{wrong_purpose:?}");
    // Its own request still accepts it.
    assert!(verify("token-of-desk-reg", &qr, &second["nonce"], "hotel").accepted());

    // A counter without a certificate cannot ask for a signed request.
    let bare = service.post(
        "/v1/challenge",
        Some(&config.token),
        r#"{"purpose": "hotel"}"#,
    );
    assert_eq!(bare.status, 400, "{bare:?}");
    assert_eq!(bare.json()["error"]["kind"], "not-registered");

    // A gov code without a signed request is refused by the default policy, with or without a
    // bare nonce.
    let gov = {
        use netid_core::credential::Purpose;
        use netid_core::present::{HolderSigner, PresentationRequest, present};
        use netid_core::time::FixedClock;
        let (key, credential) = &home.holders[0];
        present(
            credential,
            &PresentationRequest::for_purpose(Purpose::GovernmentService),
            key as &dyn HolderSigner,
            &FixedClock::new(SystemClock.now()),
        )
        .expect("presentation")
        .qr_text()
        .to_string()
    };
    let body = serde_json::json!({ "qr": gov, "purpose": "gov" });
    let refused = service.post("/v1/verify", Some(&config.token), &body.to_string());
    assert_eq!(refused.reason(), "request-required", "{refused:?}");
}
