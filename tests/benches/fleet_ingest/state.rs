//! In-process figures at fleet scale: what one heartbeat costs inside the handler (JSON parse
//! and validation, then the registry call made under the plane's lock), the copy the saver
//! takes under that lock (`FleetState::of`), and `Store::save` / `Store::open` of the result.

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use upsight_fleet::{FleetState, LeaseKey, Registry, RegistryConfig, STATE_NAME};
use upsight_model::HeartbeatV1;
use upsight_store::{MAX_FILE_BYTES, Store, StoreError};

use crate::members::{heartbeat, register_request};

/// Timed repetitions of snapshot, save and open; the median is reported.
const RUNS: usize = 3;

/// A registry of `members` members, each registered and heartbeaten once, with per-call costs.
pub(crate) struct Built {
    pub(crate) registry: Registry,
    pub(crate) key: LeaseKey,
    /// `Registry::register`, per call.
    pub(crate) register: Duration,
    /// `Registry::heartbeat` in steady state (devices already stored), per call.
    pub(crate) heartbeat: Duration,
    /// `serde_json::from_slice::<HeartbeatV1>` plus `validate`, per body.
    pub(crate) parse: Duration,
    /// Bytes of one heartbeat body.
    pub(crate) body_bytes: usize,
}

/// Builds the registry the way the plane would, timing each step per call.
pub(crate) fn build(members: usize) -> anyhow::Result<Built> {
    let config = RegistryConfig {
        max_members: members,
        ..RegistryConfig::default()
    };
    let mut registry = Registry::try_new(config)?;
    let key = LeaseKey::generate()?;
    let peer = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let now = SystemTime::now();
    let started = Instant::now();
    let mut beats = Vec::with_capacity(members);
    for i in 0..members {
        let registration = registry.register(&register_request(i), peer, now, &key)?;
        beats.push(heartbeat(i, registration.response.lease));
    }
    let register = per_call(started.elapsed(), members);
    let bodies: Vec<Vec<u8>> = beats
        .iter()
        .map(serde_json::to_vec)
        .collect::<Result<_, _>>()?;
    // `heartbeat` swaps the devices in: the first pass stores them, the timed one swaps them
    // out again (the same work), the third leaves every member with its devices.
    for hb in &mut beats {
        registry.heartbeat(hb, peer, now, &key)?;
    }
    let started = Instant::now();
    for hb in &mut beats {
        registry.heartbeat(hb, peer, now, &key)?;
    }
    let heartbeat = per_call(started.elapsed(), members);
    for hb in &mut beats {
        registry.heartbeat(hb, peer, now, &key)?;
    }
    let started = Instant::now();
    for body in &bodies {
        let hb: HeartbeatV1 = serde_json::from_slice(body)?;
        hb.validate()?;
    }
    let parse = per_call(started.elapsed(), members);
    Ok(Built {
        registry,
        key,
        register,
        heartbeat,
        parse,
        body_bytes: bodies.first().map_or(0, Vec::len),
    })
}

/// Snapshot, save and open timings of one state, or why it was not saved.
#[derive(Debug)]
pub(crate) struct Persisted {
    pub(crate) members: usize,
    /// `FleetState::of`: the copy taken under the registry lock.
    pub(crate) snapshot: Duration,
    pub(crate) outcome: SaveOutcome,
}

#[derive(Debug)]
pub(crate) enum SaveOutcome {
    /// Saved: median save and open times, and the file's size.
    Saved {
        save: Duration,
        open: Duration,
        file_bytes: u64,
    },
    /// `Store::save` refused the state: it encodes to `size` bytes, over [`MAX_FILE_BYTES`];
    /// `after` is how long the refusal took (the encoding work the saver repeats each window).
    TooLarge { size: u64, after: Duration },
}

/// Times `FleetState::of`, then saves into `dir` and opens it again ([`RUNS`] times each).
/// On success `dir` holds the state file and no lock, ready for the binary to start on.
pub(crate) fn persist(built: &Built, dir: &Path) -> anyhow::Result<Persisted> {
    let mut snapshots = Vec::new();
    let mut state = FleetState::default();
    for _ in 0..RUNS {
        let started = Instant::now();
        let copy = FleetState::of(&built.registry, &built.key);
        snapshots.push(started.elapsed());
        // The previous copy is freed outside the timing, as the saver frees its copy after
        // the save, outside the lock.
        state = copy;
    }
    let members = built.registry.len();
    let snapshot = median(&mut snapshots);
    let (store, _) = Store::<FleetState>::open(dir, STATE_NAME)?;
    let mut saves = Vec::new();
    for _ in 0..RUNS {
        let started = Instant::now();
        match store.save(&state) {
            Ok(()) => saves.push(started.elapsed()),
            Err(StoreError::StateTooLarge { size, .. }) => {
                let after = started.elapsed();
                let outcome = SaveOutcome::TooLarge { size, after };
                return Ok(Persisted {
                    members,
                    snapshot,
                    outcome,
                });
            }
            Err(error) => return Err(error.into()),
        }
    }
    let file_bytes = std::fs::metadata(store.path())?.len();
    drop(store);
    drop(state);
    let mut opens = Vec::new();
    for _ in 0..RUNS {
        let started = Instant::now();
        let (store, loaded) = Store::<FleetState>::open(dir, STATE_NAME)?;
        opens.push(started.elapsed());
        anyhow::ensure!(loaded.has_lease_key(), "the saved state has no lease key");
        drop((store, loaded));
    }
    let outcome = SaveOutcome::Saved {
        save: median(&mut saves),
        open: median(&mut opens),
        file_bytes,
    };
    Ok(Persisted {
        members,
        snapshot,
        outcome,
    })
}

/// The largest multiple of 5 000 members whose state, at `size` bytes for `members`, stays
/// under 90 % of [`MAX_FILE_BYTES`].
pub(crate) fn largest_that_fits(size: u64, members: usize) -> usize {
    let per_member = size as f64 / members.max(1) as f64;
    let fit = MAX_FILE_BYTES as f64 * 0.9 / per_member;
    ((fit as usize) / 5000 * 5000).max(5000)
}

/// The median of `times` (sorts them).
pub(crate) fn median(times: &mut [Duration]) -> Duration {
    times.sort_unstable();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

fn per_call(total: Duration, n: usize) -> Duration {
    u32::try_from(n.max(1)).map_or(Duration::ZERO, |n| total / n)
}
