//! Every PromQL expression of every dashboard (`dashboards/*.json`: panel targets and template
//! variable queries) and of the rule file (`alerting-rules/upsight.rules.yml`) run against a
//! real Prometheus (the distribution's package) scraping `upsight demo`'s three exporters
//! (one with `[analytics]` pointed at a closed port) and its plane, with the rules loaded.
//! Each must parse and evaluate; each must return data, except the expressions written for
//! conditions the demo never shows, listed by name in [`RARE`]. Every metric name the
//! dashboards use must also be exposed by the demo.

#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, ensure};
use serde_json::Value;
use upsight_e2e::demo::Demo;
use upsight_e2e::prometheus::Prometheus;
use upsight_e2e::scrape::{self, Body};

/// Expressions for conditions the demo never shows (`source: title`), so no data is right.
const RARE: &[&str] = &[
    // `branch` reaches LB only 60 s into each outage: the expression may still be empty.
    "upsight.rules.yml: UpsLowBattery",
    // Alerts for faults the demo devices never have.
    "upsight.rules.yml: UpsReplaceBattery",
    "upsight.rules.yml: UpsOverload",
    "upsight.rules.yml: UpsOnBypass",
    "upsight.rules.yml: UpsDataStale",
    "upsight.rules.yml: UpsDown",
    "upsight.rules.yml: UpsightExporterDown",
    "upsight.rules.yml: UpsightFleetMemberDown",
    "upsight.rules.yml: UpsightIdentityConflict",
    // Poll failures: shown only while some occur (`> 0`).
    "upsight-device.json: Poll failures",
    // Alerts are not configured in the demo, and its plane keeps no state file.
    "upsight-health.json: Alert deliveries",
    "upsight-health.json: State saved",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `(source: title, expression)` of every dashboard target and variable query.
fn dashboard_exprs() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(root().join("dashboards"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 4, "{files:?}");
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let board: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for panel in board["panels"].as_array().unwrap() {
            for target in panel["targets"].as_array().into_iter().flatten() {
                let title = panel["title"].as_str().unwrap();
                out.push((
                    format!("{name}: {title}"),
                    target["expr"].as_str().unwrap().to_owned(),
                ));
            }
        }
        for var in board["templating"]["list"].as_array().unwrap() {
            if let Some(query) = var["query"]["query"].as_str() {
                // label_values(metric{...}, label) is Grafana's: the series selector is the PromQL.
                let selector = query
                    .strip_prefix("label_values(")
                    .and_then(|q| q.rsplit_once(','))
                    .map_or(query, |(s, _)| s);
                let title = var["name"].as_str().unwrap();
                out.push((format!("{name}: ${title}"), selector.to_owned()));
            }
        }
    }
    out
}

/// `(source: name, expression)` of every rule (one-line and `|` block expressions).
fn rule_exprs() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(root().join("alerting-rules/upsight.rules.yml")).unwrap();
    let mut out = Vec::new();
    let mut name = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim();
        if let Some(n) = trimmed
            .strip_prefix("- alert: ")
            .or_else(|| trimmed.strip_prefix("- record: "))
        {
            name = n.to_owned();
        } else if let Some(expr) = trimmed.strip_prefix("expr: ") {
            let expr = if expr == "|" {
                let indent = line.len() - trimmed.len();
                let mut block = Vec::new();
                while let Some(next) = lines.peek() {
                    if next.trim().is_empty() || next.len() - next.trim_start().len() <= indent {
                        break;
                    }
                    block.push(lines.next().unwrap().trim());
                }
                block.join(" ")
            } else {
                expr.to_owned()
            };
            out.push((format!("upsight.rules.yml: {name}"), expr));
        }
    }
    out
}

fn substitute(expr: &str) -> String {
    expr.replace("$__rate_interval", "1m")
        .replace("$instance", ".*")
        .replace("$ups", ".*")
        .replace("$plane", ".*")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_dashboard_and_rule_expression_runs_against_prometheus_scraping_the_demo()
-> anyhow::Result<()> {
    let exprs: Vec<(String, String)> = dashboard_exprs().into_iter().chain(rule_exprs()).collect();
    assert!(exprs.len() > 80, "{} expressions", exprs.len());
    for (source, _) in &exprs {
        assert!(!source.ends_with(": "), "an expression without a name");
    }
    for rare in RARE {
        assert!(
            exprs.iter().any(|(s, _)| s == rare),
            "RARE lists {rare}, which does not exist"
        );
    }
    let demo = Demo::start(&["--analytics-url", "http://127.0.0.1:9"], &[], 13).await?;
    let dir = tempfile::tempdir()?;
    let token_file = dir.path().join("fleet-viewer-token");
    upsight_e2e::write_file(&token_file, demo.value("fleet-viewer-token")?.as_bytes())?;
    let mut scrape_configs = String::new();
    for site in ["exporter-site-a", "exporter-site-b", "exporter-site-c"] {
        let addr = demo.addr(site)?;
        scrape_configs.push_str(&format!(
            "  - job_name: upsight-{site}\n    static_configs:\n      - targets: ['{addr}']\n        labels: {{group: '{}'}}\n",
            site.trim_start_matches("exporter-")
        ));
    }
    scrape_configs.push_str(&format!(
        "  - job_name: upsight-fleet\n    authorization:\n      type: Bearer\n      credentials_file: {:?}\n    static_configs:\n      - targets: ['{}']\n",
        token_file.display().to_string(),
        demo.addr("fleet")?
    ));
    let rules = root().join("alerting-rules/upsight.rules.yml");
    let Some(prometheus) = Prometheus::start_with_rules(&[&rules], &scrape_configs).await? else {
        return Ok(());
    };

    // Until every non-rare expression returns data (the demo needs a few scrapes for rates
    // and 30 s for the alerts with `for: 30s`), at most 90 s.
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut empty: Vec<&str>;
    loop {
        empty = Vec::new();
        for (source, expr) in &exprs {
            let answer = prometheus.query(&substitute(expr)).await?;
            ensure!(
                answer["status"] == "success",
                "{source}: {expr} does not evaluate: {answer}; log:\n{}",
                prometheus.log()
            );
            let results = answer["data"]["result"].as_array().context("result")?;
            if results.is_empty() && !RARE.contains(&source.as_str()) {
                empty.push(source);
            }
        }
        if empty.is_empty() || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    ensure!(empty.is_empty(), "expressions without data: {empty:?}");

    // The demo's outage (warehouse on battery, 240 s of runtime) and its closed ClickHouse
    // port make these rules pending (then firing once their `for` has passed); the rules for
    // faults the demo does not have stay quiet.
    let deadline = Instant::now() + Duration::from_secs(30);
    let expected = ["UpsOnBattery", "UpsLowRuntime", "UpsightAnalyticsSinkDown"];
    let names = loop {
        let alerts = prometheus.query("ALERTS").await?;
        let names: BTreeSet<String> = alerts["data"]["result"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["metric"]["alertname"].as_str().map(str::to_owned))
            .collect();
        if expected.iter().all(|a| names.contains(*a)) || Instant::now() > deadline {
            break names;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    for alert in expected {
        assert!(
            names.contains(alert),
            "{alert} neither pending nor firing: {names:?}"
        );
    }
    for alert in [
        "UpsLowBattery",
        "UpsDown",
        "UpsightExporterDown",
        "UpsOverload",
    ] {
        assert!(
            !names.contains(alert),
            "{alert} fires on the demo: {names:?}"
        );
    }

    // Every metric name the dashboards use is exposed.
    let mut exposed = BTreeSet::new();
    for site in ["exporter-site-a", "exporter-site-b", "exporter-site-c"] {
        let body = scrape::get(demo.addr(site)?, "/metrics").await?.body;
        exposed.extend(names_in_exposition(&body));
    }
    let auth = format!("Bearer {}", demo.value("fleet-viewer-token")?);
    let plane = scrape::request(
        demo.addr("fleet")?,
        "GET",
        "/metrics",
        &[("Authorization", &auth)],
        Body::Empty,
    )
    .await?;
    exposed.extend(names_in_exposition(&plane.body));
    let mut wanted = BTreeSet::new();
    for (_, expr) in dashboard_exprs() {
        wanted.extend(metric_names(&expr));
    }
    let missing: Vec<_> = wanted.difference(&exposed).collect();
    // Families present only with configuration the demo lacks: alerts.
    let conditional = [
        "upsight_alert_deliveries_total",
        "upsight_fleet_state_last_save_timestamp_seconds",
    ];
    let missing: Vec<_> = missing
        .into_iter()
        .filter(|m| !conditional.contains(&m.as_str()))
        .collect();
    ensure!(
        missing.is_empty(),
        "dashboard metrics nothing exposes: {missing:?}"
    );
    for name in conditional {
        assert!(
            include_str!("../../docs/metrics.md").contains(name)
                || include_str!("../../docs/fleet.md").contains(name),
            "{name} is documented"
        );
    }
    Ok(())
}

fn names_in_exposition(body: &str) -> BTreeSet<String> {
    body.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| l.split(['{', ' ']).next())
        .map(str::to_owned)
        .collect()
}

/// `ups_*` and `upsight_*` metric names in a PromQL expression (recording rules excluded).
fn metric_names(expr: &str) -> BTreeSet<String> {
    expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .filter(|t| !t.contains(':'))
        .filter(|t| t.starts_with("ups_") || t.starts_with("upsight_"))
        .map(str::to_owned)
        .collect()
}
