//! The processes of the HTTP measurements, each on 127.0.0.1 and killed on drop: `upsight sim`
//! serving the device files, the release `upsight exporter` polling it, and this bench
//! re-executed as the ceiling server. Plus a plain HTTP/1.1 GET and wrk.

use std::io::{BufRead as _, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use upsight_e2e::{free_port, write_file};

use crate::ceiling::CEILING_FLAG;

/// A child process, killed and reaped on drop.
#[derive(Debug)]
pub(crate) struct Proc {
    child: Child,
    _stdin: Option<ChildStdin>,
    pub(crate) addr: SocketAddr,
    log: PathBuf,
}

impl Proc {
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `VmRSS` and `VmHWM`, in bytes.
    pub(crate) fn memory(&self) -> anyhow::Result<(u64, u64)> {
        upsight_e2e::bench::memory(self.pid())
    }

    /// On-CPU time of the process's threads, in nanoseconds (`/proc/PID/task/*/schedstat`):
    /// `/proc/PID/stat` counts 10 ms ticks, too coarse for an exporter that is idle between
    /// polls. The exporter's threads (two runtime workers, the main thread) live as long as it.
    pub(crate) fn cpu(&self) -> anyhow::Result<Duration> {
        crate::cpu::cpu_time(&self.pid().to_string(), None)
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(5)..].join("\n")
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A command with no `UPSIGHT_*` or `RUST_LOG` from the caller's environment.
fn clean(bin: &Path) -> Command {
    let mut command = Command::new(bin);
    for (name, _) in std::env::vars_os() {
        if name
            .to_str()
            .is_some_and(|n| n.starts_with("UPSIGHT_") || n == "RUST_LOG")
        {
            command.env_remove(name);
        }
    }
    command
}

/// Reads lines of `child`'s stdout until one starts with `prefix`; the rest of that line.
fn read_address(child: &mut Child, prefix: &str) -> anyhow::Result<SocketAddr> {
    let stdout = child.stdout.take().context("no stdout")?;
    let mut lines = std::io::BufReader::new(stdout).lines();
    for _ in 0..50 {
        let line = lines.next().context("stdout closed before an address")??;
        if let Some(rest) = line.trim().strip_prefix(prefix) {
            return rest
                .trim()
                .trim_start_matches("nut://")
                .parse()
                .with_context(|| format!("address in {line:?}"));
        }
    }
    anyhow::bail!("no {prefix:?} line in 50 lines")
}

/// `upsight sim` serving `files`.
pub(crate) fn start_sim(bin: &Path, dir: &Path, files: &[PathBuf]) -> anyhow::Result<Proc> {
    let log = dir.join("sim.log");
    let mut child = clean(bin)
        .args(["sim", "--listen", "127.0.0.1:0"])
        .args(files)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log)?)
        .spawn()
        .context("start upsight sim")?;
    let addr = read_address(&mut child, "nut-simulator");
    let mut proc = Proc {
        child,
        _stdin: None,
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        log,
    };
    proc.addr = addr.with_context(|| format!("the simulator's log ends:\n{}", proc.log_tail()))?;
    Ok(proc)
}

/// `upsight exporter` polling the simulator at `sim`; `interval` of `None` keeps the default.
/// With `lift_limit`, the per-client rate limit is at its widest (wrk is one client).
pub(crate) fn start_exporter(
    bin: &Path,
    dir: &Path,
    sim: SocketAddr,
    interval: Option<&str>,
    lift_limit: bool,
) -> anyhow::Result<Proc> {
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse()?;
    let interval = interval
        .map(|i| format!("interval = \"{i}\"\n"))
        .unwrap_or_default();
    let http = if lift_limit {
        "[http]\nrate_limit_per_minute = 60000\nrate_limit_burst = 100000\n\n"
    } else {
        ""
    };
    let config = dir.join("exporter.toml");
    let text = format!("listen = \"{addr}\"\n{interval}\n{http}[[nut]]\naddress = \"{sim}\"\n");
    write_file(&config, text.as_bytes())?;
    let log = dir.join("exporter.log");
    let child = clean(bin)
        .args(["exporter", "--config"])
        .arg(&config)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log)?)
        .spawn()
        .context("start upsight exporter")?;
    Ok(Proc {
        child,
        _stdin: None,
        addr,
        log,
    })
}

/// This bench as the ceiling server of `body`.
pub(crate) fn start_ceiling(body: &Path) -> anyhow::Result<Proc> {
    let mut child = Command::new(std::env::current_exe()?)
        .arg(CEILING_FLAG)
        .arg(body)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("start the ceiling server")?;
    let stdin = child.stdin.take();
    let addr = read_address(&mut child, "listening");
    let mut proc = Proc {
        child,
        _stdin: stdin,
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        log: PathBuf::new(),
    };
    proc.addr = addr?;
    Ok(proc)
}

/// `GET /metrics` on a fresh connection: the body of a 200, else an error.
pub(crate) fn get_metrics(addr: SocketAddr) -> anyhow::Result<Vec<u8>> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        stream,
        "GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let head_end = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("no end of head")?;
    anyhow::ensure!(
        response.starts_with(b"HTTP/1.1 200"),
        "answer {:?}",
        String::from_utf8_lossy(&response[..head_end.min(80)])
    );
    Ok(response.split_off(head_end + 4))
}

/// Series `ups_up{...} 1.0` in `body`.
pub(crate) fn devices_up(body: &[u8]) -> usize {
    body.split(|b| *b == b'\n')
        .filter(|l| l.starts_with(b"ups_up{") && l.ends_with(b"} 1.0"))
        .count()
}

/// Scrapes the exporter until `count` devices are up, for at most `limit`; the last body.
pub(crate) fn wait_up(exporter: &Proc, count: usize, limit: Duration) -> anyhow::Result<Vec<u8>> {
    let started = Instant::now();
    let mut last = String::from("no answer");
    while started.elapsed() < limit {
        match get_metrics(exporter.addr) {
            Ok(body) if devices_up(&body) == count => return Ok(body),
            Ok(body) => last = format!("{} of {count} up", devices_up(&body)),
            Err(e) => last = format!("{e:#}"),
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    anyhow::bail!(
        "{last} after {limit:?}; the exporter's log ends:\n{}",
        exporter.log_tail()
    )
}

/// What wrk printed, read.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Wrk {
    pub(crate) requests: u64,
    pub(crate) per_second: f64,
    pub(crate) p50: Duration,
    pub(crate) p99: Duration,
    /// The server's CPU over the run.
    pub(crate) server_cpu: Duration,
}

/// wrk with `threads` and `connections` for `seconds` against `server`'s `/metrics`.
pub(crate) fn wrk(
    server: &Proc,
    threads: u32,
    connections: u32,
    seconds: u32,
) -> anyhow::Result<Wrk> {
    let url = format!("http://{}/metrics", server.addr);
    let before = server.cpu()?;
    let output = Command::new("wrk")
        .args([
            format!("-t{threads}"),
            format!("-c{connections}"),
            format!("-d{seconds}s"),
            "--latency".into(),
            url,
        ])
        .stdin(Stdio::null())
        .output()
        .context("run wrk (Debian package wrk)")?;
    let server_cpu = server.cpu()?.saturating_sub(before);
    let text = String::from_utf8_lossy(&output.stdout);
    anyhow::ensure!(output.status.success(), "wrk failed: {text}");
    anyhow::ensure!(!text.contains("Non-2xx"), "wrk saw non-2xx answers: {text}");
    let field = |key: &str| {
        text.lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix(key))
            .map(str::trim)
            .with_context(|| format!("no {key:?} in wrk's output: {text}"))
    };
    let requests = text
        .lines()
        .find(|l| l.contains(" requests in "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .with_context(|| format!("no request count in wrk's output: {text}"))?;
    Ok(Wrk {
        requests,
        per_second: field("Requests/sec:")?.parse()?,
        p50: wrk_duration(field("50%")?)?,
        p99: wrk_duration(field("99%")?)?,
        server_cpu,
    })
}

/// wrk's `1.52ms`, `850.00us`, `1.20s`.
fn wrk_duration(text: &str) -> anyhow::Result<Duration> {
    let (number, scale) = if let Some(n) = text.strip_suffix("us") {
        (n, 1e-6)
    } else if let Some(n) = text.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1.0)
    } else {
        anyhow::bail!("wrk duration {text:?}")
    };
    let value: f64 = number
        .parse()
        .with_context(|| format!("wrk duration {text:?}"))?;
    Ok(Duration::from_secs_f64(value * scale))
}
