//! The plane's HTTP server: ingest (`/api/v1/register`, `/api/v1/heartbeat`), the read API
//! (`/api/v1/fleet`, `/api/v1/targets`), `/healthz`, `/readyz`, and the coalesced state saver.
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
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use upsight_http::{ApiError, ClientIp, Credentials, Exposure, Hardening, HttpConfig, TokenSet};
use upsight_model::{HeartbeatV1, RegisterRequestV1};
use upsight_store::{Store, StoreError};

use crate::{
    FleetConfig, FleetState, HeartbeatError, LeaseKey, RegisterError, Registry, SetupError,
};

/// At most one state save per window, off the request path.
pub const FLUSH_WINDOW: Duration = Duration::from_secs(1);

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
    /// The first save (of a new lease key) failed.
    #[error("saving the new lease key failed: {0}")]
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

/// Shared by every handler.
#[derive(Debug)]
struct Plane {
    registry: Mutex<Registry>,
    key: LeaseKey,
    ingest: Option<TokenSet>,
    changed: Notify,
    is_ready: AtomicBool,
}

impl Plane {
    fn registry(&self) -> MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn snapshot(&self) -> FleetState {
        FleetState::of(&self.registry(), &self.key)
    }

    /// 401 unless the request carries an ingest token (open when none is configured).
    fn check_ingest(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        let Some(tokens) = &self.ingest else {
            return Ok(());
        };
        let presented = headers
            .get(AUTHORIZATION)
            .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "));
        match presented {
            Some(token) if tokens.matches(token) => Ok(()),
            _ => Err(ApiError::Unauthorized),
        }
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
    let (registry, key) = state.into_registry(config.registry.clone())?;
    let plane = Arc::new(Plane {
        registry: Mutex::new(registry),
        key,
        ingest: config.ingest.clone(),
        changed: Notify::new(),
        is_ready: AtomicBool::new(false),
    });
    let store = store.map(Arc::new);
    if let Some(store) = &store
        && !had_key
    {
        // The key must be on disk before any lease made with it is handed out.
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
    let app = router(&config, Arc::clone(&plane));
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    cancel.cancel();
    if let Some(saver) = saver {
        let _ = saver.await;
    }
    served.map_err(RunError::Serve)
}

/// Saves whenever the registry changed, at most once per [`FLUSH_WINDOW`], then once more on
/// `cancel`.
async fn save_loop(plane: Arc<Plane>, store: Arc<Store<FleetState>>, cancel: CancellationToken) {
    loop {
        tokio::select! {
            () = cancel.cancelled() => break,
            () = plane.changed.notified() => {}
        }
        tokio::select! {
            () = cancel.cancelled() => break,
            () = tokio::time::sleep(FLUSH_WINDOW) => {}
        }
        save(&plane, &store).await;
    }
    save(&plane, &store).await;
}

async fn save(plane: &Plane, store: &Arc<Store<FleetState>>) {
    let state = plane.snapshot();
    let store = Arc::clone(store);
    match tokio::task::spawn_blocking(move || store.save(&state)).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => {
            tracing::error!(%error, "Saving the fleet state failed; the previous file is kept.");
        }
        Err(error) => tracing::error!(%error, "The state-saving task failed."),
    }
}

fn router(config: &FleetConfig, plane: Arc<Plane>) -> Router {
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
    let open = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/api/v1/register", post(register))
        .route("/api/v1/heartbeat", post(heartbeat))
        .with_state(Arc::clone(&plane));
    let read = Router::new()
        .route("/api/v1/fleet", get(fleet))
        .route("/api/v1/targets", get(targets))
        .with_state(plane);
    Hardening::new(HttpConfig::new(credentials, exposure))
        .open(open)
        .viewer(read)
        .build()
}

async fn readyz(State(plane): State<Arc<Plane>>) -> Response {
    if plane.is_ready.load(Ordering::Acquire) {
        "ready".into_response()
    } else {
        ApiError::Unavailable("state not loaded".into()).into_response()
    }
}

fn peer_of(client: Option<Extension<ClientIp>>) -> Result<IpAddr, ApiError> {
    client
        .map(|Extension(ClientIp(ip))| ip)
        .ok_or_else(|| ApiError::Internal("no client address".into()))
}

async fn register(
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

async fn heartbeat(
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

async fn fleet(State(plane): State<Arc<Plane>>) -> Response {
    let view = plane.registry().fleet(SystemTime::now());
    Json(view).into_response()
}

/// Prometheus http_sd: one entry per member that gave a scrape target.
async fn targets(State(plane): State<Arc<Plane>>) -> Response {
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
