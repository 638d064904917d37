//! The servers under load, each its own process on 127.0.0.1 and killed on drop: the release
//! `upsight fleet` with a bench configuration, and this bench re-executed as a ceiling server
//! (`bare`).

use std::io::BufRead as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use upsight_e2e::{free_port, write_file};

use crate::bare::{BARE_FLAG, HARDENED_FLAG};
use crate::client::wait_ready;

/// Bearer for register and heartbeat (the plane wants at least 32 characters).
pub(crate) const INGEST_TOKEN: &str = "bench-ingest-token-0123456789abcdef0123";
const VIEWER_TOKEN: &str = "bench-viewer-token-0123456789abcdef0123";
/// `/readyz` polling: pause between tries, and how long a start may take.
const READY_PAUSE: Duration = Duration::from_millis(5);
const READY_DEADLINE: Duration = Duration::from_secs(60);
/// Environment the plane reads that must not leak in from the caller's shell.
const PLANE_ENV: &[&str] = &[
    "RUST_LOG",
    "UPSIGHT_FLEET_LISTEN",
    "UPSIGHT_FLEET_STATE_DIR",
    "UPSIGHT_FLEET_INGEST_TOKEN",
    "UPSIGHT_FLEET_INGEST_TOKEN_FILE",
    "UPSIGHT_FLEET_VIEWER_TOKEN",
    "UPSIGHT_FLEET_VIEWER_TOKEN_FILE",
    "UPSIGHT_FLEET_TOKEN",
    "UPSIGHT_FLEET_TOKEN_FILE",
    "UPSIGHT_FLEET_INSECURE",
];

/// The plane's configuration: state saved in `state_dir` (in memory only without), both
/// tokens, the 15 s interval, and every limit lifted far above what one bench client on
/// loopback sends (the highest rates and bursts `[http]` accepts).
pub(crate) fn plane_config(
    listen: SocketAddr,
    state_dir: Option<&Path>,
    max_members: usize,
) -> String {
    let state_dir = state_dir
        .map(|dir| format!("state_dir = \"{}\"\n", dir.display()))
        .unwrap_or_default();
    format!(
        r#"listen = "{listen}"
{state_dir}heartbeat_interval = "15s"
max_members = {max_members}

[tokens]
ingest = "{INGEST_TOKEN}"
viewer = "{VIEWER_TOKEN}"

[http]
rate_limit_per_minute = 60000
rate_limit_burst = 100000
heartbeat_limit_per_minute = 60000
heartbeat_limit_burst = 100000
"#
    )
}

/// A running `upsight fleet`.
#[derive(Debug)]
pub(crate) struct Plane {
    child: Child,
    /// Where it listens.
    pub(crate) addr: SocketAddr,
    /// Its log (stderr).
    pub(crate) log: PathBuf,
    /// Spawn to the first `/readyz` 200.
    pub(crate) ready_after: Duration,
}

impl Plane {
    /// Writes a configuration into `dir` (state in `state_dir`, if any), starts the plane and
    /// waits for `/readyz`.
    pub(crate) async fn start(
        bin: &Path,
        dir: &Path,
        state_dir: Option<&Path>,
        max_members: usize,
    ) -> anyhow::Result<Self> {
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse()?;
        let config = dir.join("fleet.toml");
        write_file(
            &config,
            plane_config(addr, state_dir, max_members).as_bytes(),
        )?;
        let log = dir.join("fleet.log");
        let mut command = Command::new(bin);
        command
            .args(["fleet", "--config"])
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log)?);
        for name in PLANE_ENV {
            command.env_remove(name);
        }
        let started = Instant::now();
        let child = command
            .spawn()
            .with_context(|| format!("start {}", bin.display()))?;
        let mut plane = Self {
            child,
            addr,
            log,
            ready_after: Duration::ZERO,
        };
        plane.ready_after = wait_ready(addr, started, READY_PAUSE, READY_DEADLINE)
            .await
            .with_context(|| plane.log_tail())?;
        Ok(plane)
    }

    /// The process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `VmRSS` and `VmHWM` in bytes.
    pub(crate) fn memory(&self) -> anyhow::Result<(u64, u64)> {
        upsight_e2e::bench::memory(self.pid())
    }

    /// How many log lines contain `needle`.
    pub(crate) fn log_lines(&self, needle: &str) -> usize {
        std::fs::read_to_string(&self.log)
            .map(|text| text.lines().filter(|l| l.contains(needle)).count())
            .unwrap_or(0)
    }

    /// The last lines of the log, for an error message.
    pub(crate) fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(5)..].join("\n");
        format!("the plane's log ends:\n{tail}")
    }
}

impl Drop for Plane {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// This bench re-executed as a ceiling server (`bare`): exits when its stdin closes, and is
/// killed on drop.
#[derive(Debug)]
pub(crate) struct Bare {
    child: Child,
    _stdin: Option<ChildStdin>,
    /// Where it listens.
    pub(crate) addr: SocketAddr,
}

impl Bare {
    /// Starts it, with `upsight-http`'s layers if `is_hardened`, and reads the address it
    /// prints.
    pub(crate) fn start(is_hardened: bool) -> anyhow::Result<Self> {
        let flag = if is_hardened {
            HARDENED_FLAG
        } else {
            BARE_FLAG
        };
        let mut child = Command::new(std::env::current_exe()?)
            .arg(flag)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("start the bare server")?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take();
        // The guard first: a server that prints no address is still killed.
        let mut server = Self {
            child,
            _stdin: stdin,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        };
        let mut line = String::new();
        std::io::BufReader::new(stdout.context("the bare server's stdout")?)
            .read_line(&mut line)?;
        server.addr = line
            .trim()
            .strip_prefix("listening ")
            .and_then(|a| a.parse().ok())
            .with_context(|| format!("the bare server printed {line:?}"))?;
        Ok(server)
    }

    /// The process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Bare {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
