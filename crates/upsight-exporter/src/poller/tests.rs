//! Poller bookkeeping: outcomes, counters, prefixes, devices that come and go.

use std::time::{Duration, SystemTime};

use upsight_model::{FailureReason, Outcome};

use super::*;
use crate::source::RawDevice;

fn vars(status: &str) -> Vec<(String, String)> {
    vec![
        ("ups.status".into(), status.into()),
        ("battery.charge".into(), "80".into()),
    ]
}

fn ok(name: &str) -> DevicePoll {
    DevicePoll {
        name: name.into(),
        result: Ok(RawDevice::Nut(vars("OL"))),
    }
}

fn poller() -> Poller {
    Poller::new(
        0,
        SnapshotHub::new(vec!["nut[0]".into()]),
        Duration::from_secs(5),
        Duration::from_secs(4),
    )
}

const T0: Duration = Duration::from_secs(1_700_000_000);

#[test]
fn success_failure_and_counters() {
    let mut p = poller().with_prefix("site-".into());
    let now = SystemTime::UNIX_EPOCH + T0;
    p.record(
        Ok(vec![ok("a"), ok("b")]),
        &[],
        Duration::from_millis(3),
        now,
    );
    assert_eq!(p.states.len(), 2);
    assert_eq!(p.states[0].name.as_str(), "site-a");
    assert!(
        p.states
            .iter()
            .all(|s| s.is_up() && s.last_success == Some(now))
    );

    let stale = PollError::new(FailureReason::Stale, "ERR DATA-STALE");
    let later = now + Duration::from_secs(5);
    p.record(
        Ok(vec![
            ok("a"),
            DevicePoll {
                name: "b".into(),
                result: Err(stale),
            },
        ]),
        &[],
        Duration::ZERO,
        later,
    );
    let b = &p.states[1];
    assert!(!b.is_up() && b.is_stale());
    assert_eq!(b.last_success, Some(now), "last success is kept");
    assert!(b.reading.is_some(), "last reading kept for ups_info");
    assert_eq!(b.failures[FailureReason::Stale.index()], 1);
    assert_eq!(b.polls, 2);
    assert_eq!(p.states[0].last_success, Some(later));
}

#[test]
fn a_whole_source_failure_marks_every_known_device() {
    let mut p = poller();
    let now = SystemTime::UNIX_EPOCH + T0;
    let err = PollError::new(FailureReason::Connect, "refused");
    p.record(Err(err), &["a".into(), "b".into()], Duration::ZERO, now);
    assert_eq!(p.states.len(), 2);
    for s in &p.states {
        assert!(matches!(
            s.outcome,
            Outcome::Failed {
                reason: FailureReason::Connect,
                ..
            }
        ));
        assert!(!s.is_stale(), "an unreachable server is down, not stale");
    }
}

#[test]
fn wait_status_is_a_waiting_failure_and_vanished_devices_are_dropped() {
    let mut p = poller();
    let now = SystemTime::UNIX_EPOCH + T0;
    let waiting = DevicePoll {
        name: "w".into(),
        result: Ok(RawDevice::Nut(vars("WAIT"))),
    };
    p.record(Ok(vec![ok("a"), waiting]), &[], Duration::ZERO, now);
    assert!(matches!(
        p.states[1].outcome,
        Outcome::Failed {
            reason: FailureReason::Waiting,
            ..
        }
    ));
    p.record(Ok(vec![ok("a")]), &[], Duration::ZERO, now);
    assert_eq!(
        p.states.len(),
        1,
        "a UPS gone from LIST UPS leaves the snapshot"
    );
}

#[test]
fn invalid_names_are_skipped() {
    let mut p = poller();
    p.record(
        Ok(vec![ok("bad name"), ok("good")]),
        &[],
        Duration::ZERO,
        SystemTime::UNIX_EPOCH,
    );
    assert_eq!(p.states.len(), 1);
}

#[test]
fn hub_merges_sources_keeps_first_of_duplicate_names_and_reports_readiness() {
    let hub = SnapshotHub::new(vec!["nut[0]".into(), "nut[1]".into()]);
    let mut first = Poller::new(
        0,
        hub.clone(),
        Duration::from_secs(5),
        Duration::from_secs(4),
    );
    let now = SystemTime::UNIX_EPOCH + T0;
    first.record(Ok(vec![ok("a"), ok("dup")]), &[], Duration::ZERO, now);
    hub.publish(0, first.states.clone(), true);
    assert!(!hub.current().is_ready);
    let mut second = Poller::new(
        1,
        hub.clone(),
        Duration::from_secs(5),
        Duration::from_secs(4),
    );
    let failed = PollError::new(FailureReason::Connect, "x");
    second.record(
        Ok(vec![
            ok("b"),
            DevicePoll {
                name: "dup".into(),
                result: Err(failed),
            },
        ]),
        &[],
        Duration::ZERO,
        now,
    );
    hub.publish(1, second.states.clone(), false);
    let snap = hub.current();
    assert!(snap.is_ready);
    let names: Vec<_> = snap.devices.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["a", "b", "dup"]);
    assert!(snap.devices[2].is_up(), "the first source's dup wins");
    assert_eq!(snap.generation, 2);
}
