//! The registry's rules end to end through the public API: numbers, leases, health, conflicts,
//! views, and the state file.
#![allow(clippy::unwrap_used)] // test helpers may panic: a panic is a test failure

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, SystemTime};

use proptest::prelude::*;
use upsight_fleet::{
    FleetState, HeartbeatError, LeaseKey, MemberHealth, RegisterError, Registry, RegistryConfig,
    Target, Totals,
};
use upsight_model::{GroupName, HeartbeatV1, MemberId, RegisterRequestV1, Version};
use upsight_store::Store;

const GOLDEN: &str = include_str!("../../upsight-model/tests/fixtures/heartbeat/heartbeat-v1.json");

fn t(seconds: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600 + seconds)
}

fn ip(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(192, 0, 2, last))
}

fn group(g: &str) -> GroupName {
    g.parse().unwrap()
}

fn id(i: &str) -> MemberId {
    i.parse().unwrap()
}

fn request(g: &str, i: &str, lease: Option<&str>) -> RegisterRequestV1 {
    RegisterRequestV1 {
        version: Version,
        identity: id(i),
        group: group(g),
        software_version: "0.1.0".into(),
        scrape_target: Some(format!("{i}.example:9199")),
        lease: lease.map(str::to_owned),
    }
}

fn heartbeat(g: &str, i: &str, lease: &str) -> HeartbeatV1 {
    let mut hb: HeartbeatV1 = serde_json::from_str(GOLDEN).unwrap();
    hb.validate().unwrap();
    hb.identity = id(i);
    hb.group = group(g);
    hb.lease = lease.into();
    hb
}

fn key() -> LeaseKey {
    LeaseKey::from_bytes([7; 32])
}

fn registry() -> Registry {
    Registry::try_new(RegistryConfig::default()).unwrap()
}

/// Registers and returns `(number, lease)`.
fn join(r: &mut Registry, g: &str, i: &str, lease: Option<&str>, now: SystemTime) -> (u32, String) {
    let reg = r
        .register(&request(g, i, lease), ip(1), now, &key())
        .unwrap();
    reg.response.validate().unwrap();
    (reg.response.member_number, reg.response.lease)
}

#[test]
fn numbers_are_stable_and_never_reused() {
    let mut r = registry();
    let (a, a_lease) = join(&mut r, "site-a", "a", None, t(0));
    let (b, _) = join(&mut r, "site-a", "b", None, t(0));
    let (other, _) = join(&mut r, "site-b", "x", None, t(0));
    assert_eq!((a, b, other), (1, 2, 1), "numbers start at 1 per group");
    let (a, a_lease) = join(&mut r, "site-a", "a", Some(&a_lease), t(1));
    assert_eq!(a, 1);

    assert!(r.remove(&group("site-a"), &id("b")));
    assert!(!r.remove(&group("site-a"), &id("b")));
    assert_eq!(
        join(&mut r, "site-a", "c", None, t(2)).0,
        3,
        "2 is not reused"
    );
    assert_eq!(
        join(&mut r, "site-a", "b", None, t(2)).0,
        4,
        "a removed identity is new"
    );

    // Expiry: everything in site-a but `a` goes quiet and is pruned.
    let (_, a_lease) = join(&mut r, "site-a", "a", Some(&a_lease), t(1000));
    assert_eq!(r.prune(t(1000), Duration::from_secs(600)), 3);
    assert_eq!(r.len(), 1);
    assert_eq!(join(&mut r, "site-a", "d", None, t(1000)).0, 5);
    assert_eq!(join(&mut r, "site-a", "a", Some(&a_lease), t(1001)).0, 1);
}

#[test]
fn registration_rotates_the_lease() {
    let mut r = registry();
    let (n, first) = join(&mut r, "site-a", "a", None, t(0));
    let again = r
        .register(&request("site-a", "a", Some(&first)), ip(1), t(5), &key())
        .unwrap();
    let second = again.response.lease;
    assert_eq!((again.response.member_number, again.is_new), (n, false));
    assert_ne!(first, second);
    assert_eq!(second.len(), 64);

    let old = r.heartbeat(&mut heartbeat("site-a", "a", &first), ip(1), t(6), &key());
    assert!(matches!(old, Err(HeartbeatError::LeaseMismatch { .. })));
    let ok = r.heartbeat(&mut heartbeat("site-a", "a", &second), ip(1), t(6), &key());
    assert_eq!(ok.unwrap().member_number, n);
    let stale = r.register(&request("site-a", "a", Some(&first)), ip(1), t(7), &key());
    assert!(matches!(stale, Err(RegisterError::LeaseMismatch { .. })));
}

#[test]
fn a_known_identity_must_prove_itself() {
    let mut r = registry();
    let (n, lease) = join(&mut r, "site-a", "a", None, t(0));
    let wrong = r
        .register(
            &request("site-a", "a", Some("not-the-lease")),
            ip(1),
            t(1),
            &key(),
        )
        .unwrap_err();
    assert_eq!(wrong.http_status(), 409);
    assert_eq!(
        wrong.to_string(),
        "member a in group site-a: lease does not match"
    );

    // No lease: refused while up or stale, reclaimed once down.
    for (now, is_ok) in [(t(1), false), (t(30), false), (t(45), false), (t(46), true)] {
        let got = r.register(&request("site-a", "a", None), ip(1), now, &key());
        assert_eq!(got.is_ok(), is_ok, "at {now:?}");
        if let Ok(reg) = got {
            assert_eq!((reg.response.member_number, reg.is_new), (n, false));
            assert_ne!(reg.response.lease, lease);
        }
    }
    // A wrong lease stays refused even for a down member.
    let late = r.register(&request("site-a", "a", Some(&lease)), ip(1), t(500), &key());
    assert!(matches!(late, Err(RegisterError::LeaseMismatch { .. })));
    // Refusals changed nothing.
    assert_eq!(r.len(), 1);
}

#[test]
fn unknown_members_get_404() {
    let mut r = registry();
    let (_, lease) = join(&mut r, "site-a", "a", None, t(0));
    let unknown = r
        .heartbeat(
            &mut heartbeat("site-a", "nobody", &lease),
            ip(1),
            t(1),
            &key(),
        )
        .unwrap_err();
    assert_eq!(unknown.http_status(), 404);
    let moved = r
        .heartbeat(&mut heartbeat("site-b", "a", &lease), ip(1), t(1), &key())
        .unwrap_err();
    assert!(
        matches!(moved, HeartbeatError::UnknownMember { .. }),
        "{moved}"
    );
    assert_eq!(moved.to_string(), "member a in group site-b: unknown");
}

#[test]
fn the_member_cap_is_403() {
    let config = RegistryConfig {
        max_members: 2,
        ..RegistryConfig::default()
    };
    let mut r = Registry::try_new(config).unwrap();
    let (_, a) = join(&mut r, "site-a", "a", None, t(0));
    join(&mut r, "site-b", "b", None, t(0));
    let full = r
        .register(&request("site-a", "c", None), ip(1), t(0), &key())
        .unwrap_err();
    assert_eq!(full, RegisterError::Full { max: 2 });
    assert_eq!(full.http_status(), 403);
    assert_eq!(
        join(&mut r, "site-a", "a", Some(&a), t(1)).0,
        1,
        "known members still renew"
    );
    r.remove(&group("site-b"), &id("b"));
    assert_eq!(join(&mut r, "site-a", "c", None, t(2)).0, 2);
}

#[test]
fn health_follows_heartbeat_age() {
    let mut r = registry();
    let (_, lease) = join(&mut r, "site-a", "a", None, t(0));
    let (g, a) = (group("site-a"), id("a"));
    for (now, health) in [
        (0, MemberHealth::Up),
        (22, MemberHealth::Up),
        (23, MemberHealth::Stale),
        (45, MemberHealth::Stale),
        (46, MemberHealth::Down),
    ] {
        assert_eq!(r.member_health(&g, &a, t(now)), Some(health), "at {now} s");
    }
    r.heartbeat(&mut heartbeat("site-a", "a", &lease), ip(1), t(100), &key())
        .unwrap();
    assert_eq!(r.member_health(&g, &a, t(110)), Some(MemberHealth::Up));
    assert_eq!(
        r.member_health(&g, &a, t(50)),
        Some(MemberHealth::Up),
        "clock stepped back"
    );
    assert_eq!(r.member_health(&g, &id("b"), t(110)), None);
}

#[test]
fn one_identity_from_two_peers_is_a_conflict() {
    let mut r = registry();
    let (_, lease) = join(&mut r, "site-a", "a", None, t(0));
    let mut hb = heartbeat("site-a", "a", &lease);
    let mut beat = |peer, now| {
        r.heartbeat(&mut hb, ip(peer), t(now), &key())
            .unwrap()
            .is_conflict
    };
    assert!(!beat(1, 10));
    assert!(beat(2, 20), "a second address within the TTL");
    assert!(beat(1, 25));
    assert!(!beat(1, 30));
    assert!(
        !beat(2, 100),
        "after a TTL of silence an address change is no conflict"
    );
    assert_eq!(r.conflicts_total(), 2);

    // A second exporter without the lease is refused, and counted.
    let second = r.register(&request("site-a", "a", None), ip(9), t(101), &key());
    assert!(matches!(
        second,
        Err(RegisterError::LeaseMismatch {
            is_conflict: true,
            ..
        })
    ));
    assert_eq!(r.conflicts_total(), 3);
    // ... but did not take the address: the real member is no conflict.
    r.heartbeat(&mut hb, ip(2), t(102), &key()).unwrap();
    assert_eq!(r.conflicts_total(), 3);
}

#[test]
fn leases_are_never_stored_in_clear() {
    let mut r = registry();
    let mut leases = Vec::new();
    for i in ["a", "b", "c"] {
        leases.push(join(&mut r, "site-a", i, None, t(0)).1);
    }
    let rotated = join(&mut r, "site-a", "a", Some(&leases[0]), t(1)).1;
    leases.push(rotated);
    let json = serde_json::to_string(&FleetState::of(&r, &key())).unwrap();
    for lease in &leases {
        assert!(!json.contains(lease.as_str()), "lease in clear in {json}");
    }
    assert!(json.contains("lease_digest"));
    assert!(
        !format!("{r:?}").contains("192.0.2"),
        "peers stay out of Debug"
    );
    assert!(!json.contains("192.0.2"), "peers are not persisted");
}

#[test]
fn state_round_trips_through_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let (store, state) = Store::<FleetState>::open(dir.path(), "fleet").unwrap();
    assert!(!state.has_lease_key());
    let (mut r, key) = state.into_registry(RegistryConfig::default()).unwrap();
    let reg = r
        .register(&request("site-a", "a", None), ip(1), t(0), &key)
        .unwrap();
    join_with(&mut r, &key, "b");
    r.heartbeat(
        &mut heartbeat("site-a", "a", &reg.response.lease),
        ip(1),
        t(5),
        &key,
    )
    .unwrap();
    r.remove(&group("site-a"), &id("b"));
    let saved = FleetState::of(&r, &key).stopped_cleanly();
    store.save(&saved).unwrap();
    drop(store);

    let (_store, loaded) = Store::<FleetState>::open(dir.path(), "fleet").unwrap();
    assert_eq!(loaded, saved, "everything saved comes back");
    let (mut r, key2) = loaded.into_registry(RegistryConfig::default()).unwrap();
    assert_eq!(key2, key, "the key survives restarts");
    let member = r.member(&group("site-a"), &id("a"), t(6)).unwrap();
    assert!(member.devices.is_empty());
    let again = r.heartbeat(
        &mut heartbeat("site-a", "a", &reg.response.lease),
        ip(1),
        t(6),
        &key2,
    );
    assert_eq!(again.unwrap().member_number, 1, "the lease still verifies");
    assert_eq!(
        r.member(&group("site-a"), &id("a"), t(6))
            .unwrap()
            .devices
            .len(),
        3,
        "device summaries are not saved: the next heartbeat brings them back"
    );
    assert_eq!(
        join_with(&mut r, &key2, "c"),
        3,
        "the counter survives restarts"
    );
}

fn join_with(r: &mut Registry, key: &LeaseKey, i: &str) -> u32 {
    let reg = r
        .register(&request("site-a", i, None), ip(1), t(0), key)
        .unwrap();
    reg.response.member_number
}

#[test]
fn fleet_totals_from_the_golden_heartbeat() {
    let mut r = registry();
    // site-a: `up` heartbeats now, `late` is stale; site-b: `gone` is down.
    for (g, i, at) in [
        ("site-a", "up", 100),
        ("site-a", "late", 70),
        ("site-b", "gone", 0),
    ] {
        let (_, lease) = join(&mut r, g, i, None, t(at));
        r.heartbeat(&mut heartbeat(g, i, &lease), ip(1), t(at), &key())
            .unwrap();
    }
    let view = r.fleet(t(100));
    // Golden devices: closet (down), rack-a (up, OL, 3540 s), rack-b (up, OB, 1200 s).
    let site_a = Totals {
        members: 2,
        members_up: 1,
        members_stale: 1,
        members_down: 0,
        upses: 6,
        upses_on_battery: 2,
        upses_low_runtime: 0,
        upses_stale: 2,
        upses_down: 2,
    };
    let site_b = Totals {
        members: 1,
        members_down: 1,
        upses: 3,
        upses_down: 3,
        ..Totals::default()
    };
    assert_eq!(view.groups.len(), 2);
    assert_eq!(
        (view.groups[0].group.as_str(), view.groups[0].totals),
        ("site-a", site_a)
    );
    assert_eq!(
        (view.groups[1].group.as_str(), view.groups[1].totals),
        ("site-b", site_b)
    );
    assert_eq!(view.totals.members, 3);
    assert_eq!(view.totals.upses, 9);
    assert_eq!(view.totals.upses_down, 5);
    assert_eq!(view.totals.upses_on_battery, 2);

    let config = RegistryConfig {
        low_runtime: Duration::from_secs(1800),
        discovery_hosts: vec!["a.example".into()],
        ..RegistryConfig::default()
    };
    let mut r = Registry::try_new(config).unwrap();
    let (_, lease) = join(&mut r, "site-a", "a", None, t(0));
    r.heartbeat(&mut heartbeat("site-a", "a", &lease), ip(1), t(0), &key())
        .unwrap();
    assert_eq!(r.fleet(t(0)).totals.upses_low_runtime, 1, "rack-b's 1200 s");

    let member = r.member(&group("site-a"), &id("a"), t(0)).unwrap();
    assert_eq!((member.member_number, member.health), (1, MemberHealth::Up));
    assert_eq!(member.devices[2].name.as_str(), "rack-b");
    assert_eq!(
        r.targets(),
        vec![Target {
            group: group("site-a"),
            identity: id("a"),
            member_number: 1,
            scrape_target: "a.example:9199".into(),
        }]
    );
}

#[derive(Debug, Clone)]
enum Op {
    Register { group: u8, member: u8, lease: u8 },
    Heartbeat { group: u8, member: u8 },
    Remove { group: u8, member: u8 },
    Wait { seconds: u64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..2u8, 0..5u8, 0..3u8).prop_map(|(group, member, lease)| Op::Register { group, member, lease }),
        3 => (0..2u8, 0..5u8).prop_map(|(group, member)| Op::Heartbeat { group, member }),
        1 => (0..2u8, 0..5u8).prop_map(|(group, member)| Op::Remove { group, member }),
        2 => (0..100u64).prop_map(|seconds| Op::Wait { seconds }),
    ]
}

proptest! {
    #[test]
    fn numbers_stay_unique_and_monotonic(ops in proptest::collection::vec(op(), 1..80)) {
        use std::collections::{BTreeMap, HashMap};
        let config = RegistryConfig { max_members: 6, ..RegistryConfig::default() };
        let mut r = Registry::try_new(config).unwrap();
        let mut now = 0;
        let mut leases: HashMap<(u8, u8), String> = HashMap::new();
        let mut highest: BTreeMap<u8, u32> = BTreeMap::new();
        let mut numbers: HashMap<(u8, u8), u32> = HashMap::new();
        let name = |g: u8, m: u8| (format!("g{g}"), format!("m{m}"));
        for op in ops {
            match op {
                Op::Register { group: g, member: m, lease } => {
                    let (gn, mn) = name(g, m);
                    let presented = match lease {
                        0 => None,
                        1 => leases.get(&(g, m)).cloned(),
                        _ => Some("wrong".to_owned()),
                    };
                    let got = r.register(&request(&gn, &mn, presented.as_deref()), ip(m), t(now), &key());
                    if let Ok(reg) = got {
                        let n = reg.response.member_number;
                        if reg.is_new {
                            prop_assert!(n > highest.get(&g).copied().unwrap_or(0), "new numbers grow");
                            highest.insert(g, n);
                        } else {
                            prop_assert_eq!(numbers.get(&(g, m)), Some(&n), "known identities keep theirs");
                        }
                        numbers.insert((g, m), n);
                        leases.insert((g, m), reg.response.lease);
                    }
                }
                Op::Heartbeat { group: g, member: m } => {
                    let (gn, mn) = name(g, m);
                    let lease = leases.get(&(g, m)).cloned().unwrap_or_else(|| "none".into());
                    let _ = r.heartbeat(&mut heartbeat(&gn, &mn, &lease), ip(m), t(now), &key());
                }
                Op::Remove { group: g, member: m } => {
                    let (gn, mn) = name(g, m);
                    if r.remove(&group(&gn), &id(&mn)) {
                        numbers.remove(&(g, m));
                        leases.remove(&(g, m));
                    }
                }
                Op::Wait { seconds } => now += seconds,
            }
            for g in 0..2u8 {
                let live = r.numbers(&group(&format!("g{g}")));
                let mut seen: Vec<u32> = live.values().copied().collect();
                seen.sort_unstable();
                seen.dedup();
                prop_assert_eq!(seen.len(), live.len(), "unique within the group");
            }
            prop_assert!(r.len() <= 6);
        }
    }
}

/// A member holding the ingest token must not be able to send the plane's Prometheus to an
/// address of its choosing: only its own address, the listed networks and the listed names.
#[test]
fn scrape_targets_are_kept_only_for_the_members_own_address_or_listed_ones() {
    let config = RegistryConfig {
        discovery_networks: vec!["10.20.0.0/16".parse().unwrap()],
        discovery_hosts: vec!["ups-gw.example".into()],
        ..RegistryConfig::default()
    };
    let cases = [
        ("192.0.2.1:9955", ip(1), true),
        ("192.0.2.1:9955", ip(2), false),
        ("10.20.3.4:9955", ip(1), true),
        ("10.21.0.1:9955", ip(1), false),
        ("169.254.169.254:80", ip(1), false),
        ("127.0.0.1:6379", ip(1), false),
        ("UPS-GW.example:9955", ip(1), true),
        ("evil.example:9955", ip(1), false),
        ("[2001:db8::1]:9955", "2001:db8::1".parse().unwrap(), true),
        ("[2001:db8::1]:9955", ip(1), false),
        // An IPv4 peer seen through an IPv6 socket is the same address.
        ("192.0.2.1:9955", "::ffff:192.0.2.1".parse().unwrap(), true),
    ];
    for (target, peer, is_kept) in cases {
        assert_eq!(
            config.is_listed_target(target, peer),
            is_kept,
            "{target} from {peer}"
        );
    }

    let mut r = Registry::try_new(config).unwrap();
    let mut hostile = request("site-a", "m", None);
    hostile.scrape_target = Some("169.254.169.254:80".into());
    let reg = r.register(&hostile, ip(1), t(0), &key()).unwrap();
    assert_eq!(reg.dropped_target.as_deref(), Some("169.254.169.254:80"));
    let mut own = request("site-a", "n", None);
    own.scrape_target = Some("192.0.2.7:9955".into());
    let reg = r.register(&own, ip(7), t(0), &key()).unwrap();
    assert_eq!(reg.dropped_target, None);
    let listed: Vec<String> = r.targets().into_iter().map(|t| t.scrape_target).collect();
    assert_eq!(
        listed,
        ["192.0.2.7:9955"],
        "the dropped target is not offered to Prometheus"
    );
    let member = r.member(&group("site-a"), &id("m"), t(0)).unwrap();
    assert_eq!(member.scrape_target, None);
}
