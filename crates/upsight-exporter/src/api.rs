//! The JSON API under `/api/v1/` (design.md §4.5): read routes for viewers, writes for admins.
//! Handlers read the latest snapshot and the tracker; none waits on hardware. Errors are
//! `{"error": "..."}` with exact status codes (`upsight_http::ApiError`).

pub mod audit;
pub mod dto;
mod object;
pub mod openapi;

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use upsight_http::ApiError;
use upsight_model::{EventKind, UpsName, cost};

use crate::http::AppState;
use dto::{DeviceDetail, DeviceSummary, EventDto, OutageDto, PointDto, rfc3339};

/// Most events one request returns.
pub const MAX_EVENTS: usize = 1000;

/// Routes any viewer may call.
pub fn read_router(state: AppState) -> Router {
    Router::new()
        .route("/api/v1/devices", get(devices))
        .route("/api/v1/devices/{name}", get(device))
        .route("/api/v1/devices/{name}/history", get(history))
        .route("/api/v1/events", get(events))
        .route("/api/v1/outages", get(outages))
        .route("/api/v1/energy", get(energy))
        .route("/api/v1/diagnostics", get(diagnostics))
        .route("/api/v1/config", get(config))
        .route("/api/v1/alerts", get(alerts))
        .route("/api/v1/openapi.json", get(openapi::document))
        .with_state(state)
}

/// Routes that change something: admin only.
pub fn write_router(state: AppState) -> Router {
    Router::new()
        .route("/api/v1/poll", post(poll_now))
        .route("/api/v1/alerts/test", post(test_alert))
        .route("/api/v1/alerts", axum::routing::put(replace_alerts))
        .route("/api/v1/devices", post(add_device))
        .route(
            "/api/v1/devices/{name}",
            axum::routing::put(replace_device).delete(remove_device),
        )
        .route_layer(axum::middleware::from_fn(audit::record))
        .with_state(state)
}

/// The `device` query parameter, if given: a valid name or a 400 naming it.
fn device_param(device: Option<&str>) -> Result<Option<UpsName>, ApiError> {
    device
        .map(|d| {
            d.parse::<UpsName>()
                .map_err(|e| ApiError::BadRequest(format!("device: {e}").into()))
        })
        .transpose()
}

fn parse_name(name: &str) -> Result<UpsName, ApiError> {
    name.parse::<UpsName>().map_err(|_| ApiError::NotFound)
}

async fn devices(State(state): State<AppState>) -> Json<Value> {
    let snapshot = state.snapshot();
    let list: Vec<DeviceSummary> = snapshot.devices.iter().map(DeviceSummary::of).collect();
    Json(json!({ "devices": list }))
}

async fn device(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<DeviceDetail>, ApiError> {
    let name = parse_name(&name)?;
    let snapshot = state.snapshot();
    let device = snapshot
        .devices
        .iter()
        .find(|d| d.name == name)
        .ok_or(ApiError::NotFound)?;
    let counters = state.tracker().counters();
    Ok(Json(DeviceDetail::of(device, counters.get(&name))))
}

async fn history(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let name = parse_name(&name)?;
    if !state.snapshot().devices.iter().any(|d| d.name == name) {
        return Err(ApiError::NotFound);
    }
    let points: Vec<PointDto> = state
        .tracker()
        .points(&name)
        .iter()
        .map(PointDto::from)
        .collect();
    Ok(Json(json!({ "device": name.as_str(), "points": points })))
}

/// `GET /api/v1/events` filters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventQuery {
    device: Option<String>,
    kind: Option<String>,
    severity: Option<String>,
    limit: Option<usize>,
}

async fn events(
    State(state): State<AppState>,
    query: Result<Query<EventQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::BadRequest(e.body_text().into()))?;
    let device = device_param(q.device.as_deref())?;
    let kind = q
        .kind
        .as_deref()
        .map(|k| {
            k.parse::<EventKind>()
                .map_err(|e| ApiError::BadRequest(format!("kind: {e}").into()))
        })
        .transpose()?;
    let severity = match q.severity.as_deref() {
        None => None,
        Some(s @ ("info" | "warning" | "critical")) => Some(s.to_owned()),
        Some(other) => {
            return Err(ApiError::BadRequest(
                format!("severity: {other:?} is not one of info, warning, critical").into(),
            ));
        }
    };
    let limit = q.limit.unwrap_or(100);
    if limit == 0 || limit > MAX_EVENTS {
        return Err(ApiError::BadRequest(
            format!("limit: {limit} is out of range (1-{MAX_EVENTS})").into(),
        ));
    }
    let all = state.tracker().events(device.as_ref(), usize::MAX);
    let mut matching: Vec<EventDto> = all
        .iter()
        .filter(|e| kind.is_none_or(|k| e.kind == k))
        .filter(|e| {
            severity
                .as_deref()
                .is_none_or(|s| e.severity().as_str() == s)
        })
        .map(EventDto::from)
        .collect();
    let skip = matching.len().saturating_sub(limit);
    matching.drain(..skip);
    Ok(Json(json!({ "events": matching })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeviceQuery {
    device: Option<String>,
}

async fn outages(
    State(state): State<AppState>,
    query: Result<Query<DeviceQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::BadRequest(e.body_text().into()))?;
    let device = device_param(q.device.as_deref())?;
    let list: Vec<OutageDto> = state
        .tracker()
        .outages(device.as_ref())
        .iter()
        .map(OutageDto::from)
        .collect();
    Ok(Json(json!({ "outages": list })))
}

async fn energy(State(state): State<AppState>) -> Json<Value> {
    let price = state.price_per_kwh();
    let devices: Vec<Value> = state
        .tracker()
        .energy()
        .iter()
        .map(|(name, meter)| {
            let days: Vec<Value> = meter
                .daily_joules()
                .rev()
                .take(31)
                .map(|(day, joules)| {
                    json!({
                        "day": day.to_string(),
                        "joules": joules,
                        "kwh": joules / upsight_model::JOULES_PER_KWH,
                        "cost": price.map(|p| cost(joules, p)),
                    })
                })
                .collect();
            json!({
                "device": name.as_str(),
                "total_joules": meter.total_joules(),
                "total_kwh": meter.total_kwh(),
                "cost": price.map(|p| meter.cost(p)),
                "days": days,
            })
        })
        .collect();
    Json(json!({ "price_per_kwh": price, "devices": devices }))
}

async fn diagnostics(State(state): State<AppState>) -> Json<Value> {
    let snapshot = state.snapshot();
    let devices: Vec<Value> = snapshot
        .devices
        .iter()
        .map(|d| {
            let failures: BTreeMap<&str, u64> = upsight_model::FailureReason::ALL
                .iter()
                .map(|r| (r.as_str(), d.failures[r.index()]))
                .collect();
            let (outcome, detail) = match &d.outcome {
                upsight_model::Outcome::Pending => ("pending", None),
                upsight_model::Outcome::Ok => ("ok", None),
                upsight_model::Outcome::Failed { reason, detail } => {
                    (reason.as_str(), Some(detail.clone()))
                }
            };
            json!({
                "device": d.name.as_str(),
                "source": d.source.as_str(),
                "outcome": outcome,
                "detail": detail,
                "polls": d.polls,
                "last_poll_seconds": d.last_duration.as_secs_f64(),
                "last_success": d.last_success.map(rfc3339),
                "failures": failures,
            })
        })
        .collect();
    let sources: Vec<Value> = snapshot
        .sources
        .iter()
        .map(|s| json!({ "source": s.name, "is_up": s.is_up }))
        .collect();
    Json(json!({ "is_ready": snapshot.is_ready, "sources": sources, "devices": devices }))
}

async fn config(State(state): State<AppState>) -> Json<Value> {
    Json(state.config_with_runtime())
}

/// A JSON body, read through the body cap; a syntax or shape error is a 400 naming it.
fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("invalid JSON body: {e}").into()))
}

fn change_error(e: crate::supervisor::ChangeError) -> ApiError {
    use crate::supervisor::ChangeError as C;
    match e {
        C::Invalid(errors) => {
            let text: Vec<String> = errors.0.iter().map(ToString::to_string).collect();
            ApiError::Unprocessable(text.join("; ").into())
        }
        C::Exists(_) | C::InFile(_) => ApiError::Conflict(e.to_string().into()),
        C::NotFound(_) => ApiError::NotFound,
    }
}

/// `POST /api/v1/devices`: `{"name": ..., "snmp": {...}}` or `{"name": ..., "nut": {...}}`.
async fn add_device(
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let device: crate::config::RuntimeDevice = parse_body(&body)?;
    crate::tracker::seal::check_api_device(&device, state.has_state_key())
        .map_err(|m| ApiError::Unprocessable(m.into()))?;
    let name = device.name.clone();
    state.supervisor().add(device).map_err(change_error)?;
    Ok((StatusCode::CREATED, Json(json!({ "name": name }))).into_response())
}

async fn replace_device(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let mut device: crate::config::RuntimeDevice = parse_body(&body)?;
    crate::tracker::seal::check_api_device(&device, state.has_state_key())
        .map_err(|m| ApiError::Unprocessable(m.into()))?;
    if !device.name.is_empty() && device.name != name {
        return Err(ApiError::Unprocessable(
            format!("name: {:?} differs from the path {name:?}", device.name).into(),
        ));
    }
    device.name.clone_from(&name);
    state
        .supervisor()
        .replace(&name, device)
        .map_err(change_error)?;
    Ok(Json(json!({ "name": name })))
}

async fn remove_device(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.supervisor().remove(&name).map_err(change_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// The body is read (so the body cap applies to it, chunked too) and must be empty or a JSON
/// object: nothing in it is used yet.
async fn poll_now(
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    if !body.iter().all(u8::is_ascii_whitespace) && !object::is_object(&body) {
        return Err(ApiError::BadRequest(
            "the body must be empty or a JSON object".into(),
        ));
    }
    state.trigger_poll();
    Ok((StatusCode::ACCEPTED, Json(json!({ "status": "polling" }))).into_response())
}

/// `GET /api/v1/alerts`: the targets (URL path and query and any token withheld) and their
/// delivery counters.
async fn alerts(State(state): State<AppState>) -> Json<Value> {
    let Some(alerter) = state.alerter() else {
        return Json(json!({ "targets": [] }));
    };
    let deliveries = alerter.deliveries();
    let targets: Vec<Value> = alerter
        .targets()
        .iter()
        .map(|t| {
            let counts: BTreeMap<&str, u64> = deliveries
                .iter()
                .filter(|(name, _, _)| *name == t.name)
                .map(|(_, outcome, n)| (outcome.as_str(), *n))
                .collect();
            json!({
                "name": t.name,
                "kind": t.kind.as_str(),
                "url": t.redacted_url(),
                "has_token": t.token.is_some(),
                "min_severity": t.min_severity.as_str(),
                "events": t.events.iter().map(|e| e.as_str()).collect::<Vec<_>>(),
                "cooldown_seconds": t.cooldown.as_secs_f64(),
                "recovery": t.has_recovery,
                "deliveries": counts,
            })
        })
        .collect();
    Json(json!({ "targets": targets }))
}

/// `POST /api/v1/alerts/test` with an optional `{"target": "name"}`: a test notice, with its
/// own cooldown (429 with `Retry-After` when too soon).
async fn test_alert(
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct TestBody {
        target: Option<String>,
    }
    let request: TestBody = if body.iter().all(u8::is_ascii_whitespace) {
        TestBody { target: None }
    } else {
        parse_body(&body)?
    };
    let alerter = state
        .alerter()
        .ok_or(ApiError::Conflict("no alert targets are configured".into()))?;
    use crate::alert::TestError as T;
    match alerter.test(request.target.as_deref(), std::time::Instant::now()) {
        Ok(()) => Ok((StatusCode::ACCEPTED, Json(json!({ "status": "sending" }))).into_response()),
        Err(T::UnknownTarget(_)) => Err(ApiError::NotFound),
        Err(T::NoTargets) => Err(ApiError::Conflict("no alert targets are configured".into())),
        Err(e @ T::TooSoon { .. }) => Err(ApiError::TooManyRequests {
            retry_after: std::time::Duration::from_secs(e.retry_after_secs().unwrap_or(1)),
        }),
        Err(T::QueueFull) => Err(ApiError::Unavailable("alert queue is full".into())),
    }
}

/// `PUT /api/v1/alerts` with the `[alerts]` table as JSON (`targets`, `allow_private`,
/// `test_cooldown`): validated like the file, every target checked by the SSRF guard, then it
/// replaces the alert configuration (the file's included) and is kept in the state file.
async fn replace_alerts(
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let raw: crate::alert::RawAlerts = parse_body(&body)?;
    // Before validation, which would read the files.
    crate::tracker::seal::check_api_alerts(&raw, state.has_state_key())
        .map_err(|m| ApiError::Unprocessable(m.into()))?;
    let mut errors = Vec::new();
    let config = raw
        .clone()
        .validate(&mut |path, message| errors.push(format!("{path}: {message}")));
    let Some(config) = config else {
        return Err(ApiError::Unprocessable(errors.join("; ").into()));
    };
    if let Err(refused) = config.check_targets().await {
        return Err(ApiError::Unprocessable(
            refused.to_string().replace('\n', "; ").into(),
        ));
    }
    let switch = state
        .alert_switch()
        .ok_or_else(|| ApiError::Unavailable("alerts are not running".into()))?;
    let names: Vec<String> = config.targets.iter().map(|t| t.name.clone()).collect();
    state.tracker().set_alerts_override(raw);
    switch.replace(config);
    tracing::info!(
        targets = names.len(),
        "Alert configuration replaced through the API."
    );
    Ok(Json(json!({ "targets": names })))
}
