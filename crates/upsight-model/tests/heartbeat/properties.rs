//! Properties of what `HeartbeatV1::from_snapshot` builds.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use proptest::prelude::*;
use upsight_model::{
    DeviceInfo, DeviceState, FailureReason, GroupName, HeartbeatV1, Identity, MemberId, Outcome,
    Quantity, Reading, Sample, Snapshot, Source, Status, StatusFlag,
};

use crate::{name, unix};

fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => -0.5..2.5f64,
        2 => 0.0..1e6f64,
        1 => any::<f64>(),
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(f64::NEG_INFINITY),
        1 => Just(-0.0),
        1 => Just(f64::MAX),
        1 => Just(f64::MIN_POSITIVE),
    ]
}

fn status() -> impl Strategy<Value = Status> {
    let flag = prop_oneof![
        3 => prop::sample::select(StatusFlag::KNOWN.to_vec()),
        1 => "[!-~]{1,12}".prop_map(StatusFlag::Other),
        1 => prop::sample::select(vec!["OL", "ol", "WAIT", "MARKERTOKEN"])
            .prop_map(|t| StatusFlag::Other(t.to_owned())),
    ];
    prop::collection::vec(flag, 0..24).prop_map(Status::from_flags)
}

fn reading() -> impl Strategy<Value = Reading> {
    let quantity = prop::sample::select(vec![
        Quantity::BatteryCharge,
        Quantity::BatteryRuntime,
        Quantity::Load,
        Quantity::RealPower,
        Quantity::InputVoltage,
    ]);
    let sample = (quantity, value(), prop::option::weighted(0.1, "L[123]")).prop_map(
        |(quantity, value, phase)| Sample {
            quantity,
            phase,
            outlet: None,
            value,
        },
    );
    (status(), prop::collection::vec(sample, 0..8)).prop_map(|(status, samples)| Reading {
        source: Source::Nut,
        status,
        samples,
        is_real_power_estimated: false,
        info: DeviceInfo::default(),
        identity: Identity {
            serial: Some("MARKERSERIAL".into()),
            ..Identity::default()
        },
        raw: Vec::new(),
    })
}

fn device() -> impl Strategy<Value = DeviceState> {
    let outcome = prop_oneof![
        1 => Just(Outcome::Pending),
        3 => Just(Outcome::Ok),
        2 => (prop::sample::select(FailureReason::ALL.to_vec()), ".{0,20}")
            .prop_map(|(reason, detail)| Outcome::Failed { reason, detail }),
    ];
    (
        "[A-Za-z0-9_.-]{1,6}",
        prop::bool::ANY,
        outcome,
        prop::option::weighted(0.8, reading()),
    )
        .prop_map(|(n, is_snmp, outcome, reading)| DeviceState {
            outcome,
            reading: reading.map(Arc::new),
            ..DeviceState::new(name(&n), if is_snmp { Source::Snmp } else { Source::Nut })
        })
}

fn devices() -> impl Strategy<Value = Vec<DeviceState>> {
    prop_oneof![
        8 => prop::collection::vec(device(), 0..12),
        1 => prop::collection::vec(device(), 250..300),
    ]
}

proptest! {
    #[test]
    fn from_snapshot_always_validates_and_round_trips(
        devices in devices(),
        identity in "[A-Za-z0-9_.-]{1,64}",
        group in "[A-Za-z0-9_.-]{1,64}",
        lease in "[!-~]{1,128}",
        software_version in "[0-9A-Za-z.+-]{1,32}",
        uptime_ms in any::<u64>(),
        now in any::<i64>(),
        transfer in prop::option::of(any::<u32>()),
    ) {
        let identity: MemberId = identity.parse().unwrap();
        let group: GroupName = group.parse().unwrap();
        let now = if now >= 0 {
            unix(now.unsigned_abs() >> 20)
        } else {
            SystemTime::UNIX_EPOCH - Duration::from_secs(now.unsigned_abs() >> 30)
        };
        let snapshot = Snapshot { devices, ..Snapshot::default() };
        let heartbeat = HeartbeatV1::from_snapshot(
            identity, lease, group, software_version,
            Duration::from_millis(uptime_ms), now, &snapshot,
            |n| transfer.filter(|_| n.as_str().len() % 2 == 0).map(|t| unix(t.into())),
        );
        prop_assert_eq!(heartbeat.validate(), Ok(()));
        prop_assert!(heartbeat.devices.len() <= HeartbeatV1::MAX_DEVICES);

        let json = serde_json::to_string(&heartbeat).unwrap();
        prop_assert!(!json.contains("MARKER"), "{}", json);
        let back: HeartbeatV1 = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back.validate(), Ok(()));
        prop_assert_eq!(&back, &heartbeat);
        // bit for bit, not just ==: 0.0 is not -0.0, and no value moves by an ulp
        prop_assert_eq!(serde_json::to_string(&back).unwrap(), json);
        for (a, b) in back.devices.iter().zip(&heartbeat.devices) {
            for (x, y) in [
                (a.charge_ratio, b.charge_ratio),
                (a.runtime_seconds, b.runtime_seconds),
                (a.load_ratio, b.load_ratio),
                (a.real_power_watts, b.real_power_watts),
            ] {
                prop_assert_eq!(x.map(f64::to_bits), y.map(f64::to_bits));
            }
        }
    }
}
