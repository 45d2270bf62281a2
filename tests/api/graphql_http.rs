//! GraphQL over HTTP (the GraphQL-over-HTTP spec) at `/graphql`: GET
//! queries, `Accept` negotiation and status codes, GraphiQL only for a
//! browser, and the depth and complexity limits, which let the standard
//! introspection query through and still stop abusive ones.

use reqwest::{
    Method, StatusCode,
    header::{ACCEPT, ALLOW, CONTENT_TYPE},
};
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// What graphql-js 16.15's `getIntrospectionQuery({ descriptions: true,
/// specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription:
/// true, inputValueDeprecation: true })` returns, byte for byte: the query
/// GraphiQL, GraphQL Code Generator, Apollo Sandbox, Rover and Postman send.
fn standard_introspection() -> String {
    format!("{INTROSPECTION_FRAGMENTS}{}  ", type_ref_fragment())
}

const INTROSPECTION_FRAGMENTS: &str = r#"
    query IntrospectionQuery {
      __schema {
        description
        queryType { name kind }
        mutationType { name kind }
        subscriptionType { name kind }
        types {
          ...FullType
        }
        directives {
          name
          description
          isRepeatable
          
          
          locations
          args(includeDeprecated: true) {
            ...InputValue
          }
        }
      }
    }

    fragment FullType on __Type {
      kind
      name
      description
      specifiedByURL
      
      fields(includeDeprecated: true) {
        name
        description
        args(includeDeprecated: true) {
          ...InputValue
        }
        type {
          ...TypeRef
        }
        isDeprecated
        deprecationReason
      }
      inputFields(includeDeprecated: true) {
        ...InputValue
      }
      interfaces {
        ...TypeRef
      }
      enumValues(includeDeprecated: true) {
        name
        description
        isDeprecated
        deprecationReason
      }
      possibleTypes {
        ...TypeRef
      }
    }

    fragment InputValue on __InputValue {
      name
      description
      type { ...TypeRef }
      defaultValue
      isDeprecated
      deprecationReason
    }

"#;

/// graphql-js's `TypeRef` fragment: `kind`, `name` and `ofType` nested nine
/// levels deep, as deep as a type reference in practice gets wrapped.
fn type_ref_fragment() -> String {
    const LEVELS: usize = 9;
    let mut fragment = String::from("    fragment TypeRef on __Type {\n      kind\n      name\n");
    for level in 0..LEVELS {
        let indent = "  ".repeat(level + 3);
        fragment += &format!("{indent}ofType {{\n{indent}  name\n{indent}  kind\n");
    }
    for level in (0..LEVELS).rev() {
        fragment += &format!("{}}}\n", "  ".repeat(level + 3));
    }
    fragment + "    }\n"
}

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// A response's status, `Content-Type` and JSON body.
struct Answer {
    status: StatusCode,
    content_type: String,
    allow: Option<String>,
    body: Value,
}

async fn send(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.expect("request sent");
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header(CONTENT_TYPE).unwrap_or_default();
    let allow = header(ALLOW);
    let status = response.status();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|_| panic!("a JSON body ({status}, {content_type}): {text}"));
    Answer {
        status,
        content_type,
        allow,
        body,
    }
}

/// POSTs `body` as JSON with this `Accept` (none when `None`).
async fn post(app: &TestApp, accept: Option<&str>, body: Value) -> Answer {
    let mut request = app.client.post(app.url("/graphql")).json(&body);
    if let Some(accept) = accept {
        request = request.header(ACCEPT, accept);
    }
    send(request).await
}

async fn get(app: &TestApp, accept: &str, params: &[(&str, &str)]) -> Answer {
    let url = reqwest::Url::parse_with_params(&app.url("/graphql"), params).expect("a URL");
    send(app.client.get(url).header(ACCEPT, accept)).await
}

fn first_error(body: &Value) -> &str {
    body["errors"][0]["message"]
        .as_str()
        .unwrap_or("<no error>")
}

#[tokio::test]
async fn the_standard_introspection_query_succeeds() {
    let app = TestApp::spawn().await;
    for accept in [GRAPHQL_RESPONSE, "application/json"] {
        let answer = post(
            &app,
            Some(accept),
            json!({ "query": standard_introspection() }),
        )
        .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        assert!(answer.body.get("errors").is_none(), "{}", answer.body);
        let schema = &answer.body["data"]["__schema"];
        assert_eq!(schema["queryType"]["name"], "Query");
        let types = schema["types"].as_array().expect("types");
        let scalar = |name: &str| {
            types
                .iter()
                .find(|t| t["name"] == name)
                .unwrap_or_else(|| panic!("{name} is in the schema"))
        };
        // The custom scalars say what they are and where that is specified.
        let datetime = scalar("DateTime");
        assert_eq!(
            datetime["specifiedByURL"],
            "https://datatracker.ietf.org/doc/html/rfc3339"
        );
        assert!(
            datetime["description"]
                .as_str()
                .is_some_and(|d| d.contains("RFC 3339"))
        );
        let stream_id = scalar("StreamId");
        assert_eq!(
            stream_id["specifiedByURL"],
            "https://redis.io/docs/latest/develop/data-types/streams/#entry-ids"
        );
    }
}

#[tokio::test]
async fn deep_or_wide_data_queries_are_still_refused() {
    let app = TestApp::spawn().await;
    // Thirteen levels (the limit is twelve), half of them through
    // fragments. Refused before validation looks at the field names.
    let query = "{ conversations { results { ...A } } }
        fragment A on Conversation { createdBy { x { y { q { ...B } } } } }
        fragment B on T { z { w { v { u { t { s { r } } } } } } }";
    let answer = post(&app, Some(GRAPHQL_RESPONSE), json!({ "query": query })).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    assert_eq!(first_error(&answer.body), "Query is nested too deep.");
    assert!(answer.body.get("data").is_none(), "{}", answer.body);
    // One level less is within the limit: validation speaks instead.
    let query = query.replace("{ s { r } }", "{ s }");
    let answer = post(&app, Some(GRAPHQL_RESPONSE), json!({ "query": query })).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_ne!(first_error(&answer.body), "Query is nested too deep.");

    // A valid query of 1001 fields is over the complexity limit of 1000.
    let fields = |n: usize| {
        (0..n)
            .map(|i| format!("a{i}: __typename "))
            .collect::<String>()
    };
    let answer = post(
        &app,
        None,
        json!({ "query": format!("{{ {} }}", fields(1001)) }),
    )
    .await;
    assert_eq!(
        first_error(&answer.body),
        "Query is too complex.",
        "{}",
        answer.body
    );
    let answer = post(
        &app,
        None,
        json!({ "query": format!("{{ {} }}", fields(1000)) }),
    )
    .await;
    assert!(answer.body.get("errors").is_none(), "{}", answer.body);
    assert_eq!(answer.body["data"]["a999"], "Query");
}

#[tokio::test]
async fn abusive_introspection_is_still_refused() {
    let app = TestApp::spawn().await;
    // Each nested list multiplies the answer.
    let lists = "{ __schema { types { fields { type { fields { type { fields { type {
        fields { type { fields { name } } } } } } } } } } } }";
    let answer = post(&app, Some(GRAPHQL_RESPONSE), json!({ "query": lists })).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    assert_eq!(first_error(&answer.body), "Query is too complex.");
    // Twice the standard query through aliases is too much as well.
    let standard = standard_introspection();
    let twice = standard.replacen(
        "types {\n          ...FullType\n        }",
        "types { ...FullType } again: types { ...FullType }",
        1,
    );
    assert_ne!(twice, standard);
    let answer = post(&app, Some(GRAPHQL_RESPONSE), json!({ "query": twice })).await;
    assert_eq!(
        first_error(&answer.body),
        "Query is too complex.",
        "{}",
        answer.body
    );
    // A chain of `ofType` past the introspection depth limit (20).
    let deep = format!(
        "{{ __type(name: \"User\") {{ {} name {} }} }}",
        "ofType { ".repeat(20),
        "} ".repeat(20)
    );
    let answer = post(&app, Some(GRAPHQL_RESPONSE), json!({ "query": deep })).await;
    assert_eq!(
        first_error(&answer.body),
        "Query is nested too deep.",
        "{}",
        answer.body
    );
}

#[tokio::test]
async fn get_executes_queries_with_variables_and_operation_name() {
    let app = TestApp::spawn().await;
    let answer = get(&app, "application/json", &[("query", "{ __typename }")]).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body, json!({ "data": { "__typename": "Query" } }));
    let query = "query A { __typename } query B($name: String!) { __type(name: $name) { name } }";
    let answer = get(
        &app,
        GRAPHQL_RESPONSE,
        &[
            ("query", query),
            ("operationName", "B"),
            ("variables", r#"{"name":"User"}"#),
        ],
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert!(answer.content_type.starts_with(GRAPHQL_RESPONSE));
    assert_eq!(answer.body["data"]["__type"]["name"], "User");
    // Variables that are not a JSON object: not a GraphQL request.
    let answer = get(
        &app,
        GRAPHQL_RESPONSE,
        &[("query", query), ("variables", "[1]")],
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    assert!(answer.body["errors"][0]["message"].is_string());
}

/// A 405 naming POST, in `Allow` and in the error.
fn assert_post_only(answer: &Answer) {
    assert_eq!(
        answer.status,
        StatusCode::METHOD_NOT_ALLOWED,
        "{}",
        answer.body
    );
    assert_eq!(answer.allow.as_deref(), Some("POST"));
    assert!(
        first_error(&answer.body).contains("POST"),
        "{}",
        answer.body
    );
}

#[tokio::test]
async fn mutations_over_get_are_405_with_allow_post() {
    let app = TestApp::spawn().await;
    let signup = r#"mutation { login(input: { email: "a@example.com", password: "x" }) { tokens { access } } }"#;
    let answer = get(&app, GRAPHQL_RESPONSE, &[("query", signup)]).await;
    assert_post_only(&answer);
    // Chosen by `operationName` from a document that also has a query.
    let document = format!(
        "query Q {{ __typename }} mutation M {}",
        &signup["mutation ".len()..]
    );
    let answer = get(
        &app,
        "application/json",
        &[("query", document.as_str()), ("operationName", "M")],
    )
    .await;
    assert_post_only(&answer);
    let answer = get(
        &app,
        "application/json",
        &[("query", document.as_str()), ("operationName", "Q")],
    )
    .await;
    assert_eq!(answer.body, json!({ "data": { "__typename": "Query" } }));
}

#[tokio::test]
async fn graphiql_only_for_a_browser_asking_for_a_page_without_a_query() {
    let app = TestApp::spawn().await;
    let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    let page = app
        .client
        .get(app.url("/graphql"))
        .header(ACCEPT, browser)
        .send()
        .await
        .expect("sent");
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.expect("body").contains("graphiql"));
    // The same browser with a query gets its result.
    let answer = get(&app, browser, &[("query", "{ __typename }")]).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.content_type.starts_with("application/json"));
    assert_eq!(answer.body["data"]["__typename"], "Query");
    // A client that does not ask for HTML gets a GraphQL error, not a page.
    let answer = get(&app, GRAPHQL_RESPONSE, &[]).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(
        first_error(&answer.body).contains("query"),
        "{}",
        answer.body
    );
}

#[tokio::test]
async fn the_response_media_type_follows_accept() {
    let app = TestApp::spawn().await;
    let query = json!({ "query": "{ __typename }" });
    for (accept, expected) in [
        (Some("application/json"), "application/json"),
        (Some(GRAPHQL_RESPONSE), GRAPHQL_RESPONSE),
        (
            Some("application/json, application/graphql-response+json"),
            GRAPHQL_RESPONSE,
        ),
        (
            Some("application/graphql-response+json;q=0.5, application/json"),
            "application/json",
        ),
        (Some("*/*"), "application/json"),
        (None, "application/json"),
    ] {
        let answer = post(&app, accept, query.clone()).await;
        assert_eq!(answer.status, StatusCode::OK, "{accept:?}");
        let media = answer.content_type.split(';').next().unwrap_or_default();
        assert_eq!(media, expected, "Accept: {accept:?}");
        assert_eq!(answer.body["data"]["__typename"], "Query");
    }
    let answer = post(&app, Some("text/html"), query).await;
    assert_eq!(answer.status, StatusCode::NOT_ACCEPTABLE);
    assert!(answer.body["errors"][0]["message"].is_string());
}

#[tokio::test]
async fn request_errors_are_400_with_graphql_response_json_and_200_with_json() {
    let app = TestApp::spawn().await;
    let requests = [
        ("parse", json!({ "query": "{" })),
        ("validation", json!({ "query": "{ noSuchField }" })),
        (
            "variable coercion",
            json!({
                "query": "query ($id: ID!) { conversation(id: $id) { id } }",
                "variables": { "id": { "not": "an id" } },
            }),
        ),
    ];
    for (what, request) in requests {
        let answer = post(&app, Some(GRAPHQL_RESPONSE), request.clone()).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{what}: {}",
            answer.body
        );
        assert!(answer.content_type.starts_with(GRAPHQL_RESPONSE), "{what}");
        assert!(answer.body.get("data").is_none(), "{what}: {}", answer.body);
        assert!(answer.body["errors"][0]["message"].is_string(), "{what}");

        let answer = post(&app, Some("application/json"), request).await;
        assert_eq!(answer.status, StatusCode::OK, "{what}: {}", answer.body);
        assert!(
            answer.content_type.starts_with("application/json"),
            "{what}"
        );
        assert!(answer.body["errors"][0]["message"].is_string(), "{what}");
    }
    // An error during execution is not a request error: 200 either way.
    let answer = post(
        &app,
        Some(GRAPHQL_RESPONSE),
        json!({ "query": "{ me { id } }" }),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(
        answer.body["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
}

#[tokio::test]
async fn bodies_that_are_not_graphql_requests() {
    let app = TestApp::spawn().await;
    let raw = |content_type: Option<&str>, body: &'static str| {
        let mut request = app
            .client
            .request(Method::POST, app.url("/graphql"))
            .header(ACCEPT, GRAPHQL_RESPONSE)
            .body(body);
        if let Some(content_type) = content_type {
            request = request.header(CONTENT_TYPE, content_type);
        }
        send(request)
    };
    let query = r#"{"query":"{ __typename }"}"#;
    for content_type in [
        None,
        Some("text/plain;charset=UTF-8"),
        Some("application/json; charset=latin1"),
    ] {
        let answer = raw(content_type, query).await;
        assert_eq!(
            answer.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type:?}"
        );
        assert!(answer.body["errors"][0]["message"].is_string());
    }
    let answer = raw(Some("application/json; charset=utf-8"), query).await;
    assert_eq!(answer.status, StatusCode::OK);
    // Malformed JSON, an empty body, a query that is not a string, no query:
    // 400 with a GraphQL error body, whatever the Accept.
    for body in [
        r#"{ "not a JSON"#,
        "",
        r#"{"query": 1}"#,
        r#"{"qeury": "{ __typename }"}"#,
    ] {
        let answer = raw(Some("application/json"), body).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}");
        assert!(answer.content_type.starts_with(GRAPHQL_RESPONSE), "{body}");
        assert_eq!(
            answer.body["errors"][0]["extensions"]["code"],
            "VALIDATION_ERROR"
        );
        assert!(answer.body.get("data").is_none());
    }
    let answer = post(
        &app,
        Some("application/json"),
        json!({ "query": "{ __typename }", "variables": "x" }),
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    assert!(answer.content_type.starts_with("application/json"));
}
