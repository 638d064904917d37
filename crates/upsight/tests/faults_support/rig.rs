//! The rig of the fault-injection test: its bounds and timings, the simulators, the real upsd
//! behind its relay, the plane, and the exporter under test with its configuration; plus the
//! readings of a scrape the phases wait on.

use upsight_sim::SimHandle;
use upsight_sim::snmp::SnmpHandle;

use super::*;

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_upsight");

/// `/metrics` and `/healthz` must answer 200 within this.
pub(crate) const HTTP_BOUND: Duration = Duration::from_secs(2);
pub(crate) const BOUNDS: Bounds = Bounds {
    // `good` and `plant` never go three poll intervals (`interval = "1s"`) without a success.
    freshness: Duration::from_secs(3),
    http: HTTP_BOUND,
    fds: 200,
    rss_growth_kib: 50 * 1024,
};
/// The devices no fault touches: the sampler watches their freshness.
pub(crate) const TRACKED: [&str; 2] = ["good", "plant"];
/// How long a fault is held once it shows.
pub(crate) const HOLD: Duration = Duration::from_millis(1500);
/// Reconnect backoff (0.5 s doubling, jittered) after a few seconds of failures, plus polls.
pub(crate) const RECOVERY: Duration = Duration::from_secs(15);
pub(crate) const SHOWS: Duration = Duration::from_secs(8);
pub(crate) const BAD: [&str; 3] = ["bad1", "bad2", "bad3"];
pub(crate) const SAVE_FAILED: &str = "Saving the state file failed";
pub(crate) const ONE_DAY: f64 = 86_400.0;

// === the exporter ===

/// The real exporter process, killed on drop (a failing test must not leave it behind).
#[derive(Debug)]
pub(crate) struct Exporter {
    pub(crate) child: Child,
    pub(crate) addr: SocketAddr,
    pub(crate) log: PathBuf,
}

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Everything the phases touch.
pub(crate) struct Rig {
    pub(crate) exporter: Exporter,
    pub(crate) sampler: Sampler,
    /// Kept alive for the whole run; never faulted.
    pub(crate) _good: SimHandle,
    pub(crate) faulty: SimHandle,
    pub(crate) snmp: SnmpHandle,
    pub(crate) upsd: Option<(Upsd, Relay)>,
    pub(crate) plane: Plane,
    pub(crate) disk: Mount,
    pub(crate) state_file: PathBuf,
    pub(crate) clock: Option<PathBuf>,
    pub(crate) started: Instant,
}

impl Rig {
    pub(crate) fn scrape(&self) -> String {
        match get(self.exporter.addr, "/metrics", HTTP_BOUND) {
            Ok((200, body, _)) => body,
            _ => String::new(),
        }
    }

    pub(crate) fn failures(&self, ups: &str, reason: &str) -> f64 {
        failures(&self.scrape(), ups, reason)
    }

    /// Scrapes until `check` holds, at most `limit`; the body that satisfied it.
    pub(crate) fn wait(&self, what: &str, limit: Duration, check: impl Fn(&str) -> bool) -> String {
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
    pub(crate) fn phase(&self, name: &str) {
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
    pub(crate) fn check(&self) {
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

    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.exporter.log).unwrap_or_default()
    }

    pub(crate) fn fail(&self, why: &str) -> ! {
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
    pub(crate) fn read_history(&self, when: &str) {
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
    pub(crate) fn recover(&self, what: &str, check: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        let body = self.wait(what, RECOVERY, check);
        self.recovered(started);
        body
    }

    pub(crate) fn recovered(&self, since: Instant) {
        if let Some(phase) = self.sampler.lock().phases.last_mut() {
            phase.recovery = Some(since.elapsed());
        }
    }

    /// Fails with the table and the log unless `ok`.
    pub(crate) fn ensure(&self, ok: bool, why: impl FnOnce() -> String) {
        if !ok {
            self.fail(&why());
        }
    }

    pub(crate) fn hold(&self, how_long: Duration) {
        std::thread::sleep(how_long);
    }
}

pub(crate) fn up(body: &str, ups: &str) -> Option<f64> {
    sample(body, "ups_up", &[("ups", ups)])
}

pub(crate) fn all_up(body: &str, names: &[&str]) -> bool {
    names.iter().all(|u| up(body, u) == Some(1.0))
}

pub(crate) fn failures(body: &str, ups: &str, reason: &str) -> f64 {
    let labels = [("ups", ups), ("reason", reason)];
    sample(body, "upsight_poll_failures_total", &labels).unwrap_or(0.0)
}

pub(crate) fn heartbeats_ok(body: &str) -> f64 {
    sample(
        body,
        "upsight_fleet_heartbeats_sent_total",
        &[("result", "ok")],
    )
    .unwrap_or(0.0)
}

pub(crate) fn last_success(body: &str, ups: &str) -> Option<f64> {
    sample(body, "ups_last_success_timestamp_seconds", &[("ups", ups)])
}

// === setup ===

pub(crate) fn exporter_config(
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

pub(crate) fn start_exporter(
    dir: &Path,
    config: &Path,
    port: u16,
    clock: Option<(&Path, &Path)>,
) -> Exporter {
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

pub(crate) const GOOD_DEV: &str =
    "ups.status: OL\nups.realpower: 300\nbattery.charge: 100\nups.load: 20\n";
pub(crate) const BAD_DEV: &str =
    "ups.status: OL\nups.realpower: 100\nbattery.charge: 90\nups.load: 10\n";
pub(crate) const REAL_DEV: &str =
    "ups.status: OL\nbattery.charge: 80\nbattery.runtime: 1200\nups.load: 30\n";
