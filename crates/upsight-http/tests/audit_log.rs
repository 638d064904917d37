//! Auth-failure log lines: client IP and path, sanitised, never the token or the query. A test
//! binary of its own: tracing keeps per-call-site interest process-wide, and other tests
//! running in parallel in the same process made a capturing subscriber miss lines.

#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, header};
use axum::routing::get;
use tower::ServiceExt;
use upsight_http::{Credentials, Exposure, Hardening, HttpConfig, RateLimitConfig, TokenSet};

const VIEWER: &str = "viewer-token-0123456789abcdef0123456789";
const WRONG: &str = "wrong-token-0123456789abcdef0123456789ab";

/// Collects formatted log output.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn app() -> Router {
    let credentials = Credentials {
        viewer: Some(TokenSet::parse_list(VIEWER).unwrap()),
        ..Credentials::default()
    };
    let mut config = HttpConfig::new(credentials, Exposure::Loopback);
    config.rate_limit = RateLimitConfig::try_new(Duration::from_millis(1), 10_000, 1_000).unwrap();
    Hardening::new(config)
        .viewer(
            Router::new()
                .route("/api/v1/devices", get(|| async { "[]" }))
                .route("/dashboard", get(|| async { "page" })),
        )
        .build()
}

fn request(method: &str, uri: &str) -> axum::http::request::Builder {
    let peer: SocketAddr = "192.0.2.10:40000".parse().unwrap();
    Request::builder()
        .method(method)
        .uri(uri)
        .extension(ConnectInfo(peer))
}

#[tokio::test]
async fn failures_log_client_ip_and_path_but_never_the_token() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let app = app();
    let wrong_bearer = request("GET", "/api/v1/devices")
        .header(header::AUTHORIZATION, format!("Bearer {WRONG}"))
        .body(Body::empty())
        .unwrap();
    app.clone().oneshot(wrong_bearer).await.unwrap();
    let wrong_link = request("GET", &format!("/dashboard?token={WRONG}&x=1"))
        .body(Body::empty())
        .unwrap();
    app.clone().oneshot(wrong_link).await.unwrap();
    let login = request("POST", "/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("token={WRONG}")))
        .unwrap();
    app.clone().oneshot(login).await.unwrap();

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("Authentication failed."))
        .collect();
    assert_eq!(lines.len(), 3, "{logs}");
    for line in &lines {
        assert!(line.contains("client_ip=\"192.0.2.10\"") || line.contains("client_ip=192.0.2.10"));
        assert!(line.contains("wrong credentials"), "{line}");
    }
    assert!(lines[0].contains("/api/v1/devices") && lines[1].contains("/dashboard"));
    assert!(!lines[1].contains("x=1"), "the query is never logged");
    assert!(
        !logs.contains(WRONG),
        "a presented token is never logged: {logs}"
    );
}
