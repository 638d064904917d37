//! Turning a token into a session: `POST /login` (form field `token`, optional `next`), a
//! `?token=` query on any gated GET page, and `POST /logout`.
//!
//! Both logins answer 303 with the session cookie. The form redirects to `next` (same-origin
//! paths only, default `/`); the query login redirects to the same URL without its `token`
//! parameter, so the token leaves the address bar and history at once.

use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_TYPE, LOCATION, SET_COOKIE};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::time::Instant;

use super::redirect::parse_next;
use super::urlencoded::{find, without};
use super::{parse_cookie, render_clear_cookie, render_cookie};
use crate::auth::{Auth, record_denial};
use crate::{ApiError, limits};

/// Largest login form read; a token is at most 512 bytes, so this is generous.
const MAX_FORM_BYTES: usize = 8 * 1024;

/// The query and form parameter holding the token.
const TOKEN_PARAM: &str = "token";

/// The query and form parameter holding the redirect target.
const NEXT_PARAM: &str = "next";

/// `POST /login`: checks the `token` field and opens a session with the role it grants.
pub(crate) async fn login(State(auth): State<Auth>, req: Request) -> Response {
    match try_login(&auth, req).await {
        Ok(res) => res,
        Err(err) => err.into_response(),
    }
}

async fn try_login(auth: &Auth, req: Request) -> Result<Response, ApiError> {
    let is_form = req.headers().get(CONTENT_TYPE).is_some_and(|ct| {
        ct.to_str().is_ok_and(|ct| {
            ct.split(';').next().is_some_and(|mime| {
                mime.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            })
        })
    });
    if !is_form {
        return Err(ApiError::UnsupportedMediaType);
    }
    let query = req.uri().query().unwrap_or_default().to_owned();
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, MAX_FORM_BYTES).await.map_err(|err| {
        if limits::is_over_cap(&err) {
            ApiError::PayloadTooLarge
        } else {
            ApiError::BadRequest("unreadable form body".into())
        }
    })?;
    let form = std::str::from_utf8(&bytes)
        .map_err(|_| ApiError::BadRequest("form body is not UTF-8".into()))?;
    let next = find(form, NEXT_PARAM)
        .or_else(|| find(&query, NEXT_PARAM))
        .unwrap_or("/".into());
    let next = parse_next(&next).map_err(|e| ApiError::BadRequest(e.to_string().into()))?;
    let token = find(form, TOKEN_PARAM).unwrap_or_default();
    let req = Request::from_parts(parts, ());
    open_session(auth, &req, token.as_bytes(), next)
}

/// Opens a session for `token` and answers 303 to `location` with the cookie, or 401.
fn open_session<B>(
    auth: &Auth,
    req: &Request<B>,
    token: &[u8],
    location: &str,
) -> Result<Response, ApiError> {
    let Some(role) = auth.credentials.role_of(token) else {
        let reason = if token.is_empty() {
            "missing credentials"
        } else {
            "wrong credentials"
        };
        record_denial(&auth.counters, req, 401, reason);
        return Err(ApiError::Unauthorized);
    };
    let id = auth
        .sessions
        .open(role, Instant::now())
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let location = HeaderValue::from_str(location)
        .map_err(|_| ApiError::BadRequest("redirect target is not a valid header".into()))?;
    let cookie = render_cookie(&id, auth.sessions.config().is_cookie_secure);
    Ok((
        StatusCode::SEE_OTHER,
        [(LOCATION, location), (SET_COOKIE, cookie)],
    )
        .into_response())
}

/// `POST /logout`: ends the session server-side, clears the cookie, 303 to `next` or `/`.
pub(crate) async fn logout(State(auth): State<Auth>, req: Request) -> Response {
    if let Some(id) = parse_cookie(req.headers()) {
        auth.sessions.revoke(id);
    }
    let query = req.uri().query().unwrap_or_default();
    let next = find(query, NEXT_PARAM).unwrap_or("/".into());
    let Ok(next) = parse_next(&next) else {
        return ApiError::BadRequest("redirect target is not a same-origin path".into())
            .into_response();
    };
    let location = HeaderValue::from_str(next).unwrap_or(HeaderValue::from_static("/"));
    let cookie = render_clear_cookie(auth.sessions.config().is_cookie_secure);
    (
        StatusCode::SEE_OTHER,
        [(LOCATION, location), (SET_COOKIE, cookie)],
    )
        .into_response()
}

/// Exchanges a `?token=` on a GET for a session cookie and a 303 to the same URL without the
/// token (other parameters kept in order). Requests without the parameter pass through.
pub(crate) async fn exchange_query_token(
    State(auth): State<Auth>,
    req: Request,
    next: Next,
) -> Response {
    let query = req.uri().query().unwrap_or_default();
    let token = match find(query, TOKEN_PARAM) {
        Some(token) if req.method() == Method::GET => token,
        _ => return next.run(req).await,
    };
    // The request target is client-chosen: `GET //evil.example/?token=…` must not redirect
    // off-site, so the path passes the same check as a form's `next`.
    let Ok(path) = parse_next(req.uri().path()) else {
        return ApiError::BadRequest("request path is not a same-origin path".into())
            .into_response();
    };
    let rest = without(query, TOKEN_PARAM);
    let location = if rest.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{rest}")
    };
    match open_session(&auth, &req, token.as_bytes(), &location) {
        Ok(res) => res,
        Err(err) => err.into_response(),
    }
}
