//! The verifier's cache of verified status lists, keyed by list URI.
//!
//! Owns freshness: each list is kept with the time it was fetched and answers lookups until its
//! time to live runs out; after that (or after the token's `exp`) answers are still given but
//! marked stale with the moment they went stale, so the counter's policy decides. It only accepts
//! [`StatusListToken`]s, which exist only after signature verification, and never lets an older
//! list (or a different list with the same `iat`) replace a newer one — that would let a
//! replayed list un-revoke a credential — within its own lifetime, and across runs when the host
//! admits lists through [`StatusListCache::admit`] with its persisted [`StatusHighWater`].

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use super::{
    StatusError, StatusHighWater, StatusIssuerKeys, StatusListRecord, StatusListToken, TokenStatus,
};

/// How the host obtained the token bytes it hands to [`StatusListCache::admit`]: this decides
/// whether reading the same list again restarts its time to live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListSource {
    /// Fetched from the issuer's URI just now: even identical bytes are a fresh confirmation, so
    /// the list counts as fetched at `now`.
    Fetched,
    /// Read from a local file (or the host's own copy): identical bytes keep the fetched-at of
    /// their first import; only a list not seen before counts as fetched at `now`.
    LocalFile,
}

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

    /// Verifies token bytes and caches the list, applying the rollback rules against the
    /// host's persisted record `high_water` as well as this cache: an `iat` earlier than the
    /// newest accepted for the URI is refused ([`StatusError::OlderThanCached`]), so is a
    /// different list with the same `iat` ([`StatusError::ConflictingList`]). The list counts as
    /// fetched at `now`, except a [`ListSource::LocalFile`] identical to the recorded one, which
    /// keeps its recorded fetched-at (re-reading a file is not a fetch). On any error neither the
    /// cache nor the record changes.
    pub fn admit(
        &mut self,
        bytes: &[u8],
        trusted: &StatusIssuerKeys,
        source: ListSource,
        now: u64,
        high_water: &mut dyn StatusHighWater,
    ) -> Result<&StatusListToken, StatusError> {
        let token = StatusListToken::verify(bytes, trusted, now)?;
        let recorded = high_water.newest(token.uri())?;
        let mut fetched_at = now;
        if let Some(record) = &recorded {
            check_not_rollback(record.issued_at, &record.digest, &token)?;
            if source == ListSource::LocalFile && record.digest == token.digest() {
                // A recorded time after `now` (a clock set back, a check run "as of" a later
                // moment) must not stretch freshness past what a fetch now would give.
                fetched_at = record.fetched_at.min(now);
            }
        }
        self.check_against_cached(&token)?;
        let record = StatusListRecord {
            uri: token.uri().to_owned(),
            issued_at: token.issued_at(),
            digest: token.digest(),
            fetched_at,
        };
        if recorded.as_ref() != Some(&record) {
            high_water.record(&record, bytes)?;
        }
        self.insert(token, fetched_at)
    }

    /// Caches a verified list fetched at `fetched_at`, unless a list with a later `iat` (or a
    /// different list with the same `iat`) is already cached for the same URI (then the cache
    /// is unchanged).
    pub fn insert(
        &mut self,
        token: StatusListToken,
        fetched_at: u64,
    ) -> Result<&StatusListToken, StatusError> {
        self.check_against_cached(&token)?;
        let uri = token.uri().to_owned();
        let entry = self
            .lists
            .entry(uri)
            .insert_entry(CachedList { token, fetched_at });
        Ok(&entry.into_mut().token)
    }

    fn check_against_cached(&self, token: &StatusListToken) -> Result<(), StatusError> {
        match self.lists.get(token.uri()) {
            Some(cached) => {
                check_not_rollback(cached.token.issued_at(), &cached.token.digest(), token)
            }
            None => Ok(()),
        }
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

/// The rollback rule: nothing older than the newest list, and no second list with its `iat`.
fn check_not_rollback(
    newest_iat: u64,
    newest_digest: &[u8; 32],
    offered: &StatusListToken,
) -> Result<(), StatusError> {
    if newest_iat > offered.issued_at() {
        return Err(StatusError::OlderThanCached {
            cached: newest_iat,
            offered: offered.issued_at(),
        });
    }
    if newest_iat == offered.issued_at() && *newest_digest != offered.digest() {
        return Err(StatusError::ConflictingList {
            issued_at: newest_iat,
        });
    }
    Ok(())
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
