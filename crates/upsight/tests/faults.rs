//! Fault injection against the real `upsight exporter` binary (issue 9 part 2). One exporter
//! watches a healthy NUT simulator (`good`), a NUT simulator that gets every server and device
//! fault (`bad1`..`bad3`), a real upsd 2.8 capped at three clients behind a relay the test can
//! cut (`real`), two SNMP devices on one simulated agent (`apc` gets the faults, `plant` not),
//! and heartbeats to a real `upsight fleet` plane; its state directory is a 2 MiB tmpfs and its
//! wall clock runs through libfaketime. Phase by phase the test injects a fault, waits until it
//! shows, holds it, removes it and waits for recovery, while a sampler checks every 250 ms that
//! `good` and `plant` keep polling, `/metrics` and `/healthz` answer 200 within 2 s, and the
//! process's RSS and descriptors stay bounded. Loopback only, every loop bounded, about a
//! minute.

#![allow(clippy::unwrap_used)] // test helpers may panic: a panic is a test failure

mod faults_support;

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use faults_support::{
    Bounds, INGEST, Mount, NutClient, PhaseStats, Plane, Relay, Sampler, Upsd, faketime_library,
    free_port, get, log_summary, missing, rss_and_fds, sample, signal, strip_ansi, write_file,
};
use upsight_sim::snmp::{SnmpFault, SnmpHandle, demo_agent};
use upsight_sim::{Device, Fault, ServerFault, SimHandle, Simulator};

const BIN: &str = env!("CARGO_BIN_EXE_upsight");

/// `/metrics` and `/healthz` must answer 200 within this.
const HTTP_BOUND: Duration = Duration::from_secs(2);
const BOUNDS: Bounds = Bounds {
    // `good` and `plant` never go three poll intervals (`interval = "1s"`) without a success.
    freshness: Duration::from_secs(3),
    http: HTTP_BOUND,
    fds: 200,
    rss_growth_kib: 50 * 1024,
};
/// The devices no fault touches: the sampler watches their freshness.
const TRACKED: [&str; 2] = ["good", "plant"];
/// How long a fault is held once it shows.
const HOLD: Duration = Duration::from_millis(1500);
/// Reconnect backoff (0.5 s doubling, jittered) after a few seconds of failures, plus polls.
const RECOVERY: Duration = Duration::from_secs(15);
const SHOWS: Duration = Duration::from_secs(8);
const BAD: [&str; 3] = ["bad1", "bad2", "bad3"];
const SAVE_FAILED: &str = "Saving the state file failed";
const ONE_DAY: f64 = 86_400.0;

// === the exporter ===

/// The real exporter process, killed on drop (a failing test must not leave it behind).
#[derive(Debug)]
struct Exporter {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Everything the phases touch.
struct Rig {
    exporter: Exporter,
    sampler: Sampler,
    /// Kept alive for the whole run; never faulted.
    _good: SimHandle,
    faulty: SimHandle,
    snmp: SnmpHandle,
    upsd: Option<(Upsd, Relay)>,
    plane: Plane,
    disk: Mount,
    state_file: PathBuf,
    clock: Option<PathBuf>,
    started: Instant,
}

impl Rig {
    fn scrape(&self) -> String {
        match get(self.exporter.addr, "/metrics", HTTP_BOUND) {
            Ok((200, body, _)) => body,
            _ => String::new(),
        }
    }

    fn failures(&self, ups: &str, reason: &str) -> f64 {
        failures(&self.scrape(), ups, reason)
    }

    /// Scrapes until `check` holds, at most `limit`; the body that satisfied it.
    fn wait(&self, what: &str, limit: Duration, check: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let body = self.scrape();
            if check(&body) {
                return body;
            }
            if Instant::now() >= deadline {
                self.fail(&format!("timed out after {limit:?} waiting for: {what}"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Starts a new row of the table after checking everything the last phase recorded.
    fn phase(&self, name: &str) {
        self.check();
        eprintln!(
            "[{:>5.1}s] phase {name}",
            self.started.elapsed().as_secs_f64()
        );
        self.sampler.lock().phases.push(PhaseStats {
            name: name.into(),
            ..PhaseStats::default()
        });
    }

    /// The process is alive and the sampler saw nothing out of bounds.
    fn check(&self) {
        let problems = self.sampler.lock().problems.clone();
        if !problems.is_empty() {
            self.fail(&format!("out of bounds:\n  {}", problems.join("\n  ")));
        }
        // A dead child stays a zombie until reaped: look at its state, not its existence.
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.exporter.child.id()))
            .unwrap_or_default();
        let state = status.lines().find_map(|l| l.strip_prefix("State:"));
        if state.is_none_or(|s| s.trim_start().starts_with('Z')) {
            self.fail("the exporter exited");
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.exporter.log).unwrap_or_default()
    }

    fn fail(&self, why: &str) -> ! {
        let log = self.log();
        let tail: Vec<String> = log.lines().rev().take(60).map(strip_ansi).collect();
        let tail: Vec<String> = tail.into_iter().rev().collect();
        panic!(
            "{why}\n{}\nexporter log (last 60 lines):\n{}",
            self.sampler.table(),
            tail.join("\n")
        );
    }

    /// The readers of time series (charts, energy per day, events, outages) answer 200 in
    /// time: the wall clock moving under them must not break them.
    fn read_history(&self, when: &str) {
        for path in [
            "/devices/good",
            "/api/v1/devices/good/history",
            "/api/v1/energy",
            "/api/v1/events",
            "/api/v1/outages",
        ] {
            match get(self.exporter.addr, path, HTTP_BOUND) {
                Ok((200, _, elapsed)) if elapsed <= HTTP_BOUND => {}
                Ok((status, body, elapsed)) => self.fail(&format!(
                    "{when}: {path} answered {status} in {elapsed:?}: {}",
                    body.get(..200).unwrap_or(&body)
                )),
                Err(e) => self.fail(&format!("{when}: {path} failed: {e}")),
            }
        }
    }

    /// [`Rig::wait`] for the recovery after a fault was removed, timed for the table.
    fn recover(&self, what: &str, check: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        let body = self.wait(what, RECOVERY, check);
        self.recovered(started);
        body
    }

    fn recovered(&self, since: Instant) {
        if let Some(phase) = self.sampler.lock().phases.last_mut() {
            phase.recovery = Some(since.elapsed());
        }
    }

    /// Fails with the table and the log unless `ok`.
    fn ensure(&self, ok: bool, why: impl FnOnce() -> String) {
        if !ok {
            self.fail(&why());
        }
    }

    fn hold(&self, how_long: Duration) {
        std::thread::sleep(how_long);
    }
}

fn up(body: &str, ups: &str) -> Option<f64> {
    sample(body, "ups_up", &[("ups", ups)])
}

fn all_up(body: &str, names: &[&str]) -> bool {
    names.iter().all(|u| up(body, u) == Some(1.0))
}

fn failures(body: &str, ups: &str, reason: &str) -> f64 {
    let labels = [("ups", ups), ("reason", reason)];
    sample(body, "upsight_poll_failures_total", &labels).unwrap_or(0.0)
}

fn heartbeats_ok(body: &str) -> f64 {
    sample(
        body,
        "upsight_fleet_heartbeats_sent_total",
        &[("result", "ok")],
    )
    .unwrap_or(0.0)
}

fn last_success(body: &str, ups: &str) -> Option<f64> {
    sample(body, "ups_last_success_timestamp_seconds", &[("ups", ups)])
}

// === setup ===

fn exporter_config(
    dir: &Path,
    port: u16,
    state_dir: &Path,
    sims: (&SimHandle, &SimHandle, &SnmpHandle),
    real: Option<SocketAddr>,
    plane_port: u16,
) -> PathBuf {
    let (good, faulty, snmp) = sims;
    let mut text = format!(
        "listen = \"127.0.0.1:{port}\"\ninterval = \"1s\"\nstate_dir = \"{}\"\n\
         [http]\nrate_limit_per_minute = 60000\nrate_limit_burst = 10000\n\
         [[nut]]\naddress = \"{}\"\nups = [\"good\"]\n\
         [[nut]]\naddress = \"{}\"\nups = [\"bad1\", \"bad2\", \"bad3\"]\n",
        state_dir.display(),
        good.addr(),
        faulty.addr()
    );
    if let Some(real) = real {
        let _ = write!(text, "[[nut]]\naddress = \"{real}\"\nups = [\"real\"]\n");
    }
    for (name, community) in [("apc", "closet-apc"), ("plant", "plant-3phase")] {
        let _ = write!(
            text,
            "[[snmp]]\nname = \"{name}\"\naddress = \"{}\"\ncommunity = \"{community}\"\n\
             timeout = \"300ms\"\nretries = 1\n",
            snmp.local_addr()
        );
    }
    let _ = write!(
        text,
        "[fleet]\nurl = \"http://127.0.0.1:{plane_port}/\"\ngroup = \"faults\"\n\
         token = \"{INGEST}\"\ntimeout = \"1s\"\n"
    );
    let path = dir.join("exporter.toml");
    write_file(&path, &text);
    path
}

fn start_exporter(dir: &Path, config: &Path, port: u16, clock: Option<(&Path, &Path)>) -> Exporter {
    let log = dir.join("exporter.log");
    let mut command = Command::new(BIN);
    command
        .args(["exporter", "--config"])
        .arg(config)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap());
    for (key, _) in std::env::vars() {
        if key.starts_with("UPSIGHT_") || key.starts_with("FAKETIME") {
            command.env_remove(key);
        }
    }
    if let Some((library, file)) = clock {
        // Only the wall clock moves: monotonic time (timers, deadlines) stays real.
        command
            .env("LD_PRELOAD", library)
            .env("FAKETIME_TIMESTAMP_FILE", file)
            .env("FAKETIME_NO_CACHE", "1")
            .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
            .env("DONT_FAKE_MONOTONIC", "1")
            .env("FAKETIME_DISABLE_SHM", "1");
    }
    let child = command.spawn().unwrap();
    Exporter {
        child,
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
        log,
    }
}

const GOOD_DEV: &str = "ups.status: OL\nups.realpower: 300\nbattery.charge: 100\nups.load: 20\n";
const BAD_DEV: &str = "ups.status: OL\nups.realpower: 100\nbattery.charge: 90\nups.load: 10\n";
const REAL_DEV: &str = "ups.status: OL\nbattery.charge: 80\nbattery.runtime: 1200\nups.load: 30\n";

#[test]
fn under_every_fault_the_others_keep_polling_and_everything_recovers_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let disk_dir = dir.path().join("disk");
    std::fs::create_dir_all(&disk_dir).unwrap();
    let disk = match Mount::tmpfs(&disk_dir, "2m") {
        Ok(mount) => mount,
        Err(e) => {
            missing(&format!(
                "a tmpfs for the state directory (needs root): {e}"
            ));
            return;
        }
    };
    let faketime = faketime_library();
    if faketime.is_none() {
        missing("libfaketime (apt-get install faketime) for the wall-clock jump phase");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let device = |text: &str| Device::parse(text).unwrap();
    let good = runtime
        .block_on(
            Simulator::new()
                .with_device("good".into(), device(GOOD_DEV))
                .bind("127.0.0.1:0"),
        )
        .unwrap();
    let faulty = BAD.iter().fold(Simulator::new(), |sim, name| {
        sim.with_device((*name).into(), device(BAD_DEV))
    });
    let faulty = runtime.block_on(faulty.bind("127.0.0.1:0")).unwrap();
    let snmp = runtime.block_on(demo_agent().bind("127.0.0.1:0")).unwrap();
    let upsd = Upsd::start("real", REAL_DEV, 3).map(|upsd| {
        let relay = Relay::start(&runtime, upsd.addr);
        (upsd, relay)
    });
    let plane_dir = dir.path().join("plane");
    std::fs::create_dir_all(&plane_dir).unwrap();
    let plane_port = free_port();
    let plane = Plane::start(plane_port, &plane_dir);

    let clock_file = dir.path().join("faketime.rc");
    write_file(&clock_file, "+0\n");
    let port = free_port();
    let state_dir = disk.path.join("state");
    let config = exporter_config(
        dir.path(),
        port,
        &state_dir,
        (&good, &faulty, &snmp),
        upsd.as_ref().map(|(_, relay)| relay.addr),
        plane_port,
    );
    let clock = faketime.as_deref().map(|lib| (lib, clock_file.as_path()));
    let exporter = start_exporter(dir.path(), &config, port, clock);
    let sampler = Sampler::start(exporter.addr, exporter.child.id(), BOUNDS, TRACKED);
    let mut rig = Rig {
        exporter,
        sampler,
        _good: good,
        faulty,
        snmp,
        upsd,
        plane,
        disk,
        state_file: state_dir.join("exporter.json"),
        clock: faketime.map(|_| clock_file),
        started: Instant::now(),
    };
    startup(&rig);
    nut_slow(&rig);
    nut_tarpit(&rig);
    nut_reset_mid_list(&rig);
    stale_storm(&rig);
    driver_restart(&mut rig);
    connection_limit(&rig);
    snmp_faults(&rig);
    plane_down(&mut rig);
    disk_full(&rig);
    clock_jump(&rig);
    finish(&mut rig);
}

fn startup(rig: &Rig) {
    let mut names = vec!["good", "bad1", "bad2", "bad3", "apc", "plant"];
    if rig.upsd.is_some() {
        names.push("real");
    }
    rig.wait(
        "every device up, registered with the plane",
        Duration::from_secs(30),
        |b| {
            all_up(b, &names)
                && sample(b, "upsight_fleet_registered", &[]) == Some(1.0)
                && heartbeats_ok(b) >= 1.0
        },
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while !rig.state_file.exists() {
        assert!(Instant::now() < deadline, "no state file on the tmpfs");
        std::thread::sleep(Duration::from_millis(100));
    }
    rig.sampler.lock().is_armed = true;
    rig.phase("baseline");
    rig.hold(Duration::from_secs(2));
    let (rss, fds) = rss_and_fds(rig.exporter.child.id()).unwrap();
    eprintln!("baseline: RSS {rss} KiB, {fds} descriptors");
    let mut shared = rig.sampler.lock();
    shared.baseline_rss_kib = Some(rss);
    shared.baseline_fds = fds;
}

fn bad_recovered(rig: &Rig, after: &str) {
    rig.recover(&format!("bad1..bad3 up again after {after}"), |b| {
        all_up(b, &BAD)
    });
}

/// Replies 500 ms late: inside the 800 ms poll deadline, so polls are slow, not failed.
fn nut_slow(rig: &Rig) {
    rig.phase("nut-slow");
    rig.faulty
        .set_server_fault(Some(ServerFault::SlowReplies(Duration::from_millis(500))));
    rig.wait("bad1's polls take 0.5 s", SHOWS, |b| {
        sample(b, "upsight_poll_duration_seconds", &[("ups", "bad1")]).is_some_and(|d| d >= 0.45)
    });
    rig.hold(HOLD);
    rig.faulty.set_server_fault(None);
    bad_recovered(rig, "slow replies");
}

/// Accepts and reads but never answers: every poll runs into its deadline.
fn nut_tarpit(rig: &Rig) {
    rig.phase("nut-tarpit");
    let before = rig.failures("bad1", "timeout");
    rig.faulty.set_server_fault(Some(ServerFault::Silent));
    rig.wait("bad1 down with a timeout", SHOWS, |b| {
        up(b, "bad1") == Some(0.0) && failures(b, "bad1", "timeout") > before
    });
    rig.hold(HOLD);
    rig.faulty.set_server_fault(None);
    bad_recovered(rig, "the tarpit");
}

/// A `LIST VAR` that never ends (cut by the exporter's limits or the sim's cap), then
/// connections closed right after the request.
fn nut_reset_mid_list(rig: &Rig) {
    rig.phase("nut-reset-list");
    rig.faulty.set_server_fault(Some(ServerFault::EndlessList));
    rig.wait("bad1 down during an endless LIST", SHOWS, |b| {
        up(b, "bad1") == Some(0.0)
    });
    rig.hold(HOLD);
    rig.faulty
        .set_server_fault(Some(ServerFault::DropConnections));
    rig.hold(HOLD);
    rig.faulty.set_server_fault(None);
    bad_recovered(rig, "reset connections");
}

/// Every UPS of the faulty server flips between DATA-STALE and fresh every 150 ms, then
/// stays stale: the server stays reachable and only those UPSes are down.
fn stale_storm(rig: &Rig) {
    rig.phase("stale-storm");
    for i in 0..20 {
        let fault = (i % 2 == 0).then_some(Fault::Stale);
        for ups in BAD {
            assert!(rig.faulty.set_fault(ups, fault));
        }
        std::thread::sleep(Duration::from_millis(150));
    }
    for ups in BAD {
        rig.faulty.set_fault(ups, Some(Fault::Stale));
    }
    let body = rig.wait("bad1..bad3 stale", SHOWS, |b| {
        BAD.iter()
            .all(|u| sample(b, "ups_stale", &[("ups", u)]) == Some(1.0))
    });
    let source_up = sample(&body, "upsight_source_up", &[("source", "nut[1]")]);
    rig.ensure(source_up == Some(1.0), || {
        format!("a server that answers DATA-STALE is up: {source_up:?}")
    });
    rig.hold(HOLD);
    for ups in BAD {
        rig.faulty.set_fault(ups, None);
    }
    bad_recovered(rig, "the stale storm");
}

/// bad2's driver disconnects (simulated), and the real dummy-ups is killed and restarted.
fn driver_restart(rig: &mut Rig) {
    rig.phase("driver-restart");
    rig.faulty
        .set_fault("bad2", Some(Fault::DriverNotConnected));
    if let Some((upsd, _)) = rig.upsd.as_mut() {
        upsd.kill_driver();
    }
    let has_real = rig.upsd.is_some();
    rig.wait("bad2 (and real) down, driver not connected", SHOWS, |b| {
        up(b, "bad2") == Some(0.0)
            && (!has_real || up(b, "real") == Some(0.0))
            && failures(b, "bad2", "driver_not_connected") >= 1.0
    });
    let body = rig.scrape();
    rig.ensure(all_up(&body, &["bad1", "bad3"]), || {
        "one UPS's driver is that UPS's problem: bad1 or bad3 is down".into()
    });
    rig.hold(HOLD);
    rig.faulty.set_fault("bad2", None);
    if let Some((upsd, _)) = rig.upsd.as_mut() {
        upsd.restart_driver();
    }
    rig.recover("bad2 and real up after the driver restart", |b| {
        up(b, "bad2") == Some(1.0) && (!has_real || up(b, "real") == Some(1.0))
    });
}

/// upsd takes three clients. Two others share it with the exporter; a fourth waits. When the
/// exporter's connection is cut, the waiting client takes its slot and the exporter waits in
/// upsd's backlog (a timeout), until the others leave.
fn connection_limit(rig: &Rig) {
    let Some((upsd, relay)) = rig.upsd.as_ref() else {
        eprintln!("connection-limit phase skipped: no real upsd");
        return;
    };
    let addr = upsd.addr;
    rig.phase("upsd-3-conns");
    let mut others = vec![NutClient::connect(addr), NutClient::connect(addr)];
    for (i, other) in others.iter_mut().enumerate() {
        let answer = other.answer(Duration::from_secs(2));
        rig.ensure(
            answer.as_deref().is_some_and(|a| a.contains("upsd")),
            || format!("client {i} shares upsd with the exporter: {answer:?}"),
        );
    }
    let mut waiting = NutClient::connect(addr);
    let answer = waiting.answer(Duration::from_millis(700));
    rig.ensure(answer.is_none(), || {
        format!(
            "the exporter holds exactly one of the three slots, yet a fourth client got {answer:?}"
        )
    });
    let stamp = last_success(&rig.scrape(), "real");
    rig.wait("real keeps polling beside two other clients", SHOWS, |b| {
        last_success(b, "real") > stamp
    });
    let before = rig.failures("real", "timeout");
    relay.cut();
    let answer = waiting.answer(Duration::from_secs(3));
    rig.ensure(
        answer.as_deref().is_some_and(|a| a.contains("upsd")),
        || format!("the waiting client gets the exporter's slot: {answer:?}"),
    );
    others.push(waiting);
    rig.wait("real down: upsd is full", SHOWS, |b| {
        up(b, "real") == Some(0.0) && failures(b, "real", "timeout") > before
    });
    rig.hold(HOLD);
    drop(others);
    rig.recover("real up once a slot is free", |b| {
        up(b, "real") == Some(1.0)
    });
}

/// The agent answers apc after the request timed out, then with the wrong request id.
fn snmp_faults(rig: &Rig) {
    rig.phase("snmp-late");
    let before = rig.failures("apc", "timeout");
    rig.snmp.set_fault(
        "closet-apc",
        Some(SnmpFault::Late(Duration::from_millis(500))),
    );
    rig.wait("apc down with a timeout", SHOWS, |b| {
        up(b, "apc") == Some(0.0) && failures(b, "apc", "timeout") > before
    });
    rig.hold(HOLD);
    rig.phase("snmp-wrong-id");
    let before = rig.failures("apc", "protocol");
    rig.snmp
        .set_fault("closet-apc", Some(SnmpFault::WrongRequestId));
    rig.wait("apc failing on wrong request ids", SHOWS, |b| {
        up(b, "apc") == Some(0.0) && failures(b, "apc", "protocol") > before
    });
    rig.hold(HOLD);
    rig.snmp.set_fault("closet-apc", None);
    rig.recover("apc up again", |b| up(b, "apc") == Some(1.0));
}

/// The plane is killed with SIGKILL and comes back on the same port and state later.
fn plane_down(rig: &mut Rig) {
    rig.phase("plane-killed");
    let refused = |b: &str| {
        let labels = [("reason", "connect")];
        sample(b, "upsight_fleet_request_failures_total", &labels).unwrap_or(0.0)
    };
    let before = refused(&rig.scrape());
    rig.plane.kill();
    rig.wait("heartbeats failing to connect", SHOWS, |b| {
        refused(b) > before
    });
    rig.hold(HOLD);
    let ok = heartbeats_ok;
    let ok_before = ok(&rig.scrape());
    let restarted = Instant::now();
    rig.plane.restart();
    rig.wait(
        "heartbeats accepted by the restarted plane",
        RECOVERY,
        |b| ok(b) > ok_before && sample(b, "upsight_fleet_registered", &[]) == Some(1.0),
    );
    rig.recovered(restarted);
}

fn mtime(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn saved_state_is_valid(rig: &Rig, when: &str) {
    let text = std::fs::read_to_string(&rig.state_file).unwrap_or_default();
    let parsed: Result<serde_json::Value, _> = serde_json::from_str(&text);
    rig.ensure(parsed.is_ok_and(|v| v["version"] == 1), || {
        format!("{when}: the state file is not a valid state: {text:?}")
    });
}

/// The tmpfs under the state file fills up (ENOSPC), then is freed.
fn disk_full(rig: &Rig) {
    rig.phase("disk-full");
    let count = |log: &str| log.matches(SAVE_FAILED).count();
    let failed_before = count(&rig.log());
    let filled = rig.disk.fill("filler");
    eprintln!("filled the tmpfs with {filled} bytes");
    let deadline = Instant::now() + SHOWS;
    while count(&rig.log()) <= failed_before {
        if Instant::now() >= deadline {
            rig.fail("no failed save logged on a full disk");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    // The log says why: the operating system's error, not only "check free space".
    if !rig.log().contains("No space left on device") {
        rig.fail("the failed save's log line does not give its cause");
    }
    saved_state_is_valid(rig, "disk full");
    rig.hold(HOLD);
    saved_state_is_valid(rig, "disk full");
    std::fs::remove_file(rig.disk.path.join("filler")).unwrap();
    let freed = SystemTime::now();
    let freed_at = Instant::now();
    let deadline = Instant::now() + RECOVERY;
    while mtime(&rig.state_file).is_none_or(|m| m <= freed) {
        if Instant::now() >= deadline {
            rig.fail("the state file was not saved again after the disk was freed");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    rig.recovered(freed_at);
    saved_state_is_valid(rig, "disk freed");
    let state_dir = rig.state_file.parent().unwrap();
    let leftovers: Vec<String> = std::fs::read_dir(state_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    rig.ensure(leftovers.is_empty(), || {
        format!("failed saves left temp files: {leftovers:?}")
    });
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// The exporter's wall clock jumps a day ahead, then an hour behind real time, then back.
fn clock_jump(rig: &Rig) {
    let Some(file) = rig.clock.as_ref() else {
        eprintln!("clock-jump phase skipped: no libfaketime");
        return;
    };
    let ok = heartbeats_ok;
    for (name, setting, offset) in [
        ("clock+1d", "+1d", ONE_DAY),
        ("clock-1h", "-1h", -3600.0),
        ("clock-back", "+0", 0.0),
    ] {
        rig.phase(name);
        let heartbeats = ok(&rig.scrape());
        let saved = mtime(&rig.state_file);
        write_file(file, &format!("{setting}\n"));
        rig.wait(
            &format!("good polled at real time {offset:+} s"),
            SHOWS,
            |b| last_success(b, "good").is_some_and(|t| (t - (unix_now() + offset)).abs() < 5.0),
        );
        rig.hold(HOLD);
        rig.read_history(name);
        rig.wait(
            "heartbeats still accepted, state still saved",
            RECOVERY,
            |b| ok(b) > heartbeats && all_up(b, &["good", "plant", "apc", "bad1"]),
        );
        rig.ensure(mtime(&rig.state_file) > saved, || {
            format!("{name}: the state file is no longer saved")
        });
    }
}

fn finish(rig: &mut Rig) {
    rig.phase("after");
    rig.hold(Duration::from_secs(2));
    let mut names = vec!["good", "bad1", "bad2", "bad3", "apc", "plant"];
    if rig.upsd.is_some() {
        names.push("real");
    }
    let body = rig.wait("everything up at the end", RECOVERY, |b| all_up(b, &names));
    rig.read_history("after every fault");
    let energy = sample(&body, "ups_energy_joules_total", &[("ups", "good")]).unwrap_or(0.0);
    // 300 W for the whole run at most: a wall-clock jump must not add energy.
    let bound = 300.0 * (rig.started.elapsed().as_secs_f64() + 40.0);
    rig.ensure(energy > 0.0 && energy <= bound, || {
        format!("good's energy {energy} J is not within (0, {bound}] J")
    });
    let baseline = rig.sampler.lock().baseline_fds;
    let fds = rss_and_fds(rig.exporter.child.id()).map_or(0, |(_, fds)| fds);
    rig.ensure(fds <= baseline + 10, || {
        format!("{fds} descriptors at the end, {baseline} at baseline")
    });
    let log = rig.log();
    rig.ensure(!log.contains("panicked"), || "the exporter panicked".into());
    rig.sampler.stop();
    rig.check();
    eprintln!("{}", rig.sampler.table());
    eprintln!("good's energy counter: {energy:.0} J (bound {bound:.0} J)");
    eprintln!("exporter WARN/ERROR lines:\n{}", log_summary(&log));
    signal(rig.exporter.child.id(), "-TERM");
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = rig.exporter.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "no exit within 15 s of SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        status.success(),
        "SIGTERM after every fault exits 0: {status:?}"
    );
}
