//! Shared HTTP hardening for axum 0.8: token auth and roles, browser sessions, per-IP rate
//! limits, body/time/concurrency limits, security headers, flat JSON errors, CORS allowlist,
//! the public-bind policy, the Host check, and the server loop with connection limits
//! ([`serve()`]). Used by the exporter and the fleet plane.
//!
//! Wrap a router in one call with [`Hardening`]: routes are handed over in groups by access
//! level, and [`Hardening::build`] stacks the layers. Layer order, outermost first:
//!
//! | # | Layer | Answers | Why here |
//! |---|---|---|---|
//! | 1 | security headers ([`headers`]) | — | every response, errors included, gets them |
//! | 2 | error flattening ([`error`]) | — | axum's own 404/405/rejections become flat JSON; 5xx detail logged once |
//! | 3 | CORS ([`cors`]) | 204 preflight | a listed origin can read its 401/429 |
//! | 4 | client IP ([`client`]) | 500 without `ConnectInfo` | peer, or right-most untrusted XFF hop behind a trusted proxy |
//! | 5 | Host check ([`host`]) | 421 | DNS rebinding on a loopback bind; before the rate limit, so a rebinding page cannot spend local clients' budget |
//! | 6 | rate limit ([`ratelimit`]) | 429 + `Retry-After` | before any work or auth |
//! | 7 | in-flight cap, deadline, body cap ([`limits`]) | 503, 503, 413 | bound what an admitted request costs |
//! | 8 | per group: bind policy ([`bind`]), `?token=` login ([`session`]), auth gate ([`auth`]) | 403, 303, 401/403 | matched routes only, so unknown paths are 404 |
//!
//! Serve the router with [`serve()`] (connection cap, header-read timeout, head size cap; it
//! supplies `ConnectInfo<SocketAddr>`), or with
//! `into_make_service_with_connect_info::<SocketAddr>()`.
//!
//! ```
//! use axum::{Router, routing::get};
//! use upsight_http::{Credentials, Exposure, Hardening, HttpConfig, TokenSet};
//!
//! let credentials = Credentials {
//!     viewer: Some(TokenSet::parse_list("a-viewer-token-of-at-least-32-chars")?),
//!     ..Credentials::default()
//! };
//! let config = HttpConfig::new(credentials, Exposure::of("0.0.0.0:9199".parse()?));
//! let app: Router = Hardening::new(config)
//!     .open(Router::new().route("/healthz", get(|| async { "ok" })))
//!     .metrics(Router::new().route("/metrics", get(|| async { "# EOF\n" })))
//!     .viewer(Router::new().route("/api/v1/devices", get(|| async { "[]" })))
//!     .build();
//! # drop(app);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

pub mod auth;
pub mod bind;
pub mod client;
pub mod cors;
pub mod counters;
pub mod error;
pub mod hardening;
pub mod headers;
pub mod host;
pub mod html;
pub mod limits;
pub mod ratelimit;
pub mod serve;
pub mod session;
pub mod settings;
pub mod token;

pub use auth::{Credentials, Role, parse_bearer, record_denial};
pub use bind::{BindPolicy, Exposure};
pub use client::{Cidr, ClientIp, TrustedProxies};
pub use cors::CorsPolicy;
pub use counters::{DropReason, SecurityCounters};
pub use error::{ApiError, not_found};
pub use hardening::{Hardening, HttpConfig};
pub use host::{AllowedHosts, HostPolicy};
pub use limits::Limits;
pub use ratelimit::{KeyedLimiter, RateLimitConfig, RateLimited};
pub use serve::serve;
pub use session::{SessionConfig, SessionStore};
pub use token::{Token, TokenError, TokenSet};
