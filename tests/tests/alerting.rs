//! End to end alerting: a real Prometheus (rules from `alerting-rules/upsight.rules.yml`) and a
//! real Alertmanager on loopback watch `upsight demo`'s outage scenario (site a's `branch` UPS
//! goes on battery 30 s after start and back on line 40 s later). The on-battery alert reaches
//! Alertmanager's API firing, a webhook on loopback gets the firing notification, and both
//! see it resolve when power returns. About 80 s.

#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

use std::time::{Duration, Instant};

use anyhow::ensure;
use serde_json::Value;
use upsight_e2e::alertmanager::{Alertmanager, Webhook};
use upsight_e2e::demo::Demo;
use upsight_e2e::prometheus::Prometheus;

const LIMIT: Duration = Duration::from_secs(180);

fn branch_on_battery(alerts: &Value) -> Option<&Value> {
    alerts
        .as_array()?
        .iter()
        .find(|a| a["labels"]["alertname"] == "UpsOnBattery" && a["labels"]["ups"] == "branch")
}

fn notified(webhook: &Webhook, status: &str) -> bool {
    webhook.received().iter().any(|n| {
        n["alerts"].as_array().into_iter().flatten().any(|a| {
            a["status"] == status
                && a["labels"]["alertname"] == "UpsOnBattery"
                && a["labels"]["ups"] == "branch"
        })
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_outage_fires_and_resolves_the_on_battery_alert_in_alertmanager()
-> anyhow::Result<()> {
    let webhook = Webhook::start().await?;
    let config = format!(
        "route:\n  receiver: hook\n  group_by: [alertname, instance, ups]\n  group_wait: 1s\n  \
         group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n  - name: hook\n    \
         webhook_configs:\n      - url: http://{}/hook\n        send_resolved: true\n",
        webhook.addr
    );
    let Some(alertmanager) = Alertmanager::start(&config).await? else {
        return Ok(());
    };
    let started = Instant::now();
    let demo = Demo::start(&[], &[], 12).await?;
    let rules = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../alerting-rules/upsight.rules.yml");
    let scrape = format!(
        "  - job_name: upsight\n    static_configs:\n      - targets: ['{}']\n",
        demo.addr("exporter-site-a")?
    );
    let am = alertmanager.addr.to_string();
    let Some(prometheus) = Prometheus::start_full(&[&rules], Some(&am), &scrape).await? else {
        return Ok(());
    };

    // Firing in Alertmanager's API, and notified.
    let firing = loop {
        let alerts = alertmanager.alerts().await?;
        if let Some(alert) = branch_on_battery(&alerts)
            && alert["status"]["state"] == "active"
            && notified(&webhook, "firing")
        {
            break alert.clone();
        }
        ensure!(
            started.elapsed() < LIMIT,
            "UpsOnBattery for branch never fired: {alerts}; Prometheus alerts: {}; log:\n{}",
            prometheus.query("ALERTS").await?,
            alertmanager.log()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let fired_at = started.elapsed();
    assert_eq!(firing["labels"]["severity"], "warning");
    assert!(
        firing["annotations"]["runbook_url"]
            .as_str()
            .unwrap()
            .ends_with("docs/alerts.md#upsonbattery")
    );

    // Power returns: resolved in the API (the alert leaves the active list) and notified.
    loop {
        let alerts = alertmanager.alerts().await?;
        let active = branch_on_battery(&alerts).is_some_and(|a| a["status"]["state"] == "active");
        if !active && notified(&webhook, "resolved") {
            break;
        }
        ensure!(
            started.elapsed() < LIMIT,
            "UpsOnBattery for branch never resolved: {alerts}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    eprintln!(
        "UpsOnBattery fired {fired_at:?} and resolved {:?} after the demo started",
        started.elapsed()
    );
    Ok(())
}
