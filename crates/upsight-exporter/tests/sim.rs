//! The NUT source and poller against the in-process simulator: pipelining, per-UPS faults,
//! hostile servers, deadlines and reconnects.

#![allow(clippy::unwrap_used)] // test helpers may panic: a panic is a test failure

use std::time::Duration;

use tokio_util::sync::CancellationToken;
use upsight_exporter::config::Config;
use upsight_exporter::poller::{Poller, SnapshotHub};
use upsight_exporter::source::nut::NutSource;
use upsight_exporter::source::{DevicePoll, PollError, RawDevice, Source};
use upsight_model::{FailureReason, Outcome};
use upsight_sim::{Device, Fault, ServerFault, SimHandle, Simulator};

async fn sim(count: usize) -> SimHandle {
    let mut sim = Simulator::new();
    for i in 0..count {
        let text = format!(
            "ups.status: OL\nbattery.charge: {}\nups.load: 10\n",
            50 + i % 50
        );
        sim = sim.with_device(format!("ups{i:03}"), Device::parse(&text).unwrap());
    }
    sim.bind("127.0.0.1:0").await.unwrap()
}

fn source(sim: &SimHandle, extra: &str) -> NutSource {
    let text = format!("[[nut]]\naddress = \"{}\"\n{extra}", sim.addr());
    let config = Config::parse(&text, &|_| None).unwrap();
    NutSource::new(config.nut[0].clone())
}

fn outcome<'a>(polls: &'a [DevicePoll], name: &str) -> &'a Result<RawDevice, PollError> {
    &polls
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("{name} missing"))
        .result
}

fn reason(result: &Result<Vec<DevicePoll>, PollError>) -> Option<FailureReason> {
    result.as_ref().err().map(|e| e.reason)
}

#[tokio::test]
async fn one_connection_and_one_write_per_poll_for_25_ups() {
    let sim = sim(25).await;
    let mut nut = source(&sim, "");
    for _ in 0..3 {
        let polls = nut.poll().await.unwrap();
        assert_eq!(polls.len(), 25);
        assert!(polls.iter().all(|p| p.result.is_ok()));
    }
    assert_eq!(sim.connections_accepted(), 1, "one persistent connection");
    assert_eq!(
        sim.commands_answered(),
        3 * 26,
        "LIST UPS + 25 LIST VAR per poll, nothing else"
    );
    // The first poll knows no UPS yet: LIST UPS, then every LIST VAR in a second write. After
    // that, LIST UPS and every LIST VAR go out together.
    assert_eq!(
        sim.batches_received(),
        1 + 3,
        "every request of a poll in one write"
    );
}

#[tokio::test]
async fn explicit_list_skips_discovery_and_username_password_are_sent_once() {
    let sim = sim(3).await;
    let mut nut = source(
        &sim,
        "ups = [\"ups000\", \"ups002\"]\nusername = \"mon\"\npassword = \"pw\"\n",
    );
    let polls = nut.poll().await.unwrap();
    assert_eq!(
        polls.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["ups000", "ups002"]
    );
    nut.poll().await.unwrap();
    assert_eq!(
        sim.commands_answered(),
        2 + 2 * 2,
        "USERNAME + PASSWORD once, then 2 LIST VAR per poll"
    );
}

#[tokio::test]
async fn per_ups_errors_stay_per_ups() {
    let sim = sim(4).await;
    let mut nut = source(&sim, "");
    sim.set_fault("ups001", Some(Fault::Stale));
    sim.set_fault("ups002", Some(Fault::DriverNotConnected));
    sim.set_fault("ups003", Some(Fault::Waiting));
    let polls = nut.poll().await.unwrap();
    assert!(outcome(&polls, "ups000").is_ok());
    assert_eq!(
        outcome(&polls, "ups001").as_ref().unwrap_err().reason,
        FailureReason::Stale
    );
    assert_eq!(
        outcome(&polls, "ups002").as_ref().unwrap_err().reason,
        FailureReason::DriverNotConnected
    );
    let waiting = outcome(&polls, "ups003")
        .as_ref()
        .unwrap()
        .nut_vars()
        .unwrap();
    assert!(
        waiting.contains(&("ups.status".into(), "WAIT".into())),
        "WAIT is mapped by the poller"
    );
}

#[tokio::test]
async fn hostile_servers_give_typed_errors_and_the_source_recovers_by_itself() {
    let sim = sim(2).await;
    let mut nut = source(&sim, "read_timeout = \"300ms\"\npoll_timeout = \"2s\"\n");
    nut.poll().await.unwrap();
    let cases = [
        (ServerFault::Garbage, FailureReason::Protocol),
        (ServerFault::HugeLine, FailureReason::Protocol),
        (ServerFault::EndlessList, FailureReason::Protocol),
        (ServerFault::UnterminatedQuote, FailureReason::Protocol),
        (ServerFault::Silent, FailureReason::Timeout),
        (
            ServerFault::SlowReplies(Duration::from_millis(600)),
            FailureReason::Timeout,
        ),
        (ServerFault::DropConnections, FailureReason::Transport),
    ];
    for (fault, want) in cases {
        sim.set_server_fault(Some(fault));
        let got = nut.poll().await;
        assert_eq!(reason(&got), Some(want), "{fault:?}: {got:?}");
        sim.set_server_fault(None);
        // The failed connection was dropped; after the (jittered, < 1 s) backoff the source
        // reconnects on its own.
        let recovered = poll_until_ok(&mut nut).await;
        assert!(recovered, "no recovery after {fault:?}");
    }
    assert!(
        sim.connections_accepted() >= 7,
        "each fault cost a reconnect"
    );
}

async fn poll_until_ok(nut: &mut NutSource) -> bool {
    for _ in 0..40 {
        if nut.poll().await.is_ok() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test]
async fn endless_list_is_cut_at_the_list_cap_with_bounded_memory() {
    let sim = sim(1).await;
    let mut nut = source(&sim, "ups = [\"ups000\"]\n");
    sim.set_server_fault(Some(ServerFault::EndlessList));
    let err = nut.poll().await.unwrap_err();
    assert_eq!(err.reason, FailureReason::Protocol);
    assert!(
        err.detail.contains("list longer than 10000 entries"),
        "{}",
        err.detail
    );
}

#[tokio::test]
async fn the_poll_deadline_cancels_a_hung_poll_and_the_poller_recovers() {
    let sim = sim(2).await;
    let text = format!(
        "interval = \"400ms\"\n[[nut]]\naddress = \"{}\"\nread_timeout = \"300ms\"\npoll_timeout = \"300ms\"\n",
        sim.addr()
    );
    let config = Config::parse(&text, &|_| None).unwrap();
    let hub = SnapshotHub::new(vec!["nut[0]".into()]);
    let cancel = CancellationToken::new();
    let poller = Poller::new(0, hub.clone(), config.interval, Duration::from_millis(150));
    let task = tokio::spawn(poller.run(NutSource::new(config.nut[0].clone()), cancel.clone()));
    let wait = |check: fn(&upsight_model::Snapshot) -> bool| {
        let hub = hub.clone();
        async move {
            for _ in 0..100 {
                if check(&hub.current()) {
                    return true;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            false
        }
    };
    assert!(
        wait(|s| s.is_ready && s.devices.len() == 2 && s.devices.iter().all(|d| d.is_up())).await
    );
    sim.set_server_fault(Some(ServerFault::Silent));
    let timed_out = |s: &upsight_model::Snapshot| {
        s.devices.iter().all(|d| {
            matches!(
                d.outcome,
                Outcome::Failed {
                    reason: FailureReason::Timeout,
                    ..
                }
            )
        })
    };
    assert!(
        wait(timed_out).await,
        "deadline never fired: {:?}",
        hub.current()
    );
    sim.set_server_fault(None);
    assert!(
        wait(|s| s.devices.iter().all(|d| d.is_up())).await,
        "no recovery: {:?}",
        hub.current()
    );
    cancel.cancel();
    task.await.unwrap();
}
