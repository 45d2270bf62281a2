//! The one Redis connection type: a single server (`redis://`,
//! `rediss://`) or a Redis Cluster (`redis+cluster://host:port,host:port`,
//! any reachable masters or replicas; the rest of the cluster is
//! discovered). Every command path takes a [`RedisConn`], so code that
//! works on one server works on a cluster as long as each script,
//! transaction and multi-key command stays in one hash slot (see
//! [`super::redis_keys`]).

use std::time::Duration;

use crate::error::{Error, StorageBackend};

use anyhow::{Context, anyhow};
use redis::{
    Cmd, Pipeline, RedisFuture, Value,
    aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig, MultiplexedConnection},
    cluster::ClusterClientBuilder,
    cluster_async::ClusterConnection,
};

/// A failed Redis command as the domain sees it, counted once here (every
/// Redis backend maps its failures through this).
pub(crate) fn storage(err: redis::RedisError) -> Error {
    StorageBackend::Redis.count_failure();
    Error::Storage(err.into())
}

/// The scheme that names a cluster in `REDIS_URL`.
pub const CLUSTER_SCHEME: &str = "redis+cluster://";

/// Bounded waits for ordinary commands: a send during an outage fails
/// fast with STORAGE_ERROR instead of hanging the request.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Where Redis is, parsed once from `REDIS_URL`.
#[derive(Clone, Debug)]
pub enum RedisTarget {
    Single(redis::Client),
    /// The listed nodes, each as a `redis://` URL.
    Cluster(Vec<String>),
}

impl RedisTarget {
    /// Parses `REDIS_URL`. A cluster URL's user info (if any) applies to
    /// every node; its database, if given, must be 0 (a cluster has no other).
    pub fn open(url: &str) -> anyhow::Result<Self> {
        let Some(rest) = url.strip_prefix(CLUSTER_SCHEME) else {
            let client = redis::Client::open(url).context("REDIS_URL is not a valid Redis URL")?;
            return Ok(Self::Single(client));
        };
        let (auth, hosts) = match rest.rsplit_once('@') {
            Some((auth, hosts)) => (format!("{auth}@"), hosts),
            None => (String::new(), rest),
        };
        let hosts = match hosts.split_once('/') {
            Some((hosts, "" | "0")) => hosts,
            Some(_) => return Err(anyhow!("REDIS_URL: a cluster has only database 0")),
            None => hosts,
        };
        let nodes: Vec<String> = hosts
            .split(',')
            .filter(|h| !h.is_empty())
            .map(|host| format!("redis://{auth}{host}"))
            .collect();
        if nodes.is_empty() {
            return Err(anyhow!("REDIS_URL: {CLUSTER_SCHEME} lists no node"));
        }
        for node in &nodes {
            redis::Client::open(node.as_str()).context("REDIS_URL names an invalid node")?;
        }
        Ok(Self::Cluster(nodes))
    }

    pub fn is_cluster(&self) -> bool {
        matches!(self, Self::Cluster(_))
    }

    /// The connection every ordinary command shares: reconnects on its own,
    /// and (cluster) follows `MOVED`/`ASK` and a failover.
    pub async fn shared(&self) -> redis::RedisResult<RedisConn> {
        match self {
            Self::Single(client) => {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(CONNECT_TIMEOUT))
                    .set_response_timeout(Some(RESPONSE_TIMEOUT))
                    .set_number_of_retries(2)
                    .set_max_delay(Duration::from_millis(500));
                Ok(RedisConn::Managed(
                    ConnectionManager::new_with_config(client.clone(), config).await?,
                ))
            }
            Self::Cluster(nodes) => self.cluster(nodes, RESPONSE_TIMEOUT).await,
        }
    }

    /// A connection of its own for a command that blocks up to `block`
    /// (`XREAD BLOCK`): it must not hold up anyone else's commands, and
    /// its response timeout exceeds the block.
    pub async fn blocking(&self, block: Duration) -> redis::RedisResult<RedisConn> {
        let response = block + RESPONSE_TIMEOUT;
        match self {
            Self::Single(client) => {
                let config = redis::AsyncConnectionConfig::new()
                    .set_connection_timeout(Some(RESPONSE_TIMEOUT))
                    .set_response_timeout(Some(response));
                Ok(RedisConn::Plain(
                    client
                        .get_multiplexed_async_connection_with_config(&config)
                        .await?,
                ))
            }
            Self::Cluster(nodes) => self.cluster(nodes, response).await,
        }
    }

    async fn cluster(&self, nodes: &[String], response: Duration) -> redis::RedisResult<RedisConn> {
        let client = ClusterClientBuilder::new(nodes.to_vec())
            .connection_timeout(CONNECT_TIMEOUT)
            .response_timeout(response)
            // Retries (redirections, a failover in progress) share one
            // deadline, so a request still ends within about `response`.
            .retries(8)
            .max_retry_wait(500)
            .build()?;
        Ok(RedisConn::Cluster(client.get_async_connection().await?))
    }

    /// Clients for Pub/Sub, in the order to try them. Classic `PUBLISH` on
    /// a cluster reaches subscribers on every node, so one subscription to
    /// any node hears all; when that node dies the next one is used.
    pub fn pubsub_clients(&self) -> Vec<redis::Client> {
        match self {
            Self::Single(client) => vec![client.clone()],
            Self::Cluster(nodes) => nodes
                .iter()
                .filter_map(|node| redis::Client::open(node.as_str()).ok())
                .collect(),
        }
    }
}

/// A connection to a server or a cluster, cheap to clone.
#[derive(Clone)]
pub enum RedisConn {
    Managed(ConnectionManager),
    Plain(MultiplexedConnection),
    Cluster(ClusterConnection),
}

impl ConnectionLike for RedisConn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Managed(c) => c.req_packed_command(cmd),
            Self::Plain(c) => c.req_packed_command(cmd),
            Self::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Managed(c) => c.req_packed_commands(pipeline, offset, count),
            Self::Plain(c) => c.req_packed_commands(pipeline, offset, count),
            Self::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Managed(c) => c.get_db(),
            Self::Plain(c) => c.get_db(),
            Self::Cluster(c) => c.get_db(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cluster_url_lists_its_nodes() {
        let RedisTarget::Cluster(nodes) =
            RedisTarget::open("redis+cluster://:pw@10.0.0.1:7000,10.0.0.2:7001/").expect("parses")
        else {
            panic!("not a cluster");
        };
        assert_eq!(
            nodes,
            ["redis://:pw@10.0.0.1:7000", "redis://:pw@10.0.0.2:7001"]
        );
        assert!(RedisTarget::open("redis+cluster://h:1/3").is_err());
        assert!(RedisTarget::open("redis+cluster://").is_err());
        assert!(
            !RedisTarget::open("redis://h:1/3")
                .expect("parses")
                .is_cluster()
        );
    }
}
