//! A reader that goes away (`netid … | head -1`) ends the output quietly: no panic, no
//! backtrace, the command's normal exit status, and the command's work (files, clean-up) done.

mod support;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use netid_core::credential::Purpose;
use support::*;

/// `netid --home <home> args…` with standard output a pipe whose reader is closed before the
/// command starts, so its first write to standard output fails with EPIPE, deterministically.
fn run_with_stdout_closed(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("netid"));
    cmd.env_remove("NETID_HOME")
        .env_remove("NETID_PASSPHRASE")
        .env_remove("NETID_AUTH")
        .env("RUST_BACKTRACE", "1")
        .arg("--home")
        .arg(home)
        .args(args)
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("netid runs")
}

fn assert_quiet(out: &Output, code: i32, what: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{what}: {stderr}");
    assert!(
        !stderr.contains("panicked")
            && !stderr.contains("Broken pipe")
            && !stderr.contains("stack backtrace"),
        "{what}: {stderr}"
    );
}

#[test]
fn every_kind_of_command_ends_quietly_with_its_own_status_when_stdout_is_closed() {
    let home = tempfile::tempdir().expect("dir");
    let dir = home.path();

    let out = run_with_stdout_closed(dir, &["issuer", "keygen"], &[]);
    assert_quiet(&out, 0, "keygen");
    assert!(
        dir.join("issuer/trust.json").exists(),
        "keygen finished its work"
    );
    assert_quiet(
        &run_with_stdout_closed(dir, &["issuer", "status-list"], &[]),
        0,
        "status-list",
    );
    assert_quiet(
        &run_with_stdout_closed(dir, &["--json", "issuer", "status-list"], &[]),
        0,
        "status-list --json",
    );

    // Accepted with its claims printed (text and JSON): exit 0, and recorded as seen.
    let holder = Holder::new(&dev_issuer(dir), now());
    let code = holder.qr_text(Purpose::HotelCheckIn, now());
    assert_quiet(
        &run_with_stdout_closed(dir, &["verify", "--text", &code], &[]),
        0,
        "verify",
    );
    let (status, v) = json_of(netid(dir).args(["verify", "--text", &code]));
    assert_eq!((status, v["error"]["kind"].as_str()), (1, Some("replayed")));
    let other = holder.qr_text(Purpose::InternetCafe, now());
    assert_quiet(
        &run_with_stdout_closed(
            dir,
            &["--json", "verify", "--purpose", "cafe", "--text", &other],
            &[],
        ),
        0,
        "verify --json",
    );
    // Refused, with the error as JSON on the closed standard output: exit 1.
    assert_quiet(
        &run_with_stdout_closed(dir, &["--json", "verify", "--text", &code], &[]),
        1,
        "refused verify --json",
    );
    // A usage error in JSON, and help.
    assert_quiet(
        &run_with_stdout_closed(dir, &["--json", "verify", "--at", "yesterday"], &[]),
        2,
        "usage error",
    );
    assert_quiet(&run_with_stdout_closed(dir, &["--help"], &[]), 0, "help");

    // Wallet commands.
    let env = [("NETID_PASSPHRASE", PASSPHRASE), ("NETID_AUTH", "allow")];
    assert_quiet(
        &run_with_stdout_closed(dir, &["wallet", "--key-store", "passphrase", "init"], &env),
        0,
        "wallet init",
    );
    assert_quiet(
        &run_with_stdout_closed(dir, &["wallet", "--key-store", "passphrase", "list"], &env),
        0,
        "wallet list",
    );
}

#[test]
fn the_demo_read_one_line_at_a_time_by_head_ends_quietly_and_cleans_up() {
    // `netid demo … | head -1`: the reader takes the first line and goes away while the demo
    // still has its QR code and result to print.
    let tmp = tempfile::tempdir().expect("dir");
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("netid"))
        .env_remove("NETID_HOME")
        .env_remove("NETID_AUTH")
        .env("NETID_PASSPHRASE", PASSPHRASE)
        .env("TMPDIR", tmp.path())
        .env("RUST_BACKTRACE", "1")
        .args(["demo", "--non-interactive", "--key-store", "passphrase"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("netid runs");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut first = [0u8; 1];
    let mut line = Vec::new();
    while stdout.read(&mut first).expect("read") == 1 && first[0] != b'\n' {
        line.push(first[0]);
    }
    drop(stdout);
    assert!(String::from_utf8_lossy(&line).starts_with("netid demo in"));
    let out = child.wait_with_output().expect("ends");
    assert_quiet(&out, 0, "demo | head -1");
    // The throwaway home was still removed after output stopped.
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .expect("tmp")
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}
