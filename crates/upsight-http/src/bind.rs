//! Secure by default on a public bind: without a viewer token, the dashboard and API are closed
//! (403 with a one-line reason) while `/metrics` and `/healthz` keep working (design §4.5, §9).

use std::net::SocketAddr;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::{ApiError, Credentials};

/// The 403 reason given on a closed dashboard or API.
pub const CLOSED_REASON: &str = "set a viewer token (UPSIGHT_VIEWER_TOKEN) to use the dashboard and API on a non-loopback address";

/// Who can reach a listening address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exposure {
    /// Only this host (`127.0.0.0/8`, `::1`).
    Loopback,
    /// Anything else, including the unspecified `0.0.0.0` / `::`.
    Public,
}

impl Exposure {
    /// Classifies a bind address; IPv4-mapped loopback (`::ffff:127.0.0.1`) is loopback.
    pub fn of(addr: SocketAddr) -> Self {
        if addr.ip().to_canonical().is_loopback() {
            Self::Loopback
        } else {
            Self::Public
        }
    }
}

/// Whether the dashboard and API may be served, given the bind and the configured tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BindPolicy {
    exposure: Exposure,
    has_viewer_token: bool,
}

impl BindPolicy {
    /// The policy for `exposure` with these credentials.
    pub fn new(exposure: Exposure, credentials: &Credentials) -> Self {
        Self {
            exposure,
            has_viewer_token: credentials.viewer.is_some(),
        }
    }

    /// `true` on a public bind without a viewer token: dashboard and API answer 403.
    pub fn is_closed(&self) -> bool {
        self.exposure == Exposure::Public && !self.has_viewer_token
    }
}

/// Answers 403 [`CLOSED_REASON`] when the policy is closed; applied to dashboard and API routes.
pub(crate) async fn enforce(
    State(policy): State<BindPolicy>,
    req: Request,
    next: Next,
) -> Response {
    if policy.is_closed() {
        return ApiError::Forbidden(CLOSED_REASON.into()).into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TokenSet;

    #[test]
    fn exposure_of_common_binds() {
        let of = |s: &str| Exposure::of(s.parse().unwrap());
        assert_eq!(of("127.0.0.1:9199"), Exposure::Loopback);
        assert_eq!(of("127.8.9.1:9199"), Exposure::Loopback);
        assert_eq!(of("[::1]:9199"), Exposure::Loopback);
        assert_eq!(of("[::ffff:127.0.0.1]:9199"), Exposure::Loopback);
        assert_eq!(of("0.0.0.0:9199"), Exposure::Public);
        assert_eq!(of("[::]:9199"), Exposure::Public);
        assert_eq!(of("192.168.1.5:9199"), Exposure::Public);
    }

    #[test]
    fn only_a_public_bind_without_viewer_token_is_closed() {
        let none = Credentials::default();
        let viewer = Credentials {
            viewer: Some(TokenSet::parse_list(&"v".repeat(32)).unwrap()),
            ..Credentials::default()
        };
        assert!(BindPolicy::new(Exposure::Public, &none).is_closed());
        assert!(!BindPolicy::new(Exposure::Loopback, &none).is_closed());
        assert!(!BindPolicy::new(Exposure::Public, &viewer).is_closed());
    }
}
