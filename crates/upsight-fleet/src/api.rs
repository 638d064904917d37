//! The read API for viewers: `/api/v1/fleet`, `/api/v1/groups/{group}`,
//! `/api/v1/members/{group}/{identity}` and the Prometheus http_sd list `/api/v1/targets`; and
//! `/readyz`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use upsight_http::{ApiError, SecurityCounters};
use upsight_model::{GroupName, MemberId};

use crate::metrics::Scrape;
use crate::plane::Plane;

pub(crate) async fn readyz(State(plane): State<Arc<Plane>>) -> Response {
    if plane.is_ready() {
        "ready".into_response()
    } else {
        ApiError::Unavailable("state not loaded".into()).into_response()
    }
}

pub(crate) async fn fleet(State(plane): State<Arc<Plane>>) -> Response {
    Json(plane.fleet()).into_response()
}

/// One group and its members; a flat 404 for a name that is not a group with members.
pub(crate) async fn group(
    State(plane): State<Arc<Plane>>,
    Path(group): Path<String>,
) -> Result<Response, ApiError> {
    let group: GroupName = group.parse().map_err(|_| ApiError::NotFound)?;
    let detail = plane.group(&group).ok_or(ApiError::NotFound)?;
    Ok(Json(detail).into_response())
}

/// One member in detail; a flat 404 for one that is not registered.
pub(crate) async fn member(
    State(plane): State<Arc<Plane>>,
    Path((group, identity)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let group: GroupName = group.parse().map_err(|_| ApiError::NotFound)?;
    let identity: MemberId = identity.parse().map_err(|_| ApiError::NotFound)?;
    let member = plane.member(&group, &identity).ok_or(ApiError::NotFound)?;
    Ok(Json(member).into_response())
}

/// Prometheus http_sd: one entry per member that gave a scrape target.
pub(crate) async fn targets(State(plane): State<Arc<Plane>>) -> Response {
    let targets = plane.registry().targets();
    let body: Vec<serde_json::Value> = targets
        .into_iter()
        .map(|t| {
            serde_json::json!({
                "targets": [t.scrape_target],
                "labels": {
                    "group": t.group.as_str(),
                    "member": t.identity.as_str(),
                    "member_number": t.member_number.to_string(),
                },
            })
        })
        .collect();
    Json(body).into_response()
}

/// The plane's own metrics (viewer-gated).
pub(crate) async fn metrics(
    State((plane, security)): State<(Arc<Plane>, Arc<SecurityCounters>)>,
) -> Response {
    let fleet = plane.fleet();
    let conflicts_total = plane.registry().conflicts_total();
    let body = crate::metrics::render(&Scrape {
        fleet: &fleet,
        conflicts_total,
        metrics: &plane.metrics,
        security: &security,
        is_persistent: plane.is_persistent,
    });
    (
        [(
            CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    )
        .into_response()
}
