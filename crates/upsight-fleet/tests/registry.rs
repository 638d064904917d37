//! The registry's rules end to end through the public API: numbers, leases, health, conflicts
//! and views. The state file, fleet totals and the model-based test are in `registry_state.rs`.
#![allow(clippy::unwrap_used)] // test helpers may panic: a panic is a test failure

mod registry_support;

use std::time::Duration;

use registry_support::*;
use upsight_fleet::{
    FleetState, HeartbeatError, MemberHealth, RegisterError, Registry, RegistryConfig,
};

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
