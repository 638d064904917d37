//! The ingest routes: `POST /api/v1/register` and `POST /api/v1/heartbeat`, for members
//! holding an ingest token.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::SystemTime;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use upsight_http::{ApiError, ClientIp};
use upsight_model::{HeartbeatV1, RegisterRequestV1};

use crate::plane::Plane;
use crate::{HeartbeatError, RegisterError};

fn peer_of(client: Option<Extension<ClientIp>>) -> Result<IpAddr, ApiError> {
    client
        .map(|Extension(ClientIp(ip))| ip)
        .ok_or_else(|| ApiError::Internal("no client address".into()))
}

pub(crate) async fn register(
    State(plane): State<Arc<Plane>>,
    client: Option<Extension<ClientIp>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    plane.check_ingest(&headers)?;
    let peer = peer_of(client)?;
    let request: RegisterRequestV1 = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("invalid registration: {e}").into()))?;
    request
        .validate()
        .map_err(|e| ApiError::BadRequest(format!("invalid registration: {e}").into()))?;
    let result = plane
        .registry()
        .register(&request, peer, SystemTime::now(), &plane.key);
    let registration = result.map_err(|e| {
        if matches!(
            e,
            RegisterError::LeaseMismatch {
                is_conflict: true,
                ..
            }
        ) {
            tracing::warn!(group = %request.group, identity = %request.identity, %peer,
                "Identity conflict: a registration for a live member from another address.");
        }
        match e.http_status() {
            409 => ApiError::Conflict(e.to_string().into()),
            403 => ApiError::Forbidden(e.to_string().into()),
            _ => ApiError::Internal(e.to_string()),
        }
    })?;
    if registration.is_conflict {
        tracing::warn!(group = %request.group, identity = %request.identity, %peer,
            "Identity conflict: one identity registering from two addresses.");
    }
    if registration.is_new {
        tracing::info!(group = %request.group, identity = %request.identity,
            member_number = registration.response.member_number, "New member registered.");
    }
    plane.changed.notify_one();
    Ok(Json(registration.response).into_response())
}

pub(crate) async fn heartbeat(
    State(plane): State<Arc<Plane>>,
    client: Option<Extension<ClientIp>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    plane.check_ingest(&headers)?;
    let peer = peer_of(client)?;
    let hb: HeartbeatV1 = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("invalid heartbeat: {e}").into()))?;
    hb.validate()
        .map_err(|e| ApiError::BadRequest(format!("invalid heartbeat: {e}").into()))?;
    let result = plane
        .registry()
        .heartbeat(&hb, peer, SystemTime::now(), &plane.key);
    let outcome = result.map_err(|e| match e {
        HeartbeatError::UnknownMember { .. } => ApiError::NotFound,
        HeartbeatError::LeaseMismatch { is_conflict, .. } => {
            if is_conflict {
                tracing::warn!(group = %hb.group, identity = %hb.identity, %peer,
                    "Identity conflict: a heartbeat with a wrong lease from another address.");
            }
            ApiError::Conflict(e.to_string().into())
        }
    })?;
    if outcome.is_conflict {
        tracing::warn!(group = %hb.group, identity = %hb.identity, %peer,
            "Identity conflict: one identity heartbeating from two addresses.");
    }
    plane.changed.notify_one();
    Ok(StatusCode::NO_CONTENT)
}
