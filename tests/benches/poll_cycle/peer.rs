//! The real NUT upsd peer at scale: whether this machine can host N dummy-ups drivers, their
//! bounded start, and a readiness check over one pipelined connection (per-device checks on
//! fresh connections cost a delayed-ACK stall each: 40 s for 1 000 devices).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use upsight_e2e::upsd::{DeviceFile, Upsd};
use upsight_exporter::source::{RawDevice, Source as _};

use crate::measure;

/// MAXAGE for upsd: long enough that a driver starved of CPU is not declared stale.
const MAX_AGE_S: u32 = 60;
/// Memory asked of the machine per dummy-ups driver (3–6 MiB RSS each, mostly shared).
const MIB_PER_DRIVER: u64 = 8;
/// File descriptors upsd needs beyond one per driver socket (listeners, clients, logs).
const SPARE_FDS: u64 = 128;

/// A started upsd and what its start cost.
#[derive(Debug)]
pub(crate) struct Hosted {
    pub(crate) upsd: Upsd,
    /// Spawn to every device answering with data.
    pub(crate) ready_after: Duration,
    /// Sum of the VmRSS of upsd and its drivers once ready.
    pub(crate) rss_mib: f64,
}

/// Why this machine cannot host `n` drivers, if it cannot.
pub(crate) fn refusal(n: usize) -> Option<String> {
    let n = n as u64;
    let available = meminfo_kib("MemAvailable:").unwrap_or(0) / 1024;
    if available < n * MIB_PER_DRIVER {
        return Some(format!(
            "not measured: {n} dummy-ups drivers want about {} MiB, {available} MiB available",
            n * MIB_PER_DRIVER
        ));
    }
    let fds = open_file_limit().unwrap_or(1024);
    if fds < n + SPARE_FDS {
        return Some(format!(
            "not measured: upsd needs a socket per driver, but the open-file limit is {fds}"
        ));
    }
    None
}

/// Starts upsd with `devices` and waits, at most `deadline` after the spawn, until every
/// device answers with data. `Ok(None)` when nut-server is not installed.
pub(crate) async fn host(
    devices: Vec<DeviceFile>,
    deadline: Duration,
) -> anyhow::Result<Option<Hosted>> {
    let n = devices.len();
    let started = Instant::now();
    // Blocking (each of its waits is bounded); if this future is dropped, the Upsd is
    // dropped, and its processes killed, when the spawn returns.
    let spawned = tokio::task::spawn_blocking(move || Upsd::spawn(&devices, MAX_AGE_S));
    let Some(upsd) = spawned.await?? else {
        return Ok(None);
    };
    let addr: SocketAddr = upsd.address().parse()?;
    let mut source = measure::source(addr)?;
    let mut last;
    loop {
        match source.poll().await {
            Ok(polls) => {
                let ready = polls.iter().filter(|p| is_ready(&p.result)).count();
                if polls.len() == n && ready == n {
                    break;
                }
                last = format!("{ready} of {n} devices ready ({} listed)", polls.len());
            }
            Err(e) => last = e.to_string(),
        }
        anyhow::ensure!(
            started.elapsed() < deadline,
            "upsd with {n} devices not ready after {deadline:?}: {last}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let ready_after = started.elapsed();
    let rss_kib: u64 = upsd.pids().iter().filter_map(|pid| rss_kib(*pid)).sum();
    Ok(Some(Hosted {
        upsd,
        ready_after,
        rss_mib: rss_kib as f64 / 1024.0,
    }))
}

/// Data, and a status other than upsd's `WAIT` placeholder.
fn is_ready(result: &Result<RawDevice, upsight_exporter::source::PollError>) -> bool {
    let Ok(device) = result else { return false };
    device.nut_vars().is_some_and(|vars| {
        vars.iter()
            .any(|(name, value)| name == "ups.status" && value != "WAIT")
    })
}

fn meminfo_kib(key: &str) -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find_map(|l| l.strip_prefix(key))?;
    line.trim().trim_end_matches("kB").trim().parse().ok()
}

fn open_file_limit() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = text.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

fn rss_kib(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = text.lines().find_map(|l| l.strip_prefix("VmRSS:"))?;
    line.trim().trim_end_matches("kB").trim().parse().ok()
}
