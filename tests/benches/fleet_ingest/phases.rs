//! The three measurements in order, each with its own processes and temp directories (all
//! gone when it returns).

use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use axum::body::Bytes;

use crate::client::open_all;
use crate::load::{self, Window};
use crate::members::register_all;
use crate::process::{Bare, INGEST_TOKEN, Plane};
use crate::state::{self, Persisted, SaveOutcome};
use crate::{CONNECTIONS, INGEST_MEMBERS, SAVE_WINDOW, SCALE_MEMBERS, WARMUP};

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

/// Phase 2: a plane with 100 000 members.
#[derive(Debug)]
pub(crate) struct Scale {
    /// VmRSS and VmHWM of a plane without `state_dir` after every member heartbeat once.
    pub(crate) in_memory: (u64, u64),
    pub(crate) register: Duration,
    pub(crate) heartbeat_once: Duration,
    /// VmRSS and VmHWM after every member heartbeat once and the plane idled.
    pub(crate) memory: (u64, u64),
    /// Heartbeat load with the saver at work.
    pub(crate) saving: Window,
    /// Saves written and saves failed during `saving`.
    pub(crate) saves: (usize, usize),
    /// VmRSS and VmHWM after `saving` and an idle pause.
    pub(crate) memory_after: (u64, u64),
}

pub(crate) async fn scale(bin: &Path) -> anyhow::Result<Scale> {
    let dir = tempfile::tempdir()?;
    let in_memory = {
        let (plane, _, _, _) = fill(bin, dir.path(), None).await?;
        plane.memory()?
    };
    let state_dir = dir.path().join("state");
    let (plane, senders, register, heartbeat_once) =
        fill(bin, dir.path(), Some(&state_dir)).await?;
    let memory = plane.memory()?;
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
        register,
        heartbeat_once,
        memory,
        saving,
        saves: (written, failed),
        memory_after,
    })
}

/// A plane with [`SCALE_MEMBERS`] members, each registered and heartbeaten once, after
/// [`SETTLE`]: the plane, its connections, and the registration and heartbeat times.
async fn fill(
    bin: &Path,
    dir: &Path,
    state_dir: Option<&Path>,
) -> anyhow::Result<(Plane, load::Senders, Duration, Duration)> {
    let plane = Plane::start(bin, dir, state_dir, SCALE_MEMBERS).await?;
    let conns = open_all(plane.addr, CONNECTIONS, INGEST_TOKEN).await?;
    let (senders, register) = register_all(conns, SCALE_MEMBERS).await?;
    let (senders, heartbeat_once) = load::once(senders).await?;
    eprintln!(
        "fleet_ingest: {SCALE_MEMBERS} members registered in {register:.2?}, one heartbeat \
         each in {heartbeat_once:.2?}"
    );
    // Without a saver nothing runs once the last answer is out.
    let settle = if state_dir.is_some() {
        SETTLE
    } else {
        Duration::from_secs(1)
    };
    tokio::time::sleep(settle).await;
    Ok((plane, senders, register, heartbeat_once))
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
    /// At 10 000 members, at 100 000, and at the largest count that fits when 100 000 was
    /// refused.
    pub(crate) persisted: Vec<Persisted>,
    /// Median start to `/readyz` on the largest saved file: members, time, VmRSS when ready.
    pub(crate) start: Option<(usize, Duration, u64)>,
}

pub(crate) async fn state(bin: &Path) -> anyhow::Result<State> {
    let dir = tempfile::tempdir()?;
    eprintln!(
        "fleet_ingest: in-process registries of {INGEST_MEMBERS} and {SCALE_MEMBERS} members"
    );
    let small = state::persist(&state::build(INGEST_MEMBERS)?, &dir.path().join("small"))?;
    let built = state::build(SCALE_MEMBERS)?;
    let calls = (
        built.register,
        built.heartbeat,
        built.parse,
        built.body_bytes,
    );
    let mut saved_in = dir.path().join("full");
    let full = state::persist(&built, &saved_in)?;
    drop(built);
    let mut persisted = vec![small, full];
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
