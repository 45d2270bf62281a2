//! One table of `Authorization` forms, run against every surface that takes
//! credentials: REST, GraphQL over HTTP, graphql-ws (`connection_init` and
//! the upgrade header), the legacy WebSocket and `/metrics`. Each surface
//! must accept and refuse exactly the same forms.

use futures::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::json;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;

use crate::{
    conversations::create_conversation,
    helpers::{TestApp, TestEnv, error_code},
    ws_client::{Connect, Frame, MODERN, WAIT, WsClient},
};

const METRICS_TOKEN: &str = "metrics-token-for-the-credentials-table";

/// `{t}` stands for a valid token; `true` when the form must be accepted.
const FORMS: [(&str, bool); 9] = [
    ("Bearer {t}", true),
    ("bearer {t}", true),
    ("BEARER {t}", true),
    ("Bearer   {t}", true),
    ("{t}", true),
    ("Basic {t}", false),
    ("Bearer {t} extra", false),
    ("Bearer x{t}", false),
    ("Bearer", false),
];

#[tokio::test]
async fn every_surface_accepts_the_same_authorization_forms() {
    let mut env = TestEnv::new().await;
    env.set("METRICS_TOKEN", METRICS_TOKEN);
    let app = env.spawn_owned().await;
    let user = app.signup("creds").await;
    let conversation = create_conversation(&app, &user, "Credentials", &[]).await;
    for (form, accepted) in FORMS {
        let header = form.replace("{t}", &user.access);
        let outcomes = [
            ("REST", rest(&app, &header).await),
            ("GraphQL over HTTP", graphql(&app, &header).await),
            ("graphql-ws init", graphql_ws_init(&app, &header).await),
            (
                "graphql-ws upgrade",
                graphql_ws_upgrade(&app, &header).await,
            ),
            (
                "legacy WebSocket",
                legacy(&app, &conversation, &header).await,
            ),
            (
                "metrics",
                metrics(&app, &form.replace("{t}", METRICS_TOKEN)).await,
            ),
        ];
        for (surface, outcome) in outcomes {
            assert_eq!(outcome, accepted, "{surface} with {form:?}");
        }
    }
}

async fn rest(app: &TestApp, header: &str) -> bool {
    authorized_get(app, "/api/v1/conversations/", header).await
}

/// Whether a GET of `path` with this `Authorization` header is let in.
async fn authorized_get(app: &TestApp, path: &str, header: &str) -> bool {
    let response = app
        .client
        .get(app.url(path))
        .header("Authorization", header)
        .send()
        .await
        .expect("request sent");
    match response.status() {
        StatusCode::OK => true,
        StatusCode::UNAUTHORIZED => false,
        other => panic!("GET {path} answered {other}"),
    }
}

async fn graphql(app: &TestApp, header: &str) -> bool {
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("Authorization", header)
        .json(&json!({ "query": "{ me { id } }" }))
        .send()
        .await
        .expect("request sent");
    let body: serde_json::Value = response.json().await.expect("JSON body");
    if body["data"]["me"]["id"].is_string() {
        return true;
    }
    assert_eq!(error_code(&body), "UNAUTHENTICATED", "{body}");
    false
}

/// `connection_init` carrying the form: acknowledged, or closed with 4403.
async fn graphql_ws_init(app: &TestApp, header: &str) -> bool {
    let mut client = WsClient::modern(app).await;
    client
        .send(json!({ "type": "connection_init", "payload": { "Authorization": header } }))
        .await;
    acknowledged(&mut client).await
}

/// The form in the upgrade request, and a `connection_init` without any.
async fn graphql_ws_upgrade(app: &TestApp, header: &str) -> bool {
    let mut client = Connect::new("/graphql/ws", Some(MODERN))
        .header("Authorization", header)
        .expect(app)
        .await;
    client.send(json!({ "type": "connection_init" })).await;
    acknowledged(&mut client).await
}

async fn acknowledged(client: &mut WsClient) -> bool {
    loop {
        match client.frame().await {
            Frame::Json(frame) if frame["type"] == "connection_ack" => return true,
            Frame::Json(_) => continue,
            Frame::Closed(code, _) => {
                assert_eq!(code, 4403, "graphql-ws refusal");
                return false;
            }
        }
    }
}

/// Accepted: the socket answers a ping. Refused: it closes with 4001.
async fn legacy(app: &TestApp, conversation: &str, header: &str) -> bool {
    let path = format!("/ws/conversations/{conversation}/");
    let mut client = Connect::new(&path, None)
        .header("Authorization", header)
        .expect(app)
        .await;
    client
        .socket
        .send(Message::Ping("ready".into()))
        .await
        .expect("ping sent");
    let frame = timeout(WAIT, client.socket.next())
        .await
        .expect("a frame within the deadline");
    match frame {
        Some(Ok(Message::Pong(_))) => true,
        Some(Ok(Message::Close(Some(close)))) => {
            assert_eq!(u16::from(close.code), 4001, "legacy refusal");
            false
        }
        other => panic!("legacy WebSocket answered {other:?}"),
    }
}

async fn metrics(app: &TestApp, header: &str) -> bool {
    authorized_get(app, "/metrics", header).await
}
