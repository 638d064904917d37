//! A real Prometheus (the distribution's package) scraping a target on loopback.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::{peers, scrape};

/// A running Prometheus; killed on drop.
#[derive(Debug)]
pub struct Prometheus {
    _dir: tempfile::TempDir,
    child: Child,
    /// Its HTTP address.
    pub addr: std::net::SocketAddr,
}

impl Prometheus {
    /// Starts Prometheus scraping `target` (host:port) every second as job `upsight`.
    pub async fn start(target: &str) -> anyhow::Result<Option<Self>> {
        Self::start_with(&format!(
            "  - job_name: upsight\n    static_configs:\n      - targets: ['{target}']\n"
        ))
        .await
    }

    /// Starts Prometheus with `scrape_configs` (YAML list items, indented by two spaces),
    /// scraping every second.
    pub async fn start_with(scrape_configs: &str) -> anyhow::Result<Option<Self>> {
        Self::start_with_rules(&[], scrape_configs).await
    }

    /// Like [`Prometheus::start_with`], loading the rule files `rules` (evaluated every
    /// second) and sending alerts to the Alertmanager at `alertmanager` when given.
    pub async fn start_with_rules(
        rules: &[&std::path::Path],
        scrape_configs: &str,
    ) -> anyhow::Result<Option<Self>> {
        Self::start_full(rules, None, scrape_configs).await
    }

    /// Starts Prometheus with rule files, an optional Alertmanager (`host:port`) and
    /// `scrape_configs`; scrapes and evaluates every second.
    pub async fn start_full(
        rules: &[&std::path::Path],
        alertmanager: Option<&str>,
        scrape_configs: &str,
    ) -> anyhow::Result<Option<Self>> {
        let found = peers::which("prometheus");
        let candidates: Vec<&str> = found
            .as_deref()
            .into_iter()
            .chain(["/usr/bin/prometheus"])
            .collect();
        let Some(bin) = peers::require("prometheus", &candidates) else {
            return Ok(None);
        };
        let dir = tempfile::tempdir()?;
        let port = crate::free_port();
        let mut config = String::from(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n",
        );
        if !rules.is_empty() {
            config.push_str("rule_files:\n");
            for rule in rules {
                config.push_str(&format!("  - {:?}\n", rule.display().to_string()));
            }
        }
        if let Some(target) = alertmanager {
            config.push_str(&format!(
                "alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['{target}']\n"
            ));
        }
        config.push_str(&format!("scrape_configs:\n{scrape_configs}"));
        let path = dir.path().join("prometheus.yml");
        std::io::Write::write_all(&mut std::fs::File::create(&path)?, config.as_bytes())?;
        let child = Command::new(bin)
            .arg(format!("--config.file={}", path.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("log"))?)
            .spawn()?;
        let addr = format!("127.0.0.1:{port}").parse()?;
        let me = Self {
            _dir: dir,
            child,
            addr,
        };
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while tokio::time::Instant::now() < deadline {
            if scrape::get(addr, "/-/ready")
                .await
                .is_ok_and(|r| r.status == 200)
            {
                return Ok(Some(me));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        anyhow::bail!("prometheus not ready: {}", me.log())
    }

    /// Runs an instant query; returns the raw JSON.
    pub async fn query(&self, promql: &str) -> anyhow::Result<serde_json::Value> {
        let encoded: String = promql
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b == b'_' {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        let response = scrape::get(self.addr, &format!("/api/v1/query?query={encoded}")).await?;
        Ok(serde_json::from_str(&response.body)?)
    }

    /// Prometheus's own log, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("log")).unwrap_or_default()
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
