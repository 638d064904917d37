//! The golden fixtures round-trip, and `from_snapshot` builds the golden heartbeat.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use upsight_model::{
    ContractVersion, DeviceInfo, DeviceState, FailureReason, HeartbeatV1, Identity, Outcome,
    Quantity, Reading, RegisterRequestV1, RegisterResponseV1, Sample, Snapshot, Source, Status,
};

use crate::{
    HEARTBEAT, IDENTITY, LEASE, REGISTER_REQUEST, REGISTER_REQUEST_REREGISTER, REGISTER_RESPONSE,
    T0, assert_round_trip, name, unix,
};

#[test]
fn golden_register_requests_round_trip() {
    let first = assert_round_trip(REGISTER_REQUEST, RegisterRequestV1::validate);
    assert_eq!(first.identity.as_str(), IDENTITY);
    assert_eq!(first.lease, None);
    assert_eq!(
        first.scrape_target.as_deref(),
        Some("exporter-01.example:9199")
    );
    let again = assert_round_trip(REGISTER_REQUEST_REREGISTER, RegisterRequestV1::validate);
    assert_eq!(again.lease.as_deref(), Some(LEASE));
    assert_eq!(again.scrape_target, None);
}

#[test]
fn golden_register_response_round_trips() {
    let response = assert_round_trip(REGISTER_RESPONSE, RegisterResponseV1::validate);
    assert_eq!(response.member_number, 3);
    assert_eq!(response.heartbeat_interval(), Duration::from_secs(30));
    assert_eq!(response.ttl(), Duration::from_secs(90));
}

#[test]
fn golden_heartbeat_round_trips() {
    let heartbeat = assert_round_trip(HEARTBEAT, HeartbeatV1::validate);
    assert_eq!(heartbeat.devices.len(), 3);
    assert_eq!(heartbeat.devices[2].source, Source::Snmp);
    assert_eq!(heartbeat.devices[2].status, ["OB", "DISCHRG"]);
}

#[test]
fn every_request_fixture_names_version_1() {
    for (file, json) in [REGISTER_REQUEST, REGISTER_REQUEST_REREGISTER, HEARTBEAT] {
        let probe: ContractVersion = serde_json::from_str(json).expect(file);
        assert_eq!(probe.require(1), Ok(()), "{file}");
    }
}

#[test]
fn responses_accept_fields_a_newer_plane_adds() {
    let mut value: Value = serde_json::from_str(REGISTER_RESPONSE.1).unwrap();
    value["motd"] = Value::from("added in a later plane");
    let response: RegisterResponseV1 = serde_json::from_value(value).unwrap();
    assert_eq!(response.validate(), Ok(()));
}

/// The exporter's builder produces exactly the golden heartbeat.
#[test]
fn from_snapshot_produces_the_golden_heartbeat() {
    let reading = |source, status: &str, values: [f64; 4]| {
        let quantities = [
            Quantity::BatteryCharge,
            Quantity::BatteryRuntime,
            Quantity::Load,
            Quantity::RealPower,
        ];
        Arc::new(Reading {
            source,
            status: Status::parse(status),
            samples: quantities
                .into_iter()
                .zip(values)
                .map(|(quantity, value)| Sample {
                    quantity,
                    phase: None,
                    outlet: None,
                    value,
                })
                .collect(),
            is_real_power_estimated: false,
            info: DeviceInfo::default(),
            identity: Identity::default(),
            raw: Vec::new(),
        })
    };
    let up = |n: &str, source, r| DeviceState {
        outcome: Outcome::Ok,
        reading: Some(r),
        last_success: Some(unix(T0 - 2)),
        ..DeviceState::new(name(n), source)
    };
    let closet = DeviceState {
        outcome: Outcome::Failed {
            reason: FailureReason::Connect,
            detail: "connect to 192.0.2.7:3493 refused".into(),
        },
        // an old reading: not reported while down
        reading: Some(reading(Source::Nut, "OL", [1.0, 3000.0, 0.1, 20.0])),
        ..DeviceState::new(name("closet"), Source::Nut)
    };
    let snapshot = Snapshot {
        devices: vec![
            closet,
            up(
                "rack-a",
                Source::Nut,
                reading(Source::Nut, "OL CHRG", [1.0, 3540.0, 0.23, 95.0]),
            ),
            up(
                "rack-b",
                Source::Snmp,
                reading(Source::Snmp, "DISCHRG OB", [0.62, 1200.0, 0.41, 310.5]),
            ),
        ],
        ..Snapshot::default()
    };
    let heartbeat = HeartbeatV1::from_snapshot(
        IDENTITY.parse().unwrap(),
        LEASE.into(),
        "site-a".parse().unwrap(),
        "0.1.0".into(),
        Duration::from_secs(86_400) + Duration::from_millis(900),
        unix(T0) + Duration::from_millis(400),
        &snapshot,
        |n| match n.as_str() {
            "rack-a" => Some(unix(1_767_000_000)),
            "rack-b" => Some(unix(1_767_225_000)),
            _ => None,
        },
    );
    let golden: Value = serde_json::from_str(HEARTBEAT.1).unwrap();
    assert_eq!(serde_json::to_value(&heartbeat).unwrap(), golden);
}
