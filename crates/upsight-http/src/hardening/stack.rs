//! The hardening layers as one tower service: every request runs the stages in the order the
//! parent module documents, each stage calling the next directly.
//!
//! One `axum::middleware::from_fn` layer per stage would cost, per request and per stage, a
//! clone of every layer below it, a boxed future and a boxed `Next` with a boxed future of its
//! own: some thirty allocations and a quadratic number of clones for the stack. Here a request
//! costs one clone of the inner service and one boxed future, and the stages are the same
//! functions in the same order, so nothing but the cost changes.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::Request;
use axum::response::Response;
use tokio::sync::Semaphore;
use tower::{Service, ServiceExt as _};

use crate::host::HostCheck;
use crate::ratelimit::IpLimit;
use crate::{CorsPolicy, TrustedProxies, client, cors, error, headers, host, limits, ratelimit};

/// What the stages need, shared by every request.
#[derive(Debug)]
pub(super) struct Stages {
    pub(super) cors: CorsPolicy,
    pub(super) proxies: TrustedProxies,
    pub(super) host_check: HostCheck,
    pub(super) ip_limit: IpLimit,
    /// The in-flight cap.
    pub(super) slots: Semaphore,
    pub(super) request_timeout: Duration,
    pub(super) max_body_bytes: usize,
}

impl Stages {
    /// Security headers, error flattening, CORS, client IP and the Host check, then
    /// [`Stages::admit`].
    async fn run<S>(&self, req: Request, inner: S) -> Response
    where
        S: Service<Request, Response = Response, Error = Infallible>,
    {
        let res = error::flatten(req, |req| {
            cors::apply(&self.cors, req, |req| {
                client::resolve(&self.proxies, req, |req| {
                    host::check(&self.host_check, req, |req| self.admit(req, inner))
                })
            })
        })
        .await;
        headers::secure(res)
    }

    /// The rate limit, the in-flight cap, the deadline and the body cap, then `inner`.
    async fn admit<S>(&self, req: Request, inner: S) -> Response
    where
        S: Service<Request, Response = Response, Error = Infallible>,
    {
        ratelimit::limit(&self.ip_limit, req, |req| {
            limits::shed(&self.slots, req, |req| {
                limits::deadline(self.request_timeout, req, |req| {
                    limits::cap_body(self.max_body_bytes, req, |req| async move {
                        match inner.oneshot(req).await {
                            Ok(res) => res,
                            Err(never) => match never {},
                        }
                    })
                })
            })
        })
        .await
    }
}

/// The service: [`Stages`] around `inner` (the routes).
#[derive(Debug, Clone)]
pub(super) struct Hardened<S> {
    pub(super) stages: Arc<Stages>,
    pub(super) inner: S,
}

impl<S> Service<Request> for Hardened<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // `inner` is driven to readiness per request, on its own clone (`oneshot`).
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let stages = Arc::clone(&self.stages);
        let inner = self.inner.clone();
        Box::pin(async move { Ok(stages.run(req, inner).await) })
    }
}
