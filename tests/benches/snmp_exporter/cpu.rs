//! CPU time of a process's threads, from the scheduler's per-thread statistics.

use std::time::Duration;

use anyhow::Context as _;

/// On-CPU time of every thread of process `pid` (`self` or a number) except `except`: the
/// sum of the first field of `/proc/PID/task/*/schedstat` (ns; sched_stats.rst). A thread that
/// exits during a loop takes its time with it; the clients keep theirs for the whole run.
pub(crate) fn cpu_time(pid: &str, except: Option<u32>) -> anyhow::Result<Duration> {
    let dir = format!("/proc/{pid}/task");
    let mut total = 0u64;
    for entry in std::fs::read_dir(&dir).with_context(|| format!("read {dir}"))? {
        let entry = entry?;
        if except.is_some_and(|tid| entry.file_name().to_str() == Some(&tid.to_string())) {
            continue;
        }
        // A thread can exit between the listing and the read.
        let Ok(text) = std::fs::read_to_string(entry.path().join("schedstat")) else {
            continue;
        };
        let ns = text.split_whitespace().next().context("empty schedstat")?;
        total += ns
            .parse::<u64>()
            .with_context(|| format!("schedstat {text:?}"))?;
    }
    Ok(Duration::from_nanos(total))
}
