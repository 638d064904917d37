//! Helpers shared by the registry tests: fixed times and addresses, requests and heartbeats
//! built from the golden fixture, a registry with the default configuration.
#![allow(dead_code)] // each test file uses a different subset
#![allow(clippy::unwrap_used)] // test helpers may panic: a panic is a test failure

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, SystemTime};

use upsight_fleet::{LeaseKey, Registry, RegistryConfig};
use upsight_model::{GroupName, HeartbeatV1, MemberId, RegisterRequestV1, Version};

pub(crate) const GOLDEN: &str =
    include_str!("../../../upsight-model/tests/fixtures/heartbeat/heartbeat-v1.json");

pub(crate) fn t(seconds: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600 + seconds)
}

pub(crate) fn ip(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(192, 0, 2, last))
}

pub(crate) fn group(g: &str) -> GroupName {
    g.parse().unwrap()
}

pub(crate) fn id(i: &str) -> MemberId {
    i.parse().unwrap()
}

pub(crate) fn request(g: &str, i: &str, lease: Option<&str>) -> RegisterRequestV1 {
    RegisterRequestV1 {
        version: Version,
        identity: id(i),
        group: group(g),
        software_version: "0.1.0".into(),
        scrape_target: Some(format!("{i}.example:9199")),
        lease: lease.map(str::to_owned),
    }
}

pub(crate) fn heartbeat(g: &str, i: &str, lease: &str) -> HeartbeatV1 {
    let mut hb: HeartbeatV1 = serde_json::from_str(GOLDEN).unwrap();
    hb.validate().unwrap();
    hb.identity = id(i);
    hb.group = group(g);
    hb.lease = lease.into();
    hb
}

pub(crate) fn key() -> LeaseKey {
    LeaseKey::from_bytes([7; 32])
}

pub(crate) fn registry() -> Registry {
    Registry::try_new(RegistryConfig::default()).unwrap()
}

/// Registers and returns `(number, lease)`.
pub(crate) fn join(
    r: &mut Registry,
    g: &str,
    i: &str,
    lease: Option<&str>,
    now: SystemTime,
) -> (u32, String) {
    let reg = r
        .register(&request(g, i, lease), ip(1), now, &key())
        .unwrap();
    reg.response.validate().unwrap();
    (reg.response.member_number, reg.response.lease)
}
