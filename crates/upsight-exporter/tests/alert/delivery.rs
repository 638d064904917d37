//! Deliveries that reach a receiver (or fail on the way): bodies and headers as sent, the
//! test alert and its cooldown, redirects, TLS and connect failures, and failure details.

use std::time::{Duration, Instant, SystemTime};

use serde_json::json;
use upsight_exporter::alert::{FailReason, Notice, Outcome, TestError, build_request, client};
use upsight_model::EventKind;

use crate::support::{
    OK, Trap, config, count, event, next, pki, receiver, settled, start, webhook,
};

#[tokio::test]
async fn on_battery_and_on_line_are_delivered_as_json() {
    let pki = pki();
    let mut rx = receiver(&pki, OK.into()).await;
    let url = format!("https://127.0.0.1:{}/hook?key=k1", rx.port);
    let text = webhook(&url, "\"127.0.0.1\"", &pki) + "token = \"bearer-token-1\"\n";
    let config = config(&text);
    config.check_targets().await.unwrap();
    let (alerter, _stop) = start(config);

    alerter.notify(&event(EventKind::OnBattery, 1));
    let got = next(&mut rx).await;
    assert_eq!(got.request_line, "POST /hook?key=k1 HTTP/1.1");
    assert_eq!(got.header("content-type"), Some("application/json"));
    assert_eq!(got.header("authorization"), Some("Bearer bearer-token-1"));
    assert!(got.header("user-agent").unwrap().starts_with("upsight/"));
    assert_eq!(
        got.json(),
        json!({"device": "rack", "event": "on_battery", "severity": "warning",
               "at": "2023-11-14T22:13:20Z", "message": "rack: on battery", "seq": 1})
    );

    // The recovery notice: on_line is info (below the default min_severity) but clears the
    // on_battery this target was told about.
    alerter.notify(&event(EventKind::OnLine, 2));
    let got = next(&mut rx).await;
    assert_eq!(
        got.json(),
        json!({"device": "rack", "event": "on_line", "severity": "info",
               "at": "2023-11-14T22:13:20Z", "message": "rack: on line", "seq": 2})
    );
    assert_eq!(settled(&alerter, 2).await, []);
    assert_eq!(count(&alerter, Outcome::Sent), 2);

    // The test alert, then its cooldown.
    let now = Instant::now();
    alerter.test(Some("hook"), now).unwrap();
    assert_eq!(next(&mut rx).await.json()["event"], "test");
    assert!(matches!(
        alerter.test(None, now + Duration::from_secs(1)),
        Err(TestError::TooSoon { .. })
    ));
    assert_eq!(settled(&alerter, 3).await, []);
}

#[tokio::test]
async fn an_allow_listed_host_name_is_pinned_and_delivered() {
    let pki = pki();
    let mut rx = receiver(&pki, OK.into()).await;
    let url = format!("https://localhost:{}/", rx.port);
    let config = config(&webhook(&url, "\"localhost\"", &pki));
    config.check_targets().await.unwrap();
    let (alerter, _stop) = start(config);
    alerter.notify(&event(EventKind::LowBattery, 3));
    assert_eq!(next(&mut rx).await.json()["event"], "low_battery");
    assert_eq!(settled(&alerter, 1).await, []);
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let pki = pki();
    let trap = Trap::new();
    let reply = format!(
        "HTTP/1.1 302 Found\r\nlocation: https://127.0.0.1:{}/\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        trap.port()
    );
    let mut rx = receiver(&pki, reply).await;
    let url = format!("https://127.0.0.1:{}/", rx.port);
    let (alerter, _stop) = start(config(&webhook(&url, "\"127.0.0.1\"", &pki)));
    alerter.notify(&event(EventKind::OnBattery, 1));
    assert_eq!(next(&mut rx).await.json()["event"], "on_battery");
    assert_eq!(settled(&alerter, 1).await, [FailReason::HttpStatus]);
    trap.assert_untouched();
}

#[tokio::test]
async fn a_certificate_from_another_ca_fails_as_tls() {
    let server_pki = pki();
    let other = pki();
    let rx = receiver(&server_pki, OK.into()).await;
    let url = format!("https://127.0.0.1:{}/", rx.port);
    let (alerter, _stop) = start(config(&webhook(&url, "\"127.0.0.1\"", &other)));
    alerter.notify(&event(EventKind::OnBattery, 1));
    assert_eq!(settled(&alerter, 1).await, [FailReason::Tls]);
}

#[tokio::test]
async fn a_closed_port_fails_as_connect() {
    let pki = pki();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("https://127.0.0.1:{port}/");
    let (alerter, _stop) = start(config(&webhook(&url, "\"127.0.0.1\"", &pki)));
    alerter.notify(&event(EventKind::OnBattery, 1));
    assert_eq!(settled(&alerter, 1).await, [FailReason::Connect]);
}

/// The failure description goes to the log: it must not carry the URL's path or query.
#[tokio::test]
async fn failure_details_never_show_the_url() {
    let server_pki = pki();
    let other = pki();
    let rx = receiver(&server_pki, OK.into()).await;
    let url = format!(
        "https://127.0.0.1:{}/services/PATHSECRET?token=QUERYSECRET",
        rx.port
    );
    let config = config(&webhook(&url, "\"127.0.0.1\"", &other));
    let target = &config.targets[0];
    let notice = Notice::test(&target.name, SystemTime::now());
    let request = build_request(target, &notice);
    let failure = client::send(&config.guard(), target, request)
        .await
        .unwrap_err();
    assert_eq!(failure.reason, FailReason::Tls);
    assert!(failure.detail.contains("certificate"), "{}", failure.detail);
    assert!(!failure.detail.contains("SECRET"), "{}", failure.detail);
}
