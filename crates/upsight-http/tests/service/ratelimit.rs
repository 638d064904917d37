//! Per-client-IP rate limiting through the stack, before auth, with trusted-proxy XFF.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use upsight_http::{RateLimitConfig, TrustedProxies};

use crate::{app, assert_flat, config, from, send};

/// Three requests per client, then one per minute.
fn strict() -> upsight_http::HttpConfig {
    let mut config = config();
    config.rate_limit = RateLimitConfig::try_new(Duration::from_secs(60), 3, 1_000).unwrap();
    config
}

fn get_from(peer: &str, xff: Option<&str>) -> Request<Body> {
    let mut req = from(peer, "GET", "/healthz");
    if let Some(xff) = xff {
        req = req.header("x-forwarded-for", xff);
    }
    req.body(Body::empty()).unwrap()
}

#[tokio::test]
async fn a_burst_ends_in_429_with_retry_after() {
    let app = app(strict());
    for _ in 0..3 {
        let res = send(&app, get_from("198.51.100.1:1000", None)).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    let res = send(&app, get_from("198.51.100.1:2000", None)).await;
    assert_eq!(
        res.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the port is not part of the key"
    );
    let retry: u64 = res.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    assert_flat(res, "too many requests").await;
    let other = send(&app, get_from("198.51.100.2:1000", None)).await;
    assert_eq!(
        other.status(),
        StatusCode::OK,
        "other clients are unaffected"
    );
}

#[tokio::test]
async fn the_limit_applies_before_auth() {
    let app = app(strict());
    let unauthenticated = || {
        from("198.51.100.3:1000", "GET", "/api/v1/devices")
            .body(Body::empty())
            .unwrap()
    };
    for _ in 0..3 {
        assert_eq!(
            send(&app, unauthenticated()).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let res = send(&app, unauthenticated()).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(!res.headers().contains_key(header::WWW_AUTHENTICATE));
}

#[tokio::test]
async fn forwarded_for_from_an_untrusted_peer_is_ignored() {
    let app = app(strict());
    for i in 0..3 {
        let xff = format!("203.0.113.{i}");
        let res = send(&app, get_from("198.51.100.4:1000", Some(&xff))).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    let res = send(&app, get_from("198.51.100.4:1000", Some("203.0.113.99"))).await;
    assert_eq!(
        res.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "rotating XFF does not help"
    );
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_right_most_untrusted_hop_is_the_client() {
    let mut config = strict();
    config.trusted_proxies = TrustedProxies::new(vec!["10.0.0.0/8".parse().unwrap()]);
    let app = app(config);
    let proxy = "10.0.0.1:5000";
    for spoof in ["1.1.1.1", "2.2.2.2", "3.3.3.3"] {
        let xff = format!("{spoof}, 203.0.113.5, 10.0.0.2");
        assert_eq!(
            send(&app, get_from(proxy, Some(&xff))).await.status(),
            StatusCode::OK
        );
    }
    let res = send(&app, get_from(proxy, Some("4.4.4.4, 203.0.113.5"))).await;
    assert_eq!(
        res.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "spoofed left hops are ignored"
    );
    let res = send(&app, get_from(proxy, Some("203.0.113.6"))).await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "another client behind the same proxy"
    );
}

#[tokio::test]
async fn many_distinct_clients_are_all_served_with_a_small_cap() {
    let mut config = strict();
    config.rate_limit = RateLimitConfig::try_new(Duration::from_secs(60), 1, 64).unwrap();
    let app = app(config);
    for i in 0..2_000u32 {
        let peer = format!("10.{}.{}.{}:1", i >> 16, (i >> 8) & 0xff, i & 0xff);
        let res = send(&app, get_from(&peer, None)).await;
        assert_eq!(res.status(), StatusCode::OK, "{peer}");
    }
}

#[tokio::test]
async fn refusals_are_counted() {
    use axum::Router;
    use axum::routing::get;
    use upsight_http::Hardening;

    let hardening = Hardening::new(strict())
        .viewer(Router::new().route("/api/v1/devices", get(|| async { "[]" })));
    let counters = hardening.counters();
    let app = hardening.build();
    for _ in 0..4 {
        send(
            &app,
            from("198.51.100.7:1", "GET", "/api/v1/devices")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    }
    assert_eq!(counters.auth_failures(), 3);
    assert_eq!(counters.rate_limited(), 1);
}

#[tokio::test]
async fn an_exempt_path_is_not_limited_per_ip_but_others_still_are() {
    let mut config = strict();
    config.ip_limit_exempt = vec!["/healthz"];
    let app = app(config);
    for _ in 0..10 {
        let res = send(&app, get_from("198.51.100.9:1000", None)).await;
        assert_eq!(res.status(), StatusCode::OK, "/healthz is exempt");
    }
    let mut last = StatusCode::OK;
    for _ in 0..4 {
        let req = from("198.51.100.9:1000", "GET", "/api/v1/devices")
            .body(Body::empty())
            .unwrap();
        last = send(&app, req).await.status();
    }
    assert_eq!(
        last,
        StatusCode::TOO_MANY_REQUESTS,
        "other paths keep the limit"
    );
}
