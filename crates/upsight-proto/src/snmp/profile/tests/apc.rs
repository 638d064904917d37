//! APC PowerNet: precision, sentinels, status values and the state bit string.

use super::*;

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
