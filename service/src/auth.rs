//! Counter authentication: which counter, if any, a request's `Authorization: Bearer` header
//! belongs to.
//!
//! This module owns the comparison of a presented token against the configured SHA-256
//! digests. The token itself is hashed at once and never kept, logged or echoed; every digest
//! is compared in constant time, and all of them always, so how long a refusal takes says
//! nothing about which counter (or which prefix of a digest) was close.

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::config::CounterConfig;

/// A counter allowed to call the API, identified by the digest of its token.
#[derive(Clone, Debug)]
struct Credential {
    id: String,
    digest: [u8; 32],
}

/// The configured counters.
#[derive(Clone, Debug, Default)]
pub struct Counters {
    credentials: Vec<Credential>,
}

/// The id of an authenticated counter (`desk-1`), for audit lines, rate limits and challenges.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CounterId(pub String);

impl Counters {
    /// The counters of the configuration (its digests were checked at load time).
    pub fn from_config(counters: &[CounterConfig]) -> Self {
        let credentials = counters
            .iter()
            .filter_map(|c| {
                let bytes = hex::decode(&c.token_sha256).ok()?;
                let digest: [u8; 32] = bytes.try_into().ok()?;
                Some(Credential {
                    id: c.id.clone(),
                    digest,
                })
            })
            .collect();
        Self { credentials }
    }

    /// The counter whose token is in `authorization` (the header's value), or `None`.
    pub fn authenticate(&self, authorization: Option<&[u8]>) -> Option<CounterId> {
        let token = authorization
            .and_then(|value| value.strip_prefix(b"Bearer "))
            .map(|t| t.trim_ascii())
            .filter(|t| !t.is_empty())?;
        let presented = Zeroizing::new(<[u8; 32]>::from(Sha256::digest(token)));
        let mut found = None;
        for credential in &self.credentials {
            if constant_time_eq(&credential.digest, &presented) {
                found = Some(CounterId(credential.id.clone()));
            }
        }
        found
    }
}

/// Equality of two digests whose running time does not depend on where they differ.
fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let difference = a
        .iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y));
    // black_box keeps the optimiser from turning the fold back into an early-exit comparison.
    std::hint::black_box(difference) == 0
}

/// The SHA-256 of `token` as 64 lowercase hex digits: what the configuration stores.
pub fn token_digest_hex(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counters() -> Counters {
        Counters::from_config(&[
            CounterConfig {
                id: "desk-1".into(),
                token_sha256: token_digest_hex("secret-one"),
                rate_per_second: 1,
                burst: 1,
                registered: None,
                signer: None,
            },
            CounterConfig {
                id: "desk-2".into(),
                token_sha256: token_digest_hex("secret-two"),
                rate_per_second: 1,
                burst: 1,
                registered: None,
                signer: None,
            },
        ])
    }

    #[test]
    fn the_right_token_names_its_counter() {
        let c = counters();
        assert_eq!(
            c.authenticate(Some(b"Bearer secret-two")),
            Some(CounterId("desk-2".into()))
        );
        assert_eq!(
            c.authenticate(Some(b"Bearer secret-one")),
            Some(CounterId("desk-1".into()))
        );
    }

    #[test]
    fn anything_else_is_nobody() {
        let c = counters();
        for header in [
            &b""[..],
            b"Bearer ",
            b"Bearer secret-on",
            b"Bearer secret-one2",
            b"bearer secret-one",
            b"Basic secret-one",
            b"secret-one",
        ] {
            assert_eq!(c.authenticate(Some(header)), None, "{header:?}");
        }
        assert_eq!(c.authenticate(None), None);
        // The digest itself is not a token.
        let digest = token_digest_hex("secret-one");
        assert_eq!(
            c.authenticate(Some(format!("Bearer {digest}").as_bytes())),
            None
        );
    }

    #[test]
    fn digests_differing_anywhere_are_unequal() {
        let a = [7u8; 32];
        for i in 0..32 {
            let mut b = a;
            b[i] ^= 0x80;
            assert!(!constant_time_eq(&a, &b));
        }
        assert!(constant_time_eq(&a, &a));
    }
}
