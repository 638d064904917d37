//! The demo SNMP devices: two recordings of our own making, one per MIB family the exporter
//! must handle (a vendor tree with its own units, and plain RFC 1628 from an unknown vendor).

/// `(community, .snmprec bytes)` of every demo SNMP device. The community is the device name.
pub fn demo_snmp_devices() -> Vec<(&'static str, &'static [u8])> {
    vec![
        ("closet-apc", include_bytes!("../demo/closet-apc.snmprec")),
        (
            "plant-3phase",
            include_bytes!("../demo/plant-3phase.snmprec"),
        ),
    ]
}

/// An agent serving every demo SNMP device (community = device name).
pub fn agent() -> super::SnmpAgent {
    demo_snmp_devices()
        .into_iter()
        .fold(super::SnmpAgent::new(), |agent, (community, bytes)| {
            let recording = upsight_proto::snmp::snmprec::parse_snmprec(bytes)
                .expect("demo recordings are tested to parse");
            agent.with_device(community, recording)
        })
}

/// The demo's SNMP outage: `device` runs on battery for `outage` out of every `period`, until
/// `stop` fires.
pub async fn outage_loop(
    handle: super::SnmpHandle,
    device: &str,
    period: std::time::Duration,
    outage: std::time::Duration,
    stop: tokio_util::sync::CancellationToken,
) {
    let mains = period.saturating_sub(outage);
    loop {
        for (is_on_battery, wait) in [(false, mains), (true, outage)] {
            handle.set_on_battery(device, is_on_battery);
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(wait) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use upsight_proto::snmp::snmprec::parse_snmprec;
    use upsight_proto::snmp::{Oid, Value};

    use super::*;

    fn value(recording: &[(Oid, Value)], oid: &str) -> Value {
        let oid: Oid = oid.parse().unwrap();
        let found = recording.iter().find(|(o, _)| *o == oid);
        found.unwrap_or_else(|| panic!("{oid} missing")).1.clone()
    }

    #[test]
    fn demo_recordings_parse_completely() {
        for (community, bytes) in demo_snmp_devices() {
            let recording = parse_snmprec(bytes).unwrap_or_else(|e| panic!("{community}: {e}"));
            assert_eq!(recording.skipped, [], "{community}");
            let name = value(&recording.entries, "1.3.6.1.2.1.1.5.0");
            assert_eq!(name, Value::OctetString(community.as_bytes().to_vec()));
        }
    }

    #[test]
    fn closet_apc_is_an_apc_ups_on_line() {
        let recording = parse_snmprec(demo_snmp_devices()[0].1).unwrap().entries;
        let apc = |suffix: &str| value(&recording, &format!("1.3.6.1.4.1.318.1.1.1.{suffix}"));
        assert_eq!(
            value(&recording, "1.3.6.1.2.1.1.2.0"),
            Value::Oid("1.3.6.1.4.1.318.1.3.2.12".parse().unwrap())
        );
        assert_eq!(apc("4.1.1.0"), Value::Integer(2));
        assert!(matches!(apc("2.2.3.0"), Value::TimeTicks(_)));
        assert_eq!(apc("2.3.1.0"), Value::Gauge32(998));
        let Value::OctetString(flags) = apc("11.1.1.0") else {
            panic!("upsBasicStateOutputState is not a string");
        };
        assert_eq!(flags.len(), 64);
        assert_eq!(&flags[..4], b"0001");
    }

    #[test]
    fn plant_3phase_has_three_input_and_output_lines() {
        let recording = parse_snmprec(demo_snmp_devices()[1].1).unwrap().entries;
        let ups = |suffix: &str| value(&recording, &format!("1.3.6.1.2.1.33.1.{suffix}"));
        assert_eq!(ups("3.2.0"), Value::Integer(3));
        assert_eq!(ups("4.3.0"), Value::Integer(3));
        assert_eq!(ups("4.1.0"), Value::Integer(3));
        for line in 1..=3 {
            for column in 1..=5 {
                ups(&format!("3.3.1.{column}.{line}"));
                ups(&format!("4.4.1.{column}.{line}"));
            }
        }
    }
}
