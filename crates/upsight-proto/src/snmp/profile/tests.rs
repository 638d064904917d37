//! Profile tests: tables parse, detection, read plans, and decoding per profile (scaling,
//! sentinels, every status value, 1-line vs 3-line tables, precedence), plus the recorded-device
//! corpus when `UPSIGHT_DEVICE_CORPUS` is set.

use super::*;

#[allow(unreachable_pub, dead_code)]
mod expected {
    include!("../../../../../tests/src/snmp_expected.rs");
}

fn oid(s: &str) -> Oid {
    s.parse().unwrap()
}

fn int(o: &str, v: i64) -> (Oid, Value) {
    (oid(o), Value::Integer(v))
}

fn gauge(o: &str, v: u32) -> (Oid, Value) {
    (oid(o), Value::Gauge32(v))
}

fn ticks(o: &str, v: u32) -> (Oid, Value) {
    (oid(o), Value::TimeTicks(v))
}

fn text(o: &str, v: &str) -> (Oid, Value) {
    (oid(o), Value::OctetString(v.as_bytes().to_vec()))
}

fn oid_value(o: &str, v: &str) -> (Oid, Value) {
    (oid(o), Value::Oid(oid(v)))
}

fn sys_object_id(v: &str) -> (Oid, Value) {
    oid_value("1.3.6.1.2.1.1.2.0", v)
}

fn decoded(profile: &Profile, values: &[(Oid, Value)]) -> Decoded {
    decode(profile, values).unwrap()
}

/// Asserts each `(name, value)`; `None` means the variable must be absent.
fn assert_vars(d: &Decoded, want: &[(&str, Option<&str>)]) {
    for (name, value) in want {
        assert_eq!(d.get(name), *value, "{name} in {:?}", d.vars);
    }
}

const APC_MODEL: &str = "1.3.6.1.4.1.318.1.1.1.1.1.1.0";
const APC_OUTPUT_STATUS: &str = "1.3.6.1.4.1.318.1.1.1.4.1.1.0";
const XUPS_MODEL: &str = "1.3.6.1.4.1.534.1.1.2.0";
const XUPS_SOURCE: &str = "1.3.6.1.4.1.534.1.4.5.0";
const CPS_MODEL: &str = "1.3.6.1.4.1.3808.1.1.1.1.1.1.0";
const CPS_OUTPUT_STATUS: &str = "1.3.6.1.4.1.3808.1.1.1.4.1.1.0";
const U_MFR: &str = "1.3.6.1.2.1.33.1.1.1.0";
const U_SOURCE: &str = "1.3.6.1.2.1.33.1.4.1.0";

// === tables, ids, plans ===

#[test]
fn every_table_oid_parses() {
    for profile in ALL {
        for mib in profile.mibs() {
            for s in mib.oid_strings() {
                assert!(s.parse::<Oid>().is_ok(), "{}: {s}", profile.id);
            }
        }
        for s in profile.sys_object_ids.iter().chain(profile.probes) {
            assert!(s.parse::<Oid>().is_ok(), "{}: {s}", profile.id);
        }
    }
    for s in system::OIDS
        .iter()
        .copied()
        .chain(system::SCALARS.iter().map(|r| r.oid))
    {
        assert!(s.parse::<Oid>().is_ok(), "system: {s}");
    }
}

#[test]
fn scalar_rows_end_in_an_instance_and_columns_do_not() {
    for profile in ALL {
        for mib in profile.mibs() {
            for row in mib.scalars {
                assert!(row.oid.ends_with(".0"), "{}", row.oid);
            }
            for column in mib.lines.iter().flat_map(|l| l.columns) {
                assert!(!column.root.ends_with(".0"), "{}", column.root);
                assert!(
                    column.each.is_none_or(|e| e.contains("{n}")),
                    "{}",
                    column.root
                );
            }
        }
    }
}

#[test]
fn ids_and_order() {
    let ids: Vec<&str> = ALL.iter().map(|p| p.id).collect();
    assert_eq!(ids, ["apc", "eaton-xups", "cyberpower", "ups-mib"]);
    for id in ids {
        assert_eq!(by_id(id).map(|p| p.id), Some(id));
    }
    assert_eq!(by_id("nut"), None);
    assert_eq!(format!("{APC:?}"), "Profile { id: \"apc\", .. }");
}

#[test]
fn system_and_probe_oids() {
    let system: Vec<String> = system_oids().iter().map(Oid::to_string).collect();
    let want: Vec<String> = (1..=6).map(|n| format!("1.3.6.1.2.1.1.{n}.0")).collect();
    assert_eq!(system, want);
    let probes: Vec<String> = probe_oids().iter().map(Oid::to_string).collect();
    assert_eq!(probes, [APC_MODEL, XUPS_MODEL, CPS_MODEL, U_MFR, U_SOURCE]);
}

#[test]
fn plans_read_the_system_group_the_vendor_mib_and_the_ups_mib() {
    let plan = APC.plan();
    assert_eq!(plan.scalars[..6], system_oids()[..]);
    for want in [
        APC_MODEL,
        "1.3.6.1.4.1.318.1.1.1.2.3.1.0",
        U_SOURCE,
        "1.3.6.1.2.1.33.1.2.3.0",
    ] {
        assert!(plan.scalars.contains(&oid(want)), "{want}");
    }
    let input_voltage = oid("1.3.6.1.2.1.33.1.3.3.1.3");
    assert!(plan.columns.contains(&input_voltage));
    assert!(plan.columns.contains(&oid("1.3.6.1.2.1.33.1.6.2.1.2")));
    assert!(!plan.scalars.contains(&input_voltage));

    let xups = EATON_XUPS.plan();
    assert!(xups.columns.contains(&oid("1.3.6.1.4.1.534.1.4.4.1.3")));
    assert!(xups.columns.contains(&oid("1.3.6.1.4.1.534.1.7.2.1.2")));
    assert!(xups.scalars.contains(&oid("1.3.6.1.4.1.534.1.4.3.0")));

    let plain = UPS_MIB.plan();
    assert!(
        plain
            .scalars
            .iter()
            .all(|o| !o.to_string().starts_with("1.3.6.1.4.1"))
    );
    for plan in [plan, xups, plain, CYBERPOWER.plan()] {
        let mut sorted = plan.scalars.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), plan.scalars.len(), "no duplicate reads");
    }
}

// === detect ===

#[test]
fn detect_prefers_the_vendor_named_by_sys_object_id() {
    let model = |o: &str| text(o, "UPS 1000");
    let cases: &[(&str, &[&str], Option<&str>)] = &[
        ("1.3.6.1.4.1.318.1.3.2.17", &[APC_MODEL], Some("apc")),
        ("1.3.6.1.4.1.534.1", &[XUPS_MODEL], Some("eaton-xups")),
        (
            "1.3.6.1.4.1.705.1",
            &[XUPS_MODEL, U_MFR],
            Some("eaton-xups"),
        ),
        (
            "1.3.6.1.4.1.3808.1.1.3",
            &[CPS_MODEL, U_MFR],
            Some("cyberpower"),
        ),
        // Vendor probes answering under another sysObjectID: the first in ALL order.
        (
            "1.3.6.1.4.1.3808.1.1.3",
            &[APC_MODEL, CPS_MODEL],
            Some("cyberpower"),
        ),
        (
            "1.3.6.1.4.1.99999",
            &[CPS_MODEL, XUPS_MODEL],
            Some("eaton-xups"),
        ),
        ("1.3.6.1.4.1.40614", &[U_MFR], Some("ups-mib")),
        // APC rack PDU: APC sysObjectID, no UPS branch, no UPS-MIB.
        ("1.3.6.1.4.1.318.1.3.4.6", &[], None),
        ("1.3.6.1.4.1.13400.2.1", &[], None),
    ];
    for (sys, probes, want) in cases {
        let mut answers = vec![sys_object_id(sys)];
        answers.extend(probes.iter().map(|p| model(p)));
        assert_eq!(detect(&answers).map(|p| p.id), *want, "{sys} {probes:?}");
    }
}

#[test]
fn detect_needs_a_real_answer() {
    let pdu = sys_object_id("1.3.6.1.4.1.318.1.3.4.6");
    let exceptions = [
        Value::NoSuchObject,
        Value::NoSuchInstance,
        Value::EndOfMibView,
        Value::Null,
        Value::OctetString(b"  ".to_vec()),
    ];
    for exception in exceptions {
        let answers = [pdu.clone(), (oid(APC_MODEL), exception.clone())];
        assert_eq!(detect(&answers), None, "{exception:?}");
    }
    // An empty manufacturer is no answer, but upsOutputSource is (Phoenixtec).
    let phoenixtec = [
        sys_object_id("1.3.6.1.4.1.935.1.1.1"),
        text(U_MFR, ""),
        int(U_SOURCE, 3),
    ];
    assert_eq!(detect(&phoenixtec), Some(&UPS_MIB));
    assert_eq!(detect(&[text(U_MFR, "")]), None);
    assert_eq!(detect(&[]), None);
}

// === decode: common rules ===

#[test]
fn not_a_ups_names_the_profile() {
    let pdu = [
        sys_object_id("1.3.6.1.4.1.318.1.3.4.6"),
        text("1.3.6.1.2.1.1.5.0", "pdu"),
    ];
    let err = decode(&APC, &pdu).unwrap_err();
    assert_eq!(err, DecodeError::NotAUps { profile: "apc" });
    assert_eq!(
        err.to_string(),
        "not a ups: no identity or status object of profile \"apc\" answered"
    );
    let with_exception = [(oid(U_SOURCE), Value::NoSuchInstance), text(U_MFR, "")];
    assert!(decode(&UPS_MIB, &with_exception).is_err());
    // The UPS-MIB under a vendor profile counts.
    assert!(decode(&CYBERPOWER, &[int(U_SOURCE, 3)]).is_ok());
}

#[test]
fn identity_system_and_driver_variables() {
    let values = [
        text("1.3.6.1.2.1.1.1.0", "APC Web/SNMP Management Card"),
        ticks("1.3.6.1.2.1.1.3.0", 1_439_524_052),
        text("1.3.6.1.2.1.1.4.0", "ops@example.com"),
        text("1.3.6.1.2.1.1.5.0", "ups-rack-1"),
        text("1.3.6.1.2.1.1.6.0", ""),
        text(APC_MODEL, "Smart-UPS 1500 \0\0"),
        text("1.3.6.1.4.1.318.1.1.1.1.2.3.0", "AS1234"),
    ];
    let d = decoded(&APC, &values);
    assert_vars(
        &d,
        &[
            ("device.description", Some("APC Web/SNMP Management Card")),
            ("device.uptime", Some("14395240.52")),
            ("device.contact", Some("ops@example.com")),
            ("device.sysname", Some("ups-rack-1")),
            ("device.location", None),
            ("device.model", Some("Smart-UPS 1500")),
            ("ups.model", Some("Smart-UPS 1500")),
            ("device.serial", Some("AS1234")),
            ("device.mfr", Some("APC")),
            ("ups.mfr", Some("APC")),
            ("device.type", Some("ups")),
            ("driver.name", Some("snmp-apc")),
            ("ups.status", None),
        ],
    );
    let names: Vec<&str> = d.vars.iter().map(|(n, _)| n.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(names, sorted, "sorted, one per name");
}

#[test]
fn exceptions_and_wrong_types_are_skipped_and_the_first_answer_wins() {
    let values = [
        (oid("1.3.6.1.2.1.33.1.2.4.0"), Value::NoSuchObject),
        int("1.3.6.1.2.1.33.1.2.4.0", 87),
        int("1.3.6.1.2.1.33.1.2.4.0", 12),
        (oid("1.3.6.1.2.1.33.1.2.5.0"), Value::Null),
        text("1.3.6.1.2.1.33.1.2.7.0", " 31 "),
        text("1.3.6.1.2.1.33.1.9.1.0", "two hundred"),
        int(U_SOURCE, 3),
    ];
    let d = decoded(&UPS_MIB, &values);
    assert_vars(
        &d,
        &[
            ("battery.charge", Some("87")),
            ("battery.voltage", None),
            ("battery.temperature", Some("31")),
            ("input.voltage.nominal", None),
        ],
    );
}

// === UPS-MIB ===

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

// === APC ===

fn apc_values(extra: &[(Oid, Value)]) -> Vec<(Oid, Value)> {
    let mut values = vec![text(APC_MODEL, "Smart-UPS")];
    values.extend_from_slice(extra);
    values
}

const APC_UPS: &str = "1.3.6.1.4.1.318.1.1.1";

fn apc(s: &str) -> String {
    format!("{APC_UPS}.{s}")
}

#[test]
fn apc_prefers_high_precision_and_scales_tenths() {
    let both = apc_values(&[
        gauge(&apc("2.3.1.0"), 995),
        gauge(&apc("2.2.1.0"), 99),
        int(&apc("2.3.13.0"), -35),
        gauge(&apc("2.3.2.0"), 0),
        gauge(&apc("2.2.2.0"), 0),
        int(&apc("2.3.4.0"), 1364),
        int(&apc("2.2.8.0"), 136),
        gauge(&apc("3.3.1.0"), 2287),
        gauge(&apc("3.2.1.0"), 228),
        gauge(&apc("3.3.4.0"), 499),
        gauge(&apc("4.3.1.0"), 2300),
        gauge(&apc("4.3.3.0"), 187),
        gauge(&apc("4.2.3.0"), 18),
        gauge(&apc("4.3.4.0"), 36),
        int(&apc("4.3.5.0"), 945),
        ticks(&apc("2.2.3.0"), 246_000),
    ]);
    assert_vars(
        &decoded(&APC, &both),
        &[
            ("battery.charge", Some("99.5")),
            ("battery.temperature", Some("-3.5")),
            ("battery.voltage", Some("136.4")),
            ("input.voltage", Some("228.7")),
            ("input.frequency", Some("49.9")),
            ("output.voltage", Some("230")),
            ("ups.load", Some("18.7")),
            ("output.current", Some("3.6")),
            ("ups.efficiency", Some("94.5")),
            ("battery.runtime", Some("2460")),
        ],
    );
    let adv_only = apc_values(&[
        gauge(&apc("2.2.1.0"), 99),
        gauge(&apc("2.2.2.0"), 27),
        gauge(&apc("3.2.1.0"), 228),
        gauge(&apc("4.2.3.0"), 18),
        int(&apc("4.2.8.0"), 540),
    ]);
    assert_vars(
        &decoded(&APC, &adv_only),
        &[
            ("battery.charge", Some("99")),
            ("battery.temperature", Some("27")),
            ("input.voltage", Some("228")),
            ("ups.load", Some("18")),
            ("ups.realpower", Some("540")),
        ],
    );
}

#[test]
fn apc_sentinels_are_absent() {
    let values = apc_values(&[
        gauge(&apc("2.2.2.0"), 255),
        ticks(&apc("2.2.3.0"), u32::MAX),
        int(&apc("2.2.8.0"), -1),
        int(&apc("2.2.9.0"), -1),
        int(&apc("2.2.6.0"), -1),
        int(&apc("4.2.8.0"), -1),
        int(&apc("4.2.9.0"), -1),
        int(&apc("4.3.5.0"), -4),
        gauge(&apc("4.2.3.0"), 0),
    ]);
    assert_vars(
        &decoded(&APC, &values),
        &[
            ("battery.temperature", None),
            ("battery.runtime", None),
            ("battery.voltage", None),
            ("battery.current", None),
            ("battery.packs.bad", None),
            ("ups.realpower", None),
            ("ups.power", None),
            ("ups.efficiency", None),
            ("ups.load", Some("0")),
        ],
    );
}

fn apc_status(extra: &[(Oid, Value)]) -> Option<String> {
    decoded(&APC, &apc_values(extra))
        .get("ups.status")
        .map(str::to_owned)
}

#[test]
fn apc_output_status_values() {
    let want = |v: i64| match v {
        2 | 14 | 19 | 21 | 22 | 24 | 25 => Some("OL"),
        3 => Some("OB"),
        4 => Some("OL BOOST"),
        5 | 6 | 7 | 11 => Some("OFF"),
        9 | 10 | 16 | 17 => Some("OL BYPASS"),
        12 => Some("OL TRIM"),
        13 | 20 => Some("OL ECO"),
        15 | 28 => Some("OL TEST"),
        _ => None,
    };
    for value in 0..=30 {
        let status = apc_status(&[int(APC_OUTPUT_STATUS, value)]);
        assert_eq!(
            status.as_deref(),
            want(value),
            "upsBasicOutputStatus {value}"
        );
    }
}

#[test]
fn apc_battery_charger_and_test_states() {
    let on_line = int(APC_OUTPUT_STATUS, 2);
    let cases: &[(&str, i64, &str)] = &[
        ("2.1.1.0", 3, "OL LB"),
        ("2.1.1.0", 2, "OL"),
        ("2.2.4.0", 2, "OL RB"),
        ("2.2.4.0", 1, "OL"),
        ("2.2.17.0", 5, "OL CHRG"),
        ("2.2.17.0", 8, "OL CHRG"),
        ("2.2.17.0", 4, "OL"),
        ("7.2.3.0", 4, "OL TEST"),
        ("7.2.3.0", 1, "OL"),
        ("7.2.6.0", 3, "OL CAL"),
    ];
    for (suffix, value, want) in cases {
        let status = apc_status(&[on_line.clone(), int(&apc(suffix), *value)]);
        assert_eq!(status.as_deref(), Some(*want), "{suffix} = {value}");
    }
}

#[test]
fn apc_state_bit_string() {
    let state = apc("11.1.1.0");
    let bits = |set: &[usize]| {
        let mut s = vec![b'0'; 64];
        for &bit in set {
            s[bit - 1] = b'1';
        }
        String::from_utf8(s).unwrap()
    };
    let cases: &[(&[usize], Option<&str>)] = &[
        (&[4, 6], Some("OL")),
        (&[2, 3, 6], Some("OB LB")),
        (&[4, 5, 7], Some("OL RB BOOST")),
        (&[4, 8, 9], Some("OL OVER TRIM")),
        (&[4, 10], Some("OL CAL")),
        (&[12], Some("BYPASS")),
        (&[13], Some("BYPASS")),
        (&[4, 29], Some("OL TEST")),
        (&[58], Some("OFF")),
        (&[1, 4], Some("OL ALARM")),
        (&[6, 19], None),
    ];
    for (set, want) in cases {
        let status = apc_status(&[text(&state, &bits(set))]);
        assert_eq!(status.as_deref(), *want, "bits {set:?}");
    }
    // With the enum: a token both name appears once; "UNKNOWN" adds nothing.
    let both = apc_status(&[int(APC_OUTPUT_STATUS, 2), text(&state, &bits(&[4, 6]))]);
    assert_eq!(both.as_deref(), Some("OL"));
    let unknown = apc_status(&[int(APC_OUTPUT_STATUS, 3), text(&state, "UNKNOWN")]);
    assert_eq!(unknown.as_deref(), Some("OB"));
}

#[test]
fn vendor_status_wins_whole_and_the_ups_mib_fills_in() {
    // APC says on battery; a stale UPS-MIB "normal" must not add OL.
    let values = apc_values(&[int(APC_OUTPUT_STATUS, 3), int(U_SOURCE, 3)]);
    assert_eq!(decoded(&APC, &values).get("ups.status"), Some("OB"));
    // APC status unknown(1): the UPS-MIB answers instead.
    let values = apc_values(&[int(APC_OUTPUT_STATUS, 1), int(U_SOURCE, 4)]);
    assert_eq!(decoded(&APC, &values).get("ups.status"), Some("OL BYPASS"));
}

// === Eaton XUPS ===

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

// === CyberPower ===

#[test]
fn cyberpower_tenths_and_identity() {
    let c = |s: &str| format!("1.3.6.1.4.1.3808.1.1.1.{s}");
    let values = [
        text(CPS_MODEL, "OL2200RTXL2U"),
        text(U_MFR, "CPS"),
        gauge(&c("2.2.2.0"), 548),
        ticks(&c("2.2.4.0"), 174_000),
        gauge(&c("3.2.1.0"), 1195),
        gauge(&c("3.2.4.0"), 600),
        gauge(&c("4.2.1.0"), 1202),
        int(&c("4.2.2.0"), 599),
        gauge(&c("4.2.3.0"), 35),
        gauge(&c("4.2.4.0"), 65),
    ];
    assert_vars(
        &decoded(&CYBERPOWER, &values),
        &[
            ("battery.voltage", Some("54.8")),
            ("battery.runtime", Some("1740")),
            ("input.voltage", Some("119.5")),
            ("input.frequency", Some("60")),
            ("output.voltage", Some("120.2")),
            ("output.frequency", Some("59.9")),
            ("ups.load", Some("35")),
            ("output.current", Some("6.5")),
            ("device.mfr", Some("CPS")),
            ("ups.mfr", Some("CyberPower")),
            ("driver.name", Some("snmp-cyberpower")),
        ],
    );
}

#[test]
fn cyberpower_status_values() {
    let want = |v: i64| match v {
        2 => Some("OL"),
        3 => Some("OB"),
        4 => Some("OL BOOST"),
        5 | 6 => Some("OFF"),
        8 => Some("OL ECO"),
        9 => Some("OL BYPASS"),
        10 => Some("OL TRIM"),
        11 => Some("OL OVER"),
        _ => None,
    };
    for value in 0..=12 {
        let values = [text(CPS_MODEL, "OL1500"), int(CPS_OUTPUT_STATUS, value)];
        let d = decoded(&CYBERPOWER, &values);
        assert_eq!(
            d.get("ups.status"),
            want(value),
            "upsBaseOutputStatus {value}"
        );
    }
    let c = |s: &str| format!("1.3.6.1.4.1.3808.1.1.1.{s}");
    let values = [
        text(CPS_MODEL, "OL1500"),
        int(CPS_OUTPUT_STATUS, 3),
        int(&c("2.1.1.0"), 3),
        int(&c("2.2.5.0"), 2),
        int(&c("7.2.7.0"), 3),
    ];
    assert_eq!(
        decoded(&CYBERPOWER, &values).get("ups.status"),
        Some("OB LB RB CAL")
    );
}

// === never panics ===

mod arbitrary {
    use super::*;
    use proptest::collection::vec;
    use proptest::prelude::*;

    /// Every OID any profile reads, scalars as they are and column roots as prefixes.
    fn read_oids() -> Vec<(Oid, bool)> {
        let mut out = Vec::new();
        for profile in ALL {
            let plan = profile.plan();
            out.extend(plan.scalars.into_iter().map(|o| (o, false)));
            out.extend(plan.columns.into_iter().map(|o| (o, true)));
        }
        out
    }

    fn arb_value() -> impl Strategy<Value = Value> {
        let alarm = (0_usize..3, 0_u32..50).prop_map(|(root, k)| {
            let roots = ["1.3.6.1.2.1.33.1.6.3", "1.3.6.1.4.1.534.1.7", "1.3.6.1"];
            Value::Oid(oid(roots[root]).child(k))
        });
        let bits = vec(prop_oneof![Just(b'0'), Just(b'1'), any::<u8>()], 0..70);
        prop_oneof![
            any::<i64>().prop_map(Value::Integer),
            (-2_i64..300).prop_map(Value::Integer),
            vec(any::<u8>(), 0..20).prop_map(Value::OctetString),
            bits.prop_map(Value::OctetString),
            any::<u32>().prop_map(Value::Gauge32),
            any::<u32>().prop_map(Value::TimeTicks),
            any::<u64>().prop_map(Value::Counter64),
            alarm,
            Just(Value::Null),
            Just(Value::NoSuchInstance),
        ]
    }

    proptest! {
        #[test]
        fn decode_never_panics_and_keeps_its_promises(
            picks in vec((any::<prop::sample::Index>(), vec(0_u32..6, 0..3), arb_value()), 0..80),
        ) {
            let oids = read_oids();
            let values: Vec<(Oid, Value)> = picks
                .into_iter()
                .map(|(index, suffix, value)| {
                    let (oid, is_column) = index.get(&oids).clone();
                    let oid = if is_column {
                        suffix.into_iter().fold(oid, |o, arc| o.child(arc))
                    } else {
                        oid
                    };
                    (oid, value)
                })
                .collect();
            let _ = detect(&values);
            for profile in ALL {
                if let Ok(d) = decode(profile, &values) {
                    prop_assert!(d.vars.windows(2).all(|w| w[0].0 < w[1].0));
                    prop_assert!(d.vars.iter().all(|(_, v)| !v.is_empty()));
                    if let Some(status) = d.get("ups.status") {
                        let tokens: Vec<&str> = status.split(' ').collect();
                        let mut unique = tokens.clone();
                        unique.dedup();
                        prop_assert_eq!(tokens, unique);
                    }
                }
            }
        }
    }
}

// === recorded devices ===

/// A minimal `.snmprec` reader for this test only (`OID|TAG|VALUE`, `4x` hex, `#` comments,
/// CRLF, variation records skipped).
fn parse_snmprec(bytes: &[u8]) -> Vec<(Oid, Value)> {
    let text = String::from_utf8_lossy(bytes);
    let mut out = Vec::new();
    for line in text.lines().map(|l| l.trim_end_matches('\r')) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.splitn(3, '|');
        let (Some(o), Some(tag), Some(raw)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        if tag.contains(':') {
            continue;
        }
        let is_hex = tag.ends_with('x');
        let bytes = if is_hex {
            (0..raw.len() / 2)
                .map(|i| u8::from_str_radix(&raw[2 * i..2 * i + 2], 16).unwrap())
                .collect()
        } else {
            raw.as_bytes().to_vec()
        };
        let value = match tag.trim_end_matches('x') {
            "2" => Value::Integer(raw.parse().unwrap()),
            "4" => Value::OctetString(bytes),
            "5" => Value::Null,
            "6" => Value::Oid(oid(raw)),
            "64" if is_hex => Value::IpAddress(bytes.try_into().unwrap()),
            "64" => Value::IpAddress(raw.parse::<std::net::Ipv4Addr>().unwrap().octets()),
            "65" => Value::Counter32(raw.parse().unwrap()),
            "66" => Value::Gauge32(raw.parse().unwrap()),
            "67" => Value::TimeTicks(raw.parse().unwrap()),
            "68" => Value::Opaque(bytes),
            "70" => Value::Counter64(raw.parse().unwrap()),
            other => panic!("tag {other} in {line}"),
        };
        out.push((oid(o), value));
    }
    out
}

/// What an agent serving `recording` answers to GETs of `scalars` and walks of `columns`.
fn answers(recording: &[(Oid, Value)], scalars: &[Oid], columns: &[Oid]) -> Vec<(Oid, Value)> {
    recording
        .iter()
        .filter(|(o, _)| scalars.contains(o) || columns.iter().any(|c| o.suffix_after(c).is_some()))
        .cloned()
        .collect()
}

#[test]
fn recorded_devices_decode_as_worked_out_by_hand() {
    let Some(corpus) = std::env::var_os("UPSIGHT_DEVICE_CORPUS") else {
        eprintln!("UPSIGHT_DEVICE_CORPUS not set: recorded-device check skipped");
        return;
    };
    let dir = std::path::Path::new(&corpus).join("snmprec");
    let load = |name: &str| {
        let path = dir.join(format!("{name}.snmprec"));
        parse_snmprec(&std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
    };
    let probe = [system_oids(), probe_oids()].concat();
    let mut problems = Vec::new();
    for want in expected::EXPECTED {
        let recording = load(want.recording);
        let Some(profile) = detect(&answers(&recording, &probe, &[])) else {
            problems.push(format!("{}: detect found no profile", want.recording));
            continue;
        };
        if profile.id != want.profile {
            problems.push(format!(
                "{}: detected {}, want {}",
                want.recording, profile.id, want.profile
            ));
        }
        let plan = profile.plan();
        let d = decoded(profile, &answers(&recording, &plan.scalars, &plan.columns));
        assert_eq!(
            d,
            decoded(profile, &recording),
            "{}: the plan reads everything",
            want.recording
        );
        let status = ("ups.status", want.status);
        let expected_vars = want.vars.iter().chain(std::iter::once(&status));
        for &(name, value) in expected_vars {
            if d.get(name) != Some(value) {
                problems.push(format!(
                    "{}: {name} = {:?}, want {value:?}",
                    want.recording,
                    d.get(name)
                ));
            }
        }
    }
    for name in expected::NOT_UPS {
        let recording = load(name);
        if let Some(p) = detect(&answers(&recording, &probe, &[])) {
            problems.push(format!("{name}: detected {}, want none", p.id));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// === vendor unit quirks in the standard tree ===

fn huawei_like(manufacturer: &str) -> Vec<(Oid, Value)> {
    vec![
        text(U_MFR, manufacturer),
        int(U_SOURCE, 3),
        int("1.3.6.1.2.1.33.1.3.2.0", 1),
        gauge("1.3.6.1.2.1.33.1.3.3.1.2.1", 5000),
        gauge("1.3.6.1.2.1.33.1.3.3.1.3.1", 2369),
        int("1.3.6.1.2.1.33.1.4.2.0", 4999),
        int("1.3.6.1.2.1.33.1.4.3.0", 1),
        gauge("1.3.6.1.2.1.33.1.4.4.1.2.1", 2199),
        int("1.3.6.1.2.1.33.1.9.2.0", 50),
    ]
}

#[test]
fn huawei_sends_tenths_of_volts_and_hundredths_of_hertz() {
    let d = decoded(&UPS_MIB, &huawei_like("HUAWEI"));
    assert_vars(
        &d,
        &[
            ("input.voltage", Some("236.9")),
            ("input.frequency", Some("50")),
            ("output.frequency", Some("49.99")),
            ("output.voltage", Some("219.9")),
            ("input.frequency.nominal", Some("50")),
        ],
    );
}

#[test]
fn the_quirk_applies_to_that_vendor_only() {
    // Another vendor sending the same raw numbers is read by the RFC's units.
    let d = decoded(&UPS_MIB, &huawei_like("Generic Power"));
    assert_vars(
        &d,
        &[
            ("input.voltage", Some("2369")),
            ("input.frequency", Some("500")),
            ("output.frequency", Some("499.9")),
        ],
    );
}

#[test]
fn nominal_frequency_in_whole_or_tenths_of_hertz() {
    for (raw, want) in [
        (50, "50"),
        (60, "60"),
        (500, "50"),
        (600, "60"),
        (599, "59.9"),
    ] {
        let d = decoded(
            &UPS_MIB,
            &[text(U_MFR, "x"), int("1.3.6.1.2.1.33.1.9.4.0", raw)],
        );
        assert_vars(&d, &[("output.frequency.nominal", Some(want))]);
    }
}
