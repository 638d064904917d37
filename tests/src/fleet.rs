//! The real `upsight exporter` binary for the fleet tests, next to the real plane of
//! [`crate::fleet_plane`]: the exporter on a free loopback port with a state directory, its
//! stderr kept; a plane configuration with short timings and lifted rate limits; and a wait for
//! a stopped plane's port to refuse connections, so a new plane can take it.
//!
//! Like the plane, the binary is the workspace's `target/<profile>/upsight` (or `UPSIGHT_BIN`):
//! `cargo test --workspace` builds it; run `cargo build -p upsight` first when testing this
//! crate alone. The exporter is killed on drop.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::Context as _;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

use crate::scrape::{self, Samples};

/// How long the exporter may take to answer `/healthz`.
const START_LIMIT: Duration = Duration::from_secs(15);

/// A plane configuration for tests: `listen`, one heartbeat a second and a TTL of 3 s, the
/// ingest and viewer tokens, rate limits lifted (every request comes from 127.0.0.1), and
/// `state_dir` when given.
pub fn plane_config(listen: &str, ingest: &str, viewer: &str, state_dir: Option<&Path>) -> String {
    let state = state_dir.map_or(String::new(), |d| {
        format!("state_dir = {:?}\n", d.display().to_string())
    });
    format!(
        "listen = \"{listen}\"\nheartbeat_interval = \"1s\"\nttl = \"3s\"\n{state}\
         [tokens]\ningest = \"{ingest}\"\nviewer = \"{viewer}\"\n\
         [http]\nrate_limit_per_minute = 60000\nrate_limit_burst = 100000\n\
         heartbeat_limit_per_minute = 60000\nheartbeat_limit_burst = 100000\n"
    )
}

/// Waits (at most `limit`) until nothing accepts connections on `addr` any more.
pub async fn wait_until_refused(addr: SocketAddr, limit: Duration) -> anyhow::Result<()> {
    assert!(addr.ip().is_loopback(), "tests only talk to loopback");
    let wait = async {
        loop {
            #[allow(clippy::disallowed_methods)] // wrapped in a timeout
            let attempt =
                tokio::time::timeout(Duration::from_secs(1), tokio::net::TcpStream::connect(addr))
                    .await;
            if matches!(attempt, Ok(Err(_))) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(limit, wait)
        .await
        .with_context(|| format!("{addr} still accepts connections after {limit:?}"))
}

/// A running exporter process.
#[derive(Debug)]
pub struct ExporterProcess {
    /// Where it listens (loopback).
    pub addr: SocketAddr,
    child: Child,
    stderr: Arc<Mutex<String>>,
    dir: tempfile::TempDir,
}

impl ExporterProcess {
    /// Starts `upsight --log-format json exporter --config FILE` with `config` (TOML without
    /// `listen` and `state_dir`: a free loopback port and a fresh directory are added), without
    /// any inherited `UPSIGHT_*` variable but those in `env`, and waits for `/healthz`.
    pub async fn start(config: &str, env: &[(&str, &str)]) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let addr = SocketAddr::from(([127, 0, 0, 1], crate::free_port()));
        let state = dir.path().join("state");
        let text = format!(
            "listen = \"{addr}\"\nstate_dir = {:?}\n{config}",
            state.display().to_string()
        );
        let path = dir.path().join("exporter.toml");
        crate::write_file(&path, text.as_bytes())?;
        let mut command = Command::new(crate::fleet_plane::binary()?);
        command
            .args(["--log-format", "json", "exporter", "--config"])
            .arg(&path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("UPSIGHT_") {
                command.env_remove(key);
            }
        }
        command.envs(env.iter().copied());
        let mut child = command.spawn().context("starting upsight exporter")?;
        let stream = child.stderr.take().context("stderr is piped")?;
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stderr);
        // Drains stderr for the exporter's whole life, so it never blocks on a full pipe.
        tokio::spawn(async move {
            let mut lines = BufReader::new(stream).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let mut text = sink.lock().unwrap_or_else(PoisonError::into_inner);
                text.push_str(&line);
                text.push('\n');
            }
        });
        let mut exporter = Self {
            addr,
            child,
            stderr,
            dir,
        };
        let healthy = tokio::time::timeout(START_LIMIT, async {
            loop {
                if let Ok(r) = scrape::get(addr, "/healthz").await
                    && r.status == 200
                {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await;
        if healthy.is_err() {
            let code = exporter.child.try_wait().ok().flatten();
            anyhow::bail!(
                "the exporter did not answer /healthz within {START_LIMIT:?} (exit {code:?}); stderr:\n{}",
                exporter.stderr()
            );
        }
        Ok(exporter)
    }

    /// The state directory.
    pub fn state_dir(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    /// Everything the exporter wrote on stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// One scrape of `/metrics`, parsed.
    pub async fn scrape(&self) -> anyhow::Result<Samples> {
        scrape::metrics(self.addr).await
    }

    /// Scrapes every 100 ms until `check` holds, for at most `limit`; the last scrape.
    pub async fn wait_for(
        &self,
        limit: Duration,
        what: &str,
        check: impl Fn(&Samples) -> bool,
    ) -> anyhow::Result<Samples> {
        let context = || format!("; stderr:\n{}", self.stderr());
        scrape::wait_for_metrics(self.addr, limit, what, check, context).await
    }
}
