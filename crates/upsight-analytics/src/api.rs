//! The analytical routes both roles mount under `/api/v1/analytics/`, behind their viewer
//! gate. They **fail closed**: without a viewer token configured they answer 403, on loopback
//! too, because the rows they return carry serial numbers, locations and contacts.
//!
//! The exporter's routes are scoped to its own site; the plane's name the site in the path
//! and can list every site.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use upsight_http::ApiError;
use upsight_model::{GroupName, UpsName};

use crate::reads::{Bucket, MAX_ROWS, Period, Reader};

/// The 403 reason when no viewer token is configured.
pub const CLOSED_REASON: &str =
    "analytical routes need a viewer token, even on loopback: set the viewer token";
/// Rows a read returns when `limit` is not given.
pub const DEFAULT_LIMIT: u32 = 1000;
/// The period when `from` is not given: the last 24 hours.
pub const DEFAULT_PERIOD_SECONDS: u32 = 86_400;
/// Longest serial number accepted in a search.
pub const MAX_SERIAL_LEN: usize = 256;

/// What the routes need: the reader (absent when `[analytics]` is not configured), the site
/// (the exporter's own) and whether a viewer token is configured.
#[derive(Debug, Clone)]
pub struct AnalyticsApi {
    reader: Option<Reader>,
    site: Option<Arc<str>>,
    has_viewer_token: bool,
}

impl AnalyticsApi {
    /// Routes over `reader` for the exporter of `site`, or for the plane when `site` is
    /// `None`.
    pub fn new(reader: Option<Reader>, site: Option<&str>, has_viewer_token: bool) -> Self {
        Self {
            reader,
            site: site.map(Arc::from),
            has_viewer_token,
        }
    }

    fn reader(&self) -> Result<&Reader, ApiError> {
        if !self.has_viewer_token {
            return Err(ApiError::Forbidden(CLOSED_REASON.into()));
        }
        self.reader.as_ref().ok_or(ApiError::NotFound)
    }
}

/// Find a device by serial (`?serial=`).
pub const DEVICES_PATH: &str = "/api/v1/analytics/devices";
/// Outages per site over a period.
pub const OUTAGES_PATH: &str = "/api/v1/analytics/outages";
/// The exporter's device history.
pub const HISTORY_PATH: &str = "/api/v1/analytics/devices/{device}/history";
/// The exporter's battery health.
pub const BATTERY_PATH: &str = "/api/v1/analytics/devices/{device}/battery";
/// The plane's device history.
pub const SITE_HISTORY_PATH: &str = "/api/v1/analytics/sites/{site}/devices/{device}/history";
/// The plane's battery health.
pub const SITE_BATTERY_PATH: &str = "/api/v1/analytics/sites/{site}/devices/{device}/battery";
/// Every path the exporter serves.
pub const EXPORTER_PATHS: [&str; 4] = [DEVICES_PATH, HISTORY_PATH, BATTERY_PATH, OUTAGES_PATH];
/// Every path the plane serves.
pub const FLEET_PATHS: [&str; 4] = [
    DEVICES_PATH,
    SITE_HISTORY_PATH,
    SITE_BATTERY_PATH,
    OUTAGES_PATH,
];

/// The exporter's routes: its own site.
pub fn exporter_router(api: AnalyticsApi) -> Router {
    Router::new()
        .route(DEVICES_PATH, get(find_serial))
        .route(HISTORY_PATH, get(own_history))
        .route(BATTERY_PATH, get(own_battery))
        .route(OUTAGES_PATH, get(outages))
        .with_state(api)
}

/// The plane's routes: every site.
pub fn fleet_router(api: AnalyticsApi) -> Router {
    Router::new()
        .route(DEVICES_PATH, get(find_serial))
        .route(SITE_HISTORY_PATH, get(site_history))
        .route(SITE_BATTERY_PATH, get(site_battery))
        .route(OUTAGES_PATH, get(outages))
        .with_state(api)
}

/// `from`, `to` (Unix seconds) and `limit`, shared by every read.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RangeQuery {
    from: Option<u32>,
    to: Option<u32>,
    limit: Option<u32>,
    variable: Option<String>,
    bucket: Option<Bucket>,
    site: Option<String>,
    serial: Option<String>,
}

impl RangeQuery {
    fn period(&self) -> Result<Period, ApiError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX))
            .unwrap_or(0);
        let to = self.to.unwrap_or(now.saturating_add(1));
        let from = self
            .from
            .unwrap_or(to.saturating_sub(DEFAULT_PERIOD_SECONDS));
        if from >= to {
            return Err(ApiError::BadRequest("from must be before to".into()));
        }
        Ok(Period { from, to })
    }

    fn limit(&self) -> Result<u32, ApiError> {
        match self.limit.unwrap_or(DEFAULT_LIMIT) {
            0 => Err(ApiError::BadRequest("limit must be at least 1".into())),
            n if n > MAX_ROWS => Err(ApiError::BadRequest(
                format!("limit must be at most {MAX_ROWS}").into(),
            )),
            n => Ok(n),
        }
    }
}

fn device_name(text: &str) -> Result<UpsName, ApiError> {
    text.parse::<UpsName>()
        .map_err(|e| ApiError::BadRequest(format!("device: {e}").into()))
}

fn site_name(text: &str) -> Result<GroupName, ApiError> {
    text.parse::<GroupName>()
        .map_err(|e| ApiError::BadRequest(format!("site: {e}").into()))
}

/// The query string, checked after the fail-closed gate (so a caller without access learns
/// nothing from parameter errors).
fn params(query: Result<Query<RangeQuery>, QueryRejection>) -> Result<RangeQuery, ApiError> {
    query
        .map(|Query(q)| q)
        .map_err(|e| ApiError::BadRequest(e.body_text().into()))
}

/// The site a read covers: the exporter's own (a `site` parameter is refused), or on the
/// plane the one asked for, else every site.
fn scope(api: &AnalyticsApi, asked: Option<&str>) -> Result<Option<String>, ApiError> {
    match (&api.site, asked) {
        (Some(own), None) => Ok(Some(own.to_string())),
        (Some(_), Some(_)) => Err(ApiError::BadRequest(
            "site: an exporter reads only its own site".into(),
        )),
        (None, Some(site)) => Ok(Some(site_name(site)?.as_str().to_owned())),
        (None, None) => Ok(None),
    }
}

#[allow(clippy::needless_pass_by_value)] // used as `map_err(unavailable)`
fn unavailable(error: crate::AnalyticsError) -> ApiError {
    ApiError::Unavailable(error.summary())
}

/// The exporter's own site (the plane has none: its queries name one).
fn own_site(api: &AnalyticsApi) -> Result<String, ApiError> {
    api.site
        .as_deref()
        .map(str::to_owned)
        .ok_or(ApiError::NotFound)
}

/// What a read of one device's rows needs, checked in order: access (403/404) first, then
/// the parameters (400).
struct DeviceRead<'a> {
    reader: &'a Reader,
    site: GroupName,
    device: UpsName,
    query: RangeQuery,
    period: Period,
}

impl<'a> DeviceRead<'a> {
    fn of(
        api: &'a AnalyticsApi,
        site: &str,
        device: &str,
        query: Result<Query<RangeQuery>, QueryRejection>,
    ) -> Result<Self, ApiError> {
        let reader = api.reader()?;
        let query = params(query)?;
        let period = query.period()?;
        Ok(Self {
            reader,
            site: site_name(site)?,
            device: device_name(device)?,
            query,
            period,
        })
    }
}

async fn own_history(
    State(api): State<AnalyticsApi>,
    Path(device): Path<String>,
    query: Result<Query<RangeQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let site = own_site(&api)?;
    history(&api, &site, &device, query).await
}

async fn site_history(
    State(api): State<AnalyticsApi>,
    Path((site, device)): Path<(String, String)>,
    query: Result<Query<RangeQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    history(&api, &site, &device, query).await
}

async fn history(
    api: &AnalyticsApi,
    site: &str,
    device: &str,
    query: Result<Query<RangeQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let DeviceRead {
        reader,
        site,
        device,
        query,
        period,
    } = DeviceRead::of(api, site, device, query)?;
    let rows = reader
        .history(
            site.as_str(),
            device.as_str(),
            query.variable.as_deref(),
            period,
            query.limit()?,
        )
        .await
        .map_err(unavailable)?;
    Ok(Json(json!({
        "site": site.as_str(), "device": device.as_str(),
        "from": period.from, "to": period.to, "rows": rows,
    })))
}

async fn own_battery(
    State(api): State<AnalyticsApi>,
    Path(device): Path<String>,
    query: Result<Query<RangeQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let site = own_site(&api)?;
    battery(&api, &site, &device, query).await
}

async fn site_battery(
    State(api): State<AnalyticsApi>,
    Path((site, device)): Path<(String, String)>,
    query: Result<Query<RangeQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    battery(&api, &site, &device, query).await
}

async fn battery(
    api: &AnalyticsApi,
    site: &str,
    device: &str,
    query: Result<Query<RangeQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let DeviceRead {
        reader,
        site,
        device,
        query,
        period,
    } = DeviceRead::of(api, site, device, query)?;
    let bucket = query.bucket.unwrap_or(Bucket::Day);
    let points = reader
        .battery(site.as_str(), device.as_str(), period, bucket)
        .await
        .map_err(unavailable)?;
    Ok(Json(json!({
        "site": site.as_str(), "device": device.as_str(),
        "from": period.from, "to": period.to, "points": points,
    })))
}

async fn outages(
    State(api): State<AnalyticsApi>,
    query: Result<Query<RangeQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let reader = api.reader()?;
    let query = params(query)?;
    let site = scope(&api, query.site.as_deref())?;
    let period = query.period()?;
    let report = reader
        .outages(site.as_deref(), period, query.limit()?)
        .await
        .map_err(unavailable)?;
    Ok(Json(json!({
        "from": period.from, "to": period.to,
        "sites": report.sites, "outages": report.outages,
    })))
}

async fn find_serial(
    State(api): State<AnalyticsApi>,
    query: Result<Query<RangeQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let reader = api.reader()?;
    let query = params(query)?;
    let Some(serial) = query.serial.as_deref() else {
        return Err(ApiError::BadRequest("serial is required".into()));
    };
    if serial.is_empty() || serial.len() > MAX_SERIAL_LEN {
        return Err(ApiError::BadRequest(
            format!("serial must be 1 to {MAX_SERIAL_LEN} bytes").into(),
        ));
    }
    let site = scope(&api, query.site.as_deref())?;
    let devices = reader
        .find_serial(serial, site.as_deref())
        .await
        .map_err(unavailable)?;
    Ok(Json(json!({ "serial": serial, "devices": devices })))
}
