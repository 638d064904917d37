//! The device section is rendered once per (snapshot, tracker generation) and served as is
//! until either changes; the chunked body sends exactly its chunks with an exact length.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use http_body_util::BodyExt;
use upsight_model::Snapshot;

use super::*;
use crate::exposition::tests::fixed_snapshot;
use crate::exposition::{Subsystems, render_subsystems, render_with};
use crate::tracker::{ExporterState, Tracker};

fn tracker() -> Tracker {
    Tracker::new(ExporterState::default(), Duration::from_secs(5))
}

fn rendered_devices(snapshot: &Arc<Snapshot>, tracker: &Tracker) -> String {
    let mut out = String::new();
    render_devices(snapshot, Arc::new(tracker.counters()), &mut out).unwrap();
    out
}

#[test]
fn a_second_scrape_of_the_same_poll_reuses_the_bytes() {
    let (section, tracker, snapshot) = (DeviceSection::default(), tracker(), fixed_snapshot());
    let first = section.get(&snapshot, &tracker).unwrap();
    let second = section.get(&snapshot, &tracker).unwrap();
    assert_eq!(
        first.as_ptr(),
        second.as_ptr(),
        "the same buffer, not a new render"
    );
    assert_eq!(first, rendered_devices(&snapshot, &tracker).as_bytes());
    assert!(
        !first.ends_with(b"# EOF\n"),
        "the subsystem section closes the exposition"
    );
}

#[test]
fn a_new_snapshot_renders_again_even_when_equal() {
    let (section, tracker, snapshot) = (DeviceSection::default(), tracker(), fixed_snapshot());
    let first = section.get(&snapshot, &tracker).unwrap();
    let equal = Arc::new(Snapshot::clone(&snapshot));
    let second = section.get(&equal, &tracker).unwrap();
    assert_ne!(
        first.as_ptr(),
        second.as_ptr(),
        "a new snapshot is a new render"
    );
    assert_eq!(first, second);
    // The newer snapshot is now the cached one.
    assert_eq!(
        section.get(&equal, &tracker).unwrap().as_ptr(),
        second.as_ptr()
    );
}

#[test]
fn new_tracker_counters_render_again_with_the_new_values() {
    let (section, tracker, snapshot) = (DeviceSection::default(), tracker(), fixed_snapshot());
    let before = section.get(&snapshot, &tracker).unwrap();
    assert!(!String::from_utf8_lossy(&before).contains("ups_transitions_total"));
    let generation = tracker.generation();
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    tracker.observe(&snapshot.devices, at);
    assert_ne!(
        tracker.generation(),
        generation,
        "observe moves the generation"
    );
    let after = section.get(&snapshot, &tracker).unwrap();
    assert_ne!(
        before, after,
        "the tracker's counters are in the new render"
    );
    assert_eq!(after, rendered_devices(&snapshot, &tracker).as_bytes());
    let generation = tracker.generation();
    tracker.forget(&["office".parse().unwrap()]);
    assert_ne!(
        tracker.generation(),
        generation,
        "forget moves the generation"
    );
    let forgotten = section.get(&snapshot, &tracker).unwrap();
    assert_eq!(forgotten, rendered_devices(&snapshot, &tracker).as_bytes());
    assert_ne!(forgotten, after);
}

#[tokio::test]
async fn the_two_sections_make_the_whole_exposition_with_an_exact_length() {
    let (section, tracker, snapshot) = (DeviceSection::default(), tracker(), fixed_snapshot());
    tracker.observe(
        &snapshot.devices,
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
    );
    let fleet = crate::fleet::FleetStatus::default();
    fleet.registered(Duration::from_secs(15));
    let subsystems = || Subsystems {
        fleet: Some(fleet.counters()),
        ..Subsystems::default()
    };
    let mut whole = String::new();
    render_with(
        &snapshot,
        Arc::new(tracker.counters()),
        subsystems(),
        &mut whole,
    )
    .unwrap();
    let mut tail = String::new();
    render_subsystems(subsystems(), &mut tail).unwrap();
    let devices = section.get(&snapshot, &tracker).unwrap();
    let body = ChunksBody::new([devices, Bytes::new(), Bytes::from(tail)]);
    assert_eq!(body.size_hint().exact(), Some(whole.len() as u64));
    let collected = body.collect().await.unwrap().to_bytes();
    assert_eq!(collected, whole.as_bytes());
    assert_eq!(whole.matches("# EOF").count(), 1);
    assert!(whole.ends_with("upsight_fleet_heartbeat_interval_seconds 15.0\n# EOF\n"));
}

#[test]
fn an_empty_body_is_at_its_end() {
    let body = ChunksBody::new([Bytes::new()]);
    assert!(body.is_end_stream());
    assert_eq!(body.size_hint().exact(), Some(0));
}

#[test]
fn a_render_reuses_the_last_buffer_only_when_no_response_holds_it() {
    let (section, tracker, snapshot) = (DeviceSection::default(), tracker(), fixed_snapshot());
    let first = section.get(&snapshot, &tracker).unwrap();
    let copy = first.to_vec();
    // A response still sending `first`: the next render must not touch it.
    let next = Arc::new(Snapshot::clone(&snapshot));
    let second = section.get(&next, &tracker).unwrap();
    assert_ne!(first.as_ptr(), second.as_ptr());
    assert_eq!(first, copy, "a body in flight is never overwritten");
    drop(first);
    // No response holds `second` but the cache: the next render writes into its buffer.
    let pointer = second.as_ptr();
    drop(second);
    let third = section
        .get(&Arc::new(Snapshot::clone(&snapshot)), &tracker)
        .unwrap();
    assert_eq!(third.as_ptr(), pointer, "the warm buffer is reused");
    assert_eq!(third, copy.as_slice());
}
