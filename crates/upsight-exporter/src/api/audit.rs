//! One audit line per admin request that passed the token gate: who (the client address as
//! the hardening layers resolved it), what (method and path), and the outcome (status). A
//! change that took effect logs at INFO (`Admin action.`), a refused one (400, 404, 409, 422,
//! 429, 5xx) at WARN (`Admin action refused.`). Requests refused by the gate itself are logged
//! there (`Authentication failed.`). Never a body, a query or a header: bodies carry secrets.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request};
use axum::middleware::Next;
use axum::response::Response;
use upsight_http::ClientIp;

/// Longest path kept in an audit line, in characters.
const MAX_PATH_CHARS: usize = 128;

/// Logs the outcome of an admin request (a `route_layer` on the write routes).
pub async fn record(req: Request, next: Next) -> Response {
    let client_ip = req
        .extensions()
        .get::<ClientIp>()
        .map(|c| c.0)
        .or_else(|| {
            req.extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip())
        })
        .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    let method = req.method().clone();
    // Client-controlled (a device name): no control characters, bounded.
    let path: String = req
        .uri()
        .path()
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_PATH_CHARS)
        .collect();
    let response = next.run(req).await;
    let status = response.status().as_u16();
    if response.status().is_success() {
        tracing::info!(client_ip, %method, path, status, "Admin action.");
    } else {
        tracing::warn!(client_ip, %method, path, status, "Admin action refused.");
    }
    response
}
