//! Flat JSON errors: `ApiError`, the middleware that makes every error response flat, and the
//! fallback for unknown paths.
//!
//! Every error body is `{"error":"<safe message>"}` with `Content-Type: application/json`.
//! 4xx messages are short and safe to show; 5xx bodies always say `internal error`, and the detail
//! is logged once, by the flattening middleware the hardening stack installs, which knows the
//! method and path.

use std::borrow::Cow;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// The `WWW-Authenticate` challenge sent with every 401.
pub const BEARER_CHALLENGE: &str = "Bearer realm=\"upsight\"";

/// The body message of every 5xx response.
const INTERNAL: &str = "internal error";

/// An HTTP error with an exact status code and a flat JSON body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// 400, with a safe message.
    #[error("{0}")]
    BadRequest(Cow<'static, str>),
    /// 401, detail-free, with `WWW-Authenticate: Bearer realm="upsight"`.
    #[error("unauthorized")]
    Unauthorized,
    /// 403, with a safe one-line reason.
    #[error("{0}")]
    Forbidden(Cow<'static, str>),
    /// 404, detail-free.
    #[error("not found")]
    NotFound,
    /// 405.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 408.
    #[error("request timeout")]
    RequestTimeout,
    /// 409, with a safe message.
    #[error("{0}")]
    Conflict(Cow<'static, str>),
    /// 421: the request names a host this server does not answer for.
    #[error("misdirected request")]
    Misdirected,
    /// 413.
    #[error("payload too large")]
    PayloadTooLarge,
    /// 415.
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// 422, with a safe message.
    #[error("{0}")]
    Unprocessable(Cow<'static, str>),
    /// 429 with `Retry-After` in whole seconds, rounded up, at least 1.
    #[error("too many requests")]
    TooManyRequests {
        /// How long until the client may try again.
        retry_after: Duration,
    },
    /// 500; the detail is logged, the body says `internal error`.
    #[error("internal error: {0}")]
    Internal(String),
    /// 503; the detail is logged, the body says `internal error`.
    #[error("service unavailable: {0}")]
    Unavailable(String),
}

/// Marks a response body as already flat, so [`flatten`] leaves it alone.
#[derive(Debug, Clone, Copy)]
struct Flat;

/// The 5xx detail, carried to [`flatten`] to be logged once with the method and path.
#[derive(Debug, Clone)]
struct Detail(String);

impl ApiError {
    /// The exact status code of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Misdirected => StatusCode::MISDIRECTED_REQUEST,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The detail-free error for a status code produced elsewhere (an axum rejection, a
    /// handler returning a bare status). Statuses without a variant become 400 or 500.
    pub fn from_status(status: StatusCode) -> Self {
        match status {
            StatusCode::UNAUTHORIZED => Self::Unauthorized,
            StatusCode::FORBIDDEN => Self::Forbidden("forbidden".into()),
            StatusCode::NOT_FOUND => Self::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => Self::MethodNotAllowed,
            StatusCode::REQUEST_TIMEOUT => Self::RequestTimeout,
            StatusCode::CONFLICT => Self::Conflict("conflict".into()),
            StatusCode::MISDIRECTED_REQUEST => Self::Misdirected,
            StatusCode::PAYLOAD_TOO_LARGE => Self::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::UnsupportedMediaType,
            StatusCode::UNPROCESSABLE_ENTITY => Self::Unprocessable("unprocessable entity".into()),
            StatusCode::TOO_MANY_REQUESTS => Self::TooManyRequests {
                retry_after: Duration::from_secs(1),
            },
            StatusCode::SERVICE_UNAVAILABLE => Self::Unavailable(format!("bare {status} response")),
            s if s.is_client_error() => Self::BadRequest("bad request".into()),
            s => Self::Internal(format!("bare {s} response")),
        }
    }

    /// The safe message for the body: the 4xx message, or `internal error` for 5xx.
    fn public_message(&self) -> String {
        if self.status().is_server_error() {
            INTERNAL.to_owned()
        } else {
            self.to_string()
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.public_message() }).to_string();
        let mut res = (self.status(), body).into_response();
        let headers = res.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        match &self {
            Self::Unauthorized => {
                headers.insert(WWW_AUTHENTICATE, HeaderValue::from_static(BEARER_CHALLENGE));
            }
            Self::TooManyRequests { retry_after } => {
                headers.insert(
                    RETRY_AFTER,
                    HeaderValue::from(retry_after_secs(*retry_after)),
                );
            }
            _ => {}
        }
        res.extensions_mut().insert(Flat);
        if let Self::Internal(detail) | Self::Unavailable(detail) = self {
            res.extensions_mut().insert(Detail(detail));
        }
        res
    }
}

/// `Retry-After` seconds: rounded up, never 0 (a 0 invites an immediate retry storm).
pub(crate) fn retry_after_secs(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

/// Fallback handler for unknown paths: flat 404 JSON.
pub async fn not_found() -> ApiError {
    ApiError::NotFound
}

/// Makes every error response flat and logs each 5xx detail once.
///
/// A response built from [`ApiError`] is kept as is. Any other 4xx/5xx whose body is empty or
/// `text/plain` (axum's extractor rejections, the router's 405, a bare `StatusCode`) is rebuilt
/// as the flat body for its status, keeping its headers (`Allow` on a 405, for example). Error
/// responses with another content type (an HTML error page from the dashboard) pass through.
pub(crate) async fn flatten<F: Future<Output = Response>>(
    req: Request,
    next: impl FnOnce(Request) -> F,
) -> Response {
    // Clones share the request's bytes: the path is copied only if it is logged.
    let method = req.method().clone();
    let uri = req.uri().clone();
    let path = uri.path();
    let res = next(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    if res.extensions().get::<Flat>().is_some() {
        if let Some(Detail(detail)) = res.extensions().get::<Detail>() {
            tracing::error!(%method, %path, %status, detail, "Request failed.");
        }
        return res;
    }
    let is_plain = res.headers().get(CONTENT_TYPE).is_none_or(|ct| {
        ct.to_str()
            .is_ok_and(|ct| ct.to_ascii_lowercase().starts_with("text/plain"))
    });
    if !is_plain {
        return res;
    }
    if status.is_server_error() {
        tracing::error!(%method, %path, %status, "Request failed without detail.");
    }
    let body = serde_json::json!({ "error": ApiError::from_status(status).public_message() });
    let (mut parts, _) = res.into_parts();
    parts.headers.remove(CONTENT_LENGTH);
    parts
        .headers
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Response::from_parts(parts, Body::from(body.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    async fn body_json(res: Response) -> serde_json::Value {
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn every_variant_has_its_exact_status_and_a_flat_body() {
        let cases = [
            (ApiError::BadRequest("bad next".into()), 400, "bad next"),
            (ApiError::Unauthorized, 401, "unauthorized"),
            (ApiError::Forbidden("no".into()), 403, "no"),
            (ApiError::NotFound, 404, "not found"),
            (ApiError::MethodNotAllowed, 405, "method not allowed"),
            (ApiError::RequestTimeout, 408, "request timeout"),
            (ApiError::Conflict("lease".into()), 409, "lease"),
            (ApiError::Misdirected, 421, "misdirected request"),
            (ApiError::PayloadTooLarge, 413, "payload too large"),
            (
                ApiError::UnsupportedMediaType,
                415,
                "unsupported media type",
            ),
            (ApiError::Unprocessable("name".into()), 422, "name"),
            (
                ApiError::TooManyRequests {
                    retry_after: Duration::from_millis(1),
                },
                429,
                "too many requests",
            ),
            (
                ApiError::Internal("db path /x".into()),
                500,
                "internal error",
            ),
            (
                ApiError::Unavailable("deadline".into()),
                503,
                "internal error",
            ),
        ];
        for (err, status, message) in cases {
            let res = err.into_response();
            assert_eq!(res.status().as_u16(), status);
            assert_eq!(res.headers()[CONTENT_TYPE], "application/json");
            assert_eq!(
                body_json(res).await,
                serde_json::json!({ "error": message })
            );
        }
    }

    #[test]
    fn unauthorized_carries_the_bearer_challenge() {
        let res = ApiError::Unauthorized.into_response();
        assert_eq!(res.headers()[WWW_AUTHENTICATE], "Bearer realm=\"upsight\"");
    }

    #[test]
    fn retry_after_rounds_up_and_is_never_zero() {
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1001)), 2);
        assert_eq!(retry_after_secs(Duration::from_secs(3)), 3);
    }
}
