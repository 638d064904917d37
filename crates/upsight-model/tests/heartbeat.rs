//! The heartbeat wire contract against its golden fixtures (`tests/fixtures/heartbeat/`), the
//! no-PII invariant of `HeartbeatV1::from_snapshot`, and properties of what it builds.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use upsight_model::{
    ContractError, ContractVersion, DeviceInfo, DeviceState, Excerpt, FailureReason, Field,
    GroupName, HeartbeatV1, Identity, MemberId, Outcome, Quantity, Reading, RegisterRequestV1,
    RegisterResponseV1, Sample, Snapshot, Source, Status, StatusFlag, UpsName,
};

macro_rules! fixture {
    ($name:literal) => {
        ($name, include_str!(concat!("fixtures/heartbeat/", $name)))
    };
}

const REGISTER_REQUEST: (&str, &str) = fixture!("register-request-v1.json");
const REGISTER_REQUEST_REREGISTER: (&str, &str) = fixture!("register-request-v1-reregister.json");
const REGISTER_RESPONSE: (&str, &str) = fixture!("register-response-v1.json");
const HEARTBEAT: (&str, &str) = fixture!("heartbeat-v1.json");

const IDENTITY: &str = "6f1c2a9e-3b7d-4c1e-9a0f-2d5e8b7c4a13";
const LEASE: &str = "bDk2Zk5xUjhUcFZ3M2JZcUtHZ0xvQQ";
const T0: u64 = 1_767_225_600;

fn unix(seconds: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(seconds)
}

fn name(s: &str) -> UpsName {
    s.parse().expect("valid device name")
}

/// Deserializes, validates, and re-serializes `json` as `T`; the result must be the same JSON
/// value (field order irrelevant).
fn assert_round_trip<T: Serialize + DeserializeOwned>(
    (file, json): (&str, &str),
    validate: fn(&T) -> Result<(), ContractError>,
) -> T {
    let expected: Value = serde_json::from_str(json).expect("fixture is JSON");
    let value: T = serde_json::from_str(json).unwrap_or_else(|e| panic!("{file}: {e}"));
    validate(&value).unwrap_or_else(|e| panic!("{file}: {e}"));
    let again = serde_json::to_value(&value).expect("serializes");
    assert_eq!(again, expected, "{file} does not round-trip");
    value
}

// === golden fixtures ===

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

// === invalid documents ===

/// Deserializing `json` as `T` fails with a message containing `expected`.
fn assert_refused<T: DeserializeOwned + std::fmt::Debug>(
    (file, json): (&str, &str),
    expected: &str,
) {
    let e = serde_json::from_str::<T>(json).expect_err(file).to_string();
    assert!(e.contains(expected), "{file}: {e}");
}

/// Deserializing `json` as `T` succeeds but `validate` fails with `expected`.
fn assert_invalid<T: DeserializeOwned>(
    (file, json): (&str, &str),
    validate: fn(&T) -> Result<(), ContractError>,
) -> ContractError {
    let value: T = serde_json::from_str(json).unwrap_or_else(|e| panic!("{file}: {e}"));
    validate(&value).expect_err(file)
}

#[test]
fn unknown_fields_are_refused() {
    assert_refused::<HeartbeatV1>(
        fixture!("heartbeat-v1-unknown-field.json"),
        "unknown field `hostname`",
    );
    assert_refused::<HeartbeatV1>(
        fixture!("heartbeat-v1-unknown-device-field.json"),
        "unknown field `serial`",
    );
    assert_refused::<RegisterRequestV1>(
        fixture!("register-request-v1-unknown-field.json"),
        "unknown field `scrape_targets`",
    );
}

#[test]
fn version_2_is_refused_naming_the_version() {
    let v2 = fixture!("heartbeat-v2.json");
    let probe: ContractVersion = serde_json::from_str(v2.1).unwrap();
    let e = probe.require(1).unwrap_err();
    assert_eq!(
        e,
        ContractError::UnsupportedVersion {
            version: 2,
            expected: 1
        }
    );
    assert_eq!(
        e.to_string(),
        "unsupported contract version 2: this endpoint accepts version 1"
    );
    assert_refused::<HeartbeatV1>(v2, "unsupported contract version 2");
    for bad in ["0", "3", "-1", "\"1\"", "1.0", "null"] {
        let json = HEARTBEAT
            .1
            .replacen("\"version\": 1", &format!("\"version\": {bad}"), 1);
        assert!(
            serde_json::from_str::<HeartbeatV1>(&json).is_err(),
            "version {bad}"
        );
    }
    let json = HEARTBEAT.1.replacen("\"version\": 1,", "", 1);
    assert_refused::<HeartbeatV1>(("no version", &json), "missing field `version`");
}

#[test]
fn bad_identity_is_refused() {
    assert_refused::<HeartbeatV1>(
        fixture!("heartbeat-v1-bad-identity.json"),
        "identity = \"exporter 01 (alice's desk)\": may only contain",
    );
}

#[test]
fn unknown_status_token_is_invalid() {
    let e = assert_invalid(
        fixture!("heartbeat-v1-unknown-status.json"),
        HeartbeatV1::validate,
    );
    assert_eq!(
        e,
        ContractError::UnknownStatusToken {
            field: Field::device(1, "status"),
            value: Excerpt::new("MARKERTOKEN"),
        }
    );
    assert_eq!(
        e.to_string(),
        "devices[1].status = \"MARKERTOKEN\": not a version 1 status flag"
    );
}

#[test]
fn charge_out_of_range_is_invalid() {
    let e = assert_invalid(
        fixture!("heartbeat-v1-charge-out-of-range.json"),
        HeartbeatV1::validate,
    );
    assert_eq!(
        e.to_string(),
        "devices[2].charge_ratio = 62: out of range 0..=1"
    );
}

#[test]
fn bad_scrape_target_is_invalid() {
    let e = assert_invalid(
        fixture!("register-request-v1-bad-scrape-target.json"),
        RegisterRequestV1::validate,
    );
    assert!(
        matches!(e, ContractError::BadScrapeTarget { field, .. } if field == Field::top("scrape_target")),
        "{e}"
    );
    assert_eq!(
        e.to_string(),
        "scrape_target = \"http://exporter-01.example:9199/metrics\": has a scheme: expected host:port"
    );
}

fn golden_heartbeat() -> HeartbeatV1 {
    serde_json::from_str(HEARTBEAT.1).expect("the golden heartbeat deserializes")
}

#[test]
fn too_many_devices_is_invalid() {
    let mut heartbeat = golden_heartbeat();
    let template = heartbeat.devices[1].clone();
    heartbeat.devices = (0..=HeartbeatV1::MAX_DEVICES)
        .map(|i| {
            let mut d = template.clone();
            d.name = name(&format!("ups{i}"));
            d
        })
        .collect();
    // generated, then sent through JSON like a real request
    let json = serde_json::to_string(&heartbeat).unwrap();
    let e = assert_invalid(("257 devices", &json), HeartbeatV1::validate);
    assert_eq!(
        e,
        ContractError::TooMany {
            field: Field::top("devices"),
            count: 257,
            max: 256
        }
    );
    heartbeat.devices.pop();
    assert_eq!(heartbeat.validate(), Ok(()));
}

#[test]
fn other_device_bounds() {
    let base = golden_heartbeat();
    let check = |edit: &dyn Fn(&mut HeartbeatV1)| {
        let mut h = base.clone();
        edit(&mut h);
        h.validate().unwrap_err().to_string()
    };
    assert_eq!(
        check(&|h| h.devices[2].name = name("rack-a")),
        "devices[2].name = \"rack-a\": listed more than once"
    );
    assert_eq!(
        check(&|h| h.devices[1].status = vec!["OL".into(), "OL".into()]),
        "devices[1].status = \"OL\": listed more than once"
    );
    assert_eq!(
        check(&|h| h.devices[1].status = vec!["OL".into(); 18]),
        "devices[1].status has 18 entries, more than 17"
    );
    assert_eq!(
        check(&|h| h.devices[1].load_ratio = Some(2.5)),
        "devices[1].load_ratio = 2.5: out of range 0..=2"
    );
    assert_eq!(
        check(&|h| h.devices[1].runtime_seconds = Some(-1.0)),
        "devices[1].runtime_seconds = -1: out of range 0..=100000000"
    );
    assert_eq!(
        check(&|h| h.devices[1].real_power_watts = Some(f64::NAN)),
        "devices[1].real_power_watts = NaN: out of range 0..=100000000"
    );
    assert_eq!(
        check(&|h| h.software_version = "0.1.0 built on alice-laptop".into()),
        "software_version = \"0.1.0 built on alice-laptop\": may only contain ASCII letters, digits, '.', '+' and '-'"
    );
    let lease = check(&|h| h.lease = "secret lease with spaces".into());
    assert!(!lease.contains("secret"), "{lease}");
    // a load above 1 (overload) is fine
    let mut overload = base.clone();
    overload.devices[1].load_ratio = Some(1.5);
    assert_eq!(overload.validate(), Ok(()));
}

#[test]
fn bad_device_name_and_source_are_refused_without_echoing_long_text() {
    let long = "x".repeat(10_000);
    let json = HEARTBEAT
        .1
        .replacen("\"rack-a\"", &format!("\"{long}\""), 1);
    let e = serde_json::from_str::<HeartbeatV1>(&json)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("is 10000 characters long, longer than 64"),
        "{e}"
    );
    assert!(e.len() < 200, "{e}");

    let json = HEARTBEAT.1.replacen("\"rack-a\"", "\"rack a\"", 1);
    assert_refused::<HeartbeatV1>(("bad name", &json), "\"rack a\": may only contain");

    let json = HEARTBEAT.1.replacen("\"snmp\"", &format!("\"{long}\""), 1);
    let e = serde_json::from_str::<HeartbeatV1>(&json)
        .unwrap_err()
        .to_string();
    assert!(e.contains("expected \"nut\" or \"snmp\""), "{e}");
    assert!(e.len() < 200, "{e}");

    let mut heartbeat = golden_heartbeat();
    heartbeat.devices[0].status = vec![long];
    let e = heartbeat.validate().unwrap_err().to_string();
    assert!(e.contains(&format!("\"{}\"…", "x".repeat(64))), "{e}");
    assert!(e.len() < 200, "{e}");
}

#[test]
fn debug_never_prints_the_lease() {
    let heartbeat = golden_heartbeat();
    let request: RegisterRequestV1 = serde_json::from_str(REGISTER_REQUEST_REREGISTER.1).unwrap();
    let response: RegisterResponseV1 = serde_json::from_str(REGISTER_RESPONSE.1).unwrap();
    for debug in [
        format!("{heartbeat:?}"),
        format!("{request:?}"),
        format!("{response:?}"),
    ] {
        assert!(!debug.contains(LEASE), "{debug}");
        assert!(debug.contains("<redacted>"), "{debug}");
    }
}

// === from_snapshot ===

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
