//! What the operations running on one graphql-ws connection may hold: each
//! at most `MAX_SUBSCRIPTION_BYTES`, together at most
//! `MAX_SUBSCRIPTION_BYTES_PER_SOCKET`. A subscription keeps its parsed
//! document and variables for as long as it runs, so their size is what
//! a client could otherwise pin in memory by the megabyte.

use std::collections::HashMap;

use async_graphql::Request;

use crate::config::SocketLimits;

/// The bytes held by a connection's running operations, counted in the
/// node's `graphql_ws_operation_bytes` gauge until they end (or the
/// connection does).
pub(super) struct Budget {
    by_operation: HashMap<String, usize>,
    total: usize,
    gauge: metrics::Gauge,
}

impl Default for Budget {
    fn default() -> Self {
        Self {
            by_operation: HashMap::new(),
            total: 0,
            gauge: metrics::gauge!("graphql_ws_operation_bytes"),
        }
    }
}

impl Budget {
    /// What `request` weighs, if it fits; else the refusal to send back.
    pub(super) fn admit(&self, request: &Request, limits: SocketLimits) -> Result<usize, String> {
        let bytes = weight(request);
        if bytes > limits.operation_bytes {
            return Err(format!(
                "Operation too large: {bytes} bytes (query, variables and operation name); \
                 at most {} (MAX_SUBSCRIPTION_BYTES)",
                limits.operation_bytes
            ));
        }
        if self.total + bytes > limits.socket_bytes {
            return Err(format!(
                "The operations running on this connection would hold {} bytes; at most {} \
                 (MAX_SUBSCRIPTION_BYTES_PER_SOCKET): complete some first",
                self.total + bytes,
                limits.socket_bytes
            ));
        }
        Ok(bytes)
    }

    /// An admitted operation started.
    pub(super) fn add(&mut self, id: &str, bytes: usize) {
        self.by_operation.insert(id.to_owned(), bytes);
        self.total += bytes;
        self.gauge.increment(bytes as f64);
    }

    /// An operation ended (unknown ids are ignored).
    pub(super) fn remove(&mut self, id: &str) {
        if let Some(bytes) = self.by_operation.remove(id) {
            self.total -= bytes;
            self.gauge.decrement(bytes as f64);
        }
    }
}

impl Drop for Budget {
    fn drop(&mut self) {
        self.gauge.decrement(self.total as f64);
    }
}

/// What an operation's request weighs while it runs: its query,
/// variables and operation name.
fn weight(request: &Request) -> usize {
    let variables = serde_json::to_vec(&request.variables).map_or(0, |v| v.len());
    request.query.len() + variables + request.operation_name.as_ref().map_or(0, String::len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_fit_alone_and_together_and_give_back_what_they_held() {
        let limits = SocketLimits {
            per_user: 1,
            operation_bytes: 100,
            socket_bytes: 150,
            ttl: std::time::Duration::from_secs(20),
        };
        let mut budget = Budget::default();
        let big = Request::new("x".repeat(101));
        assert!(budget.admit(&big, limits).is_err());
        let small = Request::new("y".repeat(80));
        let bytes = budget.admit(&small, limits).expect("fits");
        budget.add("a", bytes);
        let refusal = budget.admit(&small, limits).expect_err("too much together");
        assert!(
            refusal.contains("MAX_SUBSCRIPTION_BYTES_PER_SOCKET"),
            "{refusal}"
        );
        budget.remove("a");
        budget.remove("a");
        assert_eq!(budget.admit(&small, limits), Ok(bytes));
    }
}
