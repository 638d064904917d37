//! A fake fleet plane for the client tests: axum on 127.0.0.1, answers scripted per request
//! (a request with nothing scripted gets what the real plane would answer), and a record of
//! every request: when, which identity and lease, which devices, and how many were in flight.

use std::collections::{HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use upsight_model::{HeartbeatV1, RegisterRequestV1};

/// What the plane answers to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Answer {
    /// What the real plane does: register → 200 with a new lease; heartbeat → 204 for a known
    /// identity, 404 for an unknown one.
    Normal,
    /// This status, no body.
    Status(u16),
    /// 429 with `Retry-After: n`.
    RateLimited(u64),
    /// Waits this long, then answers normally.
    Hang(Duration),
    /// A valid registration answer padded past 64 KiB (unknown fields are allowed).
    Oversized,
}

/// One request as the plane saw it.
#[derive(Debug, Clone)]
pub(super) struct Seen {
    pub(super) at: Instant,
    pub(super) identity: String,
    pub(super) lease: Option<String>,
    pub(super) devices: Vec<String>,
}

/// Everything seen so far.
#[derive(Debug, Default, Clone)]
pub(super) struct Record {
    pub(super) registers: Vec<Seen>,
    pub(super) heartbeats: Vec<Seen>,
    pub(super) max_in_flight: usize,
}

#[derive(Debug, Default)]
struct Shared {
    register: Mutex<VecDeque<Answer>>,
    heartbeat: Mutex<VecDeque<Answer>>,
    heartbeat_default: Mutex<Option<Answer>>,
    record: Mutex<Record>,
    known: Mutex<HashSet<String>>,
    in_flight: Mutex<usize>,
    leases: Mutex<u32>,
}

/// A running fake plane.
#[derive(Debug)]
pub(super) struct FakePlane {
    pub(super) addr: SocketAddr,
    shared: Arc<Shared>,
    cancel: CancellationToken,
}

impl Drop for FakePlane {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

impl FakePlane {
    /// A plane on a fresh port.
    pub(super) async fn start() -> Self {
        Self::start_on("127.0.0.1:0".parse().unwrap()).await
    }

    /// A plane on `addr` (a port used before, to come back where a client expects it).
    pub(super) async fn start_on(addr: SocketAddr) -> Self {
        let listener = TcpListener::bind(addr).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared::default());
        let app = Router::new()
            .route("/api/v1/register", post(register))
            .route("/api/v1/heartbeat", post(heartbeat))
            .with_state(Arc::clone(&shared));
        let cancel = CancellationToken::new();
        let stop = cancel.clone();
        tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(stop.cancelled_owned());
            let _ = serve.await;
        });
        Self {
            addr,
            shared,
            cancel,
        }
    }

    /// The base URL a client is configured with.
    pub(super) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Answers for the next registrations, in order.
    pub(super) fn script_register(&self, answers: &[Answer]) {
        self.shared.register.lock().unwrap().extend(answers);
    }

    /// Answers for the next heartbeats, in order.
    pub(super) fn script_heartbeat(&self, answers: &[Answer]) {
        self.shared.heartbeat.lock().unwrap().extend(answers);
    }

    /// The answer to every heartbeat with nothing scripted.
    pub(super) fn set_heartbeat_default(&self, answer: Answer) {
        *self.shared.heartbeat_default.lock().unwrap() = Some(answer);
    }

    /// A copy of the record.
    pub(super) fn record(&self) -> Record {
        self.shared.record.lock().unwrap().clone()
    }

    /// Waits (at most `limit`) until `check` holds for the record, and returns it.
    pub(super) async fn wait_until(
        &self,
        limit: Duration,
        what: &str,
        check: impl Fn(&Record) -> bool,
    ) -> Record {
        let wait = async {
            loop {
                let record = self.record();
                if check(&record) {
                    return record;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        match tokio::time::timeout(limit, wait).await {
            Ok(record) => record,
            Err(_) => panic!("no {what} within {limit:?}: {:#?}", self.record()),
        }
    }

    /// Stops listening (connections are refused from now on).
    pub(super) fn stop(self) {
        drop(self);
    }
}

/// Counts a request in flight for as long as it lives (also when the client gives up and the
/// server drops the handler).
struct InFlight(Arc<Shared>);

impl InFlight {
    fn enter(shared: &Arc<Shared>) -> Self {
        let mut n = shared.in_flight.lock().unwrap();
        *n += 1;
        let mut record = shared.record.lock().unwrap();
        record.max_in_flight = record.max_in_flight.max(*n);
        Self(Arc::clone(shared))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        *self.0.in_flight.lock().unwrap() -= 1;
    }
}

async fn register(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let _guard = InFlight::enter(&shared);
    let request: RegisterRequestV1 = serde_json::from_slice(&body).unwrap();
    request.validate().unwrap();
    shared.record.lock().unwrap().registers.push(Seen {
        at: Instant::now(),
        identity: request.identity.to_string(),
        lease: request.lease.clone(),
        devices: Vec::new(),
    });
    let answer = shared.register.lock().unwrap().pop_front();
    let padding = match answer.unwrap_or(Answer::Normal) {
        Answer::Normal => 0,
        Answer::Oversized => 70 * 1024,
        Answer::Hang(wait) => {
            tokio::time::sleep(wait).await;
            0
        }
        other => return refusal(other),
    };
    let lease = {
        let mut n = shared.leases.lock().unwrap();
        *n += 1;
        format!("lease-{n}")
    };
    shared
        .known
        .lock()
        .unwrap()
        .insert(request.identity.to_string());
    let body = serde_json::json!({
        "member_number": 7,
        "lease": lease,
        "heartbeat_interval_seconds": 1,
        "ttl_seconds": 3,
        "padding": "x".repeat(padding),
    });
    (StatusCode::OK, axum::Json(body)).into_response()
}

async fn heartbeat(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let _guard = InFlight::enter(&shared);
    let hb: HeartbeatV1 = serde_json::from_slice(&body).unwrap();
    hb.validate().unwrap();
    shared.record.lock().unwrap().heartbeats.push(Seen {
        at: Instant::now(),
        identity: hb.identity.to_string(),
        lease: Some(hb.lease.clone()),
        devices: hb.devices.iter().map(|d| d.name.to_string()).collect(),
    });
    let scripted = shared.heartbeat.lock().unwrap().pop_front();
    let answer = scripted
        .or(*shared.heartbeat_default.lock().unwrap())
        .unwrap_or(Answer::Normal);
    match answer {
        Answer::Hang(wait) => tokio::time::sleep(wait).await,
        Answer::Normal | Answer::Oversized => {}
        other => return refusal(other),
    }
    if shared.known.lock().unwrap().contains(hb.identity.as_str()) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        StatusCode::NOT_FOUND.into_response()
    }
}

fn refusal(answer: Answer) -> Response {
    match answer {
        Answer::RateLimited(seconds) => (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", seconds.to_string())],
        )
            .into_response(),
        Answer::Status(code) => StatusCode::from_u16(code).unwrap().into_response(),
        _ => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}
