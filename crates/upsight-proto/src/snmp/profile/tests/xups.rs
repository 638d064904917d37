//! Eaton XUPS: precedence over the UPS-MIB, three-phase tables, status values.

use super::*;

fn xups(s: &str) -> String {
    format!("1.3.6.1.4.1.534.1.{s}")
}

#[test]
fn xups_seconds_win_over_ups_mib_minutes_and_ups_mib_fills_gaps() {
    let values = [
        text(&xups("1.1.0"), "EATON"),
        text(XUPS_MODEL, "9PX 2200i   "),
        int(&xups("2.1.0"), 1948),
        int("1.3.6.1.2.1.33.1.2.3.0", 32),
        int(&xups("2.2.0"), 39),
        int("1.3.6.1.2.1.33.1.2.5.0", 412),
        int("1.3.6.1.2.1.33.1.2.7.0", 24),
        int(&xups("3.1.0"), 499),
        int(&xups("4.2.0"), 500),
        int(&xups("10.4.0"), 600),
        text(U_MFR, "Eaton Corporation"),
    ];
    assert_vars(
        &decoded(&EATON_XUPS, &values),
        &[
            ("battery.runtime", Some("1948")),
            ("battery.voltage", Some("39")),
            ("battery.temperature", Some("24")),
            ("input.frequency", Some("49.9")),
            ("output.frequency", Some("50")),
            ("output.frequency.nominal", Some("60")),
            ("device.mfr", Some("EATON")),
            ("ups.mfr", Some("EATON")),
            ("device.model", Some("9PX 2200i")),
            ("driver.name", Some("snmp-eaton-xups")),
        ],
    );
    let minutes_only = [
        text(XUPS_MODEL, "PW9130"),
        int("1.3.6.1.2.1.33.1.2.3.0", 999),
    ];
    assert_vars(
        &decoded(&EATON_XUPS, &minutes_only),
        &[("battery.runtime", Some("59940"))],
    );
}

#[test]
fn xups_three_phase_tables() {
    let mut values = vec![text(XUPS_MODEL, "93E"), int(&xups("4.3.0"), 3)];
    for line in 1..=3_i64 {
        values.push(int(&xups(&format!("3.4.1.2.{line}")), 226 + line));
        values.push(int(&xups(&format!("4.4.1.2.{line}")), 220));
        values.push(int(
            &xups(&format!("4.4.1.3.{line}")),
            [27, 18, 15][line as usize - 1],
        ));
        values.push(int(
            &xups(&format!("4.4.1.4.{line}")),
            [5100, 3600, 2700][line as usize - 1],
        ));
        values.push(int(&format!("1.3.6.1.2.1.33.1.4.4.1.3.{line}"), 999));
        values.push(int(&format!("1.3.6.1.2.1.33.1.4.4.1.5.{line}"), 10 * line));
    }
    assert_vars(
        &decoded(&EATON_XUPS, &values),
        &[
            ("input.L2-N.voltage", Some("228")),
            ("output.L1.current", Some("27")),
            ("output.L3.current", Some("15")),
            ("output.L2.realpower", Some("3600")),
            ("ups.realpower", Some("11400")),
            ("output.L3.power.percent", Some("30")),
            ("ups.load", Some("30")),
            ("output.voltage", None),
        ],
    );
}

fn xups_status(extra: &[(Oid, Value)]) -> Option<String> {
    let mut values = vec![text(XUPS_MODEL, "PW9130")];
    values.extend_from_slice(extra);
    decoded(&EATON_XUPS, &values)
        .get("ups.status")
        .map(str::to_owned)
}

#[test]
fn xups_output_source_abm_and_alarm_values() {
    let sources = [
        (1, None),
        (2, Some("OFF")),
        (3, Some("OL")),
        (4, Some("OL BYPASS")),
        (5, Some("OB")),
        (6, Some("OL BOOST")),
        (7, Some("OL TRIM")),
        (8, Some("OL")),
        (9, Some("OL")),
        (10, Some("OL ECO")),
        (11, None),
    ];
    for (value, want) in sources {
        assert_eq!(
            xups_status(&[int(XUPS_SOURCE, value)]).as_deref(),
            want,
            "source {value}"
        );
    }
    for (value, want) in [
        (1, "OL CHRG"),
        (2, "OL DISCHRG"),
        (3, "OL"),
        (4, "OL"),
        (5, "OL"),
    ] {
        let status = xups_status(&[int(XUPS_SOURCE, 3), int(&xups("2.5.0"), value)]);
        assert_eq!(status.as_deref(), Some(want), "abm {value}");
    }
    let want = |k: u32| match k {
        3 => "OL OB",
        4 => "OL LB",
        7 => "OL OVER",
        11 | 44 => "OL BYPASS",
        13 | 24 => "OFF OL",
        23 => "OL RB",
        5 | 6 | 17 => "OL",
        _ => "OL ALARM",
    };
    for k in 1..=45 {
        let alarm = oid_value(&xups("7.2.1.2.9"), &xups(&format!("7.{k}")));
        let status = xups_status(&[int(XUPS_SOURCE, 3), alarm]);
        assert_eq!(status.as_deref(), Some(want(k)), "xups alarm {k}");
    }
}
