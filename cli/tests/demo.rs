//! `netid demo` driven as a person would: non-interactive (what CI runs), interactive in a
//! pseudo-terminal (util-linux `script`) with the live countdown and refresh, and the biometric
//! stand-in answered on the terminal.

mod support;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use support::*;

#[test]
fn the_non_interactive_demo_verifies_a_code_and_leaves_nothing_behind() {
    let dir = tempfile::tempdir().expect("dir");
    let out = Command::new(assert_cmd::cargo::cargo_bin("netid"))
        .env_remove("NETID_HOME")
        .env_remove("NETID_AUTH")
        .env("NETID_PASSPHRASE", PASSPHRASE)
        .env("TMPDIR", dir.path())
        .args([
            "--json",
            "demo",
            "--non-interactive",
            "--key-store",
            "passphrase",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["ok"], true);
    assert_eq!(v["verification"]["result"], "accepted");
    assert_eq!(v["verification"]["claims"]["id_number"], SECRET_ID_NUMBER);
    assert_eq!(v["key_store"], "passphrase");
    assert_eq!(v["temporary_home"], true);
    // The code is a one-time code from the enrolment's batch; 9 hotel codes are left.
    assert_eq!(v["qr"]["one_time"], true, "{v}");
    let hotel_left = v["one_time_codes_left"]
        .as_array()
        .expect("levels")
        .iter()
        .find(|l| l["purpose"] == "hotel")
        .map(|l| l["remaining"].clone());
    assert_eq!(hotel_left, Some(serde_json::json!(9)), "{v}");
    let home = std::path::PathBuf::from(v["home"].as_str().expect("home"));
    assert!(home.starts_with(dir.path()), "{home:?}");
    assert!(!home.exists(), "the temporary demo home is removed");
    assert!(String::from_utf8_lossy(&out.stderr).contains("passphrase store"));
}

#[test]
fn the_non_interactive_demo_in_a_home_keeps_an_encrypted_wallet_and_shows_the_qr() {
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
            "cafe",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "[1/5]",
        "[5/5]",
        "ACCEPTED for Internet café",
        "Aged 18 or over",
        "QR version",
    ] {
        assert!(stdout.contains(needle), "{needle}: {stdout}");
    }
    assert!(
        stdout.contains('\u{2580}') || stdout.contains('\u{2584}'),
        "half-block QR"
    );
    assert!(
        !stdout.contains(SECRET_ID_NUMBER),
        "the café sees no ID number"
    );
    // The wallet stays, encrypted: the claims are nowhere on disk in plaintext.
    assert!(home.join("wallet/wallet.sqlite3").is_file());
    assert!(!any_file_contains(&home, SECRET_ID_NUMBER));
    assert!(!any_file_contains(&home, SECRET_NAME));
    // And it opens with the same passphrase.
    wallet(&home).arg("list").assert().code(0);
}

#[test]
fn the_gov_demo_enrols_at_the_enhanced_grade_only_under_a_development_policy_it_prints() {
    let dir = tempfile::tempdir().expect("dir");
    let home = dir.path().join("home");
    let demo = |home: &std::path::Path| {
        let mut cmd = netid(home);
        cmd.env("NETID_PASSPHRASE", PASSPHRASE).args([
            "demo",
            "--non-interactive",
            "--key-store",
            "passphrase",
            "--purpose",
            "gov",
        ]);
        cmd
    };
    // The issuer the demo creates accepts the CLI's software keys at the enhanced grade, and
    // says so.
    let out = demo(&home).output().expect("runs");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "development issuer: software keys accepted at the enhanced grade",
        "(enhanced grade)",
        "Holder key as the issuer checked it: software",
        "ACCEPTED",
    ] {
        assert!(stdout.contains(needle), "{needle}: {stdout}");
    }
    let policy: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(home.join("issuer/attestation.json")).expect("policy file"),
    )
    .expect("json");
    assert_eq!(policy["enhanced"], "any-key", "{policy}");
    let (code, v) = json_of(&mut demo(&home));
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["assurance_level"], "enhanced", "{v}");
    assert_eq!(v["software_keys_accepted_at_enhanced"], true, "{v}");
    assert_eq!(v["holder_key"]["attested_level"], "software", "{v}");

    // An issuer with the default policy keeps it: the gov demo is refused, with the way out.
    let strict = dir.path().join("strict");
    netid(&strict).args(["issuer", "keygen"]).assert().success();
    let (code, v) = json_of(&mut demo(&strict));
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["error"]["kind"], "key-attestation-refused", "{v}");
    assert!(
        v["error"]["next_step"]
            .as_str()
            .is_some_and(|n| n.contains("--enhanced any-key")),
        "{v}"
    );
    // A non-gov demo never loosens the policy of the issuer it creates.
    let hotel = dir.path().join("hotel");
    let out = netid(&hotel)
        .env("NETID_PASSPHRASE", PASSPHRASE)
        .args(["demo", "--non-interactive", "--key-store", "passphrase"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("software keys accepted"),
        "{out:?}"
    );
    let policy: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(hotel.join("issuer/attestation.json")).expect("policy file"),
    )
    .expect("json");
    assert_eq!(policy["enhanced"], "hardware-with-user-auth", "{policy}");
}

#[test]
fn the_demo_refuses_when_the_biometric_is_denied() {
    let dir = tempfile::tempdir().expect("dir");
    let (code, v) = json_of(
        netid(&dir.path().join("home"))
            .env("NETID_PASSPHRASE", PASSPHRASE)
            .env("NETID_AUTH", "deny")
            .args(["demo", "--non-interactive", "--key-store", "passphrase"]),
    );
    assert_eq!(
        (code, v["error"]["kind"].as_str()),
        (1, Some("not-recognised")),
        "{v}"
    );
}

#[test]
fn the_interactive_demo_without_a_terminal_explains_netid_auth() {
    let dir = tempfile::tempdir().expect("dir");
    let home = dir.path().join("home");
    let (code, v) = json_of(netid(&home).env("NETID_PASSPHRASE", PASSPHRASE).arg("demo"));
    assert_eq!(
        (code, v["error"]["kind"].as_str()),
        (2, Some("no-authenticator")),
        "{v}"
    );
    assert!(!home.exists(), "nothing was created");
}

/// Run `netid <args>` inside a pseudo-terminal (util-linux `script`), feeding `input` lines at
/// the given delays; returns exit code and everything the terminal showed.
fn in_pty(args: &str, env: &[(&str, &str)], input: &[(u64, &str)]) -> (i32, String) {
    let bin = assert_cmd::cargo::cargo_bin("netid");
    let command = format!("{} {args}", bin.display());
    let mut cmd = Command::new("script");
    cmd.args(["-q", "-e", "-c", &command, "/dev/null"])
        .env_remove("NETID_HOME")
        .env_remove("NETID_AUTH")
        .env_remove("NETID_PASSPHRASE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .spawn()
        .expect("`script` (util-linux, in every Debian base system) runs");
    let mut stdin = child.stdin.take().expect("stdin");
    let feeder = {
        let input: Vec<(u64, String)> = input.iter().map(|(d, s)| (*d, s.to_string())).collect();
        std::thread::spawn(move || {
            for (delay, line) in input {
                std::thread::sleep(Duration::from_millis(delay));
                let _ = stdin.write_all(line.as_bytes());
                let _ = stdin.flush();
            }
            // Keep the terminal open until the demo is done; `script` ends on its own then.
            std::thread::sleep(Duration::from_secs(60));
            drop(stdin);
        })
    };
    let out = child.wait_with_output().expect("script finishes");
    drop(feeder);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn the_interactive_demo_counts_down_refreshes_the_code_and_verifies_the_new_one() {
    let dir = tempfile::tempdir().expect("dir");
    let home = dir.path().join("home");
    let (code, screen) = in_pty(
        &format!(
            "--home {} demo --qr-lifetime 13 --key-store passphrase",
            home.display()
        ),
        &[("NETID_PASSPHRASE", PASSPHRASE), ("NETID_AUTH", "allow")],
        &[],
    );
    assert_eq!(code, 0, "{screen}");
    // The countdown is redrawn in place (carriage return + erase line) and counts down from 13
    // to the refresh at 10 s. Its ticks follow the wall clock, so on a loaded machine one may be
    // skipped: the values must fall, not hit every second.
    assert!(screen.contains("\r\u{1b}[K  expires in  13 s"), "{screen}");
    let before_refresh = &screen[..screen.find("refreshed:").unwrap_or(screen.len())];
    let shown: Vec<u32> = before_refresh
        .split("expires in ")
        .skip(1)
        .filter_map(|rest| rest.split(" s").next()?.trim().parse().ok())
        .collect();
    assert_eq!(shown.first(), Some(&13), "{screen}");
    assert!(
        shown.len() >= 3,
        "too few countdown redraws {shown:?}: {screen}"
    );
    assert!(
        shown.windows(2).all(|w| w[1] < w[0]),
        "the countdown does not fall: {shown:?}"
    );
    assert!(
        shown.last().is_some_and(|&last| last <= 10),
        "refreshed before 10 s: {shown:?}"
    );
    // Refreshed once, redrawn over the old picture (cursor up + clear below).
    assert_eq!(
        screen.matches("refreshed: a new code").count(),
        1,
        "{screen}"
    );
    assert!(screen.contains("\u{1b}[J"), "{screen}");
    let accepted = screen
        .find("ACCEPTED for Hotel check-in")
        .expect("verified");
    assert!(accepted > screen.find("refreshed").unwrap_or(usize::MAX));
    // The refresh made a second presentation, and the counter accepted the current one.
    let log = netid(&home)
        .env("NETID_PASSPHRASE", PASSPHRASE)
        .env("NETID_AUTH", "allow")
        .args(["--json", "wallet", "log"])
        .output()
        .expect("runs");
    let log: serde_json::Value = serde_json::from_slice(&log.stdout).expect("json");
    let presentations = log["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["kind"] == "presentation")
        .count();
    assert_eq!(presentations, 2, "{log}");
}

#[test]
fn the_biometric_stand_in_asks_on_the_terminal() {
    let dir = tempfile::tempdir().expect("dir");
    // Enter confirms the enrolment, the batch of one-time codes and the QR; q stops the
    // countdown at once.
    let home = dir.path().join("confirm");
    let (code, screen) = in_pty(
        &format!("--home {} demo --key-store passphrase", home.display()),
        &[("NETID_PASSPHRASE", PASSPHRASE)],
        &[(200, "\n"), (0, "\n"), (0, "\n"), (0, "q\n")],
    );
    assert_eq!(code, 0, "{screen}");
    assert_eq!(
        screen
            .matches("Confirm with your fingerprint to enrol the document")
            .count(),
        2,
        "the enrolment and its batch of one-time codes: {screen}"
    );
    assert!(
        screen.contains("one-time codes, each with its own key"),
        "{screen}"
    );
    assert!(
        screen.contains("Confirm with your fingerprint to show a QR code"),
        "{screen}"
    );
    assert!(screen.contains("ACCEPTED for Hotel check-in"), "{screen}");
    assert!(!screen.contains("refreshed"), "{screen}");

    // c cancels: a refusal, exit 1, and no document is enrolled.
    let home = dir.path().join("cancel");
    let (code, screen) = in_pty(
        &format!("--home {} demo --key-store passphrase", home.display()),
        &[("NETID_PASSPHRASE", PASSPHRASE)],
        &[(200, "c\n")],
    );
    assert_eq!(code, 1, "{screen}");
    assert!(screen.contains("cancelled"), "{screen}");
    let (code, v) = json_of(wallet(&home).arg("list"));
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["documents"].as_array().map(Vec::len), Some(0));
}
