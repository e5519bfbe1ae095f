//! The counter side driven as a user would: `netid verify` with codes from text, standard input
//! and photos, every refusal with its exit status and kind, and the on-disk replay cache.

mod support;

use netid_core::credential::Purpose;
use netid_core::issuer::DevIssuer;
use support::*;

#[test]
fn a_fresh_code_is_accepted_and_its_claims_printed() {
    let home = home_with_issuer();
    let holder = Holder::new(&dev_issuer(home.path()), now());
    let text = holder.qr_text(Purpose::HotelCheckIn, now());

    let out = netid(home.path())
        .args(["verify", "--text", &text])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("ACCEPTED for Hotel check-in"), "{stdout}");
    assert!(stdout.contains(SECRET_NAME) && stdout.contains(SECRET_ID_NUMBER));
    // Hotel shows name, ID number, sex and birth date (the last two read from the ID number,
    // FORMAT.md §4); not the address.
    assert!(!stdout.contains("Address"), "{stdout}");
    for claim in ["Sex", "Date of birth"] {
        assert!(
            stdout
                .lines()
                .any(|l| l.trim_start().starts_with(claim) && l.ends_with("(from the ID number)")),
            "{stdout}"
        );
    }
}

#[test]
fn json_result_carries_the_verified_claims() {
    let home = home_with_issuer();
    let holder = Holder::new(&dev_issuer(home.path()), now());
    let text = holder.qr_text(Purpose::InternetCafe, now());
    let (code, v) =
        json_of(netid(home.path()).args(["verify", "--purpose", "cafe", "--text", &text]));
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["result"], "accepted");
    assert_eq!(v["purpose"], "cafe");
    assert_eq!(v["doc_type"], "resident-id");
    assert_eq!(v["claims"]["age_over_18"], "true");
    assert_eq!(v["claims"]["name"], SECRET_NAME);
    assert!(
        v["claims"].get("id_number").is_none(),
        "café sees no ID number: {v}"
    );
}

#[test]
fn standard_input_is_read_when_no_text_or_image_is_given() {
    let home = home_with_issuer();
    let holder = Holder::new(&dev_issuer(home.path()), now());
    let text = holder.qr_text(Purpose::TrainTicket, now());
    netid(home.path())
        .args(["verify", "--purpose", "ticket"])
        .write_stdin(format!("{text}\n"))
        .assert()
        .code(0);
    let out = netid(home.path())
        .args(["verify"])
        .write_stdin("")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no code given"));
}

#[test]
fn a_code_shown_twice_is_refused_the_second_time_even_across_runs() {
    let home = home_with_issuer();
    let holder = Holder::new(&dev_issuer(home.path()), now());
    let text = holder.qr_text(Purpose::HotelCheckIn, now());
    netid(home.path())
        .args(["verify", "--text", &text])
        .assert()
        .code(0);
    let (code, v) = json_of(netid(home.path()).args(["verify", "--text", &text]));
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["error"]["kind"], "replayed");
    assert!(
        v["error"]["next_step"]
            .as_str()
            .is_some_and(|s| s.contains("refresh"))
    );

    // A fresh code from the same holder is a different code and is accepted.
    let again = holder.qr_text(Purpose::HotelCheckIn, now());
    netid(home.path())
        .args(["verify", "--text", &again])
        .assert()
        .code(0);

    // The cache holds hashes and times only, owner-only.
    let cache = home.path().join("counter/replay-cache.json");
    let body = std::fs::read_to_string(&cache).expect("cache written");
    assert!(!body.contains(SECRET_NAME) && !body.contains(SECRET_ID_NUMBER));
    assert!(!any_file_contains(
        &home.path().join("counter"),
        SECRET_ID_NUMBER
    ));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&cache)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn a_refused_code_is_not_recorded_as_seen() {
    let home = home_with_issuer();
    let holder = Holder::new(&dev_issuer(home.path()), now());
    let text = holder.qr_text(Purpose::HotelCheckIn, now());
    // Shown at the wrong counter first: refused, and must not burn the code.
    netid(home.path())
        .args(["verify", "--purpose", "cafe", "--text", &text])
        .assert()
        .code(1);
    netid(home.path())
        .args(["verify", "--text", &text])
        .assert()
        .code(0);
}

#[test]
fn expired_and_future_codes_are_refused_with_at() {
    let home = home_with_issuer();
    let t0 = now();
    let holder = Holder::new(&dev_issuer(home.path()), t0);
    let text = holder.qr_text(Purpose::HotelCheckIn, t0);

    let later = (t0.as_secs() + 10 * 60).to_string();
    let (code, v) = json_of(netid(home.path()).args(["verify", "--at", &later, "--text", &text]));
    assert_eq!(
        (code, v["error"]["kind"].as_str()),
        (1, Some("expired")),
        "{v}"
    );

    let earlier = (t0.as_secs() - 10 * 60).to_string();
    let (code, v) = json_of(netid(home.path()).args(["verify", "--at", &earlier, "--text", &text]));
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["error"]["kind"], "issued-in-future");

    // Neither refusal burnt the code: as of 5 s after it was made, it is accepted.
    let ok = (t0.as_secs() + 5).to_string();
    netid(home.path())
        .args(["verify", "--at", &ok, "--text", &text])
        .assert()
        .code(0);
}

#[test]
fn a_code_made_an_hour_ago_is_expired_now() {
    let home = home_with_issuer();
    let hour_ago = netid_core::time::UnixTime::from_secs(now().as_secs() - 3600);
    let holder = Holder::new(&dev_issuer(home.path()), hour_ago);
    let text = holder.qr_text(Purpose::HotelCheckIn, hour_ago);
    let (code, v) = json_of(netid(home.path()).args(["verify", "--text", &text]));
    assert_eq!(
        (code, v["error"]["kind"].as_str()),
        (1, Some("expired")),
        "{v}"
    );
}

#[test]
fn tampered_text_is_refused() {
    let home = home_with_issuer();
    let holder = Holder::new(&dev_issuer(home.path()), now());
    let text = holder.qr_text(Purpose::HotelCheckIn, now());
    // Change one Base45 character in the middle of the code.
    let mut chars: Vec<char> = text.chars().collect();
    let i = chars.len() / 2;
    chars[i] = if chars[i] == '0' { '1' } else { '0' };
    let tampered: String = chars.into_iter().collect();
    let (code, v) = json_of(netid(home.path()).args(["verify", "--text", &tampered]));
    assert_eq!(code, 1, "{v}");
    let kind = v["error"]["kind"].as_str().unwrap_or_default();
    assert!(
        [
            "malformed",
            "bad-issuer-signature",
            "bad-holder-signature",
            "disclosure-mismatch"
        ]
        .contains(&kind),
        "{v}"
    );
    assert!(!v.to_string().contains(SECRET_NAME));
}

#[test]
fn a_code_from_an_unknown_issuer_is_refused() {
    let home = home_with_issuer();
    let stranger = DevIssuer::generate("netid-dev", b"\x01\x02\x03\x04\x05");
    let holder = Holder::new(&stranger, now());
    let text = holder.qr_text(Purpose::HotelCheckIn, now());
    let (code, v) = json_of(netid(home.path()).args(["verify", "--text", &text]));
    assert_eq!(
        (code, v["error"]["kind"].as_str()),
        (1, Some("unknown-issuer")),
        "{v}"
    );

    // With another home's issuer trusted through --trust, the same code from that issuer passes.
    let other = home_with_issuer();
    let holder = Holder::new(&dev_issuer(other.path()), now());
    let text = holder.qr_text(Purpose::HotelCheckIn, now());
    netid(home.path())
        .args(["verify", "--text", &text])
        .assert()
        .code(1);
    let trust = other.path().join("issuer/trust.json");
    netid(home.path())
        .args(["verify", "--trust"])
        .arg(&trust)
        .args(["--text", &text])
        .assert()
        .code(0);
}

#[test]
fn text_that_is_not_a_netid_code_is_an_input_error() {
    let home = home_with_issuer();
    let (code, v) = json_of(netid(home.path()).args(["verify", "--text", "https://example.com"]));
    assert_eq!(
        (code, v["error"]["kind"].as_str()),
        (2, Some("not-netid")),
        "{v}"
    );
}

#[test]
fn codes_are_read_from_png_and_jpeg_photos() {
    let home = home_with_issuer();
    let holder = Holder::new(&dev_issuer(home.path()), now());
    for name in ["code.png", "code.jpg"] {
        let text = holder.qr_text(Purpose::HotelCheckIn, now());
        let path = save(&qr_image(&text, 6), home.path(), name);
        let (code, v) = json_of(netid(home.path()).arg("verify").arg("--image").arg(&path));
        assert_eq!(code, 0, "{name}: {v}");
        assert_eq!(v["claims"]["id_number"], SECRET_ID_NUMBER);
    }
}

#[test]
fn bad_images_get_specific_input_errors() {
    let home = home_with_issuer();
    let dir = home.path();

    let garbage = dir.join("garbage.png");
    std::fs::write(&garbage, b"\x89PNG\r\n\x1a\nnot really a png").expect("write");
    let blank = save(
        &image::GrayImage::from_pixel(200, 200, image::Luma([255])),
        dir,
        "blank.png",
    );
    let other_qr = save(&qr_image("https://example.com/menu", 6), dir, "menu.png");
    let missing = dir.join("missing.png");

    for (path, kind) in [
        (&garbage, "unreadable-image"),
        (&blank, "no-qr-found"),
        (&other_qr, "not-netid"),
        (&missing, "unreadable-file"),
    ] {
        let (code, v) = json_of(netid(dir).arg("verify").arg("--image").arg(path));
        assert_eq!((code, v["error"]["kind"].as_str()), (2, Some(kind)), "{v}");
        assert!(
            v["error"]["next_step"]
                .as_str()
                .is_some_and(|s| !s.is_empty())
        );
    }
}

#[test]
fn a_home_without_a_trust_list_says_how_to_make_one() {
    let empty = tempfile::tempdir().expect("dir");
    let home = empty.path().join("nowhere");
    let (code, v) = json_of(netid(&home).args(["verify", "--text", "NID1:00"]));
    assert_eq!(
        (code, v["error"]["kind"].as_str()),
        (2, Some("no-trust-list")),
        "{v}"
    );
    assert!(
        v["error"]["next_step"]
            .as_str()
            .is_some_and(|s| s.contains("issuer keygen"))
    );
    assert!(
        !home.exists(),
        "verify must not create a home it cannot use"
    );
}

#[test]
fn a_damaged_trust_list_is_an_input_error() {
    let home = home_with_issuer();
    std::fs::write(home.path().join("issuer/trust.json"), "{\"issuers\": 5}").expect("write");
    let (code, v) = json_of(netid(home.path()).args(["verify", "--text", "NID1:00"]));
    assert_eq!(
        (code, v["error"]["kind"].as_str()),
        (2, Some("bad-trust-list")),
        "{v}"
    );
}

#[test]
fn a_damaged_replay_cache_is_reported_not_silently_reset() {
    let home = home_with_issuer();
    let holder = Holder::new(&dev_issuer(home.path()), now());
    netid(home.path())
        .args([
            "verify",
            "--text",
            &holder.qr_text(Purpose::HotelCheckIn, now()),
        ])
        .assert()
        .code(0);
    let cache = home.path().join("counter/replay-cache.json");
    std::fs::write(&cache, "garbage").expect("write");
    let text = holder.qr_text(Purpose::HotelCheckIn, now());
    let (code, v) = json_of(netid(home.path()).args(["verify", "--text", &text]));
    assert_eq!(
        (code, v["error"]["kind"].as_str()),
        (2, Some("replay-cache-damaged")),
        "{v}"
    );
    assert_eq!(std::fs::read_to_string(&cache).expect("read"), "garbage");
}

#[test]
fn usage_errors_exit_2_in_text_and_json() {
    let home = tempfile::tempdir().expect("dir");
    netid(home.path())
        .args(["verify", "--purpose", "casino", "--text", "NID1:"])
        .assert()
        .code(2);
    let (code, v) = json_of(netid(home.path()).args(["verify", "--at", "yesterday"]));
    assert_eq!(
        (code, v["error"]["kind"].as_str()),
        (2, Some("usage")),
        "{v}"
    );
    netid(home.path())
        .args(["verify", "--image", "a.png", "--text", "NID1:"])
        .assert()
        .code(2);
    netid(home.path()).arg("--help").assert().code(0);
}

/// A holder whose credential `netid issuer issue` wrote (so it points into the home's status
/// list), and its status index.
fn holder_issued_by_the_cli(dir: &std::path::Path) -> (Holder, String) {
    use netid_core::present::HolderSigner;
    use p256::pkcs8::{EncodePublicKey, LineEnding};

    let key = netid_core::present::SoftwareHolderKey::generate();
    std::fs::write(
        dir.join("holder.pem"),
        key.public_key()
            .to_public_key_pem(LineEnding::LF)
            .expect("pem"),
    )
    .expect("write");
    std::fs::write(dir.join("claims.json"), RESIDENT_ID_CLAIMS).expect("write");
    let (code, v) = json_of(netid(dir).current_dir(dir).args([
        "issuer",
        "issue",
        "--claims",
        "claims.json",
        "--holder-key",
        "holder.pem",
        "--out",
        "cred.cbor",
    ]));
    assert_eq!(code, 0, "{v}");
    let index = v["status_index"]
        .as_u64()
        .expect("status index")
        .to_string();
    let credential = netid_core::credential::Credential::from_bytes(
        &std::fs::read(dir.join("cred.cbor")).expect("read"),
    )
    .expect("credential");
    assert!(
        credential.status().is_some(),
        "issued with a status reference"
    );
    (Holder { key, credential }, index)
}

#[test]
fn a_credential_revoked_by_the_issuer_is_refused_by_the_counter() {
    let home = home_with_issuer();
    let dir = home.path();
    let (holder, index) = holder_issued_by_the_cli(dir);

    netid(dir)
        .args([
            "verify",
            "--text",
            &holder.qr_text(Purpose::HotelCheckIn, now()),
        ])
        .assert()
        .code(0);
    netid(dir)
        .args(["issuer", "revoke", "--index", &index])
        .assert()
        .code(0);
    let (code, v) = json_of(netid(dir).args([
        "verify",
        "--text",
        &holder.qr_text(Purpose::HotelCheckIn, now()),
    ]));
    assert_eq!(
        (code, v["error"]["kind"].as_str()),
        (1, Some("revoked")),
        "{v}"
    );
    assert!(!v.to_string().contains(SECRET_NAME));

    // A status list that does not verify (here: damaged) is not used: this counter keeps the
    // newest list it verified, which says revoked, and says why on standard error.
    let list = dir.join("issuer/status-list.cwt");
    let mut bytes = std::fs::read(&list).expect("list");
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&list, bytes).expect("write");
    let text = holder.qr_text(Purpose::HotelCheckIn, now());
    let out = netid(dir)
        .args(["--json", "verify", "--text", &text])
        .output()
        .expect("runs");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["error"]["kind"], "revoked", "{v}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("was not used"));

    // A counter that never verified a list (its own home, this trust list) knows no status.
    let other_counter = tempfile::tempdir().expect("dir");
    let (code, v) = json_of(
        netid(other_counter.path())
            .arg("verify")
            .arg("--trust")
            .arg(dir.join("issuer/trust.json"))
            .args(["--text", &text]),
    );
    assert_eq!(
        (code, v["error"]["kind"].as_str()),
        (1, Some("status-unavailable")),
        "{v}"
    );
}

const DAY: i64 = 86_400;

fn at(time: netid_core::time::UnixTime) -> String {
    time.as_secs().to_string()
}

#[test]
fn a_status_list_file_first_imported_twenty_days_ago_is_stale_though_unchanged() {
    // The development issuer's list has a 1-hour ttl and a 30-day exp. Re-reading the same file
    // 20 days later must not count as fetching it (the "ttl never runs out").
    let home = home_with_issuer();
    let dir = home.path();
    let (holder, _) = holder_issued_by_the_cli(dir);
    let t0 = now();
    netid(dir)
        .args(["verify", "--at", &at(t0), "--text"])
        .arg(holder.qr_text(Purpose::HotelCheckIn, t0))
        .assert()
        .code(0);
    let record = std::fs::read_to_string(dir.join("counter/status-lists.json")).expect("record");
    assert!(
        record.contains(&format!("\"fetched_at\": {}", t0.as_secs())),
        "{record}"
    );

    let later = netid_core::time::UnixTime::from_secs(t0.as_secs() + 20 * DAY);
    let (code, v) = json_of(
        netid(dir)
            .args(["verify", "--at", &at(later), "--text"])
            .arg(holder.qr_text(Purpose::HotelCheckIn, later)),
    );
    assert_eq!(
        (code, v["error"]["kind"].as_str()),
        (1, Some("status-stale")),
        "{v}"
    );

    // Publishing a fresh list (a later iat) is a new fetch: accepted again.
    let (code, v) = json_of(netid(dir).args(["issuer", "status-list"]));
    assert_eq!(code, 0, "{v}");
    netid(dir)
        .args(["verify", "--text"])
        .arg(holder.qr_text(Purpose::HotelCheckIn, now()))
        .assert()
        .code(0);
}

#[test]
fn an_older_status_list_put_back_is_refused_in_a_later_run() {
    let home = home_with_issuer();
    let dir = home.path();
    let (holder, index) = holder_issued_by_the_cli(dir);
    let list = dir.join("issuer/status-list.cwt");
    let before_revocation = std::fs::read(&list).expect("list");

    netid(dir)
        .args(["verify", "--text"])
        .arg(holder.qr_text(Purpose::HotelCheckIn, now()))
        .assert()
        .code(0);
    netid(dir)
        .args(["issuer", "revoke", "--index", &index])
        .assert()
        .code(0);
    let (code, v) = json_of(
        netid(dir)
            .args(["verify", "--text"])
            .arg(holder.qr_text(Purpose::HotelCheckIn, now())),
    );
    assert_eq!(
        (code, v["error"]["kind"].as_str()),
        (1, Some("revoked")),
        "{v}"
    );

    // The older, validly signed list is put back where the counter reads it; a separate run.
    std::fs::write(&list, &before_revocation).expect("write");
    let out = netid(dir)
        .args(["--json", "verify", "--text"])
        .arg(holder.qr_text(Purpose::HotelCheckIn, now()))
        .output()
        .expect("runs");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        (out.status.code(), v["error"]["kind"].as_str()),
        (Some(1), Some("revoked")),
        "{v}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("refused the status list") && stderr.contains("older"),
        "{stderr}"
    );

    // Even with the newer list gone from the issuer's directory, the counter keeps it.
    std::fs::remove_file(&list).expect("remove");
    let (code, v) = json_of(
        netid(dir)
            .args(["verify", "--text"])
            .arg(holder.qr_text(Purpose::HotelCheckIn, now())),
    );
    assert_eq!(
        (code, v["error"]["kind"].as_str()),
        (1, Some("revoked")),
        "{v}"
    );
}

#[test]
fn a_damaged_status_record_is_reported_not_silently_reset() {
    let home = home_with_issuer();
    let dir = home.path();
    let (holder, _) = holder_issued_by_the_cli(dir);
    netid(dir)
        .args(["verify", "--text"])
        .arg(holder.qr_text(Purpose::HotelCheckIn, now()))
        .assert()
        .code(0);
    let record = dir.join("counter/status-lists.json");
    std::fs::write(&record, "{\"lists\": 7}").expect("write");
    let (code, v) = json_of(
        netid(dir)
            .args(["verify", "--text"])
            .arg(holder.qr_text(Purpose::HotelCheckIn, now())),
    );
    assert_eq!(
        (code, v["error"]["kind"].as_str()),
        (2, Some("status-record-damaged")),
        "{v}"
    );
    assert_eq!(
        std::fs::read_to_string(&record).expect("read"),
        "{\"lists\": 7}"
    );
}

#[test]
fn interactive_mode_checks_the_counters_own_audience_and_nonce() {
    let home = home_with_issuer();
    let dir = home.path();
    let holder = Holder::new(&dev_issuer(dir), now());
    let nonce = [0x5a_u8; 16];
    let nonce_hex = hex::encode(nonce);
    let other_nonce_hex = hex::encode([0xa5_u8; 16]);
    let desk = "hotel-desk-2";
    let code_for = |audience: &str, nonce: Option<&[u8]>| {
        holder.qr_text_for(Purpose::HotelCheckIn, audience, nonce, now())
    };
    let verify = |code: String, args: &[&str]| {
        json_of(netid(dir).args(["verify", "--text", &code]).args(args))
    };

    let (code, v) = verify(
        code_for(desk, Some(&nonce)),
        &["--audience", desk, "--nonce", &nonce_hex],
    );
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["claims"]["id_number"], SECRET_ID_NUMBER);

    for (shown, args, kind) in [
        // A live code made for one counter, shown at a second counter of the same purpose.
        (
            code_for(desk, Some(&nonce)),
            vec!["--audience", "hotel-desk-3", "--nonce", &nonce_hex],
            "wrong-audience",
        ),
        (
            code_for(desk, Some(&nonce)),
            vec!["--audience", desk, "--nonce", &other_nonce_hex],
            "nonce-mismatch",
        ),
        // A code made without this counter's challenge.
        (
            code_for(desk, None),
            vec!["--audience", desk, "--nonce", &nonce_hex],
            "nonce-mismatch",
        ),
        // Without --audience the counter expects the purpose's name.
        (code_for(desk, Some(&nonce)), vec![], "wrong-audience"),
    ] {
        let (code, v) = verify(shown, &args);
        assert_eq!(
            (code, v["error"]["kind"].as_str()),
            (1, Some(kind)),
            "{args:?}: {v}"
        );
    }

    for bad in [
        vec!["--nonce", "zz"],
        vec!["--nonce", "00ff"],
        vec!["--audience", ""],
    ] {
        let (code, v) = verify(code_for(desk, Some(&nonce)), &bad);
        assert_eq!(
            (code, v["error"]["kind"].as_str()),
            (2, Some("usage")),
            "{bad:?}: {v}"
        );
    }
}

#[test]
fn text_longer_than_any_code_is_refused_before_decoding() {
    let home = home_with_issuer();
    let long = format!("NID1:{}", "0".repeat(16 * 1024));
    let (code, v) = json_of(netid(home.path()).args(["verify", "--text", &long]));
    assert_eq!(
        (code, v["error"]["kind"].as_str()),
        (2, Some("input-too-long")),
        "{v}"
    );
    let (code, v) = json_of(netid(home.path()).arg("verify").write_stdin(long));
    assert_eq!(
        (code, v["error"]["kind"].as_str()),
        (2, Some("input-too-long")),
        "{v}"
    );
    // At the limit it is decoded (and refused as what it is, not for its length).
    let at_limit = format!("NID1:{}", "0".repeat(16 * 1024 - 5));
    let (code, v) = json_of(netid(home.path()).args(["verify", "--text", &at_limit]));
    assert_eq!(
        (code, v["error"]["kind"].as_str()),
        (1, Some("malformed")),
        "{v}"
    );
}

/// CRC-32 (ISO-HDLC), as PNG chunks carry it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffff_u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
}

/// A zlib stream of `n` zero bytes, written by hand with deflate's fixed Huffman codes: one
/// literal 0, then back-references of 258 bytes at distance 1 (13 bits each), then literals.
fn zlib_zeros(n: usize) -> Vec<u8> {
    struct Bits {
        out: Vec<u8>,
        acc: u32,
        len: u32,
    }
    impl Bits {
        fn put(&mut self, value: u32, count: u32) {
            self.acc |= value << self.len;
            self.len += count;
            while self.len >= 8 {
                self.out.push(self.acc as u8);
                self.acc >>= 8;
                self.len -= 8;
            }
        }
        /// Huffman codes go most significant bit first.
        fn code(&mut self, code: u32, count: u32) {
            let reversed = code.reverse_bits() >> (32 - count);
            self.put(reversed, count);
        }
    }
    let mut bits = Bits {
        out: vec![0x78, 0x01],
        acc: 0,
        len: 0,
    };
    bits.put(1, 1); // final block
    bits.put(1, 2); // fixed Huffman codes
    bits.code(0x30, 8); // literal 0
    let rest = n - 1;
    for _ in 0..rest / 258 {
        bits.code(0xc5, 8); // length 258 (code 285)
        bits.code(0, 5); // distance 1
    }
    for _ in 0..rest % 258 {
        bits.code(0x30, 8);
    }
    bits.code(0, 7); // end of block
    if bits.len > 0 {
        bits.put(0, 8 - bits.len);
    }
    let mut out = bits.out;
    let adler = ((n % 65_521) as u32) << 16 | 1;
    out.extend_from_slice(&adler.to_be_bytes());
    out
}

/// A valid PNG of `side` × `side` black 1-bit pixels: a small file that inflates to `side`² bytes.
fn bomb_png(side: u32) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&[1, 0, 0, 0, 0]); // 1-bit greyscale, deflate, adaptive, no interlace
    png_chunk(&mut png, b"IHDR", &ihdr);
    let row = 1 + (side as usize).div_ceil(8);
    png_chunk(&mut png, b"IDAT", &zlib_zeros(row * side as usize));
    png_chunk(&mut png, b"IEND", &[]);
    png
}

#[test]
fn a_small_png_declaring_a_huge_picture_is_refused_from_its_header() {
    let home = home_with_issuer();
    let dir = home.path();
    // The generator makes real PNGs: a small one decodes to the picture it declares.
    let small = dir.join("small.png");
    std::fs::write(&small, bomb_png(64)).expect("write");
    let decoded = image::open(&small)
        .expect("the crafted PNG is valid")
        .to_luma8();
    assert_eq!(decoded.dimensions(), (64, 64));
    assert!(decoded.pixels().all(|p| p.0[0] == 0));

    let bomb = dir.join("bomb.png");
    let bytes = bomb_png(16_000);
    assert!(bytes.len() < 300 * 1024, "{} bytes", bytes.len());
    std::fs::write(&bomb, &bytes).expect("write");
    let (code, v) = json_of(netid(dir).arg("verify").arg("--image").arg(&bomb));
    assert_eq!(
        (code, v["error"]["kind"].as_str()),
        (2, Some("unreadable-image")),
        "{v}"
    );
    let message = v["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("16000 × 16000"), "{message}");
}

#[test]
fn each_list_the_development_issuer_publishes_has_a_later_iat_than_the_last() {
    // Counters refuse a different list with the same iat, so a revocation published in the same
    // second as the previous list must still carry a later one.
    let home = home_with_issuer();
    let dir = home.path();
    let (holder, index) = holder_issued_by_the_cli(dir);
    let trust = netid_core::issuer::TrustList::from_json(
        &std::fs::read_to_string(dir.join("issuer/trust.json")).expect("trust"),
    )
    .expect("trust list");
    let keys = trust.status_issuer_keys();
    let published_iat = || {
        let bytes = std::fs::read(dir.join("issuer/status-list.cwt")).expect("list");
        // Verified a minute ahead: the iat may run a few seconds ahead of the clock.
        let now = u64::try_from(now().as_secs()).expect("after 1970") + 60;
        netid_core::status::StatusListToken::verify(&bytes, &keys, now)
            .expect("the published list verifies")
            .issued_at()
    };
    let mut iats = vec![published_iat()];
    for args in [
        vec!["issuer", "status-list"],
        vec!["issuer", "revoke", "--index", &index],
        vec!["issuer", "status-list"],
    ] {
        netid(dir).args(&args).assert().code(0);
        iats.push(published_iat());
    }
    assert!(iats.windows(2).all(|w| w[0] < w[1]), "{iats:?}");
    // And the counter takes each of them: the revocation reaches it.
    let (code, v) = json_of(
        netid(dir)
            .args(["verify", "--text"])
            .arg(holder.qr_text(Purpose::HotelCheckIn, now())),
    );
    assert_eq!(
        (code, v["error"]["kind"].as_str()),
        (1, Some("revoked")),
        "{v}"
    );
}
