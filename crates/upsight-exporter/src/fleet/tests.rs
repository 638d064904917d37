//! The heartbeat client against a fake plane on 127.0.0.1 (real HTTP, real time, short
//! intervals: the fake asks for one heartbeat a second): registration and the heartbeat
//! cadence, 404 and 409 recovery, an unreachable and a silent plane, `Retry-After`, an
//! oversized or endless answer; plus the generated identity and the last transfers.

mod hostile;
mod plane;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use upsight_model::{DeviceState, Source};

use self::plane::{Answer, FakePlane, Record};
use super::*;
use crate::tracker::ExporterState;

const WAIT: Duration = Duration::from_secs(15);

fn settings(url: &str, timeout: Duration) -> FleetSettings {
    FleetSettings {
        url: url.parse().unwrap(),
        group: "site-a".parse().unwrap(),
        identity: Some("rack-7".parse().unwrap()),
        token: crate::config::Secret::new("ingest-token-0123456789abcdef0123456789".into()),
        scrape_target: Some("127.0.0.1:9955".into()),
        timeout,
    }
}

/// A client task over a hub with one device, and its handles.
struct Running {
    hub: SnapshotHub,
    status: Arc<FleetStatus>,
    tracker: Tracker,
    cancel: CancellationToken,
    task: JoinHandle<()>,
}

impl Running {
    fn start(settings: FleetSettings) -> Self {
        Self::start_with(
            settings,
            Tracker::new(ExporterState::default(), Duration::from_secs(1)),
        )
    }

    fn start_with(settings: FleetSettings, tracker: Tracker) -> Self {
        let running = Self::start_unpolled(settings, tracker);
        running.poll();
        running
    }

    /// Over a hub whose one source has not polled yet.
    fn start_unpolled(settings: FleetSettings, tracker: Tracker) -> Self {
        let hub = SnapshotHub::new(vec!["nut[0]".into()]);
        let heartbeater =
            Heartbeater::try_new(settings, hub.clone(), tracker.clone(), true).unwrap();
        let cancel = CancellationToken::new();
        let status = heartbeater.status();
        let task = tokio::spawn(heartbeater.run(cancel.clone()));
        Self {
            hub,
            status,
            tracker,
            cancel,
            task,
        }
    }

    /// The source polls its one device, `rack`.
    fn poll(&self) {
        let device = DeviceState::new("rack".parse().unwrap(), Source::Nut);
        self.hub.publish(0, vec![device], true);
    }

    async fn wait_for(&self, what: &str, check: impl Fn(&FleetStatus) -> bool) {
        let wait = async {
            while !check(&self.status) {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        if tokio::time::timeout(WAIT, wait).await.is_err() {
            panic!("no {what} within {WAIT:?}: {:?}", self.status.counters());
        }
    }

    async fn stop(self) {
        self.cancel.cancel();
        tokio::time::timeout(WAIT, self.task)
            .await
            .unwrap()
            .unwrap();
    }
}

fn gaps(seen: &[plane::Seen]) -> Vec<Duration> {
    seen.windows(2).map(|w| w[1].at - w[0].at).collect()
}

fn leases(seen: &[plane::Seen]) -> Vec<Option<&str>> {
    seen.iter().map(|s| s.lease.as_deref()).collect()
}

#[tokio::test]
async fn registers_then_heartbeats_at_the_interval() {
    let plane = FakePlane::start().await;
    let client = Running::start(settings(&plane.url(), Duration::from_secs(2)));
    let record = plane
        .wait_until(WAIT, "four heartbeats", |r| r.heartbeats.len() >= 4)
        .await;
    assert_eq!(
        leases(&record.registers),
        [None],
        "one registration, no lease yet"
    );
    assert_eq!(record.registers[0].identity, "rack-7");
    let first = record.heartbeats[0].at - record.registers[0].at;
    assert!(
        first < Duration::from_millis(900),
        "the first heartbeat follows at once: {first:?}"
    );
    for gap in gaps(&record.heartbeats) {
        assert!(
            gap >= Duration::from_millis(880),
            "jitter is at most 10 %: {gap:?}"
        );
        assert!(gap <= Duration::from_secs(3), "{gap:?}");
    }
    for hb in &record.heartbeats {
        assert_eq!(
            (hb.identity.as_str(), hb.lease.as_deref()),
            ("rack-7", Some("lease-1"))
        );
        assert_eq!(hb.devices, ["rack"]);
    }
    assert_eq!(record.max_in_flight, 1);
    let c = client.status.counters();
    assert!(c.is_registered);
    assert_eq!(c.registrations, [(true, 1), (false, 0)]);
    assert!(c.heartbeats[0].1 >= 3, "{c:?}");
    assert!(c.last_success_seconds > 1_700_000_000.0, "{c:?}");
    assert_eq!(c.interval_seconds, 1);
    let saved = client.tracker.fleet_membership().unwrap().lease.unwrap();
    assert_eq!((saved.lease.as_str(), saved.member_number), ("lease-1", 7));
    assert_eq!(saved.url, format!("{}/", plane.url()));
    client.stop().await;
}

#[tokio::test]
async fn the_first_heartbeat_waits_for_the_first_polls() {
    let plane = FakePlane::start().await;
    let tracker = Tracker::new(ExporterState::default(), Duration::from_secs(1));
    let client = Running::start_unpolled(settings(&plane.url(), Duration::from_secs(2)), tracker);
    plane
        .wait_until(WAIT, "a registration", |r| !r.registers.is_empty())
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        plane.record().heartbeats.is_empty(),
        "no heartbeat before the first poll"
    );
    let polled = std::time::Instant::now();
    client.poll();
    let record = plane
        .wait_until(WAIT, "a heartbeat", |r| !r.heartbeats.is_empty())
        .await;
    assert!(record.heartbeats[0].at >= polled);
    assert_eq!(
        record.heartbeats[0].devices,
        ["rack"],
        "sent with the polled device"
    );
    client.stop().await;
    // A source that never polls delays the first heartbeat by one interval at most.
    let plane = FakePlane::start().await;
    let tracker = Tracker::new(ExporterState::default(), Duration::from_secs(1));
    let client = Running::start_unpolled(settings(&plane.url(), Duration::from_secs(2)), tracker);
    let record = plane
        .wait_until(WAIT, "a heartbeat", |r| !r.heartbeats.is_empty())
        .await;
    let waited = record.heartbeats[0].at - record.registers[0].at;
    assert!(
        waited >= Duration::from_millis(950),
        "waited for the polls: {waited:?}"
    );
    assert!(record.heartbeats[0].devices.is_empty());
    client.stop().await;
}

#[tokio::test]
async fn a_404_registers_again_at_once_presenting_the_lease() {
    let plane = FakePlane::start().await;
    plane.script_heartbeat(&[Answer::Normal, Answer::Status(404)]);
    let client = Running::start(settings(&plane.url(), Duration::from_secs(2)));
    let record = plane
        .wait_until(WAIT, "heartbeats after the second registration", |r| {
            r.registers.len() == 2 && r.heartbeats.len() >= 4
        })
        .await;
    assert_eq!(leases(&record.registers), [None, Some("lease-1")]);
    assert_eq!(
        record.registers[1].identity, "rack-7",
        "the identity is kept"
    );
    let again = record.registers[1].at - record.heartbeats[1].at;
    assert!(
        again < Duration::from_millis(700),
        "re-registered at once: {again:?}"
    );
    assert_eq!(record.heartbeats[3].lease.as_deref(), Some("lease-2"));
    assert_eq!(client.status.failures(Reason::UnknownMember), 1);
    assert_eq!(
        client.status.counters().registrations,
        [(true, 2), (false, 0)]
    );
    client.stop().await;
}

#[tokio::test]
async fn a_409_drops_the_lease_and_registers_without_it_with_backoff() {
    let plane = FakePlane::start().await;
    plane.script_heartbeat(&[Answer::Normal, Answer::Status(409)]);
    plane.script_register(&[Answer::Normal, Answer::Status(409), Answer::Status(409)]);
    let client = Running::start(settings(&plane.url(), Duration::from_secs(2)));
    let record = plane
        .wait_until(WAIT, "a heartbeat after the fourth registration", |r| {
            r.registers.len() == 4 && r.heartbeats.len() >= 3
        })
        .await;
    assert_eq!(leases(&record.registers), [None, None, None, None]);
    for gap in &gaps(&record.registers)[1..] {
        assert!(
            gap >= &Duration::from_millis(750),
            "backed off, no spinning: {gap:?}"
        );
    }
    assert_eq!(record.heartbeats[2].lease.as_deref(), Some("lease-2"));
    assert_eq!(client.status.failures(Reason::LeaseMismatch), 3);
    let saved = client.tracker.fleet_membership().unwrap().lease.unwrap();
    assert_eq!(
        saved.lease, "lease-2",
        "the new lease replaced the dropped one"
    );
    client.stop().await;
}

#[tokio::test]
async fn an_unreachable_plane_is_retried_and_found_again_on_the_same_port() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let client = Running::start(settings(&format!("http://{port}"), Duration::from_secs(2)));
    client
        .wait_for("two failed registrations", |s| {
            s.failures(Reason::Connect) >= 2
        })
        .await;
    assert!(!client.status.counters().is_registered);
    let plane = FakePlane::start_on(port).await;
    plane
        .wait_until(WAIT, "a heartbeat", |r| !r.heartbeats.is_empty())
        .await;
    // A plane outage while registered: heartbeats fail, then a new plane (empty state) on the
    // same port answers 404 and the client registers again by itself.
    plane.stop();
    let before = client.status.failures(Reason::Connect);
    client
        .wait_for("failed heartbeats", |s| {
            s.failures(Reason::Connect) >= before + 2
        })
        .await;
    assert!(client.status.counters().heartbeats[1].1 >= 2);
    let plane = FakePlane::start_on(port).await;
    let record = plane
        .wait_until(WAIT, "heartbeats to the new plane", |r| {
            r.heartbeats.len() >= 2
        })
        .await;
    assert_eq!(
        leases(&record.registers),
        [Some("lease-1")],
        "presented the old lease"
    );
    assert_eq!(client.status.failures(Reason::UnknownMember), 1);
    assert!(client.status.counters().is_registered);
    client.stop().await;
}

#[tokio::test]
async fn a_silent_plane_times_out_with_one_request_in_flight() {
    let plane = FakePlane::start().await;
    plane.set_heartbeat_default(Answer::Hang(Duration::from_millis(1500)));
    let client = Running::start(settings(&plane.url(), Duration::from_secs(1)));
    client
        .wait_for("three timeouts", |s| s.failures(Reason::Timeout) >= 3)
        .await;
    let record = plane.record();
    assert_eq!(record.max_in_flight, 1, "one request at a time");
    assert!(
        client.status.counters().is_registered,
        "a timeout keeps the registration"
    );
    assert_eq!(client.status.counters().heartbeats[0].1, 0);
    client.stop().await;
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let plane = FakePlane::start().await;
    plane.script_heartbeat(&[Answer::Normal, Answer::RateLimited(2)]);
    let client = Running::start(settings(&plane.url(), Duration::from_secs(2)));
    let record = plane
        .wait_until(WAIT, "three heartbeats", |r| r.heartbeats.len() >= 3)
        .await;
    let waited = record.heartbeats[2].at - record.heartbeats[1].at;
    assert!(
        waited >= Duration::from_millis(1950),
        "waited for Retry-After: {waited:?}"
    );
    assert_eq!(client.status.failures(Reason::RateLimited), 1);
    assert!(client.status.counters().is_registered);
    client.stop().await;
}

#[tokio::test]
async fn an_oversized_registration_answer_is_refused() {
    let plane = FakePlane::start().await;
    plane.script_register(&[Answer::Oversized]);
    let client = Running::start(settings(&plane.url(), Duration::from_secs(2)));
    plane
        .wait_until(WAIT, "a heartbeat", |r| !r.heartbeats.is_empty())
        .await;
    assert_eq!(client.status.failures(Reason::InvalidResponse), 1);
    assert_eq!(
        client.status.counters().registrations,
        [(true, 1), (false, 1)]
    );
    assert_eq!(
        plane.record().heartbeats[0].lease.as_deref(),
        Some("lease-2")
    );
    client.stop().await;
}

#[tokio::test]
async fn a_restart_presents_the_saved_lease_only_to_its_plane() {
    let plane = FakePlane::start().await;
    let record = |url: &str| LeaseRecord {
        url: url.into(),
        group: "site-a".parse().unwrap(),
        identity: "rack-7".parse().unwrap(),
        member_number: 7,
        lease: "saved-lease".into(),
    };
    for (saved_url, presented) in [
        (format!("{}/", plane.url()), Some("saved-lease")),
        ("http://127.0.0.1:1/".to_owned(), None),
    ] {
        let tracker = Tracker::new(ExporterState::default(), Duration::from_secs(1));
        tracker.set_fleet_membership(Membership {
            generated_identity: None,
            lease: Some(record(&saved_url)),
        });
        let before = plane.record().registers.len();
        let client = Running::start_with(settings(&plane.url(), Duration::from_secs(2)), tracker);
        let seen: Record = plane
            .wait_until(WAIT, "a registration", |r| r.registers.len() > before)
            .await;
        assert_eq!(
            seen.registers[before].lease.as_deref(),
            presented,
            "{saved_url}"
        );
        client
            .wait_for("the registration", |s| s.counters().is_registered)
            .await;
        let now = client.tracker.fleet_membership().unwrap().lease.unwrap();
        assert_eq!(now.url, format!("{}/", plane.url()));
        assert_ne!(now.lease, "saved-lease");
        client.stop().await;
    }
}

#[test]
fn a_generated_identity_is_kept_in_the_state() {
    let tracker = Tracker::new(ExporterState::default(), Duration::from_secs(1));
    let mut config = settings("http://127.0.0.1:9", Duration::from_secs(1));
    config.identity = None;
    let hub = SnapshotHub::new(Vec::new());
    let first = Heartbeater::try_new(config.clone(), hub.clone(), tracker.clone(), true).unwrap();
    let id = first.identity().as_str().to_owned();
    assert!(id.starts_with("exp-") && id.len() == 20, "{id}");
    assert!(id[4..].bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
    let saved = tracker
        .fleet_membership()
        .unwrap()
        .generated_identity
        .unwrap();
    assert_eq!(saved.as_str(), id);
    let second = Heartbeater::try_new(config, hub, tracker, true).unwrap();
    assert_eq!(
        second.identity().as_str(),
        id,
        "the same identity after a restart"
    );
}

#[test]
fn the_last_transfer_is_the_newest_outage_start() {
    let at = |s: u64| UNIX_EPOCH + Duration::from_secs(1_800_000_000 + s);
    let outage = |device: &str, start: SystemTime| Outage {
        device: device.parse().unwrap(),
        start,
        end: None,
        duration: Duration::ZERO,
        min_charge_ratio: None,
        min_runtime: None,
    };
    let map = last_transfers(vec![
        outage("a", at(10)),
        outage("a", at(50)),
        outage("b", at(5)),
        outage("a", at(20)),
    ]);
    assert_eq!(map.len(), 2);
    assert_eq!(map[&"a".parse().unwrap()], at(50));
    assert_eq!(map[&"b".parse().unwrap()], at(5));
}
