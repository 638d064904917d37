//! The registry through its state file and views: the store round trip, fleet totals from the
//! golden heartbeat, a model-based sequence of operations, and which scrape targets are kept.
#![allow(clippy::unwrap_used)] // test helpers may panic: a panic is a test failure

mod registry_support;

use std::time::Duration;

use proptest::prelude::*;
use registry_support::*;
use upsight_fleet::{FleetState, LeaseKey, MemberHealth, Registry, RegistryConfig, Target, Totals};
use upsight_store::Store;

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
