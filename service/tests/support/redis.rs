//! Real Redis for the replay cache's tests: `redis-server` processes (Debian's Redis 7) on free
//! loopback ports, each in its own temporary directory without persistence, killed on drop —
//! one node ([`RedisServer`]) or a 3-master Cluster ([`RedisCluster`]). It owns those processes
//! and nothing else: it must never touch a Redis it did not start (no fixed ports, no 6379), and
//! never skip when `redis-server` is missing — a missing tool is a failure (scripts/setup.sh
//! installs it).

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// How long a node may take to answer PING, or a Cluster to reach `cluster_state:ok`.
const START_DEADLINE: Duration = Duration::from_secs(10);

/// A loopback port that is free now, below 55000 and with port + 10000 free too (a Cluster node's
/// bus port), and never handed out before in this process: the tests of one binary run in
/// parallel, and two of them picking the same just-released port would start flaky failures.
fn free_port() -> u16 {
    static HANDED_OUT: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());
    for _ in 0..10_000 {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("bind a loopback port")
            .port();
        if !(1024..55_000).contains(&port) {
            continue;
        }
        if TcpListener::bind(("127.0.0.1", port + 10_000)).is_err() {
            continue;
        }
        let mut handed_out = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
        if handed_out.insert(port) {
            return port;
        }
    }
    panic!("no free loopback port below 55000 with a free bus port");
}

/// What a server is started with beyond the common arguments.
#[derive(Clone, Debug)]
pub struct RedisOptions {
    /// `maxmemory-policy`: `noeviction` unless a test wants one the service must refuse.
    pub maxmemory_policy: &'static str,
    /// `enable-debug-command yes`: Redis 7 refuses `DEBUG` by default; the slow-Redis test
    /// needs `DEBUG SLEEP`.
    pub debug_command: bool,
    /// Extra arguments (the Cluster's).
    pub extra: Vec<String>,
}

impl Default for RedisOptions {
    fn default() -> Self {
        Self {
            maxmemory_policy: "noeviction",
            debug_command: false,
            extra: Vec::new(),
        }
    }
}

/// One `redis-server` on a free port, killed on drop.
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    dir: TempDir,
    options: RedisOptions,
}

impl RedisServer {
    /// A node with `maxmemory-policy noeviction`, as the service requires.
    pub fn start() -> Self {
        Self::start_with(RedisOptions::default())
    }

    /// A node that evicts keys under memory pressure (`allkeys-lru`), which the service must
    /// refuse.
    pub fn start_evicting() -> Self {
        Self::start_with(RedisOptions {
            maxmemory_policy: "allkeys-lru",
            ..RedisOptions::default()
        })
    }

    /// A node that accepts `DEBUG SLEEP`.
    pub fn start_with_debug() -> Self {
        Self::start_with(RedisOptions {
            debug_command: true,
            ..RedisOptions::default()
        })
    }

    pub fn start_with(options: RedisOptions) -> Self {
        // A port free when picked can be taken before redis-server binds it; a few fresh tries
        // keep that race from failing a test.
        let mut last_error = String::new();
        for _ in 0..5 {
            let mut server = Self {
                child: None,
                port: free_port(),
                dir: TempDir::new().expect("a temporary directory for Redis"),
                options: options.clone(),
            };
            match server.spawn() {
                Ok(()) => return server,
                Err(e) => last_error = e,
            }
        }
        panic!("redis-server did not start: {last_error}");
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("redis.log")
    }

    /// Start the process on this server's port and directory; Ok once it answers PING.
    fn spawn(&mut self) -> Result<(), String> {
        let mut cmd = Command::new("redis-server");
        cmd.args(["--bind", "127.0.0.1", "--port"])
            .arg(self.port.to_string())
            .arg("--dir")
            .arg(self.dir.path())
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .args(["--maxmemory-policy", self.options.maxmemory_policy])
            .arg("--logfile")
            .arg(self.log_path());
        if self.options.debug_command {
            cmd.args(["--enable-debug-command", "yes"]);
        }
        cmd.args(&self.options.extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = cmd
            .spawn()
            .map_err(|e| format!("cannot run redis-server (is it installed?): {e}"))?;
        self.child = Some(child);
        let deadline = Instant::now() + START_DEADLINE;
        loop {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                self.child = None;
                return Err(format!(
                    "redis-server on port {} exited with {status}: {}",
                    self.port,
                    self.log_tail()
                ));
            }
            if self.cli(&["PING"]) == "PONG" {
                return Ok(());
            }
            if Instant::now() > deadline {
                self.stop();
                return Err(format!(
                    "redis-server on port {} did not answer PING within {START_DEADLINE:?}: {}",
                    self.port,
                    self.log_tail()
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(5)..].join("\n")
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kill the process and wait for it: its memory is gone (no persistence).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stop, then start again on the same port and directory: without persistence it comes back
    /// empty, as after a crash; after a `SAVE` it reloads that older snapshot.
    pub fn restart(&mut self) {
        self.stop();
        // The just-released port may linger for a moment; retry the spawn instead of failing.
        let deadline = Instant::now() + START_DEADLINE;
        loop {
            match self.spawn() {
                Ok(()) => return,
                Err(e) if Instant::now() > deadline => panic!("Redis did not restart: {e}"),
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    /// `redis-cli -p <port> <args>`, its standard output trimmed (a refused connection gives
    /// an empty or error text, never a panic: callers poll with it).
    pub fn cli(&self, args: &[&str]) -> String {
        redis_cli(self.port, args)
    }

    /// Does the server leave a PING unanswered for `wait`? True while it is busy, e.g. in
    /// `DEBUG SLEEP` (the PING is answered later, on a connection nobody reads any more).
    pub fn is_unresponsive(&self, wait: Duration) -> bool {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect to Redis");
        stream.set_read_timeout(Some(wait)).expect("read timeout");
        stream.write_all(b"PING\r\n").expect("send PING");
        let mut reply = [0u8; 7];
        match stream.read(&mut reply) {
            Ok(n) => n == 0,
            Err(e) => matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
        }
    }

    /// [`Self::cli`] by port, for a thread that cannot borrow the server (a blocking
    /// `DEBUG SLEEP` beside the test).
    pub fn cli_on(port: u16, args: &[&str]) -> String {
        redis_cli(port, args)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn redis_cli(port: u16, args: &[&str]) -> String {
    let out = Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p"])
        .arg(port.to_string())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("redis-cli runs (is redis-tools installed?)");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A Redis Cluster of three masters without replicas, every node killed on drop.
pub struct RedisCluster {
    nodes: Vec<RedisServer>,
}

impl RedisCluster {
    pub fn start() -> Self {
        let nodes: Vec<RedisServer> = (0..3)
            .map(|_| {
                RedisServer::start_with(RedisOptions {
                    extra: [
                        "--cluster-enabled",
                        "yes",
                        "--cluster-config-file",
                        "nodes.conf",
                        // Short, so a node that stops answering is noticed within a test's time.
                        "--cluster-node-timeout",
                        "2000",
                    ]
                    .map(String::from)
                    .to_vec(),
                    ..RedisOptions::default()
                })
            })
            .collect();
        let addresses: Vec<String> = nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port()))
            .collect();
        let out = Command::new("redis-cli")
            .arg("--cluster")
            .arg("create")
            .args(&addresses)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .stdin(Stdio::null())
            .output()
            .expect("redis-cli runs");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && text.contains("All 16384 slots covered"),
            "redis-cli --cluster create failed: {text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let cluster = Self { nodes };
        cluster.wait_ok();
        cluster
    }

    /// `redis://127.0.0.1:<port>` of every master.
    pub fn seed_urls(&self) -> Vec<String> {
        self.nodes.iter().map(RedisServer::url).collect()
    }

    pub fn nodes(&self) -> &[RedisServer] {
        &self.nodes
    }

    /// One master, to stop or restart it (it rejoins from its `nodes.conf`, empty).
    pub fn node_mut(&mut self, i: usize) -> &mut RedisServer {
        &mut self.nodes[i]
    }

    /// Wait until every node says `cluster_state:ok`.
    pub fn wait_ok(&self) {
        let deadline = Instant::now() + START_DEADLINE;
        while !self
            .nodes
            .iter()
            .all(|n| n.cli(&["CLUSTER", "INFO"]).contains("cluster_state:ok"))
        {
            assert!(
                Instant::now() < deadline,
                "the Cluster did not reach cluster_state:ok within {START_DEADLINE:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// FLUSHALL on every master: the whole Cluster forgets at once.
    pub fn flushall_everywhere(&self) {
        for node in &self.nodes {
            assert_eq!(node.cli(&["FLUSHALL"]), "OK", "FLUSHALL on {}", node.port());
        }
    }
}
