//! Shared parts of the service's integration tests: the real `netid` binary (built by cargo on
//! first use), a development issuer home with issued credentials, `netid issuer serve` on a free
//! port killed on drop, tiny raw-TCP servers that misbehave on purpose, a clock tests can move,
//! and polling with a deadline.
#![allow(dead_code)]

pub mod redis;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

pub mod verifier;

use netid_core::credential::{Credential, Purpose};
use netid_core::present::{HolderSigner, PresentationRequest, SoftwareHolderKey, present};
use netid_core::time::{Clock, FixedClock, SystemClock, UnixTime};
use p256::pkcs8::{EncodePublicKey, LineEnding};

/// The claims file of the CLI's tests: the resident ID from core's vectors.
pub const RESIDENT_ID_CLAIMS: &str = include_str!("../../../cli/tests/vectors/resident-id.json");
/// The issuer id of every test home, so the status list URI is `https://dev-issuer.example/s`.
pub const ISSUER_ID: &str = "https://dev-issuer.example";
pub const STATUS_URI: &str = "https://dev-issuer.example/s";

/// The `netid` binary of this workspace. The CLI is another package, whose binary cargo does not
/// hand to this one's tests (`CARGO_BIN_EXE_*` covers only a package's own binaries), so the
/// first call runs `cargo build -p netid-cli --bin netid` into this test binary's own target
/// directory and profile — a no-op when it is up to date, and never a stale binary.
pub fn netid_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let exe = std::env::current_exe().expect("the test binary's path");
        // <target>/<profile>/deps/<test>
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("the test binary lives in <target>/<profile>/deps")
            .to_path_buf();
        let target_dir = profile_dir.parent().expect("<target>").to_path_buf();
        let release = profile_dir.file_name().is_some_and(|n| n == "release");
        let mut cargo = Command::new(env!("CARGO"));
        cargo
            .args(["build", "--quiet", "-p", "netid-cli", "--bin", "netid"])
            .arg("--target-dir")
            .arg(&target_dir)
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        if release {
            cargo.arg("--release");
        }
        let status = cargo.status().expect("cargo runs");
        assert!(status.success(), "building the netid binary failed");
        let bin = profile_dir.join(format!("netid{}", std::env::consts::EXE_SUFFIX));
        assert!(bin.is_file(), "no netid binary at {}", bin.display());
        bin
    })
}

/// `netid --home <home> …` with a clean environment.
pub fn netid(home: &Path) -> Command {
    let mut cmd = Command::new(netid_bin());
    cmd.env_remove("NETID_HOME").arg("--home").arg(home);
    cmd
}

/// Run `netid` and require success; its standard output.
pub fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().expect("netid runs");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A development issuer home with `credentials` resident IDs issued (at random status indexes),
/// each with its holder key so tests can present them.
pub struct IssuerHome {
    pub dir: tempfile::TempDir,
    pub holders: Vec<(SoftwareHolderKey, Credential)>,
}

impl IssuerHome {
    pub fn new(credentials: usize) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let home = dir.path();
        run_ok(netid(home).args(["issuer", "keygen", "--issuer-id", ISSUER_ID]));
        std::fs::write(home.join("claims.json"), RESIDENT_ID_CLAIMS).expect("claims");
        let mut holders = Vec::new();
        for i in 0..credentials {
            let key = SoftwareHolderKey::generate();
            let pem = key
                .public_key()
                .to_public_key_pem(LineEnding::LF)
                .expect("pem");
            std::fs::write(home.join("holder.pem"), pem).expect("holder key");
            let out = format!("cred-{i}.cbor");
            run_ok(
                netid(home)
                    .args(["issuer", "issue", "--claims", "claims.json"])
                    .args(["--holder-key", "holder.pem", "--out", &out])
                    .current_dir(home),
            );
            let credential = Credential::from_bytes(&std::fs::read(home.join(&out)).expect("cred"))
                .expect("a credential");
            holders.push((key, credential));
        }
        Self { dir, holders }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn trust_file(&self) -> PathBuf {
        self.path().join("issuer/trust.json")
    }

    pub fn status_file(&self) -> PathBuf {
        self.path().join("issuer/status-list.cwt")
    }

    /// The status index of holder `i`'s credential (the issuer draws them at random).
    pub fn index(&self, i: usize) -> u64 {
        self.holders[i].1.status().expect("a status reference").idx
    }

    /// Revoke holder `i` with `netid issuer revoke`.
    pub fn revoke(&self, i: usize) {
        let index = self.index(i).to_string();
        run_ok(netid(self.path()).args(["issuer", "revoke", "--index", &index]));
    }

    /// Hotel check-in QR text from holder `i`, made now.
    pub fn qr_text(&self, i: usize) -> String {
        let (key, credential) = &self.holders[i];
        present(
            credential,
            &PresentationRequest::for_purpose(Purpose::HotelCheckIn),
            key as &dyn HolderSigner,
            &FixedClock::new(SystemClock.now()),
        )
        .expect("presentation")
        .qr_text()
        .to_string()
    }
}

/// A running `netid issuer serve --listen 127.0.0.1:0`, killed when dropped.
pub struct IssuerServer {
    child: Child,
    pub base: String,
}

impl IssuerServer {
    pub fn start(home: &Path) -> Self {
        Self::start_on(home, "127.0.0.1:0")
    }

    pub fn start_on(home: &Path, listen: &str) -> Self {
        let mut child = netid(home)
            .args(["issuer", "serve", "--listen", listen])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("netid issuer serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("first line");
        let Some(base) = line.trim().strip_prefix("listening on ") else {
            let _ = child.kill();
            panic!("unexpected first line {line:?}");
        };
        Self {
            base: base.to_owned(),
            child,
        }
    }

    /// `host:port`.
    pub fn addr(&self) -> &str {
        self.base.trim_start_matches("http://")
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for IssuerServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// What a [`RawServer`] does with each connection.
#[derive(Clone)]
pub enum Misbehaviour {
    /// `302 Found` to this location.
    Redirect(String),
    /// Accept, read the request, never answer.
    Silent,
    /// `200 OK` without Content-Length: this many bytes, then close.
    Endless(usize),
}

/// A loopback server speaking just enough HTTP/1.1 to misbehave; stopped when dropped.
pub struct RawServer {
    pub base: String,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RawServer {
    pub fn start(behaviour: Misbehaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut held = Vec::new();
            while !stopping.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        if let Some(stream) = answer(stream, &behaviour) {
                            held.push(stream);
                        }
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Self {
            base,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Serve one connection; a connection left open (Silent) is handed back to be held.
fn answer(mut stream: TcpStream, behaviour: &Misbehaviour) -> Option<TcpStream> {
    stream.set_nonblocking(false).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    let mut request = Vec::new();
    let mut byte = [0u8; 1];
    while !request.ends_with(b"\r\n\r\n") && request.len() < 16 * 1024 {
        if stream.read(&mut byte).ok()? == 0 {
            return None;
        }
        request.push(byte[0]);
    }
    match behaviour {
        Misbehaviour::Redirect(location) => {
            let _ = write!(
                stream,
                "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            None
        }
        Misbehaviour::Silent => Some(stream),
        Misbehaviour::Endless(bytes) => {
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/statuslist+cwt\r\nConnection: close\r\n\r\n",
            );
            let chunk = vec![0xA5u8; 64 * 1024];
            let mut sent = 0;
            while sent < *bytes {
                let n = chunk.len().min(bytes - sent);
                if stream.write_all(&chunk[..n]).is_err() {
                    break;
                }
                sent += n;
            }
            None
        }
    }
}

/// The system clock moved by an offset tests set.
#[derive(Debug, Default)]
pub struct OffsetClock {
    offset: AtomicI64,
}

impl OffsetClock {
    pub fn advance(&self, secs: i64) {
        self.offset.fetch_add(secs, Ordering::SeqCst);
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> UnixTime {
        SystemClock
            .now()
            .saturating_add(self.offset.load(Ordering::SeqCst))
    }
}

/// Now, in Unix seconds.
pub fn now() -> u64 {
    u64::try_from(SystemClock.now().as_secs()).expect("after 1970")
}

/// Poll `check` every 20 ms until it returns `Some`, or panic with `what` after `limit`.
pub async fn eventually<T>(limit: Duration, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(Instant::now() < deadline, "not within {limit:?}: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A loopback port nothing listens on (bound, then released).
pub fn dead_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}
