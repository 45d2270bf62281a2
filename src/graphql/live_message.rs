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

use std::{
    collections::BTreeSet,
    sync::{Arc, OnceLock},
};

use async_graphql::{
    ContextSelectionSet, Name, OutputType, Positioned, ServerResult, Value,
    parser::types::{Field, Selection, SelectionSet},
    registry::Registry,
};

use sha2::{Digest, Sha256};

use super::{
    shared_fields::{self, Fragments},
    types::MessageType,
};
use crate::domain::message::{Delivery, Rendering};

/// Everything a subscription's result depends on besides the message and
/// the viewer: the request's document and operation name, its selection as
/// executed (after `@skip`/`@include`), and the values of the variables
/// the selection reads. Not the subscription field's own
/// arguments: subscribers that differ only in `since` (every client that
/// resumed) share one result per message. Subscribers with equal shapes
/// get equal results when the selection is viewer-independent (decided
/// once per request, at its first result).
///
/// Kept as SHA-256 digests, not the text: a subscription lives for hours,
/// and its document (comments, whitespace and all) would live with it.
#[derive(Clone)]
pub struct RequestShape(Arc<Shape>);

struct Shape {
    /// The operation name and the document.
    document: [u8; 32],
    /// [`Shape::document`] and the variables the selection reads, made at
    /// the first result (the parsed selection is at hand only then).
    key: OnceLock<[u8; 32]>,
    shared: OnceLock<bool>,
}

impl RequestShape {
    pub fn of(request: &async_graphql::Request) -> Self {
        let operation = request.operation_name.as_deref().unwrap_or_default();
        Self(Arc::new(Shape {
            document: digest([operation.as_bytes(), request.query.as_bytes()]),
            key: OnceLock::new(),
            shared: OnceLock::new(),
        }))
    }

    /// Whether `field`'s result may be shared (the same request always
    /// selects the same fields, so this is decided once), with the key it
    /// is shared under made ready.
    fn is_shared(&self, ctx: &ContextSelectionSet<'_>, field: &Positioned<Field>) -> bool {
        let shared = *self
            .0
            .shared
            .get_or_init(|| shared_fields::is_shared(&field.node, &ctx.query_env.fragments));
        if shared {
            self.0.key.get_or_init(|| {
                let mut read = BTreeSet::new();
                variables_in(
                    &field.node.selection_set.node,
                    &ctx.query_env.fragments,
                    &mut read,
                );
                let values: Vec<_> = read
                    .iter()
                    .map(|name| (name.as_str(), ctx.query_env.variables.get(name)))
                    .collect();
                let values = serde_json::to_vec(&values).unwrap_or_default();
                // `@skip`/`@include` were applied before execution and
                // removed what they skip: the selection as it stands, with
                // every fragment, is part of the shape.
                let mut fragments: Vec<_> = ctx.query_env.fragments.iter().collect();
                fragments.sort_by(|a, b| a.0.cmp(b.0));
                let selection = format!("{:?}{fragments:?}", field.node.selection_set.node);
                digest([&self.0.document[..], selection.as_bytes(), &values])
            });
        }
        shared
    }
}

impl PartialEq for RequestShape {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
            || matches!((self.0.key.get(), other.0.key.get()), (Some(a), Some(b)) if a == b)
    }
}

/// SHA-256 of the parts, each length-prefixed so that no two lists of
/// parts hash the same bytes.
fn digest<const N: usize>(parts: [&[u8]; N]) -> [u8; 32] {
    let mut digest = Sha256::new();
    for part in parts {
        digest.update((part.len() as u64).to_le_bytes());
        digest.update(part);
    }
    digest.finalize().into()
}

/// Adds the variables an argument's value names, however deep in lists and
/// objects: resolving the value against a recorder visits every one. (A
/// macro: the parser's value type is not exported by name.)
macro_rules! read_variables {
    ($value:expr, $read:expr) => {{
        let _ = $value.clone().into_const_with(|name| {
            $read.insert(name);
            Ok::<_, std::convert::Infallible>(Value::Null)
        });
    }};
}

/// The variables a selection reads anywhere inside it: arguments,
/// directives (`@include(if: $x)`), fragments spread into it.
fn variables_in(set: &SelectionSet, fragments: &Fragments, read: &mut BTreeSet<Name>) {
    for selection in &set.items {
        let (directives, inner) = match &selection.node {
            Selection::Field(field) => {
                for (_, value) in &field.node.arguments {
                    read_variables!(value.node, read);
                }
                (&field.node.directives, Some(&field.node.selection_set.node))
            }
            Selection::InlineFragment(inline) => (
                &inline.node.directives,
                Some(&inline.node.selection_set.node),
            ),
            Selection::FragmentSpread(spread) => {
                let fragment = fragments.get(&spread.node.fragment_name.node);
                if let Some(fragment) = fragment {
                    for directive in &fragment.node.directives {
                        for (_, value) in &directive.node.arguments {
                            read_variables!(value.node, read);
                        }
                    }
                }
                (
                    &spread.node.directives,
                    fragment.map(|f| &f.node.selection_set.node),
                )
            }
        };
        for directive in directives {
            for (_, value) in &directive.node.arguments {
                read_variables!(value.node, read);
            }
        }
        if let Some(inner) = inner {
            variables_in(inner, fragments, read);
        }
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
        /// `since` stands for a subscription field's own arguments.
        async fn live(&self, #[graphql(name = "since")] _since: Option<String>) -> LiveMessage {
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
        live_shaped(delivery, request, shape).await
    }

    /// A shape whose key is made, by resolving `request` once.
    async fn prepared(request: impl Fn() -> Request) -> RequestShape {
        let shape = RequestShape::of(&request());
        live_shaped(&hi(), request(), Some(shape.clone())).await;
        shape
    }

    async fn live_shaped(
        delivery: &Arc<Delivery>,
        request: Request,
        shape: Option<RequestShape>,
    ) -> serde_json::Value {
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
        let shape = prepared(|| Request::new(query)).await;
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

    #[tokio::test]
    async fn the_field_s_own_arguments_do_not_split_shapes_and_the_selection_s_variables_do() {
        let query = "query($since: String, $withSender: Boolean!) { \
                     live(since: $since) @include(if: true) { content ...who } } \
                     fragment who on Message { sender @include(if: $withSender) { username } }";
        let request = |since: &str, with_sender: bool| {
            let variables = async_graphql::Variables::from_json(
                serde_json::json!({ "since": since, "withSender": with_sender }),
            );
            Request::new(query).variables(variables)
        };
        let shape = prepared(|| request("1-0", true)).await;
        let marked = hi();
        marked.keep_rendering::<SharedResult>(shape, Arc::new(Value::from("kept")));
        let fresh = |r: Request| {
            let shape = RequestShape::of(&r);
            live_shaped(&marked, r, Some(shape))
        };
        assert_eq!(
            fresh(request("9-9", true)).await,
            "kept",
            "another `since`, the same result"
        );
        let first = fresh(request("1-0", false)).await;
        assert_ne!(
            first, "kept",
            "a variable the selection reads is part of the shape"
        );
        assert_eq!(first, serde_json::json!({ "content": "hi" }));
    }
}
