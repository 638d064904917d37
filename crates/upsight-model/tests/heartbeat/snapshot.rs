//! `HeartbeatV1::from_snapshot` carries no identifying data, truncates, dedupes and converts.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use upsight_model::{
    DeviceInfo, DeviceState, FailureReason, HeartbeatV1, Identity, Outcome, Quantity, Reading,
    Sample, Snapshot, Source, Status,
};

use crate::{LEASE, T0, name, unix};

const MARKERS: [&str; 12] = [
    "MARKERSERIAL",
    "MARKERLOCATION",
    "MARKERCONTACT",
    "MARKERDESCRIPTION",
    "MA:RK:ER:00:11:22",
    "MARKERHOST",
    "MARKERTOKEN",
    "MARKERDETAIL",
    "198.51.100.77",
    "MARKERRAW",
    "MARKERMODEL",
    "MARKERUSER",
];

fn marked_reading(source: Source) -> Reading {
    Reading {
        source,
        status: Status::parse("OB LB MARKERTOKEN DISCHRG"),
        samples: vec![
            Sample {
                quantity: Quantity::BatteryCharge,
                phase: None,
                outlet: None,
                value: 0.18,
            },
            Sample {
                quantity: Quantity::RealPower,
                phase: Some("MARKERPHASE".into()),
                outlet: None,
                value: 1.0,
            },
        ],
        is_real_power_estimated: false,
        info: DeviceInfo {
            driver: "snmp-ups".into(),
            manufacturer: "MARKERUSER Inc".into(),
            model: "MARKERMODEL".into(),
            firmware: "1.0".into(),
            device_type: "ups".into(),
        },
        identity: Identity {
            serial: Some("MARKERSERIAL".into()),
            location: Some("MARKERLOCATION".into()),
            contact: Some("MARKERCONTACT <ops@example.org>".into()),
            description: Some("MARKERDESCRIPTION".into()),
            mac_address: Some("MA:RK:ER:00:11:22".into()),
            host_name: Some("MARKERHOST".into()),
        },
        raw: vec![
            ("device.serial".into(), "MARKERSERIAL".into()),
            ("ups.id".into(), "MARKERRAW".into()),
        ],
    }
}

#[test]
fn from_snapshot_carries_no_identifying_data() {
    let up = DeviceState {
        outcome: Outcome::Ok,
        reading: Some(Arc::new(marked_reading(Source::Snmp))),
        ..DeviceState::new(name("ups1"), Source::Snmp)
    };
    let stale = DeviceState {
        outcome: Outcome::Failed {
            reason: FailureReason::Stale,
            detail: "MARKERDETAIL from 198.51.100.77:3493".into(),
        },
        reading: Some(Arc::new(marked_reading(Source::Nut))),
        ..DeviceState::new(name("ups2"), Source::Nut)
    };
    let snapshot = Snapshot {
        devices: vec![up, stale],
        sources: vec![],
        generation: 7,
        is_ready: true,
    };
    let heartbeat = HeartbeatV1::from_snapshot(
        "member-1".parse().unwrap(),
        LEASE.into(),
        "site-a".parse().unwrap(),
        "0.1.0".into(),
        Duration::from_secs(5),
        unix(T0),
        &snapshot,
        |_| None,
    );
    assert_eq!(heartbeat.validate(), Ok(()));
    let json = serde_json::to_string_pretty(&heartbeat).unwrap();
    let debug = format!("{heartbeat:?}");
    for marker in MARKERS.iter().chain(&["MARKER", "ops@example.org"]) {
        assert!(!json.contains(marker), "{marker} in {json}");
        assert!(!debug.contains(marker), "{marker} in {debug}");
    }
    let up = &heartbeat.devices[0];
    assert_eq!(up.status, ["OB", "LB", "DISCHRG"]);
    assert_eq!(up.charge_ratio, Some(0.18));
    assert_eq!(
        up.real_power_watts, None,
        "per-phase values are not the total"
    );
    let stale = &heartbeat.devices[1];
    assert!(stale.is_stale && !stale.is_up);
    assert!(stale.status.is_empty());
    assert_eq!(stale.charge_ratio, None);
}

#[test]
fn from_snapshot_truncates_dedupes_and_converts_times() {
    let mut devices: Vec<DeviceState> = (0..300)
        .map(|i| DeviceState::new(name(&format!("ups{i:03}")), Source::Nut))
        .collect();
    devices.insert(1, DeviceState::new(name("ups000"), Source::Snmp));
    let snapshot = Snapshot {
        devices,
        ..Snapshot::default()
    };
    let heartbeat = HeartbeatV1::from_snapshot(
        "member-1".parse().unwrap(),
        LEASE.into(),
        "site-a".parse().unwrap(),
        "0.1.0".into(),
        Duration::from_millis(1_999),
        SystemTime::UNIX_EPOCH - Duration::from_secs(1),
        &snapshot,
        |n| match n.as_str() {
            "ups001" => Some(unix(1_000) + Duration::from_millis(999)),
            "ups002" => Some(SystemTime::UNIX_EPOCH - Duration::from_secs(1)),
            _ => None,
        },
    );
    assert_eq!(heartbeat.validate(), Ok(()));
    assert_eq!(heartbeat.devices.len(), HeartbeatV1::MAX_DEVICES);
    assert_eq!(
        heartbeat.devices[0].source,
        Source::Nut,
        "first of a name wins"
    );
    assert_eq!(heartbeat.devices[1].name.as_str(), "ups001");
    assert_eq!(heartbeat.devices[255].name.as_str(), "ups255");
    assert_eq!(heartbeat.devices[1].last_transfer_unix, Some(1_000));
    assert_eq!(heartbeat.devices[2].last_transfer_unix, None);
    assert_eq!(heartbeat.uptime_seconds, 1);
    assert_eq!(heartbeat.sent_at_unix, 0, "a clock before 1970 reads as 0");
    assert!(
        heartbeat
            .devices
            .iter()
            .all(|d| !d.is_up && d.status.is_empty())
    );
}

// === properties ===
