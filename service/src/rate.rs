//! Per-counter rate limits: a token bucket per counter, per service instance.
//!
//! This module owns only the arithmetic of "may this counter make another call now, and if not,
//! when". It must never block or sleep: a counter over its rate gets an answer at once (429
//! with `Retry-After`), so a misbehaving counter cannot tie up the service.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::config::CounterConfig;

struct Bucket {
    rate_per_second: f64,
    burst: f64,
    tokens: f64,
    updated: Instant,
}

/// The buckets of every configured counter.
pub struct RateLimits {
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimits {
    /// Full buckets for the configured counters.
    pub fn from_config(counters: &[CounterConfig], now: Instant) -> Self {
        let buckets = counters
            .iter()
            .map(|c| {
                let burst = f64::from(c.burst.max(1));
                (
                    c.id.clone(),
                    Bucket {
                        rate_per_second: f64::from(c.rate_per_second.max(1)),
                        burst,
                        tokens: burst,
                        updated: now,
                    },
                )
            })
            .collect();
        Self {
            buckets: Mutex::new(buckets),
        }
    }

    /// Take one call for `counter` at `now`; `Err(wait)` when it must wait that long first.
    pub fn take(&self, counter: &str, now: Instant) -> Result<(), Duration> {
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // An authenticated counter always has a bucket; if not, refusing is the safe answer.
        let Some(bucket) = buckets.get_mut(counter) else {
            return Err(Duration::from_secs(1));
        };
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * bucket.rate_per_second).min(bucket.burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - bucket.tokens) / bucket.rate_per_second;
            Err(Duration::from_secs_f64(wait))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(rate: u32, burst: u32, now: Instant) -> RateLimits {
        RateLimits::from_config(
            &[CounterConfig {
                id: "desk-1".into(),
                token_sha256: String::new(),
                rate_per_second: rate,
                burst,
                registered: None,
                signer: None,
            }],
            now,
        )
    }

    #[test]
    fn a_burst_then_the_rate() {
        let start = Instant::now();
        let l = limits(2, 3, start);
        for _ in 0..3 {
            assert_eq!(l.take("desk-1", start), Ok(()));
        }
        let wait = l.take("desk-1", start).expect_err("over the burst");
        assert!(wait > Duration::from_millis(400) && wait <= Duration::from_millis(500));
        // Half a second later one more call is allowed (2 per second), and no second one.
        let later = start + Duration::from_millis(500);
        assert_eq!(l.take("desk-1", later), Ok(()));
        assert!(l.take("desk-1", later).is_err());
    }

    #[test]
    fn a_bucket_never_holds_more_than_the_burst() {
        let start = Instant::now();
        let l = limits(10, 2, start);
        let much_later = start + Duration::from_secs(3600);
        assert_eq!(l.take("desk-1", much_later), Ok(()));
        assert_eq!(l.take("desk-1", much_later), Ok(()));
        assert!(l.take("desk-1", much_later).is_err());
    }

    #[test]
    fn an_unknown_counter_is_refused() {
        let start = Instant::now();
        assert!(limits(1, 1, start).take("desk-9", start).is_err());
    }
}
