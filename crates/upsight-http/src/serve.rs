//! The HTTP/1.1 server loop both roles run instead of `axum::serve`, which has neither a
//! header-read timeout nor a connection cap. With [`Limits`]:
//!
//! - **Connection cap:** at most `max_connections` connections are served at once. One more is
//!   accepted and closed at once (counted `over_cap`), so the listen backlog keeps draining and
//!   the cost of an excess connection is one `accept`.
//! - **Header-read timeout:** a complete request head must arrive within
//!   `header_read_timeout` from the moment the server waits for one: on a new connection and
//!   between the requests of a kept-alive connection, so a silent or trickling client, and an
//!   idle kept-alive connection, is closed after that time (hyper's timer; no answer is sent).
//! - **Head size:** request line plus headers at most `max_header_bytes`, at most 100 headers:
//!   over that, hyper answers 431 and closes. A connection's read buffer is capped at the same
//!   size (at least hyper's 8 KiB floor), so what a connection costs does not grow with what
//!   it sends; a URL longer than the head cap gets the same 431.
//! - **Write stall:** a response write without progress for `header_read_timeout` (a client
//!   that does not read its answer) closes the connection (`serve/watched.rs`).
//! - **Client address:** every request carries `ConnectInfo<SocketAddr>` of its TCP peer, as
//!   with `into_make_service_with_connect_info`.
//! - **Shutdown:** when `shutdown` completes, the listener is closed, idle connections close at
//!   once and the others after their in-flight request (hyper's graceful shutdown). The loop
//!   waits for them at most `request_timeout`, the longest an admitted request may take to get
//!   its answer, then drops the rest.
//!
//! Only HTTP/1.1 (and 1.0) is served: neither role speaks HTTP/2, and hyper answers a prior
//! knowledge HTTP/2 preface with a parse error.

mod watched;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt as _;

use self::watched::{Progress, Watched};
use crate::counters::DropReason;
use crate::{Limits, SecurityCounters};

/// hyper's smallest accepted read buffer (`max_buf_size` panics below it).
const MIN_BUF_SIZE: usize = 8192;

/// How long the loop pauses after an `accept` error that is not about one connection (out of
/// file descriptors, usually), so it does not spin while the condition lasts.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_secs(1);

/// At most one "cap reached" warning per this period: under a flood at the cap, slots free and
/// fill again all the time.
const CAP_WARNING_PERIOD: Duration = Duration::from_secs(60);

/// Serves `app` on `listener` until `shutdown` completes, then drains; see the module docs.
/// Refused and dropped connections are counted in `counters` (pass the router's own,
/// [`crate::Hardening::counters`], so one set of metrics covers both).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    counters: Arc<SecurityCounters>,
    shutdown: impl Future<Output = ()> + Send,
) {
    let http = builder(&limits);
    let slots = Arc::new(Semaphore::new(
        limits.max_connections.clamp(1, Semaphore::MAX_PERMITS),
    ));
    let stop = CancellationToken::new();
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    let mut warned_at: Option<Instant> = None;
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) if is_per_connection(&error) => continue,
            Err(error) => {
                tracing::warn!(%error, "Accepting a connection failed; pausing 1 s.");
                tokio::select! {
                    () = &mut shutdown => break,
                    () = tokio::time::sleep(ACCEPT_ERROR_PAUSE) => continue,
                }
            }
        };
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            counters.record_dropped(DropReason::OverCap);
            if warned_at.is_none_or(|at| at.elapsed() >= CAP_WARNING_PERIOD) {
                tracing::warn!(
                    max_connections = limits.max_connections,
                    "Connection cap reached; new connections are closed until one ends."
                );
                warned_at = Some(Instant::now());
            }
            drop(stream);
            continue;
        };
        let connection = Connection {
            http: http.clone(),
            app: app.clone(),
            stall: limits.header_read_timeout,
            counters: Arc::clone(&counters),
            stop: stop.clone(),
            _slot: slot,
        };
        connections.spawn(connection.run(stream, peer));
    }
    drop(listener);
    stop.cancel();
    let drain = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(limits.request_timeout, drain)
        .await
        .is_err()
    {
        tracing::warn!(
            open = connections.len(),
            "Connections still open after the drain deadline are closed."
        );
        connections.abort_all();
    }
}

/// The HTTP/1 settings of every connection.
fn builder(limits: &Limits) -> http1::Builder {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_header_size(limits.max_header_bytes)
        .max_buf_size(limits.max_header_bytes.max(MIN_BUF_SIZE))
        .keep_alive(true);
    http
}

/// Errors of `accept` that concern one connection only (it was reset before we took it).
fn is_per_connection(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
    )
}

/// One accepted connection and what it needs.
struct Connection {
    http: http1::Builder,
    app: Router,
    stall: Duration,
    counters: Arc<SecurityCounters>,
    stop: CancellationToken,
    /// Held for the connection's life: its place under the connection cap.
    _slot: OwnedSemaphorePermit,
}

impl Connection {
    async fn run(self, stream: TcpStream, peer: SocketAddr) {
        // A response body of several chunks (the exporter's `/metrics`: the cached device
        // section, then the subsystem section) is written in several writes. With Nagle on,
        // the last small write waits for the ACK of the previous one, which the client delays
        // by up to 40 ms: measured as a 44 ms p50 for a 53 KB scrape. Responses are whole
        // messages, so there is nothing to coalesce; hyper already batches head and body.
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "TCP_NODELAY could not be set.");
        }
        let progress = Arc::new(Progress::default());
        let io = TokioIo::new(Watched::new(stream, self.stall, Arc::clone(&progress)));
        let app = self.app;
        let service = service_fn(move |req: hyper::Request<Incoming>| {
            let mut req = req.map(Body::new);
            req.extensions_mut().insert(ConnectInfo(peer));
            app.clone().oneshot(req)
        });
        let mut conn = std::pin::pin!(self.http.serve_connection(io, service));
        let result = tokio::select! {
            result = conn.as_mut() => result,
            () = self.stop.cancelled() => {
                conn.as_mut().graceful_shutdown();
                conn.await
            }
        };
        let Err(error) = result else {
            return;
        };
        let reason = if progress.is_stalled() {
            Some(DropReason::WriteStall)
        } else if error.is_timeout() && progress.is_awaiting_first_or_partial_head() {
            Some(DropReason::HeaderTimeout)
        } else if error.is_parse_too_large() {
            Some(DropReason::HeadTooLarge)
        } else {
            None
        };
        if let Some(reason) = reason {
            self.counters.record_dropped(reason);
        }
        tracing::trace!(%peer, %error, "Connection ended with an error.");
    }
}
