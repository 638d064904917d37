//! The analytical path end to end: the real `upsight exporter` and `upsight fleet` binaries,
//! the NUT simulator and a real ClickHouse (`clickhouse-server` 18.16) on loopback.
//!
//! - What the exporter polls lands in every table (readings, events, a finished outage,
//!   identity), and every read route of both roles returns it.
//! - Marker identity strings (serial, location, contact, MAC) are in ClickHouse's identity
//!   table and nowhere in `/metrics`, the heartbeat the plane received, either process's
//!   log or an unauthenticated response.
//! - ClickHouse stopped: polling, `/metrics` and the API keep answering, the breaker opens,
//!   dropped rows are counted, and the sink recovers by itself once the server is back.
//! - Without a viewer token every analytical route answers 403, on loopback too.

#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

use std::time::{Duration, Instant};

use anyhow::{Context as _, ensure};
use serde_json::Value;
use upsight_e2e::clickhouse::{self, ClickHouse};
use upsight_e2e::fleet::{ExporterProcess, plane_config};
use upsight_e2e::fleet_plane::FleetPlane;
use upsight_e2e::scrape::{self, Body, Samples};
use upsight_sim::{Device, SimHandle, Simulator};

const INGEST: &str = "ingest-token-0123456789abcdef0123456789";
const VIEWER: &str = "viewer-token-0123456789abcdef0123456789";
const FLEET_VIEWER: &str = "fleet-viewer-0123456789abcdef012345678";
const SITE: &str = "site-ch";
const WAIT: Duration = Duration::from_secs(30);
const MARKERS: &[&str] = &[
    "MARKERSERIAL-CH-4471",
    "MARKERLOCATION-CH-Basement",
    "MARKERCONTACT-CH-ops",
    "MARKERMAC-CH-0a:1b",
];
/// Devices besides `rack`, so a short outage overflows the smallest queue.
const FILLERS: usize = 20;

async fn sim() -> SimHandle {
    let rack = Device::parse(&format!(
        "ups.status: OL\nups.realpower: 250\nbattery.charge: 100\nbattery.runtime: 1800\n\
         device.mfr: Acme\ndevice.model: Rack 1500\ndevice.serial: {}\n\
         device.location: {}\ndevice.contact: {}\ndevice.macaddr: {}\n",
        MARKERS[0], MARKERS[1], MARKERS[2], MARKERS[3]
    ))
    .unwrap();
    let mut sim = Simulator::new().with_device("rack".into(), rack);
    for i in 0..FILLERS {
        let text = format!(
            "ups.status: OL\nbattery.charge: 90\nbattery.runtime: 900\ninput.voltage: 230\n\
             output.voltage: 230\nups.load: 20\nups.realpower: 100\ndevice.serial: F{i}\n"
        );
        sim = sim.with_device(format!("filler-{i}"), Device::parse(&text).unwrap());
    }
    sim.bind("127.0.0.1:0").await.unwrap()
}

fn analytics_section(ch: &ClickHouse, extra: &str) -> String {
    format!(
        "[analytics]\nurl = \"{}\"\nuser = \"{}\"\npassword = \"{}\"\n{extra}",
        ch.url(),
        clickhouse::USER,
        clickhouse::PASSWORD
    )
}

async fn count(ch: &ClickHouse, table: &str) -> u64 {
    ch.query(&format!("SELECT count() FROM upsight.{table}"))
        .await
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(0)
}

async fn wait_count(ch: &ClickHouse, table: &str, at_least: u64) -> anyhow::Result<u64> {
    let deadline = Instant::now() + WAIT;
    loop {
        let n = count(ch, table).await;
        if n >= at_least {
            return Ok(n);
        }
        ensure!(
            Instant::now() < deadline,
            "{table}: {n} rows after {WAIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn get_json(addr: std::net::SocketAddr, path: &str, token: &str) -> anyhow::Result<Value> {
    let auth = format!("Bearer {token}");
    let r = scrape::request(addr, "GET", path, &[("Authorization", &auth)], Body::Empty).await?;
    ensure!(r.status == 200, "GET {path}: {} {}", r.status, r.body);
    serde_json::from_str(&r.body).with_context(|| r.body.clone())
}

fn metric(s: &Samples, name: &str, labels: &[(&str, &str)]) -> f64 {
    s.get(name, labels).unwrap_or(f64::NAN)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polls_land_in_clickhouse_identity_stays_there_and_an_outage_is_ridden_out()
-> anyhow::Result<()> {
    let Some(mut ch) = ClickHouse::start().await? else {
        return Ok(());
    };
    let sim = sim().await;
    let plane_text = format!(
        "{}{}",
        plane_config("127.0.0.1:0", INGEST, FLEET_VIEWER, None),
        analytics_section(&ch, "")
    );
    let plane = FleetPlane::start(&plane_text).await?;
    let dir = tempfile::tempdir()?;
    let password_file = dir.path().join("ch-password");
    upsight_e2e::write_file(
        &password_file,
        format!("{}\n", clickhouse::PASSWORD).as_bytes(),
    )?;
    let config = format!(
        "interval = \"1s\"\n[http]\nviewer_token = \"{VIEWER}\"\n\
         rate_limit_per_minute = 60000\nrate_limit_burst = 100000\n\
         [[nut]]\naddress = \"{}\"\n\
         [fleet]\nurl = \"http://{}\"\ngroup = \"{SITE}\"\n\
         [analytics]\nurl = \"{}\"\nuser = \"{}\"\npassword_file = {:?}\n\
         queue_rows = 1000\nbatch_rows = 500\nflush_interval = \"200ms\"\ntimeout = \"2s\"\n",
        sim.addr(),
        plane.addr,
        ch.url(),
        clickhouse::USER,
        password_file.display().to_string()
    );
    let exporter = ExporterProcess::start(&config, &[("UPSIGHT_HEARTBEAT_TOKEN", INGEST)]).await?;
    let addr = exporter.addr;

    // Readings and identity land; an outage gives events and a finished outage.
    wait_count(&ch, "devices", 1 + FILLERS as u64).await?;
    wait_count(&ch, "readings", 100).await?;
    assert!(sim.set_var("rack", "ups.status", "OB DISCHRG"));
    assert!(sim.set_var("rack", "battery.charge", "60"));
    exporter
        .wait_for(WAIT, "rack on battery", |s| {
            metric(s, "ups_status", &[("ups", "rack"), ("flag", "OB")]) == 1.0
        })
        .await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(sim.set_var("rack", "ups.status", "OL CHRG"));
    wait_count(&ch, "outages", 1).await?;
    wait_count(&ch, "events", 2).await?;
    let identity = ch
        .query("SELECT serial, location, contact, mac_address FROM upsight.devices WHERE device = 'rack' FORMAT TSV")
        .await?;
    assert_eq!(identity.trim(), MARKERS.join("\t"));

    // Every exporter read route returns the rows.
    let history = get_json(
        addr,
        "/api/v1/analytics/devices/rack/history?variable=ups.status",
        VIEWER,
    )
    .await?;
    let statuses: Vec<&str> = history["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["value"].as_str())
        .collect();
    assert!(
        statuses.contains(&"OB DISCHRG") && statuses.contains(&"OL CHRG"),
        "{statuses:?}"
    );
    let outages = get_json(addr, "/api/v1/analytics/outages", VIEWER).await?;
    assert_eq!(outages["sites"][0]["site"], SITE, "{outages}");
    assert_eq!(outages["outages"][0]["device"], "rack", "{outages}");
    assert!(
        outages["outages"][0]["duration_seconds"].as_f64().unwrap() >= 2.0,
        "{outages}"
    );
    let battery = get_json(
        addr,
        "/api/v1/analytics/devices/rack/battery?bucket=hour",
        VIEWER,
    )
    .await?;
    assert!(
        battery["points"][0]["runtime_per_full_charge_seconds"]
            .as_f64()
            .is_some(),
        "{battery}"
    );
    let found = get_json(
        addr,
        &format!("/api/v1/analytics/devices?serial={}", MARKERS[0]),
        VIEWER,
    )
    .await?;
    assert_eq!(found["devices"][0]["device"], "rack", "{found}");
    assert_eq!(found["devices"][0]["location"], MARKERS[1]);

    // And the plane's, across sites.
    let p = plane.addr;
    let all = get_json(p, "/api/v1/analytics/outages", FLEET_VIEWER).await?;
    assert_eq!(all["sites"][0]["outages"], 1, "{all}");
    let rows = get_json(
        p,
        &format!("/api/v1/analytics/sites/{SITE}/devices/rack/history?limit=5"),
        FLEET_VIEWER,
    )
    .await?;
    assert_eq!(rows["rows"].as_array().unwrap().len(), 5, "{rows}");
    let by_serial = get_json(
        p,
        &format!("/api/v1/analytics/devices?serial={}", MARKERS[0]),
        FLEET_VIEWER,
    )
    .await?;
    assert_eq!(by_serial["devices"][0]["site"], SITE, "{by_serial}");
    let health = get_json(
        p,
        &format!("/api/v1/analytics/sites/{SITE}/devices/rack/battery"),
        FLEET_VIEWER,
    )
    .await?;
    assert!(!health["points"].as_array().unwrap().is_empty(), "{health}");

    // The markers are nowhere else.
    let metrics = scrape::get(addr, "/metrics").await?.body;
    let member = get_json(p, &format!("/api/v1/groups/{SITE}"), FLEET_VIEWER)
        .await?
        .to_string();
    let mut open = Vec::new();
    for path in [
        "/",
        "/login",
        "/healthz",
        "/readyz",
        "/api/v1/analytics/devices?serial=MARKERSERIAL-CH-4471",
    ] {
        open.push(scrape::get(addr, path).await?.body);
        open.push(scrape::get(p, path).await?.body);
    }
    for marker in MARKERS {
        assert!(!metrics.contains(marker), "{marker} in /metrics");
        assert!(
            !member.contains(marker),
            "{marker} in what the plane received"
        );
        assert!(
            !exporter.stderr().contains(marker),
            "{marker} in the exporter's log"
        );
        assert!(
            !plane.stderr().contains(marker),
            "{marker} in the plane's log"
        );
        assert!(
            open.iter().all(|b| !b.contains(marker)),
            "{marker} in an open response"
        );
    }
    // The ClickHouse password is never logged or returned.
    let config = get_json(addr, "/api/v1/config", VIEWER).await?;
    assert_eq!(config["analytics"]["password"], "***", "{config}");
    for text in [config.to_string(), exporter.stderr(), plane.stderr()] {
        assert!(
            !text.contains(clickhouse::PASSWORD),
            "the ClickHouse password leaked"
        );
    }
    let s = exporter.scrape().await?;
    assert_eq!(
        metric(&s, "upsight_subsystem_up", &[("subsystem", "analytics")]),
        1.0
    );
    assert_eq!(metric(&s, "upsight_analytics_rows_dropped_total", &[]), 0.0);

    // ClickHouse stops: everything else keeps working; drops are counted.
    ch.stop();
    let stopped = Instant::now();
    let down = exporter
        .wait_for(WAIT, "the analytics breaker open and rows dropped", |s| {
            metric(s, "upsight_subsystem_up", &[("subsystem", "analytics")]) == 0.0
                && metric(s, "upsight_analytics_rows_dropped_total", &[]) > 0.0
        })
        .await?;
    assert!(metric(&down, "upsight_analytics_queue_rows", &[]) <= 1000.0);
    while stopped.elapsed() < Duration::from_secs(12) {
        let before = Instant::now();
        let s = exporter.scrape().await?;
        let api = get_json(addr, "/api/v1/devices", VIEWER).await?;
        assert!(
            before.elapsed() < Duration::from_secs(2),
            "slow while ClickHouse is down"
        );
        assert_eq!(metric(&s, "ups_up", &[("ups", "rack")]), 1.0);
        let age = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_secs_f64()
            - metric(&s, "ups_last_success_timestamp_seconds", &[("ups", "rack")]);
        assert!(age < 5.0, "rack's last poll is {age} s old");
        assert!(api.to_string().contains("filler-19"));
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let failed = get_json(addr, "/api/v1/analytics/outages", VIEWER).await;
    assert!(failed.unwrap_err().to_string().contains("503"));
    let before = count_after_resume(&mut ch).await?;
    let back = exporter
        .wait_for(WAIT, "the analytics sink recovered", |s| {
            metric(s, "upsight_subsystem_up", &[("subsystem", "analytics")]) == 1.0
        })
        .await?;
    let dropped = metric(&back, "upsight_analytics_rows_dropped_total", &[]);
    eprintln!(
        "ClickHouse down {:?}: {dropped} rows dropped, sink back after restart",
        stopped.elapsed()
    );
    wait_count(&ch, "readings", before + 100).await?;
    Ok(())
}

async fn count_after_resume(ch: &mut ClickHouse) -> anyhow::Result<u64> {
    ch.resume().await?;
    Ok(count(ch, "readings").await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_viewer_token_every_analytical_route_is_forbidden_even_on_loopback()
-> anyhow::Result<()> {
    // No ClickHouse is needed: the routes refuse before any query.
    let sim = sim().await;
    let config = format!(
        "[[nut]]\naddress = \"{}\"\n[analytics]\nurl = \"http://127.0.0.1:9\"\n",
        sim.addr()
    );
    let exporter = ExporterProcess::start(&config, &[]).await?;
    let plane =
        FleetPlane::start("listen = \"127.0.0.1:0\"\n[analytics]\nurl = \"http://127.0.0.1:9\"\n")
            .await?;
    let exporter_paths = upsight_analytics::api::EXPORTER_PATHS.map(|p| (exporter.addr, p));
    let plane_paths = upsight_analytics::api::FLEET_PATHS.map(|p| (plane.addr, p));
    for (addr, template) in exporter_paths.into_iter().chain(plane_paths) {
        let path = template.replace("{device}", "rack").replace("{site}", SITE) + "?serial=x";
        let r = scrape::get(addr, &path).await?;
        assert_eq!(r.status, 403, "{path}: {}", r.body);
        assert!(r.body.contains("viewer token"), "{path}: {}", r.body);
    }
    // With a token but no [analytics]: 404.
    let config = format!(
        "[http]\nviewer_token = \"{VIEWER}\"\n[[nut]]\naddress = \"{}\"\n",
        sim.addr()
    );
    let plain = ExporterProcess::start(&config, &[]).await?;
    let auth = format!("Bearer {VIEWER}");
    let r = scrape::request(
        plain.addr,
        "GET",
        "/api/v1/analytics/outages",
        &[("Authorization", &auth)],
        Body::Empty,
    )
    .await?;
    assert_eq!(r.status, 404, "{}", r.body);
    Ok(())
}
