//! The machine's ceiling: an axum server that answers GET / with a small JSON document, the
//! least an HTTP server can do per request.

use axum::Router;
use axum::routing::get;

#[tokio::main]
async fn main() {
    let port: u16 = std::env::args().nth(1).and_then(|p| p.parse().ok()).unwrap_or(9300);
    let app = Router::new().route("/", get(|| async { axum::Json(serde_json::json!({"hello": "world"})) }));
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("hello: cannot bind 127.0.0.1:{port}: {e}");
            std::process::exit(2);
        }
    };
    println!("http://127.0.0.1:{port}");
    if let Err(e) = axum::serve(listener, app).await {
        eprintln!("hello: {e}");
    }
}
