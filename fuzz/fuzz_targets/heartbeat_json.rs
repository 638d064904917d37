//! Fuzz target `heartbeat_json`: a hostile exporter posting `POST /api/v1/heartbeat`.
//!
//! The body goes through exactly what the plane's ingest handler does with it
//! (`serde_json::from_slice::<HeartbeatV1>` then `HeartbeatV1::validate`); an accepted
//! heartbeat must then
//!
//! - agree with the version probe (`ContractVersion` reads 1),
//! - survive a JSON round trip and still validate (what the plane stores is what it can send),
//! - keep its lease out of `Debug`,
//! - be refused by the registry with its own (wrong) lease, and accepted with the member's,
//!   after which the read views count exactly its devices and hand them back unchanged, and
//!   the state the plane would save round-trips.

#![no_main]

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, SystemTime};

use libfuzzer_sys::fuzz_target;
use upsight_fleet::{FleetState, HeartbeatError, LeaseKey, Registry, RegistryConfig};
use upsight_model::{ContractVersion, DeviceSummaryV1, HeartbeatV1, RegisterRequestV1, Version};

fuzz_target!(|data: &[u8]| {
    let parsed = serde_json::from_slice::<HeartbeatV1>(data)
        .map_err(|e| e.to_string())
        .and_then(|h| h.validate().map(|()| h).map_err(|e| e.to_string()));
    let Ok(hb) = parsed else {
        return;
    };
    check_document(data, &hb);
    check_registry(&hb);
});

fn check_document(data: &[u8], hb: &HeartbeatV1) {
    let probe: ContractVersion =
        serde_json::from_slice(data).expect("an accepted heartbeat has a version");
    assert_eq!(probe.require(1), Ok(()));

    let wire = serde_json::to_vec(hb).expect("a heartbeat serializes");
    let again: HeartbeatV1 = serde_json::from_slice(&wire).expect("a heartbeat reads back");
    assert_eq!(
        &again,
        hb,
        "round trip through {}",
        String::from_utf8_lossy(&wire)
    );
    assert_eq!(again.validate(), Ok(()));

    let mut other = hb.clone();
    other.lease = "x".to_owned();
    assert_eq!(
        format!("{hb:?}"),
        format!("{other:?}"),
        "Debug shows the lease"
    );

    for device in &hb.devices {
        assert!(
            device
                .status
                .iter()
                .all(|t| DeviceSummaryV1::STATUS_TOKENS.contains(&t.as_str()))
        );
        let values = [
            device.charge_ratio,
            device.runtime_seconds,
            device.load_ratio,
            device.real_power_watts,
        ];
        assert!(values.iter().flatten().all(|v| v.is_finite() && *v >= 0.0));
    }
}

fn check_registry(hb: &HeartbeatV1) {
    let key = LeaseKey::from_bytes([7; 32]);
    let mut registry =
        Registry::try_new(RegistryConfig::default()).expect("the default config is valid");
    let peer = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600);
    let request = RegisterRequestV1 {
        version: Version,
        identity: hb.identity.clone(),
        group: hb.group.clone(),
        software_version: hb.software_version.clone(),
        scrape_target: None,
        lease: None,
    };
    let registration = registry
        .register(&request, peer, now, &key)
        .expect("the first member of an empty registry is admitted");
    let number = registration.response.member_number;

    // The heartbeat's own lease was never handed out (leases are 256 random bits).
    let refused = registry.heartbeat(hb, peer, now, &key);
    assert!(
        matches!(refused, Err(HeartbeatError::LeaseMismatch { .. })),
        "{refused:?}"
    );

    let mut proven = hb.clone();
    proven.lease.clone_from(&registration.response.lease);
    let later = now + Duration::from_secs(1);
    let outcome = registry
        .heartbeat(&proven, peer, later, &key)
        .expect("the member's own lease is accepted");
    assert_eq!(outcome.member_number, number);

    let fleet = registry.fleet(later);
    assert_eq!(fleet.totals.members, 1);
    assert_eq!(fleet.totals.members_up, 1);
    assert_eq!(fleet.totals.upses, hb.devices.len());
    assert!(fleet.totals.upses_on_battery + fleet.totals.upses_down <= hb.devices.len());
    let member = registry
        .member(&hb.group, &hb.identity, later)
        .expect("the member is registered");
    assert_eq!(member.devices, hb.devices);
    assert_eq!(member.software_version, hb.software_version);
    let group = registry
        .group(&hb.group, later)
        .expect("the group has a member");
    assert_eq!(group.totals, fleet.totals);
    for json in [
        serde_json::to_vec(&fleet),
        serde_json::to_vec(&member),
        serde_json::to_vec(&group),
    ] {
        json.expect("read views serialize");
    }

    let state = FleetState::of(&registry, &key);
    let saved = serde_json::to_vec(&state).expect("the state serializes");
    let loaded: FleetState = serde_json::from_slice(&saved).expect("the state reads back");
    assert_eq!(loaded, state);
}
