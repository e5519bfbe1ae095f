//! The service's Prometheus metrics (`GET /metrics`, text format 0.0.4).
//!
//! This module owns counting what happened — verifications by outcome, their latency,
//! replay-backend failures, requests turned away before verification — and rendering it with
//! the trust and status sources' own figures. It must never hold a label that identifies a
//! person or a code: outcomes are refusal kinds, never claims, identities or counters' tokens.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::sources::SourcesMetrics;

/// Upper bounds of the latency histogram's buckets, seconds.
const LATENCY_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// Everything counted since start.
#[derive(Default)]
pub struct Metrics {
    outcomes: Mutex<BTreeMap<&'static str, u64>>,
    latency_buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_micros: AtomicU64,
    replay_errors: Mutex<BTreeMap<&'static str, u64>>,
    turned_away: Mutex<BTreeMap<u16, u64>>,
    challenges: AtomicU64,
}

impl Metrics {
    /// A verification ended with `outcome` (`accepted` or a refusal kind) after `took`.
    pub fn verification(&self, outcome: &'static str, took: Duration) {
        *lock(&self.outcomes).entry(outcome).or_default() += 1;
        let seconds = took.as_secs_f64();
        for (bound, count) in LATENCY_BUCKETS.iter().zip(&self.latency_buckets) {
            if seconds <= *bound {
                count.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.latency_sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// The replay backend failed (`timeout` or `backend`).
    pub fn replay_error(&self, kind: &'static str) {
        *lock(&self.replay_errors).entry(kind).or_default() += 1;
    }

    /// A request was answered `status` before any verification (400, 401, 413, 429, …).
    pub fn turned_away(&self, status: u16) {
        *lock(&self.turned_away).entry(status).or_default() += 1;
    }

    /// A challenge was issued.
    pub fn challenge_issued(&self) {
        self.challenges.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text of these metrics and the sources', at `now` (Unix seconds).
    pub fn render(&self, sources: &SourcesMetrics, replay_backend: &str) -> String {
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        };
        metric(
            "netid_verifications_total",
            "counter",
            "Verifications by outcome: accepted, or the refusal kind.",
        );
        for (outcome, n) in lock(&self.outcomes).iter() {
            let _ = writeln!(
                out,
                "netid_verifications_total{{outcome=\"{outcome}\"}} {n}"
            );
        }
        let mut metric = |name: &str, kind: &str, help: &str| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        };
        metric(
            "netid_verification_duration_seconds",
            "histogram",
            "Time from a request's arrival to its answer, for verifications.",
        );
        for (bound, count) in LATENCY_BUCKETS.iter().zip(&self.latency_buckets) {
            let _ = writeln!(
                out,
                "netid_verification_duration_seconds_bucket{{le=\"{bound}\"}} {}",
                count.load(Ordering::Relaxed)
            );
        }
        let count = self.latency_count.load(Ordering::Relaxed);
        let sum = self.latency_sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(
            out,
            "netid_verification_duration_seconds_bucket{{le=\"+Inf\"}} {count}\n\
             netid_verification_duration_seconds_sum {sum}\n\
             netid_verification_duration_seconds_count {count}"
        );
        let _ = writeln!(
            out,
            "# HELP netid_replay_backend_errors_total Replay cache operations that failed or timed out (each refused replay-cache-unavailable).\n\
             # TYPE netid_replay_backend_errors_total counter"
        );
        for kind in ["timeout", "backend"] {
            let n = lock(&self.replay_errors).get(kind).copied().unwrap_or(0);
            let _ = writeln!(
                out,
                "netid_replay_backend_errors_total{{backend=\"{replay_backend}\",kind=\"{kind}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP netid_requests_turned_away_total Requests answered before verification, by HTTP status.\n\
             # TYPE netid_requests_turned_away_total counter"
        );
        for (status, n) in lock(&self.turned_away).iter() {
            let _ = writeln!(
                out,
                "netid_requests_turned_away_total{{status=\"{status}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP netid_challenges_issued_total Challenges issued for interactive mode.\n\
             # TYPE netid_challenges_issued_total counter\n\
             netid_challenges_issued_total {}",
            self.challenges.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP netid_trust_list_generation Trust lists loaded since start (a new one rebuilds the verifier).\n\
             # TYPE netid_trust_list_generation gauge\n\
             netid_trust_list_generation {}",
            sources.trust_generation
        );
        if let Some(age) = sources.trust_age_seconds {
            let _ = writeln!(
                out,
                "# HELP netid_trust_list_age_seconds Seconds since the trust list was last confirmed current.\n\
                 # TYPE netid_trust_list_age_seconds gauge\n\
                 netid_trust_list_age_seconds {age}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP netid_status_list_age_seconds Seconds since each status list was last confirmed current (fetched, 304, or file read).\n\
             # TYPE netid_status_list_age_seconds gauge"
        );
        for list in &sources.lists {
            if let Some(age) = list.age_seconds {
                let _ = writeln!(
                    out,
                    "netid_status_list_age_seconds{{uri=\"{}\"}} {age}",
                    escape_label(&list.uri)
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP netid_list_fetches_total Trust and status list fetches by result.\n\
             # TYPE netid_list_fetches_total counter"
        );
        let mut fetches = |list: &str, c: &crate::sources::FetchCounters| {
            for (result, n) in [
                ("success", c.successes),
                ("not-modified", c.not_modified),
                ("failure", c.failures),
            ] {
                let _ = writeln!(
                    out,
                    "netid_list_fetches_total{{list=\"{}\",result=\"{result}\"}} {n}",
                    escape_label(list)
                );
            }
        };
        fetches("trust", &sources.trust);
        for list in &sources.lists {
            fetches(&list.uri, &list.counters);
        }
        out
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_and_latencies_are_counted_into_their_buckets() {
        let m = Metrics::default();
        m.verification("accepted", Duration::from_micros(700));
        m.verification("accepted", Duration::from_millis(30));
        m.verification("replayed", Duration::from_micros(100));
        m.replay_error("timeout");
        m.turned_away(401);
        let text = m.render(&SourcesMetrics::default(), "redis");
        assert!(text.contains("netid_verifications_total{outcome=\"accepted\"} 2\n"));
        assert!(text.contains("netid_verifications_total{outcome=\"replayed\"} 1\n"));
        assert!(text.contains("netid_verification_duration_seconds_bucket{le=\"0.0005\"} 1\n"));
        assert!(text.contains("netid_verification_duration_seconds_bucket{le=\"0.001\"} 2\n"));
        assert!(text.contains("netid_verification_duration_seconds_bucket{le=\"0.05\"} 3\n"));
        assert!(text.contains("netid_verification_duration_seconds_count 3\n"));
        assert!(
            text.contains(
                "netid_replay_backend_errors_total{backend=\"redis\",kind=\"timeout\"} 1\n"
            )
        );
        assert!(text.contains("netid_requests_turned_away_total{status=\"401\"} 1\n"));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
