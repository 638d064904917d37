//! Background polling: one task per source polls on an interval under a deadline and
//! publishes the results into the shared [`SnapshotHub`]. A scrape never waits for hardware,
//! and one slow or dead source never delays another.

mod hub;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::Notify;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;
use upsight_model::{DeviceState, FailureReason, Outcome, Source as SourceKind, UpsName};

pub use hub::SnapshotHub;

use crate::mapping::{self, MappingError};
use crate::source::{DevicePoll, PollError, RawDevice, Source};
use crate::tracker::Tracker;

/// Polls one source and keeps its devices' states.
#[derive(Debug)]
pub struct Poller {
    index: usize,
    hub: SnapshotHub,
    interval: Duration,
    deadline: Duration,
    prefix: String,
    kind: SourceKind,
    tracker: Option<Tracker>,
    trigger: Option<Arc<Notify>>,
    states: Vec<DeviceState>,
}

impl Poller {
    /// A poller publishing as source `index` of `hub`.
    pub fn new(index: usize, hub: SnapshotHub, interval: Duration, deadline: Duration) -> Self {
        Self {
            index,
            hub,
            interval,
            deadline,
            prefix: String::new(),
            kind: SourceKind::Nut,
            tracker: None,
            trigger: None,
            states: Vec::new(),
        }
    }

    /// Prepends `prefix` to every device name of this source.
    pub fn with_prefix(mut self, prefix: String) -> Self {
        self.prefix = prefix;
        self
    }

    /// Marks the devices as read over `kind` (NUT unless told otherwise).
    pub fn with_kind(mut self, kind: SourceKind) -> Self {
        self.kind = kind;
        self
    }

    /// Feeds every poll's device states to `tracker` (events, outages, energy).
    pub fn with_tracker(mut self, tracker: Tracker) -> Self {
        self.tracker = Some(tracker);
        self
    }

    /// Polls at once, besides the interval, whenever `trigger` is notified (`POST /api/v1/poll`).
    pub fn with_trigger(mut self, trigger: Arc<Notify>) -> Self {
        self.trigger = Some(trigger);
        self
    }

    /// Polls until `cancel` fires.
    pub async fn run(mut self, mut source: impl Source, cancel: CancellationToken) {
        let mut ticker = tokio::time::interval(self.interval);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            let trigger = self.trigger.clone();
            let poll_now = async {
                match &trigger {
                    Some(t) => t.notified().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = cancel.cancelled() => return,
                _ = ticker.tick() => {}
                () = poll_now => ticker.reset(),
            }
            let started = Instant::now();
            let result = tokio::select! {
                () = cancel.cancelled() => return,
                r = tokio::time::timeout(self.deadline, source.poll()) => r.unwrap_or_else(|_| {
                    Err(PollError::new(FailureReason::Timeout, format!("poll exceeded its {:?} deadline", self.deadline)))
                }),
            };
            let is_source_up = result.is_ok();
            let now = SystemTime::now();
            self.record(result, &source.known_devices(), started.elapsed(), now);
            if let Some(tracker) = &self.tracker {
                tracker.observe(&self.states, now);
            }
            self.hub
                .publish(self.index, self.states.clone(), is_source_up);
        }
    }

    /// Folds one poll's result into the device states. Pure apart from logging.
    pub fn record(
        &mut self,
        result: Result<Vec<DevicePoll>, PollError>,
        known: &[String],
        took: Duration,
        now: SystemTime,
    ) {
        let polls: Vec<DevicePoll> = match result {
            Ok(polls) => polls,
            Err(error) => known
                .iter()
                .map(|name| DevicePoll {
                    name: name.clone(),
                    result: Err(error.clone()),
                })
                .collect(),
        };
        let mut next = Vec::with_capacity(polls.len());
        for poll in polls {
            let Ok(name) = format!("{}{}", self.prefix, poll.name).parse::<UpsName>() else {
                tracing::warn!(ups = %poll.name, "Skipping a device whose name is not a valid label.");
                continue;
            };
            let mut state = match self.states.iter().position(|s| s.name == name) {
                Some(i) => self.states.swap_remove(i),
                None => DeviceState::new(name, self.kind),
            };
            apply(&mut state, poll.result, took, now);
            next.push(state);
        }
        next.sort_by(|a, b| a.name.cmp(&b.name));
        self.states = next;
    }
}

fn apply(
    state: &mut DeviceState,
    result: Result<RawDevice, PollError>,
    took: Duration,
    now: SystemTime,
) {
    state.polls += 1;
    state.last_duration = took;
    let mapped = result.and_then(|raw| {
        mapping::map(raw).map_err(|error| {
            let reason = match error {
                MappingError::Waiting => FailureReason::Waiting,
                MappingError::NotAUps(_) => FailureReason::Unsupported,
            };
            PollError::new(reason, error.to_string())
        })
    });
    match mapped {
        Ok(reading) => {
            if !state.is_up() {
                tracing::info!(ups = %state.name, "Device is up.");
            }
            state.outcome = Outcome::Ok;
            state.reading = Some(Arc::new(reading));
            state.last_success = Some(now);
        }
        Err(PollError { reason, detail }) => {
            // The detail names the server address: DEBUG only (no addresses at INFO and above).
            if state.is_up() || matches!(state.outcome, Outcome::Pending) {
                tracing::warn!(ups = %state.name, reason = reason.as_str(), "Device poll failed.");
            }
            tracing::debug!(ups = %state.name, reason = reason.as_str(), %detail, "Poll failure detail.");
            state.failures[reason.index()] += 1;
            state.outcome = Outcome::Failed { reason, detail };
        }
    }
}

#[cfg(test)]
mod tests;
