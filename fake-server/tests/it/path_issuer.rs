//! An issuer with a path (RFC 8414 §3.1): the well-known segment goes between host and path,
//! and every endpoint lives under the path (DISC-01, DISC-02, DISC-04, DISC-16).

use fake_server::FakeServer;

use crate::support::{Authz, CONFIDENTIAL, Reply, http, tokens_with};

async fn get(url: &str) -> Reply {
    Reply::read(http().get(url).send().await.expect("GET")).await
}

#[tokio::test]
async fn serves_metadata_between_host_and_path_with_the_exact_issuer() {
    let server = FakeServer::builder().issuer_path("/tenant").start().await;
    let origin = format!("http://{}", server.addr());
    assert_eq!(server.issuer(), format!("{origin}/tenant"));
    let url = format!("{origin}/.well-known/oauth-authorization-server/tenant");
    assert_eq!(server.metadata_url(), url);
    let reply = get(&url).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json["issuer"], server.issuer());
    assert_eq!(reply.json["token_endpoint"], format!("{origin}/tenant/token"));
    assert_eq!(reply.json["authorization_endpoint"], format!("{origin}/tenant/authorize"));
}

#[tokio::test]
async fn the_root_and_path_appended_oauth_locations_are_not_the_metadata() {
    let server = FakeServer::builder().issuer_path("/tenant").start().await;
    let origin = format!("http://{}", server.addr());
    for url in [
        format!("{origin}/.well-known/oauth-authorization-server"),
        format!("{origin}/tenant/.well-known/oauth-authorization-server"),
    ] {
        assert_eq!(get(&url).await.status, 404, "{url}");
    }
}

#[tokio::test]
async fn serves_openid_configuration_appended_and_inserted_with_the_same_issuer() {
    let server = FakeServer::builder().issuer_path("/tenant").start().await;
    let origin = format!("http://{}", server.addr());
    for url in [
        format!("{origin}/tenant/.well-known/openid-configuration"),
        format!("{origin}/.well-known/openid-configuration/tenant"),
    ] {
        let reply = get(&url).await;
        assert_eq!(reply.status, 200, "{url}");
        assert_eq!(reply.json["issuer"], server.issuer(), "{url}");
    }
}

#[tokio::test]
async fn a_trailing_slash_on_the_path_is_dropped() {
    let server = FakeServer::builder().issuer_path("/tenant/").start().await;
    assert!(server.issuer().ends_with("/tenant"));
    let reply = get(&format!("http://{}/.well-known/oauth-authorization-server/tenant", server.addr())).await;
    assert_eq!(reply.json["issuer"], server.issuer());
}

#[tokio::test]
async fn the_whole_flow_works_under_the_path() {
    let server = FakeServer::builder().issuer_path("/tenant").start().await;
    let reply = tokens_with(&server, Authz::new(CONFIDENTIAL), CONFIDENTIAL).await;
    let info = crate::support::introspect(&server, reply.str("access_token")).await;
    assert_eq!(info["iss"], server.issuer());
    assert_eq!(get(&server.url("/jwks")).await.status, 200);
}

#[tokio::test]
async fn the_legacy_switch_also_answers_the_endpoints_at_the_origin_root() {
    let plain = FakeServer::builder().issuer_path("/tenant").start().await;
    let legacy = FakeServer::builder()
        .issuer_path("/tenant")
        .settings(|s| s.legacy_root_endpoints = true)
        .start()
        .await;
    let post = |server: &FakeServer| {
        let url = format!("http://{}/token", server.addr());
        async move {
            Reply::read(
                http().post(url).form(&[("grant_type", "authorization_code")]).send().await.expect("POST"),
            )
            .await
        }
    };
    assert_eq!(post(&plain).await.status, 404, "without the switch nothing lives at the root");
    let reply = post(&legacy).await;
    assert_eq!(reply.status, 401, "the root /token is the token endpoint: {}", reply.json);
    assert_eq!(reply.json["error"], "invalid_client");
    let root_metadata = format!("http://{}/.well-known/oauth-authorization-server", legacy.addr());
    assert_eq!(get(&root_metadata).await.status, 404, "the switch adds endpoints, not a second issuer");
}
