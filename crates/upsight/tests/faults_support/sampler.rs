//! The sampler that holds every answer, freshness, RSS and descriptor count to the bounds, phase by phase.

use super::*;

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
pub(super) struct Target {
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
