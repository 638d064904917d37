//! `upsight demo --analytics-url`: the README's demo pointed at a real ClickHouse
//! (`clickhouse-server` 18.16 on loopback) writes every site's readings and identities, and
//! the plane's analytical routes read them back. (Events and outages need a transition, which
//! the demo makes only every 90 s: `analytics_e2e` drives one.)

#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

use std::time::{Duration, Instant};

use anyhow::ensure;
use upsight_e2e::clickhouse::{self, ClickHouse};
use upsight_e2e::demo::Demo;
use upsight_e2e::scrape::{self, Body};

const WAIT: Duration = Duration::from_secs(40);

async fn scalar(ch: &ClickHouse, sql: &str) -> String {
    ch.query(sql).await.unwrap_or_default().trim().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_writes_every_site_to_clickhouse_and_the_plane_reads_it() -> anyhow::Result<()> {
    let Some(ch) = ClickHouse::start().await? else {
        return Ok(());
    };
    let url = ch.url();
    let demo = Demo::start(
        &["--analytics-url", &url],
        &[
            ("UPSIGHT_ANALYTICS_USER", clickhouse::USER),
            ("UPSIGHT_ANALYTICS_PASSWORD", clickhouse::PASSWORD),
        ],
        13,
    )
    .await?;
    assert_eq!(demo.lines[12], ("analytics".to_owned(), url.clone()));
    let plane = demo.addr("fleet")?;
    let token = demo.value("fleet-viewer-token")?;

    let deadline = Instant::now() + WAIT;
    loop {
        let sites = scalar(&ch, "SELECT uniqExact(site) FROM upsight.readings").await;
        let devices = scalar(&ch, "SELECT count() FROM upsight.devices").await;
        let warehouse = scalar(
            &ch,
            "SELECT count() FROM upsight.devices WHERE site = 'site-b' AND device = 'warehouse'",
        )
        .await;
        if sites == "3" && devices.parse::<u32>().unwrap_or(0) >= 3 && warehouse == "1" {
            break;
        }
        ensure!(
            Instant::now() < deadline,
            "demo rows missing after {WAIT:?}: sites {sites}, devices {devices}, warehouse {warehouse}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    let auth = format!("Bearer {token}");
    let path =
        "/api/v1/analytics/sites/site-b/devices/warehouse/history?variable=ups.status&limit=1";
    let r = scrape::request(plane, "GET", path, &[("Authorization", &auth)], Body::Empty).await?;
    ensure!(r.status == 200, "{path}: {} {}", r.status, r.body);
    let body: serde_json::Value = serde_json::from_str(&r.body)?;
    let status = body["rows"][0]["value"].as_str().unwrap_or_default();
    assert!(status.contains("OB"), "warehouse is on battery: {body}");
    let r = scrape::get(plane, "/api/v1/analytics/outages").await?;
    assert_eq!(
        r.status, 401,
        "the fleet's analytical routes need the viewer token"
    );
    Ok(())
}
