//! Golden exposition for a fixed snapshot (insta), and structural properties.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use upsight_model::{DeviceState, FailureReason, Outcome, Snapshot, Source, UpsName};

use super::*;
use crate::mapping;

fn device(name: &str, vars: &[(&str, &str)]) -> DeviceState {
    let name: UpsName = name.parse().unwrap();
    let mut state = DeviceState::new(name, Source::Nut);
    let vars = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    state.reading = Some(Arc::new(mapping::nut::map(vars).unwrap()));
    state.outcome = Outcome::Ok;
    state.last_success = Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000));
    state.last_duration = Duration::from_micros(1500);
    state.polls = 10;
    state
}

pub(crate) fn fixed_snapshot() -> Arc<Snapshot> {
    let office = device(
        "office",
        &[
            ("ups.status", "OL CHRG HE"),
            ("battery.charge", "87"),
            ("battery.runtime", "1572"),
            ("input.voltage", "238.0"),
            ("input.L1-N.voltage", "238.5"),
            ("ups.load", "18"),
            ("ups.realpower.nominal", "520"),
            ("outlet.2.current", "0.4"),
            ("device.mfr", "American Power Conversion"),
            ("device.model", "Back-UPS \"ES\" 850G2"),
            ("device.serial", "SERIAL-MUST-NOT-LEAK"),
            ("driver.name", "usbhid-ups"),
            ("device.type", "ups"),
            ("ups.firmware", "938.a2 .I"),
        ],
    );
    let mut stale = device("rack", &[("ups.status", "OB"), ("battery.charge", "50")]);
    stale.outcome = Outcome::Failed {
        reason: FailureReason::Stale,
        detail: "ERR DATA-STALE".into(),
    };
    stale.failures[FailureReason::Stale.index()] = 3;
    let pending = DeviceState::new("new".parse().unwrap(), Source::Nut);
    Arc::new(Snapshot {
        devices: vec![pending, office, stale],
        generation: 7,
        is_ready: true,
        sources: vec![
            upsight_model::SourceHealth {
                name: "nut[0]".into(),
                is_up: Some(true),
            },
            upsight_model::SourceHealth {
                name: "nut[1]".into(),
                is_up: Some(false),
            },
            upsight_model::SourceHealth {
                name: "nut[2]".into(),
                is_up: None,
            },
        ],
    })
}

fn rendered() -> String {
    let mut out = String::new();
    render(&fixed_snapshot(), &mut out).unwrap();
    out.replace(BUILD.revision, "REVISION")
        .replace(BUILD.version, "VERSION")
}

#[test]
fn golden_exposition() {
    insta::assert_snapshot!(rendered());
}

#[test]
fn identity_never_rendered_and_values_only_for_up_devices() {
    let text = rendered();
    assert!(!text.contains("SERIAL-MUST-NOT-LEAK"));
    assert!(text.contains("ups_battery_charge_ratio{ups=\"office\"} 0.87\n"));
    assert!(
        !text.contains("ups_battery_charge_ratio{ups=\"rack\"}"),
        "stale values are not exported"
    );
    assert!(text.contains("ups_up{ups=\"rack\"} 0.0\n"));
    assert!(text.contains("ups_stale{ups=\"rack\"} 1.0\n"));
    assert!(text.contains("ups_up{ups=\"new\"} 0.0\n"));
    assert!(text.contains("ups_status_other{ups=\"office\"} 1.0\n"));
    assert!(
        text.contains("model=\"Back-UPS \\\"ES\\\" 850G2\""),
        "label values are escaped"
    );
    assert!(text.contains("upsight_source_up{source=\"nut[1]\"} 0.0\n"));
    assert!(
        !text.contains("source=\"nut[2]\""),
        "no series before a source's first poll"
    );
    assert!(text.ends_with("# EOF\n"));
}

#[test]
fn fleet_series_only_with_a_fleet_and_every_reason_present() {
    use crate::fleet::{FleetStatus, Reason};
    let status = FleetStatus::default();
    let mut without = String::new();
    render(&fixed_snapshot(), &mut without).unwrap();
    assert!(!without.contains("upsight_fleet"), "no [fleet], no series");
    status.registered(Duration::from_secs(15));
    status.heartbeat_ok(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000));
    status.failed(true, Reason::Connect);
    let mut out = String::new();
    let counters = Arc::new(BTreeMap::new());
    let subsystems = Subsystems {
        fleet: Some(status.counters()),
        ..Subsystems::default()
    };
    render_with(&fixed_snapshot(), counters, subsystems, &mut out).unwrap();
    for line in [
        "# TYPE upsight_fleet_registered gauge\nupsight_fleet_registered 1.0\n",
        "# TYPE upsight_fleet_registrations_sent counter\n",
        "upsight_fleet_registrations_sent_total{result=\"ok\"} 1\n",
        "upsight_fleet_registrations_sent_total{result=\"error\"} 0\n",
        "upsight_fleet_heartbeats_sent_total{result=\"ok\"} 1\n",
        "upsight_fleet_heartbeats_sent_total{result=\"error\"} 1\n",
        "upsight_fleet_request_failures_total{reason=\"connect\"} 1\n",
        "upsight_fleet_request_failures_total{reason=\"invalid_response\"} 0\n",
        "upsight_fleet_last_heartbeat_success_timestamp_seconds 1700000000.0\n",
        "upsight_fleet_heartbeat_interval_seconds 15.0\n",
    ] {
        assert!(out.contains(line), "{line:?} missing from:\n{out}");
    }
    let reasons = out.matches("upsight_fleet_request_failures_total{").count();
    assert_eq!(reasons, Reason::ALL.len(), "every reason, zeros included");
    assert!(out.contains("# HELP upsight_fleet_registered "));
    assert!(out.ends_with("# EOF\n"));
}

#[test]
fn analytics_series_only_with_analytics() {
    let mut without = String::new();
    render(&fixed_snapshot(), &mut without).unwrap();
    assert!(!without.contains("analytics"), "no [analytics], no series");
    let subsystems = Subsystems {
        analytics: Some(AnalyticsCounters {
            is_up: false,
            queued_rows: 120,
            capacity_rows: 1000,
            inserted_rows: 5000,
            dropped_rows: 7,
            failures: 3,
        }),
        ..Subsystems::default()
    };
    let mut out = String::new();
    render_with(
        &fixed_snapshot(),
        Arc::new(BTreeMap::new()),
        subsystems,
        &mut out,
    )
    .unwrap();
    for line in [
        "upsight_subsystem_up{subsystem=\"analytics\"} 0.0\n",
        "upsight_analytics_rows_inserted_total 5000\n",
        "upsight_analytics_rows_dropped_total 7\n",
        "upsight_analytics_failures_total 3\n",
        "upsight_analytics_queue_rows 120.0\n",
        "upsight_analytics_queue_capacity_rows 1000.0\n",
    ] {
        assert!(out.contains(line), "{line} missing from\n{out}");
    }
}

#[test]
fn devices_meet_their_counters_in_or_out_of_name_order() {
    let counters_of = |seconds: f64| DeviceCounters {
        on_battery_seconds: seconds,
        ..DeviceCounters::default()
    };
    let counters: BTreeMap<UpsName, DeviceCounters> = [("a", 1.0), ("c", 3.0), ("d", 4.0)]
        .into_iter()
        .map(|(n, s)| (n.parse().unwrap(), counters_of(s)))
        .collect();
    let devices = |names: &[&str]| -> Vec<DeviceState> {
        names
            .iter()
            .map(|n| DeviceState::new(n.parse().unwrap(), Source::Nut))
            .collect()
    };
    let paired = |devices: &[DeviceState]| -> Vec<(String, f64)> {
        with_counters(devices, &counters)
            .into_iter()
            .map(|(d, c)| (d.name.to_string(), c.on_battery_seconds))
            .collect()
    };
    let expected = vec![("a".into(), 1.0), ("c".into(), 3.0), ("d".into(), 4.0)];
    assert_eq!(paired(&devices(&["a", "b", "c", "d", "e"])), expected);
    // Out of order (the snapshot sorts, but nothing breaks if it did not).
    let shuffled = paired(&devices(&["d", "b", "a", "e", "c"]));
    assert_eq!(
        shuffled,
        vec![("d".into(), 4.0), ("a".into(), 1.0), ("c".into(), 3.0)]
    );
    assert!(paired(&devices(&["b", "e"])).is_empty());
}
