//! Domain errors as GraphQL errors: `extensions.code`, plus `fields` for
//! validation and `retryAfter` for throttling.

use async_graphql::ErrorExtensions;

use crate::error::Error;

impl ErrorExtensions for Error {
    fn extend(&self) -> async_graphql::Error {
        self.log();
        async_graphql::Error::new(self.public_message()).extend_with(|_, ext| {
            ext.set("code", self.code());
            match self {
                Error::Validation(fields) => {
                    let fields: async_graphql::indexmap::IndexMap<
                        async_graphql::Name,
                        async_graphql::Value,
                    > = fields
                        .iter()
                        .map(|(field, messages)| {
                            (
                                async_graphql::Name::new(camel_case(field)),
                                async_graphql::Value::List(
                                    messages.iter().map(|m| m.as_str().into()).collect(),
                                ),
                            )
                        })
                        .collect();
                    ext.set("fields", async_graphql::Value::Object(fields));
                }
                Error::Throttled { retry_after } | Error::Overloaded { retry_after } => {
                    ext.set("retryAfter", *retry_after);
                }
                _ => {}
            }
        })
    }
}

/// Domain field names are django's snake_case; GraphQL inputs are camelCase.
fn camel_case(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut upper = false;
    for c in field.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn field_names_become_camel_case() {
        assert_eq!(super::camel_case("password_confirm"), "passwordConfirm");
        assert_eq!(super::camel_case("email"), "email");
    }
}
