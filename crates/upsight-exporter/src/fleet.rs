//! The heartbeat client (design.md §4.7): registers this exporter with the fleet control plane,
//! then sends a heartbeat built from the latest snapshot every interval the plane returned,
//! with ±10 % jitter, one request at a time, each under `fleet.timeout`.
//!
//! **Fail-open.** The task only reads the snapshot hub and the tracker; polling and `/metrics`
//! never wait on it. A failure becomes a counter ([`FleetStatus`]), a log line when the state
//! changes (never one per heartbeat), and a retry:
//!
//! - 404 on a heartbeat: the plane forgot the member (restarted without its state); register
//!   again at once, keeping the identity and presenting the lease (a plane that still knows
//!   the member keeps its number). A second 404 in a row waits for the backoff: a plane that
//!   answers 404 to everything does not make the client spin.
//! - 409: the plane holds another lease for this identity; drop the lease and register
//!   without one. The plane accepts that once the old registration has been down for its TTL,
//!   so the retries back off meanwhile.
//! - 429: wait what `Retry-After` says (1 s to 1 h), then retry the same request.
//! - Anything else (no connection, timeout, 5xx, 401, 400, 403, an invalid answer): retry after
//!   a jittered exponential backoff from [`BACKOFF_BASE`], doubling, capped at the heartbeat
//!   interval the plane asked for ([`BACKOFF_CAP_UNREGISTERED`] before the first
//!   registration). The cap keeps retries no slower than normal heartbeats, so a plane that
//!   comes back sees every member again within one interval, before its TTL could mark them
//!   down; it never adds load beyond one request per interval per member once capped.
//!
//! The identity and the lease are kept in the exporter's state file (see [`membership`]).

pub mod client;
pub mod membership;
pub mod schedule;
pub mod status;
mod transitions;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tokio_util::sync::CancellationToken;
use upsight_model::{
    HeartbeatV1, MemberId, Outage, RegisterRequestV1, RegisterResponseV1, Snapshot, UpsName,
    Version,
};

pub use client::{BuildError, Client, Failure};
pub use membership::{LeaseRecord, Membership};
pub use schedule::{
    BACKOFF_BASE, BACKOFF_CAP_UNREGISTERED, JITTER, MAX_RETRY_AFTER, backoff_for, jittered,
};
pub use status::{FleetCounters, FleetStatus, Reason};

use crate::config::fleet::FleetSettings;
use crate::poller::SnapshotHub;
use crate::source::backoff::Backoff;
use crate::tracker::Tracker;
use transitions::Transitions;

/// The `software_version` sent.
pub const SOFTWARE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The heartbeat client task and what it reads.
#[derive(Debug)]
pub struct Heartbeater {
    settings: FleetSettings,
    client: Client,
    hub: SnapshotHub,
    tracker: Tracker,
    status: Arc<FleetStatus>,
    identity: MemberId,
    started: Instant,
}

/// The loop's state between two requests.
#[derive(Debug)]
struct Session {
    lease: Option<String>,
    is_registered: bool,
    interval: Option<Duration>,
    backoff: Backoff,
    /// The last heartbeat was accepted: a 404 now means the plane forgot us, not a plane that
    /// answers 404 to everything (which must not make the client spin).
    was_last_ok: bool,
    /// A heartbeat was accepted since the start; before, one waits for the first polls.
    has_reported: bool,
    transitions: Transitions,
}

impl Heartbeater {
    /// The client for `settings`, reading `hub` and `tracker`. The identity is the configured
    /// one, else the one remembered in the tracker's state, else a new one that is remembered
    /// (saved only with a state file: `has_state_file` false logs that it lasts one run).
    pub fn try_new(
        settings: FleetSettings,
        hub: SnapshotHub,
        tracker: Tracker,
        has_state_file: bool,
    ) -> Result<Self, BuildError> {
        let client = Client::try_new(&settings)?;
        let remembered = tracker.fleet_membership().unwrap_or_default();
        let (identity, is_new) = membership::resolve_identity(
            settings.identity.as_ref(),
            remembered.generated_identity.as_ref(),
            fastrand::u64(..),
        );
        if is_new {
            tracker.set_fleet_membership(Membership {
                generated_identity: Some(identity.clone()),
                ..remembered
            });
            if has_state_file {
                tracing::info!(%identity, "Generated the fleet identity; it is kept in the state file.");
            } else {
                tracing::warn!(%identity, "No state_dir: the fleet identity is generated anew at every start, so the plane sees a new member after each restart. Set fleet.identity or state_dir.");
            }
        }
        if settings.url.scheme() == "http" && !is_loopback(&settings.url) {
            tracing::warn!(url = %settings.url, "The fleet URL is http://: the ingest token and the heartbeats cross the network unencrypted. Use https://.");
        }
        Ok(Self {
            settings,
            client,
            hub,
            tracker,
            status: Arc::new(FleetStatus::default()),
            identity,
            started: Instant::now(),
        })
    }

    /// The counters the exposition reads.
    pub fn status(&self) -> Arc<FleetStatus> {
        Arc::clone(&self.status)
    }

    /// The identity registered with.
    pub fn identity(&self) -> &MemberId {
        &self.identity
    }

    /// Registers, then heartbeats, until `cancel` fires (an in-flight request is dropped).
    pub async fn run(self, cancel: CancellationToken) {
        let remembered = self.tracker.fleet_membership().unwrap_or_default();
        let mut session = Session {
            lease: remembered
                .lease_for(
                    self.settings.url.as_str(),
                    &self.settings.group,
                    &self.identity,
                )
                .map(str::to_owned),
            is_registered: false,
            interval: None,
            backoff: backoff_for(None),
            was_last_ok: false,
            has_reported: false,
            transitions: Transitions::default(),
        };
        if remembered.lease.is_some() && session.lease.is_none() {
            // Issued for another plane, group or identity: never presented.
            self.remember_lease(None);
        }
        loop {
            let step = async {
                if session.is_registered {
                    self.heartbeat(&mut session).await
                } else {
                    self.register(&mut session).await
                }
            };
            let delay = tokio::select! {
                () = cancel.cancelled() => return,
                delay = step => delay,
            };
            tokio::select! {
                () = cancel.cancelled() => return,
                () = tokio::time::sleep(delay) => {}
            }
        }
    }

    /// One registration; the delay before the next request.
    async fn register(&self, session: &mut Session) -> Duration {
        let request = RegisterRequestV1 {
            version: Version,
            identity: self.identity.clone(),
            group: self.settings.group.clone(),
            software_version: SOFTWARE_VERSION.into(),
            scrape_target: self.settings.scrape_target.clone(),
            lease: session.lease.clone(),
        };
        match self.client.send_register(&request).await {
            Ok(answer) => {
                self.registered(session, &answer);
                // The first heartbeat goes at once (after the first polls, see
                // `first_snapshot`): a registration carries no device data.
                Duration::ZERO
            }
            Err(failure) => {
                session
                    .transitions
                    .failed(&self.status, &self.settings.url, false, &failure);
                if failure.reason == Reason::LeaseMismatch && session.lease.take().is_some() {
                    self.remember_lease(None);
                }
                schedule::retry_delay(&mut session.backoff, &failure)
            }
        }
    }

    fn registered(&self, session: &mut Session, answer: &RegisterResponseV1) {
        let interval = answer.heartbeat_interval();
        if session.interval != Some(interval) {
            session.backoff = backoff_for(Some(interval));
        }
        let is_again = session.interval.is_some() || session.lease.is_some();
        session.interval = Some(interval);
        session.lease = Some(answer.lease.clone());
        session.is_registered = true;
        self.status.registered(interval);
        self.remember_lease(Some(LeaseRecord {
            url: self.settings.url.as_str().to_owned(),
            group: self.settings.group.clone(),
            identity: self.identity.clone(),
            member_number: answer.member_number,
            lease: answer.lease.clone(),
        }));
        session.transitions.recovered(&self.settings.url);
        tracing::info!(
            url = %self.settings.url,
            group = %self.settings.group,
            identity = %self.identity,
            member_number = answer.member_number,
            heartbeat_interval_seconds = answer.heartbeat_interval_seconds,
            is_again,
            "Registered with the fleet plane."
        );
    }

    /// One heartbeat; the delay before the next request.
    async fn heartbeat(&self, session: &mut Session) -> Duration {
        let (Some(lease), Some(interval)) = (session.lease.clone(), session.interval) else {
            session.is_registered = false;
            return Duration::ZERO;
        };
        let snapshot = if session.has_reported {
            self.hub.current()
        } else {
            self.first_snapshot(interval).await
        };
        let transfers = last_transfers(self.tracker.outages(None));
        let now = SystemTime::now();
        let heartbeat = HeartbeatV1::from_snapshot(
            self.identity.clone(),
            lease,
            self.settings.group.clone(),
            SOFTWARE_VERSION.into(),
            self.started.elapsed(),
            now,
            &snapshot,
            |name| transfers.get(name).copied(),
        );
        let Err(failure) = self.client.send_heartbeat(&heartbeat).await else {
            self.status.heartbeat_ok(now);
            session.transitions.recovered(&self.settings.url);
            session.backoff.reset();
            session.was_last_ok = true;
            session.has_reported = true;
            return jittered(interval, fastrand::f64());
        };
        session
            .transitions
            .failed(&self.status, &self.settings.url, true, &failure);
        let was_last_ok = std::mem::replace(&mut session.was_last_ok, false);
        match failure.reason {
            Reason::UnknownMember => {
                session.is_registered = false;
                if was_last_ok {
                    Duration::ZERO
                } else {
                    session.backoff.next_delay()
                }
            }
            Reason::LeaseMismatch => {
                session.is_registered = false;
                session.lease = None;
                self.remember_lease(None);
                session.backoff.next_delay()
            }
            _ => schedule::retry_delay(&mut session.backoff, &failure),
        }
    }

    /// The snapshot for the first heartbeat: once every source has polled, or after `limit`
    /// (the heartbeat interval) whatever it holds, so the plane does not show this exporter's
    /// devices as down for an interval after each start.
    async fn first_snapshot(&self, limit: Duration) -> Arc<Snapshot> {
        let mut updates = self.hub.subscribe();
        let ready = tokio::time::timeout(limit, async {
            updates
                .wait_for(|s| s.is_ready)
                .await
                .map(|s| Arc::clone(&s))
        })
        .await;
        match ready {
            Ok(Ok(snapshot)) => snapshot,
            _ => self.hub.current(),
        }
    }

    /// Replaces the remembered lease (saved by the state saver within its window).
    fn remember_lease(&self, lease: Option<LeaseRecord>) {
        let mut membership = self.tracker.fleet_membership().unwrap_or_default();
        membership.lease = lease;
        self.tracker.set_fleet_membership(membership);
    }
}

/// When each device last went on battery: the start of its newest outage, open or finished.
pub fn last_transfers(outages: Vec<Outage>) -> BTreeMap<UpsName, SystemTime> {
    let mut out: BTreeMap<UpsName, SystemTime> = BTreeMap::new();
    for outage in outages {
        let at = out.entry(outage.device).or_insert(outage.start);
        *at = (*at).max(outage.start);
    }
    out
}

fn is_loopback(url: &reqwest::Url) -> bool {
    let host = url.host_str().unwrap_or_default();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests;
