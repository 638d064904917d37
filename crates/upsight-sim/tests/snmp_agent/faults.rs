//! Silence for unknown communities and v1 GETBULK, each fault, and the on-battery switch.

use std::time::Duration;

use upsight_proto::snmp::Value;
use upsight_proto::snmp::ber::{BerError, Pdu, PduKind, Version, decode_message};
use upsight_sim::snmp::{SnmpAgent, SnmpFault};

use crate::support::{Client, oid, start};

#[tokio::test]
async fn unknown_community_and_v1_getbulk_get_silence() {
    let agent = start(SnmpAgent::new()).await;
    let client = Client::connect(agent.local_addr()).await;
    client
        .send(
            Version::V2c,
            "public",
            Pdu::request(PduKind::Get, 1, [oid("1.3.6.1.2.1.1.5.0")]),
        )
        .await;
    client
        .send(
            Version::V1,
            "closet-apc",
            Pdu::get_bulk(2, 0, 5, [oid("1.3")]),
        )
        .await;
    client.socket.send(b"\x30\x03\x02\x01").await.unwrap();
    let reply = client
        .get(Version::V2c, "closet-apc", &["1.3.6.1.2.1.1.5.0"])
        .await;
    assert_eq!(reply.request_id, 11);
    assert_eq!((agent.requests_received(), agent.responses_sent()), (4, 1));
}

#[tokio::test]
async fn faults_are_per_device() {
    let agent = start(SnmpAgent::new()).await;
    let client = Client::connect(agent.local_addr()).await;
    let sys_name = ["1.3.6.1.2.1.1.5.0"];
    assert!(!agent.set_fault("nonexistent", Some(SnmpFault::Silent)));

    assert!(agent.set_fault("closet-apc", Some(SnmpFault::Silent)));
    client
        .send(
            Version::V2c,
            "closet-apc",
            Pdu::request(PduKind::Get, 1, [oid(sys_name[0])]),
        )
        .await;
    let reply = client.get(Version::V2c, "plant-3phase", &sys_name).await;
    assert_eq!(
        reply.varbinds[0].1,
        Value::OctetString(b"plant-3phase".to_vec())
    );
    assert_eq!((agent.requests_received(), agent.responses_sent()), (2, 1));

    assert!(agent.set_fault("closet-apc", Some(SnmpFault::WrongRequestId)));
    client
        .send(
            Version::V2c,
            "closet-apc",
            Pdu::request(PduKind::Get, 41, [oid(sys_name[0])]),
        )
        .await;
    let reply = client.recv().await;
    assert_eq!(reply.pdu.request_id, 42);
    assert_eq!(
        reply.pdu.varbinds[0].1,
        Value::OctetString(b"closet-apc".to_vec())
    );

    assert!(agent.set_fault("closet-apc", Some(SnmpFault::Garbage)));
    client
        .send(
            Version::V2c,
            "closet-apc",
            Pdu::request(PduKind::Get, 1, [oid(sys_name[0])]),
        )
        .await;
    let garbage = client.recv_bytes().await;
    assert!(!garbage.is_empty());
    assert!(matches!(
        decode_message(&garbage),
        Err(BerError::BadTag { offset: 0, .. })
    ));

    let delay = Duration::from_millis(300);
    assert!(agent.set_fault("closet-apc", Some(SnmpFault::Late(delay))));
    let started = tokio::time::Instant::now();
    client
        .send(
            Version::V2c,
            "closet-apc",
            Pdu::request(PduKind::Get, 7, [oid(sys_name[0])]),
        )
        .await;
    // Another device answers at once while the late one waits.
    let prompt = client.get(Version::V2c, "plant-3phase", &sys_name).await;
    assert_eq!(prompt.request_id, 11);
    let late = client.recv().await;
    assert_eq!(late.pdu.request_id, 7);
    assert!(started.elapsed() >= delay);

    assert!(agent.set_fault("closet-apc", None));
    let reply = client.get(Version::V2c, "closet-apc", &sys_name).await;
    assert_eq!(reply.error_status, 0);
}

#[tokio::test]
async fn on_battery_flips_the_mib_the_recording_has() {
    let agent = start(SnmpAgent::new()).await;
    let client = Client::connect(agent.local_addr()).await;
    let apc = [
        "1.3.6.1.4.1.318.1.1.1.4.1.1.0",
        "1.3.6.1.4.1.318.1.1.1.11.1.1.0",
    ];
    let ups_mib = ["1.3.6.1.2.1.33.1.4.1.0", "1.3.6.1.2.1.33.1.2.2.0"];
    assert_eq!(agent.set_on_battery("nonexistent", true), None);

    // closet-apc: status, time on battery, state flags.
    assert_eq!(agent.set_on_battery("closet-apc", true), Some(3));
    let reply = client.get(Version::V2c, "closet-apc", &apc).await;
    assert_eq!(reply.varbinds[0].1, Value::Integer(3));
    let Value::OctetString(flags) = &reply.varbinds[1].1 else {
        panic!("flags are a string");
    };
    assert_eq!(&flags[..4], b"0100");
    // plant-3phase: upsOutputSource and upsSecondsOnBattery.
    assert_eq!(agent.set_on_battery("plant-3phase", true), Some(2));
    let reply = client.get(Version::V2c, "plant-3phase", &ups_mib).await;
    assert_eq!(reply.varbinds[0].1, Value::Integer(5));
    assert!(matches!(reply.varbinds[1].1, Value::Integer(s) if s >= 0));
    // The APC-only object is not created on a UPS-MIB device.
    let reply = client.get(Version::V2c, "plant-3phase", &apc[..1]).await;
    assert_eq!(reply.varbinds[0].1, Value::NoSuchObject);

    assert_eq!(agent.set_on_battery("closet-apc", false), Some(3));
    assert_eq!(agent.set_on_battery("plant-3phase", false), Some(2));
    let reply = client.get(Version::V2c, "closet-apc", &apc).await;
    assert_eq!(reply.varbinds[0].1, Value::Integer(2));
    let reply = client.get(Version::V2c, "plant-3phase", &ups_mib).await;
    assert_eq!(
        (&reply.varbinds[0].1, &reply.varbinds[1].1),
        (&Value::Integer(3), &Value::Integer(0))
    );
}
