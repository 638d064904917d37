//! The dashboard (design.md §4.5): server-rendered HTML pages over the latest snapshot and the
//! tracker, with one stylesheet and one small same-origin script that refreshes values in place
//! from the JSON API. No inline script or style anywhere, so the strict CSP of
//! `upsight-http` holds; every dynamic value is escaped by [`html::Html`].
//!
//! Routes: `/`, `/devices/{name}`, `/events` and `/settings` for viewers; `/login` and
//! `/assets/*` for anyone. Handlers extract, call a pure `render_*` function and wrap the page.

pub mod assets;
pub mod chart;
pub mod device;
pub mod devices;
pub mod events;
pub mod format;
pub mod html;
pub mod settings;

use std::time::SystemTime;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use upsight_model::UpsName;

use crate::api::dto::DeviceDetail;
use crate::http::AppState;
use device::{DEVICE_EVENTS, DeviceView};
use events::{EventFilter, PAGE_EVENTS, RawFilter};

/// Pages and assets anyone may fetch (the login page, CSS, JS, icon).
pub fn open_router(state: AppState) -> Router {
    Router::new()
        .route("/login", get(login))
        .route(assets::CSS.path, get(assets::css))
        .route(assets::JS.path, get(assets::js))
        .route(assets::ICON.path, get(assets::icon))
        .with_state(state)
}

/// Pages that need a viewer.
pub fn viewer_router(state: AppState) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/devices/{name}", get(device))
        .route("/events", get(events))
        .route("/settings", get(settings))
        .with_state(state)
}

/// An HTML response.
fn page(status: StatusCode, body: String) -> Response {
    (status, [(CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

fn not_found(name: &str) -> Response {
    let message = format!("No device named {name:?} is configured or discovered.");
    page(
        StatusCode::NOT_FOUND,
        settings::render_error_page("Device not found", &message),
    )
}

async fn index(State(state): State<AppState>) -> Response {
    page(
        StatusCode::OK,
        devices::render_devices_page(&state.snapshot()),
    )
}

async fn device(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    let Ok(ups) = name.parse::<UpsName>() else {
        return not_found(&name);
    };
    let snapshot = state.snapshot();
    let Some(device) = snapshot.devices.iter().find(|d| d.name == ups) else {
        return not_found(&name);
    };
    let tracker = state.tracker();
    let counters = tracker.counters();
    let detail = DeviceDetail::of(device, counters.get(&ups));
    let points = tracker.points(&ups);
    let events = tracker.events(Some(&ups), DEVICE_EVENTS);
    let outages = tracker.outages(Some(&ups));
    let energy = tracker.energy();
    let view = DeviceView {
        device,
        detail: &detail,
        points: &points,
        events: &events,
        outages: &outages,
        energy: energy.get(&ups),
        price_per_kwh: state.price_per_kwh(),
        now: SystemTime::now(),
    };
    page(StatusCode::OK, device::render_device_page(&view))
}

async fn events(
    State(state): State<AppState>,
    query: Result<Query<RawFilter>, QueryRejection>,
) -> Response {
    let snapshot = state.snapshot();
    let known: Vec<&UpsName> = snapshot.devices.iter().map(|d| &d.name).collect();
    let parsed = query
        .map_err(|e| format!("invalid filter: {}", e.body_text()))
        .and_then(|Query(raw)| events::parse_filter(&raw, &known));
    let filter = match parsed {
        Ok(filter) => filter,
        Err(message) => {
            let body =
                events::render_events_page(&known, &EventFilter::default(), Some(&message), &[]);
            return page(StatusCode::BAD_REQUEST, body);
        }
    };
    let all = state.tracker().events(filter.device.as_ref(), usize::MAX);
    let mut matching: Vec<_> = all.into_iter().filter(|e| filter.matches(e)).collect();
    let skip = matching.len().saturating_sub(PAGE_EVENTS);
    matching.drain(..skip);
    let body = events::render_events_page(&known, &filter, None, &matching);
    page(StatusCode::OK, body)
}

async fn settings(State(state): State<AppState>) -> Response {
    page(
        StatusCode::OK,
        settings::render_settings_page(&state.config_with_runtime()),
    )
}

/// `GET /login?next=…`.
#[derive(Debug, Deserialize)]
struct LoginQuery {
    next: Option<String>,
}

async fn login(query: Result<Query<LoginQuery>, QueryRejection>) -> Response {
    let next = query.ok().and_then(|Query(q)| q.next);
    let next = next
        .as_deref()
        .and_then(|n| upsight_http::session::parse_next(n).ok())
        .unwrap_or("/");
    page(StatusCode::OK, settings::render_login_page(next))
}

#[cfg(test)]
mod tests;
