//! A live message as GraphQL output. async-graphql resolves a subscription's
//! selection set once per subscriber; for a message that a thousand
//! subscribers receive with the same request, that is a thousand identical
//! results. [`LiveMessage`] resolves it once per node and shares the result.

use std::sync::Arc;

use async_graphql::{
    ContextSelectionSet, OutputType, Positioned, ServerResult, Value, parser::types::Field,
    registry::Registry,
};

use super::types::MessageType;
use crate::domain::message::Delivery;

/// Everything a subscription's result depends on besides the message: the
/// request's document, operation name and variables. Results carry no
/// per-viewer field, so subscribers with equal keys get equal results.
#[derive(Clone)]
pub struct RequestShape(Arc<str>);

impl RequestShape {
    pub fn of(request: &async_graphql::Request) -> Self {
        let variables = serde_json::to_string(&request.variables).unwrap_or_default();
        Self(
            format!(
                "graphql\n{}\n{variables}\n{}",
                request.operation_name.as_deref().unwrap_or_default(),
                request.query
            )
            .into(),
        )
    }
}

/// A delivered message, resolved like `Message`.
pub struct LiveMessage {
    pub delivery: Arc<Delivery>,
    /// Absent when the request's shape is unknown: resolved every time.
    pub shape: Option<RequestShape>,
}

impl OutputType for LiveMessage {
    fn type_name() -> std::borrow::Cow<'static, str> {
        MessageType::type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        MessageType::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        let Some(RequestShape(key)) = &self.shape else {
            return self.resolve_now(ctx, field).await;
        };
        if let Some(kept) = self.delivery.rendering::<Value>(key) {
            return Ok((*kept).clone());
        }
        // Errors are not kept: the next subscriber tries again.
        let value = self.resolve_now(ctx, field).await?;
        Ok((*self.delivery.keep_rendering(key, value)).clone())
    }
}

impl LiveMessage {
    async fn resolve_now(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        MessageType::from(self.delivery.message.clone())
            .resolve(ctx, field)
            .await
    }
}
