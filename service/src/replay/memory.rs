//! The in-process replay cache: the embedded default for one instance. Its memory begins when
//! the process starts, so a restart refuses codes made before it (+ skew) rather than forgetting
//! they were used. Bounded: when full of unexpired entries it refuses, never evicts.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use super::{Redeemed, ReplayDecision, ReplayUnavailable, within_memory};

struct Entries {
    until: HashMap<[u8; 32], i64>,
    order: VecDeque<([u8; 32], i64)>,
    challenges: HashMap<[u8; 16], (String, i64)>,
}

/// One instance's replay cache and challenges.
pub struct InProcessCache {
    memory_start_ms: i64,
    skew_ms: i64,
    capacity: usize,
    entries: Mutex<Entries>,
}

impl InProcessCache {
    /// A cache whose memory begins at `memory_start_ms`.
    pub fn new(memory_start_ms: i64, skew: Duration, capacity: usize) -> Self {
        Self {
            memory_start_ms,
            skew_ms: i64::try_from(skew.as_millis()).unwrap_or(i64::MAX),
            capacity: capacity.max(1),
            entries: Mutex::new(Entries {
                until: HashMap::new(),
                order: VecDeque::new(),
                challenges: HashMap::new(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // A panic mid-update leaves a map that is still sound (one insert or removal).
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(super) fn check_and_insert(
        &self,
        identity: &[u8; 32],
        now_ms: i64,
        until_ms: i64,
        issued_at_ms: i64,
    ) -> ReplayDecision {
        if !within_memory(issued_at_ms, self.memory_start_ms, self.skew_ms) {
            return ReplayDecision::BeforeMemory {
                memory_start_ms: self.memory_start_ms,
            };
        }
        let mut e = self.lock();
        // Forget what has expired, oldest insertion first; an entry whose expiry is later than
        // one behind it stops the sweep early, which only delays forgetting, never hastens it.
        while let Some(&(key, until)) = e.order.front() {
            if until >= now_ms {
                break;
            }
            e.order.pop_front();
            if e.until.get(&key) == Some(&until) {
                e.until.remove(&key);
            }
        }
        if let Some(&until) = e.until.get(identity)
            && until >= now_ms
        {
            return ReplayDecision::Replayed;
        }
        if e.until.len() >= self.capacity {
            e.until.retain(|_, until| *until >= now_ms);
            let Entries { until, order, .. } = &mut *e;
            order.retain(|(k, u)| until.get(k) == Some(u));
            if e.until.len() >= self.capacity {
                return ReplayDecision::Full;
            }
        }
        e.until.insert(*identity, until_ms);
        e.order.push_back((*identity, until_ms));
        ReplayDecision::First
    }

    pub(super) fn store_challenge(
        &self,
        nonce: &[u8; 16],
        counter: &str,
        now_ms: i64,
        ttl: Duration,
    ) -> Result<(), ReplayUnavailable> {
        let until = now_ms.saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX));
        let mut e = self.lock();
        if e.challenges.len() >= self.capacity {
            e.challenges.retain(|_, (_, until)| *until >= now_ms);
            if e.challenges.len() >= self.capacity {
                return Err(ReplayUnavailable::Backend(
                    "too many open challenges".into(),
                ));
            }
        }
        e.challenges.insert(*nonce, (counter.to_owned(), until));
        Ok(())
    }

    pub(super) fn redeem_challenge(&self, nonce: &[u8], counter: &str, now_ms: i64) -> Redeemed {
        let Ok(nonce) = <[u8; 16]>::try_from(nonce) else {
            return Redeemed::No;
        };
        match self.lock().challenges.remove(&nonce) {
            Some((owner, until)) if owner == counter && until >= now_ms => Redeemed::Yes,
            _ => Redeemed::No,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const START: i64 = 1_000_000;
    const SKEW: Duration = Duration::from_secs(2);

    #[test]
    fn first_use_then_replay_until_expiry() {
        let c = InProcessCache::new(START, SKEW, 10);
        let iat = START + 5_000;
        assert_eq!(
            c.check_and_insert(&[1; 32], iat, iat + 1_000, iat),
            ReplayDecision::First
        );
        assert_eq!(
            c.check_and_insert(&[1; 32], iat + 1_000, iat + 1_000, iat),
            ReplayDecision::Replayed
        );
        // Forgotten only once its time is over.
        assert_eq!(
            c.check_and_insert(&[1; 32], iat + 1_001, iat + 9_000, iat),
            ReplayDecision::First
        );
    }

    #[test]
    fn codes_made_before_the_memory_began_are_refused() {
        let c = InProcessCache::new(START, SKEW, 10);
        assert_eq!(
            c.check_and_insert(&[1; 32], START + 10, START + 60_000, START + 2_000),
            ReplayDecision::BeforeMemory {
                memory_start_ms: START
            }
        );
        assert_eq!(
            c.check_and_insert(&[1; 32], START + 10, START + 60_000, START + 2_001),
            ReplayDecision::First
        );
    }

    #[test]
    fn a_full_cache_refuses_instead_of_forgetting() {
        let c = InProcessCache::new(START, SKEW, 2);
        let t = START + 10_000;
        for id in [1u8, 2] {
            assert_eq!(
                c.check_and_insert(&[id; 32], t, t + 1_000, t),
                ReplayDecision::First
            );
        }
        assert_eq!(
            c.check_and_insert(&[3; 32], t, t + 1_000, t),
            ReplayDecision::Full
        );
        assert_eq!(
            c.check_and_insert(&[1; 32], t, t + 1_000, t),
            ReplayDecision::Replayed
        );
        assert_eq!(
            c.check_and_insert(&[3; 32], t + 1_001, t + 5_000, t),
            ReplayDecision::First
        );
    }

    #[test]
    fn a_challenge_is_redeemed_once_by_its_own_counter_before_it_expires() {
        let c = InProcessCache::new(START, SKEW, 10);
        let ttl = Duration::from_secs(60);
        c.store_challenge(&[7; 16], "desk-1", START, ttl).unwrap();
        assert_eq!(c.redeem_challenge(&[7; 16], "desk-2", START), Redeemed::No);
        // A wrong counter's attempt used it up: a relayed challenge cannot be retried.
        assert_eq!(c.redeem_challenge(&[7; 16], "desk-1", START), Redeemed::No);
        c.store_challenge(&[8; 16], "desk-1", START, ttl).unwrap();
        assert_eq!(c.redeem_challenge(&[8; 16], "desk-1", START), Redeemed::Yes);
        assert_eq!(c.redeem_challenge(&[8; 16], "desk-1", START), Redeemed::No);
        c.store_challenge(&[9; 16], "desk-1", START, ttl).unwrap();
        assert_eq!(
            c.redeem_challenge(&[9; 16], "desk-1", START + 60_001),
            Redeemed::No
        );
        assert_eq!(c.redeem_challenge(&[9; 3], "desk-1", START), Redeemed::No);
    }
}
