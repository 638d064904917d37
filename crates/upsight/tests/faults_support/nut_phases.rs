//! The NUT phases of the fault-injection test: start-up, slow and stalled servers, a reset in
//! the middle of a list, a DATA-STALE storm, a driver restart and upsd's connection cap.

use upsight_sim::{Fault, ServerFault};

use super::rig::*;
use super::*;

pub(crate) fn startup(rig: &Rig) {
    let mut names = vec!["good", "bad1", "bad2", "bad3", "apc", "plant"];
    if rig.upsd.is_some() {
        names.push("real");
    }
    rig.wait(
        "every device up, registered with the plane",
        Duration::from_secs(30),
        |b| {
            all_up(b, &names)
                && sample(b, "upsight_fleet_registered", &[]) == Some(1.0)
                && heartbeats_ok(b) >= 1.0
        },
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while !rig.state_file.exists() {
        assert!(Instant::now() < deadline, "no state file on the tmpfs");
        std::thread::sleep(Duration::from_millis(100));
    }
    rig.sampler.lock().is_armed = true;
    rig.phase("baseline");
    rig.hold(Duration::from_secs(2));
    let (rss, fds) = rss_and_fds(rig.exporter.child.id()).unwrap();
    eprintln!("baseline: RSS {rss} KiB, {fds} descriptors");
    let mut shared = rig.sampler.lock();
    shared.baseline_rss_kib = Some(rss);
    shared.baseline_fds = fds;
}

pub(crate) fn bad_recovered(rig: &Rig, after: &str) {
    rig.recover(&format!("bad1..bad3 up again after {after}"), |b| {
        all_up(b, &BAD)
    });
}

/// Replies 500 ms late: inside the 800 ms poll deadline, so polls are slow, not failed.
pub(crate) fn nut_slow(rig: &Rig) {
    rig.phase("nut-slow");
    rig.faulty
        .set_server_fault(Some(ServerFault::SlowReplies(Duration::from_millis(500))));
    rig.wait("bad1's polls take 0.5 s", SHOWS, |b| {
        sample(b, "upsight_poll_duration_seconds", &[("ups", "bad1")]).is_some_and(|d| d >= 0.45)
    });
    rig.hold(HOLD);
    rig.faulty.set_server_fault(None);
    bad_recovered(rig, "slow replies");
}

/// Accepts and reads but never answers: every poll runs into its deadline.
pub(crate) fn nut_tarpit(rig: &Rig) {
    rig.phase("nut-tarpit");
    let before = rig.failures("bad1", "timeout");
    rig.faulty.set_server_fault(Some(ServerFault::Silent));
    rig.wait("bad1 down with a timeout", SHOWS, |b| {
        up(b, "bad1") == Some(0.0) && failures(b, "bad1", "timeout") > before
    });
    rig.hold(HOLD);
    rig.faulty.set_server_fault(None);
    bad_recovered(rig, "the tarpit");
}

/// A `LIST VAR` that never ends (cut by the exporter's limits or the sim's cap), then
/// connections closed right after the request.
pub(crate) fn nut_reset_mid_list(rig: &Rig) {
    rig.phase("nut-reset-list");
    rig.faulty.set_server_fault(Some(ServerFault::EndlessList));
    rig.wait("bad1 down during an endless LIST", SHOWS, |b| {
        up(b, "bad1") == Some(0.0)
    });
    rig.hold(HOLD);
    rig.faulty
        .set_server_fault(Some(ServerFault::DropConnections));
    rig.hold(HOLD);
    rig.faulty.set_server_fault(None);
    bad_recovered(rig, "reset connections");
}

/// Every UPS of the faulty server flips between DATA-STALE and fresh every 150 ms, then
/// stays stale: the server stays reachable and only those UPSes are down.
pub(crate) fn stale_storm(rig: &Rig) {
    rig.phase("stale-storm");
    for i in 0..20 {
        let fault = (i % 2 == 0).then_some(Fault::Stale);
        for ups in BAD {
            assert!(rig.faulty.set_fault(ups, fault));
        }
        std::thread::sleep(Duration::from_millis(150));
    }
    for ups in BAD {
        rig.faulty.set_fault(ups, Some(Fault::Stale));
    }
    let body = rig.wait("bad1..bad3 stale", SHOWS, |b| {
        BAD.iter()
            .all(|u| sample(b, "ups_stale", &[("ups", u)]) == Some(1.0))
    });
    let source_up = sample(&body, "upsight_source_up", &[("source", "nut[1]")]);
    rig.ensure(source_up == Some(1.0), || {
        format!("a server that answers DATA-STALE is up: {source_up:?}")
    });
    rig.hold(HOLD);
    for ups in BAD {
        rig.faulty.set_fault(ups, None);
    }
    bad_recovered(rig, "the stale storm");
}

/// bad2's driver disconnects (simulated), and the real dummy-ups is killed and restarted.
pub(crate) fn driver_restart(rig: &mut Rig) {
    rig.phase("driver-restart");
    rig.faulty
        .set_fault("bad2", Some(Fault::DriverNotConnected));
    if let Some((upsd, _)) = rig.upsd.as_mut() {
        upsd.kill_driver();
    }
    let has_real = rig.upsd.is_some();
    rig.wait("bad2 (and real) down, driver not connected", SHOWS, |b| {
        up(b, "bad2") == Some(0.0)
            && (!has_real || up(b, "real") == Some(0.0))
            && failures(b, "bad2", "driver_not_connected") >= 1.0
    });
    let body = rig.scrape();
    rig.ensure(all_up(&body, &["bad1", "bad3"]), || {
        "one UPS's driver is that UPS's problem: bad1 or bad3 is down".into()
    });
    rig.hold(HOLD);
    rig.faulty.set_fault("bad2", None);
    if let Some((upsd, _)) = rig.upsd.as_mut() {
        upsd.restart_driver();
    }
    rig.recover("bad2 and real up after the driver restart", |b| {
        up(b, "bad2") == Some(1.0) && (!has_real || up(b, "real") == Some(1.0))
    });
}

/// upsd takes three clients. Two others share it with the exporter; a fourth waits. When the
/// exporter's connection is cut, the waiting client takes its slot and the exporter waits in
/// upsd's backlog (a timeout), until the others leave.
pub(crate) fn connection_limit(rig: &Rig) {
    let Some((upsd, relay)) = rig.upsd.as_ref() else {
        eprintln!("connection-limit phase skipped: no real upsd");
        return;
    };
    let addr = upsd.addr;
    rig.phase("upsd-3-conns");
    let mut others = vec![NutClient::connect(addr), NutClient::connect(addr)];
    for (i, other) in others.iter_mut().enumerate() {
        let answer = other.answer(Duration::from_secs(2));
        rig.ensure(
            answer.as_deref().is_some_and(|a| a.contains("upsd")),
            || format!("client {i} shares upsd with the exporter: {answer:?}"),
        );
    }
    let mut waiting = NutClient::connect(addr);
    let answer = waiting.answer(Duration::from_millis(700));
    rig.ensure(answer.is_none(), || {
        format!(
            "the exporter holds exactly one of the three slots, yet a fourth client got {answer:?}"
        )
    });
    let stamp = last_success(&rig.scrape(), "real");
    rig.wait("real keeps polling beside two other clients", SHOWS, |b| {
        last_success(b, "real") > stamp
    });
    let before = rig.failures("real", "timeout");
    relay.cut();
    let answer = waiting.answer(Duration::from_secs(3));
    rig.ensure(
        answer.as_deref().is_some_and(|a| a.contains("upsd")),
        || format!("the waiting client gets the exporter's slot: {answer:?}"),
    );
    others.push(waiting);
    rig.wait("real down: upsd is full", SHOWS, |b| {
        up(b, "real") == Some(0.0) && failures(b, "real", "timeout") > before
    });
    rig.hold(HOLD);
    drop(others);
    rig.recover("real up once a slot is free", |b| {
        up(b, "real") == Some(1.0)
    });
}
