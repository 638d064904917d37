//! The closed-loop load: every connection sends its members' heartbeats one after another
//! (each waits for its answer), cycling through them, for a warm-up and then a measured window.
//! Latency is from just before a request is written to its whole answer read.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::StatusCode;
use tokio::task::JoinSet;

use crate::client::Conn;
use crate::cpu::cpu_time;

/// The heartbeat route (the bare server answers it too).
pub(crate) const HEARTBEAT_PATH: &str = "/api/v1/heartbeat";

/// Connections with the request bodies each one sends.
pub(crate) type Senders = Vec<(Conn, Vec<Bytes>)>;

/// What one measured window saw.
#[derive(Debug, Default)]
pub(crate) struct Window {
    /// Latencies of the 204 answers that started inside the window, sorted.
    pub(crate) latencies: Vec<Duration>,
    /// Answers other than 204 inside the window, by status.
    pub(crate) errors: BTreeMap<u16, u64>,
    /// The window's length.
    pub(crate) elapsed: Duration,
    /// On-CPU time of the server process over the window.
    pub(crate) server_cpu: Duration,
    /// On-CPU time of this (client) process over the window.
    pub(crate) client_cpu: Duration,
    /// Busy time of every CPU of the machine over the window (`/proc/stat`).
    pub(crate) machine_cpu: Duration,
}

impl Window {
    /// 204 answers per second.
    pub(crate) fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    /// The `p`-th percentile latency (nearest rank), zero when empty.
    pub(crate) fn percentile(&self, p: f64) -> Duration {
        let Some(last) = self.latencies.len().checked_sub(1) else {
            return Duration::ZERO;
        };
        let rank = ((p / 100.0) * self.latencies.len() as f64).ceil() as usize;
        self.latencies[rank.saturating_sub(1).min(last)]
    }

    /// Server CPU per answered request.
    pub(crate) fn server_cpu_per_request(&self) -> Duration {
        per_request(self.server_cpu, self.latencies.len())
    }

    /// Client CPU per answered request.
    pub(crate) fn client_cpu_per_request(&self) -> Duration {
        per_request(self.client_cpu, self.latencies.len())
    }

    /// CPUs kept busy by everything but the server and the client, on average.
    pub(crate) fn other_cores(&self) -> f64 {
        let ours = self.server_cpu + self.client_cpu;
        self.machine_cpu.saturating_sub(ours).as_secs_f64() / self.elapsed.as_secs_f64()
    }

    /// Answers other than 204, in total.
    pub(crate) fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }
}

fn per_request(cpu: Duration, n: usize) -> Duration {
    u32::try_from(n.max(1)).map_or(Duration::ZERO, |n| cpu / n)
}

/// Drives every connection for `warmup`, then measures for `window`; `server` is the pid
/// whose CPU is read. Gives the connections back for the next run.
pub(crate) async fn run(
    senders: Senders,
    server: u32,
    warmup: Duration,
    window: Duration,
) -> anyhow::Result<(Senders, Window)> {
    let measure_from = Instant::now() + warmup;
    let until = measure_from + window;
    let mut tasks = JoinSet::new();
    for (index, (conn, bodies)) in senders.into_iter().enumerate() {
        tasks.spawn(drive(index, conn, bodies, measure_from, until));
    }
    tokio::time::sleep_until(measure_from.into()).await;
    let server = server.to_string();
    let cpu0 = (
        cpu_time(&server, None)?,
        cpu_time("self", None)?,
        machine_busy()?,
    );
    tokio::time::sleep_until(until.into()).await;
    let cpu1 = (
        cpu_time(&server, None)?,
        cpu_time("self", None)?,
        machine_busy()?,
    );
    let mut out = Window {
        elapsed: window,
        server_cpu: cpu1.0.saturating_sub(cpu0.0),
        client_cpu: cpu1.1.saturating_sub(cpu0.1),
        machine_cpu: cpu1.2.saturating_sub(cpu0.2),
        ..Window::default()
    };
    let mut back = Vec::new();
    for result in tasks.join_all().await {
        let (index, conn, bodies, part) = result?;
        out.latencies.extend(part.latencies);
        for (status, n) in part.errors {
            *out.errors.entry(status).or_default() += n;
        }
        back.push((index, conn, bodies));
    }
    out.latencies.sort_unstable();
    back.sort_by_key(|(index, _, _)| *index);
    Ok((back.into_iter().map(|(_, c, b)| (c, b)).collect(), out))
}

/// Sends every body of every connection once (all connections at once): the wall time, and
/// the first answer other than 204 if any.
pub(crate) async fn once(senders: Senders) -> anyhow::Result<(Senders, Duration)> {
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for (index, (mut conn, bodies)) in senders.into_iter().enumerate() {
        tasks.spawn(async move {
            for body in &bodies {
                let (status, answer) = conn.post(HEARTBEAT_PATH, body.clone()).await?;
                if status != StatusCode::NO_CONTENT {
                    let text = String::from_utf8_lossy(&answer);
                    anyhow::bail!("heartbeat: HTTP {status}: {text}");
                }
            }
            anyhow::Ok((index, conn, bodies))
        });
    }
    let mut back: Vec<_> = tasks
        .join_all()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    let elapsed = started.elapsed();
    back.sort_by_key(|(index, _, _)| *index);
    Ok((back.into_iter().map(|(_, c, b)| (c, b)).collect(), elapsed))
}

/// Busy time summed over every CPU since boot: the `cpu` line of `/proc/stat` without idle
/// and iowait, in `USER_HZ` ticks (100 a second on Linux; proc(5)).
fn machine_busy() -> anyhow::Result<Duration> {
    let stat = std::fs::read_to_string("/proc/stat")?;
    let line = stat.lines().next().unwrap_or_default();
    let ticks: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    // user nice system idle iowait irq softirq steal (guest time is inside user).
    let busy: u64 = ticks
        .iter()
        .take(8)
        .enumerate()
        .filter(|(i, _)| !matches!(i, 3 | 4))
        .map(|(_, t)| t)
        .sum();
    Ok(Duration::from_millis(busy * 10))
}

type Driven = (usize, Conn, Vec<Bytes>, Window);

async fn drive(
    index: usize,
    mut conn: Conn,
    bodies: Vec<Bytes>,
    measure_from: Instant,
    until: Instant,
) -> anyhow::Result<Driven> {
    let mut part = Window::default();
    for body in bodies.iter().cycle() {
        let started = Instant::now();
        if started >= until {
            break;
        }
        let (status, _) = conn.post(HEARTBEAT_PATH, body.clone()).await?;
        if started < measure_from {
            continue;
        }
        if status == StatusCode::NO_CONTENT {
            part.latencies.push(started.elapsed());
        } else {
            *part.errors.entry(status.as_u16()).or_default() += 1;
        }
    }
    Ok((index, conn, bodies, part))
}
