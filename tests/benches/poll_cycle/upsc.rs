//! The `upsc` client (Debian nut-client) as a shell loop uses it: `upsc NAME@127.0.0.1:PORT`
//! once per UPS, one after the other (a process, a connection and a `LIST VAR` each).

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::Context as _;

/// Candidate locations of `upsc`.
pub(crate) const UPSC: &[&str] = &["/usr/bin/upsc", "/bin/upsc", "/usr/local/bin/upsc"];
/// Deadline for one `upsc` call (it is killed after it).
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// Wall time one row may spend in `upsc` calls after the probe; beyond it, a cycle is sampled.
const BUDGET: Duration = Duration::from_secs(8);
/// Untimed calls first, also the probe that sizes the run.
const PROBE_CALLS: usize = 3;
/// Fewest calls a sample takes, whatever the budget says.
const MIN_SAMPLE: usize = 20;

/// One row's `upsc` cost per poll cycle (all N UPSes).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Upsc {
    /// Median over full cycles, or the mean call × N when sampled.
    pub(crate) per_cycle: Duration,
    /// Full cycles timed (0 when sampled).
    pub(crate) cycles: usize,
    /// Calls timed.
    pub(crate) calls: usize,
}

impl Upsc {
    /// Whether this is an estimate from a sample of one cycle's calls.
    pub(crate) fn is_estimate(&self) -> bool {
        self.cycles == 0
    }
}

/// Full cycles wanted for `n` UPSes (fewer when they do not fit [`BUDGET`]).
fn wanted_cycles(n: usize) -> usize {
    match n {
        0..=1 => 30,
        2..=10 => 5,
        11..=100 => 3,
        _ => 1,
    }
}

/// One `upsc` call; its wall time.
async fn call(bin: &Path, target: &str) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let status = tokio::process::Command::new(bin)
        .arg(target)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .status();
    let status = tokio::time::timeout(CALL_TIMEOUT, status)
        .await
        .with_context(|| format!("upsc {target}: no exit within {CALL_TIMEOUT:?}"))??;
    let took = started.elapsed();
    anyhow::ensure!(status.success(), "upsc {target}: {status}");
    Ok(took)
}

/// Times `upsc` over `names` on `peer`: full cycles when they fit the budget, else an evenly
/// spaced sample of one cycle's calls, extrapolated to N.
pub(crate) async fn measure(
    bin: &Path,
    peer: SocketAddr,
    names: &[String],
) -> anyhow::Result<Upsc> {
    let target = |name: &str| format!("{name}@{}:{}", peer.ip(), peer.port());
    let n = names.len();
    let mut probe = Duration::ZERO;
    for i in 0..PROBE_CALLS {
        probe += call(bin, &target(&names[i * n / PROBE_CALLS])).await?;
    }
    let per_call = probe / PROBE_CALLS as u32;
    let fit = (BUDGET.as_secs_f64() / (per_call.as_secs_f64() * n as f64)) as usize;
    let cycles = wanted_cycles(n).min(fit);
    if cycles >= 1 {
        let mut totals = Vec::with_capacity(cycles);
        for _ in 0..cycles {
            let mut total = Duration::ZERO;
            for name in names {
                total += call(bin, &target(name)).await?;
            }
            totals.push(total);
        }
        totals.sort();
        return Ok(Upsc {
            per_cycle: totals[totals.len() / 2],
            cycles,
            calls: cycles * n,
        });
    }
    let sample = ((BUDGET.as_secs_f64() / per_call.as_secs_f64()) as usize).clamp(MIN_SAMPLE, n);
    let mut total = Duration::ZERO;
    for k in 0..sample {
        total += call(bin, &target(&names[k * n / sample])).await?;
    }
    Ok(Upsc {
        per_cycle: total.mul_f64(n as f64 / sample as f64),
        cycles: 0,
        calls: sample,
    })
}
