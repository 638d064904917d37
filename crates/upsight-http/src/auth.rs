//! Roles, configured credentials, and the gate that admits a request to a route.
//!
//! A request presents either `Authorization: Bearer <token>` or the session cookie (the bearer
//! wins when both are sent). The gate answers 401 with `WWW-Authenticate: Bearer
//! realm="upsight"` for missing or wrong credentials, and 403 when the role is too low (a viewer
//! on an admin route) or the route cannot be unlocked at all (no admin token configured).
//! A requirement with no token configured is open: there is nothing to compare against, and the
//! bind policy keeps such a server on loopback.

mod audit;

use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::time::Instant;

pub use self::audit::record_denial;
pub(crate) use self::audit::sanitize;

use crate::session::parse_cookie;
use crate::{ApiError, SecurityCounters, SessionStore, TokenSet};

/// What an authenticated client may do. `Admin` implies `Viewer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Reads the dashboard and the read API.
    Viewer,
    /// Also writes (admin endpoints).
    Admin,
}

impl Role {
    /// Whether this role may use a route that requires `required`.
    pub fn satisfies(self, required: Role) -> bool {
        self >= required
    }
}

/// The token sets of one server; `None` means that requirement is open.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    /// Tokens for the dashboard and read API.
    pub viewer: Option<TokenSet>,
    /// Tokens for write endpoints; also accepted wherever a viewer token is.
    pub admin: Option<TokenSet>,
    /// Tokens for `/metrics`; viewer and admin tokens are accepted there too.
    pub metrics: Option<TokenSet>,
}

impl Credentials {
    /// The role `presented` grants: admin wins over viewer. Both sets are always compared.
    pub fn role_of(&self, presented: &[u8]) -> Option<Role> {
        let is_admin = self.admin.as_ref().is_some_and(|s| s.matches(presented));
        let is_viewer = self.viewer.as_ref().is_some_and(|s| s.matches(presented));
        match (is_admin, is_viewer) {
            (true, _) => Some(Role::Admin),
            (false, true) => Some(Role::Viewer),
            (false, false) => None,
        }
    }
}

/// What a route requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gate {
    /// `/metrics`: open unless a metrics token is set; then a metrics, viewer or admin credential.
    Metrics,
    /// Dashboard and read API.
    Viewer,
    /// Write endpoints.
    Admin,
}

/// The credential a request carries.
#[derive(Debug, Clone, Copy)]
enum Presented<'a> {
    Nothing,
    Bearer(&'a [u8]),
    Session(Role),
    /// An `Authorization` header that is not `Bearer <token>`.
    Malformed,
}

/// The gate's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// Admitted, with the role when one was established.
    Allow(Option<Role>),
    /// 401 with a reason for the log.
    Unauthenticated(&'static str),
    /// 403 with a reason for the client and the log.
    Forbidden(&'static str),
}

/// Pure decision: may `presented` use a route requiring `gate`?
fn decide(credentials: &Credentials, gate: Gate, presented: Presented<'_>) -> Verdict {
    let (role, is_metrics) = match presented {
        Presented::Bearer(token) => {
            let is_metrics = credentials
                .metrics
                .as_ref()
                .is_some_and(|s| s.matches(token));
            (credentials.role_of(token), is_metrics)
        }
        Presented::Session(role) => (Some(role), false),
        Presented::Nothing | Presented::Malformed => (None, false),
    };
    let is_configured = match gate {
        Gate::Metrics => credentials.metrics.is_some(),
        Gate::Viewer => credentials.viewer.is_some(),
        Gate::Admin => credentials.admin.is_some(),
    };
    let refusal = match presented {
        Presented::Nothing => Verdict::Unauthenticated("missing credentials"),
        _ => Verdict::Unauthenticated("wrong credentials"),
    };
    match (gate, is_configured, role) {
        (Gate::Admin, false, _) => Verdict::Forbidden("no admin token is configured"),
        (Gate::Admin, true, Some(Role::Viewer)) => Verdict::Forbidden("admin role required"),
        (Gate::Viewer, false, role) => Verdict::Allow(Some(role.unwrap_or(Role::Viewer))),
        (Gate::Metrics, false, role) => Verdict::Allow(role),
        (_, true, Some(role)) => Verdict::Allow(Some(role)),
        (Gate::Metrics, true, None) if is_metrics => Verdict::Allow(None),
        (_, true, None) => refusal,
    }
}

/// Shared state of the authentication middleware and the login handlers.
#[derive(Debug, Clone)]
pub(crate) struct Auth {
    pub(crate) credentials: Arc<Credentials>,
    pub(crate) sessions: SessionStore,
    pub(crate) counters: Arc<SecurityCounters>,
}

impl Auth {
    /// The credential in `headers`; an unknown or expired session cookie counts as none.
    fn presented<'h>(&self, headers: &'h HeaderMap, now: Instant) -> Presented<'h> {
        if let Some(value) = headers.get(AUTHORIZATION) {
            return parse_bearer(value.as_bytes()).map_or(Presented::Malformed, Presented::Bearer);
        }
        parse_cookie(headers)
            .and_then(|id| self.sessions.role_of(id, now))
            .map_or(Presented::Nothing, Presented::Session)
    }
}

/// The token of an `Authorization: Bearer <token>` value: the scheme is case-insensitive
/// (RFC 9110 §11.1), one or more spaces follow it, and surrounding whitespace is dropped.
/// Works on raw bytes, so a value that is not UTF-8 yields bytes that simply match no token.
/// Every server that reads a bearer token parses it here.
pub fn parse_bearer(value: &[u8]) -> Option<&[u8]> {
    let (scheme, rest) = value.split_at_checked(6)?;
    if !scheme.eq_ignore_ascii_case(b"bearer") || rest.first() != Some(&b' ') {
        return None;
    }
    let token = rest.trim_ascii();
    (!token.is_empty()).then_some(token)
}

/// A cookie-authenticated write from another site (Fetch Metadata); SameSite=Strict already
/// stops the cookie, this is the second fence.
fn is_cross_site_write(req: &Request, presented: Presented<'_>) -> bool {
    let is_safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let site = req.headers().get("sec-fetch-site").map(|v| v.as_bytes());
    matches!(presented, Presented::Session(_))
        && !is_safe
        && site.is_some_and(|s| s != b"same-origin")
}

/// A browser asking for a page (not the API): GET or HEAD, accepting HTML.
fn is_page_request(req: &Request) -> bool {
    let accepts_html = req
        .headers()
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    matches!(*req.method(), Method::GET | Method::HEAD)
        && accepts_html
        && !req.uri().path().starts_with("/api/")
}

/// 303 to `/login?next=<this path and query>`, percent-encoded.
fn login_redirect(req: &Request) -> Response {
    let target = req.uri().path_and_query().map_or("/", |pq| pq.as_str());
    let mut next = String::with_capacity(target.len());
    for b in target.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            next.push(char::from(b));
        } else {
            next.push_str(&format!("%{b:02X}"));
        }
    }
    let location = format!("{}?next={next}", crate::hardening::LOGIN_PATH);
    (
        axum::http::StatusCode::SEE_OTHER,
        [(axum::http::header::LOCATION, location)],
    )
        .into_response()
}

/// The gate middleware: admits the request (inserting its [`Role`]) or answers 401/403.
pub(crate) async fn require(
    State((auth, gate)): State<(Auth, Gate)>,
    mut req: Request,
    next: Next,
) -> Response {
    let presented = auth.presented(req.headers(), Instant::now());
    let verdict = if is_cross_site_write(&req, presented) {
        Verdict::Forbidden("cross-site request refused")
    } else {
        decide(&auth.credentials, gate, presented)
    };
    match verdict {
        Verdict::Allow(role) => {
            if let Some(role) = role {
                req.extensions_mut().insert(role);
            }
            next.run(req).await
        }
        Verdict::Unauthenticated(reason) => {
            if matches!(presented, Presented::Nothing) && is_page_request(&req) {
                // A browser opening a page without a session: to the login form, and back.
                return login_redirect(&req);
            }
            record_denial(&auth.counters, &req, 401, reason);
            ApiError::Unauthorized.into_response()
        }
        Verdict::Forbidden(reason) => {
            record_denial(&auth.counters, &req, 403, reason);
            ApiError::Forbidden(reason.into()).into_response()
        }
    }
}

/// The role the gate established. Rejects with 401 on a route without a role-granting gate,
/// so a handler that needs a role fails closed if the route was wired without one.
impl<S: Send + Sync> FromRequestParts<S> for Role {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Role>()
            .copied()
            .ok_or(ApiError::Unauthorized)
    }
}

/// The client address for logs: the resolved client IP, else the TCP peer.
pub(crate) fn client_for_log<B>(req: &Request<B>) -> String {
    let resolved = req.extensions().get::<crate::ClientIp>().map(|c| c.0);
    let peer = req
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    resolved
        .or(peer)
        .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const V: &[u8] = b"viewer-viewer-viewer-viewer-viewer";
    const A: &[u8] = b"admin-admin-admin-admin-admin-admin";
    const M: &[u8] = b"metrics-metrics-metrics-metrics-metrics";
    const X: &[u8] = b"wrong-wrong-wrong-wrong-wrong-wrong";

    fn set(token: &[u8]) -> Option<TokenSet> {
        Some(TokenSet::parse_list(std::str::from_utf8(token).unwrap()).unwrap())
    }

    fn all() -> Credentials {
        Credentials {
            viewer: set(V),
            admin: set(A),
            metrics: set(M),
        }
    }

    #[test]
    fn admin_implies_viewer() {
        assert!(Role::Admin.satisfies(Role::Viewer));
        assert!(Role::Admin.satisfies(Role::Admin));
        assert!(!Role::Viewer.satisfies(Role::Admin));
        assert_eq!(all().role_of(A), Some(Role::Admin));
        assert_eq!(all().role_of(V), Some(Role::Viewer));
        assert_eq!(all().role_of(M), None);
    }

    #[test]
    fn decisions_per_gate() {
        use Presented::*;
        use Verdict::*;
        let c = all();
        let table = [
            (
                Gate::Viewer,
                Nothing,
                Unauthenticated("missing credentials"),
            ),
            (
                Gate::Viewer,
                Bearer(X),
                Unauthenticated("wrong credentials"),
            ),
            (
                Gate::Viewer,
                Malformed,
                Unauthenticated("wrong credentials"),
            ),
            (Gate::Viewer, Bearer(V), Allow(Some(Role::Viewer))),
            (Gate::Viewer, Bearer(A), Allow(Some(Role::Admin))),
            (
                Gate::Viewer,
                Bearer(M),
                Unauthenticated("wrong credentials"),
            ),
            (Gate::Admin, Bearer(V), Forbidden("admin role required")),
            (
                Gate::Admin,
                Session(Role::Viewer),
                Forbidden("admin role required"),
            ),
            (Gate::Admin, Bearer(A), Allow(Some(Role::Admin))),
            (Gate::Admin, Session(Role::Admin), Allow(Some(Role::Admin))),
            (Gate::Admin, Nothing, Unauthenticated("missing credentials")),
            (Gate::Metrics, Bearer(M), Allow(None)),
            (Gate::Metrics, Bearer(V), Allow(Some(Role::Viewer))),
            (
                Gate::Metrics,
                Bearer(X),
                Unauthenticated("wrong credentials"),
            ),
        ];
        for (gate, presented, verdict) in table {
            assert_eq!(
                decide(&c, gate, presented),
                verdict,
                "{gate:?} {presented:?}"
            );
        }
    }

    #[test]
    fn unconfigured_requirements_are_open_except_admin() {
        let none = Credentials::default();
        let nothing = Presented::Nothing;
        assert_eq!(decide(&none, Gate::Metrics, nothing), Verdict::Allow(None));
        assert_eq!(
            decide(&none, Gate::Viewer, nothing),
            Verdict::Allow(Some(Role::Viewer))
        );
        assert_eq!(
            decide(&none, Gate::Admin, Presented::Bearer(A)),
            Verdict::Forbidden("no admin token is configured")
        );
    }

    #[test]
    fn bearer_parsing() {
        assert_eq!(parse_bearer(b"Bearer abc"), Some(&b"abc"[..]));
        assert_eq!(parse_bearer(b"bearer   abc "), Some(&b"abc"[..]));
        assert_eq!(parse_bearer(b"Basic abc"), None);
        assert_eq!(parse_bearer(b"Bearer"), None);
        assert_eq!(parse_bearer(b"Bearer "), None);
        assert_eq!(parse_bearer(b"Bearerabc"), None);
        assert_eq!(parse_bearer(b"BEARER abc"), Some(&b"abc"[..]));
        assert_eq!(parse_bearer(b"bEaReR abc"), Some(&b"abc"[..]));
        assert_eq!(parse_bearer(b"Bearer \xff\xfe"), Some(&b"\xff\xfe"[..]));
        assert_eq!(parse_bearer(b"\xffearer abc"), None);
        assert_eq!(parse_bearer(b"Bear"), None);
    }
}
