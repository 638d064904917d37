//! Real upsd 2.8: one UPS stale or its driver gone stays that UPS's problem; upsd killed and
//! restarted is survived without a restart; an outage `.seq` shows in `ups_status` within two
//! poll intervals.

#![allow(clippy::unwrap_used)] // test helpers may panic: a panic is a test failure

use std::collections::HashMap;
use std::time::{Duration, Instant};

use upsight_e2e::exporter::Exporter;
use upsight_e2e::scrape::Samples;
use upsight_e2e::upsd::{DeviceFile, Upsd};

fn dev(name: &str, charge: u32) -> DeviceFile {
    let text =
        format!("ups.status: OL\nbattery.charge: {charge}\nbattery.runtime: 1200\nups.load: 20\n");
    DeviceFile {
        name: name.into(),
        text,
        extension: "dev",
    }
}

fn up(s: &Samples, ups: &str) -> Option<f64> {
    s.get("ups_up", &[("ups", ups)])
}

fn stale(s: &Samples, ups: &str) -> Option<f64> {
    s.get("ups_stale", &[("ups", ups)])
}

fn last_success(s: &Samples, ups: &str) -> f64 {
    s.get("ups_last_success_timestamp_seconds", &[("ups", ups)])
        .unwrap_or(0.0)
}

const LIMIT: Duration = Duration::from_secs(40);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_bad_ups_stays_its_own_problem_and_upsd_restarts_are_survived() {
    let devices = [dev("alpha", 100), dev("beta", 90), dev("gamma", 80)];
    let Some(mut upsd) = Upsd::start(&devices, 5).await.unwrap() else {
        return;
    };
    let config = format!(
        "interval = \"500ms\"\n[[nut]]\naddress = \"{}\"\nups = [\"alpha\", \"beta\", \"gamma\"]\n",
        upsd.address()
    );
    let exporter = Exporter::start(&config).await.unwrap();
    let all_up = |s: &Samples| {
        ["alpha", "beta", "gamma"]
            .iter()
            .all(|u| up(s, u) == Some(1.0))
    };
    exporter.wait_for(LIMIT, "all up", all_up).await.unwrap();

    // A paused driver goes stale after MAXAGE (5 s): only beta is affected.
    upsd.pause_driver("beta", true).unwrap();
    let s = exporter
        .wait_for(LIMIT, "beta stale", |s| stale(s, "beta") == Some(1.0))
        .await
        .unwrap();
    assert_eq!(up(&s, "beta"), Some(0.0));
    assert_eq!(
        s.get("ups_battery_charge_ratio", &[("ups", "beta")]),
        None,
        "no stale values exported"
    );
    assert!(
        s.get(
            "upsight_poll_failures_total",
            &[("ups", "beta"), ("reason", "stale")]
        )
        .unwrap()
            >= 1.0
    );
    let before = last_success(&s, "alpha");
    let s = exporter
        .wait_for(LIMIT, "alpha keeps updating", |s| {
            last_success(s, "alpha") > before
        })
        .await
        .unwrap();
    assert_eq!(up(&s, "alpha"), Some(1.0));
    assert_eq!(up(&s, "gamma"), Some(1.0));
    upsd.pause_driver("beta", false).unwrap();
    exporter
        .wait_for(LIMIT, "beta fresh again", |s| up(s, "beta") == Some(1.0))
        .await
        .unwrap();

    // A dead driver: upsd first reports WAIT, then DRIVER-NOT-CONNECTED; gamma only.
    upsd.kill_driver("gamma");
    let gone = |s: &Samples| {
        s.get(
            "upsight_poll_failures_total",
            &[("ups", "gamma"), ("reason", "driver_not_connected")],
        )
        .is_some_and(|n| n >= 1.0)
    };
    let s = exporter
        .wait_for(LIMIT, "gamma driver gone", gone)
        .await
        .unwrap();
    assert_eq!(
        (up(&s, "gamma"), stale(&s, "gamma")),
        (Some(0.0), Some(1.0))
    );
    assert_eq!((up(&s, "alpha"), up(&s, "beta")), (Some(1.0), Some(1.0)));
    upsd.restart_driver("gamma").unwrap();

    // upsd killed: everything down (not stale: the server is gone), scrape still 200.
    upsd.kill_upsd();
    let s = exporter
        .wait_for(LIMIT, "all down", |s| {
            ["alpha", "beta", "gamma"]
                .iter()
                .all(|u| up(s, u) == Some(0.0))
        })
        .await
        .unwrap();
    assert_eq!(stale(&s, "alpha"), Some(0.0));
    let source = [("source", "nut[0]")];
    let s = exporter
        .wait_for(LIMIT, "source down", |s| {
            s.get("upsight_source_up", &source) == Some(0.0)
        })
        .await
        .unwrap();
    // The open connection breaks (transport), then reconnects are refused (connect).
    let failures = |reason| {
        let labels = [("ups", "alpha"), ("reason", reason)];
        s.get("upsight_poll_failures_total", &labels).unwrap()
    };
    assert!(failures("transport") + failures("connect") >= 1.0);
    // Restarted on the same port: the exporter reconnects by itself.
    upsd.start_upsd().unwrap();
    let s = exporter
        .wait_for(LIMIT, "reconnected, all up", all_up)
        .await
        .unwrap();
    assert_eq!(s.get("upsight_source_up", &source), Some(1.0));
    exporter.stop().await;
}

/// Status text → first time it was seen.
fn record(seen: &mut HashMap<String, Instant>, status: String) {
    seen.entry(status).or_insert_with(Instant::now);
}

fn exporter_status(s: &Samples, ups: &str) -> Option<String> {
    if up(s, ups) != Some(1.0) {
        return None;
    }
    let flags: Vec<&str> = ["OL", "OB", "LB", "CHRG", "DISCHRG"]
        .into_iter()
        .filter(|f| s.get("ups_status", &[("ups", ups), ("flag", f)]) == Some(1.0))
        .collect();
    Some(flags.join(" "))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outage_sequence_shows_in_ups_status_within_two_poll_intervals() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/nut/outage.seq"
    ))
    .unwrap();
    let devices = [DeviceFile {
        name: "outage".into(),
        text,
        extension: "seq",
    }];
    let Some(upsd) = Upsd::start(&devices, 15).await.unwrap() else {
        return;
    };
    let interval = Duration::from_secs(1);
    let config = format!(
        "interval = \"1s\"\n[[nut]]\naddress = \"{}\"\n",
        upsd.address()
    );
    let exporter = Exporter::start(&config).await.unwrap();
    let (mut at_upsd, mut at_exporter) = (HashMap::new(), HashMap::new());
    let wanted = ["OL", "OB DISCHRG", "OB LB DISCHRG", "OL CHRG"];
    let deadline = Instant::now() + Duration::from_secs(90);
    while Instant::now() < deadline && !wanted.iter().all(|w| at_exporter.contains_key(*w)) {
        let raw = upsd
            .raw("GET VAR outage ups.status\n")
            .await
            .unwrap_or_default();
        if let Some(v) = raw.lines().next().and_then(|l| l.split('"').nth(1)) {
            record(&mut at_upsd, v.to_owned());
        }
        if let Some(status) = exporter_status(&exporter.scrape().await.unwrap(), "outage") {
            record(&mut at_exporter, status);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Observation granularity: one loop turn (two local requests + 50 ms).
    let slack = Duration::from_millis(500);
    for w in wanted {
        let (Some(u), Some(e)) = (at_upsd.get(w), at_exporter.get(w)) else {
            panic!(
                "{w:?} not seen: upsd {:?}, exporter {:?}",
                at_upsd.keys(),
                at_exporter.keys()
            );
        };
        let lag = e.saturating_duration_since(*u);
        assert!(
            lag <= 2 * interval + slack,
            "{w:?} reached the exporter {lag:?} after upsd"
        );
        eprintln!("{w:?}: exporter lag {lag:?}");
    }
    exporter.stop().await;
}
