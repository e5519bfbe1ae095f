//! `cargo bench -p netid-verifier --bench load`: how many verifications per second one
//! `netid-verifier` with a real Redis replay cache accepts over HTTP, at what latency, and how
//! that compares with `netid_core`'s verifier called in-process on the same machine in the same
//! run.
//!
//! This file owns the whole run: a development issuer home (the `netid` binary), a Debian
//! `redis-server` on a free port in a temp dir, the service binary cargo built for this bench,
//! a pool of fresh distinct codes, a closed-loop phase (maximum throughput), an open-loop phase
//! at a fixed rate (latency measured from each request's scheduled send time, so a slow answer
//! cannot hide the requests queued behind it), the in-process baseline, and a markdown table.
//! It is a benchmark, not a test: it exits non-zero only when the run itself failed (a process
//! would not start, or any request was not accepted), never because a goal was missed. It must
//! never reuse a code against the service (every code is accepted once; a second try is a
//! replay) and never print a code, a claim or the counter's token.

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use netid_core::credential::Purpose;
use netid_core::issuer::TrustList;
use netid_core::present::{HolderSigner, PresentationRequest, present};
use netid_core::status::StatusListCache;
use netid_core::time::{Clock, SystemClock};
use netid_core::verify::{Verifier, VerifierOptions, VerifyRequest};

use support::IssuerHome;

/// Credentials the codes are made from: a few residents, so identities differ per code anyway
/// (each presentation has its own random `cti`).
const CREDENTIALS: usize = 4;
/// Keep-alive connections of the closed loop, each sending back to back.
const CONNECTIONS: usize = 32;
const WARMUP: Duration = Duration::from_secs(1);
const CLOSED: Duration = Duration::from_secs(8);
/// Codes available to the warm-up and the closed loop together; the loop stops early (and
/// says so) if the service is faster than this.
const CLOSED_POOL: usize = 80_000;
const OPEN_RATE: u32 = 1_000;
const OPEN: Duration = Duration::from_secs(10);
/// Connections the open loop may have in flight; a send waits for a free one only when this
/// many answers are outstanding, and that wait counts in its latency.
const OPEN_CONNECTIONS: usize = 32;
/// Code lifetime and the service's `max_age_seconds`: long enough that no code made before the
/// phases expires during them (the defaults, 60 s and 120 s, are shorter than the whole run).
const CODE_LIFETIME_SECS: u32 = 600;
/// The service's clock skew: codes must be made after the replay memory's start plus this.
const SKEW_SECS: u32 = 1;
const IN_PROCESS_LIMIT: Duration = Duration::from_secs(8);
/// Linux's USER_HZ, the unit of /proc/<pid>/stat's CPU times (100 on every mainstream build).
const CLOCK_TICKS: f64 = 100.0;

fn main() -> ExitCode {
    // `cargo bench` passes `--bench`; a filter argument naming something else skips the run,
    // as a harness would.
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args
        .iter()
        .any(|a| !a.starts_with('-') && !"load".contains(a.as_str()))
    {
        return ExitCode::SUCCESS;
    }
    match run() {
        Ok(0) => ExitCode::SUCCESS,
        Ok(failures) => {
            eprintln!("load bench: {failures} request(s) were not accepted; the run failed");
            ExitCode::FAILURE
        }
        Err(message) => {
            eprintln!("load bench: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The run; the number of requests that were not accepted, or why it could not run.
fn run() -> Result<u64, String> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let load_before = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "load bench: {cores} core(s), load average before: {}",
        load_before
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );

    let home = IssuerHome::new(CREDENTIALS);
    let redis = Redis::start()?;
    let work = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
    let config = work.path().join("verifier.toml");
    let token = config_init(home.path(), &config)?;
    let service = Service::start(&config, &redis.url())?;
    // Codes made within the replay memory's first `skew` seconds are refused as possibly
    // replayed across a restart; wait that out before making any.
    std::thread::sleep(Duration::from_secs(u64::from(SKEW_SECS) + 1));

    let started = Instant::now();
    let pool = make_codes(&home, CLOSED_POOL + open_total(), cores);
    let made_in = started.elapsed();
    println!(
        "made {} codes in {:.1} s on {cores} thread(s) ({:.0} codes/s)",
        pool.len(),
        made_in.as_secs_f64(),
        pool.len() as f64 / made_in.as_secs_f64()
    );
    let (closed_pool, open_pool) = pool.split_at(CLOSED_POOL);

    let client = Client {
        addr: service.addr.clone(),
        token,
    };
    let next = AtomicUsize::new(0);
    let warm = closed_loop(&client, closed_pool, &next, WARMUP);
    let cpu_before = [
        cpu_secs("self"),
        service.cpu_secs(),
        redis.cpu_secs(),
        machine_busy_secs(),
    ];
    let closed = closed_loop(&client, closed_pool, &next, CLOSED);
    let cpu_after = [
        cpu_secs("self"),
        service.cpu_secs(),
        redis.cpu_secs(),
        machine_busy_secs(),
    ];
    let open = open_loop(&client, open_pool);

    let in_before = [cpu_secs("self"), machine_busy_secs()];
    let in_process = in_process(&home, closed_pool, cores)?;
    let in_after = [cpu_secs("self"), machine_busy_secs()];
    let load_after = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();

    let mut failures = 0;
    for (name, phase) in [
        ("warm-up", &warm),
        ("closed loop", &closed),
        ("open loop", &open),
    ] {
        for (reason, n) in &phase.refused {
            println!("NOT ACCEPTED in {name}: {n} × {reason}");
            failures += n;
        }
    }
    if closed.accepted == 0 {
        return Err("the closed loop had no accepted verification".into());
    }
    if closed.exhausted {
        println!(
            "note: the closed loop used up its {CLOSED_POOL} codes after {:.1} s; its rate is over that time",
            closed.elapsed.as_secs_f64()
        );
    }

    let secs = closed.elapsed.as_secs_f64();
    let service_rate = closed.accepted as f64 / secs;
    let ratio = service_rate / in_process.rate;
    let in_secs = in_process.elapsed.as_secs_f64();
    let in_cpu = in_after[0] - in_before[0];
    let in_others = ((in_after[1] - in_before[1] - in_cpu) / in_secs).max(0.0);
    // Per CPU-second figures hold up better than rates on a shared machine: neither counts the
    // time other processes took.
    let service_per_cpu = closed.accepted as f64 / (cpu_after[1] - cpu_before[1]);
    let in_per_cpu = in_process.verified as f64 / in_cpu;
    let busy = |i: usize| (cpu_after[i] - cpu_before[i]) / secs;
    // Whatever else ran on the machine meanwhile (it is shared): all busy time minus ours.
    let others = (busy(3) - busy(0) - busy(1) - busy(2)).max(0.0);
    let (open_p50, open_p99) = (
        percentile(&open.latencies, 50.0),
        percentile(&open.latencies, 99.0),
    );
    println!();
    println!(
        "closed loop: {} connections, {:.1} s, {} accepted; CPU in cores busy: service {:.2}, \
         load generator (this process) {:.2}, redis-server {:.2}, other processes {others:.2} \
         of {cores}",
        CONNECTIONS,
        secs,
        closed.accepted,
        busy(1),
        busy(0),
        busy(2)
    );
    println!(
        "open loop: {} requests scheduled at {OPEN_RATE}/s over {:.0} s, {} accepted, sends \
         finished {:.2} s after the first; max latency {:.2} ms",
        open_total(),
        OPEN.as_secs_f64(),
        open.accepted,
        open.elapsed.as_secs_f64(),
        percentile(&open.latencies, 100.0)
    );
    println!(
        "in-process: {} verifications on {cores} thread(s) in {in_secs:.2} s; CPU in cores \
         busy: this process {:.2}, other processes {in_others:.2} of {cores}",
        in_process.verified,
        in_cpu / in_secs
    );
    if others > 0.2 || in_others > 0.2 {
        println!(
            "note: other processes took a noticeable share of the CPU; the rates and their ratio \
             are disturbed (the per-CPU-second figures less so)"
        );
    }
    println!(
        "load average after: {}",
        load_after
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!();
    println!("| measure | value | goal |");
    println!("|---|---|---|");
    println!(
        "| service, accepted verifications/s (closed loop, {CONNECTIONS} connections) | {service_rate:.0} | |"
    );
    println!(
        "| in-process `check_all_but_replay` + insert, verifications/s ({cores} threads) | {:.0} | |",
        in_process.rate
    );
    println!(
        "| ratio service / in-process | {:.1}% | ≥ 60% ({}) |",
        ratio * 100.0,
        met(ratio >= 0.60)
    );
    println!(
        "| service, accepted per service CPU-second / in-process per CPU-second | {service_per_cpu:.0} / {in_per_cpu:.0} ({:.1}%) | |",
        service_per_cpu / in_per_cpu * 100.0
    );
    println!(
        "| latency at max load, p50 / p99 | {:.2} ms / {:.2} ms | |",
        percentile(&closed.latencies, 50.0),
        percentile(&closed.latencies, 99.0)
    );
    println!(
        "| latency at {OPEN_RATE} req/s (from scheduled send), p50 / p99 | {open_p50:.2} ms / {open_p99:.2} ms | p99 ≤ 20 ms ({}) |",
        met(open_p99 <= 20.0)
    );
    drop(service);
    drop(redis);
    Ok(failures)
}

fn met(yes: bool) -> &'static str {
    if yes { "met" } else { "MISSED" }
}

fn open_total() -> usize {
    (u64::from(OPEN_RATE) * OPEN.as_secs()) as usize
}

/// `netid-verifier config init`, then the bench's changes: rates no counter would get, the
/// shortest skew, and an age limit that outlasts the run. Returns the counter's token.
fn config_init(home: &Path, config: &Path) -> Result<String, String> {
    let out = Command::new(env!("CARGO_BIN_EXE_netid-verifier"))
        .args(["config", "init", "--netid-home"])
        .arg(home)
        .arg("--out")
        .arg(config)
        .output()
        .map_err(|e| format!("netid-verifier config init: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "netid-verifier config init failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let token = stdout
        .lines()
        .last()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or("config init printed no token")?
        .to_owned();
    let text = std::fs::read_to_string(config).map_err(|e| format!("read config: {e}"))?;
    let mut edited = text.clone();
    for (from, to) in [
        ("skew_seconds = 30", format!("skew_seconds = {SKEW_SECS}")),
        (
            "max_age_seconds = 120",
            format!("max_age_seconds = {CODE_LIFETIME_SECS}"),
        ),
        ("rate_per_second = 20", "rate_per_second = 1000000".into()),
        ("burst = 40", "burst = 1000000".into()),
    ] {
        if !edited.contains(from) {
            return Err(format!(
                "config init no longer writes `{from}`; update the bench"
            ));
        }
        edited = edited.replace(from, &to);
    }
    std::fs::write(config, edited).map_err(|e| format!("write config: {e}"))?;
    Ok(token)
}

/// `count` distinct fresh hotel check-in codes, signed on `threads` threads.
fn make_codes(home: &IssuerHome, count: usize, threads: usize) -> Vec<String> {
    let request = PresentationRequest {
        lifetime_secs: CODE_LIFETIME_SECS,
        ..PresentationRequest::for_purpose(Purpose::HotelCheckIn)
    };
    let parts: Vec<Vec<String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let request = &request;
                scope.spawn(move || {
                    (t..count)
                        .step_by(threads)
                        .map(|i| {
                            let (key, credential) = &home.holders[i % home.holders.len()];
                            present(credential, request, key as &dyn HolderSigner, &SystemClock)
                                .expect("presentation")
                                .qr_text()
                                .to_string()
                        })
                        .collect()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("signing thread"))
            .collect()
    });
    parts.into_iter().flatten().collect()
}

/// Where the service listens and the counter's token.
struct Client {
    addr: String,
    token: String,
}

impl Client {
    fn connect(&self) -> std::io::Result<TcpStream> {
        let stream = TcpStream::connect(&self.addr)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        Ok(stream)
    }

    fn request(&self, qr: &str, out: &mut Vec<u8>) {
        let body = serde_json::json!({ "qr": qr, "purpose": "hotel" }).to_string();
        out.clear();
        let _ = write!(
            out,
            "POST /v1/verify HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.addr,
            self.token,
            body.len()
        );
    }
}

/// One keep-alive connection, reopened after an error.
struct Connection<'a> {
    client: &'a Client,
    stream: Option<TcpStream>,
    request: Vec<u8>,
    response: Vec<u8>,
}

impl<'a> Connection<'a> {
    fn new(client: &'a Client) -> Self {
        Self {
            client,
            stream: None,
            request: Vec::with_capacity(4096),
            response: Vec::with_capacity(4096),
        }
    }

    /// Verify `qr`: `Ok(())` when accepted, otherwise what came back instead.
    fn verify(&mut self, qr: &str) -> Result<(), String> {
        self.client.request(qr, &mut self.request);
        let (status, body, close) = match self.exchange() {
            Ok(answer) => answer,
            Err(e) => {
                self.stream = None;
                return Err(format!("I/O error: {:?}", e.kind()));
            }
        };
        if close {
            self.stream = None;
        }
        let body = &self.response[body];
        if status == 200 && contains(body, b"\"accepted\":true") {
            return Ok(());
        }
        let reason = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| {
                v.get("reason")
                    .or_else(|| v.pointer("/error/kind"))
                    .and_then(|r| r.as_str().map(str::to_owned))
            })
            .unwrap_or_else(|| "unreadable body".into());
        Err(format!("HTTP {status} {reason}"))
    }

    /// Send the prepared request; the status, where the body is in `response`, and whether the
    /// server closes the connection.
    fn exchange(&mut self) -> std::io::Result<(u16, std::ops::Range<usize>, bool)> {
        if self.stream.is_none() {
            self.stream = Some(self.client.connect()?);
        }
        let stream = self.stream.as_mut().expect("connected");
        stream.write_all(&self.request)?;
        self.response.clear();
        let mut chunk = [0u8; 8192];
        let head_end = loop {
            if let Some(at) = find(&self.response, b"\r\n\r\n") {
                break at + 4;
            }
            let n = stream.read(&mut chunk)?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            self.response.extend_from_slice(&chunk[..n]);
        };
        let head = std::str::from_utf8(&self.response[..head_end])
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidData))?;
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse::<u16>().ok())
            .ok_or(std::io::ErrorKind::InvalidData)?;
        let mut length = None;
        let mut close = false;
        for line in head.split("\r\n").skip(1) {
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse::<usize>().ok();
                } else if name.eq_ignore_ascii_case("connection") {
                    close = value.trim().eq_ignore_ascii_case("close");
                }
            }
        }
        // Every answer of this API has a length; chunked would mean something changed.
        let length = length.ok_or(std::io::ErrorKind::InvalidData)?;
        while self.response.len() < head_end + length {
            let n = stream.read(&mut chunk)?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            self.response.extend_from_slice(&chunk[..n]);
        }
        Ok((status, head_end..head_end + length, close))
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    find(haystack, needle).is_some()
}

/// What one phase saw.
#[derive(Default)]
struct Phase {
    accepted: u64,
    /// Latencies in microseconds, every request's.
    latencies: Vec<u64>,
    refused: BTreeMap<String, u64>,
    elapsed: Duration,
    exhausted: bool,
}

impl Phase {
    fn merge(&mut self, other: Phase) {
        self.accepted += other.accepted;
        self.latencies.extend(other.latencies);
        for (reason, n) in other.refused {
            *self.refused.entry(reason).or_default() += n;
        }
        self.exhausted |= other.exhausted;
    }

    fn record(&mut self, outcome: Result<(), String>, latency: Duration) {
        self.latencies
            .push(u64::try_from(latency.as_micros()).unwrap_or(u64::MAX));
        match outcome {
            Ok(()) => self.accepted += 1,
            Err(reason) => *self.refused.entry(reason).or_default() += 1,
        }
    }
}

/// [`CONNECTIONS`] connections sending back to back for `length`, taking codes from `pool` at
/// `next`.
fn closed_loop(client: &Client, pool: &[String], next: &AtomicUsize, length: Duration) -> Phase {
    let start = Instant::now();
    let stop = start + length;
    let mut phase = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..CONNECTIONS)
            .map(|_| {
                scope.spawn(move || {
                    let mut connection = Connection::new(client);
                    let mut phase = Phase::default();
                    while Instant::now() < stop {
                        let Some(qr) = pool.get(next.fetch_add(1, Ordering::Relaxed)) else {
                            phase.exhausted = true;
                            break;
                        };
                        let sent = Instant::now();
                        let outcome = connection.verify(qr);
                        phase.record(outcome, sent.elapsed());
                    }
                    phase
                })
            })
            .collect();
        let mut all = Phase::default();
        for worker in workers {
            all.merge(worker.join().expect("closed-loop worker"));
        }
        all
    });
    phase.elapsed = start.elapsed();
    phase
}

/// Request `i` is due at start + i / [`OPEN_RATE`]; whichever of [`OPEN_CONNECTIONS`] workers
/// is free sends it, and its latency runs from when it was due, not from when it went out.
fn open_loop(client: &Client, pool: &[String]) -> Phase {
    let next = AtomicUsize::new(0);
    let interval = Duration::from_secs(1) / OPEN_RATE;
    // The first request is due a little after the workers exist.
    let start = Instant::now() + Duration::from_millis(50);
    let mut phase = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..OPEN_CONNECTIONS)
            .map(|_| {
                let next = &next;
                scope.spawn(move || {
                    let mut connection = Connection::new(client);
                    // Connect before the schedule starts, as a counter's client would be.
                    let _ = connection
                        .client
                        .connect()
                        .map(|s| connection.stream = Some(s));
                    let mut phase = Phase::default();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(qr) = pool.get(i) else { break };
                        let due = start + interval * u32::try_from(i).unwrap_or(u32::MAX);
                        if let Some(wait) = due.checked_duration_since(Instant::now()) {
                            std::thread::sleep(wait);
                        }
                        let outcome = connection.verify(qr);
                        phase.record(outcome, due.elapsed());
                    }
                    phase
                })
            })
            .collect();
        let mut all = Phase::default();
        for worker in workers {
            all.merge(worker.join().expect("open-loop worker"));
        }
        all
    });
    phase.elapsed = start.elapsed();
    phase
}

/// `p`th percentile of microsecond latencies, in milliseconds (nearest rank).
fn percentile(latencies: &[u64], p: f64) -> f64 {
    if latencies.is_empty() {
        return f64::NAN;
    }
    let mut sorted = latencies.to_vec();
    sorted.sort_unstable();
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1000.0
}

struct InProcess {
    verified: usize,
    elapsed: Duration,
    rate: f64,
}

/// The core's verifier with the service's trust list, status list and options, verifying QR
/// text with `check_all_but_replay` and recording each identity in an in-process set: the
/// service's work minus HTTP, JSON and Redis. Codes already sent to the service are fine here:
/// this verifier has its own replay memory.
fn in_process(home: &IssuerHome, pool: &[String], threads: usize) -> Result<InProcess, String> {
    let trust = TrustList::load(&home.trust_file()).map_err(|e| format!("trust list: {e}"))?;
    let now = u64::try_from(SystemClock.now().as_secs()).unwrap_or(0);
    let mut status = StatusListCache::new(3600);
    let list = std::fs::read(home.status_file()).map_err(|e| format!("status list: {e}"))?;
    status
        .verify_and_insert(&list, &trust.status_issuer_keys(), now)
        .map_err(|e| format!("status list: {e}"))?;
    let mut verifier = Verifier::with_options(
        trust,
        Box::new(SystemClock),
        VerifierOptions {
            skew_secs: SKEW_SECS,
            max_age_secs: CODE_LIFETIME_SECS,
            replay_capacity: 1,
            ..VerifierOptions::default()
        },
    );
    verifier.set_status_lookup(Box::new(status));
    let request = VerifyRequest::for_purpose(Purpose::HotelCheckIn);
    let seen = Mutex::new(HashSet::<[u8; 32]>::with_capacity(pool.len()));
    let next = AtomicUsize::new(0);
    let start = Instant::now();
    let stop = start + IN_PROCESS_LIMIT;
    let outcomes: Vec<Result<usize, String>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut verified = 0;
                    while Instant::now() < stop {
                        let Some(qr) = pool.get(next.fetch_add(1, Ordering::Relaxed)) else {
                            break;
                        };
                        let bytes = netid_core::credential::from_qr_text(qr)
                            .map_err(|e| format!("in-process: malformed code: {e}"))?;
                        let unrecorded = verifier
                            .check_all_but_replay(&bytes, &request)
                            .map_err(|e| format!("in-process: refused: {}", e.kind()))?;
                        let first = seen
                            .lock()
                            .expect("replay set")
                            .insert(*unrecorded.replay_identity());
                        if !first {
                            return Err("in-process: a code was seen twice".into());
                        }
                        std::hint::black_box(unrecorded.into_verified_after_recording());
                        verified += 1;
                    }
                    Ok(verified)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("in-process worker"))
            .collect()
    });
    let elapsed = start.elapsed();
    let mut verified = 0;
    for outcome in outcomes {
        verified += outcome?;
    }
    Ok(InProcess {
        verified,
        elapsed,
        rate: verified as f64 / elapsed.as_secs_f64(),
    })
}

/// CPU time (user + system) a process used so far, seconds; 0 when unreadable.
fn cpu_secs(pid: &str) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // Fields after the command name (which may hold spaces) start at field 3, `state`;
    // utime and stime are fields 14 and 15.
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return 0.0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / CLOCK_TICKS
}

/// CPU time all cores spent busy since boot (everything but idle and I/O wait), seconds.
fn machine_busy_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let Some(line) = stat.lines().find(|l| l.starts_with("cpu ")) else {
        return 0.0;
    };
    let ticks: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal …: the first seven without idle and
    // iowait (steal is the hypervisor's, guest time is already in user).
    let busy: f64 = ticks
        .iter()
        .take(7)
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4)
        .map(|(_, t)| t)
        .sum();
    busy / CLOCK_TICKS
}

/// A loopback port free a moment ago.
fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// A Debian `redis-server` in a temp dir, without persistence, refusing to evict; killed on
/// drop.
struct Redis {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Redis {
    fn start() -> Result<Self, String> {
        let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
        let port = free_port()?;
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .args(["--maxmemory-policy", "noeviction"])
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("redis-server does not start: {e}"))?;
        let redis = Self {
            child,
            port,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !redis.pong() {
            if Instant::now() > deadline {
                return Err(format!("redis-server on port {port} never answered PING"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(redis)
    }

    fn pong(&self) -> bool {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let mut answer = [0u8; 7];
        s.write_all(b"PING\r\n").is_ok()
            && s.read_exact(&mut answer).is_ok()
            && &answer == b"+PONG\r\n"
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn cpu_secs(&self) -> f64 {
        cpu_secs(&self.child.id().to_string())
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The service binary cargo built for this bench, on a free port; its audit lines drained so
/// it never blocks on a full pipe; killed on drop.
struct Service {
    child: Child,
    addr: String,
}

impl Service {
    fn start(config: &Path, redis_url: &str) -> Result<Self, String> {
        let mut child = Command::new(env!("CARGO_BIN_EXE_netid-verifier"))
            .arg("--config")
            .arg(config)
            .args(["--listen", "127.0.0.1:0", "--redis", redis_url])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("netid-verifier does not start: {e}"))?;
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut line = String::new();
        let _ = stdout.read_line(&mut line);
        let Some(addr) = line.trim().strip_prefix("listening on http://") else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("netid-verifier's first line was {line:?}"));
        };
        let addr = addr.to_owned();
        std::thread::spawn(move || {
            let mut sink = [0u8; 64 * 1024];
            while matches!(stdout.read(&mut sink), Ok(n) if n > 0) {}
        });
        Ok(Self { child, addr })
    }

    fn cpu_secs(&self) -> f64 {
        cpu_secs(&self.child.id().to_string())
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
