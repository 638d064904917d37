//! UPS-MIB (RFC 1628): scaling, sentinels, status values, alarms, 1-line vs 3-line tables.

use super::*;

#[test]
fn ups_mib_scales_by_the_rfc() {
    let u = |s: &str| format!("1.3.6.1.2.1.33.1.{s}");
    let values = [
        int(&u("4.1.0"), 3),
        int(&u("2.3.0"), 41),
        int(&u("2.4.0"), 100),
        int(&u("2.5.0"), 2287),
        int(&u("2.6.0"), -15),
        int(&u("2.7.0"), -5),
        int(&u("4.2.0"), 499),
        int(&u("5.1.0"), 500),
        int(&u("9.2.0"), 600),
        int(&u("9.5.0"), 3000),
        int(&u("9.7.0"), 2),
        int(&u("9.9.0"), 160),
    ];
    assert_vars(
        &decoded(&UPS_MIB, &values),
        &[
            ("battery.runtime", Some("2460")),
            ("battery.charge", Some("100")),
            ("battery.voltage", Some("228.7")),
            ("battery.current", Some("-1.5")),
            ("battery.temperature", Some("-5")),
            ("output.frequency", Some("49.9")),
            ("input.bypass.frequency", Some("50")),
            ("input.frequency.nominal", Some("60")),
            ("ups.power.nominal", Some("3000")),
            ("battery.runtime.low", Some("120")),
            ("input.transfer.low", Some("160")),
            ("ups.status", Some("OL")),
            ("driver.name", Some("snmp-ups-mib")),
        ],
    );
}

#[test]
fn ups_mib_sentinels_are_absent_but_capped_minutes_are_kept() {
    let u = |s: &str| format!("1.3.6.1.2.1.33.1.{s}");
    let unsupported = [
        int(U_SOURCE, 3),
        int(&u("2.3.0"), -1),
        int(&u("2.4.0"), -1),
        int(&u("2.5.0"), -1),
        int(&u("2.7.0"), -1),
        ticks(&u("2.6.0"), u32::MAX),
    ];
    assert_vars(
        &decoded(&UPS_MIB, &unsupported),
        &[
            ("battery.runtime", None),
            ("battery.charge", None),
            ("battery.voltage", None),
            ("battery.temperature", None),
            ("battery.current", None),
        ],
    );
    let capped = [
        int(U_SOURCE, 3),
        int(&u("2.3.0"), 999),
        ticks(&u("2.2.0"), 0),
    ];
    assert_vars(
        &decoded(&UPS_MIB, &capped),
        &[("battery.runtime", Some("59940"))],
    );
    // A TimeTicks answer is hundredths of a second whatever the object (Ingrasys).
    let ticked = [int(U_SOURCE, 3), ticks(&u("2.3.0"), 12_345)];
    assert_vars(
        &decoded(&UPS_MIB, &ticked),
        &[("battery.runtime", Some("123.45"))],
    );
}

fn ups_mib_status(extra: &[(Oid, Value)]) -> Option<String> {
    let mut values = vec![text(U_MFR, "ACME")];
    values.extend_from_slice(extra);
    decoded(&UPS_MIB, &values)
        .get("ups.status")
        .map(str::to_owned)
}

#[test]
fn ups_mib_output_source_and_battery_status_values() {
    let sources = [
        (1, None),
        (2, Some("OFF")),
        (3, Some("OL")),
        (4, Some("OL BYPASS")),
        (5, Some("OB")),
        (6, Some("OL BOOST")),
        (7, Some("OL TRIM")),
        (8, None),
    ];
    for (value, want) in sources {
        assert_eq!(
            ups_mib_status(&[int(U_SOURCE, value)]).as_deref(),
            want,
            "source {value}"
        );
    }
    let battery = "1.3.6.1.2.1.33.1.2.1.0";
    for (value, want) in [(1, "OB"), (2, "OB"), (3, "OB LB"), (4, "OB LB")] {
        let status = ups_mib_status(&[int(U_SOURCE, 5), int(battery, value)]);
        assert_eq!(status.as_deref(), Some(want), "battery {value}");
    }
    let test = "1.3.6.1.2.1.33.1.7.3.0";
    for value in 1..=6 {
        let want = if value == 5 { "OL TEST" } else { "OL" };
        let status = ups_mib_status(&[int(U_SOURCE, 3), int(test, value)]);
        assert_eq!(status.as_deref(), Some(want), "test {value}");
    }
}

#[test]
fn ups_mib_alarm_table() {
    let descr = |id: u32, k: &str| oid_value(&format!("1.3.6.1.2.1.33.1.6.2.1.2.{id}"), k);
    let well_known = |k: u32| format!("1.3.6.1.2.1.33.1.6.3.{k}");
    let want = |k: u32| match k {
        1 => "OL RB",
        2 => "OL OB",
        3 | 4 => "OL LB",
        8 => "OL OVER",
        9 => "OL BYPASS",
        11 | 12 | 14 | 15 => "OFF OL",
        24 => "OL TEST",
        _ => "OL ALARM",
    };
    for k in 1..=25 {
        let status = ups_mib_status(&[int(U_SOURCE, 3), descr(7, &well_known(k))]);
        assert_eq!(status.as_deref(), Some(want(k)), "alarm {k}");
    }
    let many = [
        int(U_SOURCE, 5),
        descr(1, &well_known(2)),
        descr(2, &well_known(3)),
        descr(3, &well_known(4)),
        descr(4, "1.3.6.1.4.1.534.1.7.8"),
        (oid("1.3.6.1.2.1.33.1.6.2.1.2.5"), Value::Integer(1)),
        oid_value("1.3.6.1.2.1.33.1.6.2.1.3.1", "1.3.6.1.2.1.33.1.6.3.1"),
    ];
    assert_eq!(
        ups_mib_status(&many).as_deref(),
        Some("OB LB ALARM"),
        "never twice"
    );
}

fn u_row(table: &str, column: u32, line: u32, value: i64) -> (Oid, Value) {
    int(
        &format!("1.3.6.1.2.1.33.1.{table}.1.{column}.{line}"),
        value,
    )
}

#[test]
fn ups_mib_one_line_uses_whole_device_names() {
    let values = [
        int(U_SOURCE, 3),
        int("1.3.6.1.2.1.33.1.3.2.0", 1),
        u_row("3.3", 2, 1, 499),
        u_row("3.3", 3, 1, 231),
        u_row("3.3", 4, 1, 12),
        u_row("3.3", 5, 1, 250),
        u_row("4.4", 2, 1, 230),
        u_row("4.4", 3, 1, 35),
        u_row("4.4", 4, 1, 610),
        u_row("4.4", 5, 1, 41),
        u_row("5.3", 2, 1, 229),
    ];
    assert_vars(
        &decoded(&UPS_MIB, &values),
        &[
            ("input.frequency", Some("49.9")),
            ("input.voltage", Some("231")),
            ("input.current", Some("1.2")),
            ("input.realpower", Some("250")),
            ("output.voltage", Some("230")),
            ("output.current", Some("3.5")),
            ("output.realpower", Some("610")),
            ("ups.realpower", Some("610")),
            ("ups.load", Some("41")),
            ("output.power.percent", None),
            ("input.bypass.voltage", Some("229")),
            ("input.L1-N.voltage", None),
        ],
    );
}

#[test]
fn ups_mib_three_lines_use_phase_names_and_totals() {
    let mut values = vec![int(U_SOURCE, 3), int("1.3.6.1.2.1.33.1.3.2.0", 3)];
    for line in 1..=3 {
        let n = i64::from(line);
        values.push(u_row("3.3", 2, line, 500 + n));
        values.push(u_row("3.3", 3, line, 226 + n));
        values.push(u_row("3.3", 4, line, 200 + n));
        values.push(u_row("4.4", 2, line, 220));
        values.push(u_row("4.4", 3, line, 100 * n + 5));
        values.push(u_row("4.4", 4, line, 1000 * n));
        values.push(u_row("4.4", 5, line, [21, 36, 12][line as usize - 1]));
        values.push(u_row("5.3", 2, line, 230 + n));
    }
    assert_vars(
        &decoded(&UPS_MIB, &values),
        &[
            ("input.frequency", Some("50.1")),
            ("input.L1-N.voltage", Some("227")),
            ("input.L3-N.voltage", Some("229")),
            ("input.L2.current", Some("20.2")),
            ("input.L1.frequency", None),
            ("input.voltage", None),
            ("output.voltage", None),
            ("output.L2-N.voltage", Some("220")),
            ("output.L3.current", Some("30.5")),
            ("output.L1.realpower", Some("1000")),
            ("ups.realpower", Some("6000")),
            ("output.L2.power.percent", Some("36")),
            ("ups.load", Some("36")),
            ("input.bypass.L3-N.voltage", Some("233")),
        ],
    );
}

#[test]
fn ups_mib_line_count_trims_padding_rows_and_odd_indexes_are_read() {
    // Phoenixtec walks three rows for one line; bypass says 0 lines.
    let values = [
        int(U_SOURCE, 3),
        int("1.3.6.1.2.1.33.1.3.2.0", 1),
        u_row("3.3", 3, 1, 238),
        u_row("3.3", 3, 2, 0),
        u_row("3.3", 3, 3, 0),
        int("1.3.6.1.2.1.33.1.5.2.0", 0),
        u_row("5.3", 2, 1, 0),
        // EAST iStars appends `.0` to rows; junk deeper indexes are ignored.
        int("1.3.6.1.2.1.33.1.4.4.1.2.1.0", 219),
        int("1.3.6.1.2.1.33.1.4.4.1.2.2.0", 218),
        int("1.3.6.1.2.1.33.1.4.4.1.2.3.7", 1),
        int("1.3.6.1.2.1.33.1.4.4.1.2.0", 1),
    ];
    assert_vars(
        &decoded(&UPS_MIB, &values),
        &[
            ("input.voltage", Some("238")),
            ("input.L2-N.voltage", None),
            ("input.bypass.voltage", None),
            ("output.L1-N.voltage", Some("219")),
            ("output.L2-N.voltage", Some("218")),
            ("output.L3-N.voltage", None),
        ],
    );
}
