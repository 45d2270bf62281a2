//! Which fields of a live `Message` are the same for every viewer, and so
//! may be resolved once and shared (see `live_message`). A selection is
//! shared only if every field it names, through fragments and at any depth,
//! is listed here; anything else is resolved per subscriber.
//!
//! Every field reachable from `Message` must be decided: listed in
//! [`MESSAGE`] (and the objects it leads to) or in [`PER_VIEWER`]. The test
//! `every_field_reachable_from_message_is_decided` walks the schema and
//! fails on a field that is neither, so adding a field to `Message` or
//! `User` is not possible without saying whether it depends on the viewer.

use std::collections::HashMap;

use async_graphql::{
    Name, Positioned,
    parser::types::{Field, FragmentDefinition, Selection, SelectionSet},
};

/// The fragments of a request, by name.
pub type Fragments = HashMap<Name, Positioned<FragmentDefinition>>;

/// An object type reachable from `Message`, with its fields whose value is
/// the same whoever asks.
struct Object {
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "the schema walk in the tests matches it")
    )]
    name: &'static str,
    shared: &'static [Shared],
}

/// A field of an [`Object`] that is the same for every viewer.
enum Shared {
    /// A scalar or enum field.
    Leaf(&'static str),
    /// An object field: shared when its own selection is.
    Of(&'static str, &'static Object),
}

/// `Message`: a stored message and its sender as captured at send time.
static MESSAGE: Object = Object {
    name: "Message",
    shared: &[
        Shared::Leaf("id"),
        Shared::Leaf("conversationId"),
        Shared::Of("sender", &USER),
        Shared::Leaf("content"),
        Shared::Leaf("createdAt"),
        Shared::Leaf("editedAt"),
        Shared::Leaf("deleted"),
    ],
};

/// `User`: the public profile every participant sees.
static USER: Object = Object {
    name: "User",
    shared: &[
        Shared::Leaf("id"),
        Shared::Leaf("email"),
        Shared::Leaf("username"),
        Shared::Leaf("firstName"),
        Shared::Leaf("lastName"),
        Shared::Leaf("fullName"),
    ],
};

/// Fields reachable from `Message`, as `(type, field)`, whose value depends
/// on who asks (`isMe`, `readByMe`, anything reading the viewer), or on
/// when it is asked: a selection naming one is never shared.
#[cfg_attr(
    not(test),
    expect(
        dead_code,
        reason = "unlisted is enough to refuse sharing; the tests read it"
    )
)]
const PER_VIEWER: &[(&str, &str)] = &[
    // Shown to co-participants only, and it changes by the minute.
    ("User", "online"),
];

/// Whether the result of `field` (a field of type `Message`) is the same
/// for every viewer: every field it selects is listed as shared.
pub fn is_shared(field: &Field, fragments: &Fragments) -> bool {
    selects_only_shared(&MESSAGE, &field.selection_set.node, fragments)
}

fn selects_only_shared(object: &Object, set: &SelectionSet, fragments: &Fragments) -> bool {
    set.items.iter().all(|selection| match &selection.node {
        Selection::Field(field) => {
            let field = &field.node;
            let name = field.name.node.as_str();
            // The type's own name: the same for everyone.
            name == "__typename"
                || object.shared.iter().any(|shared| match shared {
                    Shared::Leaf(leaf) => *leaf == name,
                    Shared::Of(of, inner) => {
                        *of == name
                            && selects_only_shared(inner, &field.selection_set.node, fragments)
                    }
                })
        }
        Selection::FragmentSpread(spread) => fragments
            .get(&spread.node.fragment_name.node)
            .is_some_and(|f| selects_only_shared(object, &f.node.selection_set.node, fragments)),
        // Only `Message` and `User` are reachable, both objects: a fragment
        // inside one is on that type.
        Selection::InlineFragment(inline) => {
            selects_only_shared(object, &inline.node.selection_set.node, fragments)
        }
    })
}

#[cfg(test)]
mod tests {
    use async_graphql::{
        OutputType, SimpleObject,
        parser::{parse_query, types::DocumentOperations},
        registry::{MetaType, MetaTypeName, Registry},
    };

    use super::*;
    use crate::graphql::types::{MessageType, UserType};

    /// The fields reachable from `object` in `registry` that are neither
    /// listed as shared (with the right kind) nor as per-viewer.
    fn undecided(registry: &Registry, object: &'static Object) -> Vec<String> {
        let mut found = Vec::new();
        walk(registry, object, &mut vec![object.name], &mut found);
        found
    }

    fn walk(
        registry: &Registry,
        object: &Object,
        seen: &mut Vec<&'static str>,
        found: &mut Vec<String>,
    ) {
        let Some(MetaType::Object { fields, .. }) = registry.types.get(object.name) else {
            return found.push(format!("{} is not an object", object.name));
        };
        for field in fields.values().filter(|f| f.name != "__typename") {
            let name = field.name.as_str();
            let ty = registry
                .types
                .get(MetaTypeName::concrete_typename(&field.ty));
            let is_leaf = matches!(ty, Some(MetaType::Scalar { .. } | MetaType::Enum { .. }));
            let is_object = matches!(ty, Some(MetaType::Object { .. }));
            let listed = object.shared.iter().find(|shared| match shared {
                Shared::Leaf(leaf) => *leaf == name,
                Shared::Of(of, _) => *of == name,
            });
            match listed {
                Some(Shared::Leaf(_)) if is_leaf => {}
                Some(Shared::Of(_, inner))
                    if is_object && ty.map(MetaType::name) == Some(inner.name) =>
                {
                    if !seen.contains(&inner.name) {
                        seen.push(inner.name);
                        walk(registry, inner, seen, found);
                    }
                }
                _ if PER_VIEWER.contains(&(object.name, name)) => {}
                _ => found.push(format!("{}.{name}", object.name)),
            }
        }
    }

    fn registry_of<T: OutputType>() -> Registry {
        let mut registry = Registry::default();
        T::create_type_info(&mut registry);
        registry
    }

    /// Adding a field to `Message`, `User` or anything they lead to fails
    /// here until it is listed as shared or as per-viewer.
    #[test]
    fn every_field_reachable_from_message_is_decided() {
        assert_eq!(
            undecided(&registry_of::<MessageType>(), &MESSAGE),
            Vec::<String>::new()
        );
    }

    /// A copy of `Message` with a field that depends on the viewer.
    #[derive(SimpleObject)]
    #[graphql(name = "Message")]
    struct MessageWithViewerField {
        id: String,
        sender: UserType,
        content: String,
        read_by_me: bool,
    }

    #[test]
    fn a_field_added_without_deciding_is_reported() {
        assert_eq!(
            undecided(&registry_of::<MessageWithViewerField>(), &MESSAGE),
            ["Message.readByMe"]
        );
    }

    /// Whether the first operation's first field selects only shared fields.
    fn shared(query: &str) -> bool {
        let document = parse_query(query).expect("a valid query");
        let operation = match &document.operations {
            DocumentOperations::Single(operation) => operation,
            DocumentOperations::Multiple(_) => panic!("one operation"),
        };
        let Selection::Field(field) = &operation.node.selection_set.node.items[0].node else {
            panic!("a field first");
        };
        is_shared(&field.node, &document.fragments)
    }

    #[test]
    fn only_selections_of_listed_fields_are_shared() {
        let op = |selection: &str| {
            format!("subscription {{ messageAdded(conversationId: \"c\") {selection} }}")
        };
        assert!(shared(&op("{ id content }")));
        assert!(shared(&op(
            "{ text: content __typename sender { fullName __typename } }"
        )));
        assert!(shared(
            &(op("{ id ...M ... on Message { createdAt } }")
                + " fragment M on Message { sender { id } }")
        ));
        assert!(!shared(&op("{ id readByMe }")));
        assert!(!shared(&op("{ id sender { id isMe } }")));
        assert!(!shared(&op("{ ... on Message { readByMe } }")));
        assert!(!shared(
            &(op("{ id ...M }") + " fragment M on Message { readByMe }")
        ));
        // A fragment the request does not define is not vouched for.
        assert!(!shared(&op("{ id ...Missing }")));
    }
}
