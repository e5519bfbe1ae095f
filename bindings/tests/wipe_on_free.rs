//! Buffers uniffi makes and frees itself leave nothing behind: the library's allocator wipes every
//! block before freeing it.
//!
//! A child (this binary re-run with `NETID_WIPESCAN_SEED` set) does what the FFI does with the
//! data key and the PIN: lowers a 32-byte key into a `RustBuffer` as a call to a host
//! `KeyWrapper.wrap` does (a `Vec` grown byte by byte, then handed over) and frees it as the host
//! does (`rustbuffer_free`), and lifts a PIN `String` out of a `RustBuffer` and drops it. Both
//! values are derived from the seed at runtime. In `lock` mode it then waits; in `control` mode it
//! keeps the values alive. The parent dumps the child with gdb's `gcore` and searches the dump.
//! The seed is random and printed; set `NETID_WIPESCAN_SEED` to replay one.

extern crate netid_ffi;

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

use netid_ffi::UniFfiTag;
use uniffi::{Lift, Lower, RustBuffer};

const SEED_VAR: &str = "NETID_WIPESCAN_SEED";
const MODE_VAR: &str = "NETID_WIPESCAN_MODE";
const CHILD_TEST: &str = "wipe_scan_child";

/// A 32-byte "data key" and a 20-digit PIN from `seed` (xorshift; not secret, only distinctive),
/// built in place on the heap: a value returned on the stack would leave copies in dead stack
/// frames, which no allocator wipes.
fn values(seed: u64) -> Box<([u8; 32], [u8; 20])> {
    let mut x = seed | 1;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut out = Box::new(([0u8; 32], [0u8; 20]));
    out.0.iter_mut().for_each(|b| *b = next() as u8);
    out.1
        .iter_mut()
        .for_each(|d| *d = b'0' + (next() % 10) as u8);
    out
}

fn run_child(seed: u64, keep: bool) {
    let secrets = values(seed);
    // KeyWrapper.wrap(data_key): the adapter copies the key into a Vec, uniffi lowers it.
    let lowered = <Vec<u8> as Lower<UniFfiTag>>::lower(secrets.0.to_vec());
    // The PIN a host passes to unlock arrives as a RustBuffer and is lifted into a String.
    let pin_buffer = RustBuffer::from_vec(secrets.1.to_vec());
    let lifted = <String as Lift<UniFfiTag>>::try_lift(pin_buffer).unwrap();
    if keep {
        std::mem::forget((lowered, lifted));
    } else {
        // The host frees the lowered buffer through rustbuffer_free; the core drops the PIN.
        lowered.destroy();
        drop(lifted);
    }
    drop(secrets);
}

#[test]
fn wipe_scan_child() {
    if let (Ok(seed), Ok(mode)) = (std::env::var(SEED_VAR), std::env::var(MODE_VAR)) {
        run_child(seed.parse().unwrap(), mode == "control");
        println!("READY");
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
    }
}

fn scan(mode: &str, seed: u64) -> (bool, bool) {
    let (key, pin) = *values(seed);
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", CHILD_TEST, "--nocapture", "--test-threads=1"])
        .env(SEED_VAR, seed.to_string())
        .env(MODE_VAR, mode)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let ready = stdout
        .by_ref()
        .lines()
        .map_while(Result::ok)
        .any(|l| l.contains("READY"));
    assert!(ready, "the child failed before it was ready (seed {seed})");
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("core");
    let status = Command::new("gcore")
        .arg("-o")
        .arg(&prefix)
        .arg(child.id().to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("gcore (from gdb) is installed by scripts/setup.sh");
    assert!(status.success(), "gcore could not dump the child");
    let dump = std::fs::read(format!("{}.{}", prefix.display(), child.id())).unwrap();
    drop(child.stdin.take());
    let _ = stdout.read_to_end(&mut Vec::new());
    child.wait().unwrap();
    let has = |needle: &[u8]| dump.windows(needle.len()).any(|w| w == needle);
    (has(&key), has(&pin))
}

#[test]
fn buffers_uniffi_frees_are_wiped() {
    let seed = match std::env::var(SEED_VAR) {
        Ok(seed) => seed.parse().unwrap(),
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64,
    };
    println!("{SEED_VAR}={seed}");
    assert_eq!(
        scan("control", seed),
        (true, true),
        "control run: the live key and PIN must be found, or the scan proves nothing (seed {seed})"
    );
    assert_eq!(
        scan("wiped", seed),
        (false, false),
        "a freed FFI buffer still holds the (key, PIN) (seed {seed})"
    );
}
