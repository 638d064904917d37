//! The plane's HTTP server: the router (ingest routes from `ingest`, read routes and
//! `/metrics` from `api`, pages from `ui`, `/healthz`), the startup that loads the state, and
//! the coalesced state saver.
//!
//! # Access
//!
//! `upsight-http` knows viewer and admin roles, and admin implies viewer. Mapping ingest to
//! admin would let every member read the fleet, so it is not used: the read routes sit in the
//! viewer group with the viewer tokens as [`Credentials::viewer`] (no admin tokens at all),
//! and the ingest routes sit in the open group, still behind the per-IP rate limit, body cap
//! and security headers, with each handler checking `Authorization: Bearer` against the ingest
//! [`TokenSet`] itself. An ingest token therefore gets 401 on read routes and a viewer token
//! 401 on ingest routes (unless one secret is configured as both, e.g. the shared token).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use upsight_http::{
    Credentials, Exposure, Hardening, HostPolicy, HttpConfig, SecurityCounters, TrustedProxies,
};
use upsight_store::{Store, StoreError};

use crate::plane::Plane;
use crate::{FleetConfig, FleetState, SetupError, api, ingest};

/// A registration or removal is saved within this window (saves are coalesced and off the
/// request path).
pub const FLUSH_WINDOW: Duration = Duration::from_secs(1);

/// How often heartbeats alone (new last-seen times) are saved. A heartbeat is not worth a
/// rewrite of the whole file: after a restart, members heartbeat again within one interval.
pub const SEEN_SAVE_PERIOD: Duration = Duration::from_secs(60);

/// The state file's name in `state_dir` (`fleet.json`, locked through `fleet.lock`).
pub const STATE_NAME: &str = "fleet";

/// The loaded state and, with a `state_dir`, the store that holds its lock.
#[derive(Debug)]
pub struct LoadedState {
    /// The store, `None` when the registry is kept in memory only.
    pub store: Option<Store<FleetState>>,
    /// What was loaded (empty on a first start or in memory).
    pub state: FleetState,
}

/// Why the plane stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The state cannot become a registry.
    #[error(transparent)]
    Setup(#[from] SetupError),
    /// The startup save (lease key, counters) failed.
    #[error("saving the state at startup failed: {0}")]
    Store(#[from] StoreError),
    /// Serving failed.
    #[error("serving failed: {0}")]
    Serve(#[from] std::io::Error),
}

/// Opens the state for `config`: `Store::<FleetState>::open(state_dir, "fleet")`, or an empty
/// in-memory state without a `state_dir`.
///
/// # Errors
///
/// The store's refusal (lock held, file refused or unreadable): exit code 73.
pub fn open_state(config: &FleetConfig) -> Result<LoadedState, StoreError> {
    match &config.state_dir {
        Some(dir) => {
            let (store, state) = Store::open(dir, STATE_NAME)?;
            Ok(LoadedState {
                store: Some(store),
                state,
            })
        }
        None => Ok(LoadedState {
            store: None,
            state: FleetState::default(),
        }),
    }
}

/// Serves the plane on `listener` until `shutdown` completes, then saves the state once more.
///
/// # Errors
///
/// [`RunError`]: an unusable state or registry configuration, a failed first save, or a
/// failed server.
pub async fn run(
    config: FleetConfig,
    loaded: LoadedState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RunError> {
    let LoadedState { store, state } = loaded;
    let had_key = state.has_lease_key();
    if had_key && !state.was_stopped_cleanly() {
        tracing::warn!(
            gap = crate::UNCLEAN_NUMBER_GAP,
            "The plane did not stop cleanly last time: registrations from the last second \
             before it stopped may be lost (those members register again), and member numbers \
             continue further on so none is handed out twice."
        );
    }
    let (registry, key) = state.into_registry(config.registry.clone())?;
    let plane = Arc::new(Plane::new(
        registry,
        key,
        config.ingest.clone(),
        config.http.heartbeat_limit,
        config.http.rate_limit,
        store.is_some(),
    ));
    let store = store.map(Arc::new);
    if let Some(store) = &store {
        // Before anything is handed out: the lease key must be on disk before any lease made
        // with it, and the file must stop saying "stopped cleanly" (with the counters moved
        // ahead after an unclean stop), or a kill before the first periodic save would let
        // the next start hand the same numbers out again.
        let state = plane.snapshot();
        let store = Arc::clone(store);
        tokio::task::spawn_blocking(move || store.save(&state))
            .await
            .map_err(std::io::Error::other)??;
    }
    plane.is_ready.store(true, Ordering::Release);
    let cancel = CancellationToken::new();
    let saver =
        store.map(|store| tokio::spawn(save_loop(Arc::clone(&plane), store, cancel.clone())));
    let (app, security) = router(&config, Arc::clone(&plane));
    upsight_http::serve(listener, app, config.http.limits, security, shutdown).await;
    cancel.cancel();
    if let Some(saver) = saver {
        let _ = saver.await;
    }
    Ok(())
}

/// Saves a registration or removal at most [`FLUSH_WINDOW`] after the previous copy (at once
/// after a quiet window, coalescing what comes meanwhile otherwise),
/// and every [`SEEN_SAVE_PERIOD`] when only heartbeats came (they change nothing but
/// last-seen times); once more on `cancel`.
async fn save_loop(plane: Arc<Plane>, store: Arc<Store<FleetState>>, cancel: CancellationToken) {
    // When the last copy was taken: the window runs from it, so a registration made while a
    // save is running is in the next copy no later than one window after it was acknowledged.
    let mut last_copy: Option<tokio::time::Instant> = None;
    loop {
        let is_membership_change = tokio::select! {
            () = cancel.cancelled() => break,
            () = plane.changed.notified() => true,
            () = tokio::time::sleep(SEEN_SAVE_PERIOD) => false,
        };
        if is_membership_change {
            if let Some(due) = last_copy.map(|at| at + FLUSH_WINDOW) {
                tokio::select! {
                    () = cancel.cancelled() => break,
                    () = tokio::time::sleep_until(due) => {}
                }
            }
        } else if !plane.seen.swap(false, Ordering::AcqRel) {
            continue;
        }
        plane.seen.store(false, Ordering::Release);
        last_copy = Some(tokio::time::Instant::now());
        save(&plane, &store, false).await;
    }
    save(&plane, &store, true).await;
}

/// Saves a copy of the registry; `is_final` marks the file as written by a clean stop.
async fn save(plane: &Plane, store: &Arc<Store<FleetState>>, is_final: bool) {
    let mut state = plane.snapshot();
    if is_final {
        state = state.stopped_cleanly();
    }
    let store = Arc::clone(store);
    match tokio::task::spawn_blocking(move || store.save(&state)).await {
        Ok(Ok(())) => plane.metrics.saved(unix_now()),
        Ok(Err(error)) => {
            plane.metrics.save_failed();
            let cause = std::error::Error::source(&error).map(ToString::to_string);
            tracing::error!(%error, cause, "Saving the fleet state failed; the previous file is kept.");
        }
        Err(error) => {
            plane.metrics.save_failed();
            tracing::error!(%error, "The state-saving task failed.");
        }
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The largest request body: a heartbeat with the most devices (256) is about 100 KB.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

fn router(config: &FleetConfig, plane: Arc<Plane>) -> (Router, Arc<SecurityCounters>) {
    let credentials = Credentials {
        viewer: config.viewer.clone(),
        ..Credentials::default()
    };
    // UPSIGHT_FLEET_INSECURE=1 means "serve anyway": the read routes are not closed either.
    let exposure = if config.is_insecure {
        Exposure::Loopback
    } else {
        Exposure::of(config.listen)
    };
    let mut http = HttpConfig::new(credentials, exposure);
    // The Host check follows the real bind, even when the insecure override relaxes `exposure`.
    http.hosts = HostPolicy::new(
        Exposure::of(config.listen),
        config.http.allowed_hosts.clone(),
    );
    http.limits = config.http.limits;
    http.rate_limit = config.http.rate_limit;
    http.trusted_proxies = TrustedProxies::new(config.http.trusted_proxies.clone());
    http.cors = config.http.cors.clone();
    http.sessions.is_cookie_secure = config.http.is_cookie_secure;
    http.limits.max_body_bytes = MAX_BODY_BYTES;
    http.ip_limit_exempt = vec![ingest::HEARTBEAT_PATH];
    let hardening = Hardening::new(http);
    let security = hardening.counters();
    // The ingest extractor counts refused tokens in the same counters as the layers do.
    let _ = plane.security.set(Arc::clone(&security));
    let ingest = Router::new()
        .route(ingest::REGISTER_PATH, post(ingest::register))
        .route(ingest::HEARTBEAT_PATH, post(ingest::heartbeat))
        .with_state(Arc::clone(&plane));
    let open = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(api::readyz))
        .with_state(Arc::clone(&plane))
        .merge(ingest);
    let metrics = Router::new()
        .route("/metrics", get(api::metrics))
        .with_state((Arc::clone(&plane), Arc::clone(&security)));
    let open = open.merge(crate::ui::open_router(Arc::clone(&plane)));
    let pages = crate::ui::viewer_router(Arc::clone(&plane));
    let reader = config.analytics.as_ref().and_then(|settings| {
        upsight_analytics::Reader::new(settings)
            .map_err(|error| tracing::error!(%error, "Analytics reads unavailable."))
            .ok()
    });
    let analytics = upsight_analytics::AnalyticsApi::new(reader, None, config.viewer.is_some());
    let read = Router::new()
        .route("/api/v1/fleet", get(api::fleet))
        .route("/api/v1/groups/{group}", get(api::group))
        .route("/api/v1/members/{group}/{identity}", get(api::member))
        .route("/api/v1/targets", get(api::targets))
        .route("/api/v1/openapi.json", get(crate::openapi::document))
        .with_state(plane)
        .merge(metrics)
        .merge(upsight_analytics::api::fleet_router(analytics));
    let app = hardening.open(open).viewer(read.merge(pages)).build();
    (app, security)
}
