//! The simulated SNMP agent over real UDP on loopback, driven by upsight-proto's own BER
//! codec: GET/GETNEXT/GETBULK/SET semantics for v1 and v2c, silence for unknown communities,
//! each fault, the on-battery switch, and (optional cross-check) net-snmp's own tools.
//!
//! Silence is proven without waiting: the agent answers datagrams in order on one task, so
//! once the answer to a later request arrives, the earlier one has been dealt with.

#![allow(clippy::unwrap_used)] // test helpers may panic: a panic is a test failure

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::UdpSocket;
use upsight_proto::snmp::ber::{
    BerError, Message, Pdu, PduKind, Version, decode_message, encode_message,
};
use upsight_proto::snmp::snmprec::parse_snmprec;
use upsight_proto::snmp::{Oid, Value};
use upsight_sim::snmp::{SnmpAgent, SnmpFault, SnmpHandle, demo_snmp_devices};

/// Generous: only a broken agent makes a test wait this long.
const REPLY_TIMEOUT: Duration = Duration::from_secs(5);

fn oid(text: &str) -> Oid {
    text.parse().unwrap()
}

fn demo(name: &str) -> Vec<(Oid, Value)> {
    let (_, bytes) = demo_snmp_devices()
        .into_iter()
        .find(|(community, _)| *community == name)
        .unwrap();
    parse_snmprec(bytes).unwrap().entries
}

async fn start(agent: SnmpAgent) -> SnmpHandle {
    let agent = demo_snmp_devices()
        .into_iter()
        .fold(agent, |agent, (community, bytes)| {
            agent.with_device(community, parse_snmprec(bytes).unwrap())
        });
    agent.bind("127.0.0.1:0").await.unwrap()
}

/// A manager on a connected loopback socket.
struct Client {
    socket: UdpSocket,
}

impl Client {
    async fn connect(agent: SocketAddr) -> Self {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        socket.connect(agent).await.unwrap();
        Self { socket }
    }

    async fn send(&self, version: Version, community: &str, pdu: Pdu) {
        let mut wire = Vec::new();
        let message = Message {
            version,
            community: community.as_bytes().to_vec(),
            pdu,
        };
        encode_message(&message, &mut wire);
        self.socket.send(&wire).await.unwrap();
    }

    async fn recv_bytes(&self) -> Vec<u8> {
        let mut buf = vec![0; 70_000];
        let n = tokio::time::timeout(REPLY_TIMEOUT, self.socket.recv(&mut buf))
            .await
            .expect("the agent answers")
            .unwrap();
        buf.truncate(n);
        buf
    }

    async fn recv(&self) -> Message {
        decode_message(&self.recv_bytes().await).unwrap()
    }

    async fn ask(&self, version: Version, community: &str, pdu: Pdu) -> Pdu {
        let request_id = pdu.request_id;
        self.send(version, community, pdu).await;
        let reply = self.recv().await;
        assert_eq!(reply.version, version);
        assert_eq!(reply.community, community.as_bytes());
        assert_eq!(reply.pdu.kind, PduKind::Response);
        assert_eq!(reply.pdu.request_id, request_id);
        reply.pdu
    }

    async fn get(&self, version: Version, community: &str, oids: &[&str]) -> Pdu {
        let pdu = Pdu::request(PduKind::Get, 11, oids.iter().map(|o| oid(o)));
        self.ask(version, community, pdu).await
    }
}

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

#[tokio::test]
async fn handles_share_the_agent_and_shutdown_stops_it() {
    let agent = start(SnmpAgent::new()).await;
    let clone = agent.clone();
    assert!(clone.set_value(
        "closet-apc",
        oid("1.3.6.1.2.1.1.5.0"),
        Value::OctetString(b"x".to_vec())
    ));
    assert_eq!(
        agent.value("closet-apc", &oid("1.3.6.1.2.1.1.5.0")),
        Some(Value::OctetString(b"x".to_vec()))
    );
    let refused = SnmpAgent::new()
        .with_device("a", Default::default())
        .with_device("a", Default::default())
        .bind("127.0.0.1:0")
        .await;
    assert!(
        refused
            .unwrap_err()
            .to_string()
            .contains("\"a\" given twice")
    );
    let client = Client::connect(agent.local_addr()).await;
    client
        .get(Version::V2c, "closet-apc", &["1.3.6.1.2.1.1.5.0"])
        .await;
    clone.shutdown();
    // Once the task has stopped, nothing is counted any more.
    for _ in 0..100 {
        let before = agent.requests_received();
        client
            .send(
                Version::V2c,
                "closet-apc",
                Pdu::request(PduKind::Get, 1, [oid("1.3")]),
            )
            .await;
        tokio::time::sleep(Duration::from_millis(20)).await;
        if agent.requests_received() == before {
            return;
        }
    }
    panic!("the agent kept answering after shutdown");
}

// === Optional cross-check with net-snmp (skipped when its tools are not installed) ===

const SNMPBULKWALK: &str = "/usr/bin/snmpbulkwalk";

async fn net_snmp(tool: &str, args: &[&str]) -> String {
    let output = tokio::process::Command::new(tool)
        .args(args)
        .env("MIBS", "")
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "{tool} {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn walked_oids(output: &str) -> Vec<Oid> {
    output
        .lines()
        // v2c walks end with endOfMibView lines, v1 walks with "End of MIB".
        .filter(|line| line.starts_with('.') && !line.contains("No more variables left"))
        .map(|line| oid(line.split(" = ").next().unwrap()))
        .collect()
}

#[tokio::test]
async fn net_snmp_tools_read_and_write_the_agent() {
    if !std::path::Path::new(SNMPBULKWALK).exists() {
        eprintln!("net-snmp not installed; skipping the optional cross-check");
        return;
    }
    let agent = start(SnmpAgent::new()).await;
    let target = agent.local_addr().to_string();
    for community in ["closet-apc", "plant-3phase"] {
        let expected: Vec<Oid> = demo(community).into_iter().map(|(o, _)| o).collect();
        let args = ["-On", "-t", "2", "-r", "1", "-c", community, &target, ".1"];
        let bulk = net_snmp(SNMPBULKWALK, &[&["-v2c", "-Cr7"][..], &args].concat()).await;
        assert_eq!(walked_oids(&bulk), expected, "{community}");
        let walk = net_snmp("/usr/bin/snmpwalk", &[&["-v1"][..], &args].concat()).await;
        assert_eq!(walked_oids(&walk), expected, "{community}");
    }
    let set = net_snmp(
        "/usr/bin/snmpset",
        &[
            "-v2c",
            "-On",
            "-c",
            "closet-apc",
            &target,
            "1.3.6.1.2.1.1.6.0",
            "s",
            "Rack 4",
        ],
    )
    .await;
    assert!(set.contains("STRING: \"Rack 4\""), "{set}");
    let get = net_snmp(
        "/usr/bin/snmpget",
        &[
            "-v2c",
            "-On",
            "-c",
            "closet-apc",
            &target,
            "1.3.6.1.2.1.1.6.0",
            "1.3.6.1.4.1.318.1.1.1.2.2.3.0",
        ],
    )
    .await;
    assert!(get.contains("STRING: \"Rack 4\""), "{get}");
    assert!(get.contains("Timeticks: (282000)"), "{get}");
}
