//! `upsight exporter` crash safety against the real binary: 100 `kill -9`s while an admin
//! client adds and removes devices through the API. Every restart must load a valid state
//! file, and every change acknowledged more than the flush window before the kill must be in
//! it: an added device present, a removed one absent. Loopback only, bounded loops.

#![allow(clippy::unwrap_used)] // test helpers may panic: a panic is a test failure

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use upsight_sim::{Device, Simulator};

const BIN: &str = env!("CARGO_BIN_EXE_upsight");
const ADMIN: &str = "crash-test-admin-token-0123456789abcdef";
const KILLS: usize = 100;
/// The exporter copies its state at most once a second (`FLUSH_WINDOW`) and a save takes
/// milliseconds on an idle disk (up to a second on a loaded CI machine). A change acknowledged
/// this long before a kill must survive it.
const GUARANTEED_AFTER: Duration = Duration::from_secs(2);
/// Devices the client keeps at most: it removes the oldest beyond this many.
const LIVE: u64 = 12;

/// What the client knows about one device name.
#[derive(Debug, Clone, Copy)]
enum Change {
    /// Added, acknowledged at this instant.
    Added(Instant),
    /// Removed, acknowledged at this instant.
    Removed(Instant),
}

type Log = Arc<Mutex<BTreeMap<u64, Change>>>;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

/// One HTTP/1.1 exchange; `None` when the exporter is down or the answer is cut short.
fn send(addr: SocketAddr, method: &str, path: &str, body: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_millis(300)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(3))).ok()?;
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {ADMIN}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).ok()?;
    let mut reply = String::new();
    s.read_to_string(&mut reply).ok()?;
    let status = reply.split(' ').nth(1)?.parse().ok()?;
    let body = reply.split_once("\r\n\r\n")?.1.to_owned();
    Some((status, body))
}

/// A running exporter, killed when dropped: a failed assertion leaves no process behind.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the exporter, its log (saves included) going to `log`: a failure prints it.
fn start(config: &Path, log: &Path) -> Running {
    let child = Command::new(BIN)
        .args(["exporter", "--config"])
        .arg(config)
        .env_remove("UPSIGHT_LISTEN")
        .env_remove("UPSIGHT_STATE_DIR")
        .env_remove("UPSIGHT_ADMIN_TOKEN")
        .env("RUST_LOG", "info,upsight_exporter::tracker=debug")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    Running(child)
}

fn ready(addr: SocketAddr, Running(child): &mut Running) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while send(addr, "GET", "/healthz", "").map(|r| r.0) != Some(200) {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the exporter exited at startup: the state file was refused?"
        );
        assert!(Instant::now() < deadline, "the exporter did not come up");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn name(n: u64) -> String {
    format!("crash-{n}")
}

/// Pauses the client while the exporter restarts and the test compares its file with the log.
#[derive(Debug, Default)]
struct Pause {
    /// Set by the test: stop before the next request.
    wanted: AtomicBool,
    /// Set by the client: no request in flight.
    idle: AtomicBool,
}

impl Pause {
    fn hold(&self) {
        self.wanted.store(true, Ordering::SeqCst);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.idle.load(Ordering::SeqCst) {
            assert!(Instant::now() < deadline, "the client did not pause");
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    fn release(&self) {
        self.wanted.store(false, Ordering::SeqCst);
    }
}

/// Adds `crash-N` devices one after another and removes the oldest beyond [`LIVE`], logging
/// each acknowledged change, until `stop`. A change whose answer was lost (the exporter was
/// killed) is repeated; its answer then tells whether the killed exporter had made it (409 for
/// an add, 404 for a removal).
fn churn(addr: SocketAddr, sim: SocketAddr, log: &Log, stop: &AtomicBool, pause: &Pause) {
    let mut next = 0u64;
    while !stop.load(Ordering::Relaxed) {
        if pause.wanted.load(Ordering::SeqCst) {
            pause.idle.store(true, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(2));
            continue;
        }
        pause.idle.store(false, Ordering::SeqCst);
        let oldest = log
            .lock()
            .unwrap()
            .iter()
            .find(|(_, c)| matches!(c, Change::Added(_)))
            .map(|(n, _)| *n);
        let live = log
            .lock()
            .unwrap()
            .values()
            .filter(|c| matches!(c, Change::Added(_)))
            .count() as u64;
        if let Some(n) = oldest.filter(|_| live >= LIVE) {
            match send(addr, "DELETE", &format!("/api/v1/devices/{}", name(n)), "") {
                Some((204, _)) => {
                    log.lock()
                        .unwrap()
                        .insert(n, Change::Removed(Instant::now()));
                }
                // Lost inside the window before a kill and reconciled: already gone.
                Some((404, _)) => {
                    log.lock()
                        .unwrap()
                        .insert(n, Change::Removed(Instant::now()));
                }
                Some((status, body)) => panic!("DELETE {}: {status} {body}", name(n)),
                None => std::thread::sleep(Duration::from_millis(10)),
            }
            continue;
        }
        let body = format!(
            r#"{{"name":"{0}","nut":{{"address":"{sim}","ups":["rack"],"prefix":"{0}-"}}}}"#,
            name(next)
        );
        match send(addr, "POST", "/api/v1/devices", &body) {
            Some((201 | 409, _)) => {
                log.lock()
                    .unwrap()
                    .insert(next, Change::Added(Instant::now()));
                next += 1;
            }
            Some((status, body)) => panic!("POST {}: {status} {body}", name(next)),
            None => std::thread::sleep(Duration::from_millis(10)),
        }
    }
}

/// The runtime device names in the state file, which must be a valid, current file.
fn saved_names(state: &Path, kill: usize) -> BTreeSet<String> {
    // Killed before its first save, the exporter has no file yet: it holds nothing.
    let Ok(text) = std::fs::read_to_string(state.join("exporter.json")) else {
        return BTreeSet::new();
    };
    let file: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("restart {kill}: the state file is not JSON: {e}"));
    assert_eq!(file["version"], 1, "restart {kill}: a valid, current file");
    file["data"]["runtime"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn a_hundred_kill_9s_during_device_changes_lose_nothing_acknowledged_before_the_window() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let device =
        Device::parse("ups.status: OL\nups.realpower: 300\nbattery.charge: 100\n").unwrap();
    let sim = runtime
        .block_on(
            Simulator::new()
                .with_device("rack".into(), device)
                .bind("127.0.0.1:0"),
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let port = free_port();
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let config = dir.path().join("exporter.toml");
    let text = format!(
        "listen = \"{addr}\"\ninterval = \"1s\"\nstate_dir = \"{}\"\n\
         [http]\nadmin_token = \"{ADMIN}\"\nrate_limit_per_minute = 60000\n\
         rate_limit_burst = 100000\n[[nut]]\naddress = \"{}\"\n",
        state.display(),
        sim.addr()
    );
    std::fs::File::create(&config)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();

    let stderr = dir.path().join("exporter.log");
    let mut exporter = start(&config, &stderr);
    ready(addr, &mut exporter);
    let log: Log = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let pause = Arc::new(Pause::default());
    let client = {
        let (log, stop, pause) = (Arc::clone(&log), Arc::clone(&stop), Arc::clone(&pause));
        let sim = sim.addr();
        std::thread::spawn(move || churn(addr, sim, &log, &stop, &pause))
    };

    let mut rng = 0x9e37_79b9_7f4a_7c15_u64;
    let (mut in_window, mut guaranteed_checks) = (0usize, 0usize);
    for kill in 0..KILLS {
        // 50 ms to 1.25 s between kills: some kills land inside the flush window of recent
        // changes, all of them after older changes were saved.
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        std::thread::sleep(Duration::from_millis(50 + rng % 1_200));
        exporter.0.kill().unwrap();
        let killed_at = Instant::now();
        exporter.0.wait().unwrap();
        // Requests in flight at the kill fail; none reaches the next exporter before the
        // comparison below.
        pause.hold();
        let killed_log = std::fs::read_to_string(&stderr).unwrap_or_default();

        exporter = start(&config, &stderr);
        ready(addr, &mut exporter);
        let held = saved_names(&state, kill);
        let mut log = log.lock().unwrap();
        for (n, change) in log.iter_mut() {
            let device = name(*n);
            let present = held.contains(&device);
            let (at, wanted) = match *change {
                Change::Added(at) => (at, true),
                Change::Removed(at) => (at, false),
            };
            if killed_at.saturating_duration_since(at) > GUARANTEED_AFTER {
                guaranteed_checks += 1;
                assert_eq!(
                    present,
                    wanted,
                    "restart {kill}: {device} was {} {:?} before the kill; the killed \
                     exporter's log:\n{killed_log}",
                    if wanted { "added" } else { "removed" },
                    killed_at - at
                );
            } else if present != wanted {
                // Lost inside the documented window: the client learns what was kept.
                in_window += 1;
                *change = if present {
                    Change::Added(killed_at)
                } else {
                    Change::Removed(killed_at)
                };
            }
        }
        // Nothing the client never asked for.
        for device in &held {
            let n: u64 = device.strip_prefix("crash-").unwrap().parse().unwrap();
            assert!(log.contains_key(&n), "restart {kill}: unknown {device}");
        }
        drop(log);
        pause.release();
    }
    stop.store(true, Ordering::Relaxed);
    client.join().unwrap();

    // The last restart serves what it loaded: the API lists the saved devices.
    let held = saved_names(&state, KILLS);
    let (status, body) = send(addr, "GET", "/api/v1/config", "").unwrap();
    assert_eq!(status, 200, "{body}");
    let view: serde_json::Value = serde_json::from_str(&body).unwrap();
    let served: BTreeSet<String> = view["runtime"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        served, held,
        "the restarted exporter runs what its file holds"
    );
    let changes = log.lock().unwrap().len();
    assert!(changes >= 100, "the client made only {changes} changes");
    drop(exporter);
    eprintln!(
        "{KILLS} kill -9s: {changes} devices changed, {guaranteed_checks} checks of changes \
         older than {GUARANTEED_AFTER:?}, {in_window} changes lost inside the window"
    );
}
