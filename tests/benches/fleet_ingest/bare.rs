//! The ceilings: an axum server with one `POST` route that reads the whole body and answers
//! 204, served like the plane (`axum::serve` with connect info, a two-worker runtime as in
//! `crates/upsight/src/main.rs`). Bare, it has nothing else: no layers, no auth, no JSON.
//! Hardened, the route sits in `upsight_http::Hardening`'s open group exactly as the plane's
//! ingest routes do (security headers, error flattening, CORS, client IP, per-IP limit with the
//! heartbeat path exempt, in-flight cap, deadline, body cap), so the step from bare to hardened
//! is the shared HTTP stack and the step from hardened to the plane is the fleet's own work.

use std::io::Read as _;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::routing::post;
use tokio::net::TcpListener;
use upsight_http::{Credentials, Exposure, Hardening, HttpConfig, RateLimitConfig};

use crate::load::HEARTBEAT_PATH;

/// The flag that makes this bench binary a ceiling server; `=hardened` adds the layers.
pub(crate) const BARE_FLAG: &str = "--bare-server";
pub(crate) const HARDENED_FLAG: &str = "--bare-server=hardened";

/// Serves on an ephemeral 127.0.0.1 port, printing `listening ADDR` first, until stdin
/// closes (the bench exited or dropped its handle).
pub(crate) fn serve(is_hardened: bool) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        println!("listening {}", listener.local_addr()?);
        let route = Router::new().route(
            HEARTBEAT_PATH,
            post(|body: Bytes| async move {
                drop(body);
                StatusCode::NO_CONTENT
            }),
        );
        let app = if is_hardened { harden(route)? } else { route };
        let stdin_closed = async {
            let _ = tokio::task::spawn_blocking(|| {
                let mut sink = Vec::new();
                std::io::stdin().read_to_end(&mut sink)
            })
            .await;
        };
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(stdin_closed)
        .await?;
        anyhow::Ok(())
    })
}

/// `route` in the open group of the stack the plane builds (`upsight-fleet`'s `router`), with
/// the per-IP limit at its widest and the heartbeat path exempt from it.
fn harden(route: Router) -> anyhow::Result<Router> {
    let mut http = HttpConfig::new(Credentials::default(), Exposure::Loopback);
    http.rate_limit = RateLimitConfig::try_new(Duration::from_millis(1), 100_000, 10_000)?;
    http.limits.max_body_bytes = 256 * 1024;
    http.ip_limit_exempt = vec![HEARTBEAT_PATH];
    Ok(Hardening::new(http).open(route).build())
}
