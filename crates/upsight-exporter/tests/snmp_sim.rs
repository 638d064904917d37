//! The SNMP source against the simulator's SNMP agent (no install needed): what a poll costs
//! in requests, the v1 path, `tooBig` splitting, and each agent fault mapped to its failure
//! reason, with recovery once the fault clears.

use std::time::Duration;

use upsight_exporter::config::Config;
use upsight_exporter::mapping;
use upsight_exporter::source::snmp::SnmpSource;
use upsight_exporter::source::{PollError, Source};
use upsight_model::{FailureReason, Quantity, Reading, StatusFlag};
use upsight_sim::snmp::{SnmpAgent, SnmpFault, SnmpHandle, demo_agent};

async fn agent() -> SnmpHandle {
    demo_agent()
        .bind("127.0.0.1:0")
        .await
        .expect("bind the SNMP agent")
}

fn source(agent: &SnmpHandle, community: &str, extra: &str) -> SnmpSource {
    let text = format!(
        "interval = \"5s\"\n[[snmp]]\nname = \"dev\"\naddress = \"{}\"\ncommunity = \"{community}\"\ntimeout = \"200ms\"\nretries = 1\n{extra}\n",
        agent.local_addr()
    );
    SnmpSource::new(Config::parse(&text, &|_| None).expect("config").snmp[0].clone())
}

async fn read(source: &mut SnmpSource) -> Result<Reading, PollError> {
    let mut polls = source.poll().await?;
    let raw = polls.remove(0).result?;
    mapping::map(raw).map_err(|e| PollError::new(FailureReason::Unsupported, e.to_string()))
}

fn reason(result: &Result<Reading, PollError>) -> Option<FailureReason> {
    result.as_ref().err().map(|e| e.reason)
}

#[tokio::test]
async fn a_steady_poll_is_one_get_and_one_getbulk() {
    let agent = agent().await;
    let mut apc = source(&agent, "closet-apc", "");
    let first = read(&mut apc).await.unwrap();
    assert_eq!(apc.profile().map(|p| p.id), Some("apc"));
    assert!(first.status.has(&StatusFlag::Ol));
    let before = agent.requests_received();
    let sent = apc.requests_sent();
    read(&mut apc).await.unwrap();
    let per_poll = agent.requests_received() - before;
    assert_eq!(per_poll, apc.requests_sent() - sent);
    // System + APC + UPS-MIB fallback scalars fit in 32-OID GETs; the tables in GETBULKs.
    assert!(per_poll <= 4, "{per_poll} requests for one poll");
    let shown = format!("{apc:?}");
    assert!(
        shown.contains("apc") && !shown.contains("closet-apc"),
        "no community in Debug: {shown}"
    );

    let mut plant = source(&agent, "plant-3phase", "");
    let reading = read(&mut plant).await.unwrap();
    assert_eq!(plant.profile().map(|p| p.id), Some("ups-mib"));
    let phases: Vec<_> = reading
        .samples
        .iter()
        .filter(|s| s.quantity == Quantity::OutputVoltage)
        .filter_map(|s| s.phase.clone())
        .collect();
    assert_eq!(phases, ["L1-N", "L2-N", "L3-N"]);
}

#[tokio::test]
async fn v1_walks_with_getnext_and_skips_missing_objects() {
    let agent = agent().await;
    let mut v2 = source(&agent, "plant-3phase", "");
    let mut v1 = source(&agent, "plant-3phase", "version = \"1\"");
    let a = read(&mut v2).await.unwrap();
    let b = read(&mut v1).await.unwrap();
    assert_eq!(a.samples, b.samples, "v1 reads what v2c reads");
    assert_eq!(a.status, b.status);
}

#[tokio::test]
async fn too_big_answers_split_the_get() {
    let agent = demo_agent()
        .with_max_varbinds(5)
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    let mut reference = source(&agent, "closet-apc", "max_varbinds = 4");
    let mut big = source(&agent, "closet-apc", "max_varbinds = 64");
    let a = read(&mut reference).await.unwrap();
    let b = read(&mut big).await.unwrap();
    assert_eq!(a.samples, b.samples);
    assert!(big.requests_sent() > reference.requests_sent() / 2);
}

#[tokio::test]
async fn faults_map_to_reasons_and_the_source_recovers() {
    let agent = agent().await;
    let mut apc = source(&agent, "closet-apc", "");
    read(&mut apc).await.unwrap();
    let cases = [
        (SnmpFault::Silent, FailureReason::Timeout),
        (
            SnmpFault::Late(Duration::from_millis(450)),
            FailureReason::Timeout,
        ),
        (SnmpFault::WrongRequestId, FailureReason::Protocol),
        (SnmpFault::Garbage, FailureReason::Protocol),
    ];
    for (fault, want) in cases {
        assert!(agent.set_fault("closet-apc", Some(fault)));
        let before = agent.requests_received();
        let result = read(&mut apc).await;
        assert_eq!(reason(&result), Some(want), "{fault:?}: {result:?}");
        let sent = agent.requests_received() - before;
        assert!(sent <= 8, "{fault:?}: {sent} requests, retries are bounded");
        // Another device on the same agent is unaffected.
        let mut plant = source(&agent, "plant-3phase", "");
        assert!(
            read(&mut plant).await.is_ok(),
            "{fault:?} leaked to another device"
        );
        assert!(agent.set_fault("closet-apc", None));
        // Late replies to the failed poll may still arrive: they are skipped, not believed.
        let recovered = read(&mut apc).await;
        assert!(recovered.is_ok(), "{fault:?}: no recovery: {recovered:?}");
    }
}

#[tokio::test]
async fn a_late_answer_within_the_timeout_is_fine() {
    let agent = agent().await;
    assert!(agent.set_fault(
        "closet-apc",
        Some(SnmpFault::Late(Duration::from_millis(50)))
    ));
    let mut apc = source(&agent, "closet-apc", "");
    assert!(read(&mut apc).await.is_ok());
}

#[tokio::test]
async fn on_battery_in_the_simulator_is_ob() {
    let agent = agent().await;
    let mut apc = source(&agent, "closet-apc", "");
    assert!(read(&mut apc).await.unwrap().status.has(&StatusFlag::Ol));
    assert!(
        agent
            .set_on_battery("closet-apc", true)
            .is_some_and(|n| n > 0)
    );
    let reading = read(&mut apc).await.unwrap();
    assert!(reading.status.has(&StatusFlag::Ob), "{:?}", reading.status);
    assert!(!reading.status.has(&StatusFlag::Ol));
}

#[tokio::test]
async fn an_agent_that_is_not_a_ups_is_unsupported() {
    let pdu = upsight_proto::snmp::snmprec::parse_snmprec(
        b"1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.318.1.3.4.5\n1.3.6.1.4.1.318.1.1.12.1.1.0|4|pdu\n",
    )
    .unwrap();
    let agent = SnmpAgent::new()
        .with_device("pdu", pdu)
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    let mut s = source(&agent, "pdu", "");
    let error = s.poll().await.unwrap_err();
    assert_eq!(error.reason, FailureReason::Unsupported);
    assert!(error.detail.contains("1.3.6.1.4.1.318.1.3.4.5"), "{error}");
}
