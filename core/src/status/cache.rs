//! The verifier's cache of verified status lists, keyed by list URI.
//!
//! Owns freshness: each list is kept with the time it was fetched and answers lookups until its
//! time to live runs out; after that (or after the token's `exp`) answers are still given but
//! marked stale with the moment they went stale, so the counter's policy decides. It only accepts
//! [`StatusListToken`]s, which exist only after signature verification, and never lets an older
//! list replace a newer one (that would let a replayed list un-revoke a credential).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use super::{StatusError, StatusIssuerKeys, StatusListToken, TokenStatus};

/// What a verifier learns about one credential from the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusAnswer {
    /// The list is fresh and the entry is valid.
    Valid,
    /// The list is fresh and the credential is revoked (the draft's INVALID).
    Revoked,
    /// The list is fresh and the credential is suspended.
    Suspended,
    /// The list is fresh and the entry holds an application-specific or reserved value.
    Other(u8),
    /// The cached list is past its time to live or its expiry; `status` is what it last said.
    Stale {
        /// Unix seconds at which the list stopped being fresh.
        since: u64,
        /// Why it is no longer fresh.
        reason: StaleReason,
        /// The entry's status in the stale list.
        status: TokenStatus,
    },
    /// No list with this URI is cached: the host has to fetch it.
    Unavailable,
}

/// Why a cached list is no longer fresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaleReason {
    /// Fetched-at plus `ttl` (or the cache's default) has passed; the issuer may have changed it.
    TimeToLiveElapsed,
    /// The token's `exp` has passed; the issuer no longer vouches for it.
    Expired,
}

#[derive(Debug, Clone)]
struct CachedList {
    token: StatusListToken,
    fetched_at: u64,
}

/// Verified status lists by URI, with the time each was fetched.
#[derive(Debug, Clone)]
pub struct StatusListCache {
    lists: HashMap<String, CachedList>,
    default_ttl_seconds: u64,
}

impl StatusListCache {
    /// An empty cache; lists whose token has no `ttl` stay fresh for `default_ttl_seconds`.
    pub fn new(default_ttl_seconds: u64) -> Self {
        Self {
            lists: HashMap::new(),
            default_ttl_seconds,
        }
    }

    /// Verifies token bytes fetched at `now` and caches the list under its URI.
    pub fn verify_and_insert(
        &mut self,
        bytes: &[u8],
        trusted: &StatusIssuerKeys,
        now: u64,
    ) -> Result<&StatusListToken, StatusError> {
        let token = StatusListToken::verify(bytes, trusted, now)?;
        self.insert(token, now)
    }

    /// Caches a verified list fetched at `fetched_at`, unless a list with a later `iat` is
    /// already cached for the same URI (then the cache is unchanged).
    pub fn insert(
        &mut self,
        token: StatusListToken,
        fetched_at: u64,
    ) -> Result<&StatusListToken, StatusError> {
        if let Some(cached) = self.lists.get(token.uri())
            && cached.token.issued_at() > token.issued_at()
        {
            return Err(StatusError::OlderThanCached {
                cached: cached.token.issued_at(),
                offered: token.issued_at(),
            });
        }
        let uri = token.uri().to_owned();
        let entry = self
            .lists
            .entry(uri)
            .insert_entry(CachedList { token, fetched_at });
        Ok(&entry.into_mut().token)
    }

    /// The cached token for `uri`, if any.
    pub fn get(&self, uri: &str) -> Option<&StatusListToken> {
        self.lists.get(uri).map(|cached| &cached.token)
    }

    /// Unix seconds after which the list for `uri` is stale: when the host should fetch it
    /// again. `None` when nothing is cached.
    pub fn fresh_until(&self, uri: &str) -> Option<u64> {
        self.lists.get(uri).map(|cached| self.staleness(cached).0)
    }

    /// The status of entry `idx` of the list at `uri`, as of `now`.
    pub fn lookup(&self, uri: &str, idx: u64, now: u64) -> Result<StatusAnswer, StatusError> {
        let Some(cached) = self.lists.get(uri) else {
            return Ok(StatusAnswer::Unavailable);
        };
        let status = cached.token.list().get(idx)?;
        let (since, reason) = self.staleness(cached);
        if now >= since {
            return Ok(StatusAnswer::Stale {
                since,
                reason,
                status,
            });
        }
        Ok(match status {
            TokenStatus::Valid => StatusAnswer::Valid,
            TokenStatus::Revoked => StatusAnswer::Revoked,
            TokenStatus::Suspended => StatusAnswer::Suspended,
            TokenStatus::Other(value) => StatusAnswer::Other(value),
        })
    }

    /// When `cached` stops being fresh, and why: the earlier of fetched-at plus TTL and `exp`.
    fn staleness(&self, cached: &CachedList) -> (u64, StaleReason) {
        let ttl = cached
            .token
            .time_to_live()
            .unwrap_or(self.default_ttl_seconds);
        let ttl_end = cached.fetched_at.saturating_add(ttl);
        match cached.token.expires_at() {
            Some(exp) if exp <= ttl_end => (exp, StaleReason::Expired),
            _ => (ttl_end, StaleReason::TimeToLiveElapsed),
        }
    }
}

/// Revocation lookup as the counter's verifier consumes it: [`StatusListCache`] implements it, and
/// so does a cache shared behind `RwLock` (the host refreshes lists while the verifier reads them).
pub trait StatusLookup: Send + Sync {
    /// The status of entry `idx` of the list at `uri`, as of `now` (Unix seconds).
    fn lookup(&self, uri: &str, idx: u64, now: u64) -> Result<StatusAnswer, StatusError>;

    /// The key id that signed the list held for `uri`, so the verifier can insist that a
    /// credential's status comes from its own issuer and not from another trusted one. `None`
    /// when this lookup cannot tell (then it must do that check itself).
    fn signer_kid(&self, uri: &str) -> Option<Vec<u8>> {
        let _ = uri;
        None
    }
}

impl StatusLookup for StatusListCache {
    fn lookup(&self, uri: &str, idx: u64, now: u64) -> Result<StatusAnswer, StatusError> {
        StatusListCache::lookup(self, uri, idx, now)
    }

    fn signer_kid(&self, uri: &str) -> Option<Vec<u8>> {
        self.get(uri).map(|token| token.kid().to_vec())
    }
}

impl StatusLookup for RwLock<StatusListCache> {
    fn lookup(&self, uri: &str, idx: u64, now: u64) -> Result<StatusAnswer, StatusError> {
        // A poisoned lock means a writer panicked between statements; every insert replaces a
        // whole verified entry, so the map is still one the cache could have produced.
        self.read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .lookup(uri, idx, now)
    }

    fn signer_kid(&self, uri: &str) -> Option<Vec<u8>> {
        self.read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .signer_kid(uri)
    }
}

impl<T: StatusLookup + ?Sized> StatusLookup for Arc<T> {
    fn lookup(&self, uri: &str, idx: u64, now: u64) -> Result<StatusAnswer, StatusError> {
        (**self).lookup(uri, idx, now)
    }

    fn signer_kid(&self, uri: &str) -> Option<Vec<u8>> {
        (**self).signer_kid(uri)
    }
}
