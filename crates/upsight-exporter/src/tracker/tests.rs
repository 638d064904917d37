//! Tracker: events, outages and energy from poll results, and a restart through the state
//! file that neither loses nor replays anything.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use upsight_model::{DeviceState, EventKind, FailureReason, Outcome, Source};
use upsight_store::Store;

use super::*;
use crate::mapping;

fn at(seconds: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_800_000_000 + seconds)
}

fn device(status: &str, watts: u32, charge: u32) -> DeviceState {
    let vars = vec![
        ("ups.status".to_owned(), status.to_owned()),
        ("ups.realpower".to_owned(), watts.to_string()),
        ("battery.charge".to_owned(), charge.to_string()),
    ];
    let mut state = DeviceState::new("rack".parse().unwrap(), Source::Nut);
    state.outcome = Outcome::Ok;
    state.reading = Some(Arc::new(mapping::nut::map(vars).unwrap()));
    state
}

fn failed(reason: FailureReason) -> DeviceState {
    let mut state = DeviceState::new("rack".parse().unwrap(), Source::Nut);
    state.outcome = Outcome::Failed {
        reason,
        detail: String::new(),
    };
    state
}

fn kinds(tracker: &Tracker) -> Vec<EventKind> {
    tracker.events(None, 100).iter().map(|e| e.kind).collect()
}

#[test]
fn an_outage_gives_events_an_outage_and_energy() {
    let tracker = Tracker::new(ExporterState::default(), Duration::from_secs(5));
    tracker.observe(&[device("OL", 100, 100)], at(0));
    tracker.observe(&[device("OB DISCHRG", 100, 90)], at(5));
    tracker.observe(&[device("OB DISCHRG LB", 100, 20)], at(10));
    tracker.observe(&[device("OL CHRG", 100, 25)], at(15));
    assert_eq!(
        kinds(&tracker),
        [
            EventKind::OnBattery,
            EventKind::LowBattery,
            EventKind::OnLine,
            EventKind::BatteryOk
        ]
    );
    let events = tracker.events(None, 100);
    assert_eq!(events[0].at, at(5), "stamped with the poll's time");
    let outages = tracker.outages(None);
    assert_eq!(outages.len(), 1);
    assert_eq!(outages[0].duration, Duration::from_secs(10));
    assert_eq!(outages[0].min_charge_ratio, Some(0.2));
    let counters = tracker.counters();
    let rack = &counters[&"rack".parse().unwrap()];
    assert_eq!(rack.energy_joules, 1500.0, "100 W for 15 s");
    assert_eq!(rack.on_battery_seconds, 10.0);
    assert_eq!(rack.last_transfer, Some(at(15)));
    let on_battery = rack
        .transitions
        .iter()
        .find(|(k, _)| *k == EventKind::OnBattery)
        .map(|(_, n)| *n);
    assert_eq!(on_battery, Some(1));
}

#[test]
fn communication_loss_needs_two_failed_polls() {
    let tracker = Tracker::new(ExporterState::default(), Duration::from_secs(5));
    tracker.observe(&[device("OL", 50, 100)], at(0));
    tracker.observe(&[failed(FailureReason::Timeout)], at(5));
    assert!(kinds(&tracker).is_empty(), "one failure is not a loss");
    tracker.observe(&[failed(FailureReason::Timeout)], at(10));
    tracker.observe(&[device("OL", 50, 100)], at(15));
    assert_eq!(
        kinds(&tracker),
        [
            EventKind::CommunicationLost,
            EventKind::CommunicationRestored
        ]
    );
}

#[test]
fn a_restart_through_the_state_file_neither_loses_nor_replays() {
    let dir = tempfile::tempdir().unwrap();
    let first = {
        let (store, state) = Store::<ExporterState>::open(dir.path(), "exporter").unwrap();
        let tracker = Tracker::new(state, Duration::from_secs(5));
        tracker.observe(&[device("OL", 200, 100)], at(0));
        tracker.observe(&[device("OB", 200, 80)], at(5));
        store.save(&tracker.snapshot_state()).unwrap();
        tracker.counters()
    };
    let (_store, state) = Store::<ExporterState>::open(dir.path(), "exporter").unwrap();
    let tracker = Tracker::new(state, Duration::from_secs(5));
    assert_eq!(tracker.counters(), first, "counters survive the restart");
    // Still on battery after the restart: no second on_battery event.
    tracker.observe(&[device("OB", 200, 70)], at(10));
    tracker.observe(&[device("OL", 200, 75)], at(15));
    assert_eq!(kinds(&tracker), [EventKind::OnBattery, EventKind::OnLine]);
    let outages = tracker.outages(None);
    assert_eq!(outages.len(), 1, "the open outage closed after the restart");
    assert_eq!(outages[0].start, at(5));
    let rack = &tracker.counters()[&"rack".parse().unwrap()];
    assert_eq!(
        rack.energy_joules, 3000.0,
        "200 W for 15 s across the restart"
    );
}
