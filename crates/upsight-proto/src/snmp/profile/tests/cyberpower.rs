//! CyberPower: tenths, identity and status values.

use super::*;

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
