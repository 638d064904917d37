//! Browser sessions: form login, `?token=` exchange, cookie flags, redirects and logout.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};

use crate::{ADMIN, VIEWER, WRONG, app, assert_flat, config, get_req, request, send, text};

fn login(form: &str) -> Request<Body> {
    request("POST", "/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form.to_owned()))
        .unwrap()
}

fn with_cookie(method: &str, uri: &str, set_cookie: &str) -> Request<Body> {
    let pair = set_cookie.split(';').next().unwrap();
    request(method, uri)
        .header(header::COOKIE, pair)
        .body(Body::empty())
        .unwrap()
}

fn set_cookie(res: &axum::http::Response<Body>) -> String {
    res.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned()
}

fn assert_session_cookie(cookie: &str, is_secure: bool) {
    let (pair, attributes) = cookie.split_once("; ").unwrap();
    let id = pair.strip_prefix("upsight_session=").unwrap();
    assert_eq!(id.len(), 64, "256-bit id, hex");
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
    let expected = if is_secure {
        "HttpOnly; SameSite=Strict; Path=/; Secure"
    } else {
        "HttpOnly; SameSite=Strict; Path=/"
    };
    assert_eq!(attributes, expected);
}

#[tokio::test]
async fn form_login_sets_the_cookie_and_redirects_to_next() {
    let app = app(config());
    let res = send(
        &app,
        login(&format!("token={VIEWER}&next=%2Fdashboard%3Frange%3D1h")),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[header::LOCATION], "/dashboard?range=1h");
    let cookie = set_cookie(&res);
    assert_session_cookie(&cookie, false);

    let res = send(&app, with_cookie("GET", "/api/v1/devices", &cookie)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(text(res).await, "Viewer", "the session remembers the role");
    let res = send(&app, with_cookie("POST", "/api/v1/devices", &cookie)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_admin_session_can_write_but_not_cross_site() {
    let app = app(config());
    let res = send(&app, login(&format!("token={ADMIN}"))).await;
    assert_eq!(res.headers()[header::LOCATION], "/");
    let cookie = set_cookie(&res);
    let res = send(&app, with_cookie("POST", "/api/v1/devices", &cookie)).await;
    assert_eq!(text(res).await, "Admin");

    let mut cross = with_cookie("POST", "/api/v1/devices", &cookie);
    cross
        .headers_mut()
        .insert("sec-fetch-site", "cross-site".parse().unwrap());
    let res = send(&app, cross).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_flat(res, "cross-site request refused").await;
}

#[tokio::test]
async fn wrong_token_or_wrong_media_type_is_refused() {
    let app = app(config());
    let res = send(&app, login(&format!("token={WRONG}"))).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(!res.headers().contains_key(header::SET_COOKIE));
    let json = request("POST", "/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(format!("{{\"token\":\"{VIEWER}\"}}")))
        .unwrap();
    let res = send(&app, json).await;
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_flat(res, "unsupported media type").await;
}

#[tokio::test]
async fn open_redirects_are_refused() {
    let app = app(config());
    for next in [
        "//evil.example",
        "https://evil.example/",
        "/%5Cevil.example",
        "%2F%2Fevil",
    ] {
        let res = send(&app, login(&format!("token={VIEWER}&next={next}"))).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{next}");
        assert!(!res.headers().contains_key(header::SET_COOKIE), "{next}");
        assert!(!res.headers().contains_key(header::LOCATION), "{next}");
    }
    let req = request("POST", "/login?next=//evil.example")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("token={VIEWER}")))
        .unwrap();
    assert_eq!(send(&app, req).await.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn query_token_is_exchanged_for_a_cookie_and_stripped() {
    let mut config = config();
    config.sessions.is_cookie_secure = true;
    let app = app(config);
    let uri = format!("/dashboard?range=1h&token={VIEWER}&ups=a+b");
    let res = send(&app, get_req(&uri)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()[header::LOCATION],
        "/dashboard?range=1h&ups=a+b"
    );
    let cookie = set_cookie(&res);
    assert_session_cookie(&cookie, true);
    let res = send(&app, with_cookie("GET", "/dashboard", &cookie)).await;
    assert_eq!(text(res).await, "Viewer");

    let res = send(&app, get_req(&format!("/api/v1/devices?token={ADMIN}"))).await;
    assert_eq!(res.headers()[header::LOCATION], "/api/v1/devices");
}

#[tokio::test]
async fn a_wrong_query_token_is_401() {
    let res = send(
        &app(config()),
        get_req(&format!("/dashboard?token={WRONG}")),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(!res.headers().contains_key(header::SET_COOKIE));
    assert_flat(res, "unauthorized").await;
}

#[tokio::test]
async fn logout_revokes_the_session_server_side() {
    let app = app(config());
    let cookie = set_cookie(&send(&app, login(&format!("token={VIEWER}"))).await);
    let res = send(&app, with_cookie("POST", "/logout", &cookie)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[header::LOCATION], "/");
    assert!(set_cookie(&res).starts_with("upsight_session=; "));
    assert!(set_cookie(&res).contains("Max-Age=0"));
    let res = send(&app, with_cookie("GET", "/dashboard", &cookie)).await;
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "the old cookie is dead"
    );
}

#[tokio::test]
async fn an_open_login_page_coexists_with_the_login_form_target() {
    use axum::Router;
    use axum::routing::get;
    use upsight_http::Hardening;

    let page = Router::new().route("/login", get(|| async { "<form>" }));
    let app = Hardening::new(config()).open(page).build();
    let res = send(&app, get_req("/login")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(text(res).await, "<form>");
    let res = send(&app, login(&format!("token={VIEWER}"))).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}
