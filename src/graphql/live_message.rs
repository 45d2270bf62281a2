//! A live message as GraphQL output. async-graphql resolves a subscription's
//! selection set once per subscriber; for a message that a thousand
//! subscribers receive with the same request, that is a thousand identical
//! results. [`LiveMessage`] resolves it once per node and request shape and
//! shares the result, kept on the delivery as this module's own
//! [`Rendering`] (the domain stores it without knowing what it is).
//!
//! Sharing is sound only while the result is the same for every viewer:
//! a request shares only if every field it selects is listed as
//! viewer-independent in `shared_fields`; otherwise it is resolved per
//! subscriber.

use std::sync::{Arc, OnceLock};

use async_graphql::{
    ContextSelectionSet, OutputType, Positioned, ServerResult, Value, parser::types::Field,
    registry::Registry,
};

use sha2::{Digest, Sha256};

use super::{shared_fields, types::MessageType};
use crate::domain::message::{Delivery, Rendering};

/// Everything a subscription's result depends on besides the message and
/// the viewer: the request's document, operation name and variables.
/// Subscribers with equal shapes get equal results when the selection is
/// viewer-independent (decided once per request, at its first result).
///
/// Kept as a SHA-256 digest, not the text: a subscription lives for hours,
/// and its document (comments, whitespace and all) would live with it.
#[derive(Clone)]
pub struct RequestShape(Arc<Shape>);

struct Shape {
    key: [u8; 32],
    shared: OnceLock<bool>,
}

impl RequestShape {
    pub fn of(request: &async_graphql::Request) -> Self {
        let variables = serde_json::to_vec(&request.variables).unwrap_or_default();
        let operation = request.operation_name.as_deref().unwrap_or_default();
        // Each part is length-prefixed, so no two requests hash the same
        // bytes.
        let mut digest = Sha256::new();
        for part in [operation.as_bytes(), &variables, request.query.as_bytes()] {
            digest.update((part.len() as u64).to_le_bytes());
            digest.update(part);
        }
        Self(Arc::new(Shape {
            key: digest.finalize().into(),
            shared: OnceLock::new(),
        }))
    }

    /// Whether `field`'s result may be shared: the same request always
    /// selects the same fields, so this is decided once.
    fn is_shared(&self, ctx: &ContextSelectionSet<'_>, field: &Positioned<Field>) -> bool {
        *self
            .0
            .shared
            .get_or_init(|| shared_fields::is_shared(&field.node, &ctx.query_env.fragments))
    }
}

impl PartialEq for RequestShape {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0.key == other.0.key
    }
}

/// A shared result: one per request shape, for at most 8 shapes a message
/// (more are resolved but not kept).
struct SharedResult;

impl Rendering for SharedResult {
    type Key = RequestShape;
    type Value = Arc<Value>;
    const KEPT: usize = 8;
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
        let shape = self.shape.as_ref();
        let Some(shape) = shape.filter(|shape| shape.is_shared(ctx, field)) else {
            return self.resolve_now(ctx, field).await;
        };
        if let Some(kept) = self.delivery.rendering::<SharedResult>(shape) {
            return Ok((*kept).clone());
        }
        // Errors are not kept: the next subscriber tries again.
        let value = Arc::new(self.resolve_now(ctx, field).await?);
        let kept = self
            .delivery
            .keep_rendering::<SharedResult>(shape.clone(), value);
        Ok((*kept).clone())
    }
}

impl LiveMessage {
    async fn resolve_now(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        // Only new messages reach a `messageAdded` stream.
        let Some(message) = self.delivery.added() else {
            return Ok(Value::Null);
        };
        MessageType::from(message.clone()).resolve(ctx, field).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ConversationId, StreamId, message};
    use async_graphql::{EmptyMutation, EmptySubscription, Object, Request, Schema};

    struct Query {
        delivery: Arc<Delivery>,
        shape: Option<RequestShape>,
    }

    #[Object]
    impl Query {
        async fn live(&self) -> LiveMessage {
            LiveMessage {
                delivery: self.delivery.clone(),
                shape: self.shape.clone(),
            }
        }
    }

    fn hi() -> Arc<Delivery> {
        let conversation = ConversationId(uuid::Uuid::nil());
        Arc::new(Delivery::new(message::sample(
            conversation,
            StreamId::new(1, 0),
            "hi",
        )))
    }

    /// Runs `query` as one subscriber would, with its own `RequestShape`
    /// (equal to, not the same as, other subscribers').
    async fn live(delivery: &Arc<Delivery>, query: &str, shared: bool) -> serde_json::Value {
        let request = Request::new(query);
        let shape = shared.then(|| RequestShape::of(&request));
        let query = Query {
            delivery: delivery.clone(),
            shape,
        };
        let response = Schema::new(query, EmptyMutation, EmptySubscription)
            .execute(request)
            .await;
        response.data.into_json().expect("json")["live"].clone()
    }

    #[tokio::test]
    async fn equal_shapes_share_one_result_and_others_resolve_their_own() {
        let delivery = hi();
        let query = "{ live { content sender { username } } }";
        let first = live(&delivery, query, true).await;
        assert_eq!(
            first,
            serde_json::json!({ "content": "hi", "sender": { "username": "a" } })
        );
        let shape = RequestShape::of(&Request::new(query));
        let kept = delivery.rendering::<SharedResult>(&shape).expect("kept");
        // A later subscriber with an equal shape gets the kept result, not
        // a resolution of its own: swap in a marker to see it.
        let other = hi();
        other.keep_rendering::<SharedResult>(shape, Arc::new(Value::from("kept")));
        assert_eq!(live(&other, query, true).await, "kept");
        assert_eq!(live(&other, query, false).await, first);
        // Another shape is resolved (and kept) on its own.
        assert_eq!(
            live(&other, "{ live { content } }", true).await,
            serde_json::json!({ "content": "hi" })
        );
        assert_eq!((*kept).clone().into_json().expect("json"), first);
    }
}
