//! The `netid-verifier` binary under test: a configuration written by its own `config init`,
//! the process started on a free port (killed on drop, its stdout and stderr kept for checks),
//! and a minimal HTTP/1.1 client over raw TCP, so tests control every byte (slow clients,
//! oversized bodies) and depend on no client library's behaviour.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::IssuerHome;

/// The service binary of this package.
pub fn verifier_bin() -> &'static str {
    env!("CARGO_BIN_EXE_netid-verifier")
}

/// A configuration made by `netid-verifier config init` for `home`, and its counter's token.
pub struct TestConfig {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
    pub token: String,
}

impl TestConfig {
    /// `config init` for `home` (files, or `issuer_url`), with the skew cut to 1 s so codes
    /// made 2 s after start are inside the replay memory, and `extra` TOML appended.
    pub fn init(home: &Path, issuer_url: Option<&str>, extra: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("verifier.toml");
        let mut cmd = Command::new(verifier_bin());
        cmd.args(["config", "init", "--netid-home"])
            .arg(home)
            .arg("--out")
            .arg(&path);
        if let Some(url) = issuer_url {
            cmd.args(["--issuer-url", url]);
        }
        let out = cmd.output().expect("config init runs");
        assert!(
            out.status.success(),
            "config init failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8(out.stdout).expect("utf-8");
        let token = stdout.lines().last().expect("a token line").to_owned();
        assert_eq!(
            token.len(),
            64,
            "the last line is the token alone: {stdout:?}"
        );
        let text = std::fs::read_to_string(&path).expect("config");
        let text = text.replace("skew_seconds = 30", "skew_seconds = 1");
        std::fs::write(&path, format!("{text}\n{extra}\n")).expect("config");
        Self { dir, path, token }
    }

    /// Add a counter `id` with `token` (rate and burst as given).
    pub fn add_counter(&self, id: &str, token: &str, rate: u32, burst: u32) {
        let digest = netid_verifier::auth::token_digest_hex(token);
        let mut text = std::fs::read_to_string(&self.path).expect("config");
        text.push_str(&format!(
            "\n[[counter]]\nid = \"{id}\"\ntoken_sha256 = \"{digest}\"\nrate_per_second = {rate}\nburst = {burst}\n"
        ));
        std::fs::write(&self.path, text).expect("config");
    }

    /// Replace `from` by `to` in the file (it must occur).
    pub fn edit(&self, from: &str, to: &str) {
        let text = std::fs::read_to_string(&self.path).expect("config");
        assert!(text.contains(from), "{from:?} not in the configuration");
        std::fs::write(&self.path, text.replacen(from, to, 1)).expect("config");
    }
}

/// A running `netid-verifier`.
pub struct VerifierProcess {
    child: Child,
    pub addr: String,
    pub started: Instant,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl VerifierProcess {
    /// Start with `--config` and `args`, on a free port; waits for its `listening on` line.
    pub fn start(config: &Path, args: &[&str]) -> Self {
        let mut child = Command::new(verifier_bin())
            .arg("--config")
            .arg(config)
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("netid-verifier starts");
        let stderr = keep_lines(child.stderr.take().expect("stderr"));
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut first = String::new();
        stdout.read_line(&mut first).expect("first line");
        let Some(addr) = first.trim().strip_prefix("listening on http://") else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "netid-verifier did not start: {first:?}\n{}",
                stderr.lock().expect("lines").join("\n")
            );
        };
        let addr = addr.to_owned();
        Self {
            child,
            addr,
            started: Instant::now(),
            stdout: keep_lines(stdout),
            stderr,
        }
    }

    /// Sleep until codes made now are after the replay memory's start + the 1 s skew.
    pub fn wait_for_fresh_memory(&self) {
        let ready = self.started + Duration::from_millis(2100);
        if let Some(left) = ready.checked_duration_since(Instant::now()) {
            std::thread::sleep(left);
        }
    }

    /// POST `body` to `path` with `token` (none: no Authorization header).
    pub fn post(&self, path: &str, token: Option<&str>, body: &str) -> Answer {
        request(&self.addr, "POST", path, token, body.as_bytes())
    }

    /// GET `path`.
    pub fn get(&self, path: &str) -> Answer {
        request(&self.addr, "GET", path, None, b"")
    }

    /// `/v1/verify` of `qr` for hotel check-in.
    pub fn verify(&self, token: &str, qr: &str) -> Answer {
        self.post(
            "/v1/verify",
            Some(token),
            &serde_json::json!({ "qr": qr, "purpose": "hotel" }).to_string(),
        )
    }

    /// Audit lines (standard output after the first line) so far.
    pub fn stdout_lines(&self) -> Vec<String> {
        self.stdout.lock().expect("lines").clone()
    }

    /// Standard error so far.
    pub fn stderr_lines(&self) -> Vec<String> {
        self.stderr.lock().expect("lines").clone()
    }

    /// SIGTERM.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Wait for exit, at most `limit`.
    pub fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "netid-verifier did not exit within {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }
}

impl Drop for VerifierProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn keep_lines(stream: impl Read + Send + 'static) -> Arc<Mutex<Vec<String>>> {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&lines);
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            sink.lock().expect("lines").push(line);
        }
    });
    lines
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `accepted` of a 200 verification answer.
    pub fn accepted(&self) -> bool {
        assert_eq!(self.status, 200, "{self:?}");
        self.json()["accepted"]
            .as_bool()
            .expect("accepted is a bool")
    }

    /// `reason` of a refusal.
    pub fn reason(&self) -> String {
        self.json()["reason"].as_str().unwrap_or("").to_owned()
    }
}

/// One HTTP/1.1 request on a new connection (`Connection: close`).
pub fn request(addr: &str, method: &str, path: &str, token: Option<&str>, body: &[u8]) -> Answer {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(token) = token {
        head.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).expect("write head");
    // A server may answer (413) and close before taking the whole body.
    let _ = stream.write_all(body);
    read_answer(&mut stream)
}

/// Read one answer to the end of the connection.
pub fn read_answer(stream: &mut TcpStream) -> Answer {
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    parse_answer(&raw)
}

/// Parse an HTTP/1.1 answer (Content-Length bodies only).
pub fn parse_answer(raw: &[u8]) -> Answer {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no complete answer: {text:?}"));
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {head:?}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Answer {
        status,
        headers,
        body: body.to_owned(),
    }
}

impl IssuerHome {
    /// Interactive-mode QR text from holder `i` for `audience` and `nonce`.
    pub fn qr_text_interactive(&self, i: usize, audience: &str, nonce: &[u8]) -> String {
        use netid_core::credential::Purpose;
        use netid_core::present::{HolderSigner, PresentationRequest, present};
        use netid_core::time::{Clock, FixedClock, SystemClock};
        let (key, credential) = &self.holders[i];
        let mut request = PresentationRequest::for_purpose(Purpose::HotelCheckIn);
        request.audience = Some(audience.to_owned());
        request.nonce = Some(nonce.to_vec());
        present(
            credential,
            &request,
            key as &dyn HolderSigner,
            &FixedClock::new(SystemClock.now()),
        )
        .expect("presentation")
        .qr_text()
        .to_string()
    }
}
