//! One exporter NUT poll cycle at 1, 10, 100 and 1 000 UPSes, against the simulator and a real
//! NUT upsd, next to its lower bound and to `upsc`, in one run, everything on 127.0.0.1:
//!
//! - `NutSource::poll()` on a warm persistent connection, in discovery mode (the default
//!   config): median and p90, and per UPS, so linear growth can be read off;
//! - the protocol's lower bound: the same request bytes in one write on a raw socket with
//!   TCP_QUICKACK re-armed before each read, reading until the reply's byte count is in, no
//!   parsing; exporter and raw rounds alternate, and the ratio is taken in the same run;
//! - `upsc NAME@127.0.0.1:PORT` once per UPS, sequentially, as a shell loop would;
//! - on the wire, through a counting TCP relay: exchanges (client→server bursts) and bytes per
//!   steady-state poll (the issue: one pipelined exchange per server and poll).
//!
//! Peers: the simulator (`upsight_sim`, in a process of its own: this bench re-executed with
//! `--sim-server`) for every N; upsd 2.8 with one dummy-ups driver per UPS (nut-server) for
//! every N the machine can host; a row says why when it is not measured. Peers run one at a
//! time. Nothing here asserts a time: the machine is shared, so compare ratios within a run.
//!
//! Run with `cargo bench --locked -p upsight-e2e --bench poll_cycle`: Markdown on stdout,
//! progress on stderr. Subsets for a quick look: `UPSIGHT_BENCH_POLL_COUNTS=1,10`,
//! `UPSIGHT_BENCH_POLL_PEERS=sim` (or `upsd`). Device files are written by the bench (30
//! variables each); no corpus needed.

#![allow(clippy::print_stdout)] // the table on stdout is this bench's output

#[path = "snmp_exporter/cpu.rs"]
mod cpu;
#[path = "poll_cycle/measure.rs"]
mod measure;
#[path = "poll_cycle/peer.rs"]
mod peer;
#[path = "poll_cycle/relay.rs"]
mod relay;
#[path = "poll_cycle/report.rs"]
mod report;
#[path = "poll_cycle/sim.rs"]
mod sim;
#[path = "poll_cycle/upsc.rs"]
mod upsc;

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context as _;

use crate::relay::Relay;
use crate::report::{Measured, Row};
use crate::sim::{SIM_FLAG, SimProcess};

/// The UPS counts measured on each peer.
const COUNTS: [usize; 4] = [1, 10, 100, 1_000];

/// [`COUNTS`], or the subset named in `UPSIGHT_BENCH_POLL_COUNTS` (e.g. `1,10`: a quick run).
fn counts() -> anyhow::Result<Vec<usize>> {
    let Ok(text) = std::env::var("UPSIGHT_BENCH_POLL_COUNTS") else {
        return Ok(COUNTS.to_vec());
    };
    text.split(',')
        .map(|n| {
            n.trim()
                .parse()
                .ok()
                .filter(|n| COUNTS.contains(n))
                .with_context(|| format!("UPSIGHT_BENCH_POLL_COUNTS={text:?}: one of {COUNTS:?}"))
        })
        .collect()
}

/// Whether `peer` (`sim` or `upsd`) is measured: `UPSIGHT_BENCH_POLL_PEERS` (default both).
fn is_selected(peer: &str) -> bool {
    std::env::var("UPSIGHT_BENCH_POLL_PEERS")
        .map_or(true, |list| list.split(',').any(|p| p.trim() == peer))
}

/// Untimed and timed rounds (one exporter poll and one raw cycle each) for `n` UPSes.
fn rounds(n: usize) -> (usize, usize) {
    if n >= 1_000 { (5, 50) } else { (20, 200) }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == SIM_FLAG) {
        let Some(dir) = args.get(i + 1) else {
            eprintln!("{SIM_FLAG} needs a directory");
            return ExitCode::FAILURE;
        };
        return match sim::serve(Path::new(dir)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("simulator: {error:#}");
                ExitCode::FAILURE
            }
        };
    }
    match run() {
        Ok(markdown) => {
            print!("{markdown}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("poll_cycle bench: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<String> {
    // The exporter's runtime shape (`crates/upsight/src/main.rs`): two worker threads.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    // On SIGINT or SIGTERM the measurement is dropped, and with it every peer process (their
    // guards kill them); a panic unwinds through the same guards.
    runtime.block_on(async {
        tokio::select! {
            markdown = measure_all() => markdown,
            signal = upsight_e2e::bench::stopped() => Err(anyhow::anyhow!("stopped by {signal}")),
        }
    })
}

async fn measure_all() -> anyhow::Result<String> {
    let started = Instant::now();
    let upsc = upsight_e2e::peers::require("nut-client (upsc)", upsc::UPSC);
    let counts = counts()?;
    let mut rows = Vec::new();
    for &n in counts.iter().filter(|_| is_selected("sim")) {
        eprintln!("poll_cycle: simulator, {n} UPSes");
        let sim = SimProcess::start(&sim::devices(n))?;
        let measured = measure_row(sim.addr, n, upsc.as_deref()).await;
        rows.push(Row {
            peer: "simulator",
            n,
            outcome: Ok(measured.with_context(|| format!("simulator, {n} UPSes"))?),
        });
    }
    let mut notes = Vec::new();
    for &n in counts.iter().filter(|_| is_selected("upsd")) {
        let outcome = upsd_row(n, upsc.as_deref(), &mut notes).await?;
        let Some(outcome) = outcome else { break };
        rows.push(Row {
            peer: "upsd 2.8 + dummy-ups",
            n,
            outcome,
        });
    }
    let header = header(upsc.as_deref(), &notes, started.elapsed());
    Ok(report::markdown(&header, &rows))
}

/// Starts upsd for `n` UPSes and measures it. `Ok(None)`: nut-server is not installed (noted).
async fn upsd_row(
    n: usize,
    upsc: Option<&Path>,
    notes: &mut Vec<String>,
) -> anyhow::Result<Option<Result<Measured, String>>> {
    if let Some(why) = peer::refusal(n) {
        eprintln!("poll_cycle: upsd, {n} UPSes: {why}");
        return Ok(Some(Err(why)));
    }
    eprintln!("poll_cycle: upsd, {n} UPSes: starting {n} dummy-ups drivers");
    // Measured here: ~2 s for 1 driver, ~9 s for 1 000; bounded well above that.
    let deadline = Duration::from_secs(20) + Duration::from_millis(60) * n as u32;
    let hosted = match peer::host(sim::devices(n), deadline).await {
        Ok(Some(hosted)) => hosted,
        Ok(None) => {
            notes.push(
                "NUT upsd/dummy-ups not installed (apt-get install nut-server): no upsd rows"
                    .into(),
            );
            return Ok(None);
        }
        Err(e) => {
            let why = format!("not measured: {e:#}");
            eprintln!("poll_cycle: upsd, {n} UPSes: {why}");
            return Ok(Some(Err(why)));
        }
    };
    notes.push(format!(
        "upsd with {n} dummy-ups: every UPS served data {:.1} s after the spawn; VmRSS of upsd \
         + drivers summed {:.0} MiB (shared pages counted per process)",
        hosted.ready_after.as_secs_f64(),
        hosted.rss_mib
    ));
    let addr: SocketAddr = hosted.upsd.address().parse()?;
    let measured = measure_row(addr, n, upsc)
        .await
        .with_context(|| format!("upsd, {n} UPSes"))?;
    eprintln!("poll_cycle: upsd, {n} UPSes: stopping");
    tokio::task::spawn_blocking(move || drop(hosted)).await?;
    Ok(Some(Ok(measured)))
}

/// Wire count, timing and `upsc` for one peer at `n` UPSes.
async fn measure_row(peer: SocketAddr, n: usize, upsc: Option<&Path>) -> anyhow::Result<Measured> {
    let relay = Relay::start(peer)?;
    let wire = measure::wire(&relay, n).await?;
    drop(relay);
    let (warmup, iterations) = rounds(n);
    // On a worker thread, where the exporter's pollers run.
    let timing = tokio::spawn(measure::timing(peer, n, warmup, iterations)).await??;
    anyhow::ensure!(
        wire.request == timing.request,
        "the relay saw {} request bytes per poll, the encoding gives {}",
        wire.request.len(),
        timing.request.len()
    );
    let upsc = match upsc {
        Some(bin) => upsc::measure(bin, peer, &timing.known)
            .await
            .map_err(|e| format!("failed: {e:#}")),
        None => Err("not installed (apt-get install nut-client)".to_owned()),
    };
    if let Err(why) = &upsc {
        eprintln!("poll_cycle: upsc {why}");
    }
    Ok(Measured { timing, wire, upsc })
}

fn header(upsc: Option<&Path>, notes: &[String], took: Duration) -> String {
    let mut text = format!(
        "NUT poll cycle, {} CPUs (shared; load average {} at the end), run took {:.0} s. \
         Each UPS has 30 variables in its device file (upsd adds its driver.* variables). \
         Rounds per row: {} timed after {} untimed for N ≤ 100, {} after {} for N = 1 000. \
         `upsc`: {}.",
        cpus(),
        loadavg(),
        took.as_secs_f64(),
        rounds(1).1,
        rounds(1).0,
        rounds(1_000).1,
        rounds(1_000).0,
        upsc.map_or_else(|| "not installed".to_owned(), |p| p.display().to_string()),
    );
    for note in notes {
        text.push_str(&format!("\n- {note}"));
    }
    text
}

fn cpus() -> usize {
    std::thread::available_parallelism().map_or(0, std::num::NonZero::get)
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|t| t.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "n/a".to_owned())
}
