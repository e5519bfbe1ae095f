//! The replay cache shared by every counter of this service (docs/FORMAT.md §6 step 12, done
//! once for the whole network instead of once per desk), and the single-use challenges of
//! interactive mode, which live in the same store so any instance can redeem a challenge
//! another issued.
//!
//! Two backends behind one interface: in-process (one instance, nothing to set up) and Redis
//! (single node or Cluster). This module owns the rule that makes losing the cache safe: each
//! cache has a *memory start* (an epoch), and a code whose `iat` is not later than that start +
//! skew is refused `replay-cache-reset`, because it could have been accepted before the memory
//! began. It must never answer "first use" without an atomic check-and-insert having succeeded,
//! and never turn an error or a timeout into an answer: those are
//! [`ReplayUnavailable`], which the API turns into a 503.

mod memory;
mod redis_store;

use std::time::Duration;

pub use memory::InProcessCache;
pub use redis_store::{RedisCache, RedisTarget};

/// What the cache said about a replay identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplayDecision {
    /// Recorded now: the first use.
    First,
    /// Already recorded and unexpired: a replay.
    Replayed,
    /// The code is older than the cache's memory (+ skew): it may have been used before the
    /// memory began (a restart, a flush, a failover), so it is refused.
    BeforeMemory {
        /// When the cache's memory began, Unix milliseconds.
        memory_start_ms: i64,
    },
    /// The in-process cache is full of unexpired entries (refusing is safer than forgetting).
    Full,
}

/// The cache could not answer in time. Never personal data in here.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReplayUnavailable {
    /// No answer within the deadline.
    #[error("the replay cache did not answer within {0:?}")]
    Timeout(Duration),
    /// The backend answered with an error, or the connection failed.
    #[error("the replay cache failed: {0}")]
    Backend(String),
}

/// What a challenge redemption found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Redeemed {
    /// The challenge existed, was issued to this counter, and is now used up.
    Yes,
    /// Unknown, expired, already used, or issued to another counter.
    No,
}

/// One of the two backends.
pub enum ReplayCache {
    /// One instance's memory.
    InProcess(InProcessCache),
    /// Redis or Redis Cluster.
    Redis(RedisCache),
}

impl ReplayCache {
    /// Record `identity` until `until_ms` unless it is already recorded; `issued_at_ms` is the
    /// code's `iat`, checked against the cache's memory start.
    pub async fn check_and_insert(
        &self,
        identity: &[u8; 32],
        now_ms: i64,
        until_ms: i64,
        issued_at_ms: i64,
    ) -> Result<ReplayDecision, ReplayUnavailable> {
        match self {
            Self::InProcess(c) => Ok(c.check_and_insert(identity, now_ms, until_ms, issued_at_ms)),
            Self::Redis(c) => {
                c.check_and_insert(identity, now_ms, until_ms, issued_at_ms)
                    .await
            }
        }
    }

    /// Remember a fresh challenge `nonce` issued to `counter` for `ttl`.
    pub async fn store_challenge(
        &self,
        nonce: &[u8; 16],
        counter: &str,
        now_ms: i64,
        ttl: Duration,
    ) -> Result<(), ReplayUnavailable> {
        match self {
            Self::InProcess(c) => c.store_challenge(nonce, counter, now_ms, ttl),
            Self::Redis(c) => c.store_challenge(nonce, counter, ttl).await,
        }
    }

    /// Use up the challenge `nonce` if it was issued to `counter` and is unexpired.
    pub async fn redeem_challenge(
        &self,
        nonce: &[u8],
        counter: &str,
        now_ms: i64,
    ) -> Result<Redeemed, ReplayUnavailable> {
        match self {
            Self::InProcess(c) => Ok(c.redeem_challenge(nonce, counter, now_ms)),
            Self::Redis(c) => c.redeem_challenge(nonce, counter).await,
        }
    }

    /// Keep every part of the cache's memory start current (Redis: all buckets; see
    /// [`RedisCache::keep_memory_starts`]). The in-process cache has one start and nothing to do.
    pub async fn keep_memory_starts(&self, now_ms: i64) -> Result<(), ReplayUnavailable> {
        match self {
            Self::InProcess(_) => Ok(()),
            Self::Redis(c) => c.keep_memory_starts(now_ms).await,
        }
    }

    /// Is the cache reachable now?
    pub async fn ping(&self) -> Result<(), ReplayUnavailable> {
        match self {
            Self::InProcess(_) => Ok(()),
            Self::Redis(c) => c.ping().await,
        }
    }

    /// `in-process`, `redis` or `redis-cluster`, for logs and `/readyz`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::InProcess(_) => "in-process",
            Self::Redis(c) => c.kind(),
        }
    }
}

/// The shared rule: may a code issued at `issued_at_ms` be judged by a memory that began at
/// `memory_start_ms`? Only if it was made after that start by more than the skew, since a
/// phone clock up to `skew` ahead could otherwise have stamped a code used before the start.
pub fn within_memory(issued_at_ms: i64, memory_start_ms: i64, skew_ms: i64) -> bool {
    issued_at_ms > memory_start_ms.saturating_add(skew_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_from_before_the_memory_plus_skew_are_outside_it() {
        assert!(!within_memory(1_000, 1_000, 0));
        assert!(within_memory(1_001, 1_000, 0));
        assert!(!within_memory(31_000, 1_000, 30_000));
        assert!(within_memory(31_001, 1_000, 30_000));
        assert!(!within_memory(0, i64::MAX, 30_000));
    }
}
