use std::sync::Arc;
use std::time::{Duration, SystemTime};

use upsight_model::{DeviceState, Event, EventKind, Identity, Outcome, Reading, Source, Status};

use super::batch::{self, KnownIdentities};
use super::{Item, Sink, SinkConfig};
use crate::Settings;

fn sink(capacity_rows: usize, batch_rows: usize) -> Sink {
    Sink::new(SinkConfig {
        settings: Settings::new("http://127.0.0.1:9"),
        site: "lab".into(),
        capacity_rows,
        batch_rows,
        flush_interval: Duration::from_secs(1),
        retention: None,
    })
}

fn reading(vars: usize, serial: &str) -> Arc<Reading> {
    Arc::new(Reading {
        source: Source::Nut,
        status: Status::parse("OL"),
        samples: Vec::new(),
        is_real_power_estimated: false,
        info: Default::default(),
        identity: Identity {
            serial: Some(serial.into()),
            ..Identity::default()
        },
        raw: (0..vars)
            .map(|i| (format!("v.{i}"), format!("{i}")))
            .collect(),
    })
}

fn polled(name: &str, vars: usize, serial: &str) -> DeviceState {
    let mut state = DeviceState::new(name.parse().unwrap(), Source::Nut);
    state.outcome = Outcome::Ok;
    state.reading = Some(reading(vars, serial));
    state
}

#[test]
fn a_full_queue_drops_and_counts_instead_of_growing() {
    let sink = sink(100, 50);
    let devices = [
        polled("a", 40, "S1"),
        polled("b", 40, "S2"),
        polled("c", 40, "S3"),
    ];
    sink.record_poll(&devices, SystemTime::now());
    assert_eq!(sink.stats().queued_rows(), 80);
    assert_eq!(sink.stats().dropped_rows(), 40);
    sink.record_event(&Event {
        device: "a".parse().unwrap(),
        kind: EventKind::OnBattery,
        at: SystemTime::now(),
        detail: None,
        seq: 1,
    });
    assert_eq!(sink.stats().queued_rows(), 81);
}

#[test]
fn failed_polls_queue_nothing() {
    let sink = sink(100, 50);
    let mut down = polled("a", 10, "S1");
    down.outcome = Outcome::Pending;
    sink.record_poll(&[down], SystemTime::now());
    assert_eq!(sink.stats().queued_rows(), 0);
}

#[test]
fn batches_respect_the_row_limit_and_hold_capacity_until_released() {
    let sink = sink(1000, 50);
    let devices: Vec<_> = (0..5).map(|i| polled(&format!("d{i}"), 20, "S")).collect();
    sink.record_poll(&devices, SystemTime::now());
    let (items, rows) = sink.take();
    assert_eq!((items.len(), rows), (2, 40));
    // Taken rows still count against the bound until written.
    assert_eq!(sink.lock().rows, 100);
    sink.release(rows, true);
    assert_eq!(sink.stats().inserted_rows(), 40);
    assert_eq!(sink.stats().queued_rows(), 60);
    sink.release(20, false);
    assert_eq!(sink.stats().dropped_rows(), 20);
}

#[test]
fn an_oversized_poll_is_taken_alone() {
    let sink = sink(1000, 10);
    sink.record_poll(&[polled("big", 30, "S")], SystemTime::now());
    let (items, rows) = sink.take();
    assert_eq!((items.len(), rows), (1, 30));
}

#[test]
fn identity_rows_are_written_only_on_change() {
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
    let item = |serial: &str| Item::Poll {
        at,
        device: "ups".parse().unwrap(),
        reading: reading(3, serial),
    };
    let mut known = KnownIdentities::default();
    let first = batch::build(vec![item("S1"), item("S1")], "lab", &known);
    let devices = first.devices.unwrap();
    assert_eq!(devices.len(), 1, "one row for two identical polls");
    assert_eq!(
        (devices[0].serial.as_str(), devices[0].updated),
        ("S1", 1_000)
    );
    assert_eq!(first.readings.unwrap().len(), 6);
    known.remember(&devices);
    assert!(
        batch::build(vec![item("S1")], "lab", &known)
            .devices
            .is_none()
    );
    let changed = batch::build(vec![item("S2")], "lab", &known)
        .devices
        .unwrap();
    assert_eq!(changed[0].serial, "S2");
}

#[test]
fn numbers_are_parsed_only_when_finite() {
    let mut raw = reading(0, "S");
    Arc::get_mut(&mut raw).unwrap().raw = vec![
        ("battery.charge".into(), "87.5".into()),
        ("ups.status".into(), "OL CHRG".into()),
        ("weird".into(), "NaN".into()),
    ];
    let item = Item::Poll {
        at: SystemTime::UNIX_EPOCH,
        device: "ups".parse().unwrap(),
        reading: raw,
    };
    let rows = batch::build(vec![item], "lab", &KnownIdentities::default())
        .readings
        .unwrap();
    let numbers: Vec<_> = rows.iter().map(|r| r.number).collect();
    assert_eq!(numbers, [Some(87.5), None, None]);
    assert_eq!(rows[1].value, "OL CHRG");
}
