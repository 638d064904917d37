//! Security headers on every response, and no version banner.
//!
//! The hardening stack runs this as its outermost layer, so responses produced by inner layers
//! (401, 403, 404, 405, 413, 429, 503) carry the headers too. The values overwrite whatever a
//! handler set, except `Cache-Control`: a handler serving a fingerprinted static asset may allow
//! caching; everything else gets `no-store`.

use std::sync::LazyLock;

use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, SERVER, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::response::Response;

/// No inline script or style, nothing cross-origin, no framing, forms post to us only.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; \
form-action 'self'";

/// Every powerful browser feature denied to every origin, ourselves included.
pub const PERMISSIONS_POLICY: &str = "accelerometer=(), autoplay=(), camera=(), \
display-capture=(), fullscreen=(), geolocation=(), gyroscope=(), magnetometer=(), \
microphone=(), midi=(), payment=(), publickey-credentials-get=(), screen-wake-lock=(), \
usb=(), xr-spatial-tracking=()";

const PERMISSIONS_POLICY_HEADER: HeaderName = HeaderName::from_static("permissions-policy");
const COOP_HEADER: HeaderName = HeaderName::from_static("cross-origin-opener-policy");
const X_POWERED_BY: HeaderName = HeaderName::from_static("x-powered-by");

/// The headers [`insert_security_headers`] sets, in order; `Cache-Control` only where the
/// response has none.
fn fixed() -> [(HeaderName, &'static str); 7] {
    [
        (X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (X_FRAME_OPTIONS, "DENY"),
        (REFERRER_POLICY, "no-referrer"),
        (PERMISSIONS_POLICY_HEADER, PERMISSIONS_POLICY),
        (CONTENT_SECURITY_POLICY, CSP),
        (COOP_HEADER, "same-origin"),
        (CACHE_CONTROL, "no-store"),
    ]
}

/// What [`insert_security_headers`] makes of a response without headers (a 204, say):
/// cloning it costs less than inserting one header after another.
static ON_EMPTY: LazyLock<HeaderMap> = LazyLock::new(|| {
    let mut headers = HeaderMap::new();
    insert_into(&mut headers);
    headers
});

/// Sets the security headers on `headers` and removes any version banner.
pub fn insert_security_headers(headers: &mut HeaderMap) {
    if headers.is_empty() {
        headers.clone_from(&ON_EMPTY);
        return;
    }
    insert_into(headers);
}

fn insert_into(headers: &mut HeaderMap) {
    for (name, value) in fixed() {
        if name == CACHE_CONTROL && headers.contains_key(CACHE_CONTROL) {
            continue;
        }
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers.remove(SERVER);
    headers.remove(X_POWERED_BY);
}

/// [`insert_security_headers`] on a response.
pub(crate) fn secure(mut res: Response) -> Response {
    insert_security_headers(res.headers_mut());
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_set_and_banners_removed() {
        let mut headers = HeaderMap::new();
        headers.insert(SERVER, HeaderValue::from_static("hyper/1.0"));
        headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("ALLOWALL"));
        insert_security_headers(&mut headers);
        assert_eq!(headers[X_FRAME_OPTIONS], "DENY");
        assert_eq!(headers[CACHE_CONTROL], "no-store");
        assert!(!headers.contains_key(SERVER));
        assert!(
            headers[CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'")
        );
    }

    #[test]
    fn an_empty_map_gets_what_inserting_gives() {
        let mut empty = HeaderMap::new();
        insert_security_headers(&mut empty);
        let mut inserted = HeaderMap::new();
        insert_into(&mut inserted);
        assert_eq!(empty, inserted);
        let order: Vec<_> = empty.keys().collect();
        assert_eq!(order.len(), 7);
        assert_eq!(order[0], X_CONTENT_TYPE_OPTIONS);
        assert_eq!(order[6], CACHE_CONTROL);
    }

    #[test]
    fn a_handler_cache_policy_is_kept() {
        let mut headers = HeaderMap::new();
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("max-age=3600"));
        insert_security_headers(&mut headers);
        assert_eq!(headers[CACHE_CONTROL], "max-age=3600");
    }
}
