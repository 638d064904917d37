//! CORS allowlist and the public-bind policy.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use upsight_http::{CorsPolicy, Exposure, HttpConfig, bind};

use crate::{VIEWER, app, assert_flat, bearer, config, get_req, request, send};

const LISTED: &str = "https://dash.example.com";

fn with_cors() -> HttpConfig {
    let mut config = config();
    config.cors = CorsPolicy::try_new([LISTED]).unwrap();
    config
}

fn from_origin(method: &str, uri: &str, origin: &str) -> axum::http::request::Builder {
    request(method, uri).header(header::ORIGIN, origin)
}

fn preflight(origin: &str) -> Request<Body> {
    from_origin("OPTIONS", "/api/v1/devices", origin)
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "GET")
        .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "authorization")
        .body(Body::empty())
        .unwrap()
}

#[tokio::test]
async fn a_listed_origin_is_echoed_on_answers_and_errors() {
    let app = app(with_cors());
    let req = from_origin("GET", "/api/v1/devices", LISTED)
        .header(header::AUTHORIZATION, format!("Bearer {VIEWER}"))
        .body(Body::empty())
        .unwrap();
    let res = send(&app, req).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], LISTED);
    assert_eq!(res.headers()[header::VARY], "Origin");

    let anonymous = from_origin("GET", "/api/v1/devices", LISTED)
        .body(Body::empty())
        .unwrap();
    let res = send(&app, anonymous).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], LISTED);
}

#[tokio::test]
async fn a_listed_preflight_is_answered() {
    let res = send(&app(with_cors()), preflight(LISTED)).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(res.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], LISTED);
    let methods = res.headers()[header::ACCESS_CONTROL_ALLOW_METHODS]
        .to_str()
        .unwrap();
    assert!(methods.contains("GET") && methods.contains("POST"));
    assert!(
        res.headers()
            .contains_key(header::ACCESS_CONTROL_ALLOW_HEADERS)
    );
}

#[tokio::test]
async fn other_origins_get_nothing() {
    let app = app(with_cors());
    for origin in [
        "https://evil.example",
        "https://dash.example.com.evil.example",
        "null",
    ] {
        let res = send(&app, bearer_from(origin)).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(
            !res.headers()
                .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN),
            "{origin}"
        );
        // Not answered here: it reaches the gated route like any anonymous request.
        let res = send(&app, preflight(origin)).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{origin}");
        assert!(
            !res.headers()
                .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN),
            "{origin}"
        );
        assert!(
            !res.headers()
                .contains_key(header::ACCESS_CONTROL_ALLOW_METHODS),
            "{origin}"
        );
    }
    let without_cors = crate::app(config());
    let res = send(&without_cors, preflight(LISTED)).await;
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "an empty allowlist allows none"
    );
    assert!(
        !res.headers()
            .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN)
    );
}

fn bearer_from(origin: &str) -> Request<Body> {
    let mut req = bearer("GET", "/api/v1/devices", VIEWER);
    req.headers_mut()
        .insert(header::ORIGIN, origin.parse().unwrap());
    req
}

#[tokio::test]
async fn a_public_bind_without_viewer_token_closes_dashboard_and_api_only() {
    let mut config = config();
    config.exposure = Exposure::Public;
    config.credentials.viewer = None;
    let app = app(config);
    for uri in ["/api/v1/devices", "/dashboard"] {
        let res = send(&app, get_req(uri)).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{uri}");
        assert_flat(res, bind::CLOSED_REASON).await;
    }
    assert_eq!(
        bind::CLOSED_REASON,
        "set a viewer token (UPSIGHT_VIEWER_TOKEN) to use the dashboard and API on a non-loopback address"
    );
    let login = request("POST", "/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("token=x"))
        .unwrap();
    assert_eq!(send(&app, login).await.status(), StatusCode::FORBIDDEN);
    for uri in ["/metrics", "/healthz"] {
        assert_eq!(
            send(&app, get_req(uri)).await.status(),
            StatusCode::OK,
            "{uri}"
        );
    }
}

#[tokio::test]
async fn a_public_bind_with_viewer_token_is_gated_normally() {
    let mut config = config();
    config.exposure = Exposure::Public;
    let app = app(config);
    assert_eq!(
        send(&app, get_req("/api/v1/devices")).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let res = send(&app, bearer("GET", "/api/v1/devices", VIEWER)).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn loopback_without_tokens_is_open_for_viewers() {
    let mut config = config();
    config.credentials.viewer = None;
    let res = send(&app(config), get_req("/api/v1/devices")).await;
    assert_eq!(res.status(), StatusCode::OK);
}
