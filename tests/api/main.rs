//! Integration tests: the real server on 127.0.0.1:0, driven by real clients.
//! Backends: embedded by default; PostgreSQL with `TEST_DATABASE_URL`, Redis
//! with `TEST_REDIS_URL`. Every test owns its database and key prefix.
#![expect(clippy::expect_used, reason = "a test fails by panicking")]

mod abuse;
mod accounts;
mod archive;
mod armed_on_connect;
mod cluster;
mod conversations;
mod credentials;
mod django_chat;
mod django_fixture;
mod edits;
mod events;
mod graphql_http;
mod health;
mod helpers;
mod inbox;
mod legacy_ws;
mod membership;
mod membership_cache;
mod messages;
mod metrics;
mod multi_node;
mod npm_client;
mod openapi;
mod openapi_text;
mod outages;
mod people;
mod presence;
mod privacy;
mod read_state;
mod reconnect_storm;
mod rest_strictness;
mod schema;
mod socket_sessions;
mod subscription_memory;
mod subscriptions;
mod support;
mod throttling;
mod typing;
mod web_pages;
mod ws_client;
