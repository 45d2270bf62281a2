//! Conversations over REST and GraphQL: creation, slugs, listing, detail,
//! participants and the authorization matrix.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, error_code};

const CREATE: &str = r#"mutation($input: CreateConversationInput!) {
  createConversation(input: $input) {
    id name slug createdBy { id } createdAt updatedAt
    participants { id role joinedAt user { id username fullName } }
  }
}"#;
const ADD: &str = r#"mutation($id: ID!, $userId: ID, $email: String) {
  addParticipant(conversationId: $id, userId: $userId, email: $email) { id participants { user { id } role } }
}"#;
const ONE: &str =
    "query($id: ID!) { conversation(id: $id) { id name participants { user { id } } } }";
const LIST: &str = "query($limit: Int, $offset: Int) { conversations(limit: $limit, offset: $offset) { count results { id name } } }";

pub async fn create_conversation(
    app: &TestApp,
    owner: &TestUser,
    name: &str,
    members: &[&TestUser],
) -> String {
    let ids: Vec<i64> = members.iter().map(|m| m.id).collect();
    let (status, body) = app
        .post(
            "/api/v1/conversations/",
            json!({ "name": name, "participant_ids": ids }),
            Some(&owner.access),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().expect("conversation id").to_owned()
}

fn role_of(conversation: &Value, user: &TestUser) -> Option<String> {
    conversation["participants"]
        .as_array()?
        .iter()
        .find(|p| p["user"]["id"] == user.id)
        .and_then(|p| p["role"].as_str().map(str::to_owned))
}

#[tokio::test]
async fn rest_create_makes_creator_admin_and_ignores_unknown_ids() {
    let app = TestApp::spawn().await;
    let owner = app.signup("owner").await;
    let member = app.signup("member").await;
    let (status, body) = app
        .post(
            "/api/v1/conversations",
            json!({ "name": "My Chat", "participant_ids": [member.id, 999_999] }),
            Some(&owner.access),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["name"], "My Chat");
    assert_eq!(body["slug"], "my-chat");
    assert_eq!(body["created_by"]["id"], owner.id);
    assert_eq!(body["participants"].as_array().map(Vec::len), Some(2));
    assert_eq!(role_of(&body, &owner).as_deref(), Some("admin"));
    assert_eq!(role_of(&body, &member).as_deref(), Some("member"));
    for key in ["id", "created_at", "updated_at"] {
        assert!(body[key].is_string(), "{key}");
    }
    let participant = &body["participants"][0];
    for key in ["id", "user", "role", "joined_at"] {
        assert!(!participant[key].is_null(), "participant.{key}");
    }

    // Slugs stay unique.
    for expected in ["my-chat-1", "my-chat-2"] {
        let (_, body) = app
            .post(
                "/api/v1/conversations/",
                json!({ "name": "My chat" }),
                Some(&owner.access),
            )
            .await;
        assert_eq!(body["slug"], expected);
    }
    let (status, body) = app
        .post(
            "/api/v1/conversations/",
            json!({ "name": "  " }),
            Some(&owner.access),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["name"].is_array(), "{body}");
    let (status, _) = app
        .post("/api/v1/conversations/", json!({ "name": "x" }), None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn rest_list_paginates_with_count_next_previous() {
    let app = TestApp::spawn().await;
    let owner = app.signup("lister").await;
    let stranger = app.signup("stranger").await;
    for i in 0..5 {
        create_conversation(&app, &owner, &format!("room {i}"), &[]).await;
    }
    create_conversation(&app, &stranger, "not yours", &[]).await;

    let (status, body) = app
        .get(
            "/api/v1/conversations/?limit=2&offset=2",
            Some(&owner.access),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["count"], 5);
    assert_eq!(body["results"].as_array().map(Vec::len), Some(2));
    assert!(
        body["next"]
            .as_str()
            .is_some_and(|u| u.ends_with("/api/v1/conversations/?limit=2&offset=4")),
        "{body}"
    );
    assert!(
        body["previous"]
            .as_str()
            .is_some_and(|u| u.ends_with("?limit=2&offset=0")),
        "{body}"
    );

    let (_, body) = app.get("/api/v1/conversations", Some(&owner.access)).await;
    assert_eq!(body["results"].as_array().map(Vec::len), Some(5));
    assert!(body["next"].is_null() && body["previous"].is_null());
    assert!(
        body["results"]
            .as_array()
            .expect("results")
            .iter()
            .all(|c| c["name"] != "not yours")
    );

    // Out-of-range values are clamped, not errors.
    let (status, body) = app
        .get(
            "/api/v1/conversations/?limit=1000&offset=-3",
            Some(&owner.access),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["results"].as_array().map(Vec::len), Some(5));
    let (status, _) = app.get("/api/v1/conversations/", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn detail_hides_conversations_that_are_not_yours() {
    let app = TestApp::spawn().await;
    let owner = app.signup("det").await;
    let stranger = app.signup("nosy").await;
    let id = create_conversation(&app, &owner, "secret", &[]).await;
    let (status, body) = app
        .get(&format!("/api/v1/conversations/{id}/"), Some(&owner.access))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["id"], id.as_str());

    let (absent_status, absent) = app
        .get(
            &format!("/api/v1/conversations/{}/", uuid::Uuid::new_v4()),
            Some(&stranger.access),
        )
        .await;
    let (hidden_status, hidden) = app
        .get(
            &format!("/api/v1/conversations/{id}/"),
            Some(&stranger.access),
        )
        .await;
    assert_eq!(absent_status, StatusCode::NOT_FOUND);
    assert_eq!(hidden_status, StatusCode::NOT_FOUND);
    assert_eq!(absent, hidden, "absent and not-yours look the same");
    let (status, _) = app
        .get("/api/v1/conversations/not-a-uuid/", Some(&owner.access))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let body = app
        .graphql(ONE, json!({ "id": id }), Some(&stranger.access))
        .await;
    assert!(
        body["data"]["conversation"].is_null() && body["errors"].is_null(),
        "{body}"
    );
    let body = app
        .graphql(ONE, json!({ "id": id }), Some(&owner.access))
        .await;
    assert_eq!(body["data"]["conversation"]["name"], "secret");
}

#[tokio::test]
async fn add_participant_matrix() {
    let app = TestApp::spawn().await;
    let admin = app.signup("admin").await;
    let member = app.signup("mem").await;
    let outsider = app.signup("out").await;
    let newcomer = app.signup("new").await;
    let id = create_conversation(&app, &admin, "team", &[&member]).await;
    let path = format!("/api/v1/conversations/{id}/add_participant");

    let (status, _) = app
        .post(
            &path,
            json!({ "user_id": newcomer.id }),
            Some(&member.access),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "members cannot add");
    let (status, _) = app
        .post(
            &path,
            json!({ "user_id": newcomer.id }),
            Some(&outsider.access),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "outsiders cannot see the conversation"
    );
    let (status, _) = app.post(&path, json!({}), Some(&admin.access)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "neither user_id nor email");
    let (status, _) = app
        .post(&path, json!({ "user_id": 424_242 }), Some(&admin.access))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "unknown user");
    let (status, _) = app
        .post(
            &format!(
                "/api/v1/conversations/{}/add_participant",
                uuid::Uuid::new_v4()
            ),
            json!({ "user_id": newcomer.id }),
            Some(&admin.access),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "unknown conversation");

    for _ in 0..2 {
        let (status, body) = app
            .post(
                &path,
                json!({ "user_id": newcomer.id }),
                Some(&admin.access),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, json!({ "success": true }), "idempotent");
    }
    let (status, _) = app
        .post(
            &path,
            json!({ "email": "OUT@example.com" }),
            Some(&admin.access),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "by email, case-insensitive");

    let (_, body) = app
        .get(
            &format!("/api/v1/conversations/{id}"),
            Some(&newcomer.access),
        )
        .await;
    assert_eq!(body["participants"].as_array().map(Vec::len), Some(4));
    assert_eq!(role_of(&body, &newcomer).as_deref(), Some("member"));
}

#[tokio::test]
async fn graphql_conversations() {
    let app = TestApp::spawn().await;
    let owner = app.signup("gowner").await;
    let other = app.signup("gother").await;
    let input = json!({ "name": "GraphQL room", "participantIds": [other.id.to_string()] });
    let body = app
        .graphql(CREATE, json!({ "input": input }), Some(&owner.access))
        .await;
    let created = &body["data"]["createConversation"];
    assert_eq!(created["slug"], "graphql-room", "{body}");
    assert_eq!(created["createdBy"]["id"], owner.id.to_string());
    let roles: Vec<&str> = created["participants"]
        .as_array()
        .expect("participants")
        .iter()
        .filter_map(|p| p["role"].as_str())
        .collect();
    assert!(
        roles.contains(&"ADMIN") && roles.contains(&"MEMBER"),
        "{roles:?}"
    );
    let id = created["id"].as_str().expect("id").to_owned();

    let body = app.graphql(LIST, json!({}), Some(&other.access)).await;
    assert_eq!(body["data"]["conversations"]["count"], 1);
    let body = app
        .graphql(LIST, json!({ "limit": 0 }), Some(&other.access))
        .await;
    assert_eq!(error_code(&body), "VALIDATION_ERROR");
    let body = app
        .graphql(LIST, json!({ "limit": 101 }), Some(&other.access))
        .await;
    assert_eq!(error_code(&body), "VALIDATION_ERROR");
    let body = app.graphql(LIST, json!({}), None).await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED");

    let third = app.signup("gthird").await;
    let body = app
        .graphql(
            ADD,
            json!({ "id": id, "email": "gthird@example.com" }),
            Some(&other.access),
        )
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN");
    let body = app
        .graphql(
            ADD,
            json!({ "id": id, "userId": third.id.to_string() }),
            Some(&third.access),
        )
        .await;
    assert_eq!(error_code(&body), "NOT_FOUND");
    let body = app
        .graphql(ADD, json!({ "id": id }), Some(&owner.access))
        .await;
    assert_eq!(error_code(&body), "VALIDATION_ERROR");
    let body = app
        .graphql(
            ADD,
            json!({ "id": id, "email": "gthird@example.com" }),
            Some(&owner.access),
        )
        .await;
    assert_eq!(
        body["data"]["addParticipant"]["participants"]
            .as_array()
            .map(Vec::len),
        Some(3),
        "{body}"
    );
    let body = app
        .graphql(ONE, json!({ "id": "not-a-uuid" }), Some(&owner.access))
        .await;
    assert_eq!(error_code(&body), "VALIDATION_ERROR");
}
