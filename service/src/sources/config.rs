//! The `[trust]` and `[status]` sections of the service's configuration file: where the trust list
//! comes from, which status list URIs are fetched from where, how often, and the limits on
//! freshness, time and size.
//!
//! This module owns parsing and checking those sections into [`ValidSources`]; every mistake is
//! a [`ConfigError`] naming the key to fix. It never reads a file or opens a connection, and it
//! never lets a credential's URI choose a host: a status list is fetched only from a configured
//! `fetch_prefix`, under the same scheme, host and port, whatever the URI's remainder says.

use std::path::PathBuf;
use std::time::Duration;

use reqwest::Url;
use serde::Deserialize;

/// `[trust]` + `[status]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourcesConfig {
    /// Where the trust list comes from.
    pub trust: TrustSource,
    /// Status lists: refresh, freshness limits and sources.
    pub status: StatusConfig,
}

/// `[trust]`: exactly one of `file` and `url`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustSource {
    /// A trust list file (docs/FORMAT.md §8), re-read when it changes.
    #[serde(default)]
    pub file: Option<PathBuf>,
    /// A trust list URL (`http://` or `https://`), fetched with `If-None-Match`.
    #[serde(default)]
    pub url: Option<String>,
    /// How often the trust list is checked for a change.
    #[serde(default = "default_trust_refresh")]
    pub refresh_seconds: u64,
}

/// `[status]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusConfig {
    /// Interval between two fetches of each status list.
    #[serde(default = "default_status_refresh")]
    pub refresh_seconds: u64,
    /// Freshness of a list whose token has no `ttl` (docs/FORMAT.md §7's default, 3,600 s).
    #[serde(default = "default_ttl")]
    pub default_ttl_seconds: u64,
    /// The hard limit: how long after a list went stale it may still vouch for a credential. Past
    /// it, an entry the list says is valid answers Unavailable (revoked and suspended entries
    /// still answer), and `/readyz` fails while a configured list is past it.
    #[serde(default = "default_max_stale")]
    pub max_stale_seconds: u64,
    /// The rollback guard's record across restarts (docs/FORMAT.md §7); one file per instance.
    /// Without it the guard lasts for the process's lifetime only.
    #[serde(default)]
    pub state_file: Option<PathBuf>,
    /// Time allowed to open a connection.
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout_seconds: u64,
    /// Time allowed for a whole fetch, connection to last byte.
    #[serde(default = "default_fetch_timeout")]
    pub fetch_timeout_seconds: u64,
    /// Largest status list token accepted, in bytes as served (its `lst` is compressed).
    #[serde(default = "default_max_list_bytes")]
    pub max_list_bytes: u64,
    /// `[[status.source]]`: where lists are read from.
    #[serde(default, rename = "source")]
    pub sources: Vec<StatusSource>,
}

/// `[[status.source]]`: either `uri_prefix` + `fetch_prefix` (+ `lists`), fetched over HTTP, or
/// `uri` + `file`, one list read from a file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusSource {
    /// HTTP: status URIs starting with this (ending in `/`) are fetched from `fetch_prefix`.
    #[serde(default)]
    pub uri_prefix: Option<String>,
    /// HTTP: the base URL that replaces `uri_prefix` (ending in `/`).
    #[serde(default)]
    pub fetch_prefix: Option<String>,
    /// HTTP: the lists fetched from start and kept fresh (`/readyz` waits for them). Other URIs
    /// under the prefix are fetched once a credential names them.
    #[serde(default)]
    pub lists: Vec<String>,
    /// File: the one status list URI the file holds.
    #[serde(default)]
    pub uri: Option<String>,
    /// File: the token file, re-read when it changes.
    #[serde(default)]
    pub file: Option<PathBuf>,
}

fn default_trust_refresh() -> u64 {
    60
}
fn default_status_refresh() -> u64 {
    30
}
fn default_ttl() -> u64 {
    3600
}
fn default_max_stale() -> u64 {
    // A day: long enough to ride out an issuer's outage overnight, short enough that a counter
    // is not vouching for credentials from a list that old.
    86_400
}
fn default_connect_timeout() -> u64 {
    5
}
fn default_fetch_timeout() -> u64 {
    10
}
fn default_max_list_bytes() -> u64 {
    1024 * 1024
}

/// Largest `max_list_bytes` allowed: the core refuses lists that inflate past 16 MiB anyway.
pub const MAX_LIST_BYTES_LIMIT: u64 = 16 * 1024 * 1024;

/// A configuration mistake, naming the key to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// `[trust]` names neither or both sources.
    #[error("[trust] needs exactly one of `file` and `url`")]
    TrustSourceCount,
    /// A URL key is not an absolute `http://` or `https://` URL of the expected shape.
    #[error("{key} = {value:?} is not usable: {reason}")]
    BadUrl {
        /// The key, e.g. `[trust] url`.
        key: String,
        /// The value given (a URL from the configuration, not personal data).
        value: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A number is out of its range.
    #[error("{key} = {value} is out of range: {expected}")]
    OutOfRange {
        /// The key.
        key: &'static str,
        /// The value given.
        value: u64,
        /// The accepted range.
        expected: &'static str,
    },
    /// A `[[status.source]]` mixes or misses the keys of the two kinds.
    #[error(
        "[[status.source]] #{index}: give either `uri_prefix` + `fetch_prefix` (+ `lists`) for \
         HTTP, or `uri` + `file` for a file"
    )]
    SourceShape {
        /// Position of the source, from 1.
        index: usize,
    },
    /// A prefix or URI is empty, or a prefix does not end in `/`.
    #[error(
        "[[status.source]] #{index}: {key} = {value:?} must be non-empty{}",
        if *key == "uri_prefix" { " and end in `/`" } else { "" }
    )]
    BadUri {
        /// Position of the source, from 1.
        index: usize,
        /// The key.
        key: &'static str,
        /// The value given.
        value: String,
    },
    /// A list named in `lists` is not under its source's `uri_prefix`.
    #[error("[[status.source]] #{index}: list {list:?} does not start with uri_prefix {prefix:?}")]
    ListOutsidePrefix {
        /// Position of the source, from 1.
        index: usize,
        /// The list.
        list: String,
        /// The source's prefix.
        prefix: String,
    },
    /// Two sources could both answer for one URI.
    #[error(
        "[[status.source]] #{first} and #{second} overlap ({what:?}); every status URI must have \
         one source"
    )]
    OverlappingSources {
        /// Position of the first source, from 1.
        first: usize,
        /// Position of the second source, from 1.
        second: usize,
        /// The prefix or URI they share.
        what: String,
    },
}

/// The checked configuration the running component uses.
#[derive(Debug, Clone)]
pub(crate) struct ValidSources {
    pub trust: TrustFrom,
    pub trust_refresh: Duration,
    pub status_refresh: Duration,
    pub default_ttl_seconds: u64,
    pub max_stale_seconds: u64,
    pub state_file: Option<PathBuf>,
    pub connect_timeout: Duration,
    pub fetch_timeout: Duration,
    pub max_list_bytes: u64,
    pub sources: Vec<Source>,
}

#[derive(Debug, Clone)]
pub(crate) enum TrustFrom {
    File(PathBuf),
    Url(Url),
}

#[derive(Debug, Clone)]
pub(crate) enum Source {
    Http {
        uri_prefix: String,
        fetch_prefix: Url,
        lists: Vec<String>,
    },
    File {
        uri: String,
        file: PathBuf,
    },
}

impl ValidSources {
    /// Where the list at `uri` is read from, if any source covers it: the URL to fetch, or the
    /// file. `None` for a URI no source covers, or whose remainder would leave the fetch prefix.
    pub fn locate(&self, uri: &str) -> Option<Location> {
        self.sources.iter().find_map(|source| match source {
            Source::Http {
                uri_prefix,
                fetch_prefix,
                ..
            } => {
                let rest = uri.strip_prefix(uri_prefix.as_str())?;
                fetch_url(fetch_prefix, rest).map(Location::Url)
            }
            Source::File { uri: own, file } => (own == uri).then(|| Location::File(file.clone())),
        })
    }
}

/// Where one list is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Location {
    Url(Url),
    File(PathBuf),
}

/// `fetch_prefix` + `rest`, only if the result stays under the prefix: same scheme, host and port,
/// a path that starts with the prefix's path, no query or fragment, no empty, `.` or `..`
/// segment, no percent-escape (so nothing is decoded into a `/` or `..` later) and no backslash.
fn fetch_url(fetch_prefix: &Url, rest: &str) -> Option<Url> {
    if rest.is_empty()
        || rest
            .chars()
            .any(|c| matches!(c, '?' | '#' | '%' | '\\') || c.is_whitespace() || c.is_control())
        || rest
            .split('/')
            .any(|segment| segment.is_empty() || segment == ".." || segment == ".")
    {
        return None;
    }
    let url = fetch_prefix.join(rest).ok()?;
    let same_origin = url.scheme() == fetch_prefix.scheme()
        && url.host_str() == fetch_prefix.host_str()
        && url.port_or_known_default() == fetch_prefix.port_or_known_default();
    (same_origin && url.path().starts_with(fetch_prefix.path()) && url.query().is_none())
        .then_some(url)
}

fn http_url(key: String, value: &str, must_end_in_slash: bool) -> Result<Url, ConfigError> {
    let bad = |reason| ConfigError::BadUrl {
        key: key.clone(),
        value: value.to_owned(),
        reason,
    };
    let url = Url::parse(value).map_err(|_| bad("not an absolute URL"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("only http:// and https:// are fetched"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("no query or fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("no credentials in the URL"));
    }
    if must_end_in_slash && !url.path().ends_with('/') {
        return Err(bad("a prefix must end in `/`"));
    }
    Ok(url)
}

fn in_range(
    key: &'static str,
    value: u64,
    range: std::ops::RangeInclusive<u64>,
    expected: &'static str,
) -> Result<u64, ConfigError> {
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(ConfigError::OutOfRange {
            key,
            value,
            expected,
        })
    }
}

impl SourcesConfig {
    /// Check every key and return what the component runs on.
    pub(crate) fn validate(&self) -> Result<ValidSources, ConfigError> {
        let trust = match (&self.trust.file, &self.trust.url) {
            (Some(file), None) => TrustFrom::File(file.clone()),
            (None, Some(url)) => TrustFrom::Url(http_url("[trust] url".into(), url, false)?),
            _ => return Err(ConfigError::TrustSourceCount),
        };
        const DAY: u64 = 86_400;
        let trust_refresh = in_range(
            "[trust] refresh_seconds",
            self.trust.refresh_seconds,
            1..=DAY,
            "1 to 86400",
        )?;
        let s = &self.status;
        let status_refresh = in_range(
            "[status] refresh_seconds",
            s.refresh_seconds,
            1..=DAY,
            "1 to 86400",
        )?;
        let default_ttl_seconds = in_range(
            "[status] default_ttl_seconds",
            s.default_ttl_seconds,
            1..=30 * DAY,
            "1 to 2592000",
        )?;
        let max_stale_seconds = in_range(
            "[status] max_stale_seconds",
            s.max_stale_seconds,
            0..=365 * DAY,
            "0 to 31536000",
        )?;
        let connect = in_range(
            "[status] connect_timeout_seconds",
            s.connect_timeout_seconds,
            1..=60,
            "1 to 60",
        )?;
        let fetch = in_range(
            "[status] fetch_timeout_seconds",
            s.fetch_timeout_seconds,
            1..=300,
            "1 to 300",
        )?;
        let max_list_bytes = in_range(
            "[status] max_list_bytes",
            s.max_list_bytes,
            1..=MAX_LIST_BYTES_LIMIT,
            "1 to 16777216",
        )?;
        let sources = s
            .sources
            .iter()
            .enumerate()
            .map(|(i, source)| source.validate(i + 1))
            .collect::<Result<Vec<_>, _>>()?;
        check_no_overlap(&sources)?;
        Ok(ValidSources {
            trust,
            trust_refresh: Duration::from_secs(trust_refresh),
            status_refresh: Duration::from_secs(status_refresh),
            default_ttl_seconds,
            max_stale_seconds,
            state_file: s.state_file.clone(),
            connect_timeout: Duration::from_secs(connect),
            fetch_timeout: Duration::from_secs(fetch),
            max_list_bytes,
            sources,
        })
    }
}

impl StatusSource {
    fn validate(&self, index: usize) -> Result<Source, ConfigError> {
        match self {
            Self {
                uri_prefix: Some(prefix),
                fetch_prefix: Some(fetch),
                lists,
                uri: None,
                file: None,
            } => {
                if prefix.is_empty() || !prefix.ends_with('/') {
                    return Err(ConfigError::BadUri {
                        index,
                        key: "uri_prefix",
                        value: prefix.clone(),
                    });
                }
                let fetch_prefix = http_url(
                    format!("[[status.source]] #{index} fetch_prefix"),
                    fetch,
                    true,
                )?;
                for list in lists {
                    let outside = list
                        .strip_prefix(prefix.as_str())
                        .is_none_or(|rest| fetch_url(&fetch_prefix, rest).is_none());
                    if outside {
                        return Err(ConfigError::ListOutsidePrefix {
                            index,
                            list: list.clone(),
                            prefix: prefix.clone(),
                        });
                    }
                }
                Ok(Source::Http {
                    uri_prefix: prefix.clone(),
                    fetch_prefix,
                    lists: lists.clone(),
                })
            }
            Self {
                uri_prefix: None,
                fetch_prefix: None,
                lists,
                uri: Some(uri),
                file: Some(file),
            } if lists.is_empty() => {
                if uri.is_empty() {
                    return Err(ConfigError::BadUri {
                        index,
                        key: "uri",
                        value: uri.clone(),
                    });
                }
                Ok(Source::File {
                    uri: uri.clone(),
                    file: file.clone(),
                })
            }
            _ => Err(ConfigError::SourceShape { index }),
        }
    }
}

/// No URI may be covered by two sources: a prefix inside another, a file URI under a prefix, or
/// two files for one URI.
fn check_no_overlap(sources: &[Source]) -> Result<(), ConfigError> {
    let key = |source: &Source| match source {
        Source::Http { uri_prefix, .. } => (uri_prefix.clone(), true),
        Source::File { uri, .. } => (uri.clone(), false),
    };
    for (i, a) in sources.iter().enumerate() {
        for (j, b) in sources.iter().enumerate().skip(i + 1) {
            let ((ka, prefix_a), (kb, prefix_b)) = (key(a), key(b));
            let overlap =
                ka == kb || (prefix_a && kb.starts_with(&ka)) || (prefix_b && ka.starts_with(&kb));
            if overlap {
                return Err(ConfigError::OverlappingSources {
                    first: i + 1,
                    second: j + 1,
                    what: if ka.len() <= kb.len() { ka } else { kb },
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ValidSources, ConfigError> {
        toml::from_str::<SourcesConfig>(text)
            .expect("parses")
            .validate()
    }

    const HTTP: &str = r#"
        [trust]
        url = "http://127.0.0.1:8080/trust-list.json"
        [status]
        [[status.source]]
        uri_prefix = "https://dev-issuer.example/"
        fetch_prefix = "http://127.0.0.1:8080/"
        lists = ["https://dev-issuer.example/s"]
    "#;

    #[test]
    fn an_http_configuration_maps_uris_onto_the_fetch_prefix_only() {
        let valid = parse(HTTP).expect("valid");
        assert_eq!(valid.status_refresh, Duration::from_secs(30));
        assert_eq!(valid.default_ttl_seconds, 3600);
        let at = |uri: &str| valid.locate(uri);
        assert_eq!(
            at("https://dev-issuer.example/s"),
            Some(Location::Url(
                Url::parse("http://127.0.0.1:8080/s").expect("url")
            ))
        );
        assert_eq!(
            at("https://dev-issuer.example/lists/2"),
            Some(Location::Url(
                Url::parse("http://127.0.0.1:8080/lists/2").expect("url")
            ))
        );
        // Nothing a credential writes after the prefix leaves the configured origin.
        for uri in [
            "https://other.example/s",
            "https://dev-issuer.example.evil/s",
            "https://dev-issuer.example/",
            "https://dev-issuer.example//evil.example/s",
            "https://dev-issuer.example/../s",
            "https://dev-issuer.example/a/../../s",
            "https://dev-issuer.example/%2e%2e/s",
            "https://dev-issuer.example/s?x=1",
            "https://dev-issuer.example/s#f",
            "https://dev-issuer.example/\\\\evil.example/s",
            "https://dev-issuer.example/s t",
            "http://dev-issuer.example/s",
        ] {
            assert_eq!(at(uri), None, "{uri}");
        }
    }

    #[test]
    fn mistakes_name_the_key_to_fix() {
        type Expect = fn(&ConfigError) -> bool;
        let cases: &[(&str, Expect)] = &[
            ("[trust]\n[status]", |e| *e == ConfigError::TrustSourceCount),
            (
                "[trust]\nfile = \"t.json\"\nurl = \"http://a/t\"\n[status]",
                |e| *e == ConfigError::TrustSourceCount,
            ),
            ("[trust]\nurl = \"ftp://a/t\"\n[status]", |e| {
                matches!(e, ConfigError::BadUrl { .. })
            }),
            (
                "[trust]\nfile = \"t.json\"\n[status]\nrefresh_seconds = 0",
                |e| {
                    matches!(
                        e,
                        ConfigError::OutOfRange {
                            key: "[status] refresh_seconds",
                            ..
                        }
                    )
                },
            ),
            (
                "[trust]\nfile = \"t.json\"\n[status]\nmax_list_bytes = 20000000",
                |e| {
                    matches!(
                        e,
                        ConfigError::OutOfRange {
                            key: "[status] max_list_bytes",
                            ..
                        }
                    )
                },
            ),
            (
                "[trust]\nfile = \"t.json\"\n[status]\n[[status.source]]\nuri_prefix = \"a/\"\nfile = \"s.cwt\"",
                |e| *e == ConfigError::SourceShape { index: 1 },
            ),
            (
                "[trust]\nfile = \"t.json\"\n[status]\n[[status.source]]\nuri_prefix = \"https://a.example\"\nfetch_prefix = \"http://127.0.0.1/\"",
                |e| {
                    matches!(
                        e,
                        ConfigError::BadUri {
                            key: "uri_prefix",
                            ..
                        }
                    )
                },
            ),
            (
                "[trust]\nfile = \"t.json\"\n[status]\n[[status.source]]\nuri_prefix = \"https://a.example/\"\nfetch_prefix = \"http://127.0.0.1/base\"",
                |e| matches!(e, ConfigError::BadUrl { .. }),
            ),
            (
                "[trust]\nfile = \"t.json\"\n[status]\n[[status.source]]\nuri_prefix = \"https://a.example/\"\nfetch_prefix = \"http://127.0.0.1/\"\nlists = [\"https://b.example/s\"]",
                |e| matches!(e, ConfigError::ListOutsidePrefix { .. }),
            ),
            (
                "[trust]\nfile = \"t.json\"\n[status]\n[[status.source]]\nuri_prefix = \"https://a.example/\"\nfetch_prefix = \"http://127.0.0.1/\"\n[[status.source]]\nuri = \"https://a.example/s\"\nfile = \"s.cwt\"",
                |e| {
                    matches!(
                        e,
                        ConfigError::OverlappingSources {
                            first: 1,
                            second: 2,
                            ..
                        }
                    )
                },
            ),
        ];
        for (text, expected) in cases {
            let error = parse(text).expect_err(text);
            assert!(expected(&error), "{text}: {error}");
            assert!(!error.to_string().is_empty());
        }
        assert!(
            toml::from_str::<SourcesConfig>("[trust]\nfile = \"t\"\nrefresh = 3\n[status]")
                .is_err(),
            "unknown keys are refused"
        );
    }
}
