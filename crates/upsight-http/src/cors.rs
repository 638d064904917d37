//! CORS from an explicit allowlist of exact origins; never `*`.
//!
//! A listed origin gets `Access-Control-Allow-Origin: <that origin>` on every response (errors
//! included, so a browser client can read a 401 or 429), and its preflight is answered here with
//! 204. An unlisted origin gets no CORS header at all and its preflight falls through to the
//! router like any request (401 on a gated path, 405 on an open one). Credentials mode is not enabled: browsers use the SameSite=Strict session on
//! same-origin pages, cross-origin API clients send a bearer token.

use axum::extract::Request;
use axum::http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_MAX_AGE, ACCESS_CONTROL_REQUEST_METHOD, ORIGIN, VARY,
};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};

/// An origin that cannot be allowlisted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid CORS origin {value:?}: expected scheme://host[:port] with no path or wildcard")]
pub struct CorsError {
    /// The refused origin.
    pub value: String,
}

/// The allowlisted origins, compared exactly (after lower-casing the configured entries, since
/// browsers serialise origins in lower case).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CorsPolicy {
    origins: Vec<String>,
}

impl CorsPolicy {
    /// Validates each origin: `http://` or `https://`, a host, an optional port, nothing else.
    pub fn try_new<I, S>(origins: I) -> Result<Self, CorsError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let origins = origins
            .into_iter()
            .map(|o| parse_origin(o.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { origins })
    }

    /// Whether `origin` (as sent in the `Origin` header) is listed.
    pub fn allows(&self, origin: &str) -> bool {
        self.origins.iter().any(|o| o == origin)
    }

    /// Whether no origin is listed (CORS off).
    pub fn is_empty(&self) -> bool {
        self.origins.is_empty()
    }
}

fn parse_origin(raw: &str) -> Result<String, CorsError> {
    let err = || CorsError {
        value: raw.to_owned(),
    };
    let origin = raw.trim().to_ascii_lowercase();
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .ok_or_else(err)?;
    let is_host = |c: char| c.is_ascii_alphanumeric() || "-.:[]".contains(c);
    if rest.is_empty() || !rest.chars().all(is_host) || HeaderValue::from_str(&origin).is_err() {
        return Err(err());
    }
    Ok(origin)
}

/// Answers listed preflights and tags responses for listed origins.
pub(crate) async fn apply<F: Future<Output = Response>>(
    policy: &CorsPolicy,
    req: Request,
    next: impl FnOnce(Request) -> F,
) -> Response {
    let origin = req.headers().get(ORIGIN).cloned();
    let allowed = origin
        .clone()
        .filter(|o| o.to_str().is_ok_and(|o| policy.allows(o)));
    let is_preflight = req.method() == Method::OPTIONS
        && req.headers().contains_key(ACCESS_CONTROL_REQUEST_METHOD);
    let mut res = match &allowed {
        Some(_) if is_preflight => preflight(),
        _ => next(req).await,
    };
    if origin.is_some() {
        res.headers_mut()
            .append(VARY, HeaderValue::from_static("Origin"));
    }
    if let Some(origin) = allowed {
        res.headers_mut()
            .insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    }
    res
}

fn preflight() -> Response {
    let headers = [
        (ACCESS_CONTROL_ALLOW_METHODS, "GET, HEAD, POST, PUT, DELETE"),
        (ACCESS_CONTROL_ALLOW_HEADERS, "authorization, content-type"),
        (ACCESS_CONTROL_MAX_AGE, "600"),
    ];
    (
        StatusCode::NO_CONTENT,
        headers.map(|(n, v)| (n, HeaderValue::from_static(v))),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_validated_and_normalised() {
        let policy =
            CorsPolicy::try_new(["https://Dash.Example.com", "http://[::1]:8080"]).unwrap();
        assert!(policy.allows("https://dash.example.com"));
        assert!(policy.allows("http://[::1]:8080"));
        assert!(!policy.allows("https://dash.example.com.evil"));
        assert!(!policy.allows("http://dash.example.com"));
        for bad in [
            "*",
            "https://",
            "dash.example.com",
            "https://a/b",
            "https://*.example.com",
        ] {
            assert!(CorsPolicy::try_new([bad]).is_err(), "{bad}");
        }
    }
}
