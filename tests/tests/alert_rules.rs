//! The alert rules against the code and the docs: every runbook link points at a section of
//! docs/alerts.md, every alert is in its table, and every metric name the rules use exists in
//! what the real binaries expose: `upsight demo` (three exporters, one with `[analytics]`
//! pointed at a closed port, and the plane) scraped over loopback.

#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

use std::collections::BTreeSet;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context as _, ensure};
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::Command;
use upsight_e2e::scrape::{self, Body};

const RULES: &str = include_str!("../../alerting-rules/upsight.rules.yml");
const RUNBOOK: &str = include_str!("../../docs/alerts.md");

/// Metric names (`ups_*`, `upsight_*`) in `text`, recording-rule names (with `:`) excluded.
pub fn metric_names(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .filter(|t| !t.contains(':'))
        .filter(|t| t.starts_with("ups_") || t.starts_with("upsight_"))
        .map(str::to_owned)
        .collect()
}

fn alert_names() -> Vec<&'static str> {
    RULES
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- alert: "))
        .collect()
}

#[test]
fn every_alert_has_a_runbook_section_and_a_table_row() {
    let alerts = alert_names();
    assert_eq!(alerts.len(), 12, "{alerts:?}");
    let headings: BTreeSet<String> = RUNBOOK
        .lines()
        .filter_map(|l| l.strip_prefix("## "))
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    for alert in &alerts {
        let anchor = alert.to_ascii_lowercase();
        assert!(
            headings.contains(&anchor),
            "no '## {alert}' in docs/alerts.md"
        );
        assert!(
            RUNBOOK.contains(&format!("| [{alert}](#{anchor}) |")),
            "{alert} missing from the table in docs/alerts.md"
        );
        let link = format!("docs/alerts.md#{anchor}\"");
        assert!(
            RULES.contains(&link),
            "{alert} has no runbook_url to #{anchor}"
        );
    }
    let links = RULES.matches("runbook_url:").count();
    let summaries = RULES.matches("summary:").count();
    let descriptions = RULES.matches("description:").count();
    assert_eq!((links, summaries, descriptions), (12, 12, 12));
}

/// Metric names in the text exposition `body` (sample names).
fn exposed(body: &str) -> BTreeSet<String> {
    body.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| l.split(['{', ' ']).next())
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_metric_the_rules_use_is_exposed_by_the_demo() -> anyhow::Result<()> {
    let mut command = Command::new(upsight_e2e::fleet_plane::binary()?);
    command
        .args(["demo", "--analytics-url", "http://127.0.0.1:9"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("UPSIGHT_") {
            command.env_remove(key);
        }
    }
    let mut child = command.spawn()?;
    let mut lines = BufReader::new(child.stdout.take().context("stdout")?).lines();
    let mut printed = Vec::new();
    while printed.len() < 13 {
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await?
            .context("demo output")?
            .context("demo stopped")?;
        let (name, value) = line.split_once(' ').context("NAME VALUE")?;
        printed.push((name.to_owned(), value.to_owned()));
    }
    let value = |name: &str| printed.iter().find(|(n, _)| n == name).unwrap().1.clone();
    let addr = |name: &str| -> std::net::SocketAddr {
        value(name).trim_start_matches("http://").parse().unwrap()
    };
    let wanted = metric_names(RULES);
    ensure!(wanted.len() >= 12, "{wanted:?}");
    let auth = format!("Bearer {}", value("fleet-viewer-token"));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut names = BTreeSet::new();
        for site in ["exporter-site-a", "exporter-site-b", "exporter-site-c"] {
            names.extend(exposed(&scrape::get(addr(site), "/metrics").await?.body));
        }
        let plane = scrape::request(
            addr("fleet"),
            "GET",
            "/metrics",
            &[("Authorization", &auth)],
            Body::Empty,
        )
        .await?;
        names.extend(exposed(&plane.body));
        let missing: Vec<_> = wanted.difference(&names).collect();
        if missing.is_empty() {
            break;
        }
        ensure!(
            Instant::now() < deadline,
            "metrics the rules use but nothing exposes: {missing:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    child.kill().await?;
    Ok(())
}
