//! The exporter's HTTP surface for this stage: `/metrics`, `/healthz`, `/readyz`. Handlers
//! only read the latest snapshot; they never wait on hardware.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use std::sync::Arc;

use crate::exposition::{CONTENT_TYPE, render_with};
use crate::poller::SnapshotHub;
use crate::tracker::Tracker;

/// What the handlers share.
#[derive(Debug, Clone)]
pub struct AppState {
    hub: SnapshotHub,
    tracker: Tracker,
}

impl AppState {
    /// State over `hub` and `tracker`.
    pub fn new(hub: SnapshotHub, tracker: Tracker) -> Self {
        Self { hub, tracker }
    }
}

/// The exporter's router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(state)
}

async fn metrics(State(state): State<AppState>) -> Response {
    let snapshot = state.hub.current();
    let counters = Arc::new(state.tracker.counters());
    let mut body = String::with_capacity(64 * 1024);
    if render_with(&snapshot, counters, &mut body).is_err() {
        tracing::error!("Rendering the exposition failed.");
        return (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response();
    }
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], body).into_response()
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(state): State<AppState>) -> Response {
    if state.hub.current().is_ready {
        (StatusCode::OK, "ready\n").into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: first poll of every source pending\n",
        )
            .into_response()
    }
}
