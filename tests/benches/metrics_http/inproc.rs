//! In process, on this thread alone (no runtime is running yet, so every allocation counted is
//! the scrape's): what one `/metrics` request costs the server before HTTP. A miss renders the
//! device section of a new snapshot (what the first scrape after a poll pays); a hit is every
//! other scrape until the next poll (the cached bytes plus the small subsystem section).

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::body::Bytes;
use stats_alloc::Region;
use upsight_exporter::Tracker;
use upsight_exporter::exposition::cache::{ChunksBody, DeviceSection};
use upsight_exporter::exposition::{HttpCounters, Subsystems, render_subsystems};
use upsight_exporter::tracker::ExporterState;
use upsight_http::SecurityCounters;

use crate::devices;

/// One UPS count's in-process figures (times are medians).
#[derive(Debug)]
pub(crate) struct Render {
    pub(crate) count: usize,
    pub(crate) bytes: usize,
    pub(crate) samples: usize,
    pub(crate) miss: Duration,
    pub(crate) miss_allocations: usize,
    pub(crate) hit: Duration,
    pub(crate) hit_allocations: usize,
}

/// Iterations per count: enough for a stable median, bounded for 10 000 UPSes.
fn iterations(count: usize) -> usize {
    (20_000 / count).clamp(5, 300)
}

pub(crate) fn measure(count: usize) -> anyhow::Result<Render> {
    let tracker = Tracker::new(ExporterState::default(), Duration::from_secs(5));
    let first = devices::snapshot(count, 1)?;
    // One observed poll, so the event, outage and energy families are rendered too.
    tracker.observe(&first.devices, SystemTime::now());
    let security = SecurityCounters::default();
    let section = DeviceSection::default();
    let full = section
        .get(&first, &tracker)
        .map_err(|_| anyhow::anyhow!("render failed"))?;
    let bytes = full.len();
    let samples = full
        .split(|b| *b == b'\n')
        .filter(|line| !line.is_empty() && !line.starts_with(b"#"))
        .count();
    let runs = iterations(count);
    let (mut miss, mut miss_allocations) = (Vec::with_capacity(runs), Vec::with_capacity(runs));
    let (mut hit, mut hit_allocations) = (Vec::with_capacity(runs), Vec::with_capacity(runs));
    for _ in 0..runs {
        // A new snapshot of the same devices, as a poll publishes (built outside the timing):
        // its first scrape misses, its second hits.
        let snapshot = Arc::new(upsight_model::Snapshot::clone(&first));
        for (times, allocations) in [
            (&mut miss, &mut miss_allocations),
            (&mut hit, &mut hit_allocations),
        ] {
            let region = Region::new(crate::GLOBAL);
            let started = Instant::now();
            let body = scrape(&section, &snapshot, &tracker, &security)?;
            times.push(started.elapsed());
            let change = region.change();
            allocations.push(change.allocations + change.reallocations);
            anyhow::ensure!(body.0 > bytes, "a scrape body without its device section");
            drop(body);
        }
    }
    Ok(Render {
        count,
        bytes,
        samples,
        miss: median(&mut miss),
        miss_allocations: median(&mut miss_allocations),
        hit: median(&mut hit),
        hit_allocations: median(&mut hit_allocations),
    })
}

/// What the `/metrics` handler does after taking the snapshot: the device section (cached or
/// rendered), the subsystem section with the HTTP counters, and the response body. Returns
/// the body's length and the body.
fn scrape(
    section: &DeviceSection,
    snapshot: &Arc<upsight_model::Snapshot>,
    tracker: &Tracker,
    security: &SecurityCounters,
) -> anyhow::Result<(usize, ChunksBody)> {
    let devices = section
        .get(snapshot, tracker)
        .map_err(|_| anyhow::anyhow!("render failed"))?;
    let subsystems = Subsystems {
        http: Some(HttpCounters::of(security)),
        ..Subsystems::default()
    };
    let mut tail = String::with_capacity(4 * 1024);
    render_subsystems(subsystems, &mut tail).map_err(|_| anyhow::anyhow!("render failed"))?;
    let len = devices.len() + tail.len();
    Ok((len, ChunksBody::new([devices, Bytes::from(tail)])))
}

fn median<T: Ord + Copy + Default>(values: &mut [T]) -> T {
    values.sort_unstable();
    values.get(values.len() / 2).copied().unwrap_or_default()
}
