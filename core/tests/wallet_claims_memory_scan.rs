//! After lock, no decrypted claim value, no wallet PIN and no passphrase is left anywhere in the
//! process memory, freed heap included.
//!
//! The wallet process is this test binary re-run with `--exact claims_scan_child` and
//! `NETID_CLAIMSCAN_MODE` / `NETID_CLAIMSCAN_SEED` set. From the seed it derives distinctive claim
//! values (name, ethnicity, address, issuing authority, a valid ID number and its birth date), a
//! 12-digit PIN and a passphrase, building each at runtime in a wiped buffer of exact size so the
//! test's own code leaves no copy (a literal would sit in the binary; a growing `String` would
//! leave its old buffers behind). It then creates a wallet wrapped by `PassphraseKeyStore`, sets
//! the PIN, locks and unlocks with it, enrols a credential carrying those claims, lists the
//! documents, shows every claim (`document_details`, each value's display form) and the
//! government-service QR (every claim disclosed). In `control` mode it keeps everything alive and
//! prints `READY`. In `lock` mode it locks, prints `LOCKED` and waits for a line; then it drops the
//! locked wallet (whose `PassphraseKeyStore` keeps the passphrase while it exists), prints
//! `DROPPED` and waits.
//!
//! The parent dumps the whole child with gdb's `gcore` (installed by scripts/setup.sh; CI runs as
//! root, so ptrace is allowed) at each of those points and searches the dump for every value in
//! UTF-8, and the name, address and ID number in UTF-16LE too. The control run must find every
//! UTF-8 value, or the scan proves nothing. Locked: no claim and no PIN may occur. Dropped:
//! nothing may occur, the passphrase included. The seed is random and printed; set `NETID_CLAIMSCAN_SEED` to replay one.

#[path = "auth_support/mod.rs"]
mod auth_support;
#[path = "vectors/fixtures.rs"]
mod fixtures;
#[path = "wallet_support/mod.rs"]
mod wallet_support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;

use auth_support::{ManualClock, ScriptedUser};
use netid_core::auth::{AuthPolicy, Pin, PinParams};
use netid_core::block_on::block_on;
use netid_core::credential::{AssuranceLevel, ClaimName, ClaimValue, DocType, DocumentClaims, Sex};
use netid_core::keystore::{Argon2Cost, Passphrase, PassphraseKeyStore};
use netid_core::present::{PresentationRequest, Purpose};
use netid_core::time::{CivilDate, Clock};
use netid_core::wallet::{
    EnrolmentChallenge, LockedWallet, SoftwareArea, WalletConfig, issue_for_proof,
};
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use wallet_support::{Authenticator, Host, SESSION_SECS};
use zeroize::Zeroizing;

const MODE_VAR: &str = "NETID_CLAIMSCAN_MODE";
const SEED_VAR: &str = "NETID_CLAIMSCAN_SEED";
const CHILD_TEST: &str = "claims_scan_child";

/// The secrets of one run, all derived from the seed.
struct Secrets {
    name: Zeroizing<String>,
    ethnicity: Zeroizing<String>,
    address: Zeroizing<String>,
    authority: Zeroizing<String>,
    id_number: Zeroizing<String>,
    birth_date: CivilDate,
    sex: Sex,
    pin: Zeroizing<String>,
    passphrase: Zeroizing<String>,
}

/// `len` bytes of SHA-256(seed ‖ label ‖ counter) stream.
fn stream(seed: u64, label: &str, len: usize) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(len + 32));
    let mut counter = 0u32;
    while out.len() < len {
        let mut h = Sha256::new();
        h.update(seed.to_be_bytes());
        h.update(label.as_bytes());
        h.update(counter.to_be_bytes());
        out.extend_from_slice(&h.finalize());
        counter += 1;
    }
    out.truncate(len);
    out
}

/// `len` characters from `alphabet`, in a buffer allocated once at its final size.
fn text(seed: u64, label: &str, prefix: &str, len: usize, alphabet: &[u8]) -> Zeroizing<String> {
    let bytes = stream(seed, label, len);
    let mut s = Zeroizing::new(String::with_capacity(prefix.len() + len));
    s.push_str(prefix);
    for b in bytes.iter() {
        s.push(char::from(alphabet[usize::from(*b) % alphabet.len()]));
    }
    s
}

const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS: &[u8] = b"0123456789";

impl Secrets {
    fn from_seed(seed: u64) -> Self {
        let r = stream(seed, "date", 4);
        let birth_date =
            CivilDate::new(1950 + i32::from(r[0] % 50), 1 + r[1] % 12, 1 + r[2] % 28).unwrap();
        let sex = if r[3] % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        };
        // GB 11643: 6-digit region, YYYYMMDD, 3-digit sequence (odd for male), check character.
        let mut id = Zeroizing::new(String::with_capacity(18));
        id.push_str(&text(seed, "region", "", 6, DIGITS));
        for (v, width) in [
            (birth_date.year() as u32, 4),
            (u32::from(birth_date.month()), 2),
            (u32::from(birth_date.day()), 2),
        ] {
            for i in (0..width).rev() {
                id.push(char::from(b'0' + ((v / 10u32.pow(i)) % 10) as u8));
            }
        }
        id.push_str(&text(seed, "sequence", "", 2, DIGITS));
        let last = stream(seed, "parity", 1)[0] % 5 * 2 + u8::from(sex == Sex::Male);
        id.push(char::from(b'0' + last));
        let sum: u32 = id
            .bytes()
            .enumerate()
            .map(|(i, c)| u32::from(c - b'0') * ((1u32 << (17 - i)) % 11))
            .sum();
        let check = (12 - sum % 11) % 11;
        id.push(if check == 10 {
            'X'
        } else {
            char::from(b'0' + check as u8)
        });
        Self {
            name: text(seed, "name", "Nm", 18, LETTERS),
            ethnicity: text(seed, "ethnicity", "Et", 14, LETTERS),
            address: text(seed, "address", "Ad", 30, LETTERS),
            authority: text(seed, "authority", "Au", 16, LETTERS),
            id_number: id,
            birth_date,
            sex,
            pin: text(seed, "pin", "", 12, DIGITS),
            passphrase: text(seed, "passphrase", "Pp", 22, LETTERS),
        }
    }

    fn document(&self) -> DocumentClaims {
        let owned = |s: &Zeroizing<String>| {
            let mut t = String::with_capacity(s.len());
            t.push_str(s);
            ClaimValue::Text(t)
        };
        let mut claims = BTreeMap::new();
        claims.insert(ClaimName::Name, owned(&self.name));
        claims.insert(ClaimName::Sex, ClaimValue::Sex(self.sex));
        claims.insert(ClaimName::Ethnicity, owned(&self.ethnicity));
        claims.insert(ClaimName::BirthDate, ClaimValue::Date(self.birth_date));
        claims.insert(ClaimName::Address, owned(&self.address));
        claims.insert(ClaimName::IdNumber, owned(&self.id_number));
        claims.insert(ClaimName::IssuingAuthority, owned(&self.authority));
        DocumentClaims {
            doc_type: DocType::ResidentId,
            assurance_level: AssuranceLevel::Enhanced,
            valid_from: CivilDate::new(2025, 1, 1).unwrap(),
            valid_until: CivilDate::new(2035, 1, 1).unwrap(),
            claims,
        }
    }

    /// (what, bytes) to search for, UTF-8; the date in the display form `document_details` shows.
    fn utf8_needles(&self) -> Vec<(&'static str, Vec<u8>)> {
        vec![
            ("name", self.name.as_bytes().to_vec()),
            ("ethnicity", self.ethnicity.as_bytes().to_vec()),
            ("address", self.address.as_bytes().to_vec()),
            ("issuing authority", self.authority.as_bytes().to_vec()),
            ("id number", self.id_number.as_bytes().to_vec()),
            ("birth date", self.birth_date.to_string().into_bytes()),
            ("PIN", self.pin.as_bytes().to_vec()),
            ("passphrase", self.passphrase.as_bytes().to_vec()),
        ]
    }

    /// The text claims in UTF-16LE, as a platform string API would hold them.
    fn utf16_needles(&self) -> Vec<(&'static str, Vec<u8>)> {
        let utf16 = |s: &str| s.encode_utf16().flat_map(u16::to_le_bytes).collect();
        vec![
            ("name (UTF-16)", utf16(&self.name)),
            ("address (UTF-16)", utf16(&self.address)),
            ("id number (UTF-16)", utf16(&self.id_number)),
        ]
    }
}

type PassWallet = LockedWallet<PassphraseKeyStore, SoftwareArea<Authenticator>, ManualClock>;

/// The child's work: everything a `wallet show` session does, then lock (returning the locked
/// wallet) or keep everything alive.
fn run_wallet(seed: u64, lock: bool) -> Option<PassWallet> {
    let secrets = Secrets::from_seed(seed);
    let dir = tempfile::tempdir().unwrap();
    let host = Host::new(ScriptedUser::default());
    let wrapper = PassphraseKeyStore::with_cost(
        Passphrase::new(secrets.passphrase.clone()).unwrap(),
        Argon2Cost::new(Argon2Cost::MIN_MEMORY_KIB, Argon2Cost::MIN_PASSES, 1).unwrap(),
    );
    let config = WalletConfig {
        wrapper,
        area: SoftwareArea::new(Arc::clone(&host.authenticator)),
        clock: Arc::clone(&host.clock),
        policy: AuthPolicy::default(),
        session_secs: SESSION_SECS,
        pin_params: PinParams::INSECURE_FAST_FOR_TESTS,
        pool: Default::default(),
        // The scan shows a `gov` code (every claim) without a counter's request.
        presentation: netid_core::wallet::PresentationPolicy {
            allow_unrequested_full_card: true,
        },
    };
    let wallet: PassWallet = LockedWallet::create(dir.path(), config).unwrap();
    let pin = Pin::new(&secrets.pin).unwrap();
    let mut unlocked = wallet.unlock(None).unwrap();
    unlocked.set_pin(&pin).unwrap();
    let mut unlocked = unlocked.lock().unlock(Some(&pin)).unwrap();

    let issuer = fixtures::issuer();
    let challenge = EnrolmentChallenge::random(fixtures::ISSUER_ID).unwrap();
    let pending = block_on(unlocked.begin_enrolment(&challenge)).unwrap();
    let document = secrets.document();
    let credential = issue_for_proof(
        &issuer,
        &document,
        &challenge,
        pending.proof(),
        host.clock.now(),
    )
    .unwrap();
    let bytes = Zeroizing::new(credential.to_bytes());
    drop((credential, document));
    let id = block_on(unlocked.complete_enrolment(pending, &bytes, &fixtures::trust_list(), None))
        .unwrap()
        .id;
    drop(bytes);

    let listed = unlocked.documents().unwrap();
    assert_eq!(listed.len(), 1);
    let details = block_on(unlocked.document_details(id)).unwrap();
    let shown: Vec<Zeroizing<String>> = details
        .claims
        .iter()
        .map(|(_, value)| Zeroizing::new(value.display()))
        .collect();
    assert!(shown.iter().any(|v| v.as_str() == secrets.name.as_str()));
    let qr = block_on(unlocked.show_qr(
        id,
        &PresentationRequest::for_purpose(Purpose::GovernmentService),
    ))
    .unwrap();
    let qr_text = qr.qr_text();
    assert!(qr_text.starts_with("NID1:"));

    std::mem::forget(dir);
    if lock {
        drop((qr_text, qr, shown, details, listed, pin, secrets, host));
        Some(unlocked.lock())
    } else {
        std::mem::forget((qr_text, qr, shown, details, listed, pin, secrets, host));
        std::mem::forget(unlocked);
        None
    }
}

#[test]
fn claims_scan_child() {
    match (std::env::var(MODE_VAR), std::env::var(SEED_VAR)) {
        (Ok(mode), Ok(seed)) => {
            let locked = run_wallet(seed.parse().unwrap(), mode == "lock");
            if let Some(locked) = locked {
                println!("LOCKED");
                // The parent dumps us with the locked wallet alive, then asks us to drop it.
                let _ = std::io::stdin().read_line(&mut String::new());
                drop(locked);
                println!("DROPPED");
            } else {
                println!("READY");
            }
            // Wait until the parent has dumped us (it closes our stdin).
            let _ = std::io::stdin().read_to_end(&mut Vec::new());
        }
        // As an ordinary test: the whole flow works with derived values.
        _ => drop(run_wallet(OsRng.next_u64(), true)),
    }
}

/// The child's whole memory, as gdb's `gcore` writes it.
fn core_dump(pid: u32) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("core");
    let status = Command::new("gcore")
        .arg("-o")
        .arg(&prefix)
        .arg(pid.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("gcore (from gdb) is installed by scripts/setup.sh");
    assert!(
        status.success(),
        "gcore could not dump the child (ptrace refused?)"
    );
    std::fs::read(format!("{}.{pid}", prefix.display())).unwrap()
}

/// The names of `secrets`' needles that occur in `dump`.
fn found_in(dump: &[u8], secrets: &Secrets) -> Vec<&'static str> {
    secrets
        .utf8_needles()
        .into_iter()
        .chain(secrets.utf16_needles())
        .filter(|(_, needle)| memchr::memmem::find(dump, needle).is_some())
        .map(|(what, _)| what)
        .collect()
}

/// Runs the child in `mode` with `seed` and dumps it at each of `phases` (lines it prints, the
/// parent answering each but the last with a line of its own); returns what each dump held.
fn scan(mode: &str, seed: u64, phases: &[&str]) -> Vec<Vec<&'static str>> {
    let secrets = Secrets::from_seed(seed);
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", CHILD_TEST, "--nocapture", "--test-threads=1"])
        .env(MODE_VAR, mode)
        .env(SEED_VAR, seed.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut found = Vec::new();
    for (i, phase) in phases.iter().enumerate() {
        let reached = stdout
            .by_ref()
            .lines()
            .map_while(Result::ok)
            .any(|l| l.contains(phase));
        assert!(reached, "the child failed before {phase} (seed {seed})");
        found.push(found_in(&core_dump(child.id()), &secrets));
        if i + 1 < phases.len() {
            writeln!(child.stdin.as_mut().unwrap()).unwrap();
        }
    }
    drop(child.stdin.take());
    // Read the child's last words so it never writes into a closed pipe.
    let _ = stdout.read_to_end(&mut Vec::new());
    child.wait().unwrap();
    found
}

#[test]
fn after_lock_no_claim_pin_or_passphrase_is_in_memory() {
    let seed = match std::env::var(SEED_VAR) {
        Ok(seed) => seed.parse().unwrap(),
        Err(_) => OsRng.next_u64(),
    };
    println!("{SEED_VAR}={seed}");
    let everything: Vec<_> = Secrets::from_seed(seed)
        .utf8_needles()
        .into_iter()
        .map(|(what, _)| what)
        .collect();
    let control = scan("control", seed, &["READY"]);
    let missed: Vec<_> = everything
        .iter()
        .filter(|w| !control[0].contains(w))
        .collect();
    assert!(
        missed.is_empty(),
        "control run (not locked) did not find {missed:?}: the scan proves nothing (seed {seed})"
    );
    let locked = scan("lock", seed, &["LOCKED", "DROPPED"]);
    // A locked wallet keeps its `PassphraseKeyStore`, which keeps the passphrase to unwrap again.
    let held: Vec<_> = locked[0].iter().filter(|w| **w != "passphrase").collect();
    assert!(
        held.is_empty(),
        "with the wallet locked the process memory still holds {held:?} (seed {seed})"
    );
    assert!(
        locked[1].is_empty(),
        "after the locked wallet was dropped the process memory still holds {:?} (seed {seed})",
        locked[1]
    );
}
