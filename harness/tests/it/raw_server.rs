//! A raw TCP server for what HTTP libraries will not send: resets, broken chunking, silence,
//! half-sent headers and bodies, a status line that is not HTTP. It serves the metadata of an
//! authorization server on itself and misbehaves at one path. It binds 127.0.0.1 port 0 and
//! stops with the runtime that runs it.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How the server answers at its misbehaving path.
#[derive(Debug, Clone, Copy)]
pub enum Misbehaviour {
    /// Close the connection with a TCP reset, no answer.
    Reset,
    /// A chunked body whose chunk size is not hexadecimal.
    BadChunks,
    /// Read the request, then say nothing.
    Silent,
    /// Send the status line, then stop.
    SlowHeaders,
    /// Send the headers and a tenth of the body, then stop.
    SlowBody,
    /// Answer with something that is not HTTP at all.
    NotHttp,
}

/// A running raw server.
#[derive(Debug)]
pub struct RawServer {
    addr: std::net::SocketAddr,
}

impl RawServer {
    pub fn start(rt: &tokio::runtime::Runtime, bad_path: &'static str, how: Misbehaviour) -> RawServer {
        let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("a local address");
        rt.spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, addr, bad_path, how));
            }
        });
        RawServer { addr }
    }

    pub fn uri(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// The request head, up to the blank line (at most 64 KiB).
async fn read_head(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 65536 {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

async fn serve(mut stream: TcpStream, addr: std::net::SocketAddr, bad_path: &str, how: Misbehaviour) {
    let head = read_head(&mut stream).await;
    let target = head.split_whitespace().nth(1).unwrap_or("/");
    if !target.starts_with(bad_path) {
        let base = format!("http://{addr}");
        let body = serde_json::json!({
            "issuer": base,
            "authorization_endpoint": format!("{base}/authorize"),
            "token_endpoint": format!("{base}/token"),
            "introspection_endpoint": format!("{base}/introspect"),
            "revocation_endpoint": format!("{base}/revoke"),
            "response_types_supported": ["code"],
        })
        .to_string();
        let status = if target.starts_with("/.well-known/oauth-authorization-server") {
            "200 OK"
        } else {
            "404 Not Found"
        };
        let reply = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = stream.write_all(reply.as_bytes()).await;
        return;
    }
    let forever = std::time::Duration::from_secs(60);
    match how {
        Misbehaviour::Reset => {
            let _ = stream.set_zero_linger();
            drop(stream);
        }
        Misbehaviour::BadChunks => {
            let reply = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n";
            let _ = stream.write_all(reply.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
        Misbehaviour::Silent => tokio::time::sleep(forever).await,
        Misbehaviour::SlowHeaders => {
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: appl").await;
            tokio::time::sleep(forever).await;
        }
        Misbehaviour::SlowBody => {
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"active\"").await;
            tokio::time::sleep(forever).await;
        }
        Misbehaviour::NotHttp => {
            let _ = stream.write_all(b"SSH-2.0-OpenSSH_9.6\r\n\r\n").await;
            let _ = stream.shutdown().await;
        }
    }
}
