//! After lock, no copy of the data key or the holder private key is left in the process memory.
//!
//! The wallet process is this test binary re-run with `--exact memory_scan_child` and
//! `NETID_MEMSCAN_MODE` set: it creates a wallet with the software secure area, enrols, presents,
//! locks (or, in the control run, does not), then prints the data key and the holder private key
//! each XORed with a random mask it prints alongside (so the plain secrets are never written
//! anywhere by the child), and waits. The parent reads every readable mapping of the child
//! through /proc/<pid>/maps and /proc/<pid>/mem (falling back to a `gcore` core dump if reading
//! is refused) and searches for the unmasked secrets. The control run must find the data key, or
//! the scan proves nothing. Run without the variable, `memory_scan_child` does the same work and
//! checks the masked values match a fresh unlock's, so it is an ordinary test too.

#[path = "auth_support/mod.rs"]
mod auth_support;
#[path = "vectors/fixtures.rs"]
mod fixtures;
#[path = "wallet_support/mod.rs"]
mod wallet_support;

use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::process::{Command, Stdio};

use auth_support::ScriptedUser;
use netid_core::auth::AuthPolicy;
use netid_core::block_on::block_on;
use netid_core::present::{PresentationRequest, Purpose};
use rand_core::{OsRng, RngCore};
use wallet_support::*;

const MODE_VAR: &str = "NETID_MEMSCAN_MODE";
const CHILD_TEST: &str = "memory_scan_child";

fn xor(a: &[u8], b: &[u8]) -> Vec<u8> {
    a.iter().zip(b).map(|(x, y)| x ^ y).collect()
}

/// The child's work; returns (mask, masked data key, masked holder key).
fn run_wallet(lock: bool) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let host = Host::new(ScriptedUser::default());
    let mut wallet = host
        .create(dir.path(), AuthPolicy::default())
        .unlock(None)
        .unwrap();
    let id = enrol(&mut wallet, host.now()).unwrap().id;
    block_on(wallet.show_qr(id, &PresentationRequest::for_purpose(Purpose::HotelCheckIn))).unwrap();
    let mut mask = [0u8; 32];
    OsRng.fill_bytes(&mut mask);
    let masked_data_key = wallet.masked_data_key(&mask).unwrap();
    let masked_holder_key = {
        let (area, alias) = wallet.secure_area_and_alias(id).unwrap();
        block_on(area.masked_private_key(&alias, &mask)).unwrap()
    };
    let out = (
        mask.to_vec(),
        masked_data_key.to_vec(),
        masked_holder_key.to_vec(),
    );
    if lock {
        let locked = wallet.lock();
        std::mem::forget(dir);
        std::mem::forget(locked);
    } else {
        std::mem::forget(dir);
        std::mem::forget(wallet);
    }
    out
}

#[test]
fn memory_scan_child() {
    match std::env::var(MODE_VAR).as_deref() {
        Ok(mode) => {
            let (mask, dk, hk) = run_wallet(mode == "lock");
            println!(
                "SECRETS {} {} {}",
                hex::encode(mask),
                hex::encode(dk),
                hex::encode(hk)
            );
            // Wait until the parent has scanned (it closes our stdin).
            let _ = std::io::stdin().read_to_end(&mut Vec::new());
        }
        Err(_) => {
            // As an ordinary test: the masks are consistent and the secrets are real keys.
            let (mask, dk, hk) = run_wallet(true);
            assert_eq!(mask.len(), 32);
            assert_ne!(xor(&dk, &mask), vec![0u8; 32]);
            assert_ne!(xor(&hk, &mask), xor(&dk, &mask));
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every readable mapping of `pid`, via /proc/<pid>/mem; `None` if the kernel refuses.
fn read_process_memory(pid: u32) -> Option<Vec<Vec<u8>>> {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).ok()?;
    let mut mem = std::fs::File::open(format!("/proc/{pid}/mem")).ok()?;
    let mut regions = Vec::new();
    let mut any_read = false;
    for line in maps.lines() {
        let mut fields = line.split_whitespace();
        let (Some(range), Some(perms)) = (fields.next(), fields.next()) else {
            continue;
        };
        let name = line.split_whitespace().nth(5).unwrap_or("");
        if !perms.starts_with('r') || name == "[vvar]" || name == "[vsyscall]" {
            continue;
        }
        let Some((start, end)) = range.split_once('-') else {
            continue;
        };
        let start = u64::from_str_radix(start, 16).unwrap();
        let end = u64::from_str_radix(end, 16).unwrap();
        let mut buf = vec![0u8; (end - start) as usize];
        if mem.seek(SeekFrom::Start(start)).is_ok() && mem.read_exact(&mut buf).is_ok() {
            any_read = true;
            regions.push(buf);
        }
    }
    any_read.then_some(regions)
}

/// Fallback: a core dump by gdb's `gcore`.
fn core_dump(pid: u32) -> Vec<Vec<u8>> {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("core");
    let status = Command::new("gcore")
        .arg("-o")
        .arg(&prefix)
        .arg(pid.to_string())
        .stdout(Stdio::null())
        .status()
        .expect("gcore (from gdb) is installed by scripts/setup.sh");
    assert!(status.success(), "gcore failed");
    vec![std::fs::read(format!("{}.{pid}", prefix.display())).unwrap()]
}

/// Runs the child in `mode`; returns whether the data key and the holder key were found.
fn scan(mode: &str) -> (bool, bool) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", CHILD_TEST, "--nocapture", "--test-threads=1"])
        .env(MODE_VAR, mode)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = lines
        .by_ref()
        .map(Result::unwrap)
        .find_map(|l| l.split_once("SECRETS ").map(|(_, rest)| rest.to_owned()))
        .expect("the child prints its masked secrets");
    let fields: Vec<Vec<u8>> = line
        .split_whitespace()
        .map(|h| hex::decode(h).unwrap())
        .collect();
    let data_key = xor(&fields[1], &fields[0]);
    let holder_key = xor(&fields[2], &fields[0]);
    let regions = read_process_memory(child.id()).unwrap_or_else(|| core_dump(child.id()));
    let found = (
        regions.iter().any(|r| contains(r, &data_key)),
        regions.iter().any(|r| contains(r, &holder_key)),
    );
    drop(child.stdin.take());
    child.wait().unwrap();
    found
}

#[test]
fn after_lock_no_copy_of_the_data_key_or_holder_key_is_in_memory() {
    let (data_key_found, _) = scan("control");
    assert!(
        data_key_found,
        "control run: an unlocked wallet's data key must be found, or the scan proves nothing"
    );
    let (data_key_found, holder_key_found) = scan("lock");
    assert!(!data_key_found, "the data key survived lock");
    assert!(!holder_key_found, "the holder private key survived lock");
}
