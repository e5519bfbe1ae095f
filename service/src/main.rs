//! `netid-verifier`: the counter network's verification service (docs/service.md).
//!
//! This file owns the command line and the start-up order — configuration, trust and status
//! sources, replay cache, listener — and nothing else. It must refuse to start rather than
//! serve with a half-working setup: a bad configuration, a trust list it cannot load, or a
//! Redis it cannot reach or that may evict keys ends the process with a message saying what
//! to fix.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::{Args, Parser, Subcommand};
use netid_verifier::api::{self, AppState};
use netid_verifier::audit::AuditLog;
use netid_verifier::config::Config;
use netid_verifier::config_init::{self, InitRequest};
use netid_verifier::replay::{InProcessCache, RedisCache, RedisTarget, ReplayCache};
use netid_verifier::server::{self, ConnectionLimits};
use netid_verifier::sources::TrustAndStatus;

/// netid's verification service: many counters, one replay cache, trust and status lists over
/// HTTP.
#[derive(Parser)]
#[command(
    name = "netid-verifier",
    version,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Args)]
struct ServeArgs {
    /// The configuration file (docs/service.md, "Configuration").
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Listen here instead of the configuration's `listen` (port 0 picks a free port).
    #[arg(long, value_name = "ADDR")]
    listen: Option<std::net::SocketAddr>,
    /// Keep the replay cache in this Redis (`redis://host:port`) instead of the configured one
    /// or the embedded in-process cache.
    #[arg(long, value_name = "URL", conflicts_with = "redis_cluster")]
    redis: Option<String>,
    /// Keep the replay cache in this Redis Cluster (seed URLs, comma-separated).
    #[arg(long, value_name = "URLS", value_delimiter = ',')]
    redis_cluster: Option<Vec<String>>,
    /// This instance's status-list rollback record, instead of the configuration's
    /// `[status] state_file` (each instance needs its own; one configuration can serve many).
    #[arg(long, value_name = "FILE")]
    state_file: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Configuration files.
    #[command(subcommand)]
    Config(ConfigCommand),
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Write a working configuration for a development netid home and print its counter's
    /// token once, alone on the last line.
    Init {
        /// The netid home whose development issuer to trust.
        #[arg(long, value_name = "DIR")]
        netid_home: PathBuf,
        /// Where to write the configuration.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Fetch trust and status lists from `netid issuer serve` at this base URL instead of
        /// reading the home's files.
        #[arg(long, value_name = "URL")]
        issuer_url: Option<String>,
        /// Replace an existing file.
        #[arg(long)]
        force: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Config(ConfigCommand::Init {
            netid_home,
            out,
            issuer_url,
            force,
        })) => init(InitRequest {
            netid_home,
            out,
            issuer_url,
            force,
        }),
        None => serve(cli.serve),
    }
}

fn init(request: InitRequest) -> ExitCode {
    match config_init::init(&request) {
        Ok(done) => {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(
                out,
                "wrote {}\ncounter desk-1's bearer token (shown once; the file keeps only its SHA-256):\n{}",
                done.path.display(),
                done.token.as_str()
            );
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("netid-verifier: {message}");
            ExitCode::from(2)
        }
    }
}

fn serve(args: ServeArgs) -> ExitCode {
    let Some(path) = args.config else {
        eprintln!(
            "netid-verifier: give --config FILE (write one with `netid-verifier config init \
             --netid-home DIR --out FILE`)"
        );
        return ExitCode::from(2);
    };
    let mut config = match Config::load(&path) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("netid-verifier: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    if let Some(url) = args.redis {
        if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
            eprintln!("netid-verifier: --redis {url:?} is not a redis:// URL");
            return ExitCode::from(2);
        }
        config.replay.redis_url = Some(url);
        config.replay.redis_cluster.clear();
    }
    if let Some(file) = args.state_file {
        config.status.state_file = Some(file);
    }
    if let Some(seeds) = args.redis_cluster {
        config.replay.redis_url = None;
        config.replay.redis_cluster = seeds;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("netid-verifier: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    runtime.block_on(run(config))
}

async fn run(config: Config) -> ExitCode {
    let (stop_sources, sources_shutdown) = tokio::sync::watch::channel(false);
    let memory_shutdown = sources_shutdown.clone();
    let sources = match TrustAndStatus::start(&config.sources(), sources_shutdown).await {
        Ok(sources) => sources,
        Err(e) => {
            eprintln!("netid-verifier: {e}");
            return ExitCode::from(1);
        }
    };
    let replay = match open_replay_cache(&config).await {
        Ok(replay) => replay,
        Err(message) => {
            eprintln!("netid-verifier: {message}");
            return ExitCode::from(1);
        }
    };
    let listener = match tokio::net::TcpListener::bind(config.listen).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("netid-verifier: cannot listen on {}: {e}", config.listen);
            return ExitCode::from(1);
        }
    };
    let address = listener.local_addr().map_or(config.listen, |a| a);
    eprintln!(
        "netid-verifier: replay cache {}, {} counter(s), purposes {}",
        replay.kind(),
        config.counters.len(),
        config
            .purposes()
            .iter()
            .map(|p| p.purpose.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    {
        // Scripts wait for this line; it comes before any audit line.
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "listening on http://{address}");
        let _ = out.flush();
    }
    let state = Arc::new(AppState::new(
        &config,
        sources,
        replay,
        AuditLog::to_stdout(),
    ));
    tokio::spawn(api::keep_replay_memory(Arc::clone(&state), memory_shutdown));
    let request_timeout = Duration::from_millis(config.limits.request_timeout_ms);
    let router = api::router(state, config.limits.max_body_bytes, request_timeout);
    let limits = ConnectionLimits {
        header_timeout: Duration::from_millis(config.limits.header_timeout_ms),
        max_connections: config.limits.max_connections,
        grace: request_timeout + Duration::from_secs(1),
    };
    server::serve(listener, router, limits, shutdown_signal()).await;
    let _ = stop_sources.send(true);
    eprintln!("netid-verifier: stopped");
    ExitCode::SUCCESS
}

async fn open_replay_cache(config: &Config) -> Result<ReplayCache, String> {
    let skew = Duration::from_secs(u64::from(config.verifier.skew_seconds));
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let target = match (
        &config.replay.redis_url,
        config.replay.redis_cluster.as_slice(),
    ) {
        (Some(url), _) => RedisTarget::Single(url.clone()),
        (None, []) => {
            return Ok(ReplayCache::InProcess(InProcessCache::new(
                now_ms,
                skew,
                config.replay.in_process_capacity,
            )));
        }
        (None, seeds) => RedisTarget::Cluster(seeds.to_vec()),
    };
    RedisCache::connect(
        &target,
        &config.replay.key_prefix,
        skew,
        Duration::from_millis(config.replay.timeout_ms),
        config.replay.assume_noeviction,
        now_ms,
    )
    .await
    .map(ReplayCache::Redis)
}

/// SIGTERM or SIGINT (Ctrl-C).
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = interrupt => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
    eprintln!("netid-verifier: shutting down; letting in-flight requests finish");
}
