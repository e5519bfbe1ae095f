//! One conditional HTTP GET of a published list (trust list or status list), with every limit a
//! fetcher exposed to a network needs: a connect timeout and a total timeout, a size cap checked
//! before and while the body arrives, redirects only within the same origin (at most 3), no
//! proxy, no cookies.
//!
//! This module owns the transport only: it hands back bytes and the ETag, a 304, or a
//! [`SourceFailure`] saying what went wrong. It never decides whether the bytes are believable
//! (that is admission's job) and never puts anything but the URL it was given into an error.

use std::time::Duration;

use reqwest::header::{ETAG, IF_NONE_MATCH};
use reqwest::{StatusCode, Url};

use super::SourceFailure;

/// A client shared by every fetch of one component.
#[derive(Debug, Clone)]
pub(crate) struct Fetcher {
    client: reqwest::Client,
}

/// What a fetch brought back.
#[derive(Debug)]
pub(crate) enum Fetched {
    /// `200 OK`: the body and the ETag, if the server sent one.
    Body {
        bytes: Vec<u8>,
        etag: Option<String>,
    },
    /// `304 Not Modified`: the representation with the ETag sent is still current.
    NotModified,
}

/// At most this many redirects, each within the origin first asked.
const MAX_REDIRECTS: usize = 3;

#[derive(Debug, thiserror::Error)]
#[error("redirect to another origin refused")]
struct OtherOrigin;

#[derive(Debug, thiserror::Error)]
#[error("more than {MAX_REDIRECTS} redirects")]
struct TooManyRedirects;

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

impl Fetcher {
    /// A client with these timeouts.
    pub fn new(connect_timeout: Duration, total_timeout: Duration) -> Result<Self, String> {
        let redirects = reqwest::redirect::Policy::custom(|attempt| {
            let first = attempt.previous().first().cloned();
            if attempt.previous().len() > MAX_REDIRECTS {
                attempt.error(TooManyRedirects)
            } else if first.is_some_and(|first| same_origin(&first, attempt.url())) {
                attempt.follow()
            } else {
                attempt.error(OtherOrigin)
            }
        });
        let client = reqwest::Client::builder()
            .connect_timeout(connect_timeout)
            .timeout(total_timeout)
            .redirect(redirects)
            // A proxy from the environment would be a host the configuration does not name.
            .no_proxy()
            .user_agent(concat!("netid-verifier/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self { client })
    }

    /// GET `url`, with `If-None-Match: etag` when given; a body over `max_bytes` is refused.
    pub async fn get(
        &self,
        url: &Url,
        etag: Option<&str>,
        max_bytes: u64,
    ) -> Result<Fetched, SourceFailure> {
        let mut request = self.client.get(url.clone());
        if let Some(etag) = etag {
            request = request.header(IF_NONE_MATCH, etag);
        }
        let mut response = request.send().await.map_err(transport)?;
        match response.status() {
            StatusCode::OK => {}
            StatusCode::NOT_MODIFIED if etag.is_some() => return Ok(Fetched::NotModified),
            status => return Err(SourceFailure::HttpStatus(status.as_u16())),
        }
        if response.content_length().is_some_and(|n| n > max_bytes) {
            return Err(SourceFailure::TooLarge { max_bytes });
        }
        let etag = response
            .headers()
            .get(ETAG)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let mut bytes = Vec::new();
        // Read chunk by chunk so a body without Content-Length (or a lying one) stops at the cap.
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if bytes.len() as u64 + chunk.len() as u64 > max_bytes {
                return Err(SourceFailure::TooLarge { max_bytes });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Fetched::Body { bytes, etag })
    }
}

/// A reqwest error as the failure kinds the metrics count.
fn transport(error: reqwest::Error) -> SourceFailure {
    if error.is_timeout() {
        SourceFailure::Timeout
    } else if error.is_redirect() {
        SourceFailure::Redirect
    } else if error.is_connect() {
        SourceFailure::Connect
    } else {
        SourceFailure::Transfer
    }
}
