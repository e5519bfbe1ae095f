//! The replay cache on Redis, a single node or a Cluster: every instance of the service shares
//! one memory of used codes.
//!
//! Keys are spread over 64 buckets with Redis Cluster hash tags (`netid:{r2a}:…`) so they spread
//! over the masters, and every operation touches one bucket only, so it runs on one node. A
//! bucket holds a *memory start* (`…:e`, no expiry), the `run_id` of the Redis process that set
//! it (`…:n`), and its used-code keys (`…:u:<id>`, expiring just after the expiry the caller
//! gives, which is the code's effective expiry + skew). One Lua script per check reads the memory
//! start and starts it again at "now" when it is gone (a flush, a restart without persistence)
//! or was set by another Redis process (a restart that reloaded an older snapshot or an AOF
//! missing its last writes, a failover to a replica that lagged): in those cases used-code keys
//! may have been lost while the memory start survived. Then it does `SET NX PX` of the code's
//! key. The start-up check refuses a Redis that may evict keys, since an evicted entry would let
//! a used code through. This module must never report a first use that the script did not
//! record, nor turn an error or a timeout into an answer.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClientBuilder;
use redis::cluster_async::ClusterConnection;
use redis::{FromRedisValue, Script, Value};

use super::{Redeemed, ReplayDecision, ReplayUnavailable};

/// Buckets (hash tags) the keys are spread over.
const BUCKETS: u8 = 64;

/// Leaves the bucket's memory start in `start`: kept when this same Redis process set it,
/// otherwise started again at `ARGV[1]` (now), never earlier than it was. `KEYS[1]` is the memory
/// start, `KEYS[2]` the `run_id` that set it. `run_id` changes with every start of a Redis
/// process and differs between a master and its replicas, so a reload or a failover is noticed
/// even when the memory start itself survived it.
const MEMORY_START: &str = r"
local run_id = string.match(redis.call('INFO', 'server'), 'run_id:(%x+)')
if not run_id then
  return redis.error_reply('INFO server names no run_id')
end
local start = redis.call('GET', KEYS[1])
if (not start) or redis.call('GET', KEYS[2]) ~= run_id then
  if (not start) or tonumber(start) < tonumber(ARGV[1]) then
    start = ARGV[1]
  end
  redis.call('SET', KEYS[1], start)
  redis.call('SET', KEYS[2], run_id)
end
";

/// After [`MEMORY_START`]: returns `{0, memory_start}` for a code from before the memory
/// (+ skew), `{1, 0}` when the code's key (`KEYS[3]`) was set now, `{2, 0}` when it existed.
const CHECK_AND_INSERT: &str = r"
if tonumber(ARGV[3]) <= tonumber(start) + tonumber(ARGV[4]) then
  return {0, tonumber(start)}
end
if redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[2]) then
  return {1, 0}
end
return {2, 0}
";

/// After [`MEMORY_START`], at start-up: the bucket's memory start.
const START_MEMORY: &str = r"
return tonumber(start)
";

/// Where the Redis is.
#[derive(Clone, Debug)]
pub enum RedisTarget {
    /// One node, `redis://host:port`.
    Single(String),
    /// Seed nodes of a Cluster.
    Cluster(Vec<String>),
}

#[derive(Clone)]
enum Connection {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

/// The replay cache on Redis.
pub struct RedisCache {
    connection: Connection,
    prefix: String,
    skew_ms: i64,
    timeout: Duration,
    check: Script,
    start: Script,
}

impl RedisCache {
    /// Connect, check that Redis never evicts keys (unless `assume_noeviction`), and start the
    /// memory of every bucket that has none (`SET NX`: a running deployment keeps its own).
    /// Errors are messages for the operator.
    pub async fn connect(
        target: &RedisTarget,
        prefix: &str,
        skew: Duration,
        timeout: Duration,
        assume_noeviction: bool,
        now_ms: i64,
    ) -> Result<Self, String> {
        let connect_timeout = timeout.max(Duration::from_secs(2));
        let connection = match target {
            RedisTarget::Single(url) => {
                let client = redis::Client::open(url.as_str())
                    .map_err(|e| format!("the Redis URL is not usable: {e}"))?;
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(connect_timeout)
                    .set_response_timeout(timeout)
                    .set_number_of_retries(1)
                    .set_max_delay(500);
                let manager = tokio::time::timeout(
                    connect_timeout,
                    ConnectionManager::new_with_config(client, config),
                )
                .await
                .map_err(|_| format!("Redis at {url} did not answer within {connect_timeout:?}"))?
                .map_err(|e| format!("cannot connect to Redis at {url}: {e}"))?;
                Connection::Single(manager)
            }
            RedisTarget::Cluster(seeds) => {
                let client = ClusterClientBuilder::new(seeds.clone())
                    .connection_timeout(connect_timeout)
                    .response_timeout(timeout)
                    .build()
                    .map_err(|e| format!("the Redis Cluster seed URLs are not usable: {e}"))?;
                let connection =
                    tokio::time::timeout(connect_timeout, client.get_async_connection())
                        .await
                        .map_err(|_| {
                            format!("the Redis Cluster did not answer within {connect_timeout:?}")
                        })?
                        .map_err(|e| format!("cannot connect to the Redis Cluster: {e}"))?;
                Connection::Cluster(connection)
            }
        };
        let cache = Self {
            connection,
            prefix: prefix.to_owned(),
            skew_ms: i64::try_from(skew.as_millis()).unwrap_or(i64::MAX),
            timeout,
            check: Script::new(&format!("{MEMORY_START}{CHECK_AND_INSERT}")),
            start: Script::new(&format!("{MEMORY_START}{START_MEMORY}")),
        };
        if !assume_noeviction {
            cache.refuse_evicting_nodes(target).await?;
        }
        // A running deployment keeps its memory start; a Redis restarted or failed over since
        // gets a new one now rather than at the first check.
        cache
            .keep_memory_starts(now_ms)
            .await
            .map_err(|e| format!("cannot start the replay memory in Redis: {e}"))?;
        Ok(cache)
    }

    /// Run the memory-start rule on every bucket, as a check would. After a flush, a restart or
    /// a failover, a bucket's memory otherwise begins only when a code first lands in it, and
    /// every code made before that (+ skew) is refused; calling this every second bounds that
    /// to a second (+ skew) after the loss for all buckets. Safety never depends on it.
    pub async fn keep_memory_starts(&self, now_ms: i64) -> Result<(), ReplayUnavailable> {
        for bucket in 0..BUCKETS {
            let mut invocation = self.start.prepare_invoke();
            invocation
                .key(self.memory_start_key(bucket))
                .key(self.run_id_key(bucket))
                .arg(now_ms);
            self.invoke::<i64>(&invocation).await?;
        }
        Ok(())
    }

    /// `redis` or `redis-cluster`.
    pub fn kind(&self) -> &'static str {
        match self.connection {
            Connection::Single(_) => "redis",
            Connection::Cluster(_) => "redis-cluster",
        }
    }

    async fn refuse_evicting_nodes(&self, target: &RedisTarget) -> Result<(), String> {
        let nodes = match target {
            RedisTarget::Single(url) => vec![url.clone()],
            RedisTarget::Cluster(_) => self.cluster_masters().await?,
        };
        for url in nodes {
            let client = redis::Client::open(url.as_str())
                .map_err(|e| format!("the Redis URL {url} is not usable: {e}"))?;
            let mut connection = tokio::time::timeout(
                Duration::from_secs(5),
                client.get_multiplexed_async_connection(),
            )
            .await
            .map_err(|_| format!("Redis at {url} did not answer"))?
            .map_err(|e| format!("cannot connect to Redis at {url}: {e}"))?;
            let reply: Vec<String> = redis::cmd("CONFIG")
                .arg("GET")
                .arg("maxmemory-policy")
                .query_async(&mut connection)
                .await
                .map_err(|e| {
                    format!(
                        "cannot read maxmemory-policy from Redis at {url} ({e}); if CONFIG is \
                         disabled there and the policy is noeviction, set \
                         replay.assume_noeviction = true"
                    )
                })?;
            let policy = reply.get(1).map(String::as_str).unwrap_or("");
            if policy != "noeviction" {
                return Err(format!(
                    "Redis at {url} has maxmemory-policy `{policy}`: it may evict replay \
                     entries under memory pressure, which would let a used code be accepted \
                     again; set `maxmemory-policy noeviction` (a full Redis then refuses \
                     writes, and the service refuses codes instead of forgetting them)"
                ));
            }
        }
        Ok(())
    }

    /// The masters of the Cluster, as `redis://ip:port`, from `CLUSTER SLOTS`.
    async fn cluster_masters(&self) -> Result<Vec<String>, String> {
        let slots: Value = self
            .query(redis::cmd("CLUSTER").arg("SLOTS").to_owned())
            .await
            .map_err(|e| format!("cannot list the Redis Cluster's nodes: {e}"))?;
        let mut masters = Vec::new();
        if let Value::Array(ranges) = slots {
            for range in ranges {
                let Value::Array(fields) = range else {
                    continue;
                };
                if let Some(Value::Array(master)) = fields.get(2) {
                    let host = master
                        .first()
                        .and_then(|v| String::from_redis_value(v).ok());
                    let port = master.get(1).and_then(|v| i64::from_redis_value(v).ok());
                    if let (Some(host), Some(port)) = (host, port) {
                        let url = format!("redis://{host}:{port}");
                        if !masters.contains(&url) {
                            masters.push(url);
                        }
                    }
                }
            }
        }
        if masters.is_empty() {
            return Err("the Redis Cluster reports no masters".into());
        }
        Ok(masters)
    }

    fn bucket(id: &[u8]) -> u8 {
        id.first().copied().unwrap_or(0) % BUCKETS
    }

    fn memory_start_key(&self, bucket: u8) -> String {
        format!("{}:{{r{bucket:02x}}}:e", self.prefix)
    }

    fn run_id_key(&self, bucket: u8) -> String {
        format!("{}:{{r{bucket:02x}}}:n", self.prefix)
    }

    /// The Redis key that records `identity`: for an operator checking an entry's expiry
    /// (`PTTL`), and for the tests that do.
    pub fn used_key(&self, identity: &[u8; 32]) -> String {
        format!(
            "{}:{{r{:02x}}}:u:{}",
            self.prefix,
            Self::bucket(identity),
            hex::encode(identity)
        )
    }

    fn challenge_key(&self, nonce: &[u8]) -> String {
        format!(
            "{}:{{r{:02x}}}:c:{}",
            self.prefix,
            Self::bucket(nonce),
            hex::encode(nonce)
        )
    }

    async fn query<T: FromRedisValue>(&self, cmd: redis::Cmd) -> Result<T, ReplayUnavailable> {
        let run = async {
            match self.connection.clone() {
                Connection::Single(mut c) => cmd.query_async(&mut c).await,
                Connection::Cluster(mut c) => cmd.query_async(&mut c).await,
            }
        };
        finish(tokio::time::timeout(self.timeout, run).await, self.timeout)
    }

    async fn invoke<T: FromRedisValue>(
        &self,
        invocation: &redis::ScriptInvocation<'_>,
    ) -> Result<T, ReplayUnavailable> {
        let run = async {
            match self.connection.clone() {
                Connection::Single(mut c) => invocation.invoke_async::<T>(&mut c).await,
                Connection::Cluster(mut c) => invocation.invoke_async::<T>(&mut c).await,
            }
        };
        finish(tokio::time::timeout(self.timeout, run).await, self.timeout)
    }

    pub(super) async fn check_and_insert(
        &self,
        identity: &[u8; 32],
        now_ms: i64,
        until_ms: i64,
        issued_at_ms: i64,
    ) -> Result<ReplayDecision, ReplayUnavailable> {
        // Recorded through `until_ms` inclusive, as in the in-process cache: the key lives
        // until_ms − now_ms + 1 ms.
        let ttl_ms = until_ms.saturating_sub(now_ms).saturating_add(1).max(1);
        let bucket = Self::bucket(identity);
        let mut invocation = self.check.prepare_invoke();
        invocation
            .key(self.memory_start_key(bucket))
            .key(self.run_id_key(bucket))
            .key(self.used_key(identity))
            .arg(now_ms)
            .arg(ttl_ms)
            .arg(issued_at_ms)
            .arg(self.skew_ms);
        let (code, start) = self.invoke::<(i64, i64)>(&invocation).await?;
        match code {
            0 => Ok(ReplayDecision::BeforeMemory {
                memory_start_ms: start,
            }),
            1 => Ok(ReplayDecision::First),
            2 => Ok(ReplayDecision::Replayed),
            other => Err(ReplayUnavailable::Backend(format!(
                "the replay script answered {other}"
            ))),
        }
    }

    pub(super) async fn store_challenge(
        &self,
        nonce: &[u8; 16],
        counter: &str,
        ttl: Duration,
    ) -> Result<(), ReplayUnavailable> {
        let mut set = redis::cmd("SET");
        set.arg(self.challenge_key(nonce))
            .arg(counter)
            .arg("NX")
            .arg("PX")
            // PX 0 is an error in Redis; a zero TTL is a challenge that expires at once.
            .arg(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1));
        let stored: Option<String> = self.query(set).await?;
        match stored {
            Some(_) => Ok(()),
            // 128 random bits collided with a live challenge: refuse rather than share one.
            None => Err(ReplayUnavailable::Backend(
                "a fresh challenge collided with a live one".into(),
            )),
        }
    }

    pub(super) async fn redeem_challenge(
        &self,
        nonce: &[u8],
        counter: &str,
    ) -> Result<Redeemed, ReplayUnavailable> {
        // GETDEL, whoever asks: a wrong counter's attempt uses the challenge up, as in the
        // in-process cache, so a challenge relayed to another desk cannot be retried.
        let owner: Option<String> = self
            .query(
                redis::cmd("GETDEL")
                    .arg(self.challenge_key(nonce))
                    .to_owned(),
            )
            .await?;
        Ok(match owner {
            Some(owner) if owner == counter => Redeemed::Yes,
            _ => Redeemed::No,
        })
    }

    pub(super) async fn ping(&self) -> Result<(), ReplayUnavailable> {
        let pong: String = self.query(redis::cmd("PING")).await?;
        if pong == "PONG" {
            Ok(())
        } else {
            Err(ReplayUnavailable::Backend(
                "PING was not answered PONG".into(),
            ))
        }
    }
}

fn finish<T>(
    result: Result<redis::RedisResult<T>, tokio::time::error::Elapsed>,
    timeout: Duration,
) -> Result<T, ReplayUnavailable> {
    match result {
        Err(_) => Err(ReplayUnavailable::Timeout(timeout)),
        // The error text of the redis crate names the failing operation and host, never a
        // key's contents beyond the code's hash.
        Ok(Err(e)) => Err(ReplayUnavailable::Backend(e.to_string())),
        Ok(Ok(v)) => Ok(v),
    }
}
