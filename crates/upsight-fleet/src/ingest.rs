//! The ingest routes: `POST /api/v1/register` and `POST /api/v1/heartbeat`, for members
//! holding an ingest token.
//!
//! # Order of checks
//!
//! 1. (register only) the per-IP limit of `upsight-http`, before anything else. Heartbeats are
//!    exempt from it: a whole site of exporters may share one NAT address.
//! 2. [`Ingest`]: the ingest token, before the body is read. A refused token is counted and
//!    logged like every other authentication failure and charges the client's per-IP
//!    failure bucket; once that is empty the answer is 429, so a token-guessing flood on the
//!    heartbeat route is as cheap to refuse as on any other.
//! 3. The body (capped by `upsight-http`: 413 on the bytes read), parsed and validated (400).
//! 4. (heartbeat only) the per-member limit, keyed by group and identity (429).
//! 5. The registry, under its lock: 404 unknown member, 409 lease mismatch, 403 full.

use std::hash::{BuildHasher, RandomState};
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::SystemTime;

use axum::body::Bytes;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use tokio::time::Instant;
use upsight_http::ratelimit::client_key;
use upsight_http::{ApiError, ClientIp, KeyedLimiter, parse_bearer, record_denial};
use upsight_model::{GroupName, HeartbeatV1, MemberId, RegisterRequestV1};

use crate::metrics::{HeartbeatResult, RegisterResult};
use crate::plane::Plane;
use crate::{HeartbeatError, RegisterError};

/// The per-member heartbeat limiter, keyed by [`member_key`].
pub(crate) type MemberLimiter = KeyedLimiter<u64>;

/// A member's limiter key: its group and identity hashed with the plane's random hasher
/// (no allocation per heartbeat; keys of two members collide with odds of about 2^-64).
pub(crate) fn member_key(hasher: &RandomState, group: &GroupName, identity: &MemberId) -> u64 {
    hasher.hash_one((group, identity))
}

/// Proof that a request carries an ingest token (or that none is configured).
///
/// An extractor rather than a middleware layer: handlers take it before the body, so the token
/// is checked before a byte of the body is read, without another layer per request. A refused
/// token is counted and logged like every authentication failure and charges the client's
/// per-IP failure budget; once that is empty the answer is 429.
pub(crate) struct Ingest;

impl FromRequestParts<Arc<Plane>> for Ingest {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        plane: &Arc<Plane>,
    ) -> Result<Self, Self::Rejection> {
        let Some(tokens) = &plane.ingest else {
            return Ok(Self);
        };
        let presented = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| parse_bearer(v.as_bytes()));
        if presented.is_some_and(|token| tokens.matches(token)) {
            return Ok(Self);
        }
        if parts.uri.path() == HEARTBEAT_PATH {
            plane.metrics.heartbeat(HeartbeatResult::Unauthorized);
        }
        let security = plane.security();
        let ip = parts.extensions.get::<ClientIp>().map(|c| c.0);
        if let Some(ip) = ip
            && let Err(limited) = plane.ingest_failures.check(client_key(ip), Instant::now())
        {
            security.record_rate_limited();
            return Err(ApiError::TooManyRequests {
                retry_after: limited.retry_after,
            }
            .into_response());
        }
        let request = Request::from_parts(parts.clone(), ());
        record_denial(&security, &request, 401, "no or wrong ingest token");
        Err(ApiError::Unauthorized.into_response())
    }
}

/// The heartbeat route's path (exempt from the per-IP limit).
pub(crate) const HEARTBEAT_PATH: &str = "/api/v1/heartbeat";

/// The register route's path.
pub(crate) const REGISTER_PATH: &str = "/api/v1/register";

/// `body` as JSON. Checking UTF-8 once over the whole body costs less than serde_json's check of
/// every string in it; a body that is not UTF-8 is parsed as bytes, for serde_json's own error.
fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, serde_json::Error> {
    match std::str::from_utf8(body) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(body),
    }
}

fn peer_of(client: Option<Extension<ClientIp>>) -> Result<IpAddr, ApiError> {
    client
        .map(|Extension(ClientIp(ip))| ip)
        .ok_or_else(|| ApiError::Internal("no client address".into()))
}

pub(crate) async fn register(
    State(plane): State<Arc<Plane>>,
    _: Ingest,
    client: Option<Extension<ClientIp>>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let peer = peer_of(client)?;
    let request = parse_json::<RegisterRequestV1>(&body)
        .map_err(|e| e.to_string())
        .and_then(|r| r.validate().map(|()| r).map_err(|e| e.to_string()))
        .map_err(|e| {
            plane.metrics.register(RegisterResult::Invalid);
            ApiError::BadRequest(format!("invalid registration: {e}").into())
        })?;
    let result = plane
        .registry()
        .register(&request, peer, SystemTime::now(), &plane.key);
    let registration = result.map_err(|e| {
        let is_conflict = matches!(
            e,
            RegisterError::LeaseMismatch {
                is_conflict: true,
                ..
            }
        );
        if is_conflict {
            tracing::warn!(group = %request.group, identity = %request.identity, %peer,
                "Identity conflict: a registration for a live member from another address.");
        }
        tracing::info!(group = %request.group, identity = %request.identity, %peer,
            status = e.http_status(), reason = %e, "Registration refused.");
        plane.metrics.register(RegisterResult::Refused);
        match e.http_status() {
            409 => ApiError::Conflict(e.to_string().into()),
            403 => ApiError::Forbidden(e.to_string().into()),
            _ => ApiError::Internal(e.to_string()),
        }
    })?;
    if let Some(target) = &registration.dropped_target {
        tracing::warn!(group = %request.group, identity = %request.identity, %peer,
            target = %target,
            "Scrape target not kept: it is neither the member's own address nor in discovery_networks or discovery_hosts, so Prometheus is not sent there.");
    }
    if registration.is_conflict {
        tracing::warn!(group = %request.group, identity = %request.identity, %peer,
            "Identity conflict: one identity registering from two addresses.");
    }
    let number = registration.response.member_number;
    if registration.is_new {
        plane.metrics.register(RegisterResult::New);
        tracing::info!(group = %request.group, identity = %request.identity, %peer,
            member_number = number, "New member registered.");
    } else {
        plane.metrics.register(RegisterResult::Renewed);
        tracing::info!(group = %request.group, identity = %request.identity, %peer,
            member_number = number, "Member registered again.");
    }
    plane.changed.notify_one();
    Ok(Json(registration.response).into_response())
}

pub(crate) async fn heartbeat(
    State(plane): State<Arc<Plane>>,
    _: Ingest,
    client: Option<Extension<ClientIp>>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let peer = peer_of(client)?;
    let mut hb = parse_json::<HeartbeatV1>(&body)
        .map_err(|e| e.to_string())
        .and_then(|h| h.validate().map(|()| h).map_err(|e| e.to_string()))
        .map_err(|e| {
            plane.metrics.heartbeat(HeartbeatResult::Invalid);
            ApiError::BadRequest(format!("invalid heartbeat: {e}").into())
        })?;
    let key = member_key(&plane.limit_hasher, &hb.group, &hb.identity);
    if let Err(limited) = plane.heartbeat_limit.check(key, Instant::now()) {
        plane.metrics.heartbeat(HeartbeatResult::RateLimited);
        tracing::debug!(group = %hb.group, identity = %hb.identity, %peer,
            "Heartbeat rate limited.");
        return Err(ApiError::TooManyRequests {
            retry_after: limited.retry_after,
        });
    }
    // The guard goes at the end of this statement; the member's previous devices, swapped
    // into `hb`, are freed with it at the end of the handler, outside the lock.
    let result = plane
        .registry()
        .heartbeat(&mut hb, peer, SystemTime::now(), &plane.key);
    let outcome = result.map_err(|e| match e {
        HeartbeatError::UnknownMember { .. } => {
            plane.metrics.heartbeat(HeartbeatResult::UnknownMember);
            tracing::debug!(group = %hb.group, identity = %hb.identity, %peer,
                "Heartbeat from an unknown member: 404, it registers again.");
            ApiError::NotFound
        }
        HeartbeatError::LeaseMismatch { is_conflict, .. } => {
            plane.metrics.heartbeat(HeartbeatResult::LeaseMismatch);
            if is_conflict {
                tracing::warn!(group = %hb.group, identity = %hb.identity, %peer,
                    "Identity conflict: a heartbeat with a wrong lease from another address.");
            } else {
                tracing::info!(group = %hb.group, identity = %hb.identity, %peer,
                    "Heartbeat refused: wrong lease.");
            }
            ApiError::Conflict(e.to_string().into())
        }
    })?;
    if outcome.is_conflict {
        tracing::warn!(group = %hb.group, identity = %hb.identity, %peer,
            "Identity conflict: one identity heartbeating from two addresses.");
    }
    plane.metrics.heartbeat(HeartbeatResult::Accepted);
    tracing::trace!(group = %hb.group, identity = %hb.identity, %peer, "Heartbeat accepted.");
    plane.seen.store(true, Ordering::Release);
    Ok(StatusCode::NO_CONTENT)
}
