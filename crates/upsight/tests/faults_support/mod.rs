//! Peers and probes for the fault-injection test: a small tmpfs, a real upsd with one
//! dummy-ups driver and a connection cap, a TCP relay whose connections the test can cut, the
//! real fleet plane, raw HTTP/1.1 with a deadline, the scrape parser, and the sampler that
//! watches the exporter's answers, freshness, RSS and descriptors phase by phase.

use std::fmt::Write as _;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const UPSD: &[&str] = &["/lib/nut/upsd", "/usr/lib/nut/upsd", "/usr/sbin/upsd"];
const DUMMY: &[&str] = &["/lib/nut/dummy-ups", "/usr/lib/nut/dummy-ups"];
/// Where Debian's `faketime` package puts the preload library.
const FAKETIME: &[&str] = &[
    "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
    "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
    "/usr/lib/faketime/libfaketime.so.1",
];

/// Whether a missing peer fails the run (`scripts/test` sets `UPSIGHT_REQUIRE_PEERS=1`).
pub(crate) fn peers_required() -> bool {
    std::env::var("UPSIGHT_REQUIRE_PEERS").is_ok_and(|v| v == "1")
}

/// A peer is missing: fails under `scripts/test`, else says so loudly.
pub(crate) fn missing(what: &str) {
    assert!(
        !peers_required(),
        "{what} (UPSIGHT_REQUIRE_PEERS=1: scripts/test must provide it)"
    );
    eprintln!("SKIPPED (peer missing, not under scripts/test): {what}");
}

fn first_existing(candidates: &[&str]) -> Option<PathBuf> {
    candidates.iter().map(PathBuf::from).find(|p| p.exists())
}

/// The libfaketime preload library, if installed.
pub(crate) fn faketime_library() -> Option<PathBuf> {
    first_existing(FAKETIME)
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

pub(crate) fn write_file(path: &Path, text: &str) {
    std::fs::File::create(path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
}

pub(crate) fn signal(pid: u32, signal: &str) {
    let _ = Command::new("kill")
        .args([signal, &pid.to_string()])
        .status();
}

// === impl Mount ===

/// A tmpfs mounted by the test; unmounted on drop, lazily if still busy.
#[derive(Debug)]
pub(crate) struct Mount {
    pub(crate) path: PathBuf,
}

impl Mount {
    /// Mounts a tmpfs of `size` (like `2m`) on the existing directory `path`.
    pub(crate) fn tmpfs(path: &Path, size: &str) -> Result<Self, String> {
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(path)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "mount -t tmpfs on {} failed ({}): {}",
                path.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(Self {
            path: path.to_path_buf(),
        })
    }

    /// Writes `name` until the file system is full; the bytes written.
    pub(crate) fn fill(&self, name: &str) -> u64 {
        let mut file = std::fs::File::create(self.path.join(name)).unwrap();
        let chunk = vec![0x5a_u8; 64 * 1024];
        let mut written = 0u64;
        // A 2 MiB tmpfs holds at most 32 chunks; the bound only guards against a mount that
        // never fills.
        for _ in 0..4096 {
            match file.write_all(&chunk) {
                Ok(()) => written += chunk.len() as u64,
                Err(e) if e.kind() == std::io::ErrorKind::StorageFull => return written,
                Err(e) => panic!("filling {}: {e}", self.path.display()),
            }
        }
        panic!("{} never filled up", self.path.display());
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let unmounted = Command::new("umount")
            .arg(&self.path)
            .status()
            .is_ok_and(|s| s.success());
        if !unmounted {
            let _ = Command::new("umount").arg("-l").arg(&self.path).status();
        }
    }
}

// === impl Upsd ===

/// A real upsd 2.8 with one dummy-ups driver, listening on 127.0.0.1 and capped at
/// `client_slots` client connections (`MAXCONN` counts the driver socket too). Killed on drop.
#[derive(Debug)]
pub(crate) struct Upsd {
    dir: tempfile::TempDir,
    pub(crate) addr: SocketAddr,
    ups: String,
    upsd_bin: PathBuf,
    dummy_bin: PathBuf,
    upsd: Option<Child>,
    driver: Option<Child>,
}

impl Upsd {
    /// `None` when upsd or dummy-ups is not installed (and peers are not required).
    pub(crate) fn start(ups: &str, dev: &str, client_slots: u32) -> Option<Self> {
        let (Some(upsd_bin), Some(dummy_bin)) = (first_existing(UPSD), first_existing(DUMMY))
        else {
            missing(&format!(
                "real peer upsd + dummy-ups (looked for {UPSD:?}, {DUMMY:?})"
            ));
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("state")).unwrap();
        let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
        // upsd 2.8 mainloop: driver sockets, then clients, then the listening socket share
        // MAXCONN poll slots; with one driver, `1 + n` lets n clients in and then stops
        // accepting (newcomers wait in the listen backlog, unanswered).
        let conf = format!(
            "LISTEN 127.0.0.1 {}\nMAXAGE 15\nMAXCONN {}\n",
            addr.port(),
            1 + client_slots
        );
        write_file(&root.join("upsd.conf"), &conf);
        write_file(&root.join("nut.conf"), "MODE=standalone\n");
        write_file(&root.join("upsd.users"), "[admin]\n  password = s3cret\n");
        write_file(&root.join(format!("{ups}.dev")), dev);
        let ups_conf =
            format!("[{ups}]\n  driver = dummy-ups\n  port = {ups}.dev\n  desc = \"{ups}\"\n");
        write_file(&root.join("ups.conf"), &ups_conf);
        let mut me = Self {
            dir,
            addr,
            ups: ups.to_owned(),
            upsd_bin,
            dummy_bin,
            upsd: None,
            driver: None,
        };
        me.restart_driver();
        let socket = me.dir.path().join(format!("state/dummy-ups-{ups}"));
        let deadline = Instant::now() + Duration::from_secs(20);
        while !socket.exists() {
            assert!(
                Instant::now() < deadline,
                "dummy-ups created no socket: {}",
                me.log("driver.log.err")
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let upsd_bin = me.upsd_bin.clone();
        me.upsd = Some(me.spawn(&upsd_bin, &["-F"], "upsd.log"));
        me.wait_ready(Duration::from_secs(30));
        Some(me)
    }

    fn spawn(&self, bin: &Path, args: &[&str], log: &str) -> Child {
        let root = self.dir.path();
        let mut command = Command::new(bin);
        command
            .args(args)
            .env("NUT_CONFPATH", root)
            .env("NUT_STATEPATH", root.join("state"))
            .env("NUT_ALTPIDPATH", root.join("state"))
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(root.join(log)).unwrap())
            .stderr(std::fs::File::create(root.join(format!("{log}.err"))).unwrap());
        // As root, NUT drops to user `nut`, which cannot read this private directory.
        let is_root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
        if is_root {
            command.args(["-u", "root"]);
        }
        command.spawn().unwrap()
    }

    /// Kills the driver (SIGKILL): upsd then answers `DRIVER-NOT-CONNECTED` (or `WAIT`).
    pub(crate) fn kill_driver(&mut self) {
        if let Some(mut child) = self.driver.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the driver (again); upsd reconnects to its socket by itself.
    pub(crate) fn restart_driver(&mut self) {
        let dummy = self.dummy_bin.clone();
        let ups = self.ups.clone();
        self.driver = Some(self.spawn(&dummy, &["-a", &ups, "-F"], "driver.log"));
    }

    /// Waits until `LIST VAR` answers with data that is not `WAIT`.
    fn wait_ready(&self, limit: Duration) {
        let deadline = Instant::now() + limit;
        let mut last = String::new();
        while Instant::now() < deadline {
            last = self.ask(&format!("LIST VAR {}\n", self.ups), Duration::from_secs(2));
            if last.contains("END LIST VAR") && !last.contains("\"WAIT\"") {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "upsd not ready after {limit:?}: {last:?}; upsd: {}; driver: {}",
            self.log("upsd.log.err"),
            self.log("driver.log.err")
        );
    }

    /// Sends `commands` and `LOGOUT` on a fresh connection; what came back before the close.
    fn ask(&self, commands: &str, limit: Duration) -> String {
        let Ok(mut s) = TcpStream::connect_timeout(&self.addr, limit) else {
            return String::new();
        };
        let _ = s.set_read_timeout(Some(limit));
        let _ = s.write_all(format!("{commands}LOGOUT\n").as_bytes());
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out
    }

    pub(crate) fn log(&self, file: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(file)).unwrap_or_default()
    }
}

impl Drop for Upsd {
    fn drop(&mut self) {
        for child in [self.driver.as_mut(), self.upsd.as_mut()]
            .into_iter()
            .flatten()
        {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Another NUT client (a second upsmon, an operator's upsc) holding a connection to upsd.
#[derive(Debug)]
pub(crate) struct NutClient {
    stream: BufReader<TcpStream>,
}

impl NutClient {
    /// Connects and sends `VER` at once; the answer is read by [`NutClient::answer`].
    pub(crate) fn connect(addr: SocketAddr) -> Self {
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).unwrap();
        stream.write_all(b"VER\n").unwrap();
        Self {
            stream: BufReader::new(stream),
        }
    }

    /// The answer to `VER` if upsd sends one within `limit`.
    pub(crate) fn answer(&mut self, limit: Duration) -> Option<String> {
        self.stream.get_ref().set_read_timeout(Some(limit)).ok()?;
        let mut line = String::new();
        match self.stream.read_line(&mut line) {
            Ok(n) if n > 0 => Some(line.trim_end().to_owned()),
            _ => None,
        }
    }
}

// === impl Relay ===

/// A TCP relay in front of `upstream`: each accepted connection gets its own upstream
/// connection; [`Relay::cut`] drops every current pair at once (a network blip).
#[derive(Debug)]
pub(crate) struct Relay {
    pub(crate) addr: SocketAddr,
    cut: tokio::sync::watch::Sender<u64>,
}

impl Relay {
    pub(crate) fn start(runtime: &tokio::runtime::Runtime, upstream: SocketAddr) -> Self {
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let (cut, _) = tokio::sync::watch::channel(0u64);
        let cuts = cut.clone();
        runtime.spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                tokio::spawn(relay(client, upstream, cuts.subscribe()));
            }
        });
        Self { addr, cut }
    }

    /// Closes every relayed connection (both sides) now.
    pub(crate) fn cut(&self) {
        self.cut.send_modify(|n| *n += 1);
    }
}

async fn relay(
    mut client: tokio::net::TcpStream,
    upstream: SocketAddr,
    mut cut: tokio::sync::watch::Receiver<u64>,
) {
    #[allow(clippy::disallowed_methods)] // bounded by the timeout around it
    let connect = tokio::net::TcpStream::connect(upstream);
    let Ok(Ok(mut server)) = tokio::time::timeout(Duration::from_secs(2), connect).await else {
        return;
    };
    let (mut client_read, mut client_write) = client.split();
    let (mut server_read, mut server_write) = server.split();
    // Whichever side ends first (or a cut) closes both: no half-open pair is left behind.
    tokio::select! {
        _ = tokio::io::copy(&mut client_read, &mut server_write) => {}
        _ = tokio::io::copy(&mut server_read, &mut client_write) => {}
        _ = cut.changed() => {}
    }
}

// === HTTP and the scrape ===

/// One `GET` with `Connection: close`: `(status, body, elapsed)`, or why it failed; the
/// whole exchange must fit in `limit`.
pub(crate) fn get(
    addr: SocketAddr,
    path: &str,
    limit: Duration,
) -> Result<(u16, String, Duration), String> {
    let started = Instant::now();
    let mut s = TcpStream::connect_timeout(&addr, limit).map_err(|e| format!("connect: {e}"))?;
    s.set_read_timeout(Some(limit)).map_err(|e| e.to_string())?;
    s.set_write_timeout(Some(limit))
        .map_err(|e| e.to_string())?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    s.write_all(request.as_bytes())
        .map_err(|e| format!("write: {e}"))?;
    let mut reply = Vec::new();
    s.read_to_end(&mut reply)
        .map_err(|e| format!("read: {e}"))?;
    let elapsed = started.elapsed();
    let text = String::from_utf8_lossy(&reply).into_owned();
    let status = text
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no status line in {:?}", text.get(..80)))?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((status, body, elapsed))
}

/// The value of the series `name{labels…}` (labels in any order; others allowed).
pub(crate) fn sample(body: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    body.lines().find_map(|line| {
        let (series, value) = line.rsplit_once(' ')?;
        let (metric, rest) = series.split_once('{').unwrap_or((series, "}"));
        if metric != name {
            return None;
        }
        let rest = rest.strip_suffix('}')?;
        let pairs: Vec<&str> = rest.split(',').collect();
        labels
            .iter()
            .all(|(k, v)| pairs.contains(&format!("{k}=\"{v}\"").as_str()))
            .then(|| value.parse().ok())
            .flatten()
    })
}

/// `(VmRSS in KiB, open descriptors)` of a running process.
pub(crate) fn rss_and_fds(pid: u32) -> Option<(u64, usize)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count();
    Some((rss, fds))
}

// === impl Plane ===

/// The plane's ingest token (the exporter's `[fleet] token`).
pub(crate) const INGEST: &str = "faults-ingest-token-0123456789abcdef012345";
const VIEWER: &str = "faults-viewer-token-0123456789abcdef012345";
const BIN: &str = env!("CARGO_BIN_EXE_upsight");

/// The real `upsight fleet` plane on a fixed port, its state in `dir/state` (so a restart
/// keeps its members), heartbeats every second. Killed on drop.
#[derive(Debug)]
pub(crate) struct Plane {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
}

impl Plane {
    pub(crate) fn start(port: u16, dir: &Path) -> Self {
        let mut plane = Self {
            child: None,
            port,
            dir: dir.to_path_buf(),
        };
        plane.restart();
        plane
    }

    /// Starts it (again) on the same port and state, and waits until `/healthz` answers.
    pub(crate) fn restart(&mut self) {
        let config = self.dir.join("fleet.toml");
        let text = format!(
            "listen = \"127.0.0.1:{}\"\nstate_dir = \"{}\"\nheartbeat_interval = \"1s\"\n\
             ttl = \"3s\"\n[tokens]\ningest = \"{INGEST}\"\nviewer = \"{VIEWER}\"\n\
             [http]\nheartbeat_limit_per_minute = 6000\nheartbeat_limit_burst = 100\n",
            self.port,
            self.dir.join("state").display()
        );
        write_file(&config, &text);
        let mut command = Command::new(BIN);
        command
            .args(["fleet", "--config"])
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(self.dir.join("fleet.log")).unwrap());
        for (key, _) in std::env::vars() {
            if key.starts_with("UPSIGHT_") {
                command.env_remove(key);
            }
        }
        self.child = Some(command.spawn().unwrap());
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let deadline = Instant::now() + Duration::from_secs(15);
        while !get(addr, "/healthz", Duration::from_secs(2)).is_ok_and(|r| r.0 == 200) {
            let log = std::fs::read_to_string(self.dir.join("fleet.log")).unwrap_or_default();
            assert!(
                Instant::now() < deadline,
                "the plane did not come up: {log}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `kill -9`.
    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Plane {
    fn drop(&mut self) {
        self.kill();
    }
}

// === impl Sampler ===

/// What every sample is held to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bounds {
    /// Longest a tracked device may go without a new `ups_last_success_timestamp_seconds`.
    pub(crate) freshness: Duration,
    /// `/metrics` and `/healthz` answer 200 within this.
    pub(crate) http: Duration,
    /// Open descriptors stay below this.
    pub(crate) fds: usize,
    /// RSS stays within this of the baseline.
    pub(crate) rss_growth_kib: u64,
}

/// What one phase showed.
#[derive(Debug, Clone, Default)]
pub(crate) struct PhaseStats {
    pub(crate) name: String,
    pub(crate) samples: u32,
    pub(crate) max_rss_kib: u64,
    pub(crate) max_fds: usize,
    /// Per tracked device: the longest it went without a new successful poll.
    pub(crate) worst_age: [Duration; 2],
    pub(crate) worst_metrics: Duration,
    pub(crate) worst_healthz: Duration,
    /// From removing the fault to the recovery check passing.
    pub(crate) recovery: Option<Duration>,
}

/// The sampler's findings, shared with the test.
#[derive(Debug, Default)]
pub(crate) struct Findings {
    /// One row per phase; samples go to the last.
    pub(crate) phases: Vec<PhaseStats>,
    /// Every bound broken, with its phase (at most 40).
    pub(crate) problems: Vec<String>,
    /// Problems count once set (before, the exporter may not listen yet).
    pub(crate) is_armed: bool,
    pub(crate) baseline_rss_kib: Option<u64>,
    pub(crate) baseline_fds: usize,
}

impl Findings {
    fn problem(&mut self, mut text: String) {
        if !self.is_armed || self.problems.len() >= 40 {
            return;
        }
        let phase = self.phases.last().map_or("start", |p| p.name.as_str());
        text.insert_str(0, &format!("[{phase}] "));
        self.problems.push(text);
    }

    fn phase(&mut self) -> &mut PhaseStats {
        if self.phases.is_empty() {
            self.phases.push(PhaseStats {
                name: "startup".into(),
                ..PhaseStats::default()
            });
        }
        self.phases.last_mut().expect("pushed above")
    }
}

/// Samples the exporter every 250 ms on its own thread until stopped: `/metrics` and
/// `/healthz` latency, the two tracked devices' freshness, the first one's energy counter
/// (which must never go down), RSS and open descriptors.
#[derive(Debug)]
pub(crate) struct Sampler {
    findings: Arc<Mutex<Findings>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    tracked: [&'static str; 2],
}

impl Sampler {
    pub(crate) fn start(
        addr: SocketAddr,
        pid: u32,
        bounds: Bounds,
        tracked: [&'static str; 2],
    ) -> Self {
        let findings = Arc::new(Mutex::new(Findings::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (findings, stop) = (Arc::clone(&findings), Arc::clone(&stop));
            let target = Target {
                addr,
                pid,
                bounds,
                tracked,
            };
            std::thread::spawn(move || target.sample_until(&findings, &stop))
        };
        Self {
            findings,
            stop,
            thread: Some(thread),
            tracked,
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Findings> {
        self.findings.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn stop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    /// The per-phase table.
    pub(crate) fn table(&self) -> String {
        let [a, b] = self.tracked;
        let mut out = format!(
            "{:<16} {:>7}  {:>11}  {:>7}  {:>14}  {:>14}  {:>14}  {:>14}  {:>12}\n",
            "phase",
            "samples",
            "max RSS MiB",
            "max fds",
            format!("worst {a} age"),
            format!("worst {b} age"),
            "worst /metrics",
            "worst /healthz",
            "recovered in"
        );
        for p in self.lock().phases.iter().filter(|p| p.name != "startup") {
            let _ = writeln!(
                out,
                "{:<16} {:>7}  {:>11.1}  {:>7}  {:>14.2?}  {:>14.2?}  {:>14.2?}  {:>14.2?}  {:>12}",
                p.name,
                p.samples,
                p.max_rss_kib as f64 / 1024.0,
                p.max_fds,
                p.worst_age[0],
                p.worst_age[1],
                p.worst_metrics,
                p.worst_healthz,
                p.recovery.map_or("-".to_owned(), |d| format!("{d:.2?}"))
            );
        }
        out
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.stop();
    }
}

/// What the sampling thread watches.
#[derive(Debug, Clone, Copy)]
struct Target {
    addr: SocketAddr,
    pid: u32,
    bounds: Bounds,
    tracked: [&'static str; 2],
}

impl Target {
    fn sample_until(self, findings: &Mutex<Findings>, stop: &AtomicBool) {
        // Per tracked device: its last-success timestamp and when the sampler saw it change
        // (a change, not an increase: a wall-clock jump back is still a new poll).
        let mut seen: [Option<(f64, Instant)>; 2] = [None, None];
        let mut energy: Option<f64> = None;
        while !stop.load(Ordering::Relaxed) {
            let tick = Instant::now();
            let metrics = get(self.addr, "/metrics", self.bounds.http);
            let health = get(self.addr, "/healthz", self.bounds.http);
            let proc_stats = rss_and_fds(self.pid);
            let now = Instant::now();
            let mut f = findings.lock().unwrap_or_else(|e| e.into_inner());
            self.record_http(&mut f, "/healthz", &health, |p| &mut p.worst_healthz);
            self.record_http(&mut f, "/metrics", &metrics, |p| &mut p.worst_metrics);
            if let Ok((200, body, _)) = &metrics {
                for (slot, ups) in seen.iter_mut().zip(self.tracked) {
                    let stamp = sample(body, "ups_last_success_timestamp_seconds", &[("ups", ups)]);
                    if let Some(v) = stamp
                        && slot.is_none_or(|(old, _)| old != v)
                    {
                        *slot = Some((v, now));
                    }
                }
                let ups = self.tracked[0];
                let new = sample(body, "ups_energy_joules_total", &[("ups", ups)]);
                if let (Some(new), Some(old)) = (new, energy)
                    && new < old
                {
                    f.problem(format!("{ups}'s energy counter went down: {old} -> {new}"));
                }
                energy = new.or(energy);
            }
            for (i, (ups, slot)) in self.tracked.iter().zip(seen).enumerate() {
                let Some((_, since)) = slot else { continue };
                let age = now - since;
                let worst = &mut f.phase().worst_age[i];
                *worst = (*worst).max(age);
                if age > self.bounds.freshness {
                    f.problem(format!("{ups} has had no successful poll for {age:.1?}"));
                }
            }
            self.record_process(&mut f, proc_stats);
            drop(f);
            std::thread::sleep(Duration::from_millis(250).saturating_sub(tick.elapsed()));
        }
    }

    fn record_http(
        self,
        f: &mut Findings,
        path: &str,
        result: &Result<(u16, String, Duration), String>,
        worst: impl Fn(&mut PhaseStats) -> &mut Duration,
    ) {
        match result {
            Ok((200, _, elapsed)) => {
                let slot = worst(f.phase());
                *slot = (*slot).max(*elapsed);
                if *elapsed > self.bounds.http {
                    f.problem(format!("{path} took {elapsed:?}"));
                }
            }
            Ok((status, body, _)) => {
                let start = body.get(..120).unwrap_or(body);
                f.problem(format!("{path} answered {status}: {start}"));
            }
            Err(e) => f.problem(format!("{path} failed: {e}")),
        }
    }

    fn record_process(self, f: &mut Findings, stats: Option<(u64, usize)>) {
        let baseline = f.baseline_rss_kib;
        let phase = f.phase();
        phase.samples += 1;
        let Some((rss, fds)) = stats else {
            f.problem("the exporter process is gone".into());
            return;
        };
        phase.max_rss_kib = phase.max_rss_kib.max(rss);
        phase.max_fds = phase.max_fds.max(fds);
        if fds >= self.bounds.fds {
            f.problem(format!("{fds} open descriptors"));
        }
        if let Some(base) = baseline
            && rss > base + self.bounds.rss_growth_kib
        {
            f.problem(format!("RSS {rss} KiB, baseline {base} KiB"));
        }
    }
}

// === logs ===

/// Each distinct WARN or ERROR message of a text log with how often it was logged.
pub(crate) fn log_summary(log: &str) -> String {
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    for line in log.lines() {
        let plain = strip_ansi(line);
        let Some(at) = plain.find(" WARN ").or_else(|| plain.find(" ERROR ")) else {
            continue;
        };
        let rest = plain[at..].trim_start();
        // `LEVEL target: Message. fields…`: the message ends at its first full stop.
        let message = rest.split_once(". ").map_or(rest, |(m, _)| m);
        *counts.entry(message.to_owned()).or_default() += 1;
    }
    counts
        .iter()
        .map(|(message, n)| format!("  {n:>3} x {message}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `line` without ANSI colour sequences (the text log colours even when not on a terminal).
pub(crate) fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ parameters final-letter.
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
