//! Bearer authentication, roles and the metrics token (the auth-failure log line is tested in
//! `tests/audit_log.rs`, a binary of its own).

use axum::http::{StatusCode, header};
use upsight_http::TokenSet;

use crate::{ADMIN, METRICS, VIEWER, WRONG, app, assert_flat, bearer, config, get_req, send, text};

#[tokio::test]
async fn missing_token_is_401_with_a_bearer_challenge() {
    let res = send(&app(config()), get_req("/api/v1/devices")).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        res.headers()[header::WWW_AUTHENTICATE],
        "Bearer realm=\"upsight\""
    );
    assert_flat(res, "unauthorized").await;
}

#[tokio::test]
async fn wrong_or_malformed_credentials_are_401() {
    let app = app(config());
    let res = send(&app, bearer("GET", "/api/v1/devices", WRONG)).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        res.headers()[header::WWW_AUTHENTICATE],
        "Bearer realm=\"upsight\""
    );
    assert_flat(res, "unauthorized").await;
    let basic = crate::request("GET", "/api/v1/devices")
        .header(header::AUTHORIZATION, format!("Basic {VIEWER}"))
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(send(&app, basic).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn viewer_reads_but_is_403_on_an_admin_route() {
    let app = app(config());
    let res = send(&app, bearer("GET", "/api/v1/devices", VIEWER)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(text(res).await, "Viewer");
    let res = send(&app, bearer("POST", "/api/v1/devices", VIEWER)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_flat(res, "admin role required").await;
}

#[tokio::test]
async fn admin_is_accepted_on_admin_and_viewer_routes() {
    let app = app(config());
    let res = send(&app, bearer("POST", "/api/v1/devices", ADMIN)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(text(res).await, "Admin");
    let res = send(&app, bearer("GET", "/api/v1/devices", ADMIN)).await;
    assert_eq!(text(res).await, "Admin");
}

#[tokio::test]
async fn admin_routes_are_403_when_no_admin_token_is_configured() {
    let mut config = config();
    config.credentials.admin = None;
    let res = send(&app(config), bearer("POST", "/api/v1/devices", VIEWER)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_flat(res, "no admin token is configured").await;
}

#[tokio::test]
async fn metrics_are_open_by_default_and_gated_by_a_metrics_token() {
    let res = send(&app(config()), get_req("/metrics")).await;
    assert_eq!(res.status(), StatusCode::OK);

    let mut gated = config();
    gated.credentials.metrics = Some(TokenSet::parse_list(METRICS).unwrap());
    let app = app(gated);
    let res = send(&app, get_req("/metrics")).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        res.headers()[header::WWW_AUTHENTICATE],
        "Bearer realm=\"upsight\""
    );
    for token in [METRICS, VIEWER, ADMIN] {
        let res = send(&app, bearer("GET", "/metrics", token)).await;
        assert_eq!(res.status(), StatusCode::OK, "{token}");
    }
    let res = send(&app, bearer("GET", "/metrics", WRONG)).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = send(&app, bearer("GET", "/api/v1/devices", METRICS)).await;
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "a metrics token cannot read the API"
    );
}

#[tokio::test]
async fn open_routes_need_nothing() {
    let res = send(&app(config()), get_req("/healthz")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(text(res).await, "ok");
}

#[tokio::test]
async fn unsupported_methods_on_gated_paths_do_not_leak_to_anonymous_clients() {
    let app = app(config());
    let anonymous = crate::request("DELETE", "/api/v1/devices")
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(
        send(&app, anonymous).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let res = send(&app, bearer("DELETE", "/api/v1/devices", ADMIN)).await;
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(res.headers()[header::ALLOW], "GET,HEAD,POST");
    assert_flat(res, "method not allowed").await;
}
