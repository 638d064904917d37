//! The prometheus-snmp-exporter process: finding the binary, running it, waiting until it
//! answers, and checking what a scrape returned.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::Context as _;
use upsight_e2e::{free_port, scrape};

use crate::case::Case;

/// Where Debian and a manual install put the binary.
pub(crate) const SNMP_EXPORTER_CANDIDATES: &[&str] = &[
    "/usr/bin/prometheus-snmp-exporter",
    "/usr/local/bin/snmp_exporter",
];
/// snmp_exporter readiness: tries × pause.
const READY_TRIES: u32 = 100;
const READY_PAUSE: Duration = Duration::from_millis(100);

/// The first candidate that exists, else `snmp_exporter` on PATH.
pub(crate) fn find_snmp_exporter() -> Option<PathBuf> {
    SNMP_EXPORTER_CANDIDATES
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .or_else(|| upsight_e2e::peers::which("snmp_exporter").map(PathBuf::from))
}

/// Ok when the scrape answered 200 with at least one of the module's metrics; carries
/// snmp_exporter's own `snmp_scrape_duration_seconds` and `snmp_scrape_packets_sent`.
pub(crate) fn check_scrape(
    response: anyhow::Result<scrape::Response>,
    metric_names: &[String],
) -> Result<Option<(f64, f64)>, String> {
    let response = response.map_err(|e| format!("HTTP: {e:#}"))?;
    if response.status != 200 {
        let body: String = response.body.chars().take(200).collect();
        return Err(format!("HTTP {}: {}", response.status, body.trim()));
    }
    let samples = scrape::Samples::parse(&response.body);
    if !metric_names.iter().any(|n| !samples.series(n).is_empty()) {
        return Err("the body has none of the module's metrics".to_owned());
    }
    let own = |name| samples.get(name, &[]);
    Ok(own("snmp_scrape_duration_seconds").zip(own("snmp_scrape_packets_sent")))
}

/// A running prometheus-snmp-exporter on 127.0.0.1; killed on drop.
#[derive(Debug)]
pub(crate) struct SnmpExporter {
    pub(crate) child: Child,
    pub(crate) addr: SocketAddr,
    pub(crate) version: String,
    log: PathBuf,
}

impl SnmpExporter {
    /// Starts `bin` with `config` on a free port; its log goes to `dir`.
    pub(crate) fn start(bin: &Path, config: &Path, dir: &Path) -> anyhow::Result<Self> {
        let version = Command::new(bin)
            .arg("--version")
            .output()
            .map(|o| {
                let text = [o.stdout, o.stderr].concat();
                String::from_utf8_lossy(&text)
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_owned()
            })
            .unwrap_or_default();
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse()?;
        let log = dir.join("snmp_exporter.log");
        let child = Command::new(bin)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--web.listen-address={addr}"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log)?)
            .spawn()
            .with_context(|| format!("start {}", bin.display()))?;
        Ok(Self {
            child,
            addr,
            version: if version.is_empty() {
                "snmp_exporter".to_owned()
            } else {
                version
            },
            log,
        })
    }

    /// Waits until every module answers a scrape with data (bounded: `READY_TRIES`).
    pub(crate) async fn wait_ready(
        &self,
        cases: &[Case],
        target: SocketAddr,
    ) -> anyhow::Result<()> {
        for case in cases {
            let path = format!("/snmp?module={}&target={target}", case.module_name);
            let mut last = String::new();
            let mut ready = false;
            for _ in 0..READY_TRIES {
                match check_scrape(scrape::get(self.addr, &path).await, &case.metric_names) {
                    Ok(_) => {
                        ready = true;
                        break;
                    }
                    Err(e) => last = e,
                }
                tokio::time::sleep(READY_PAUSE).await;
            }
            anyhow::ensure!(
                ready,
                "snmp_exporter never answered {path} with data: {last}\nlog: {}",
                std::fs::read_to_string(&self.log).unwrap_or_default()
            );
        }
        Ok(())
    }
}

impl Drop for SnmpExporter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
