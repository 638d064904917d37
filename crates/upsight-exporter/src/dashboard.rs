//! The dashboard: server-rendered HTML pages (in progress).

use axum::Router;

use crate::http::AppState;

/// Pages and assets anyone may fetch (the login page, CSS, JS).
pub fn open_router(state: AppState) -> Router {
    Router::new().with_state(state)
}

/// Pages that need a viewer.
pub fn viewer_router(state: AppState) -> Router {
    Router::new().with_state(state)
}
