//! Request size, time and concurrency limits.
//!
//! - **Body cap (413):** a `Content-Length` over the cap is refused before the handler runs, and
//!   the body itself is wrapped in a counting limit, so a chunked body (or one lying about its
//!   length) fails with 413 as soon as the bytes actually read pass the cap. A handler that never
//!   reads the body never reads the excess either.
//! - **Deadline (503):** the time until the response head is ready is bounded. That covers a slow
//!   handler and a slow request body alike (extractors read the body inside the handler), and we
//!   cannot tell them apart without guessing, so both answer **503** with `internal error` and
//!   the detail logged. 503 rather than 408 because browsers silently retry a 408, which would
//!   repeat a request that is stuck on our side. Streaming response bodies are not bounded.
//! - **In-flight cap (503):** beyond `max_in_flight` concurrent requests, new ones are shed at
//!   once instead of queueing.
//!
//! The connection-level limits (`max_connections`, `header_read_timeout`, `max_header_bytes`)
//! live here too, so one value configures a server; [`crate::serve()`] applies them.

use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::header::CONTENT_LENGTH;
use axum::response::{IntoResponse, Response};
use http_body_util::Limited;
use tokio::sync::Semaphore;

use crate::ApiError;

/// Body, time, concurrency and connection limits of one server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Longest time from request to response head.
    pub request_timeout: Duration,
    /// Most requests handled at once; more are shed with 503.
    pub max_in_flight: usize,
    /// Most connections open at once; one more is accepted and closed at once.
    pub max_connections: usize,
    /// Longest wait for a complete request head, on a new connection and between the requests
    /// of a kept-alive one; also the longest a response write may make no progress.
    pub header_read_timeout: Duration,
    /// Largest request head (request line and headers), in bytes; more is answered 431.
    pub max_header_bytes: usize,
}

/// Default [`Limits::max_connections`].
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// Default [`Limits::header_read_timeout`].
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Default [`Limits::max_header_bytes`].
pub const DEFAULT_MAX_HEADER_BYTES: usize = 16 * 1024;

impl Default for Limits {
    /// 1 MiB bodies (the device API, feature floor C.2.3), 10 s, 256 in flight; 1024
    /// connections, 10 s for a request head, 16 KiB heads.
    ///
    /// 1024 connections are four times the in-flight cap (kept-alive connections are mostly
    /// idle) and fit the systemd units' `LimitNOFILE`; 10 s is far more than any real client
    /// needs to send a head, and bounds how long a silent connection holds a slot; 16 KiB
    /// holds a browser's headers and cookies with room to spare (nginx's default is 8 KiB
    /// per line), and bounds what a connection's read buffer may cost.
    fn default() -> Self {
        Self {
            max_body_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(10),
            max_in_flight: 256,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            max_header_bytes: DEFAULT_MAX_HEADER_BYTES,
        }
    }
}

/// Refuses an over-cap `Content-Length` up front and caps the bytes actually read.
pub(crate) async fn cap_body<F: Future<Output = Response>>(
    max: usize,
    req: Request,
    next: impl FnOnce(Request) -> F,
) -> Response {
    if let Some(value) = req.headers().get(CONTENT_LENGTH) {
        let Some(len) = value.to_str().ok().and_then(|v| v.parse::<u64>().ok()) else {
            return ApiError::BadRequest("invalid content-length".into()).into_response();
        };
        if len > max as u64 {
            return ApiError::PayloadTooLarge.into_response();
        }
    }
    next(req.map(|body| Body::new(Limited::new(body, max)))).await
}

/// Whether a body read failed because a [`Limited`] cap was passed (the error may be wrapped
/// in `axum::Error` more than once).
pub(crate) fn is_over_cap(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(err);
    while let Some(err) = current {
        if err.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        current = err.source();
    }
    false
}

/// Answers 503 when the response head is not ready within the deadline.
pub(crate) async fn deadline<F: Future<Output = Response>>(
    timeout: Duration,
    req: Request,
    next: impl FnOnce(Request) -> F,
) -> Response {
    // A clone of the URI shares its bytes: no copy of the path unless the deadline passes.
    let uri = req.uri().clone();
    match tokio::time::timeout(timeout, next(req)).await {
        Ok(res) => res,
        Err(_) => ApiError::Unavailable(format!(
            "request deadline of {timeout:?} exceeded on {} (slow handler or slow body)",
            uri.path()
        ))
        .into_response(),
    }
}

/// Sheds requests beyond the in-flight cap with 503.
pub(crate) async fn shed<F: Future<Output = Response>>(
    slots: &Semaphore,
    req: Request,
    next: impl FnOnce(Request) -> F,
) -> Response {
    let Ok(_permit) = slots.try_acquire() else {
        return ApiError::Unavailable("in-flight request cap reached, request shed".into())
            .into_response();
    };
    next(req).await
}
