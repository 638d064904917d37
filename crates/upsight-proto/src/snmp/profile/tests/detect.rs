//! Profile detection from the probe answers.

use super::*;

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
