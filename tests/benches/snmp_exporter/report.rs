//! The Markdown table: one row per client and a ratio row per case, with the statistics they
//! print.

use std::process::Command;
use std::time::Duration;

use crate::measurement::Measured;

/// One client's row, or an ERROR row when any poll returned no data.
pub(crate) fn row(device: &str, client: &str, m: &Measured, polls: usize) -> String {
    if m.failures > 0 {
        let first = m.first_failure.as_deref().unwrap_or("?").replace('|', "/");
        let error = format!(
            "ERROR: {} of {polls} polls returned no data; first: {first}",
            m.failures
        );
        return format!("| {device} | {client} | {error} | | | | |\n");
    }
    let n = m.walls.len() as f64;
    format!(
        "| {device} | {client} | {:.3} | {:.3} | {:.0} | {:.1} | {:.0} |\n",
        ms(percentile(&m.walls, 50)),
        ms(percentile(&m.walls, 90)),
        m.cpu.as_secs_f64() * 1e6 / n,
        m.traffic.packets() as f64 / n,
        m.traffic.bytes() as f64 / n,
    )
}

/// upsight / snmp_exporter for every column, or an ERROR row.
pub(crate) fn ratio_row(device: &str, ours: &Measured, theirs: &Measured) -> String {
    if ours.failures > 0 || theirs.failures > 0 || ours.walls.is_empty() || theirs.walls.is_empty()
    {
        return format!(
            "| {device} | ratio | ERROR: no ratio for a broken measurement | | | | |\n"
        );
    }
    let (n_ours, n_theirs) = (ours.walls.len() as f64, theirs.walls.len() as f64);
    let ratio = |a: f64, b: f64| {
        if b > 0.0 {
            format!("{:.2}×", a / b)
        } else {
            "n/a".to_owned()
        }
    };
    format!(
        "| {device} | ratio | {} | {} | {} | {} | {} |\n",
        ratio(
            ms(percentile(&ours.walls, 50)),
            ms(percentile(&theirs.walls, 50))
        ),
        ratio(
            ms(percentile(&ours.walls, 90)),
            ms(percentile(&theirs.walls, 90))
        ),
        ratio(
            ours.cpu.as_secs_f64() / n_ours,
            theirs.cpu.as_secs_f64() / n_theirs
        ),
        ratio(
            ours.traffic.packets() as f64 / n_ours,
            theirs.traffic.packets() as f64 / n_theirs
        ),
        ratio(
            ours.traffic.bytes() as f64 / n_ours,
            theirs.traffic.bytes() as f64 / n_theirs
        ),
    )
}

/// Nearest-rank percentile.
fn percentile(samples: &[Duration], p: usize) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let rank = (sorted.len() * p).div_ceil(100).max(1);
    sorted.get(rank - 1).copied().unwrap_or_default()
}

/// The upper median; NaN for no samples.
pub(crate) fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples.get(samples.len() / 2).copied().unwrap_or(f64::NAN)
}

/// `d` in milliseconds.
fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The installed snmpsim package version, for the table's footnote.
pub(crate) fn snmpsim_version() -> String {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Version}", "snmpsim"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "(version unknown)".to_owned())
}
