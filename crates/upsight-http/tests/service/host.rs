//! The Host check (DNS rebinding): 421 on a loopback bind for a foreign host, counted, before
//! the rate limit; nothing on a public bind unless `allowed_hosts` is set.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::routing::get;
use upsight_http::{
    AllowedHosts, Exposure, Hardening, HostPolicy, HttpConfig, RateLimitConfig, SecurityCounters,
};

use crate::{assert_flat, config, request, send};

fn app(config: HttpConfig) -> (Router, std::sync::Arc<SecurityCounters>) {
    let hardening =
        Hardening::new(config).open(Router::new().route("/healthz", get(|| async { "ok" })));
    let counters = hardening.counters();
    (hardening.build(), counters)
}

fn with_host(uri: &str, host: &str) -> Request<Body> {
    request("GET", uri)
        .header(header::HOST, host)
        .body(Body::empty())
        .unwrap()
}

fn allowed(list: &[&str]) -> AllowedHosts {
    let list: Vec<String> = list.iter().map(|s| (*s).to_owned()).collect();
    AllowedHosts::try_new(&list).unwrap()
}

#[tokio::test]
async fn a_loopback_bind_refuses_foreign_hosts_with_a_flat_421() {
    let (app, counters) = app(config());
    for host in [
        "localhost:9955",
        "127.0.0.1:9955",
        "[::1]:9955",
        "a.localhost",
    ] {
        let res = send(&app, with_host("/healthz", host)).await;
        assert_eq!(res.status(), StatusCode::OK, "{host}");
    }
    for host in ["evil.example:9955", "127.0.0.1.nip.io", "192.168.1.5"] {
        let res = send(&app, with_host("/healthz", host)).await;
        assert_eq!(res.status(), StatusCode::MISDIRECTED_REQUEST, "{host}");
        assert_flat(res, "misdirected request").await;
    }
    assert_eq!(counters.misdirected(), 3);
    let no_host = request("GET", "/healthz").body(Body::empty()).unwrap();
    assert_eq!(send(&app, no_host).await.status(), StatusCode::OK);
    let not_utf8 = request("GET", "/healthz")
        .header(
            header::HOST,
            header::HeaderValue::from_bytes(b"loc\xffalhost").unwrap(),
        )
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        send(&app, not_utf8).await.status(),
        StatusCode::MISDIRECTED_REQUEST
    );
}

#[tokio::test]
async fn an_absolute_form_target_is_judged_by_its_authority() {
    let (app, _) = app(config());
    let res = send(&app, with_host("http://evil.example/healthz", "localhost")).await;
    assert_eq!(res.status(), StatusCode::MISDIRECTED_REQUEST);
    let res = send(
        &app,
        with_host("http://127.0.0.1:1/healthz", "evil.example"),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_rebinding_page_cannot_spend_the_loopback_rate_limit() {
    let mut config = config();
    config.rate_limit = RateLimitConfig::try_new(Duration::from_secs(3600), 2, 10).unwrap();
    let (app, counters) = app(config);
    for _ in 0..10 {
        let res = send(&app, with_host("/healthz", "evil.example")).await;
        assert_eq!(res.status(), StatusCode::MISDIRECTED_REQUEST);
    }
    let res = send(&app, with_host("/healthz", "localhost")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(counters.rate_limited(), 0);
}

#[tokio::test]
async fn a_public_bind_checks_only_with_allowed_hosts() {
    let mut open = config();
    open.hosts = HostPolicy::new(Exposure::Public, AllowedHosts::default());
    let (app_open, _) = app(open);
    let res = send(&app_open, with_host("/healthz", "anything.example")).await;
    assert_eq!(res.status(), StatusCode::OK);

    let mut listed = config();
    listed.hosts = HostPolicy::new(Exposure::Public, allowed(&["ups.example.net"]));
    let (app_listed, counters) = app(listed);
    for (host, status) in [
        ("ups.example.net:443", StatusCode::OK),
        ("UPS.EXAMPLE.NET", StatusCode::OK),
        ("127.0.0.1:9955", StatusCode::OK),
        ("198.51.100.7:9955", StatusCode::MISDIRECTED_REQUEST),
        (
            "ups.example.net.evil.example",
            StatusCode::MISDIRECTED_REQUEST,
        ),
    ] {
        let res = send(&app_listed, with_host("/healthz", host)).await;
        assert_eq!(res.status(), status, "{host}");
    }
    assert_eq!(counters.misdirected(), 2);
}

#[tokio::test]
async fn allowed_hosts_extend_a_loopback_bind_for_a_proxy_keeping_the_public_name() {
    let mut config = config();
    config.hosts = HostPolicy::new(Exposure::Loopback, allowed(&["fleet.example.net"]));
    let (app, _) = app(config);
    let res = send(&app, with_host("/healthz", "fleet.example.net")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = send(&app, with_host("/healthz", "other.example.net")).await;
    assert_eq!(res.status(), StatusCode::MISDIRECTED_REQUEST);
}
