//! Decoding rules common to every profile.

use super::*;

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
