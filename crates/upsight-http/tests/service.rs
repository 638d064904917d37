//! Service tests: the whole hardened router driven with `oneshot`, asserting exact status codes
//! and headers. Every response passes through [`send`], which checks the security headers, so
//! each case below also proves they are present on that response.
#![allow(clippy::unwrap_used)] // test helpers may panic: a panic is a test failure

mod service {
    mod auth;
    mod cors_bind;
    mod host;
    mod limits;
    mod ratelimit;
    mod session;
}

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, Response, header};
use axum::routing::{get, post};
use http_body_util::BodyExt;
use tokio::sync::Notify;
use tower::ServiceExt;
use upsight_http::{Credentials, Exposure, Hardening, HttpConfig, RateLimitConfig, Role, TokenSet};

pub(crate) const VIEWER: &str = "viewer-token-0123456789abcdef0123456789";
pub(crate) const ADMIN: &str = "admin-token-0123456789abcdef0123456789ab";
pub(crate) const METRICS: &str = "metrics-token-0123456789abcdef012345678";
pub(crate) const WRONG: &str = "wrong-token-0123456789abcdef0123456789ab";
pub(crate) const PEER: &str = "192.0.2.10:40000";

pub(crate) fn credentials() -> Credentials {
    Credentials {
        viewer: Some(TokenSet::parse_list(VIEWER).unwrap()),
        admin: Some(TokenSet::parse_list(ADMIN).unwrap()),
        metrics: None,
    }
}

/// Loopback, both tokens, a rate limit loose enough not to interfere.
pub(crate) fn config() -> HttpConfig {
    let mut config = HttpConfig::new(credentials(), Exposure::Loopback);
    config.rate_limit = RateLimitConfig::try_new(Duration::from_millis(1), 10_000, 1_000).unwrap();
    config
}

async fn whoami(role: Role) -> String {
    format!("{role:?}")
}

async fn echo(body: Bytes) -> String {
    body.len().to_string()
}

/// The application under test: one route per access level, plus body, slow and held routes.
pub(crate) fn app_with(config: HttpConfig, held: Arc<Notify>) -> Router {
    let open = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/echo", post(echo))
        .route("/slow", get(std::future::pending::<()>))
        .route(
            "/held",
            get(move || async move {
                held.notify_one();
                std::future::pending::<()>().await;
            }),
        );
    Hardening::new(config)
        .open(open)
        .metrics(Router::new().route("/metrics", get(|| async { "# EOF\n" })))
        .viewer(
            Router::new()
                .route("/api/v1/devices", get(whoami))
                .route("/dashboard", get(whoami)),
        )
        .admin(Router::new().route("/api/v1/devices", post(whoami)))
        .build()
}

pub(crate) fn app(config: HttpConfig) -> Router {
    app_with(config, Arc::new(Notify::new()))
}

/// A request from [`PEER`].
pub(crate) fn request(method: &str, uri: &str) -> axum::http::request::Builder {
    from(PEER, method, uri)
}

/// A request from `peer` (`ip:port`).
pub(crate) fn from(peer: &str, method: &str, uri: &str) -> axum::http::request::Builder {
    let peer: SocketAddr = peer.parse().unwrap();
    Request::builder()
        .method(method)
        .uri(uri)
        .extension(ConnectInfo(peer))
}

pub(crate) fn get_req(uri: &str) -> Request<Body> {
    request("GET", uri).body(Body::empty()).unwrap()
}

pub(crate) fn bearer(method: &str, uri: &str, token: &str) -> Request<Body> {
    request(method, uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap()
}

/// Sends `req` and asserts the security headers on whatever comes back.
pub(crate) async fn send(app: &Router, req: Request<Body>) -> Response<Body> {
    let res = app.clone().oneshot(req).await.unwrap();
    assert_security_headers(res.headers());
    res
}

pub(crate) fn assert_security_headers(headers: &HeaderMap) {
    let expect = [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("cross-origin-opener-policy", "same-origin"),
        ("cache-control", "no-store"),
        (
            "content-security-policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
        ),
    ];
    for (name, value) in expect {
        assert_eq!(
            headers.get(name).map(|v| v.to_str().unwrap()),
            Some(value),
            "{name}"
        );
    }
    let permissions = headers["permissions-policy"].to_str().unwrap();
    assert!(permissions.contains("camera=()") && permissions.contains("geolocation=()"));
    assert!(!headers.contains_key(header::SERVER));
}

pub(crate) async fn text(res: Response<Body>) -> String {
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// Asserts a flat JSON error body `{"error": message}`.
pub(crate) async fn assert_flat(res: Response<Body>, message: &str) {
    assert_eq!(res.headers()[header::CONTENT_TYPE], "application/json");
    let body: serde_json::Value = serde_json::from_str(&text(res).await).unwrap();
    assert_eq!(body, serde_json::json!({ "error": message }));
}
