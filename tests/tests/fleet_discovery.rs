//! A real Prometheus (the distribution's package) discovers the demo's three exporters
//! through the fleet plane's http_sd endpoint (`/api/v1/targets`, with the fleet viewer
//! token) and scrapes them: every target is up, carries its `group` and `member` labels, and
//! site b's UPS on battery is visible under `group="site-b"`. Runs the real `upsight demo`
//! binary; loopback only, bounded waits.

#![allow(clippy::unwrap_used)] // test helpers may panic: a panic is a test failure

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use upsight_e2e::fleet_plane::binary;
use upsight_e2e::prometheus::Prometheus;

/// The demo process; killed on drop.
struct Demo(Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `upsight demo` and reads its `NAME VALUE` lines (12 of them).
fn demo() -> (Demo, Vec<(String, String)>) {
    let mut child = Command::new(binary().unwrap())
        .arg("demo")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let demo = Demo(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .take(12)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let lines = (0..12)
        .map(|_| {
            let line = rx.recv_timeout(Duration::from_secs(30)).unwrap();
            let (name, value) = line.split_once(' ').unwrap();
            (name.to_owned(), value.to_owned())
        })
        .collect();
    (demo, lines)
}

fn value_of<'a>(lines: &'a [(String, String)], name: &str) -> &'a str {
    lines
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {name} line in {lines:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_discovers_the_demo_exporters_through_http_sd_and_scrapes_them() {
    let (_demo, lines) = demo();
    let plane = value_of(&lines, "fleet").trim_start_matches("http://");
    let token = value_of(&lines, "fleet-viewer-token");
    let scrape_configs = format!(
        "  - job_name: upsight-fleet\n    http_sd_configs:\n      - url: http://{plane}/api/v1/targets\n        refresh_interval: 2s\n        authorization:\n          type: Bearer\n          credentials: '{token}'\n"
    );
    let Some(prometheus) = Prometheus::start_with(&scrape_configs).await.unwrap() else {
        return;
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut up = serde_json::Value::Null;
    let mut on_battery = serde_json::Value::Null;
    while tokio::time::Instant::now() < deadline {
        up = prometheus.query("up{job=\"upsight-fleet\"}").await.unwrap();
        on_battery = prometheus
            .query("ups_status{job=\"upsight-fleet\",flag=\"OB\"} == 1")
            .await
            .unwrap();
        let targets = up["data"]["result"].as_array().map_or(0, Vec::len);
        let all_up = up["data"]["result"]
            .as_array()
            .is_some_and(|r| r.iter().all(|s| s["value"][1] == "1"));
        let found = on_battery["data"]["result"]
            .as_array()
            .is_some_and(|r| !r.is_empty());
        if targets == 3 && all_up && found {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let results = up["data"]["result"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        results.len(),
        3,
        "three discovered targets: {up}\n{}",
        prometheus.log()
    );
    let mut groups: Vec<(String, String)> = results
        .iter()
        .map(|s| {
            assert_eq!(s["value"][1], "1", "target up: {s}");
            let labels = &s["metric"];
            (
                labels["group"].as_str().unwrap_or("").to_owned(),
                labels["member"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    groups.sort();
    assert_eq!(
        groups,
        [
            ("site-a".to_owned(), "site-a-exporter".to_owned()),
            ("site-b".to_owned(), "site-b-exporter".to_owned()),
            ("site-c".to_owned(), "site-c-exporter".to_owned()),
        ]
    );
    let batteries = on_battery["data"]["result"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        batteries
            .iter()
            .any(|s| s["metric"]["ups"] == "warehouse" && s["metric"]["group"] == "site-b"),
        "site b's warehouse UPS on battery, labelled by its group: {on_battery}"
    );
}
