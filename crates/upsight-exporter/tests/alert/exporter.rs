//! The whole exporter: a simulated UPS flips to battery and back, and the alerts arrive
//! over HTTPS; the test endpoint and the alert API behave.

use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::support::{OK, http_get, next, pki, receiver, webhook};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_exporter_alerts_on_battery_and_power_restored_over_https() {
    let pki = pki();
    let mut rx = receiver(&pki, OK.to_owned()).await;
    let device = upsight_sim::Device::parse("ups.status: OL\nbattery.charge: 100\n").unwrap();
    let sim = upsight_sim::Simulator::new()
        .with_device("rack".into(), device)
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    let admin = "admin-token-for-the-alert-test-0123456789";
    let text = format!(
        "interval = \"200ms\"\n[http]\nadmin_token = \"{admin}\"\nviewer_token = \"{admin}x\"\n\
         [[nut]]\naddress = \"{}\"\n{}",
        sim.addr(),
        webhook(
            &format!("https://127.0.0.1:{}/hook?k=secret", rx.port),
            "\"127.0.0.1\"",
            &pki
        )
    );
    let mut config = upsight_exporter::Config::parse(&text, &|_| None).unwrap();
    config.alerts.check_targets().await.unwrap();
    config.http.rate_limit =
        upsight_http::RateLimitConfig::try_new(Duration::from_millis(1), 10_000, 100).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = CancellationToken::new();
    let cancel = stop.clone();
    let task = tokio::spawn(upsight_exporter::run(config, listener, async move {
        cancel.cancelled().await;
    }));
    // The first poll sets the baseline (no event): flip only once the device is up.
    for _ in 0..100 {
        let (_, metrics) = http_get(addr, "GET", "/metrics", "").await;
        if metrics.contains("ups_up{ups=\"rack\"} 1") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(sim.set_var("rack", "ups.status", "OB DISCHRG"));
    let on_battery = next(&mut rx).await;
    assert_eq!(
        on_battery.json()["event"],
        "on_battery",
        "{:?}",
        on_battery.json()
    );
    assert_eq!(on_battery.json()["device"], "rack");
    assert!(sim.set_var("rack", "ups.status", "OL"));
    let on_line = next(&mut rx).await;
    assert_eq!(on_line.json()["event"], "on_line");
    // The receiver answers before the alerter counts the delivery: wait (bounded) for the count.
    let sent = "upsight_alert_deliveries_total{target=\"hook\",outcome=\"sent\"} 2";
    let mut metrics = String::new();
    for _ in 0..100 {
        let (status, body) = http_get(addr, "GET", "/metrics", "").await;
        assert_eq!(status, 200);
        metrics = body;
        if metrics.contains(sent) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(metrics.contains(sent), "{metrics}");
    let (status, body) = http_get(addr, "POST", "/api/v1/alerts/test", admin).await;
    assert_eq!(status, 202, "{body}");
    let test = next(&mut rx).await;
    assert!(test.body.len() > 2);
    let (status, body) = http_get(addr, "POST", "/api/v1/alerts/test", admin).await;
    assert_eq!(
        status, 429,
        "the test endpoint has its own cooldown: {body}"
    );
    assert!(body.to_ascii_lowercase().contains("retry-after:"), "{body}");
    let (status, body) = http_get(addr, "GET", "/api/v1/alerts", admin).await;
    assert_eq!(status, 200);
    assert!(
        !body.contains("secret"),
        "the URL's query is withheld: {body}"
    );
    stop.cancel();
    let _ = task.await;
}
