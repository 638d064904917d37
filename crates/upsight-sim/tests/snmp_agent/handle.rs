//! Cloned handles share one agent; duplicate devices are refused; shutdown stops it.

use std::time::Duration;

use upsight_proto::snmp::Value;
use upsight_proto::snmp::ber::{Pdu, PduKind, Version};
use upsight_sim::snmp::SnmpAgent;

use crate::support::{Client, oid, start};

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
