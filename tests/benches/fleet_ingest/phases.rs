//! The three measurements in order, each with its own processes and temp directories (all
//! gone when it returns).

use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use axum::body::Bytes;

use crate::client::open_all;
use crate::load::{self, Window};
use crate::members::{register_all, register_range};
use crate::process::{Bare, INGEST_TOKEN, Plane};
use crate::state::{self, Persisted, SaveOutcome};
use crate::{CONNECTIONS, INGEST_MEMBERS, MEMBER_COUNTS, SAVE_WINDOW, SCALE_MEMBERS, WARMUP};

/// Times the binary is started on the saved state; the median is reported.
const STARTS: usize = 3;
/// Idle time before reading memory, so the saver has finished and nothing is in flight.
const SETTLE: Duration = Duration::from_secs(5);
/// The plane's log line for a save that failed.
const SAVE_FAILED: &str = "Saving the fleet state failed";

/// Phase 1: the plane (saving its state, and in memory only) and the bare ceiling under the
/// same load.
#[derive(Debug)]
pub(crate) struct Ingest {
    pub(crate) register: Duration,
    pub(crate) plane: Window,
    /// The plane without `state_dir`: no saver.
    pub(crate) in_memory: Window,
    /// The bare handler inside `upsight-http`'s layers.
    pub(crate) hardened: Window,
    pub(crate) bare: Window,
    pub(crate) body_bytes: usize,
}

pub(crate) async fn ingest(bin: &Path, window: Duration) -> anyhow::Result<Ingest> {
    let dir = tempfile::tempdir()?;
    let state_dir = dir.path().join("state");
    let (register, plane, bodies) = load_plane(bin, dir.path(), Some(&state_dir), window).await?;
    let (_, in_memory, _) = load_plane(bin, dir.path(), None, window).await?;
    let body_bytes = bodies.first().and_then(|b| b.first()).map_or(0, Bytes::len);
    let (bodies, hardened) = load_ceiling(true, bodies, window).await?;
    let (_, bare) = load_ceiling(false, bodies, window).await?;
    Ok(Ingest {
        register,
        plane,
        in_memory,
        hardened,
        bare,
        body_bytes,
    })
}

/// Loads a ceiling server with `bodies`, giving them back.
async fn load_ceiling(
    is_hardened: bool,
    bodies: Vec<Vec<Bytes>>,
    window: Duration,
) -> anyhow::Result<(Vec<Vec<Bytes>>, Window)> {
    let what = if is_hardened { "hardened" } else { "bare" };
    eprintln!("fleet_ingest: {what} axum load");
    let server = Bare::start(is_hardened)?;
    let conns = open_all(server.addr, CONNECTIONS, INGEST_TOKEN).await?;
    let senders = conns.into_iter().zip(bodies).collect();
    let (senders, window) = load::run(senders, server.pid(), WARMUP, window).await?;
    Ok((senders.into_iter().map(|(_, b)| b).collect(), window))
}

/// Starts a plane, registers [`INGEST_MEMBERS`] and loads it: the registration time, the
/// window, and each connection's heartbeat bodies.
async fn load_plane(
    bin: &Path,
    dir: &Path,
    state_dir: Option<&Path>,
    window: Duration,
) -> anyhow::Result<(Duration, Window, Vec<Vec<Bytes>>)> {
    let plane = Plane::start(bin, dir, state_dir, 2 * INGEST_MEMBERS).await?;
    let conns = open_all(plane.addr, CONNECTIONS, INGEST_TOKEN).await?;
    let (senders, register) = register_all(conns, INGEST_MEMBERS).await?;
    let what = if state_dir.is_some() {
        "saving"
    } else {
        "in memory"
    };
    eprintln!("fleet_ingest: {INGEST_MEMBERS} members registered in {register:.2?}; load ({what})");
    let (senders, window) = load::run(senders, plane.pid(), WARMUP, window).await?;
    let bodies = senders.into_iter().map(|(_, bodies)| bodies).collect();
    Ok((register, window, bodies))
}

/// Memory of one plane as it grows: VmRSS and VmHWM empty, then at each of
/// [`MEMBER_COUNTS`] (every member registered and heartbeaten once, the plane idle).
#[derive(Debug, Default)]
pub(crate) struct Growth {
    pub(crate) empty: (u64, u64),
    pub(crate) at: Vec<(usize, (u64, u64))>,
}

/// Phase 2: a plane grown to 1 000, 10 000 and 100 000 members.
#[derive(Debug)]
pub(crate) struct Scale {
    /// A plane without `state_dir`.
    pub(crate) in_memory: Growth,
    /// The plane with `state_dir`.
    pub(crate) saved: Growth,
    /// Registering all [`SCALE_MEMBERS`] (the saving plane; the steps' sum).
    pub(crate) register: Duration,
    /// One heartbeat from each of them (the steps' sum).
    pub(crate) heartbeat_once: Duration,
    /// Heartbeat load with the saver at work.
    pub(crate) saving: Window,
    /// Saves written and saves failed during `saving`.
    pub(crate) saves: (usize, usize),
    /// VmRSS and VmHWM after `saving` and an idle pause.
    pub(crate) memory_after: (u64, u64),
}

pub(crate) async fn scale(bin: &Path) -> anyhow::Result<Scale> {
    let dir = tempfile::tempdir()?;
    let in_memory = fill(bin, dir.path(), None).await?.growth;
    let state_dir = dir.path().join("state");
    let Filled {
        plane,
        senders,
        register,
        heartbeat_once,
        growth: saved,
    } = fill(bin, dir.path(), Some(&state_dir)).await?;
    eprintln!("fleet_ingest: load while saving");
    let failed = plane.log_lines(SAVE_FAILED);
    let file = state_dir.join(format!("{}.json", upsight_fleet::STATE_NAME));
    let watch = tokio::spawn(count_writes(file, WARMUP, SAVE_WINDOW));
    let (_, saving) = load::run(senders, plane.pid(), WARMUP, SAVE_WINDOW).await?;
    let written = watch.await?;
    let failed = plane.log_lines(SAVE_FAILED).saturating_sub(failed);
    tokio::time::sleep(SETTLE).await;
    let memory_after = plane.memory()?;
    Ok(Scale {
        in_memory,
        saved,
        register,
        heartbeat_once,
        saving,
        saves: (written, failed),
        memory_after,
    })
}

/// A plane grown by [`fill`].
struct Filled {
    plane: Plane,
    /// Every connection with its members' heartbeats.
    senders: load::Senders,
    register: Duration,
    heartbeat_once: Duration,
    growth: Growth,
}

/// A plane grown step by step to each of [`MEMBER_COUNTS`]: the new members register and
/// heartbeat once, then the plane idles (the saver, if any, has finished) and its memory is
/// read.
async fn fill(bin: &Path, dir: &Path, state_dir: Option<&Path>) -> anyhow::Result<Filled> {
    let plane = Plane::start(bin, dir, state_dir, SCALE_MEMBERS).await?;
    let mut conns = open_all(plane.addr, CONNECTIONS, INGEST_TOKEN).await?;
    let mut bodies = vec![Vec::new(); conns.len()];
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut growth = Growth {
        empty: plane.memory()?,
        at: Vec::new(),
    };
    let (mut register, mut heartbeat_once) = (Duration::ZERO, Duration::ZERO);
    let mut from = 0;
    for members in MEMBER_COUNTS {
        let (senders, registered) = register_range(conns, from..members).await?;
        let (senders, beaten) = load::once(senders).await?;
        register += registered;
        heartbeat_once += beaten;
        conns = Vec::with_capacity(senders.len());
        for ((conn, new), all) in senders.into_iter().zip(&mut bodies) {
            conns.push(conn);
            all.extend(new);
        }
        eprintln!(
            "fleet_ingest: {members} members ({}): registered in {registered:.2?}, one \
             heartbeat each in {beaten:.2?}",
            if state_dir.is_some() {
                "saving"
            } else {
                "in memory"
            }
        );
        tokio::time::sleep(settle(members, state_dir.is_some())).await;
        growth.at.push((members, plane.memory()?));
        from = members;
    }
    Ok(Filled {
        plane,
        senders: conns.into_iter().zip(bodies).collect(),
        register,
        heartbeat_once,
        growth,
    })
}

/// The idle pause before reading memory at `members`: without a saver nothing runs once the
/// last answer is out; a saver needs its flush window and the save itself, which grows with
/// the state.
fn settle(members: usize, is_saving: bool) -> Duration {
    match (is_saving, members >= SCALE_MEMBERS) {
        (false, _) => Duration::from_secs(1),
        (true, false) => Duration::from_secs(2),
        (true, true) => SETTLE,
    }
}

/// How many times `file`'s modification time changed in the `window` after `warmup`.
async fn count_writes(file: std::path::PathBuf, warmup: Duration, window: Duration) -> usize {
    let modified = |file: &Path| std::fs::metadata(file).and_then(|m| m.modified()).ok();
    let until = Instant::now() + warmup + window;
    tokio::time::sleep(warmup).await;
    let mut last: Option<SystemTime> = modified(&file);
    let mut writes = 0;
    while Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let now = modified(&file);
        if now != last {
            writes += 1;
            last = now;
        }
    }
    writes
}

/// Phase 3: in-process costs, save and load, and the binary's start on the saved file.
#[derive(Debug)]
pub(crate) struct State {
    /// Per call at 100 000 members: register, heartbeat, parse; and the body size.
    pub(crate) calls: (Duration, Duration, Duration, usize),
    /// At each of [`MEMBER_COUNTS`], and at the largest count that fits when the largest was
    /// refused.
    pub(crate) persisted: Vec<Persisted>,
    /// Median start to `/readyz` on the largest saved file: members, time, VmRSS when ready.
    pub(crate) start: Option<(usize, Duration, u64)>,
}

pub(crate) async fn state(bin: &Path) -> anyhow::Result<State> {
    let dir = tempfile::tempdir()?;
    eprintln!("fleet_ingest: in-process registries of {MEMBER_COUNTS:?} members");
    let mut persisted = Vec::new();
    let mut saved_in = dir.path().to_owned();
    let mut calls = (Duration::ZERO, Duration::ZERO, Duration::ZERO, 0);
    for members in MEMBER_COUNTS {
        let built = state::build(members)?;
        calls = (
            built.register,
            built.heartbeat,
            built.parse,
            built.body_bytes,
        );
        saved_in = dir.path().join(members.to_string());
        persisted.push(state::persist(&built, &saved_in)?);
    }
    if let Some(&Persisted {
        outcome: SaveOutcome::TooLarge { size, .. },
        ..
    }) = persisted.last()
    {
        let members = state::largest_that_fits(size, SCALE_MEMBERS);
        eprintln!("fleet_ingest: {SCALE_MEMBERS} members refused ({size} bytes); {members}");
        saved_in = dir.path().join("fitting");
        persisted.push(state::persist(&state::build(members)?, &saved_in)?);
    }
    let start = match persisted.last() {
        Some(
            p @ Persisted {
                outcome: SaveOutcome::Saved { .. },
                ..
            },
        ) => {
            let (time, rss) = start_on(bin, dir.path(), &saved_in).await?;
            Some((p.members, time, rss))
        }
        _ => None,
    };
    Ok(State {
        calls,
        persisted,
        start,
    })
}

/// Starts the binary on the state in `state_dir` [`STARTS`] times.
async fn start_on(bin: &Path, dir: &Path, state_dir: &Path) -> anyhow::Result<(Duration, u64)> {
    eprintln!("fleet_ingest: starting the plane on the saved state");
    let mut times = Vec::new();
    let mut rss = 0;
    for _ in 0..STARTS {
        let plane = Plane::start(bin, dir, Some(state_dir), SCALE_MEMBERS).await?;
        times.push(plane.ready_after);
        rss = plane.memory()?.0;
    }
    Ok((state::median(&mut times), rss))
}
