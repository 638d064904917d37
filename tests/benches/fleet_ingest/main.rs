//! The fleet control plane under load, in one run, everything on 127.0.0.1:
//!
//! 1. **Heartbeat ingest.** The release `upsight fleet` (state saved by its coalesced saver,
//!    both tokens, 15 s interval, rate limits lifted to their maxima) gets 10 000 members
//!    registered, then 64 keep-alive HTTP/1.1 connections send pre-serialized `HeartbeatV1`
//!    bodies (the golden fixture's two live devices, each member's own lease) back to back for
//!    a warm-up and a measured window. The same load then goes to the plane without a state
//!    directory (no saver), and to two ceilings in a process of their own: a bare axum handler
//!    (read the body, answer 204), and the same handler inside `upsight-http`'s hardening
//!    stack as the plane builds it. Reported: heartbeats/s, p50/p99/max latency, server and
//!    client CPU per request, the load the rest of the machine put on it, and the ratios.
//! 2. **Scale.** A fresh plane (without a state directory, then with one) grows to 1 000,
//!    10 000 and 100 000 members, each registered and heartbeaten once; at each count, after
//!    an idle pause, its VmRSS and VmHWM, reported with the growth per member over the empty
//!    plane. Then the ingest latency while the saver copies and encodes the 100 000-member
//!    state.
//! 3. **State.** In process, for a `Registry` of 1 000, 10 000 and 100 000 members: the cost
//!    of `register`, `heartbeat` and of parsing a heartbeat, per call (at 100 000); the saver's
//!    copy (`FleetState::of`), `Store::save` and `Store::open` (medians of 3) and the file's
//!    size, each also per member; then the binary's start to `/readyz` on the largest saved
//!    file. A state over the store's size limit is reported as refused, and the largest member
//!    count that fits is measured instead. The report ends with each cost per member at
//!    100 000 over the same at 1 000 (1.00× is linear growth).
//!
//! Every member always talks from the same source address (connection `c` binds
//! 127.0.2.`c+1` and owns members `i % 64 == c`): the plane counts one identity heard from two
//! addresses as a conflict. Nothing here asserts a time. The machine is shared: client and
//! servers run on the same cores, so compare numbers within a run.
//!
//! Run with `cargo build --release --locked && cargo bench -p upsight-e2e --bench
//! fleet_ingest`. `UPSIGHT_BENCH_FLEET_SECONDS` sets the measured window (default 10). Markdown
//! goes to stdout, progress to stderr.

#![allow(clippy::print_stdout)] // the tables on stdout are this bench's output

mod bare;
mod client;
#[path = "../snmp_exporter/cpu.rs"]
mod cpu;
mod load;
mod members;
mod phases;
mod process;
mod report;
mod state;

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;

use crate::bare::{BARE_FLAG, HARDENED_FLAG};
use upsight_e2e::bench::upsight_bin;

/// Concurrent keep-alive connections of the load client.
pub(crate) const CONNECTIONS: usize = 64;
/// Members registered before the ingest measurement.
pub(crate) const INGEST_MEMBERS: usize = 10_000;
/// Member counts of the growth measurements (memory, state copy, save, load).
pub(crate) const MEMBER_COUNTS: [usize; 3] = [1_000, 10_000, 100_000];
/// Members of the scale and state measurements: the largest count.
pub(crate) const SCALE_MEMBERS: usize = MEMBER_COUNTS[MEMBER_COUNTS.len() - 1];
/// Load before each measured window.
pub(crate) const WARMUP: Duration = Duration::from_secs(2);
/// The measured window while the 100 000-member state is being saved.
pub(crate) const SAVE_WINDOW: Duration = Duration::from_secs(6);

fn main() -> ExitCode {
    let ceiling = std::env::args().find_map(|a| match a.as_str() {
        BARE_FLAG => Some(false),
        HARDENED_FLAG => Some(true),
        _ => None,
    });
    if let Some(is_hardened) = ceiling {
        return match bare::serve(is_hardened) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("bare server: {error:#}");
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
            eprintln!("fleet_ingest bench: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<String> {
    let bin = upsight_bin()?;
    let window = match std::env::var("UPSIGHT_BENCH_FLEET_SECONDS") {
        Ok(text) => Duration::from_secs(
            text.parse()
                .with_context(|| format!("UPSIGHT_BENCH_FLEET_SECONDS={text:?}"))?,
        ),
        Err(_) => Duration::from_secs(10),
    };
    eprintln!("fleet_ingest: {} ({} CPUs)", bin.display(), cpus());
    // The client gets what the binary has: a two-worker runtime.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    // On SIGINT or SIGTERM the measurement is dropped, and with it every server process
    // (their guards kill them) and temp directory.
    runtime.block_on(async {
        tokio::select! {
            markdown = measure(&bin, window) => markdown,
            signal = upsight_e2e::bench::stopped() => Err(anyhow::anyhow!("stopped by {signal}")),
        }
    })
}

async fn measure(bin: &std::path::Path, window: Duration) -> anyhow::Result<String> {
    let ingest = phases::ingest(bin, window).await?;
    let scale = phases::scale(bin).await?;
    let state = phases::state(bin).await?;
    Ok(report::markdown(&ingest, &scale, &state, window))
}

/// Online CPUs, for the progress line.
fn cpus() -> usize {
    std::thread::available_parallelism().map_or(0, std::num::NonZero::get)
}
