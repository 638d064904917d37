//! Mapping tests: units, labels, identity separation, edge values.

use upsight_model::{Quantity as Q, StatusFlag};

use super::*;

fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn percent_becomes_ratio_and_si_values_stay() {
    let r = map(vars(&[
        ("ups.status", "OB DISCHRG"),
        ("battery.charge", "87"),
        ("battery.runtime", "1572"),
        ("battery.voltage.low", "21,52"),
        ("input.voltage", "238.0"),
        ("ups.load", "18"),
        ("ups.power", "120"),
        ("ups.realpower", "95"),
        ("ambient.humidity", "40.5"),
    ]))
    .unwrap();
    assert_eq!(r.value(Q::BatteryCharge), Some(0.87));
    assert_eq!(r.value(Q::BatteryRuntime), Some(1572.0));
    assert_eq!(r.value(Q::InputVoltage), Some(238.0));
    assert_eq!(r.value(Q::Load), Some(0.18));
    assert_eq!(r.value(Q::ApparentPower), Some(120.0));
    assert_eq!(r.value(Q::RealPower), Some(95.0));
    assert_eq!(r.value(Q::AmbientHumidity), Some(0.405));
    assert!(!r.is_real_power_estimated);
    assert!(r.status.has(&StatusFlag::Ob) && r.status.has(&StatusFlag::Dischrg));
}

#[test]
fn real_power_is_estimated_from_nominal_and_load_only_when_missing() {
    let r = map(vars(&[
        ("ups.status", "OL"),
        ("ups.realpower.nominal", "520"),
        ("ups.load", "18"),
    ]))
    .unwrap();
    assert_eq!(r.value(Q::RealPower), Some(93.6));
    assert!(r.is_real_power_estimated);
    let sorted = r.samples.windows(2).all(|w| w[0].quantity <= w[1].quantity);
    assert!(sorted, "samples stay sorted after the insert");
}

#[test]
fn phases_and_outlets_get_labels_and_never_collide() {
    let r = map(vars(&[
        ("ups.status", "OL"),
        ("input.voltage", "230"),
        ("input.L1-N.voltage", "231"),
        ("input.L2-N.voltage", "232"),
        ("input.bypass.L3-N.voltage", "229"),
        ("output.L1.power.percent", "30"),
        ("output.power.percent", "31"),
        ("ups.load", "25"),
        ("outlet.1.current", "0.5"),
        ("outlet.12.realpower", "40"),
        ("outlet.current", "9"),
        ("outlet.1.desc", "Outlet A1"),
    ]))
    .unwrap();
    let find = |q, phase: Option<&str>, outlet: Option<&str>| {
        r.samples
            .iter()
            .find(|s| {
                s.quantity == q && s.phase.as_deref() == phase && s.outlet.as_deref() == outlet
            })
            .map(|s| s.value)
    };
    assert_eq!(find(Q::InputVoltage, None, None), Some(230.0));
    assert_eq!(find(Q::InputVoltage, Some("L1-N"), None), Some(231.0));
    assert_eq!(find(Q::InputBypassVoltage, Some("L3-N"), None), Some(229.0));
    assert_eq!(
        find(Q::Load, None, None),
        Some(0.25),
        "output.power.percent is per phase only"
    );
    assert_eq!(find(Q::Load, Some("L1"), None), Some(0.3));
    assert_eq!(find(Q::OutletCurrent, None, Some("1")), Some(0.5));
    assert_eq!(find(Q::OutletRealPower, None, Some("12")), Some(40.0));
    assert_eq!(find(Q::OutletCurrent, None, None), None);
    let mut keys: Vec<_> = r
        .samples
        .iter()
        .map(|s| (s.quantity, s.phase.clone(), s.outlet.clone()))
        .collect();
    let before = keys.len();
    keys.dedup();
    assert_eq!(before, keys.len(), "no duplicate series");
}

#[test]
fn identity_is_separated_from_info() {
    let r = map(vars(&[
        ("ups.status", "OL"),
        ("device.mfr", "EATON"),
        ("ups.mfr", "ignored"),
        ("ups.model", "5PX"),
        ("device.serial", "SN123"),
        ("device.location", "Rack 4"),
        ("device.contact", "ops@example"),
        ("device.description", "desc"),
        ("device.macaddr", "00:11:22:33:44:55"),
        ("driver.name", "snmp-ups"),
        ("device.type", "ups"),
        ("ups.firmware", " 1.2 "),
    ]))
    .unwrap();
    assert_eq!(r.info.manufacturer, "EATON");
    assert_eq!(r.info.model, "5PX");
    assert_eq!(r.info.firmware, "1.2");
    assert_eq!(r.info.driver, "snmp-ups");
    assert_eq!(r.identity.serial.as_deref(), Some("SN123"));
    assert_eq!(r.identity.location.as_deref(), Some("Rack 4"));
    assert_eq!(r.identity.mac_address.as_deref(), Some("00:11:22:33:44:55"));
    assert_eq!(
        r.raw.len(),
        12,
        "every variable is kept for the analytical path"
    );
}

#[test]
fn wait_empty_and_non_numeric_values() {
    assert_eq!(
        map(vars(&[("ups.status", "WAIT")])).unwrap_err(),
        MappingError::Waiting
    );
    let r = map(vars(&[
        ("ups.status", ""),
        ("battery.charge", "n/a"),
        ("ups.load", ""),
    ]))
    .unwrap();
    assert!(r.status.flags().is_empty());
    assert!(r.samples.is_empty());
    let r = map(vars(&[("battery.charge", "50")])).unwrap();
    assert_eq!(
        r.value(Q::BatteryCharge),
        Some(0.5),
        "no ups.status is no reason to drop values"
    );
}

#[test]
fn every_row_is_reachable_and_unique() {
    let mut seen = std::collections::HashSet::new();
    for row in TABLE {
        assert!(seen.insert(row.var), "duplicate row {}", row.var);
        let (var, phase, outlet) = match row.labels {
            Labels::None | Labels::Phase => (row.var.to_owned(), None, None),
            Labels::PhaseOnly => (row.var.replacen('.', ".L1.", 1), Some("L1"), None),
            Labels::Outlet => (row.var.replacen('.', ".1.", 1), None, Some("1")),
        };
        let s = sample(&var, "1").unwrap_or_else(|| panic!("row {} unreachable", row.var));
        let got = (s.quantity, s.phase.as_deref(), s.outlet.as_deref());
        assert_eq!(got, (row.quantity, phase, outlet));
    }
}
