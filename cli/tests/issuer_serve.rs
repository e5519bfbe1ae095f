//! `netid issuer serve` as a verifier sees it: the trust list and the status list over real HTTP
//! (a plain TCP client speaking HTTP/1.1, so nothing of the server is reused to test it), ETags,
//! `If-None-Match` → 304, 404 for every other path, 405 for methods other than GET/HEAD, a new
//! ETag after `netid issuer revoke`, and a clean exit on SIGTERM.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use netid_core::issuer::TrustList;
use netid_core::present::HolderSigner;
use netid_core::status::{StatusListToken, TokenStatus};
use p256::pkcs8::{EncodePublicKey, LineEnding};
use support::*;

/// A running `netid issuer serve`, killed when dropped.
struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(home: &Path) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_netid"))
            .env_remove("NETID_HOME")
            .arg("--home")
            .arg(home)
            .args(["issuer", "serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("netid issuer serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("first line");
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| {
                let _ = child.kill();
                panic!("unexpected first line {line:?}")
            })
            .to_owned();
        Self { child, addr }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One HTTP/1.1 request with `Connection: close`; the body is everything after the headers.
fn request(addr: &str, method: &str, path: &str, extra: &[(&str, &str)]) -> Reply {
    let mut stream = TcpStream::connect(addr).expect("connects");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut text = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in extra {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    stream.write_all(text.as_bytes()).expect("sends");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("reads");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = String::from_utf8(raw[..split].to_vec()).expect("ASCII headers");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Reply {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

fn get(addr: &str, path: &str) -> Reply {
    request(addr, "GET", path, &[])
}

/// A home whose issuer id is a URL (so the list is `https://dev-issuer.example/s`) with one
/// credential issued, and its status index (a random one).
fn home_with_one_credential() -> (tempfile::TempDir, u64) {
    let home = tempfile::tempdir().expect("dir");
    let dir = home.path();
    netid(dir)
        .args([
            "issuer",
            "keygen",
            "--issuer-id",
            "https://dev-issuer.example",
        ])
        .assert()
        .success();
    let holder = netid_core::present::SoftwareHolderKey::generate();
    let pem = holder
        .public_key()
        .to_public_key_pem(LineEnding::LF)
        .expect("pem");
    std::fs::write(dir.join("holder.pem"), pem).expect("write");
    std::fs::write(dir.join("claims.json"), RESIDENT_ID_CLAIMS).expect("write");
    let (code, v) = json_of(
        netid(dir)
            .args(["issuer", "issue", "--claims", "claims.json"])
            .args(["--holder-key", "holder.pem", "--out", "cred.cbor"])
            .current_dir(dir),
    );
    assert_eq!(code, 0, "{v}");
    let index = v["status_index"].as_u64().expect("a status index");
    (home, index)
}

#[test]
fn serves_the_trust_list_and_the_status_list_with_etags_and_cache_control() {
    let (home, index) = home_with_one_credential();
    let server = Server::start(home.path());

    let trust = get(&server.addr, "/trust-list.json");
    assert_eq!(trust.status, 200);
    assert_eq!(
        trust.body,
        std::fs::read(home.path().join("issuer/trust.json")).expect("trust file")
    );
    assert_eq!(trust.header("content-type"), Some("application/json"));
    assert_eq!(trust.header("cache-control"), Some("max-age=60"));

    let list = get(&server.addr, "/s");
    assert_eq!(list.status, 200);
    assert_eq!(
        list.header("content-type"),
        Some("application/statuslist+cwt")
    );
    // The development issuer signs its lists with a one-hour ttl.
    assert_eq!(list.header("cache-control"), Some("max-age=3600"));
    let trust_list =
        TrustList::from_json(std::str::from_utf8(&trust.body).expect("utf-8")).expect("parses");
    let token = StatusListToken::verify(
        &list.body,
        &trust_list.status_issuer_keys(),
        u64::try_from(now().as_secs()).expect("after 1970"),
    )
    .expect("the served list verifies under the served trust list");
    assert_eq!(token.uri(), "https://dev-issuer.example/s");
    assert_eq!(token.list().get(index), Ok(TokenStatus::Valid));

    let etag = list.header("etag").expect("an ETag").to_owned();
    assert!(
        etag.starts_with('"') && etag.ends_with('"') && etag.len() == 34,
        "a strong, quoted ETag: {etag}"
    );
    let again = request(&server.addr, "GET", "/s", &[("If-None-Match", &etag)]);
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), Some(etag.as_str()));
    assert_eq!(again.header("cache-control"), Some("max-age=3600"));
    let other = request(
        &server.addr,
        "GET",
        "/s",
        &[("If-None-Match", "\"0123456789abcdef0123456789abcdef\"")],
    );
    assert_eq!(other.status, 200, "another ETag gets the list");
    assert_eq!(other.body, list.body);

    let head = request(&server.addr, "HEAD", "/s", &[]);
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty(), "HEAD has no body");
    assert_eq!(head.header("etag"), Some(etag.as_str()));

    netid(home.path())
        .args(["issuer", "revoke", "--index", &index.to_string()])
        .assert()
        .success();
    let revoked = request(&server.addr, "GET", "/s", &[("If-None-Match", &etag)]);
    assert_eq!(revoked.status, 200, "the revocation is served at once");
    assert_ne!(revoked.header("etag"), Some(etag.as_str()));
    let token = StatusListToken::verify(
        &revoked.body,
        &trust_list.status_issuer_keys(),
        u64::try_from(now().as_secs()).expect("after 1970"),
    )
    .expect("verifies");
    assert_eq!(token.list().get(index), Ok(TokenStatus::Revoked));
}

#[test]
fn serves_nothing_else() {
    let (home, _) = home_with_one_credential();
    let server = Server::start(home.path());
    for path in [
        "/",
        "/issuer-key.pem",
        "/issuer/issuer-key.pem",
        "/trust.json",
        "/status-list.cwt",
        "/status.json",
        "/../issuer/issuer-key.pem",
        "/s/",
        "/s/x",
        "/trust-list.json/",
        "/S",
    ] {
        let reply = get(&server.addr, path);
        assert_eq!(reply.status, 404, "{path}");
        assert!(
            !String::from_utf8_lossy(&reply.body).contains("PRIVATE KEY"),
            "{path}"
        );
    }
    for method in ["POST", "PUT", "DELETE", "PATCH"] {
        let reply = request(&server.addr, method, "/s", &[("Content-Length", "0")]);
        assert_eq!(reply.status, 405, "{method}");
        assert_eq!(reply.header("allow"), Some("GET, HEAD"));
    }
    // The list is still there, unchanged by any of that.
    assert_eq!(get(&server.addr, "/s").status, 200);
}

#[test]
fn the_default_issuer_id_serves_its_list_at_slash_s() {
    let home = home_with_issuer();
    let server = Server::start(home.path());
    let list = get(&server.addr, "/s");
    assert_eq!(list.status, 200);
    assert_eq!(
        list.body,
        std::fs::read(home.path().join("issuer/status-list.cwt")).expect("file")
    );
}

#[test]
fn refuses_to_start_without_an_issuer_and_names_the_fix() {
    let home = tempfile::tempdir().expect("dir");
    let (code, v) =
        json_of(netid(home.path()).args(["issuer", "serve", "--listen", "127.0.0.1:0"]));
    assert_eq!(
        (code, v["error"]["kind"].as_str()),
        (2, Some("no-issuer")),
        "{v}"
    );
}

#[test]
fn a_taken_port_is_a_usage_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let home = home_with_issuer();
    let (code, v) = json_of(netid(home.path()).args(["issuer", "serve", "--listen", &addr]));
    assert_eq!(
        (code, v["error"]["kind"].as_str()),
        (2, Some("listen-failed")),
        "{v}"
    );
}

#[cfg(unix)]
#[test]
fn sigterm_stops_the_server_cleanly() {
    let home = home_with_issuer();
    let mut server = Server::start(home.path());
    assert_eq!(get(&server.addr, "/s").status, 200);
    let killed = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = server.child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still running 10 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0), "graceful shutdown exits 0");
    assert!(
        TcpStream::connect(&server.addr).is_err(),
        "no longer listening"
    );
}
