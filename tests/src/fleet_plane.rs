//! The real `upsight fleet` binary for whole-system tests: started on 127.0.0.1:0 from a
//! config file, its address read from its JSON log, and members registered and heartbeated
//! over the ingest API with version-1 documents, as an exporter would.
//!
//! The binary is the workspace's `target/<profile>/upsight`, next to the test executable's
//! `deps/` directory (or `UPSIGHT_BIN`): `cargo test --workspace` builds it; run
//! `cargo build -p upsight` first when testing this crate alone. The plane is killed on drop.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::{Context as _, anyhow, ensure};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

use crate::scrape::{self, Body};

/// How long the plane may take to log its address.
const START_LIMIT: Duration = Duration::from_secs(15);

/// The `upsight` binary to run.
pub fn binary() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("UPSIGHT_BIN") {
        return Ok(PathBuf::from(path));
    }
    let exe = std::env::current_exe()?;
    let profile = exe
        .parent()
        .and_then(Path::parent)
        .ok_or_else(|| anyhow!("no target directory above {}", exe.display()))?;
    let bin = profile.join(format!("upsight{}", std::env::consts::EXE_SUFFIX));
    ensure!(
        bin.is_file(),
        "{} not found: build it first (`cargo build -p upsight`; `cargo test --workspace` does)",
        bin.display()
    );
    Ok(bin)
}

/// A running plane.
#[derive(Debug)]
pub struct FleetPlane {
    /// Where it listens (loopback).
    pub addr: std::net::SocketAddr,
    child: Child,
    stderr: Arc<Mutex<String>>,
    _dir: tempfile::TempDir,
}

/// A registered member: where it belongs and its lease.
#[derive(Debug, Clone)]
pub struct Member {
    /// Its group (site).
    pub group: String,
    /// Its identity.
    pub identity: String,
    /// The lease the plane returned.
    pub lease: String,
}

impl FleetPlane {
    /// Starts `upsight --log-format json fleet --config <config>` (the config must listen on
    /// `127.0.0.1:0`) without any inherited `UPSIGHT_*` variable, and waits for its address.
    pub async fn start(config: &str) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("fleet.toml");
        crate::write_file(&path, config.as_bytes())?;
        let mut command = Command::new(binary()?);
        command
            .args(["--log-format", "json", "fleet", "--config"])
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
        let mut child = command.spawn().context("starting upsight fleet")?;
        let stderr = child.stderr.take().context("stderr is piped")?;
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let sink = Arc::clone(&log);
        // Drains stderr for the plane's whole life, so it never blocks on a full pipe.
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let mut text = sink.lock().unwrap_or_else(PoisonError::into_inner);
                text.push_str(&line);
                text.push('\n');
                let _ = tx.send(line);
            }
        });
        let addr = tokio::time::timeout(START_LIMIT, async {
            while let Some(line) = rx.recv().await {
                if let Some(rest) = line.split("\"listen\":\"").nth(1)
                    && line.contains("Fleet plane started")
                {
                    return rest.split('"').next().map(str::parse);
                }
            }
            None
        })
        .await;
        let text = log.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let Ok(Some(Ok(addr))) = addr else {
            anyhow::bail!("no listen address within {START_LIMIT:?}; stderr:\n{text}");
        };
        Ok(Self {
            addr,
            child,
            stderr: log,
            _dir: dir,
        })
    }

    /// Everything the plane wrote on stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// `method path` with `Authorization: Bearer <token>` and a JSON body, if any.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<scrape::Response> {
        let auth = format!("Bearer {token}");
        let text = body.map(Value::to_string).unwrap_or_default();
        let mut headers = vec![("Authorization", auth.as_str())];
        let body = if body.is_some() {
            headers.push(("Content-Type", "application/json"));
            Body::Sized(text.as_bytes())
        } else {
            Body::Empty
        };
        scrape::request(self.addr, method, path, &headers, body).await
    }

    /// Registers `identity` in `group` with the ingest `token`.
    pub async fn register(
        &self,
        token: &str,
        group: &str,
        identity: &str,
    ) -> anyhow::Result<Member> {
        let request = json!({
            "version": 1, "identity": identity, "group": group, "software_version": "0.1.0",
            "scrape_target": null, "lease": null,
        });
        let r = self
            .call("POST", "/api/v1/register", token, Some(&request))
            .await?;
        ensure!(
            r.status == 200,
            "register {group}/{identity}: {} {}",
            r.status,
            r.body
        );
        let response: Value = serde_json::from_str(&r.body)?;
        let lease = response["lease"].as_str().context("a lease")?.to_owned();
        Ok(Member {
            group: group.to_owned(),
            identity: identity.to_owned(),
            lease,
        })
    }

    /// Sends a heartbeat of `member` reporting `devices` (see [`ups`]).
    pub async fn heartbeat(
        &self,
        token: &str,
        member: &Member,
        devices: &[Value],
    ) -> anyhow::Result<()> {
        let hb = json!({
            "version": 1, "identity": member.identity, "lease": member.lease,
            "group": member.group, "software_version": "0.1.0", "uptime_seconds": 60,
            "sent_at_unix": 1_767_225_600u64, "devices": devices,
        });
        let r = self
            .call("POST", "/api/v1/heartbeat", token, Some(&hb))
            .await?;
        ensure!(
            r.status == 204,
            "heartbeat {}: {} {}",
            member.identity,
            r.status,
            r.body
        );
        Ok(())
    }
}

impl Drop for FleetPlane {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// One UPS of a heartbeat: up and fresh, with `status` flags and `runtime_seconds` left.
pub fn ups(name: &str, status: &[&str], runtime_seconds: f64) -> Value {
    json!({
        "name": name, "source": "nut", "is_up": true, "is_stale": false, "status": status,
        "charge_ratio": 0.8, "runtime_seconds": runtime_seconds, "load_ratio": 0.3,
        "real_power_watts": 240.5, "last_transfer_unix": 1_767_225_000u64,
    })
}
