//! `graphql_operations_total{operation,type,outcome}`: an async-graphql
//! extension that counts each operation once, by name, type and outcome.
//!
//! Over HTTP an operation counts when its response is ready; over a
//! WebSocket, at its first response (a subscription's first event). Requests
//! refused before execution (syntax, validation, depth or complexity) count
//! as `error`, with type `unknown` when they did not even parse.

use std::{
    collections::BTreeSet,
    sync::{Arc, Mutex, PoisonError},
};

use async_graphql::{
    Request, Response, ServerResult, Variables,
    extensions::{
        Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextPrepareRequest,
        NextRequest, NextSubscribe,
    },
    futures_util::stream::{BoxStream, StreamExt},
    parser::types::{DocumentOperations, ExecutableDocument, OperationType},
};

/// Registered on the schema; makes one [`OperationMetrics`] per request.
pub struct Metrics;

impl ExtensionFactory for Metrics {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(OperationMetrics::default())
    }
}

/// What one request's hooks learn about its operation before it is counted.
#[derive(Default)]
struct Operation {
    name: Option<String>,
    kind: Option<OperationType>,
}

/// Shared with the response stream of a WebSocket operation, which outlives
/// the hook that wraps it.
#[derive(Default)]
struct OperationMetrics(Arc<Mutex<Operation>>);

impl OperationMetrics {
    fn operation(&self) -> std::sync::MutexGuard<'_, Operation> {
        // Never held across an await; the data stays consistent.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait::async_trait]
impl Extension for OperationMetrics {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let response = next.run(ctx).await;
        count(&self.0, &response);
        response
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        let operation = self.0.clone();
        let mut first = true;
        next.run(ctx, stream)
            .inspect(move |response| {
                if std::mem::take(&mut first) {
                    count(&operation, response);
                }
            })
            .boxed()
    }

    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        self.operation().name.clone_from(&request.operation_name);
        next.run(ctx, request).await
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let mut operation = self.operation();
        match selected_operation(&document, operation.name.as_deref()) {
            Some((name, kind)) => {
                if operation.name.is_none() {
                    operation.name = name.map(str::to_owned);
                }
                operation.kind = Some(kind);
            }
            None => operation.kind = None,
        }
        Ok(document)
    }
}

/// The operation that will run, chosen as async-graphql chooses it: the one
/// named `name`, or without a name the document's only one. Its name (when
/// it has one) and type.
pub(super) fn selected_operation<'d>(
    document: &'d ExecutableDocument,
    name: Option<&str>,
) -> Option<(Option<&'d str>, OperationType)> {
    match &document.operations {
        DocumentOperations::Single(op) => Some((None, op.node.ty)),
        DocumentOperations::Multiple(ops) => match name {
            Some(name) => ops
                .get_key_value(name)
                .map(|(name, op)| (Some(name.as_str()), op.node.ty)),
            None if ops.len() == 1 => ops
                .iter()
                .next()
                .map(|(name, op)| (Some(name.as_str()), op.node.ty)),
            None => None,
        },
    }
}

fn count(operation: &Mutex<Operation>, response: &Response) {
    let (name, kind) = {
        let operation = operation.lock().unwrap_or_else(PoisonError::into_inner);
        let kind = match operation.kind {
            Some(OperationType::Query) => "query",
            Some(OperationType::Mutation) => "mutation",
            Some(OperationType::Subscription) => "subscription",
            None => "unknown",
        };
        (name_label(operation.name.as_deref()), kind)
    };
    let outcome = if response.errors.is_empty() {
        "ok"
    } else {
        "error"
    };
    metrics::counter!(
        "graphql_operations_total",
        "operation" => name,
        "type" => kind,
        "outcome" => outcome
    )
    .increment(1);
}

/// Distinct operation names kept as labels; clients choose names, and
/// every label value is a series kept for the life of the process.
const MAX_NAMES: usize = 200;
/// Longer names are not a client's real operation names.
const MAX_NAME_LEN: usize = 100;

/// The label for an operation name: `anonymous` without one, `other` once
/// the first [`MAX_NAMES`] distinct names are taken (or for absurd ones).
fn name_label(name: Option<&str>) -> String {
    static SEEN: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    let Some(name) = name else {
        return "anonymous".to_owned();
    };
    let mut seen = SEEN.lock().unwrap_or_else(PoisonError::into_inner);
    if !seen.contains(name) {
        if seen.len() >= MAX_NAMES || name.len() > MAX_NAME_LEN {
            return "other".to_owned();
        }
        seen.insert(name.to_owned());
    }
    name.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_names_are_bounded() {
        assert_eq!(name_label(None), "anonymous");
        assert_eq!(name_label(Some("Me")), "Me");
        assert_eq!(name_label(Some(&"x".repeat(MAX_NAME_LEN + 1))), "other");
        for n in 0..MAX_NAMES {
            name_label(Some(&format!("Op{n}")));
        }
        assert_eq!(name_label(Some("OneTooMany")), "other");
        assert_eq!(
            name_label(Some("Me")),
            "Me",
            "names already seen keep their label"
        );
    }
}
