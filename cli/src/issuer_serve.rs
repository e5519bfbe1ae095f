//! `netid issuer serve --listen ADDR`: the development issuer's trust list and status list over
//! HTTP, so counters and the verifier service can fetch them as they would from a real issuer.
//!
//! This module owns the tiny read-only web server: `GET`/`HEAD /trust-list.json` (the home's
//! `issuer/trust.json`) and the status list at the path of the URI its credentials name
//! (`https://dev-issuer.example/s` is served at `/s`), each with a strong ETag (a SHA-256 prefix
//! of the bytes), `If-None-Match` → 304 and a `Cache-Control: max-age`. Both files are read
//! again on every request, so a `netid issuer revoke` in another process is served at once. It
//! must never serve any other file (no directory listing, no path mapping onto the disk), never
//! accept a method that changes anything, and never touch the issuer's private key.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;
use netid_core::issuer::TrustList;
use netid_core::status::{STATUS_LIST_CWT_TYPE, StatusListToken};
use netid_core::time::{Clock, SystemClock};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::error::{CliError, CliResult};
use crate::home::Home;
use crate::issuer_cmd;
use crate::output::{self, Output};

/// Path of the trust list.
pub const TRUST_LIST_PATH: &str = "/trust-list.json";
/// `max-age` of the trust list: a trust list changes rarely, but when the development issuer is
/// recreated (`keygen --force`) a cache should not hide the new key for long.
const TRUST_MAX_AGE_SECS: u64 = 60;
/// `max-age` of a status list without a `ttl`. The draft sets no default, and the one thing an
/// HTTP cache must not do is hide a revocation for long, so a cache revalidates within a minute;
/// a verifier's own freshness rules (docs/FORMAT.md §7) do not depend on this header.
const STATUS_DEFAULT_MAX_AGE_SECS: u64 = 60;

/// Run the server until SIGTERM or Ctrl-C.
pub fn run(home: &Home, listen: SocketAddr, out: Output) -> CliResult<()> {
    // Fail before listening if there is nothing to publish.
    let uri = issuer_cmd::status_uri(home)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            CliError::usage(
                "serve-failed",
                format!("cannot start the HTTP server's runtime: {e}"),
                "check the machine's limits on threads and file descriptors",
            )
        })?;
    runtime.block_on(serve(home.clone(), listen, &uri, out))
}

async fn serve(home: Home, listen: SocketAddr, uri: &str, out: Output) -> CliResult<()> {
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| {
        CliError::usage(
            "listen-failed",
            format!("cannot listen on {listen}: {e}"),
            "choose a free address, e.g. --listen 127.0.0.1:0 for any free port",
        )
    })?;
    let bound = listener.local_addr().map_err(|e| {
        CliError::usage(
            "listen-failed",
            format!("cannot read the address bound for {listen}: {e}"),
            "try again with an explicit port",
        )
    })?;
    // The first line of standard output names the address, for scripts and tests that asked for
    // port 0 (output flushes every write).
    let base = format!("http://{bound}");
    if out.is_json() {
        output::out_line(
            &json!({
                "listening": base,
                "trust_list": format!("{base}{TRUST_LIST_PATH}"),
                "status_list": format!("{base}{}", status_path(uri)),
                "status_uri": uri,
            })
            .to_string(),
        );
    } else {
        output::out_line(&format!("listening on {base}"));
        out.notice(&format!(
            "serving the trust list at {base}{TRUST_LIST_PATH} and the status list {uri} at \
             {base}{}; Ctrl-C or SIGTERM stops",
            status_path(uri)
        ));
    }
    let published = Arc::new(Published::new(home, out));
    let app = Router::new().fallback(handle).with_state(published);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| {
            CliError::usage(
                "serve-failed",
                format!("the HTTP server stopped: {e}"),
                "start `netid issuer serve` again",
            )
        })
}

/// Resolves on Ctrl-C or SIGTERM; in-flight requests then finish and the server exits 0.
async fn shutdown_signal() {
    let ctrl_c = async {
        // If the handler cannot be installed, only SIGTERM (or a kill) stops the server.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

/// The path at which the status list with URI `uri` is served: the path of an `http(s)://` URI
/// (`https://dev-issuer.example/s` → `/s`), or for an issuer id that is not a URL (the default
/// `netid-dev`, whose lists are `netid-dev/s`) everything after its first `/`. Either way a
/// verifier maps `uri_prefix` (`https://dev-issuer.example/`, `netid-dev/`) onto this server's
/// base URL and asks for the same path.
pub fn status_path(uri: &str) -> String {
    let rest = ["https://", "http://"]
        .iter()
        .find_map(|scheme| uri.strip_prefix(scheme))
        .unwrap_or(uri);
    match rest.find('/') {
        Some(slash) => rest[slash..].to_owned(),
        None => "/".to_owned(),
    }
}

/// The home whose files are served, and what was learnt from the last status list read (its
/// digest, `ttl` and `exp`), so the token is verified only when it changes.
struct Published {
    home: Home,
    out: Output,
    status_timing: Mutex<Option<([u8; 32], Timing)>>,
}

/// One representation: bytes, their ETag, type and `max-age`.
struct Representation {
    bytes: Vec<u8>,
    etag: String,
    content_type: &'static str,
    max_age: u64,
}

impl Published {
    fn new(home: Home, out: Output) -> Self {
        Self {
            home,
            out,
            status_timing: Mutex::new(None),
        }
    }

    /// What `path` names, read from disk now; `Ok(None)` for any other path.
    fn lookup(&self, path: &str) -> Result<Option<Representation>, StatusCode> {
        // Reading two files of a few kilobytes from local disk is quicker than handing them to
        // a blocking pool; a development server sees a handful of requests a second.
        if path == TRUST_LIST_PATH {
            let bytes = read(&self.home.trust_list())?;
            return Ok(Some(Representation {
                etag: etag(&bytes),
                bytes,
                content_type: "application/json",
                max_age: TRUST_MAX_AGE_SECS,
            }));
        }
        // The URI is read again too: `keygen --force` with another issuer id moves the list.
        let uri =
            issuer_cmd::status_uri(&self.home).map_err(|_| StatusCode::SERVICE_UNAVAILABLE)?;
        if path != status_path(&uri) {
            return Ok(None);
        }
        let bytes = read(&issuer_cmd::status_list_file(&self.home.issuer_dir()))?;
        let max_age = self.status_max_age(&bytes);
        Ok(Some(Representation {
            etag: etag(&bytes),
            bytes,
            content_type: STATUS_LIST_CWT_TYPE,
            max_age,
        }))
    }

    /// The status list's `max-age`: its `ttl` (or a minute without one), cut short by its
    /// `exp`. A list that does not verify under the home's own trust list (expired: run `netid
    /// issuer status-list`) is still served, since refusing it is the verifier's job, but with
    /// `max-age=0`, and a notice says why.
    fn status_max_age(&self, bytes: &[u8]) -> u64 {
        let digest: [u8; 32] = Sha256::digest(bytes).into();
        let now = u64::try_from(SystemClock.now().as_secs()).unwrap_or(0);
        let mut known = self
            .status_timing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let timing = match &*known {
            Some((seen, timing)) if *seen == digest => *timing,
            _ => {
                let timing = self.timing_of(bytes, now);
                *known = Some((digest, timing));
                timing
            }
        };
        match timing {
            Some((ttl, exp)) => {
                let max_age = ttl.unwrap_or(STATUS_DEFAULT_MAX_AGE_SECS);
                // The `exp` cap moves with the clock while the list stays the same.
                exp.map_or(max_age, |exp| max_age.min(exp.saturating_sub(now)))
            }
            None => 0,
        }
    }

    /// The token's `ttl` and `exp` if it verifies under the home's trust list at `now`.
    fn timing_of(&self, bytes: &[u8], now: u64) -> Option<(Option<u64>, Option<u64>)> {
        let verified = TrustList::load(&self.home.trust_list())
            .map_err(|e| e.to_string())
            .and_then(|trust| {
                StatusListToken::verify(bytes, &trust.status_issuer_keys(), now)
                    .map_err(|e| e.to_string())
            });
        match verified {
            Ok(token) => Some((token.time_to_live(), token.expires_at())),
            Err(e) => {
                self.out.notice(&format!(
                    "notice: the published status list does not verify against this home's \
                     trust list ({e}); it is served with max-age=0 and verifiers will refuse \
                     it — run `netid issuer status-list` to publish a fresh one"
                ));
                None
            }
        }
    }
}

type Timing = Option<(Option<u64>, Option<u64>)>;

async fn handle(
    State(published): State<Arc<Published>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let found = match published.lookup(uri.path()) {
        Ok(Some(found)) => found,
        Ok(None) => return plain(StatusCode::NOT_FOUND, "not found\n"),
        Err(code) => return plain(code, "the published file cannot be read\n"),
    };
    if method != Method::GET && method != Method::HEAD {
        let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD\n");
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    let not_modified = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .any(|value| if_none_match_hits(value.as_bytes(), &found.etag));
    let mut response = if not_modified {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        response
    } else {
        let mut response = Response::new(Body::from(found.bytes));
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(found.content_type),
        );
        response
    };
    let headers = response.headers_mut();
    // RFC 9110 §15.4.5: a 304 carries the ETag and Cache-Control a 200 would have.
    if let Ok(etag) = HeaderValue::from_str(&found.etag) {
        headers.insert(header::ETAG, etag);
    }
    if let Ok(cache) = HeaderValue::from_str(&format!("max-age={}", found.max_age)) {
        headers.insert(header::CACHE_CONTROL, cache);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn plain(code: StatusCode, text: &'static str) -> Response {
    let mut response = Response::new(Body::from(text));
    *response.status_mut() = code;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// Whether an `If-None-Match` field value names `etag` (or is `*`). RFC 9110 §13.1.2 compares
/// with the weak function, so `W/"x"` matches `"x"`.
fn if_none_match_hits(value: &[u8], etag: &str) -> bool {
    let Ok(value) = std::str::from_utf8(value) else {
        return false;
    };
    value.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == etag
    })
}

/// A strong ETag: the first 16 bytes of the SHA-256 of the bytes, hex, quoted.
pub fn etag(bytes: &[u8]) -> String {
    format!("\"{}\"", hex::encode(&Sha256::digest(bytes)[..16]))
}

/// The file at `path`: 404 when it does not exist, 503 when it cannot be read.
fn read(path: &Path) -> Result<Vec<u8>, StatusCode> {
    std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => StatusCode::NOT_FOUND,
        _ => StatusCode::SERVICE_UNAVAILABLE,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lists_are_served_at_their_uris_path() {
        assert_eq!(status_path("https://dev-issuer.example/s"), "/s");
        assert_eq!(
            status_path("http://dev-issuer.example:8443/lists/7"),
            "/lists/7"
        );
        assert_eq!(status_path("netid-dev/s"), "/s");
        assert_eq!(status_path("https://dev-issuer.example"), "/");
    }

    #[test]
    fn if_none_match_compares_weakly_and_accepts_lists_and_star() {
        let tag = etag(b"list");
        assert!(if_none_match_hits(tag.as_bytes(), &tag));
        assert!(if_none_match_hits(format!("W/{tag}").as_bytes(), &tag));
        assert!(if_none_match_hits(
            format!("\"other\", {tag}").as_bytes(),
            &tag
        ));
        assert!(if_none_match_hits(b"*", &tag));
        assert!(!if_none_match_hits(b"\"other\"", &tag));
        assert!(!if_none_match_hits(etag(b"list2").as_bytes(), &tag));
        assert!(!if_none_match_hits(&[0xff, 0xfe], &tag));
        assert_eq!(tag.len(), 34);
    }
}
