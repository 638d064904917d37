//! The fleet web UI (design.md §5 "Read side"): server-rendered pages global → group →
//! member, with one stylesheet and one small same-origin script that polls the read API of the
//! page and updates counts, health and rows in place, keeping the chosen sort. No inline
//! script or style anywhere, so the strict CSP of `upsight-http` holds; every dynamic value
//! is escaped by [`Html`](upsight_http::html::Html).
//!
//! Routes: `/`, `/groups/{group}` and `/members/{group}/{identity}` for viewers; `/login` and
//! `/assets/*` for anyone (`POST /login` and `POST /logout` come from `upsight-http`).
//! Handlers extract, read the [`Plane`] once with one `now`, and call a pure `render_*`.

mod assets;
mod format;
mod global;
mod group;
mod layout;
mod member;
mod table;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use upsight_model::{GroupName, MemberId};

use crate::plane::Plane;

/// How often the live script polls the read API of the open page.
pub(crate) const REFRESH: Duration = Duration::from_secs(5);

/// The login page and the assets: for anyone.
pub(crate) fn open_router(plane: Arc<Plane>) -> Router {
    Router::new()
        .route("/login", get(login))
        .route(assets::CSS.path, get(assets::css))
        .route(assets::JS.path, get(assets::js))
        .route(assets::ICON.path, get(assets::icon))
        .with_state(plane)
}

/// The pages: for viewers.
pub(crate) fn viewer_router(plane: Arc<Plane>) -> Router {
    Router::new()
        .route("/", get(global_page))
        .route("/groups/{group}", get(group_page))
        .route("/members/{group}/{identity}", get(member_page))
        .with_state(plane)
}

/// An HTML response.
fn page(status: StatusCode, body: String) -> Response {
    (status, [(CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

/// The flat 404: it does not say whether the group, the member or the name was wrong.
fn not_found() -> Response {
    page(StatusCode::NOT_FOUND, layout::render_not_found_page())
}

async fn global_page(State(plane): State<Arc<Plane>>) -> Response {
    let view = plane.registry().fleet(SystemTime::now());
    page(StatusCode::OK, global::render_fleet_page(&view))
}

async fn group_page(State(plane): State<Arc<Plane>>, Path(group): Path<String>) -> Response {
    let Ok(group) = group.parse::<GroupName>() else {
        return not_found();
    };
    let now = SystemTime::now();
    let Some(detail) = plane.registry().group(&group, now) else {
        return not_found();
    };
    page(StatusCode::OK, group::render_group_page(&detail, now))
}

async fn member_page(
    State(plane): State<Arc<Plane>>,
    Path((group, identity)): Path<(String, String)>,
) -> Response {
    let (Ok(group), Ok(identity)) = (group.parse::<GroupName>(), identity.parse::<MemberId>())
    else {
        return not_found();
    };
    let now = SystemTime::now();
    let (view, low_runtime) = {
        let registry = plane.registry();
        let view = registry.member(&group, &identity, now);
        (view, registry.config().low_runtime)
    };
    let Some(view) = view else {
        return not_found();
    };
    let page_view = member::MemberPage {
        view: &view,
        now,
        low_runtime,
    };
    page(StatusCode::OK, member::render_member_page(&page_view))
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
    page(StatusCode::OK, layout::render_login_page(next))
}

#[cfg(test)]
mod tests;
