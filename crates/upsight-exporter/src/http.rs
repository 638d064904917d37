//! The exporter's HTTP surface: `/metrics`, `/healthz`, `/readyz`, the JSON API and (later)
//! the dashboard, wrapped in `upsight-http`'s hardening (security headers on every response,
//! rate limit before auth, body and time caps, tokens, sessions, the public-bind policy).
//! Handlers only read the latest snapshot and the tracker; they never wait on hardware.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::Value;
use tokio::sync::Notify;
use upsight_http::{
    CorsPolicy, Credentials, Exposure, Hardening, HostPolicy, HttpConfig, SecurityCounters,
    TrustedProxies,
};
use upsight_model::Snapshot;

use crate::alert::{AlertSwitch, Alerter};
use crate::config::Config;
use crate::exposition::cache::{ChunksBody, DeviceSection};
use crate::exposition::{
    AnalyticsCounters, CONTENT_TYPE, HttpCounters, Subsystems, render_subsystems,
};
use crate::fleet::FleetStatus;
use crate::poller::SnapshotHub;
use crate::supervisor::Supervisor;
use crate::tracker::Tracker;

/// What the handlers share.
#[derive(Debug, Clone)]
pub struct AppState {
    hub: SnapshotHub,
    tracker: Tracker,
    config_view: Arc<Value>,
    price_per_kwh: Option<f64>,
    poll_now: Arc<Notify>,
    supervisor: Supervisor,
    alerter: Option<AlertSwitch>,
    fleet: Option<Arc<FleetStatus>>,
    analytics: Option<(upsight_analytics::Sink, usize)>,
    /// Whether `state_key_file` is configured: inline secrets are accepted through the API.
    has_state_key: bool,
    /// The hardening layers' counters, set once the router is built.
    security: Arc<std::sync::OnceLock<Arc<SecurityCounters>>>,
    /// The device section of `/metrics`, rendered once per poll.
    exposition: Arc<DeviceSection>,
}

impl AppState {
    /// State over `hub` and `tracker`, for `config` (shown masked by `GET /api/v1/config`).
    pub fn new(
        hub: SnapshotHub,
        tracker: Tracker,
        config: &Config,
        poll_now: Arc<Notify>,
        supervisor: Supervisor,
    ) -> Self {
        Self {
            hub,
            tracker,
            config_view: Arc::new(crate::config::view::masked(config)),
            price_per_kwh: config.price_per_kwh,
            poll_now,
            supervisor,
            alerter: None,
            fleet: None,
            analytics: None,
            has_state_key: config.state_key.is_some(),
            security: Arc::default(),
            exposition: Arc::default(),
        }
    }

    /// Whether secrets sent through the API can be sealed in the state file.
    pub fn has_state_key(&self) -> bool {
        self.has_state_key
    }

    /// The ClickHouse sink's counters are exported from `sink` (bounded at `capacity_rows`).
    pub fn with_analytics(mut self, sink: upsight_analytics::Sink, capacity_rows: usize) -> Self {
        self.analytics = Some((sink, capacity_rows));
        self
    }

    /// The heartbeat client's counters are exported from `status`.
    pub fn with_fleet(mut self, status: Arc<FleetStatus>) -> Self {
        self.fleet = Some(status);
        self
    }

    /// Alerts are delivered by `alerter` (its counters are exported, its test is served).
    pub fn with_alerter(mut self, alerter: AlertSwitch) -> Self {
        self.alerter = Some(alerter);
        self
    }

    /// The alerter, if alerts are wired.
    pub fn alerter(&self) -> Option<Alerter> {
        self.alerter.as_ref().map(AlertSwitch::current)
    }

    /// Replaces the alert configuration (`PUT /api/v1/alerts`).
    pub fn alert_switch(&self) -> Option<&AlertSwitch> {
        self.alerter.as_ref()
    }

    /// Adds, changes and removes devices at runtime.
    pub fn supervisor(&self) -> &Supervisor {
        &self.supervisor
    }

    /// The effective configuration (masked) with the devices added through the API.
    pub fn config_with_runtime(&self) -> Value {
        let mut view = (*self.config_view).clone();
        if let Some(map) = view.as_object_mut() {
            map.insert(
                "runtime".into(),
                Value::from(self.supervisor.runtime_view()),
            );
        }
        view
    }

    /// The latest snapshot.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.hub.current()
    }

    /// Events, outages, energy and chart points.
    pub fn tracker(&self) -> &Tracker {
        &self.tracker
    }

    /// The effective configuration with every secret masked.
    pub fn config_view(&self) -> &Value {
        &self.config_view
    }

    /// Price of one kWh, if configured.
    pub fn price_per_kwh(&self) -> Option<f64> {
        self.price_per_kwh
    }

    /// Asks every poller to poll now.
    pub fn trigger_poll(&self) {
        self.poll_now.notify_waiters();
    }
}

/// The hardened router for an exporter listening on `listen`, and its security counters.
pub fn router(
    state: AppState,
    config: &Config,
    listen: SocketAddr,
) -> (Router, Arc<SecurityCounters>) {
    let settings = &config.http;
    let credentials = Credentials {
        viewer: settings.viewer.clone(),
        admin: settings.admin.clone(),
        metrics: settings.metrics.clone(),
    };
    let exposure = Exposure::of(listen);
    let mut http = HttpConfig::new(credentials, exposure);
    http.hosts = HostPolicy::new(exposure, settings.allowed_hosts.clone());
    http.limits = settings.limits;
    http.trusted_proxies = TrustedProxies::new(settings.trusted_proxies.clone());
    http.rate_limit = settings.rate_limit;
    http.sessions.is_cookie_secure = settings.is_cookie_secure;
    if let Ok(cors) = CorsPolicy::try_new(&settings.allowed_origins) {
        http.cors = cors;
    }
    let open = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(state.clone())
        .merge(crate::dashboard::open_router(state.clone()));
    let metrics = Router::new()
        .route("/metrics", get(metrics))
        .with_state(state.clone());
    let reader = config.analytics.as_ref().and_then(|a| {
        upsight_analytics::Reader::new(&a.settings)
            .map_err(|error| tracing::error!(%error, "Analytics reads unavailable."))
            .ok()
    });
    let site = config.analytics.as_ref().map(|a| a.site.as_str());
    let analytics = upsight_analytics::AnalyticsApi::new(reader, site, settings.viewer.is_some());
    let security = Arc::clone(&state.security);
    let hardening = Hardening::new(http)
        .open(open)
        .metrics(metrics)
        .viewer(
            crate::api::read_router(state.clone())
                .merge(crate::dashboard::viewer_router(state.clone()))
                .merge(upsight_analytics::api::exporter_router(analytics)),
        )
        .admin(crate::api::write_router(state));
    if hardening.bind_policy().is_closed() {
        tracing::warn!(
            reason = upsight_http::bind::CLOSED_REASON,
            "Dashboard and API are closed on this address; /metrics and /healthz stay open."
        );
    }
    let counters = hardening.counters();
    let _ = security.set(Arc::clone(&counters));
    (hardening.build(), counters)
}

async fn metrics(State(state): State<AppState>) -> Response {
    let snapshot = state.hub.current();
    let subsystems = Subsystems {
        alerts: state.alerter().map(|a| (a.deliveries(), a.failures())),
        fleet: state.fleet.as_ref().map(|s| s.counters()),
        analytics: state
            .analytics
            .as_ref()
            .map(|(sink, capacity)| AnalyticsCounters::of(sink, *capacity)),
        http: state.security.get().map(|c| HttpCounters::of(c)),
    };
    let devices = state.exposition.get(&snapshot, &state.tracker);
    let mut tail = String::with_capacity(4 * 1024);
    let (Ok(devices), Ok(())) = (devices, render_subsystems(subsystems, &mut tail)) else {
        tracing::error!("Rendering the exposition failed.");
        return (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response();
    };
    let body = ChunksBody::new([devices, Bytes::from(tail)]);
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], Body::new(body)).into_response()
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
