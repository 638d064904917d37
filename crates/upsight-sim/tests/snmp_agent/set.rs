//! SET: values written and read back, and the v1/v2c error statuses.

use upsight_proto::snmp::ber::{Pdu, PduKind, Version};
use upsight_proto::snmp::{Oid, Value};
use upsight_sim::snmp::SnmpAgent;

use crate::support::{Client, oid, start};

#[tokio::test]
async fn set_then_get_and_set_errors() {
    let agent = start(SnmpAgent::new()).await;
    let client = Client::connect(agent.local_addr()).await;
    let name = oid("1.3.6.1.2.1.1.5.0");
    let status = oid("1.3.6.1.4.1.318.1.1.1.4.1.1.0");
    let set = |varbinds: Vec<(Oid, Value)>| Pdu {
        kind: PduKind::Set,
        request_id: 77,
        error_status: 0,
        error_index: 0,
        varbinds,
    };
    let varbinds = vec![
        (name.clone(), Value::OctetString(b"renamed".to_vec())),
        (status.clone(), Value::Integer(3)),
    ];
    let reply = client
        .ask(Version::V2c, "closet-apc", set(varbinds.clone()))
        .await;
    assert_eq!((reply.error_status, &reply.varbinds), (0, &varbinds));
    let reply = client
        .get(
            Version::V1,
            "closet-apc",
            &["1.3.6.1.2.1.1.5.0", "1.3.6.1.4.1.318.1.1.1.4.1.1.0"],
        )
        .await;
    assert_eq!(reply.varbinds, varbinds);
    assert_eq!(agent.value("closet-apc", &status), Some(Value::Integer(3)));

    // Wrong type: nothing changes, not even the valid first varbind.
    let bad = vec![
        (status.clone(), Value::Integer(2)),
        (name.clone(), Value::Integer(5)),
    ];
    for (version, expected) in [(Version::V2c, 7), (Version::V1, 3)] {
        let reply = client.ask(version, "closet-apc", set(bad.clone())).await;
        assert_eq!((reply.error_status, reply.error_index), (expected, 2));
        assert_eq!(reply.varbinds, bad);
    }
    assert_eq!(agent.value("closet-apc", &status), Some(Value::Integer(3)));
    // Unknown object: noCreation (v2c) / noSuchName (v1).
    let missing = vec![(oid("1.3.6.1.2.1.1.99.0"), Value::Integer(1))];
    for (version, expected) in [(Version::V2c, 11), (Version::V1, 2)] {
        let reply = client
            .ask(version, "closet-apc", set(missing.clone()))
            .await;
        assert_eq!((reply.error_status, reply.error_index), (expected, 1));
    }
}
