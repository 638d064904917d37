//! The one-call hardened router: route groups by access level, wrapped in every layer of this
//! crate in the right order.
//!
//! Layer order, outermost first (a request passes them top to bottom, a response bottom to top):
//!
//! 1. security headers: outermost, so every response, including one produced by any layer
//!    below (401, 403, 404, 405, 413, 429, 503), carries them;
//! 2. error flattening: turns axum's plain or empty error responses (405, extractor rejections)
//!    into flat JSON and logs each 5xx detail once, with the method and path;
//! 3. CORS: outside the rate limit and auth so a listed origin can read their 429/401; answers
//!    listed preflights (cheap, stateless, and credential-free by definition);
//! 4. client IP: the TCP peer, or the right-most untrusted `X-Forwarded-For` hop behind a
//!    trusted proxy; everything below keys and logs by it;
//! 5. Host check (421): a request naming a foreign host on a loopback bind (DNS rebinding) is
//!    refused before the rate limit, so such a page cannot spend the budget that local
//!    clients, all keyed by 127.0.0.1, share;
//! 6. rate limit: before anything that costs (body, token comparison, session lookup), so
//!    unauthenticated floods are cheap to refuse;
//! 7. in-flight cap (503), then the deadline (503), then the body cap (413): bounds on what an
//!    admitted request may consume;
//! 8. per route group: bind policy (403 on a public bind without viewer token), `?token=`
//!    exchange, then the auth gate (401/403), applied only to matched paths, so an unknown
//!    path is a flat 404 rather than a 401. An unsupported method on a gated path meets the
//!    gate first (axum layers a path's 405 fallback with its routes), so anonymous clients
//!    learn nothing about a path's methods; on a path shared by two groups, the 405 sits
//!    behind the gate of the group added last.

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::from_fn_with_state;
use axum::routing::post;
use tokio::sync::Semaphore;
use tower::Layer as _;

use crate::auth::{Auth, Gate, require};
use crate::host::HostCheck;
use crate::ratelimit::{IpLimit, KeyedLimiter};
use crate::session::{exchange_query_token, login, logout};
use crate::{
    AllowedHosts, BindPolicy, CorsPolicy, Credentials, Exposure, HostPolicy, Limits,
    RateLimitConfig, SecurityCounters, SessionConfig, SessionStore, TrustedProxies, bind, error,
};
use stack::{Hardened, Stages};

mod stack;

/// Path of the login form target.
pub const LOGIN_PATH: &str = "/login";

/// Path of the logout form target.
pub const LOGOUT_PATH: &str = "/logout";

/// Everything the hardening layers need to know about one server.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Viewer, admin and metrics tokens.
    pub credentials: Credentials,
    /// Whether the listener is loopback-only (for the bind policy).
    pub exposure: Exposure,
    /// Which hosts a request may name; by default enforced exactly when `exposure` is
    /// loopback. Set it from the real bind where `exposure` is relaxed.
    pub hosts: HostPolicy,
    /// Per-client-IP token bucket.
    pub rate_limit: RateLimitConfig,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: TrustedProxies,
    /// Body, deadline and in-flight limits.
    pub limits: Limits,
    /// Browser session limits and cookie flags.
    pub sessions: SessionConfig,
    /// Origins allowed to call the API from a browser.
    pub cors: CorsPolicy,
    /// Exact paths the per-IP rate limit skips. Their handlers must limit by something else
    /// (the fleet plane's heartbeat route limits per member: many sites may share one NAT
    /// address).
    pub ip_limit_exempt: Vec<&'static str>,
}

impl HttpConfig {
    /// Defaults for everything but the credentials and the exposure.
    pub fn new(credentials: Credentials, exposure: Exposure) -> Self {
        Self {
            credentials,
            exposure,
            hosts: HostPolicy::new(exposure, AllowedHosts::default()),
            rate_limit: RateLimitConfig::default(),
            trusted_proxies: TrustedProxies::default(),
            limits: Limits::default(),
            sessions: SessionConfig::default(),
            cors: CorsPolicy::default(),
            ip_limit_exempt: Vec::new(),
        }
    }
}

/// Builds a hardened router from route groups; see the module docs for the layer order.
#[derive(Debug)]
pub struct Hardening {
    config: HttpConfig,
    auth: Auth,
    bind: BindPolicy,
    routes: Router,
}

impl Hardening {
    /// Starts an empty router for `config`.
    pub fn new(config: HttpConfig) -> Self {
        let bind = BindPolicy::new(config.exposure, &config.credentials);
        let auth = Auth {
            credentials: Arc::new(config.credentials.clone()),
            sessions: SessionStore::new(config.sessions),
            counters: Arc::new(SecurityCounters::default()),
        };
        Self {
            config,
            auth,
            bind,
            routes: Router::new(),
        }
    }

    /// Routes anyone may use (`/healthz`, `/readyz`, static assets, the login page).
    pub fn open(mut self, routes: Router) -> Self {
        self.routes = self.routes.merge(routes);
        self
    }

    /// `/metrics`: open unless a metrics token is configured. Not closed by the bind policy.
    pub fn metrics(mut self, routes: Router) -> Self {
        let routes = self.gate(routes, Gate::Metrics);
        self.routes = self.routes.merge(routes);
        self
    }

    /// Dashboard pages and the read API: viewer role, closed on a public bind without a viewer
    /// token, `?token=` login on GET.
    pub fn viewer(mut self, routes: Router) -> Self {
        let routes = self.gate(routes, Gate::Viewer);
        self.routes = self.routes.merge(routes);
        self
    }

    /// Write endpoints: admin role; otherwise like [`Hardening::viewer`].
    pub fn admin(mut self, routes: Router) -> Self {
        let routes = self.gate(routes, Gate::Admin);
        self.routes = self.routes.merge(routes);
        self
    }

    /// The counters shared by all layers of this router.
    pub fn counters(&self) -> Arc<SecurityCounters> {
        Arc::clone(&self.auth.counters)
    }

    /// The session store (for an admin "sign out everyone" or a session count metric).
    pub fn sessions(&self) -> SessionStore {
        self.auth.sessions.clone()
    }

    /// The bind policy in force (to log at startup that the dashboard is closed).
    pub fn bind_policy(&self) -> BindPolicy {
        self.bind
    }

    fn gate(&self, routes: Router, gate: Gate) -> Router {
        if !routes.has_routes() {
            return routes;
        }
        let routes = routes.route_layer(from_fn_with_state((self.auth.clone(), gate), require));
        if gate == Gate::Metrics {
            return routes;
        }
        routes
            .route_layer(from_fn_with_state(self.auth.clone(), exchange_query_token))
            .route_layer(from_fn_with_state(self.bind, bind::enforce))
    }

    /// Adds `POST /login`, `POST /logout` and the flat 404 fallback, and wraps everything in the
    /// layers. Serve it with [`crate::serve()`] (or with
    /// `into_make_service_with_connect_info::<SocketAddr>()`).
    pub fn build(self) -> Router {
        let Limits {
            max_body_bytes,
            request_timeout,
            max_in_flight,
            ..
        } = self.config.limits;
        let sessions = Router::new()
            .route(LOGIN_PATH, post(login))
            .route(LOGOUT_PATH, post(logout))
            .route_layer(from_fn_with_state(self.bind, bind::enforce))
            .with_state(self.auth.clone());
        let host_check = HostCheck {
            policy: Arc::new(self.config.hosts),
            counters: Arc::clone(&self.auth.counters),
        };
        let ip_limit = IpLimit {
            limiter: Arc::new(KeyedLimiter::new(self.config.rate_limit)),
            counters: Arc::clone(&self.auth.counters),
            exempt: self.config.ip_limit_exempt.into(),
        };
        let stages = Stages {
            cors: self.config.cors,
            proxies: self.config.trusted_proxies,
            host_check,
            ip_limit,
            slots: Semaphore::new(max_in_flight.clamp(1, Semaphore::MAX_PERMITS)),
            request_timeout,
            max_body_bytes,
        };
        let routes = self.routes.merge(sessions).fallback(error::not_found);
        // The layers wrap the whole router once, as one tower service (`stack`), rather than
        // each route (`Router::layer`) or as one `from_fn` layer each.
        let hardened = Hardened {
            stages: Arc::new(stages),
            inner: DefaultBodyLimit::max(max_body_bytes).layer(routes),
        };
        Router::new().fallback_service(hardened)
    }
}
