//! Fault injection against the real `upsight exporter` binary (issue 9 part 2). One exporter
//! watches a healthy NUT simulator (`good`), a NUT simulator that gets every server and device
//! fault (`bad1`..`bad3`), a real upsd 2.8 capped at three clients behind a relay the test can
//! cut (`real`), two SNMP devices on one simulated agent (`apc` gets the faults, `plant` not),
//! and heartbeats to a real `upsight fleet` plane; its state directory is a 2 MiB tmpfs and its
//! wall clock runs through libfaketime. Phase by phase the test injects a fault, waits until it
//! shows, holds it, removes it and waits for recovery, while a sampler checks every 250 ms that
//! `good` and `plant` keep polling, `/metrics` and `/healthz` answer 200 within 2 s, and the
//! process's RSS and descriptors stay bounded. Loopback only, every loop bounded, about a
//! minute.

#![allow(clippy::unwrap_used)] // test helpers may panic: a panic is a test failure

mod faults_support;

use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use faults_support::nut_phases::*;
use faults_support::rig::*;
use faults_support::*;
use upsight_sim::snmp::{SnmpFault, demo_agent};
use upsight_sim::{Device, Simulator};

#[test]
fn under_every_fault_the_others_keep_polling_and_everything_recovers_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let disk_dir = dir.path().join("disk");
    std::fs::create_dir_all(&disk_dir).unwrap();
    let disk = match Mount::tmpfs(&disk_dir, "2m") {
        Ok(mount) => mount,
        Err(e) => {
            missing(&format!(
                "a tmpfs for the state directory (needs root): {e}"
            ));
            return;
        }
    };
    let faketime = faketime_library();
    if faketime.is_none() {
        missing("libfaketime (apt-get install faketime) for the wall-clock jump phase");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let device = |text: &str| Device::parse(text).unwrap();
    let good = runtime
        .block_on(
            Simulator::new()
                .with_device("good".into(), device(GOOD_DEV))
                .bind("127.0.0.1:0"),
        )
        .unwrap();
    let faulty = BAD.iter().fold(Simulator::new(), |sim, name| {
        sim.with_device((*name).into(), device(BAD_DEV))
    });
    let faulty = runtime.block_on(faulty.bind("127.0.0.1:0")).unwrap();
    let snmp = runtime.block_on(demo_agent().bind("127.0.0.1:0")).unwrap();
    let upsd = Upsd::start("real", REAL_DEV, 3).map(|upsd| {
        let relay = Relay::start(&runtime, upsd.addr);
        (upsd, relay)
    });
    let plane_dir = dir.path().join("plane");
    std::fs::create_dir_all(&plane_dir).unwrap();
    let plane_port = free_port();
    let plane = Plane::start(plane_port, &plane_dir);

    let clock_file = dir.path().join("faketime.rc");
    write_file(&clock_file, "+0\n");
    let port = free_port();
    let state_dir = disk.path.join("state");
    let config = exporter_config(
        dir.path(),
        port,
        &state_dir,
        (&good, &faulty, &snmp),
        upsd.as_ref().map(|(_, relay)| relay.addr),
        plane_port,
    );
    let clock = faketime.as_deref().map(|lib| (lib, clock_file.as_path()));
    let exporter = start_exporter(dir.path(), &config, port, clock);
    let sampler = Sampler::start(exporter.addr, exporter.child.id(), BOUNDS, TRACKED);
    let mut rig = Rig {
        exporter,
        sampler,
        _good: good,
        faulty,
        snmp,
        upsd,
        plane,
        disk,
        state_file: state_dir.join("exporter.json"),
        clock: faketime.map(|_| clock_file),
        started: Instant::now(),
    };
    startup(&rig);
    nut_slow(&rig);
    nut_tarpit(&rig);
    nut_reset_mid_list(&rig);
    stale_storm(&rig);
    driver_restart(&mut rig);
    connection_limit(&rig);
    snmp_faults(&rig);
    plane_down(&mut rig);
    disk_full(&rig);
    clock_jump(&rig);
    finish(&mut rig);
}

/// The agent answers apc after the request timed out, then with the wrong request id.
fn snmp_faults(rig: &Rig) {
    rig.phase("snmp-late");
    let before = rig.failures("apc", "timeout");
    rig.snmp.set_fault(
        "closet-apc",
        Some(SnmpFault::Late(Duration::from_millis(500))),
    );
    rig.wait("apc down with a timeout", SHOWS, |b| {
        up(b, "apc") == Some(0.0) && failures(b, "apc", "timeout") > before
    });
    rig.hold(HOLD);
    rig.phase("snmp-wrong-id");
    let before = rig.failures("apc", "protocol");
    rig.snmp
        .set_fault("closet-apc", Some(SnmpFault::WrongRequestId));
    rig.wait("apc failing on wrong request ids", SHOWS, |b| {
        up(b, "apc") == Some(0.0) && failures(b, "apc", "protocol") > before
    });
    rig.hold(HOLD);
    rig.snmp.set_fault("closet-apc", None);
    rig.recover("apc up again", |b| up(b, "apc") == Some(1.0));
}

/// The plane is killed with SIGKILL and comes back on the same port and state later.
fn plane_down(rig: &mut Rig) {
    rig.phase("plane-killed");
    let refused = |b: &str| {
        let labels = [("reason", "connect")];
        sample(b, "upsight_fleet_request_failures_total", &labels).unwrap_or(0.0)
    };
    let before = refused(&rig.scrape());
    rig.plane.kill();
    rig.wait("heartbeats failing to connect", SHOWS, |b| {
        refused(b) > before
    });
    rig.hold(HOLD);
    let ok = heartbeats_ok;
    let ok_before = ok(&rig.scrape());
    let restarted = Instant::now();
    rig.plane.restart();
    rig.wait(
        "heartbeats accepted by the restarted plane",
        RECOVERY,
        |b| ok(b) > ok_before && sample(b, "upsight_fleet_registered", &[]) == Some(1.0),
    );
    rig.recovered(restarted);
}

fn mtime(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn saved_state_is_valid(rig: &Rig, when: &str) {
    let text = std::fs::read_to_string(&rig.state_file).unwrap_or_default();
    let parsed: Result<serde_json::Value, _> = serde_json::from_str(&text);
    rig.ensure(parsed.is_ok_and(|v| v["version"] == 1), || {
        format!("{when}: the state file is not a valid state: {text:?}")
    });
}

/// The tmpfs under the state file fills up (ENOSPC), then is freed.
fn disk_full(rig: &Rig) {
    rig.phase("disk-full");
    let count = |log: &str| log.matches(SAVE_FAILED).count();
    let failed_before = count(&rig.log());
    let filled = rig.disk.fill("filler");
    eprintln!("filled the tmpfs with {filled} bytes");
    let deadline = Instant::now() + SHOWS;
    while count(&rig.log()) <= failed_before {
        if Instant::now() >= deadline {
            rig.fail("no failed save logged on a full disk");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    // The log says why: the operating system's error, not only "check free space".
    if !rig.log().contains("No space left on device") {
        rig.fail("the failed save's log line does not give its cause");
    }
    saved_state_is_valid(rig, "disk full");
    rig.hold(HOLD);
    saved_state_is_valid(rig, "disk full");
    std::fs::remove_file(rig.disk.path.join("filler")).unwrap();
    let freed = SystemTime::now();
    let freed_at = Instant::now();
    let deadline = Instant::now() + RECOVERY;
    while mtime(&rig.state_file).is_none_or(|m| m <= freed) {
        if Instant::now() >= deadline {
            rig.fail("the state file was not saved again after the disk was freed");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    rig.recovered(freed_at);
    saved_state_is_valid(rig, "disk freed");
    let state_dir = rig.state_file.parent().unwrap();
    let leftovers: Vec<String> = std::fs::read_dir(state_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    rig.ensure(leftovers.is_empty(), || {
        format!("failed saves left temp files: {leftovers:?}")
    });
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// The exporter's wall clock jumps a day ahead, then an hour behind real time, then back.
fn clock_jump(rig: &Rig) {
    let Some(file) = rig.clock.as_ref() else {
        eprintln!("clock-jump phase skipped: no libfaketime");
        return;
    };
    let ok = heartbeats_ok;
    for (name, setting, offset) in [
        ("clock+1d", "+1d", ONE_DAY),
        ("clock-1h", "-1h", -3600.0),
        ("clock-back", "+0", 0.0),
    ] {
        rig.phase(name);
        let heartbeats = ok(&rig.scrape());
        let saved = mtime(&rig.state_file);
        write_file(file, &format!("{setting}\n"));
        rig.wait(
            &format!("good polled at real time {offset:+} s"),
            SHOWS,
            |b| last_success(b, "good").is_some_and(|t| (t - (unix_now() + offset)).abs() < 5.0),
        );
        rig.hold(HOLD);
        rig.read_history(name);
        rig.wait(
            "heartbeats still accepted, state still saved",
            RECOVERY,
            |b| ok(b) > heartbeats && all_up(b, &["good", "plant", "apc", "bad1"]),
        );
        rig.ensure(mtime(&rig.state_file) > saved, || {
            format!("{name}: the state file is no longer saved")
        });
    }
}

fn finish(rig: &mut Rig) {
    rig.phase("after");
    rig.hold(Duration::from_secs(2));
    let mut names = vec!["good", "bad1", "bad2", "bad3", "apc", "plant"];
    if rig.upsd.is_some() {
        names.push("real");
    }
    let body = rig.wait("everything up at the end", RECOVERY, |b| all_up(b, &names));
    rig.read_history("after every fault");
    let energy = sample(&body, "ups_energy_joules_total", &[("ups", "good")]).unwrap_or(0.0);
    // 300 W for the whole run at most: a wall-clock jump must not add energy.
    let bound = 300.0 * (rig.started.elapsed().as_secs_f64() + 40.0);
    rig.ensure(energy > 0.0 && energy <= bound, || {
        format!("good's energy {energy} J is not within (0, {bound}] J")
    });
    let baseline = rig.sampler.lock().baseline_fds;
    let fds = rss_and_fds(rig.exporter.child.id()).map_or(0, |(_, fds)| fds);
    rig.ensure(fds <= baseline + 10, || {
        format!("{fds} descriptors at the end, {baseline} at baseline")
    });
    let log = rig.log();
    rig.ensure(!log.contains("panicked"), || "the exporter panicked".into());
    rig.sampler.stop();
    rig.check();
    eprintln!("{}", rig.sampler.table());
    eprintln!("good's energy counter: {energy:.0} J (bound {bound:.0} J)");
    eprintln!("exporter WARN/ERROR lines:\n{}", log_summary(&log));
    signal(rig.exporter.child.id(), "-TERM");
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = rig.exporter.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "no exit within 15 s of SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        status.success(),
        "SIGTERM after every fault exits 0: {status:?}"
    );
}
