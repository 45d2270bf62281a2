//! `graphql_operations_total{operation,type,outcome}`: each operation
//! counted once, by name, type and outcome (from `operation_hooks`).
//!
//! Over HTTP an operation counts when its response is ready; over a
//! WebSocket, at its first response (a subscription's first event). Requests
//! refused before execution (syntax, validation, depth or complexity) count
//! as `error`, with type `unknown` when they did not even parse.

use std::{
    collections::BTreeSet,
    sync::{Mutex, PoisonError},
};

use async_graphql::{
    Response,
    parser::types::{DocumentOperations, ExecutableDocument, OperationType},
};

/// What one request's hooks learn about its operation before it is counted.
#[derive(Default)]
pub(super) struct Operation {
    /// As the request names it, else as the document does.
    pub name: Option<String>,
    kind: Option<OperationType>,
}

impl Operation {
    /// Chooses the operation of `document` that will run, and answers its
    /// type; none when the request's name does not pick exactly one.
    pub fn select(&mut self, document: &ExecutableDocument) -> Option<OperationType> {
        let selected = selected_operation(document, self.name.as_deref());
        if let Some((Some(name), _)) = selected
            && self.name.is_none()
        {
            self.name = Some(name.to_owned());
        }
        self.kind = selected.map(|(_, kind)| kind);
        self.kind
    }
}

/// The operation that will run, chosen as async-graphql chooses it: the one
/// named `name`, or without a name the document's only one. Its name (when
/// it has one) and type.
fn selected_operation<'d>(
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

/// Counts the operation once its (first) response is ready.
pub(super) fn count(operation: &Operation, response: &Response) {
    let kind = match operation.kind {
        Some(OperationType::Query) => "query",
        Some(OperationType::Mutation) => "mutation",
        Some(OperationType::Subscription) => "subscription",
        None => "unknown",
    };
    let name = name_label(operation.name.as_deref());
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
