//! The one async-graphql extension every request passes through. It picks
//! the operation a request runs once, and each rule looks at that choice:
//! the depth and complexity limits ([`limits`]), the GraphQL-over-HTTP
//! rules of GET ([`over_http`]) and the operation metrics ([`metrics`]).
//! The rules themselves live in those modules; this one only says when
//! each runs.

use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use async_graphql::{
    Request, Response, ServerError, ServerResult, ValidationResult, Variables,
    extensions::{
        Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery,
        NextPrepareRequest, NextRequest, NextSubscribe, NextValidation,
    },
    futures_util::stream::{BoxStream, StreamExt},
    parser::types::ExecutableDocument,
};

use super::{
    limits::{self, Limits},
    metrics::{self, Operation},
    over_http::Exchange,
};

/// Registered on the schema with its limits; makes one [`RequestHooks`]
/// per request.
pub struct OperationHooks(pub Limits);

impl ExtensionFactory for OperationHooks {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(RequestHooks {
            limits: self.0,
            operation: Arc::default(),
            refusal: Mutex::default(),
            exchange: OnceLock::new(),
        })
    }
}

struct RequestHooks {
    limits: Limits,
    /// Shared with the response stream of a WebSocket operation, which
    /// outlives the hook that wraps it.
    operation: Arc<Mutex<Operation>>,
    /// Why the limits refuse the document: found when it is parsed,
    /// reported at validation, once the operation is known for the metrics.
    refusal: Mutex<Option<&'static str>>,
    /// The HTTP exchange, found once when the document is parsed: a
    /// subscription executes once per event, and looking it up in the
    /// request data each time showed in the fan-out profile.
    exchange: OnceLock<Option<Arc<Exchange>>>,
}

/// Never held across an await, and the data stays consistent if a holder
/// panicked.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[async_trait::async_trait]
impl Extension for RequestHooks {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let response = next.run(ctx).await;
        metrics::count(&lock(&self.operation), &response);
        response
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        let operation = self.operation.clone();
        let mut first = true;
        next.run(ctx, stream)
            .inspect(move |response| {
                if std::mem::take(&mut first) {
                    metrics::count(&lock(&operation), response);
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
        lock(&self.operation)
            .name
            .clone_from(&request.operation_name);
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
        *lock(&self.refusal) = limits::check(&document, &self.limits);
        let kind = lock(&self.operation).select(&document);
        let exchange = self
            .exchange
            .get_or_init(|| ctx.data_opt::<Arc<Exchange>>().cloned());
        if let Some(exchange) = exchange {
            exchange.admit(kind)?;
        }
        Ok(document)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let refusal = *lock(&self.refusal);
        if let Some(message) = refusal {
            return Err(vec![ServerError::new(message, None)]);
        }
        next.run(ctx).await
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        if let Some(Some(exchange)) = self.exchange.get() {
            exchange.executing();
        }
        next.run(ctx, operation_name).await
    }
}
