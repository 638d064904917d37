//! `/metrics` and the exporter's footprint against the number of UPSes, in one run, everything
//! on 127.0.0.1:
//!
//! 1. **Server time per scrape, in process.** For 10, 100, 1 000 and 10 000 UPSes (30
//!    variables each): a scrape right after a poll (the device section rendered) and every
//!    later scrape until the next poll (the cached section), timed and with allocations
//!    counted by a counting global allocator.
//! 2. **Over HTTP beside the ceiling.** For the same counts: the release `upsight sim` serving
//!    the devices, the release `upsight exporter` polling it every 5 s, and wrk against
//!    `/metrics` (one connection, then 16), next to this bench re-executed as a server that
//!    answers with the same bytes from memory through the same HTTP stack (`ceiling`). Also
//!    the exporter's memory at each count.
//! 3. **CPU per hour.** The exporter watching 10 UPSes at the default interval, scraped every
//!    15 s as Prometheus would, for a window (`UPSIGHT_BENCH_CPU_SECONDS`, default 120).
//!
//! `UPSIGHT_BENCH_RENDER_ONLY=1` stops after the first part (seconds, not minutes: for
//! profiling the renderer).
//!
//! Nothing here asserts a time. Client, servers and simulator share the machine's CPUs;
//! compare numbers within a run. Run with `cargo build --release --locked && cargo bench -p
//! upsight-e2e --bench metrics_http` (needs wrk). Markdown on stdout, progress on stderr;
//! lines starting `AIM|` are the summary rows `scripts/bench` collects.

#![allow(clippy::print_stdout)] // the tables on stdout are this bench's output

mod ceiling;
#[path = "../snmp_exporter/cpu.rs"]
mod cpu;
mod devices;
mod inproc;
mod procs;
mod report;

use std::alloc::System;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

use crate::procs::{Proc, Wrk};

/// Counts every allocation of this process, for the in-process rows.
#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// The UPS counts measured.
const COUNTS: [usize; 4] = [10, 100, 1_000, 10_000];
/// The exporter's poll interval in the HTTP rows.
const INTERVAL: &str = "5s";
/// Longest wait for every device to be up.
const UP_LIMIT: Duration = Duration::from_secs(180);
/// How often the CPU phase scrapes, as a Prometheus with a 15 s scrape interval.
const SCRAPE_EVERY: Duration = Duration::from_secs(15);

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    if let Some(flag) = args.next()
        && flag == ceiling::CEILING_FLAG
    {
        let result = args
            .next()
            .context("the ceiling server wants a file")
            .and_then(|path| ceiling::serve(Path::new(&path)));
        return match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("ceiling server: {error:#}");
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
            eprintln!("metrics_http bench: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// One UPS count over HTTP.
#[derive(Debug)]
pub(crate) struct Http {
    pub(crate) count: usize,
    pub(crate) bytes: usize,
    pub(crate) poll: Option<f64>,
    pub(crate) rss_idle: u64,
    pub(crate) rss_after: u64,
    pub(crate) hwm: u64,
    pub(crate) exporter_one: Wrk,
    pub(crate) exporter_many: Wrk,
    pub(crate) ceiling_one: Wrk,
    pub(crate) ceiling_many: Wrk,
}

/// The CPU phase.
#[derive(Debug)]
pub(crate) struct CpuHour {
    pub(crate) window: Duration,
    pub(crate) cpu: Duration,
    pub(crate) scrapes: usize,
    pub(crate) rss: u64,
}

fn run() -> anyhow::Result<String> {
    let bin = upsight_e2e::bench::upsight_bin()?;
    let cpu_window = match std::env::var("UPSIGHT_BENCH_CPU_SECONDS") {
        Ok(text) => Duration::from_secs(
            text.parse()
                .with_context(|| format!("UPSIGHT_BENCH_CPU_SECONDS={text:?}"))?,
        ),
        Err(_) => Duration::from_secs(120),
    };
    // In process first, while this is the only thread allocating.
    let mut renders = Vec::new();
    for count in COUNTS {
        eprintln!("metrics_http: render, {count} UPSes");
        renders.push(inproc::measure(count)?);
    }
    if std::env::var_os("UPSIGHT_BENCH_RENDER_ONLY").is_some() {
        return Ok(report::render_only(&renders));
    }
    let mut http = Vec::new();
    for count in COUNTS {
        eprintln!("metrics_http: HTTP, {count} UPSes");
        http.push(over_http(&bin, count)?);
    }
    eprintln!("metrics_http: CPU per hour, 10 UPSes, {cpu_window:?}");
    let cpu = cpu_hour(&bin, cpu_window)?;
    Ok(report::markdown(&renders, &http, &cpu))
}

fn over_http(bin: &Path, count: usize) -> anyhow::Result<Http> {
    let dir = tempfile::tempdir()?;
    let files = devices::write(dir.path(), count)?;
    let sim = procs::start_sim(bin, dir.path(), &files)?;
    // A fresh exporter (and below, a fresh ceiling) for each wrk run: wrk is one client, and
    // even at the widest per-client limit `[http]` accepts (a burst of 100 000, 1 000 a second)
    // two runs in a row against a small exposition would exhaust it.
    // Small expositions are served fast enough to spend the burst in 3 s: shorter windows.
    let seconds = if count <= 100 { 2 } else { 5 };
    let one = exporter_round(bin, dir.path(), &sim, count, 1, 3)?;
    let many = exporter_round(bin, dir.path(), &sim, count, 16, seconds)?;
    drop(sim);
    let path = dir.path().join("metrics.txt");
    upsight_e2e::write_file(&path, &many.body)?;
    let ceiling_one = ceiling_round(&path, &many.body, 1, 3)?;
    let ceiling_many = ceiling_round(&path, &many.body, 16, seconds)?;
    Ok(Http {
        count,
        bytes: many.body.len(),
        poll: poll_seconds(&many.body),
        rss_idle: many.rss_idle,
        rss_after: many.rss_after,
        hwm: many.hwm,
        exporter_one: one.wrk,
        exporter_many: many.wrk,
        ceiling_one,
        ceiling_many,
    })
}

/// One exporter's run: started, every device up, one more poll, then wrk.
struct Round {
    body: Vec<u8>,
    wrk: Wrk,
    rss_idle: u64,
    rss_after: u64,
    hwm: u64,
}

fn exporter_round(
    bin: &Path,
    dir: &Path,
    sim: &Proc,
    count: usize,
    connections: u32,
    seconds: u32,
) -> anyhow::Result<Round> {
    let exporter = procs::start_exporter(bin, dir, sim.addr, Some(INTERVAL), true)?;
    procs::wait_up(&exporter, count, UP_LIMIT)?;
    // One more poll, so the figures are the steady state rather than the first poll's.
    std::thread::sleep(Duration::from_secs(6));
    let body = procs::get_metrics(exporter.addr)?;
    let (rss_idle, _) = exporter.memory()?;
    let wrk = procs::wrk(&exporter, connections.min(2), connections, seconds)?;
    std::thread::sleep(Duration::from_secs(3));
    let (rss_after, hwm) = exporter.memory()?;
    Ok(Round {
        body,
        wrk,
        rss_idle,
        rss_after,
        hwm,
    })
}

fn ceiling_round(path: &Path, body: &[u8], connections: u32, seconds: u32) -> anyhow::Result<Wrk> {
    let ceiling = procs::start_ceiling(path)?;
    let served = procs::get_metrics(ceiling.addr)?;
    anyhow::ensure!(served == body, "the ceiling serves other bytes");
    procs::wrk(&ceiling, connections.min(2), connections, seconds)
}

/// The exporter's own `upsight_poll_duration_seconds` of its first device.
fn poll_seconds(body: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(body).ok()?;
    text.lines()
        .find(|l| l.starts_with("upsight_poll_duration_seconds{"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

fn cpu_hour(bin: &Path, window: Duration) -> anyhow::Result<CpuHour> {
    let dir = tempfile::tempdir()?;
    let files = devices::write(dir.path(), 10)?;
    let sim = procs::start_sim(bin, dir.path(), &files)?;
    // The default interval and the default [http] section.
    let exporter = procs::start_exporter(bin, dir.path(), sim.addr, None, false)?;
    procs::wait_up(&exporter, 10, UP_LIMIT)?;
    std::thread::sleep(Duration::from_secs(6));
    let before = exporter.cpu()?;
    let started = std::time::Instant::now();
    let mut scrapes: u32 = 0;
    while started.elapsed() < window {
        procs::get_metrics(exporter.addr)?;
        scrapes += 1;
        let next = (SCRAPE_EVERY * scrapes).min(window);
        std::thread::sleep(next.saturating_sub(started.elapsed()));
    }
    let window = started.elapsed();
    let cpu = exporter.cpu()?.saturating_sub(before);
    let (rss, _) = exporter.memory()?;
    drop::<Proc>(exporter);
    drop(sim);
    Ok(CpuHour {
        window,
        cpu,
        scrapes: scrapes as usize,
        rss,
    })
}
