//! The Markdown: one table (peer × N), what each column measures, the linearity summary.

use std::fmt::Write as _;
use std::time::Duration;

use crate::measure::{Timing, Wire};
use crate::upsc::Upsc;

/// One measured (or refused) row.
#[derive(Debug)]
pub(crate) struct Row {
    pub(crate) peer: &'static str,
    pub(crate) n: usize,
    pub(crate) outcome: Result<Measured, String>,
}

/// Everything measured for one peer and N.
#[derive(Debug)]
pub(crate) struct Measured {
    pub(crate) timing: Timing,
    pub(crate) wire: Wire,
    /// `Err` says why `upsc` was not measured.
    pub(crate) upsc: Result<Upsc, String>,
}

/// Nearest-rank percentile of `samples` (`p` in 0..=100).
pub(crate) fn percentile(samples: &[Duration], p: f64) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn median(samples: &[Duration]) -> Duration {
    percentile(samples, 50.0)
}

/// The table and its notes.
pub(crate) fn markdown(header: &str, rows: &[Row]) -> String {
    let mut out = String::new();
    aims(&mut out, rows);
    let _ = writeln!(out, "{header}\n");
    let _ = writeln!(
        out,
        "| Peer | UPSes | Exporter poll, median | p90 | per UPS | Raw socket, median | \
         Exporter / raw | Client CPU per poll, exporter / raw | `upsc` per cycle | \
         `upsc` / exporter | Exchanges per poll | Bytes per poll (→ / ←) |\n\
         |---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
    );
    for row in rows {
        table_row(&mut out, row);
    }
    let resyncs: usize = rows
        .iter()
        .filter_map(|r| r.outcome.as_ref().ok())
        .map(|m| m.timing.raw_resyncs)
        .sum();
    if resyncs > 0 {
        let _ = writeln!(
            out,
            "\nThe reply size changed {resyncs} times between raw cycles (learned again)."
        );
    }
    out.push('\n');
    out.push_str(COLUMNS);
    out.push('\n');
    summary(&mut out, rows);
    out
}

const COLUMNS: &str = "\
- **Exporter poll**: wall time of one `NutSource::poll()` (discovery mode, as the default \
config: `LIST UPS` plus a `LIST VAR` per known UPS, pipelined in one write) on a warm \
persistent connection, until it returns every UPS's variables; median and p90 (nearest rank). \
**per UPS** = median / N.
- **Raw socket**: the lower bound: the same request bytes (captured by the relay, checked \
equal to `upsight_proto`'s encoding) in one write on a plain tokio `TcpStream`, TCP_QUICKACK \
re-armed before each read (64 KiB reads), until the reply's byte count (learned from a first \
read to the last `END LIST VAR`) is in; no parsing. Exporter and raw rounds alternate on the \
same runtime (2 workers, as the binary), so drift hits both alike; **Exporter / raw** is the \
ratio of medians (the issue's aim: ≤ 2×).
- **Client CPU per poll**: on-CPU time of every thread of the bench process over one exporter \
poll / one raw cycle (`/proc/self/task/*/schedstat`), medians: the client's own cost, apart \
from waiting for the peer (which runs in its own processes).
- **`upsc` per cycle**: `upsc NAME@127.0.0.1:PORT` once per UPS, sequentially, as a shell \
loop would (a process, a connection and a `LIST VAR` each; output to /dev/null); median of \
full cycles, or ≈ the mean call × N from an evenly spaced sample when a cycle does not fit the \
row's budget. **`upsc` / exporter** = that / exporter median.
- **Exchanges per poll**: client→server bursts (client data after server data, or the first) \
counted by a TCP relay on 127.0.0.1 between a fresh `NutSource` and the peer, per \
steady-state poll; the first poll on a fresh connection discovers (2 exchanges). **Bytes per \
poll**: what the relay forwarded per poll, request → / reply ←.
";

fn table_row(out: &mut String, row: &Row) {
    let (peer, n) = (row.peer, row.n);
    let m = match &row.outcome {
        Ok(m) => m,
        Err(why) => {
            let _ = writeln!(out, "| {peer} | {n} | {why} | | | | | | | | | |");
            return;
        }
    };
    let (exporter, raw) = (&m.timing.exporter, &m.timing.raw);
    let (e50, r50) = (median(exporter), median(raw));
    let upsc = match &m.upsc {
        Ok(u) => {
            let cost = if u.is_estimate() {
                format!("≈ {} ({} of {n} calls)", time(u.per_cycle), u.calls)
            } else {
                time(u.per_cycle)
            };
            (cost, format!("{:.0}×", ratio(u.per_cycle, e50)))
        }
        Err(why) => (why.clone(), String::new()),
    };
    let _ = writeln!(
        out,
        "| {peer} | {n} | {} | {} | {} | {} | **{:.2}×** | {} / {} | {} | {} | {} | {} |",
        time(e50),
        time(percentile(exporter, 90.0)),
        time(e50 / n as u32),
        time(r50),
        ratio(e50, r50),
        time(median(&m.timing.exporter_cpu)),
        time(median(&m.timing.raw_cpu)),
        upsc.0,
        upsc.1,
        exchanges(&m.wire),
        bytes(&m.wire),
    );
}

/// The `AIM|` rows `scripts/bench` collects: the worst exporter / raw ratio, the exchanges
/// per steady-state poll, and per-UPS growth from 10 UPSes to the largest count per peer.
fn aims(out: &mut String, rows: &[Row]) {
    let measured: Vec<(&Row, &Measured)> = rows
        .iter()
        .filter_map(|r| r.outcome.as_ref().ok().map(|m| (r, m)))
        .collect();
    let worst = measured.iter().max_by(|a, b| {
        let ratio_of = |m: &Measured| ratio(median(&m.timing.exporter), median(&m.timing.raw));
        ratio_of(a.1).total_cmp(&ratio_of(b.1))
    });
    if let Some((row, m)) = worst {
        let worst = ratio(median(&m.timing.exporter), median(&m.timing.raw));
        let _ = writeln!(
            out,
            "AIM|NUT poll cycle beside the raw-socket lower bound, worst of {} rows|{worst:.2}× ({}, {} UPSes)|aim ≤ 2×: {}|",
            measured.len(),
            row.peer,
            row.n,
            if worst <= 2.0 { "met" } else { "missed" }
        );
    }
    let most = measured
        .iter()
        .flat_map(|(_, m)| m.wire.polls.iter().map(|t| t.bursts))
        .max();
    if let Some(most) = most {
        let _ = writeln!(
            out,
            "AIM|NUT round trips per steady-state poll, every row|at most {most}|one pipelined exchange per server: {}|",
            if most == 1 { "met" } else { "missed" }
        );
    }
    let mut peers: Vec<&str> = measured.iter().map(|(r, _)| r.peer).collect();
    peers.dedup();
    for peer in peers {
        let of_peer: Vec<&(&Row, &Measured)> =
            measured.iter().filter(|(r, _)| r.peer == peer).collect();
        let (Some((small, s)), Some((large, l))) = (
            of_peer.iter().find(|(r, _)| r.n == 10).copied(),
            of_peer.last().copied(),
        ) else {
            continue;
        };
        if large.n <= small.n {
            continue;
        }
        let per = |samples: &[Duration], n: usize| median(samples).as_secs_f64() / n as f64;
        let exporter = per(&l.timing.exporter, large.n) / per(&s.timing.exporter, small.n);
        let raw = per(&l.timing.raw, large.n) / per(&s.timing.raw, small.n);
        let _ = writeln!(
            out,
            "AIM|Poll time per UPS, {peer}, {} vs {} UPSes|{exporter:.2}× (raw socket {raw:.2}×)|linear or better: {}|",
            large.n,
            small.n,
            if exporter <= 1.25 {
                "met"
            } else if exporter <= raw * 1.25 {
                "missed, as much as the raw socket: the peer's cost"
            } else {
                "missed"
            }
        );
    }
}

fn exchanges(wire: &Wire) -> String {
    let counts: Vec<u64> = wire.polls.iter().map(|t| t.bursts).collect();
    let (min, max) = (counts.iter().min(), counts.iter().max());
    match (min, max) {
        (Some(a), Some(b)) if a == b => format!("**{a}** (first: {})", wire.first_poll),
        (Some(a), Some(b)) => {
            let mean = counts.iter().sum::<u64>() as f64 / counts.len() as f64;
            format!("**{mean:.2}** ({a}–{b}; first: {})", wire.first_poll)
        }
        _ => "n/a".to_owned(),
    }
}

fn bytes(wire: &Wire) -> String {
    let count = wire.polls.len().max(1) as u64;
    let up = wire.polls.iter().map(|t| t.up).sum::<u64>() / count;
    let down = wire.polls.iter().map(|t| t.down).sum::<u64>() / count;
    format!("{up} / {down}")
}

/// Per-UPS cost at the largest N measured against N = 1, and the marginal cost of a UPS.
fn summary(out: &mut String, rows: &[Row]) {
    let mut peers: Vec<&str> = rows.iter().map(|r| r.peer).collect();
    peers.dedup();
    let _ = writeln!(out, "Linearity (per-UPS cost, median / N):\n");
    for peer in peers {
        let measured: Vec<(usize, &Measured)> = rows
            .iter()
            .filter(|r| r.peer == peer)
            .filter_map(|r| r.outcome.as_ref().ok().map(|m| (r.n, m)))
            .collect();
        let (Some((n0, first)), Some((n1, last))) = (measured.first(), measured.last()) else {
            let _ = writeln!(out, "- {peer}: nothing measured.");
            continue;
        };
        let per = |m: &Measured, n: usize, raw: bool| {
            let samples = if raw {
                &m.timing.raw
            } else {
                &m.timing.exporter
            };
            median(samples) / n as u32
        };
        let (e0, e1) = (per(first, *n0, false), per(last, *n1, false));
        let (r0, r1) = (per(first, *n0, true), per(last, *n1, true));
        let mut line = format!(
            "- {peer}: exporter {} per UPS at {n0} → {} at {n1} ({:.2}× the per-UPS cost); \
             raw {} → {} ({:.2}×)",
            time(e0),
            time(e1),
            ratio(e1, e0),
            time(r0),
            time(r1),
            ratio(r1, r0)
        );
        if let Some((n2, prev)) = measured.iter().rev().nth(1).filter(|_| measured.len() > 2) {
            let marginal = |raw: bool| {
                let samples = |m: &Measured| {
                    if raw {
                        m.timing.raw.clone()
                    } else {
                        m.timing.exporter.clone()
                    }
                };
                let delta = median(&samples(last)).saturating_sub(median(&samples(prev)));
                delta / (*n1 - *n2) as u32
            };
            let _ = write!(
                line,
                "; each UPS added from {n2} to {n1} costs the exporter {} and the raw socket {}",
                time(marginal(false)),
                time(marginal(true))
            );
        }
        let _ = writeln!(out, "{line}.");
    }
}

fn ratio(a: Duration, b: Duration) -> f64 {
    if b.is_zero() {
        f64::NAN
    } else {
        a.as_secs_f64() / b.as_secs_f64()
    }
}

/// µs below 1 ms, ms below 10 s, s above.
pub(crate) fn time(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us < 1_000.0 {
        format!("{us:.1} µs")
    } else if us < 10_000_000.0 {
        format!("{:.2} ms", us / 1e3)
    } else {
        format!("{:.1} s", us / 1e6)
    }
}
