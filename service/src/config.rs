//! The service's configuration: one TOML file (docs/service.md, "Configuration").
//!
//! This module owns parsing and checking that file. A bad file is refused as a whole, before
//! anything listens, with the offending key named (`counter[1].token_sha256: ...`); nothing is
//! guessed or defaulted silently except the documented defaults. It holds token *hashes* only:
//! a counter's bearer token never appears in the file, in memory after start, or in a message.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use netid_core::present::Purpose;
use netid_core::verify::{
    DEFAULT_MAX_AGE_SECS, DEFAULT_SKEW_SECS, Policy, VerifierOptions, VerifierOptionsError,
};
use serde::Deserialize;

use crate::sources::{ConfigError as SourcesConfigError, SourcesConfig, StatusConfig, TrustSource};

/// A configuration that parsed and passed every check.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on, e.g. `127.0.0.1:8088`; `--listen` overrides it.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// Where the trust list comes from (`[trust]`, docs/service.md).
    pub trust: TrustSource,
    /// Where status lists come from, how often, how stale they may get (`[status]`).
    pub status: StatusConfig,
    /// The verifier's time rules.
    #[serde(default)]
    pub verifier: VerifierConfig,
    /// The replay cache (Redis when a URL is given here or with `--redis`).
    #[serde(default)]
    pub replay: ReplayConfig,
    /// Limits on requests.
    #[serde(default)]
    pub limits: LimitsConfig,
    /// The purposes this service verifies for; default: all of netid's purposes with their
    /// default policies.
    #[serde(default)]
    pub purposes: Vec<PurposeConfig>,
    /// The counters allowed to call `/v1/*`.
    #[serde(rename = "counter")]
    pub counters: Vec<CounterConfig>,
    /// The counter desk page (`/desk`).
    #[serde(default)]
    pub desk: DeskConfig,
}

/// The counter desk page (`[desk]`, docs/desk.md).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeskConfig {
    /// How long a desk stays signed in, hours (a shift): 1 to 24.
    #[serde(default = "default_session_hours")]
    pub session_hours: u32,
    /// Mark the session cookie `Secure` (and name it `__Host-netid-desk`): browsers then send it
    /// only over HTTPS, or to `localhost`. Turn off only for a plain-HTTP test on a LAN address.
    #[serde(default = "default_true")]
    pub secure_cookie: bool,
}

impl Default for DeskConfig {
    fn default() -> Self {
        Self {
            session_hours: default_session_hours(),
            secure_cookie: true,
        }
    }
}

fn default_session_hours() -> u32 {
    12
}

fn default_true() -> bool {
    true
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8088))
}

/// The verifier's time rules (docs/FORMAT.md §6).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifierConfig {
    /// Clock skew tolerated between phones and this service, seconds.
    #[serde(default = "default_skew")]
    pub skew_seconds: u32,
    /// Maximum age of a code, seconds.
    #[serde(default = "default_max_age")]
    pub max_age_seconds: u32,
    /// Accept a credential whose status list is stale (the answer carries `status_stale_since`).
    #[serde(default)]
    pub accept_stale_status: bool,
}

impl Default for VerifierConfig {
    fn default() -> Self {
        Self {
            skew_seconds: default_skew(),
            max_age_seconds: default_max_age(),
            accept_stale_status: false,
        }
    }
}

fn default_skew() -> u32 {
    DEFAULT_SKEW_SECS
}

fn default_max_age() -> u32 {
    DEFAULT_MAX_AGE_SECS
}

/// The replay cache.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplayConfig {
    /// `redis://host:port` of a single Redis; `--redis` overrides it.
    pub redis_url: Option<String>,
    /// Seed nodes of a Redis Cluster (`redis://host:port` each), instead of `redis_url`.
    #[serde(default)]
    pub redis_cluster: Vec<String>,
    /// Deadline for one replay-cache operation, milliseconds; past it the code is refused
    /// `replay-cache-unavailable`.
    #[serde(default = "default_replay_timeout")]
    pub timeout_ms: u64,
    /// Key prefix, so several deployments can share one Redis.
    #[serde(default = "default_key_prefix")]
    pub key_prefix: String,
    /// Skip the start-up check that Redis never evicts keys (for a managed Redis whose CONFIG
    /// command is disabled): the operator asserts `maxmemory-policy noeviction`.
    #[serde(default)]
    pub assume_noeviction: bool,
    /// Most entries the in-process cache keeps (refuses when full of unexpired entries).
    #[serde(default = "default_in_process_capacity")]
    pub in_process_capacity: usize,
    /// Lifetime of a challenge nonce, seconds.
    #[serde(default = "default_challenge_ttl")]
    pub challenge_ttl_seconds: u64,
}

impl Default for ReplayConfig {
    fn default() -> Self {
        Self {
            redis_url: None,
            redis_cluster: Vec::new(),
            timeout_ms: default_replay_timeout(),
            key_prefix: default_key_prefix(),
            assume_noeviction: false,
            in_process_capacity: default_in_process_capacity(),
            challenge_ttl_seconds: default_challenge_ttl(),
        }
    }
}

fn default_replay_timeout() -> u64 {
    250
}

fn default_key_prefix() -> String {
    "netid".into()
}

fn default_in_process_capacity() -> usize {
    1_000_000
}

fn default_challenge_ttl() -> u64 {
    120
}

/// Limits on requests.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    /// Largest request body, bytes (a code is at most 8 KiB of presentation).
    #[serde(default = "default_max_body")]
    pub max_body_bytes: usize,
    /// Time a client has to send its request headers, milliseconds (slow clients are cut off).
    #[serde(default = "default_header_timeout")]
    pub header_timeout_ms: u64,
    /// Time a whole request may take, body included, milliseconds.
    #[serde(default = "default_request_timeout")]
    pub request_timeout_ms: u64,
    /// Most connections served at once; further ones wait in the kernel's backlog.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: default_max_body(),
            header_timeout_ms: default_header_timeout(),
            request_timeout_ms: default_request_timeout(),
            max_connections: default_max_connections(),
        }
    }
}

fn default_max_body() -> usize {
    16 * 1024
}

fn default_header_timeout() -> u64 {
    5_000
}

fn default_request_timeout() -> u64 {
    10_000
}

fn default_max_connections() -> usize {
    4_096
}

/// One purpose the service verifies for, optionally with a stricter policy than netid's
/// default.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PurposeConfig {
    /// netid's purpose name (`hotel`, `cafe`, `ticket`, `gov`).
    pub name: String,
    /// Claims that must be shown, replacing the default list.
    pub required_claims: Option<Vec<String>>,
    /// Lowest assurance level (`basic`, `enhanced`).
    pub min_assurance: Option<String>,
    /// Document types accepted.
    pub doc_types: Option<Vec<String>>,
}

/// One counter allowed to call the API.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CounterConfig {
    /// Its name in audit lines and metrics, e.g. `desk-1`.
    pub id: String,
    /// SHA-256 of its bearer token, 64 hex digits.
    pub token_sha256: String,
    /// Sustained verifications per second allowed, per service instance.
    #[serde(default = "default_rate")]
    pub rate_per_second: u32,
    /// Burst allowed above the rate.
    #[serde(default = "default_burst")]
    pub burst: u32,
    /// Its registered-counter certificate and key (`netid issuer register-counter`): with them
    /// `/v1/challenge` answers a signed request (docs/FORMAT.md §13) and `/v1/verify` accepts only
    /// the answer to it.
    #[serde(default)]
    pub registered: Option<RegisteredCounterConfig>,
    /// The counter's request signer, loaded from `registered` when the file is checked.
    #[serde(skip)]
    pub signer: Option<std::sync::Arc<netid_core::counter::CounterSigner>>,
}

/// Where a registered counter's certificate and private key are (relative paths are read from
/// the configuration file's directory).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisteredCounterConfig {
    /// The certificate (`certificate.cbor`).
    pub certificate: PathBuf,
    /// The counter's private key, PKCS#8 PEM (`counter-key.pem`); must not be readable by group
    /// or others.
    pub key: PathBuf,
}

impl RegisteredCounterConfig {
    fn load(&self, dir: &Path) -> Result<netid_core::counter::CounterSigner, String> {
        let certificate_path = dir.join(&self.certificate);
        let key_path = dir.join(&self.key);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&key_path)
                .map_err(|e| format!("cannot read {}: {e}", key_path.display()))?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                return Err(format!(
                    "{} is readable by others (mode {:o}); chmod 600 it",
                    key_path.display(),
                    mode & 0o777
                ));
            }
        }
        let certificate = std::fs::read(&certificate_path)
            .map_err(|e| format!("cannot read {}: {e}", certificate_path.display()))?;
        let key = zeroize::Zeroizing::new(
            std::fs::read_to_string(&key_path)
                .map_err(|e| format!("cannot read {}: {e}", key_path.display()))?,
        );
        netid_core::counter::CounterSigner::new(&certificate, &key).map_err(|e| e.to_string())
    }
}

fn default_rate() -> u32 {
    20
}

fn default_burst() -> u32 {
    40
}

/// Why a configuration was refused. The message names the file and key and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read the configuration {path}: {reason}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        reason: String,
    },
    /// The file is not valid TOML or does not match the schema.
    #[error("configuration {path}: {key}: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The offending key (`counter[0].token_sha256`), or `.` for the whole file.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// A purpose with its resolved policy.
#[derive(Debug, Clone)]
pub struct ResolvedPurpose {
    /// The purpose.
    pub purpose: Purpose,
    /// Its policy.
    pub policy: Policy,
}

impl Config {
    /// Read and check the configuration at `path`.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        Self::parse(&text, path)
    }

    /// Parse and check configuration `text` (from `path`, named in errors).
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let invalid = |key: String, reason: String| ConfigError::Invalid {
            path: path.to_owned(),
            key,
            reason,
        };
        let deserializer = toml::Deserializer::parse(text).map_err(|e| {
            invalid(
                ".".into(),
                e.message().to_owned() + &line_of(text, e.span()),
            )
        })?;
        let mut config: Config = serde_path_to_error::deserialize(deserializer).map_err(|e| {
            let key = e.path().to_string();
            let inner = e.into_inner();
            invalid(key, inner.message().to_owned())
        })?;
        config
            .check()
            .map_err(|(key, reason)| invalid(key, reason))?;
        let dir = path.parent().unwrap_or(Path::new("."));
        for (i, counter) in config.counters.iter_mut().enumerate() {
            if let Some(registered) = &counter.registered {
                let signer = registered
                    .load(dir)
                    .map_err(|reason| invalid(format!("counter[{i}].registered"), reason))?;
                counter.signer = Some(std::sync::Arc::new(signer));
            }
        }
        Ok(config)
    }

    fn check(&self) -> Result<(), (String, String)> {
        if let Err(e) = self.sources().validate() {
            let section = match e {
                SourcesConfigError::TrustSourceCount => "trust",
                SourcesConfigError::BadUrl { ref key, .. } if key.contains("trust") => "trust",
                _ => "status",
            };
            return Err((section.into(), e.to_string()));
        }
        if !self.replay.redis_cluster.is_empty() && self.replay.redis_url.is_some() {
            return Err((
                "replay".into(),
                "give `redis_url` (one Redis) or `redis_cluster` (seed nodes), not both".into(),
            ));
        }
        for (i, url) in self.replay.redis_cluster.iter().enumerate() {
            check_redis_url(url).map_err(|r| (format!("replay.redis_cluster[{i}]"), r))?;
        }
        if let Some(url) = &self.replay.redis_url {
            check_redis_url(url).map_err(|r| ("replay.redis_url".into(), r))?;
        }
        let verifier = VerifierOptions {
            skew_secs: self.verifier.skew_seconds,
            max_age_secs: self.verifier.max_age_seconds,
            ..Default::default()
        };
        if let Err(e) = verifier.check() {
            let key = match e {
                VerifierOptionsError::SkewTooLarge(_) => "verifier.skew_seconds",
                VerifierOptionsError::MaxAgeOutOfRange(_) => "verifier.max_age_seconds",
            };
            return Err((key.into(), e.to_string()));
        }
        if self.replay.timeout_ms == 0 {
            return Err(("replay.timeout_ms".into(), "must be at least 1".into()));
        }
        if self.replay.key_prefix.is_empty() || self.replay.key_prefix.contains(['{', '}']) {
            return Err((
                "replay.key_prefix".into(),
                "must be non-empty and free of `{` and `}` (they are Redis Cluster hash tags)"
                    .into(),
            ));
        }
        if self.replay.challenge_ttl_seconds == 0 || self.replay.challenge_ttl_seconds > 600 {
            return Err((
                "replay.challenge_ttl_seconds".into(),
                "must be between 1 and 600".into(),
            ));
        }
        if self.replay.in_process_capacity == 0 {
            return Err((
                "replay.in_process_capacity".into(),
                "must be at least 1".into(),
            ));
        }
        if !(1..=24).contains(&self.desk.session_hours) {
            return Err((
                "desk.session_hours".into(),
                "must be between 1 and 24 (a desk signs in once per shift)".into(),
            ));
        }
        if self.limits.max_body_bytes < 1024 {
            return Err((
                "limits.max_body_bytes".into(),
                "must be at least 1024 (a code alone can be 8 KiB)".into(),
            ));
        }
        let mut names = BTreeSet::new();
        for (i, p) in self.purposes.iter().enumerate() {
            if !names.insert(p.name.as_str()) {
                return Err((format!("purposes[{i}].name"), "listed twice".into()));
            }
        }
        self.resolved_purposes()?;
        if self.counters.is_empty() {
            return Err((
                "counter".into(),
                "no counter is configured: add a [[counter]] with an id and token_sha256 \
                 (`netid-verifier config init` writes one)"
                    .into(),
            ));
        }
        let mut ids = BTreeSet::new();
        let mut hashes = BTreeSet::new();
        for (i, c) in self.counters.iter().enumerate() {
            let key = |k: &str| format!("counter[{i}].{k}");
            if c.id.is_empty()
                || c.id.len() > 64
                || !c
                    .id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
            {
                return Err((
                    key("id"),
                    "must be 1 to 64 letters, digits, `-`, `_` or `.`".into(),
                ));
            }
            if !ids.insert(c.id.as_str()) {
                return Err((key("id"), format!("`{}` is used twice", c.id)));
            }
            if c.token_sha256.len() != 64 || hex::decode(&c.token_sha256).is_err() {
                return Err((
                    key("token_sha256"),
                    "must be the SHA-256 of the token, 64 hex digits".into(),
                ));
            }
            if !hashes.insert(c.token_sha256.to_ascii_lowercase()) {
                return Err((
                    key("token_sha256"),
                    "two counters share one token: give each its own".into(),
                ));
            }
            if c.rate_per_second == 0 {
                return Err((key("rate_per_second"), "must be at least 1".into()));
            }
            if c.burst == 0 {
                return Err((key("burst"), "must be at least 1".into()));
            }
        }
        Ok(())
    }

    /// The `[trust]` and `[status]` sections, for [`crate::sources::TrustAndStatus`].
    pub fn sources(&self) -> SourcesConfig {
        SourcesConfig {
            trust: self.trust.clone(),
            status: self.status.clone(),
        }
    }

    /// The purposes served, each with its policy.
    pub fn purposes(&self) -> Vec<ResolvedPurpose> {
        // `check` ran at load time, so this cannot fail here.
        self.resolved_purposes().unwrap_or_default()
    }

    fn resolved_purposes(&self) -> Result<Vec<ResolvedPurpose>, (String, String)> {
        use netid_core::credential::{AssuranceLevel, ClaimName, DocType};
        if self.purposes.is_empty() {
            return Ok(Purpose::ALL
                .into_iter()
                .map(|purpose| ResolvedPurpose {
                    purpose,
                    policy: Policy::for_purpose(purpose),
                })
                .collect());
        }
        let names = Purpose::ALL.map(Purpose::as_str).join(", ");
        self.purposes
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let key = |k: &str| format!("purposes[{i}].{k}");
                let purpose = Purpose::from_name(&p.name)
                    .ok_or_else(|| (key("name"), format!("unknown purpose; known: {names}")))?;
                let mut policy = Policy::for_purpose(purpose);
                if let Some(claims) = &p.required_claims {
                    policy.required_claims = claims
                        .iter()
                        .map(|c| {
                            ClaimName::from_name(c).ok_or_else(|| {
                                (key("required_claims"), format!("unknown claim `{c}`"))
                            })
                        })
                        .collect::<Result<_, _>>()?;
                }
                if let Some(level) = &p.min_assurance {
                    policy.min_assurance = AssuranceLevel::from_name(level).ok_or_else(|| {
                        (
                            key("min_assurance"),
                            "must be `basic` or `enhanced`".to_owned(),
                        )
                    })?;
                }
                if let Some(types) = &p.doc_types {
                    policy.doc_types = types
                        .iter()
                        .map(|t| {
                            DocType::from_name(t).ok_or_else(|| {
                                (key("doc_types"), format!("unknown document type `{t}`"))
                            })
                        })
                        .collect::<Result<_, _>>()?;
                }
                Ok(ResolvedPurpose { purpose, policy })
            })
            .collect()
    }
}

fn check_redis_url(url: &str) -> Result<(), String> {
    if url.starts_with("redis://") || url.starts_with("rediss://") {
        Ok(())
    } else {
        Err(format!("`{url}` is not a redis:// URL"))
    }
}

fn line_of(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    span.map(|s| {
        let line = text[..s.start.min(text.len())].matches('\n').count() + 1;
        format!(" (line {line})")
    })
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("test.toml"))
    }

    fn minimal() -> String {
        format!(
            "[trust]\nfile = \"/tmp/trust.json\"\n\n[status]\n\n[[counter]]\nid = \"desk-1\"\ntoken_sha256 = \"{HASH}\"\n"
        )
    }

    fn key_of(e: ConfigError) -> String {
        match e {
            ConfigError::Invalid { key, .. } => key,
            other => panic!("expected an invalid key, got {other}"),
        }
    }

    /// A registered counter's key readable by others is refused, naming the counter; a damaged
    /// certificate too; a good pair loads its signer.
    #[cfg(unix)]
    #[test]
    fn a_registered_counters_files_are_checked_at_load() {
        use netid_core::counter::{CounterRegistration, Registrar};
        use p256::pkcs8::EncodePrivateKey;
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let key = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
        let certificate = Registrar::generate("r", &[1])
            .register(&CounterRegistration {
                id: "hotel-1".into(),
                name_zh: "酒店".into(),
                name_en: "Hotel".into(),
                purposes: vec![Purpose::HotelCheckIn],
                claims: None,
                keeps_days: 0,
                valid_from: netid_core::time::CivilDate::new(2026, 1, 1).unwrap(),
                valid_until: netid_core::time::CivilDate::new(2027, 1, 1).unwrap(),
                key: p256::PublicKey::from(key.verifying_key()),
            })
            .unwrap();
        std::fs::write(dir.path().join("certificate.cbor"), &certificate).unwrap();
        let key_path = dir.path().join("counter-key.pem");
        std::fs::write(
            &key_path,
            key.to_pkcs8_pem(Default::default()).unwrap().as_bytes(),
        )
        .unwrap();
        let text = minimal()
            + "registered = { certificate = \"certificate.cbor\", key = \"counter-key.pem\" }\n";
        let config_path = dir.path().join("verifier.toml");

        std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let refused = Config::parse(&text, &config_path).unwrap_err();
        assert!(refused.to_string().contains("chmod 600"), "{refused}");
        assert_eq!(key_of(refused), "counter[0].registered");

        std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let loaded = Config::parse(&text, &config_path).unwrap();
        assert_eq!(
            loaded.counters[0].signer.as_ref().unwrap().counter_id(),
            "hotel-1"
        );

        std::fs::write(dir.path().join("certificate.cbor"), b"damaged").unwrap();
        let damaged = Config::parse(&text, &config_path).unwrap_err();
        assert_eq!(key_of(damaged), "counter[0].registered");
    }

    #[test]
    fn a_minimal_config_gets_the_documented_defaults() {
        let c = parse(&minimal()).unwrap();
        assert_eq!(c.listen, default_listen());
        assert_eq!(c.verifier.skew_seconds, DEFAULT_SKEW_SECS);
        assert_eq!(c.purposes().len(), Purpose::ALL.len());
        assert_eq!(c.counters[0].rate_per_second, 20);
        assert!(c.replay.redis_url.is_none());
    }

    #[test]
    fn each_bad_value_names_its_key() {
        let cases = [
            (minimal().replace(HASH, "abc"), "counter[0].token_sha256"),
            (
                minimal() + "[limits]\nmax_body_bytes = \"big\"\n",
                "limits.max_body_bytes",
            ),
            (minimal() + "[verifier]\nskew = 3\n", "verifier"),
            (
                minimal() + "[verifier]\nskew_seconds = 86400\n",
                "verifier.skew_seconds",
            ),
            (
                minimal() + "[verifier]\nmax_age_seconds = 0\n",
                "verifier.max_age_seconds",
            ),
            (
                minimal() + "[verifier]\nmax_age_seconds = 3600\n",
                "verifier.max_age_seconds",
            ),
            (
                minimal().replace("[status]\n", "[status]\nrefresh_seconds = 0\n"),
                "status",
            ),
            (
                minimal() + "[[purposes]]\nname = \"casino\"\n",
                "purposes[0].name",
            ),
            (
                minimal() + "[[purposes]]\nname = \"hotel\"\nrequired_claims = [\"shoe_size\"]\n",
                "purposes[0].required_claims",
            ),
            (
                minimal() + "[replay]\nredis_url = \"http://x\"\n",
                "replay.redis_url",
            ),
            (
                minimal().replace("file = \"/tmp/trust.json\"", "url = \"ftp://x\""),
                "[trust] url",
            ),
            (
                minimal()
                    + &format!(
                        "[[counter]]\nid = \"desk-1\"\ntoken_sha256 = \"{}\"\n",
                        HASH.replace('9', "8")
                    ),
                "counter[1].id",
            ),
            (
                minimal() + &format!("[[counter]]\nid = \"desk-2\"\ntoken_sha256 = \"{HASH}\"\n"),
                "counter[1].token_sha256",
            ),
            ("[trust]\nfile = \"/t\"\n[status]\n".to_owned(), "counter"),
        ];
        for (text, key) in cases {
            let e = parse(&text).expect_err(key);
            let message = e.to_string();
            assert!(
                message.contains(key),
                "error for {key} does not name it: {message}"
            );
            let got = key_of(e);
            assert!(
                {
                    let key = key.trim_start_matches('[').replace("] ", ".");
                    got == "." || got.starts_with(&key) || key.starts_with(&got)
                },
                "{key}: reported key {got}"
            );
        }
    }

    #[test]
    fn unknown_keys_and_broken_toml_are_refused() {
        let e = parse(&(minimal() + "colour = \"blue\"\n")).unwrap_err();
        assert!(e.to_string().contains("colour"), "{e}");
        let e = parse("[trust\n").unwrap_err();
        assert!(e.to_string().contains("line 1"), "{e}");
    }
}
