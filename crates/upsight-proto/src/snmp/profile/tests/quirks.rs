//! Vendor unit quirks in the standard tree.

use super::*;

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
