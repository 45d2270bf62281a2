//! Depth and complexity limits that tell introspection from data.
//!
//! async-graphql's own `limit_depth`/`limit_complexity` count every field
//! alike, so a limit sized for data refuses the introspection query that
//! GraphiQL, GraphQL Code Generator, Apollo Sandbox, Rover and Postman send
//! (`__schema types fields args type` and then nine `ofType`: depth 15).
//! Here a root field `__schema` or `__type`, and everything below it, is
//! costed against its own budget; every other field against the data budget,
//! counted exactly as async-graphql counts (a field is 1 plus its selection;
//! depth is the longest chain of fields).
//!
//! Introspection needs no credentials, and its cost is the size of its
//! answer: a list field (`types`, `fields`, ...) repeats its selection once
//! per element, so nesting lists multiplies the answer. Its complexity counts
//! every list field's selection [`LIST_FACTOR`] times, which bounds
//! `__schema { types { fields { type { fields { type { fields ...` by its
//! product, not its length.
//!
//! The check runs before async-graphql validates the document and costs
//! one walk of it: each fragment is costed once per context, however often
//! it is spread, and a fragment cycle (refused by validation) adds nothing.

use std::collections::HashMap;

use async_graphql::{
    Name, Positioned,
    parser::types::{ExecutableDocument, FragmentDefinition, Selection, SelectionSet},
};

/// What one operation may cost, per kind of field.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    /// Longest chain of nested fields.
    pub depth: usize,
    /// Fields counted as async-graphql counts them (weighted for lists in
    /// introspection, see the module docs).
    pub complexity: usize,
}

/// The schema's limits: one budget for data, one for introspection (none:
/// introspection is refused, `GRAPHQL_INTROSPECTION=false`).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub data: Budget,
    pub introspection: Option<Budget>,
}

/// The refusal of `__schema` and `__type` where introspection is off.
pub const INTROSPECTION_OFF: &str =
    "Introspection is disabled on this server (GRAPHQL_INTROSPECTION).";

/// Introspection list fields count their selection this many times: an
/// estimate of how many elements a list of this schema has.
pub const LIST_FACTOR: usize = 10;

/// Fragment spreads and fields nested deeper than this are refused outright,
/// before costing: no real query comes near, and the walk stays shallow.
const MAX_NESTING: usize = 64;

/// The list-valued fields of the introspection types (GraphQL spec §4.2).
const INTROSPECTION_LISTS: [&str; 9] = [
    "types",
    "directives",
    "fields",
    "args",
    "inputFields",
    "interfaces",
    "possibleTypes",
    "enumValues",
    "locations",
];

/// Why `document` is refused, if it is: the messages are async-graphql's.
pub fn check(document: &ExecutableDocument, limits: &Limits) -> Option<&'static str> {
    let mut walk = Walk {
        fragments: &document.fragments,
        nested: HashMap::new(),
        root: HashMap::new(),
        visiting: Vec::new(),
        too_nested: false,
    };
    for (_, operation) in document.operations.iter() {
        let cost = walk.root(&operation.node.selection_set.node, 0);
        let introspection = match limits.introspection {
            Some(budget) => budget,
            None if cost.introspection.complexity > 0 => return Some(INTROSPECTION_OFF),
            None => Budget {
                depth: 0,
                complexity: 0,
            },
        };
        if walk.too_nested
            || cost.data.depth > limits.data.depth
            || cost.introspection.depth > introspection.depth
        {
            return Some("Query is nested too deep.");
        }
        if cost.data.complexity > limits.data.complexity
            || cost.introspection.complexity > introspection.complexity
        {
            return Some("Query is too complex.");
        }
    }
    None
}

/// Depth and complexity of a selection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Cost {
    depth: usize,
    complexity: usize,
}

impl Cost {
    /// A field selecting `inner`, repeated `factor` times.
    fn field(inner: Cost, factor: usize) -> Self {
        Self {
            depth: inner.depth.saturating_add(1),
            complexity: inner.complexity.saturating_mul(factor).saturating_add(1),
        }
    }

    /// Two selections side by side.
    fn and(self, other: Cost) -> Self {
        Self {
            depth: self.depth.max(other.depth),
            complexity: self.complexity.saturating_add(other.complexity),
        }
    }
}

/// An operation's cost, per budget.
#[derive(Clone, Copy, Debug, Default)]
struct RootCost {
    data: Cost,
    introspection: Cost,
}

/// Below the root, whether fields are introspection or data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Kind {
    Data,
    Introspection,
}

struct Walk<'a> {
    fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
    /// Fragments spread below the root, per kind.
    nested: HashMap<(&'a str, Kind), Cost>,
    /// Fragments spread at the root.
    root: HashMap<&'a str, RootCost>,
    /// Fragments being costed: spreading one of these again is a cycle.
    visiting: Vec<&'a str>,
    too_nested: bool,
}

impl<'a> Walk<'a> {
    fn root(&mut self, set: &'a SelectionSet, nesting: usize) -> RootCost {
        let mut cost = RootCost::default();
        if self.deeper_than_allowed(nesting) {
            return cost;
        }
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let kind = match field.name.node.as_str() {
                        "__schema" | "__type" => Kind::Introspection,
                        _ => Kind::Data,
                    };
                    let inner = self.nested(&field.selection_set.node, kind, nesting + 1);
                    let field_cost = Cost::field(inner, 1);
                    match kind {
                        Kind::Data => cost.data = cost.data.and(field_cost),
                        Kind::Introspection => {
                            cost.introspection = cost.introspection.and(field_cost);
                        }
                    }
                }
                Selection::InlineFragment(inline) => {
                    let inner = self.root(&inline.node.selection_set.node, nesting + 1);
                    cost = cost.and(inner);
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    if let Some(known) = self.root.get(name) {
                        cost = cost.and(*known);
                    } else if let Some(set) = self.enter(name) {
                        let inner = self.root(set, nesting + 1);
                        self.visiting.pop();
                        self.root.insert(name, inner);
                        cost = cost.and(inner);
                    }
                }
            }
        }
        cost
    }

    fn nested(&mut self, set: &'a SelectionSet, kind: Kind, nesting: usize) -> Cost {
        let mut cost = Cost::default();
        if self.deeper_than_allowed(nesting) {
            return cost;
        }
        for selection in &set.items {
            let inner = match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let inner = self.nested(&field.selection_set.node, kind, nesting + 1);
                    let factor = match kind {
                        Kind::Introspection
                            if INTROSPECTION_LISTS.contains(&field.name.node.as_str()) =>
                        {
                            LIST_FACTOR
                        }
                        _ => 1,
                    };
                    Cost::field(inner, factor)
                }
                Selection::InlineFragment(inline) => {
                    self.nested(&inline.node.selection_set.node, kind, nesting + 1)
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    if let Some(known) = self.nested.get(&(name, kind)) {
                        *known
                    } else if let Some(set) = self.enter(name) {
                        let inner = self.nested(set, kind, nesting + 1);
                        self.visiting.pop();
                        self.nested.insert((name, kind), inner);
                        inner
                    } else {
                        Cost::default()
                    }
                }
            };
            cost = cost.and(inner);
        }
        cost
    }

    /// The fragment's selection, unless it is unknown or already being
    /// costed (validation reports both).
    fn enter(&mut self, name: &'a str) -> Option<&'a SelectionSet> {
        if self.visiting.contains(&name) {
            return None;
        }
        let fragment = self.fragments.get(name)?;
        self.visiting.push(name);
        Some(&fragment.node.selection_set.node)
    }

    fn deeper_than_allowed(&mut self, nesting: usize) -> bool {
        if nesting > MAX_NESTING {
            self.too_nested = true;
        }
        self.too_nested
    }
}

impl RootCost {
    fn and(self, other: RootCost) -> Self {
        Self {
            data: self.data.and(other.data),
            introspection: self.introspection.and(other.introspection),
        }
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;

    const LIMITS: Limits = Limits {
        data: Budget {
            depth: 3,
            complexity: 10,
        },
        introspection: Some(Budget {
            depth: 5,
            complexity: 1_000,
        }),
    };

    fn verdict(query: &str) -> Option<&'static str> {
        check(&parse_query(query).expect("parses"), &LIMITS)
    }

    #[test]
    fn data_is_counted_like_async_graphql() {
        assert_eq!(verdict("{ a { b { c } } }"), None);
        assert_eq!(
            verdict("{ a { b { c { d } } } }"),
            Some("Query is nested too deep.")
        );
        assert_eq!(
            verdict("{ a { ...F } } fragment F on T { b { c { d } } }"),
            Some("Query is nested too deep.")
        );
        assert_eq!(verdict("{ a b c d e f g h i j }"), None);
        assert_eq!(
            verdict("{ a b c d e f g h i j k }"),
            Some("Query is too complex.")
        );
    }

    #[test]
    fn introspection_has_its_own_budget() {
        // Deeper than the data budget, within the introspection one.
        assert_eq!(
            verdict("{ __type(name: \"T\") { ofType { ofType { name } } } }"),
            None
        );
        assert_eq!(
            verdict("{ __type(name: \"T\") { ofType { ofType { ofType { ofType { name } } } } } }"),
            Some("Query is nested too deep.")
        );
        // Nested lists multiply: 1 + 10 * (1 + 10 * (1 + 10 * 1)) = 1111.
        assert_eq!(
            verdict("{ __schema { types { fields { args { name } } } } }"),
            Some("Query is too complex.")
        );
        assert_eq!(verdict("{ __schema { types { fields { name } } } }"), None);
    }

    #[test]
    fn introspection_can_be_off_and_typename_is_still_data() {
        let off = Limits {
            introspection: None,
            ..LIMITS
        };
        let verdict = |query: &str| check(&parse_query(query).expect("parses"), &off);
        assert_eq!(
            verdict("{ __schema { queryType { name } } }"),
            Some(INTROSPECTION_OFF)
        );
        assert_eq!(verdict("{ a { __type(name: \"T\") { name } } }"), None);
        assert_eq!(verdict("{ __typename a }"), None);
    }

    #[test]
    fn fragments_are_costed_once_and_cycles_end() {
        // 2^40 fields once expanded; refused without expanding them.
        let mut query = String::from("{ ...F0 }\n");
        for n in 0..40 {
            query.push_str(&format!(
                "fragment F{n} on Query {{ ...F{} ...F{} }}\n",
                n + 1,
                n + 1
            ));
        }
        query.push_str("fragment F40 on Query { a }");
        assert_eq!(verdict(&query), Some("Query is too complex."));
        assert_eq!(
            verdict("{ a { ...A } } fragment A on T { ...B } fragment B on T { ...A }"),
            None
        );
    }
}
