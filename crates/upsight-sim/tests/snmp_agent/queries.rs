//! GET, GETNEXT and GETBULK semantics for v1 and v2c, and the response caps.

use upsight_proto::snmp::Value;
use upsight_proto::snmp::ber::{Pdu, PduKind, Version};
use upsight_sim::snmp::SnmpAgent;

use crate::support::{Client, demo, oid, start};

#[tokio::test]
async fn get_hits_and_misses_in_v2c_and_v1() {
    let agent = start(SnmpAgent::new()).await;
    let client = Client::connect(agent.local_addr()).await;
    let oids = ["1.3.6.1.2.1.1.5.0", "1.3.6.1.2.1.1.5.1", "1.3.6.1.2.1.99.0"];
    let reply = client.get(Version::V2c, "closet-apc", &oids).await;
    assert_eq!((reply.error_status, reply.error_index), (0, 0));
    let values: Vec<_> = reply.varbinds.iter().map(|(_, v)| v.clone()).collect();
    assert_eq!(
        values,
        [
            Value::OctetString(b"closet-apc".to_vec()),
            Value::NoSuchInstance,
            Value::NoSuchObject
        ]
    );
    let reply = client.get(Version::V1, "closet-apc", &oids[..1]).await;
    assert_eq!(
        reply.varbinds[0].1,
        Value::OctetString(b"closet-apc".to_vec())
    );
    // v1: noSuchName, error-index names the first missing varbind, varbinds echoed.
    let reply = client.get(Version::V1, "plant-3phase", &oids).await;
    assert_eq!((reply.error_status, reply.error_index), (2, 2));
    assert_eq!(reply.varbinds[1], (oid(oids[1]), Value::Null));
}

#[tokio::test]
async fn getnext_walks_the_recording_in_order() {
    let agent = start(SnmpAgent::new()).await;
    let client = Client::connect(agent.local_addr()).await;
    let expected = demo("plant-3phase");
    for version in [Version::V2c, Version::V1] {
        let mut walked = Vec::new();
        let mut cursor = oid("1.3");
        for _ in 0..=expected.len() {
            let pdu = Pdu::request(PduKind::GetNext, 5, [cursor.clone()]);
            let reply = client.ask(version, "plant-3phase", pdu).await;
            if version == Version::V1 && reply.error_status != 0 {
                assert_eq!((reply.error_status, reply.error_index), (2, 1));
                break;
            }
            let (next, value) = reply.varbinds[0].clone();
            if value == Value::EndOfMibView {
                assert_eq!(next, cursor);
                break;
            }
            assert!(next > cursor);
            cursor = next.clone();
            walked.push((next, value));
        }
        assert_eq!(walked, expected, "{version:?}");
    }
}

#[tokio::test]
async fn getbulk_non_repeaters_repetitions_and_end_of_mib_padding() {
    let agent = start(SnmpAgent::new()).await;
    let client = Client::connect(agent.local_addr()).await;
    let columns = [
        "1.3.6.1.2.1.1.3.0",
        "1.3.6.1.2.1.33.1.3.3.1.3",
        "1.3.6.1.2.1.33.1.4.4.1.5",
    ];
    let pdu = Pdu::get_bulk(1, 1, 3, columns.iter().map(|o| oid(o)));
    let reply = client.ask(Version::V2c, "plant-3phase", pdu).await;
    let names: Vec<String> = reply.varbinds.iter().map(|(o, _)| o.to_string()).collect();
    assert_eq!(
        names,
        [
            "1.3.6.1.2.1.1.4.0",
            "1.3.6.1.2.1.33.1.3.3.1.3.1",
            "1.3.6.1.2.1.33.1.4.4.1.5.1",
            "1.3.6.1.2.1.33.1.3.3.1.3.2",
            "1.3.6.1.2.1.33.1.4.4.1.5.2",
            "1.3.6.1.2.1.33.1.3.3.1.3.3",
            "1.3.6.1.2.1.33.1.4.4.1.5.3",
        ]
    );
    assert_eq!(reply.varbinds[6].1, Value::Integer(42));

    // Near the end of the tree: one real object, then endOfMibView on the last OID.
    let recording = demo("closet-apc");
    let (second_last, last) = (
        &recording[recording.len() - 2].0,
        &recording[recording.len() - 1].0,
    );
    let pdu = Pdu::get_bulk(2, 0, 5, [second_last.clone()]);
    let reply = client.ask(Version::V2c, "closet-apc", pdu).await;
    assert_eq!(reply.varbinds.len(), 5);
    assert_eq!(&reply.varbinds[0].0, last);
    for (name, value) in &reply.varbinds[1..] {
        assert_eq!((name, value), (last, &Value::EndOfMibView));
    }

    // The response is capped at 64 varbinds by default.
    let pdu = Pdu::get_bulk(3, 0, 1_000, [oid("1.3"), oid("1.3.6.1.4")]);
    let reply = client.ask(Version::V2c, "closet-apc", pdu).await;
    assert_eq!(reply.varbinds.len(), 64);
}

#[tokio::test]
async fn caps_are_configurable_and_too_big_is_reported() {
    let agent = start(SnmpAgent::new().with_max_varbinds(5)).await;
    let client = Client::connect(agent.local_addr()).await;
    let pdu = Pdu::get_bulk(1, 0, 100, [oid("1.3")]);
    let reply = client.ask(Version::V2c, "closet-apc", pdu).await;
    assert_eq!(reply.varbinds.len(), 5);
    let six = ["1.3.6.1.2.1.1.1.0"; 6];
    let reply = client.get(Version::V2c, "closet-apc", &six).await;
    assert_eq!((reply.error_status, reply.varbinds.len()), (1, 0));
    let reply = client.get(Version::V1, "closet-apc", &six).await;
    assert_eq!((reply.error_status, reply.varbinds.len()), (1, 6));

    // One value too large for a datagram of 65,000 bytes.
    let big = oid("1.3.6.1.4.1.99999.9.0");
    assert!(agent.set_value(
        "closet-apc",
        big.clone(),
        Value::OctetString(vec![b'x'; 65_000])
    ));
    let reply = client
        .get(Version::V2c, "closet-apc", &["1.3.6.1.4.1.99999.9.0"])
        .await;
    assert_eq!((reply.error_status, reply.error_index), (1, 0));
}
