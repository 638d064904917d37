//! A version-1 state file written by the version-1 plane (`tests/fixtures/fleet-v1.json`:
//! three members in two groups, registered and heartbeating over HTTP, then SIGTERM) loads
//! into the version-2 schema: numbers, counters, the lease key and lease digests survive, every
//! member gets `registered_unix`, and the first save keeps the version-1 file as a backup.
#![allow(clippy::unwrap_used)] // test helpers may panic: a panic is a test failure

use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, SystemTime};

use upsight_fleet::{FleetState, Registry, RegistryConfig, UNCLEAN_NUMBER_GAP};
use upsight_model::{GroupName, HeartbeatV1, MemberId, RegisterRequestV1};
use upsight_store::Store;

const V1: &str = include_str!("fixtures/fleet-v1.json");
const GOLDEN: &str = include_str!("../../upsight-model/tests/fixtures/heartbeat/heartbeat-v1.json");
const REGISTER: &str =
    include_str!("../../upsight-model/tests/fixtures/heartbeat/register-request-v1.json");

/// The leases the version-1 plane handed out when the fixture was recorded (test data: the
/// file itself holds only their HMAC digests).
const LEASES: [(&str, &str, u32, &str); 3] = [
    (
        "site-a",
        "exp-a1",
        1,
        "47a0bef50e600cec08c8fb22ecd58b6629e1fb5f504f0ed6151600ab7013efc8",
    ),
    (
        "site-a",
        "exp-a2",
        2,
        "d81e518d184ae4ffaf57c940e050d4f10ee3a50044d26c727aeadb2a6c632b5a",
    ),
    (
        "site-b",
        "exp-b1",
        1,
        "c945ca07771c89da4183c3ea87c0c9ac650bb2b17dd47b2c20b554e86a3f290c",
    ),
];

fn heartbeat(group: &str, identity: &str, lease: &str) -> HeartbeatV1 {
    let mut hb: HeartbeatV1 = serde_json::from_str(GOLDEN).unwrap();
    hb.group = group.parse().unwrap();
    hb.identity = identity.parse().unwrap();
    hb.lease = lease.to_owned();
    hb
}

#[test]
fn a_version_1_file_migrates_and_every_lease_still_proves_its_member() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fleet.json");
    std::fs::File::create(&path)
        .unwrap()
        .write_all(V1.as_bytes())
        .unwrap();

    let (store, state) = Store::<FleetState>::open(dir.path(), "fleet").unwrap();
    assert_eq!(store.migrated_from(), Some(1));
    assert!(state.has_lease_key(), "the lease key survives");
    let (mut registry, key) = state.into_registry(RegistryConfig::default()).unwrap();
    assert_eq!(registry.len(), 3);

    let v1: serde_json::Value = serde_json::from_str(V1).unwrap();
    let now = SystemTime::now();
    let peer = IpAddr::V4(Ipv4Addr::LOCALHOST);
    for (group, identity, number, lease) in LEASES {
        let g: GroupName = group.parse().unwrap();
        let i: MemberId = identity.parse().unwrap();
        let member = registry.member(&g, &i, now).unwrap();
        let seen = v1["data"]["groups"][group]["members"][identity]["last_seen_unix"]
            .as_u64()
            .unwrap();
        assert_eq!(member.member_number, number);
        assert_eq!(
            (member.registered_unix, member.last_seen_unix),
            (seen, seen)
        );
        let outcome = registry
            .heartbeat(&mut heartbeat(group, identity, lease), peer, now, &key)
            .unwrap();
        assert_eq!(outcome.member_number, number, "{group}/{identity}");
    }
    // Numbers are never reused: the counters came along, moved ahead because a version-1
    // file cannot say whether it was written by a clean stop.
    let mut request: RegisterRequestV1 = serde_json::from_str(REGISTER).unwrap();
    request.group = "site-a".parse().unwrap();
    request.identity = "exp-a3".parse().unwrap();
    let new = registry.register(&request, peer, now, &key).unwrap();
    assert_eq!(new.response.member_number, 3 + UNCLEAN_NUMBER_GAP);

    store
        .save(&FleetState::of(&registry, &key).stopped_cleanly())
        .unwrap();
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(saved["version"], 2);
    let backup = std::fs::read_to_string(dir.path().join("fleet.json.v1.bak")).unwrap();
    assert_eq!(backup, V1, "the version-1 file is kept byte for byte");
    drop(store);

    let (store, state) = Store::<FleetState>::open(dir.path(), "fleet").unwrap();
    assert_eq!(store.migrated_from(), None);
    let (registry, _) = state.into_registry(RegistryConfig::default()).unwrap();
    assert_eq!(registry.len(), 4);
    let later = now + Duration::from_secs(1);
    let a3 = registry
        .member(
            &"site-a".parse().unwrap(),
            &"exp-a3".parse().unwrap(),
            later,
        )
        .unwrap();
    let recorded = v1["data"]["saved_at"].as_str().map(str::len);
    assert!(
        recorded.is_none(),
        "saved_at sits in the envelope, not the data"
    );
    assert!(a3.registered_unix >= a3.last_seen_unix.saturating_sub(1));
}

#[test]
fn registration_time_is_kept_across_re_registrations() {
    let key = upsight_fleet::LeaseKey::from_bytes([7; 32]);
    let mut registry = Registry::try_new(RegistryConfig::default()).unwrap();
    let request: RegisterRequestV1 = serde_json::from_str(REGISTER).unwrap();
    let peer = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600);
    let first = registry.register(&request, peer, t0, &key).unwrap();
    let mut again = request.clone();
    again.lease = Some(first.response.lease);
    let t1 = t0 + Duration::from_secs(600);
    registry.register(&again, peer, t1, &key).unwrap();
    let member = registry
        .member(&request.group, &request.identity, t1)
        .unwrap();
    assert_eq!(member.registered_unix, 1_767_225_600);
    assert_eq!(member.last_seen_unix, 1_767_225_600 + 600);
}
