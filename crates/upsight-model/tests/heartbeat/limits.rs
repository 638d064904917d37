//! Invalid documents are refused or fail validation, without echoing long or secret text.

use upsight_model::{
    ContractError, ContractVersion, Excerpt, Field, HeartbeatV1, RegisterRequestV1,
    RegisterResponseV1,
};

use crate::{
    HEARTBEAT, LEASE, REGISTER_REQUEST_REREGISTER, REGISTER_RESPONSE, assert_invalid,
    assert_refused, fixture, golden_heartbeat, name,
};

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
