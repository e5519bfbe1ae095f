//! Crash safety: a writer process is killed with SIGKILL at random moments (50 runs); each time
//! the store reopens, `PRAGMA integrity_check` is ok, and every write the writer acknowledged
//! (printed after its commit returned) is present and intact.
//!
//! The writer is this test binary itself, re-run with `--exact crash_writer_child` and the store
//! directory in an environment variable. Run without that variable, `crash_writer_child` is an
//! ordinary test: it writes a bounded workload and checks it the same way.

mod store_support;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use netid_core::credential::AssuranceLevel;
use netid_core::keystore::InMemoryKeyWrapper;
use netid_core::store::{
    ActivityKind, DocType, DocumentId, NewActivity, NewDocument, SettingName, Store, Timestamp,
};
use rand_core::{OsRng, RngCore};
use zeroize::Zeroizing;

const DIR_VAR: &str = "NETID_CRASH_TEST_DIR";
const RUNS: usize = 50;
const CHILD_TEST: &str = "crash_writer_child";

/// Parent and child must open the same store, so the test KEK is fixed (tests only).
fn test_wrapper() -> InMemoryKeyWrapper {
    InMemoryKeyWrapper::from_kek([0x42; 32])
}

fn counter_name() -> SettingName {
    SettingName::new("auth.failed-attempts").unwrap()
}

fn document_for(i: u64) -> NewDocument {
    NewDocument {
        doc_type: DocType::new(if i.is_multiple_of(2) {
            "resident-id"
        } else {
            "driving-licence"
        })
        .unwrap(),
        credential: Zeroizing::new(credential_for(i)),
        label: Some(format!("document {i}")),
        added_at: Timestamp::from_unix_seconds(i),
        holder_key: None,
        assurance_level: Some(AssuranceLevel::Enhanced),
    }
}

fn credential_for(i: u64) -> Vec<u8> {
    let mut bytes = i.to_be_bytes().to_vec();
    bytes.resize(600 + (i as usize % 7) * 100, (i % 251) as u8);
    bytes
}

/// One acknowledged write.
#[derive(Debug, Clone)]
enum Ack {
    Document(String, u64),
    Counter(u64),
    Log(String, u64),
}

impl Ack {
    fn line(&self) -> String {
        match self {
            Ack::Document(id, i) => format!("ACK DOC {id} {i}"),
            Ack::Counter(n) => format!("ACK CTR {n}"),
            Ack::Log(id, i) => format!("ACK LOG {id} {i}"),
        }
    }

    fn parse(line: &str) -> Option<Ack> {
        let parts: Vec<&str> = line.split_whitespace().collect();
        match parts.as_slice() {
            ["ACK", "DOC", id, i] => Some(Ack::Document((*id).to_owned(), i.parse().ok()?)),
            ["ACK", "CTR", n] => Some(Ack::Counter(n.parse().ok()?)),
            ["ACK", "LOG", id, i] => Some(Ack::Log((*id).to_owned(), i.parse().ok()?)),
            _ => None,
        }
    }
}

/// Writes until `limit` (or forever), calling `ack` after each commit returned.
fn workload(dir: &Path, limit: Option<u64>, mut ack: impl FnMut(Ack)) {
    let mut store = Store::open(dir, &test_wrapper()).unwrap();
    let counter = counter_name();
    let mut i = 0u64;
    while limit.is_none_or(|l| i < l) {
        match i % 4 {
            0 | 1 => {
                let id = store.put_document(&document_for(i)).unwrap();
                ack(Ack::Document(id.to_hex(), i));
            }
            2 => ack(Ack::Counter(store.increment_counter(&counter).unwrap())),
            _ => {
                let id = store
                    .append_activity(&NewActivity {
                        at: Timestamp::from_unix_seconds(i),
                        kind: ActivityKind::Presentation,
                        document: None,
                        detail: format!("event {i}"),
                    })
                    .unwrap();
                ack(Ack::Log(id.to_hex(), i));
            }
        }
        i += 1;
    }
}

/// Reopens the store and checks it against the acknowledged writes.
fn verify(dir: &Path, acks: &[Ack]) {
    let mut store = Store::open(dir, &test_wrapper()).expect("the store reopens after a crash");
    store.integrity_check().expect("integrity_check is ok");
    let documents = store.documents().unwrap();
    let log = store.activity(usize::MAX).unwrap();
    let counter = store.counter(&counter_name()).unwrap();
    let mut last_counter = 0;
    for ack in acks {
        match ack {
            Ack::Document(id, i) => {
                let id = DocumentId::from_hex(id).unwrap();
                let doc = documents
                    .iter()
                    .find(|d| d.id == id)
                    .unwrap_or_else(|| panic!("acknowledged document {i} is missing"));
                assert_eq!(doc.credential.as_slice(), credential_for(*i).as_slice());
                assert_eq!(doc.label.as_deref(), Some(format!("document {i}").as_str()));
            }
            Ack::Counter(n) => last_counter = *n,
            Ack::Log(id, i) => {
                let entry = log
                    .iter()
                    .find(|e| e.id.to_hex() == *id)
                    .unwrap_or_else(|| panic!("acknowledged log entry {i} is missing"));
                assert_eq!(entry.detail, format!("event {i}"));
            }
        }
    }
    // At most one more increment than acknowledged: the one in flight may have committed.
    assert!(
        (last_counter..=last_counter + 1).contains(&counter),
        "counter {counter}, last acknowledged {last_counter}"
    );
    store.close().unwrap();
}

#[test]
fn crash_writer_child() {
    match std::env::var_os(DIR_VAR) {
        Some(dir) => {
            let mut out = std::io::stdout().lock();
            workload(Path::new(&dir), None, |ack| {
                writeln!(out, "{}", ack.line()).unwrap();
                out.flush().unwrap();
            });
        }
        None => {
            let dir = tempfile::tempdir().unwrap();
            Store::create(dir.path(), &test_wrapper())
                .unwrap()
                .close()
                .unwrap();
            let mut acks = Vec::new();
            workload(dir.path(), Some(40), |ack| acks.push(ack));
            assert_eq!(acks.len(), 40);
            verify(dir.path(), &acks);
        }
    }
}

#[test]
fn acknowledged_writes_survive_sigkill_at_random_moments() {
    let exe = std::env::current_exe().unwrap();
    let (mut total_acks, mut runs_with_acks) = (0, 0);
    for run in 0..RUNS {
        let dir = tempfile::tempdir().unwrap();
        Store::create(dir.path(), &test_wrapper())
            .unwrap()
            .close()
            .unwrap();
        let mut child = Command::new(&exe)
            .args(["--exact", CHILD_TEST, "--nocapture", "--test-threads=1"])
            .env(DIR_VAR, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let reader = {
            let lines = Arc::clone(&lines);
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    match line {
                        Ok(line) => lines.lock().unwrap().push(line),
                        Err(_) => break,
                    }
                }
            })
        };
        // Kill at a random moment once the writer is streaming commits (waiting for its first
        // acknowledgement keeps a slow, loaded machine from turning runs into kills at start-up);
        // a commit is in flight almost all the time from then on.
        let started = std::time::Instant::now();
        while lines.lock().unwrap().is_empty() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the writer acknowledged nothing in 30 s"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        std::thread::sleep(Duration::from_micros(OsRng.next_u64() % 120_000));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        reader.join().unwrap();
        let acks: Vec<Ack> = lines
            .lock()
            .unwrap()
            .iter()
            .filter_map(|l| Ack::parse(l))
            .collect();
        total_acks += acks.len();
        runs_with_acks += usize::from(!acks.is_empty());
        verify(dir.path(), &acks);
        eprintln!("run {run}: {} acknowledged writes survived", acks.len());
    }
    // The kills must have landed while the writer was writing, not only before it started.
    assert!(
        runs_with_acks >= RUNS / 2,
        "only {runs_with_acks} runs got as far as a write"
    );
    assert!(total_acks > RUNS, "only {total_acks} writes in {RUNS} runs");
}
