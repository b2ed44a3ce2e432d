//! A library must not change its process: starting the fake server and letting it fetch a
//! client ID metadata document (which builds its TLS client) leaves no process-wide rustls
//! crypto provider behind. Its own test binary, because the main one installs a provider
//! for its HTTP clients.

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A plain HTTP/1.1 GET over TCP, so that the test itself needs no TLS client either.
async fn get(addr: std::net::SocketAddr, target: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("read");
    String::from_utf8_lossy(&response).into_owned()
}

#[tokio::test]
async fn starting_the_server_and_fetching_a_metadata_document_installs_no_crypto_provider() {
    let documents = MockServer::start().await;
    let id = format!("{}/client.json", documents.uri());
    let redirect = "http://127.0.0.1:5555/callback";
    let document = json!({
        "client_id": id,
        "client_name": "Document Client",
        "redirect_uris": [redirect],
        "grant_types": ["authorization_code"],
        "token_endpoint_auth_method": "none",
    });
    Mock::given(method("GET"))
        .and(path("/client.json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&document))
        .expect(1)
        .mount(&documents)
        .await;

    let server = fake_server::FakeServer::builder().settings(|s| s.allow_insecure_cimd = true).start().await;
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", &id)
        .append_pair("redirect_uri", redirect)
        .append_pair("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
        .append_pair("code_challenge_method", "S256")
        .finish();
    let path = format!("{}/authorize?{query}", url::Url::parse(server.issuer()).expect("issuer").path());
    let path = path.replacen("//", "/", 1);
    let response = get(server.addr(), &path).await;

    assert!(response.starts_with("HTTP/1.1 302"), "the document client is admitted: {response}");
    assert!(
        rustls::crypto::CryptoProvider::get_default().is_none(),
        "the library installed a process-wide crypto provider"
    );
}
