//! Slow and stalled clients (slowloris): with a lowered connection cap and short timeouts,
//! 200 stalled sockets are closed by the server and a normal request is still answered.

use std::time::Duration;

use fake_server::FakeServer;
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;

const STALLED: usize = 200;

fn guarded_server() -> FakeServer {
    FakeServer::builder()
        .settings(|s| {
            s.limits.max_connections = 50;
            s.limits.header_read_timeout_ms = 400;
            s.limits.body_timeout_ms = 400;
            s.limits.idle_timeout_ms = 800;
        })
        .start_blocking()
}

/// Open a socket and send part of a request, never the rest.
async fn stall(addr: std::net::SocketAddr, i: usize) -> Option<TcpStream> {
    let mut s = tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(addr)).await.ok()?.ok()?;
    let partial: &[u8] = match i % 3 {
        // Half a request head.
        0 => b"GET /.well-known/oauth-authorization-server HTTP/1.1\r\nHost: x\r\nX-Slow: ",
        // A complete head announcing a body that never comes.
        1 => {
            b"POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
              Content-Length: 1000\r\n\r\ngrant_type="
        }
        // Connected, then silent.
        _ => b"",
    };
    s.write_all(partial).await.ok()?;
    Some(s)
}

/// Read until the server closes the socket (whatever it sent before: nothing, or a 408).
async fn closed_by_server(mut s: TcpStream) -> bool {
    let mut sink = Vec::new();
    tokio::time::timeout(Duration::from_secs(8), s.read_to_end(&mut sink)).await.is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_sockets_are_closed_and_a_normal_request_is_still_answered() {
    let server = guarded_server();
    let addr = server.addr();
    let mut opening = JoinSet::new();
    for i in 0..STALLED {
        opening.spawn(stall(addr, i));
    }
    let mut stalled = Vec::new();
    while let Some(s) = opening.join_next().await {
        stalled.extend(s.expect("task"));
    }
    assert!(stalled.len() >= STALLED * 9 / 10, "only {} of {STALLED} sockets opened", stalled.len());

    // Four times the cap is stalled; a well-behaved client still gets its answer.
    let started = std::time::Instant::now();
    let http = reqwest::Client::builder().timeout(Duration::from_secs(9)).no_proxy().build().unwrap();
    let resp = http.get(server.metadata_url()).send().await.expect("answered during the attack");
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(started.elapsed() < Duration::from_secs(9));

    let mut closing = JoinSet::new();
    for s in stalled {
        closing.spawn(closed_by_server(s));
    }
    let mut open = 0;
    while let Some(closed) = closing.join_next().await {
        if !closed.expect("task") {
            open += 1;
        }
    }
    assert_eq!(open, 0, "sockets the server never closed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_stops_arriving_gets_408_invalid_request() {
    let server = guarded_server();
    let mut s = TcpStream::connect(server.addr()).await.unwrap();
    s.write_all(
        b"POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
          Content-Length: 100\r\n\r\ngrant_type=client",
    )
    .await
    .unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut answer)).await.expect("closed").ok();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"error\":\"invalid_request\""), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_closed() {
    let server = guarded_server();
    let mut s = TcpStream::connect(server.addr()).await.unwrap();
    s.write_all(b"GET /jwks HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the server closed the kept-alive connection after its timeout");
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200"));
}
