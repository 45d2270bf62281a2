//! An operation's document, parsed ahead of async-graphql with every list
//! in it trimmed to its length. async-graphql keeps a running operation's
//! document (hours, for a subscription), and its parser leaves spare
//! capacity in each list: a selection set of one field keeps room for four
//! (184 bytes each), the one variable of `messageAdded(conversationId: $id)`
//! room for four definitions. Trimmed, a `messageAdded` subscription holds
//! ~1.9 KiB less (heap profile, 2,000 subscriptions).
//!
//! A document that does not parse is left to async-graphql, which reports
//! the error exactly as before; one nested deeper than any request may be
//! (async-graphql refuses those after parsing) is trimmed only so far.

use async_graphql::{
    Positioned, Request,
    parser::{
        parse_query,
        types::{Directive, DocumentOperations, OperationDefinition, Selection, SelectionSet},
    },
};

/// Past async-graphql's own limit on nesting (32 by default): deeper
/// documents are refused, so trimming them would be wasted work.
const MAX_DEPTH: usize = 64;

/// Parses `request`'s document and gives it, trimmed, to the request.
pub(super) fn parse_trimmed(request: &mut Request) {
    let Ok(mut document) = parse_query(&request.query) else {
        return;
    };
    match &mut document.operations {
        DocumentOperations::Single(operation) => operation_definition(&mut operation.node),
        DocumentOperations::Multiple(operations) => operations
            .values_mut()
            .for_each(|operation| operation_definition(&mut operation.node)),
    }
    for fragment in document.fragments.values_mut() {
        directives(&mut fragment.node.directives);
        selection_set(&mut fragment.node.selection_set.node, 0);
    }
    request.set_parsed_query(document);
}

fn operation_definition(operation: &mut OperationDefinition) {
    operation.variable_definitions.shrink_to_fit();
    for variable in &mut operation.variable_definitions {
        directives(&mut variable.node.directives);
    }
    directives(&mut operation.directives);
    selection_set(&mut operation.selection_set.node, 0);
}

fn selection_set(set: &mut SelectionSet, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    set.items.shrink_to_fit();
    for item in &mut set.items {
        match &mut item.node {
            Selection::Field(field) => {
                let field = &mut field.node;
                field.arguments.shrink_to_fit();
                directives(&mut field.directives);
                selection_set(&mut field.selection_set.node, depth + 1);
            }
            Selection::FragmentSpread(spread) => directives(&mut spread.node.directives),
            Selection::InlineFragment(inline) => {
                directives(&mut inline.node.directives);
                selection_set(&mut inline.node.selection_set.node, depth + 1);
            }
        }
    }
}

fn directives(list: &mut Vec<Positioned<Directive>>) {
    list.shrink_to_fit();
    for directive in list {
        directive.node.arguments.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_list_is_trimmed_and_nothing_else_changes() {
        let query = "subscription S($id: ID!, $all: Boolean!) { \
            messageAdded(conversationId: $id) { id ... on Message @include(if: $all) { content } ...F } } \
            fragment F on Message { username }";
        let mut request = Request::new(query);
        parse_trimmed(&mut request);
        let trimmed = request
            .parsed_query()
            .map(|d| format!("{d:?}"))
            .unwrap_or_default();
        let original = parse_query(query)
            .map(|d| format!("{d:?}"))
            .unwrap_or_default();
        assert!(!trimmed.is_empty());
        assert_eq!(trimmed, original);
        let Ok(document) = request.parsed_query() else {
            panic!("parsed above");
        };
        let Some((_, operation)) = document.operations.iter().next() else {
            panic!("one operation");
        };
        let operation = &operation.node;
        assert_eq!(
            operation.variable_definitions.capacity(),
            operation.variable_definitions.len()
        );
        let items = &operation.selection_set.node.items;
        assert_eq!(items.capacity(), 1);
        let Selection::Field(field) = &items[0].node else {
            panic!("a field");
        };
        assert_eq!(field.node.arguments.capacity(), 1);
        assert_eq!(field.node.selection_set.node.items.capacity(), 3);
    }

    #[test]
    fn a_document_that_does_not_parse_is_left_to_async_graphql() {
        let mut request = Request::new("subscription {");
        parse_trimmed(&mut request);
        // Not set: async-graphql parses it again and reports the error.
        assert!(request.parsed_query().is_err());
    }
}
