//! The server works without any async runtime in the test (plain `#[test]`).

use std::io::{Read, Write};
use std::net::TcpStream;

use fake_server::{FakeServer, Fault};

/// A bare HTTP/1.1 GET: status line and body.
fn get(server: &FakeServer, path: &str) -> (String, String) {
    let mut stream = TcpStream::connect(server.addr()).expect("connect");
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", server.addr())
        .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let (head, body) = response.split_once("\r\n\r\n").expect("a head and a body");
    (head.lines().next().unwrap_or_default().to_string(), body.to_string())
}

#[test]
fn starts_and_serves_metadata_from_a_plain_test() {
    let server = FakeServer::start_blocking();
    let (status, body) = get(&server, "/.well-known/oauth-authorization-server");
    assert_eq!(status, "HTTP/1.1 200 OK");
    let doc: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(doc["issuer"], server.issuer());
}

#[test]
fn the_builder_starts_blocking_too_and_binds_a_free_loopback_port() {
    let a = FakeServer::builder().fault(Fault::NoIss).start_blocking();
    let b = FakeServer::start_blocking();
    assert!(a.addr().ip().is_loopback());
    assert_ne!(a.addr().port(), 0);
    assert_ne!(a.addr(), b.addr(), "each server gets its own port");
    assert!(a.has_fault(Fault::NoIss) && !b.has_fault(Fault::NoIss));
}

#[test]
fn dropping_the_server_stops_it() {
    let server = FakeServer::start_blocking();
    let addr = server.addr();
    assert_eq!(get(&server, "/jwks").0, "HTTP/1.1 200 OK");
    drop(server);
    // Shutdown happens on the server's own thread; wait for it, without a deadline to race.
    let mut refused = false;
    for _ in 0..500 {
        if TcpStream::connect(addr).is_err() {
            refused = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(refused, "the port still accepts connections after the server was dropped");
}
