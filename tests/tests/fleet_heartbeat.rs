//! The heartbeat client end to end: the real `upsight fleet` binary and the real `upsight
//! exporter` binary (`[fleet]`, the ingest token from `UPSIGHT_HEARTBEAT_TOKEN`, polling the
//! NUT simulator) on loopback. The member and its UPS appear in the fleet; a plane restarted
//! with an empty state gets the exporter back by itself (404, then a registration); while the
//! plane is down for about 20 s the exporter's `/metrics` keeps serving fresh UPS values and
//! counts the failed heartbeats; the plane back on the same port with its state gets
//! heartbeats again without a new registration. Every wait is bounded; the figures are printed.

#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

use std::time::{Duration, Instant};

use anyhow::{Context as _, ensure};
use serde_json::Value;
use upsight_e2e::fleet::{ExporterProcess, plane_config, wait_until_refused};
use upsight_e2e::fleet_plane::FleetPlane;
use upsight_e2e::scrape::Samples;
use upsight_sim::{Device, SimHandle, Simulator};

const INGEST: &str = "ingest-token-0123456789abcdef0123456789";
const VIEWER: &str = "viewer-token-0123456789abcdef0123456789";
const GROUP: &str = "site-e2e";
/// Bound for every wait on a state change (the plane asks for one heartbeat a second).
const WAIT: Duration = Duration::from_secs(20);
/// How long the plane stays down.
const OUTAGE: Duration = Duration::from_secs(20);

async fn sim() -> SimHandle {
    let device = Device::parse(
        "ups.status: OL\nups.realpower: 250\nbattery.charge: 100\nbattery.runtime: 1800\n",
    )
    .unwrap();
    Simulator::new()
        .with_device("rack".into(), device)
        .bind("127.0.0.1:0")
        .await
        .unwrap()
}

/// `GET path` with the viewer token until `check` holds (every 250 ms, at most `limit`).
async fn wait_json(
    plane: &FleetPlane,
    path: &str,
    what: &str,
    check: impl Fn(&Value) -> bool,
) -> anyhow::Result<Value> {
    let deadline = Instant::now() + WAIT;
    loop {
        let r = plane.call("GET", path, VIEWER, None).await?;
        if r.status == 200 {
            let value: Value = serde_json::from_str(&r.body)?;
            if check(&value) {
                return Ok(value);
            }
        }
        ensure!(
            Instant::now() < deadline,
            "no {what} within {WAIT:?}: {} {}",
            r.status,
            r.body
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn value(s: &Samples, name: &str, labels: &[(&str, &str)]) -> f64 {
    s.get(name, labels).unwrap_or(f64::NAN)
}

fn heartbeats(s: &Samples, result: &str) -> f64 {
    value(
        s,
        "upsight_fleet_heartbeats_sent_total",
        &[("result", result)],
    )
}

fn registrations(s: &Samples) -> f64 {
    value(
        s,
        "upsight_fleet_registrations_sent_total",
        &[("result", "ok")],
    )
}

fn failures(s: &Samples, reason: &str) -> f64 {
    value(
        s,
        "upsight_fleet_request_failures_total",
        &[("reason", reason)],
    )
}

fn last_poll(s: &Samples) -> f64 {
    value(s, "ups_last_success_timestamp_seconds", &[("ups", "rack")])
}

fn member_path(identity: &str) -> String {
    format!("/api/v1/members/{GROUP}/{identity}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exporter_joins_rejoins_and_rides_out_a_plane_outage() -> anyhow::Result<()> {
    let sim = sim().await;
    let plane = FleetPlane::start(&plane_config("127.0.0.1:0", INGEST, VIEWER, None)).await?;
    let addr = plane.addr;
    let config = format!(
        "interval = \"500ms\"\n\
         [http]\nrate_limit_per_minute = 60000\nrate_limit_burst = 100000\n\
         [[nut]]\naddress = \"{}\"\n\
         [fleet]\nurl = \"http://{addr}\"\ngroup = \"{GROUP}\"\nscrape_target = \"127.0.0.1:9955\"\n",
        sim.addr()
    );
    let started = Instant::now();
    let exporter = ExporterProcess::start(&config, &[("UPSIGHT_HEARTBEAT_TOKEN", INGEST)]).await?;
    let identity = joins(&plane, &exporter).await?;
    eprintln!(
        "joined the fleet {:?} after the exporter started",
        started.elapsed()
    );

    // Restarted with an empty state on the same port: 404, then the exporter registers again.
    drop(plane);
    wait_until_refused(addr, WAIT).await?;
    let plane_dir = tempfile::tempdir()?;
    let config = plane_config(&addr.to_string(), INGEST, VIEWER, Some(plane_dir.path()));
    let plane = FleetPlane::start(&config).await?;
    let restarted = Instant::now();
    wait_json(
        &plane,
        &member_path(&identity),
        "the member again",
        has_device,
    )
    .await?;
    eprintln!(
        "registered again {:?} after the plane restarted empty",
        restarted.elapsed()
    );
    let s = exporter
        .wait_for(WAIT, "the registration counted", |s| {
            registrations(s) >= 2.0
        })
        .await?;
    assert!(failures(&s, "unknown_member") >= 1.0, "{s:?}");
    assert_eq!(value(&s, "upsight_fleet_registered", &[]), 1.0);

    // The plane saves within a second; it is killed, not stopped, so wait for the save.
    wait_file(&plane_dir.path().join("fleet.json"), &identity).await?;
    drop(plane);
    wait_until_refused(addr, WAIT).await?;
    let during = rides_out_an_outage(&exporter).await?;

    // Back on the same port with its state: heartbeats accepted, no new registration.
    let plane = FleetPlane::start(&config).await?;
    let back = Instant::now();
    let ok = heartbeats(&during, "ok");
    let s = exporter
        .wait_for(WAIT, "a heartbeat accepted again", |s| {
            heartbeats(s, "ok") > ok
        })
        .await?;
    eprintln!(
        "heartbeats accepted again {:?} after the plane came back",
        back.elapsed()
    );
    assert_eq!(
        registrations(&s),
        registrations(&during),
        "no new registration"
    );
    let is_up = |v: &Value| v["health"] == "up" && has_device(v);
    wait_json(&plane, &member_path(&identity), "the member up", is_up).await?;
    drop(exporter);
    drop(sim);
    Ok(())
}

/// The member and its UPS appear in the fleet; the exporter's identity (generated), lease and
/// counters are as they should be, and no secret is in its log. Returns the identity.
async fn joins(plane: &FleetPlane, exporter: &ExporterProcess) -> anyhow::Result<String> {
    let is_joined = |v: &Value| v["totals"]["members"] == 1 && v["totals"]["upses"] == 1;
    wait_json(plane, "/api/v1/fleet", "member with its UPS", is_joined).await?;
    let group = wait_json(plane, &format!("/api/v1/groups/{GROUP}"), "group", |_| true).await?;
    let identity = group["members"][0]["identity"]
        .as_str()
        .context("identity")?;
    ensure!(
        identity.starts_with("exp-") && identity.len() == 20,
        "generated: {identity}"
    );
    let member = wait_json(plane, &member_path(identity), "member", has_device).await?;
    assert_eq!(
        member["devices"][0]["status"],
        serde_json::json!(["OL"]),
        "{member}"
    );
    assert_eq!(member["scrape_target"], "127.0.0.1:9955", "{member}");
    let s = exporter.scrape().await?;
    assert_eq!(value(&s, "upsight_fleet_registered", &[]), 1.0);
    assert_eq!(
        value(&s, "upsight_fleet_heartbeat_interval_seconds", &[]),
        1.0
    );
    let saved = wait_state(exporter, identity).await?;
    let lease = saved["data"]["fleet"]["lease"]["lease"]
        .as_str()
        .context("lease")?;
    let logs = exporter.stderr();
    assert!(
        !logs.contains(INGEST) && !logs.contains(lease),
        "a secret in the log:\n{logs}"
    );
    Ok(identity.to_owned())
}

/// With the plane down for [`OUTAGE`], `/metrics` serves fresh UPS values all along while the
/// failed heartbeats are counted. Returns the last scrape.
async fn rides_out_an_outage(exporter: &ExporterProcess) -> anyhow::Result<Samples> {
    let before = exporter.scrape().await?;
    let outage = Instant::now();
    let mut polled = last_poll(&before);
    while outage.elapsed() < OUTAGE {
        // Paces the scenario; each check below is on values, not on time.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let s = exporter.scrape().await?;
        let now = last_poll(&s);
        assert!(now > polled, "polling went on: {now} after {polled}");
        assert_eq!(value(&s, "ups_up", &[("ups", "rack")]), 1.0);
        polled = now;
    }
    let during = exporter.scrape().await?;
    let failed = heartbeats(&during, "error") - heartbeats(&before, "error");
    eprintln!(
        "{failed} heartbeats failed during the {:?} outage",
        outage.elapsed()
    );
    ensure!(failed >= 5.0, "failures counted: {failed}");
    assert!(failures(&during, "connect") >= 5.0, "{during:?}");
    assert_eq!(
        value(&during, "upsight_fleet_registered", &[]),
        1.0,
        "still a member"
    );
    Ok(during)
}

fn has_device(member: &Value) -> bool {
    member["devices"][0]["name"] == "rack"
}

/// Waits until the file at `path` contains `text`.
async fn wait_file(path: &std::path::Path, text: &str) -> anyhow::Result<String> {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Ok(content) = std::fs::read_to_string(path)
            && content.contains(text)
        {
            return Ok(content);
        }
        ensure!(
            Instant::now() < deadline,
            "no {text:?} in {}",
            path.display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The exporter's state file once it holds the fleet entry (saved within a second), checked
/// for mode 0600.
async fn wait_state(exporter: &ExporterProcess, identity: &str) -> anyhow::Result<Value> {
    use std::os::unix::fs::PermissionsExt as _;
    let path = exporter.state_dir().join("exporter.json");
    let text = wait_file(&path, "\"member_number\"").await?;
    ensure!(text.contains(identity), "{identity} not in {text}");
    let mode = std::fs::metadata(&path)?.permissions().mode() & 0o777;
    ensure!(mode == 0o600, "{} has mode {mode:o}", path.display());
    Ok(serde_json::from_str(&text)?)
}
