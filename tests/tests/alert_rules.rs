//! The alert rules against the code and the docs: every runbook link points at a section of
//! docs/alerts.md, every alert is in its table, and every metric name the rules use exists in
//! what the real binaries expose: `upsight demo` (three exporters, one with `[analytics]`
//! pointed at a closed port, and the plane) scraped over loopback.

#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use anyhow::ensure;
use upsight_e2e::demo::Demo;
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
    let demo = Demo::start(&["--analytics-url", "http://127.0.0.1:9"], &[], 13).await?;
    let addr = |name: &str| demo.addr(name).unwrap();
    let wanted = metric_names(RULES);
    ensure!(wanted.len() >= 12, "{wanted:?}");
    let auth = format!("Bearer {}", demo.value("fleet-viewer-token")?);
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
    Ok(())
}
