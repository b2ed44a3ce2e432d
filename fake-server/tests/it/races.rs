//! Concurrency: single-use codes and refresh tokens stay single-use under concurrent
//! redemption, a revocation is final once answered, and concurrent registrations are distinct.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use fake_server::FakeServer;
use reqwest::StatusCode;
use tokio::task::JoinSet;

use crate::support::{
    Auth, Authz, CONFIDENTIAL, MACHINE, PUBLIC, RESOURCE_SERVER, code_for, exchange, post, refresh, tokens,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_redemptions_of_one_code_give_exactly_one_token() {
    let server = Arc::new(FakeServer::start().await);
    for _ in 0..3 {
        let authz = Authz::new(CONFIDENTIAL);
        let code = code_for(&server, &authz).await;
        let mut tasks = JoinSet::new();
        for _ in 0..50 {
            let (server, code, verifier) = (server.clone(), code.clone(), authz.pkce.verifier.clone());
            tasks.spawn(async move { exchange(&server, CONFIDENTIAL, &code, &verifier).await.status });
        }
        let mut ok = 0;
        while let Some(status) = tasks.join_next().await {
            let status = status.expect("task");
            assert!(status == StatusCode::OK || status == StatusCode::BAD_REQUEST, "{status}");
            ok += usize::from(status == StatusCode::OK);
        }
        assert_eq!(ok, 1, "one code, one token response");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_reuse_of_one_refresh_token_gives_exactly_one_success() {
    let server = Arc::new(FakeServer::start().await);
    for _ in 0..3 {
        let first = tokens(&server, PUBLIC).await;
        let rt = first.str("refresh_token").to_string();
        let mut tasks = JoinSet::new();
        for _ in 0..50 {
            let (server, rt) = (server.clone(), rt.clone());
            tasks.spawn(async move { refresh(&server, PUBLIC, &rt, &[]).await.status });
        }
        let mut ok = 0;
        while let Some(status) = tasks.join_next().await {
            ok += usize::from(status.expect("task") == StatusCode::OK);
        }
        assert_eq!(ok, 1, "one refresh token, one rotation");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn introspection_never_says_active_once_a_revocation_has_answered() {
    let server = Arc::new(FakeServer::start().await);
    let mut checked_after = 0;
    for _ in 0..20 {
        let token =
            post(&server, "/token", Auth::Basic(MACHINE), &[("grant_type", "client_credentials")]).await;
        token.assert_tokens();
        let token = token.str("access_token").to_string();
        let stop = Arc::new(AtomicBool::new(false));
        let mut probes = JoinSet::new();
        for _ in 0..4 {
            let (server, token, stop) = (server.clone(), token.clone(), stop.clone());
            probes.spawn(async move {
                let mut seen = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let started = Instant::now();
                    let r = post(&server, "/introspect", Auth::Basic(RESOURCE_SERVER), &[("token", &token)])
                        .await;
                    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
                    seen.push((started, r.json["active"] == true));
                }
                seen
            });
        }
        let revoke = post(&server, "/revoke", Auth::Basic(MACHINE), &[("token", &token)]).await;
        assert_eq!(revoke.status, StatusCode::OK);
        let revoked = Instant::now();
        for _ in 0..3 {
            let r = post(&server, "/introspect", Auth::Basic(RESOURCE_SERVER), &[("token", &token)]).await;
            assert_eq!(r.json["active"], false, "right after the revocation answered");
        }
        stop.store(true, Ordering::Relaxed);
        while let Some(seen) = probes.join_next().await {
            for (started, active) in seen.expect("probe") {
                if started > revoked {
                    checked_after += 1;
                    assert!(!active, "an introspection started after the revocation answered said active");
                }
            }
        }
    }
    assert!(checked_after > 0, "some probes ran after a revocation");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_registrations_are_all_distinct() {
    let server = FakeServer::start().await;
    let url = server.url("/register");
    let http = crate::support_extra::http();
    let mut tasks = JoinSet::new();
    for i in 0..200 {
        let (http, url) = (http.clone(), url.clone());
        tasks.spawn(async move {
            let mut meta = crate::support_extra::public_client_metadata();
            meta["client_name"] = serde_json::json!(format!("Concurrent {i}"));
            let resp = http.post(url).json(&meta).send().await.expect("register");
            assert_eq!(resp.status(), StatusCode::CREATED);
            resp.json::<serde_json::Value>().await.expect("JSON")
        });
    }
    let mut ids = HashSet::new();
    let mut tokens = HashSet::new();
    while let Some(client) = tasks.join_next().await {
        let client = client.expect("task");
        ids.insert(client["client_id"].as_str().expect("client_id").to_string());
        tokens.insert(client["registration_access_token"].as_str().expect("token").to_string());
    }
    assert_eq!(ids.len(), 200);
    assert_eq!(tokens.len(), 200);
}
