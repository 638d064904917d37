//! What happened, derived from the polls: events (upsmon's vocabulary), outages and energy per
//! device, kept in memory and, with a state directory, in the exporter's state file.
//!
//! Pollers call [`Tracker::observe`] right after folding a poll into their device states, with
//! the poll's own time, so every poll is seen exactly once (no snapshot is skipped). The work
//! is a few map updates under a mutex that is never held across I/O; saving happens in
//! [`flush`] off the polling path.

pub mod flush;
pub mod points;
pub mod seal;
mod state;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use tokio::sync::Notify;
use upsight_model::{
    DetectorConfig, DeviceState, EnergyConfig, EnergyMeter, Event, EventKind, Observation, Outage,
    Outcome, UpsName,
};

pub use points::{Point, Points};
pub use state::{DeviceHistory, ExporterState};

/// Per-device counters the exposition reads on every scrape.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeviceCounters {
    /// Transitions per event kind, every kind present (zeros included).
    pub transitions: Vec<(EventKind, u64)>,
    /// Seconds on battery, all outages together.
    pub on_battery_seconds: f64,
    /// Time of the last transfer to or from battery.
    pub last_transfer: Option<SystemTime>,
    /// Energy through the UPS output (joules).
    pub energy_joules: f64,
}

/// Shared, cheap to clone.
#[derive(Debug, Clone)]
pub struct Tracker {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    state: Mutex<ExporterState>,
    /// Recent readings per device (memory only).
    points: Mutex<BTreeMap<UpsName, Points>>,
    /// Signalled when the state changed and should be saved.
    dirty: Notify,
    /// Where new events are sent, once set.
    alerter: std::sync::OnceLock<crate::alert::AlertSwitch>,
    /// Where polls, events and finished outages are queued for ClickHouse, once set.
    analytics: std::sync::OnceLock<upsight_analytics::Sink>,
    max_gap: Duration,
    /// Bumped whenever [`Tracker::counters`] may answer differently: the exposition renders
    /// the device section again only when this or the snapshot changed.
    generation: AtomicU64,
}

impl Tracker {
    /// A tracker starting from `state` (loaded from the state file, or empty). `interval` sets
    /// the gap bound: samples further apart than five intervals are not integrated.
    pub fn new(mut state: ExporterState, interval: Duration) -> Self {
        let max_gap = (interval * 5).max(Duration::from_secs(1));
        for device in state.devices.values_mut() {
            device.apply_config(max_gap);
        }
        Self {
            inner: Arc::new(Inner {
                state: Mutex::new(state),
                points: Mutex::new(BTreeMap::new()),
                dirty: Notify::new(),
                alerter: std::sync::OnceLock::new(),
                analytics: std::sync::OnceLock::new(),
                max_gap,
                generation: AtomicU64::new(0),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, ExporterState> {
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sends every new event to `alerter` from now on (set once; later calls are ignored).
    pub fn set_alerter(&self, alerter: crate::alert::AlertSwitch) {
        let _ = self.inner.alerter.set(alerter);
    }

    /// Queues every poll, event and finished outage for the analytical path from now on (set
    /// once; later calls are ignored).
    pub fn set_analytics(&self, sink: upsight_analytics::Sink) {
        let _ = self.inner.analytics.set(sink);
    }

    /// Folds one poll of `states` (every device a poller just polled), made at `now`.
    pub fn observe(&self, states: &[DeviceState], now: SystemTime) {
        let mut changed = false;
        let mut new_events = Vec::new();
        let mut finished = Vec::new();
        {
            let mut guard = self.lock();
            let state = &mut *guard;
            for device in states {
                if matches!(device.outcome, Outcome::Pending) {
                    continue;
                }
                let history = state
                    .devices
                    .entry(device.name.clone())
                    .or_insert_with(|| DeviceHistory::new(device.name.clone(), self.inner.max_gap));
                let (events, outage) = history.observe(device, now);
                changed = true;
                for event in events {
                    tracing::info!(ups = %event.device, event = event.kind.as_str(), "Device event.");
                    new_events.push(event.clone());
                    state.events.push(event);
                }
                if let Some(outage) = outage {
                    if self.inner.analytics.get().is_some() {
                        finished.push(outage.clone());
                    }
                    state.outages.push(outage);
                }
            }
        }
        if changed {
            self.inner.generation.fetch_add(1, Ordering::Release);
            self.inner.dirty.notify_one();
        }
        if let Some(switch) = self.inner.alerter.get()
            && !new_events.is_empty()
        {
            // Outside the state lock: notify only queues (never blocks, never fails).
            let alerter = switch.current();
            for event in &new_events {
                alerter.notify(event);
            }
        }
        if let Some(sink) = self.inner.analytics.get() {
            // Outside the state lock; each call only queues (or drops and counts).
            sink.record_poll(states, now);
            new_events.iter().for_each(|e| sink.record_event(e));
            finished.iter().for_each(|o| sink.record_outage(o));
        }
        let mut points = self.inner.points.lock().unwrap_or_else(|e| e.into_inner());
        for device in states {
            if let (Outcome::Ok, Some(reading)) = (&device.outcome, &device.reading) {
                points
                    .entry(device.name.clone())
                    .or_default()
                    .push(Point::of(now, reading));
            }
        }
    }

    /// Recent readings of `device`, oldest first.
    pub fn points(&self, device: &UpsName) -> Vec<Point> {
        let points = self.inner.points.lock().unwrap_or_else(|e| e.into_inner());
        points.get(device).map(Points::to_vec).unwrap_or_default()
    }

    /// Changes whenever [`Tracker::counters`] may have changed. Read it before the counters:
    /// a change in between only costs one more render.
    pub fn generation(&self) -> u64 {
        self.inner.generation.load(Ordering::Acquire)
    }

    /// Counters per device for the exposition.
    pub fn counters(&self) -> BTreeMap<UpsName, DeviceCounters> {
        let guard = self.lock();
        guard
            .devices
            .iter()
            .map(|(name, d)| (name.clone(), d.counters()))
            .collect()
    }

    /// Events, newest last, optionally for one device and newer than `since`.
    pub fn events(&self, device: Option<&UpsName>, limit: usize) -> Vec<Event> {
        let guard = self.lock();
        let matching: Vec<&Event> = guard
            .events
            .iter()
            .filter(|e| device.is_none_or(|d| e.device == *d))
            .collect();
        let skip = matching.len().saturating_sub(limit);
        matching.into_iter().skip(skip).cloned().collect()
    }

    /// Finished outages (newest last) and, per device, the one in progress.
    pub fn outages(&self, device: Option<&UpsName>) -> Vec<Outage> {
        let guard = self.lock();
        let mut out: Vec<Outage> = guard
            .outages
            .iter()
            .filter(|o| device.is_none_or(|d| o.device == *d))
            .cloned()
            .collect();
        out.extend(
            guard
                .devices
                .values()
                .filter(|d| device.is_none_or(|n| d.name() == n))
                .filter_map(|d| d.outages.current().cloned()),
        );
        out
    }

    /// Energy meters per device.
    pub fn energy(&self) -> BTreeMap<UpsName, EnergyMeter> {
        let guard = self.lock();
        guard
            .devices
            .iter()
            .map(|(name, d)| (name.clone(), d.energy.clone()))
            .collect()
    }

    /// Devices added through the API.
    pub fn runtime_devices(&self) -> Vec<crate::config::RuntimeDevice> {
        self.lock().runtime.values().cloned().collect()
    }

    /// Adds or replaces a runtime device; saved with the next flush.
    pub fn set_runtime_device(&self, device: crate::config::RuntimeDevice) {
        self.lock().runtime.insert(device.name.clone(), device);
        self.inner.dirty.notify_one();
    }

    /// Drops the histories (detector state, counters, energy, chart points) of `devices`, whose
    /// source was removed. Their past events and outages stay in the bounded lists.
    pub fn forget(&self, devices: &[UpsName]) {
        if devices.is_empty() {
            return;
        }
        {
            let mut guard = self.lock();
            for name in devices {
                guard.devices.remove(name);
            }
        }
        self.inner.generation.fetch_add(1, Ordering::Release);
        let mut points = self.inner.points.lock().unwrap_or_else(|e| e.into_inner());
        for name in devices {
            points.remove(name);
        }
        drop(points);
        self.inner.dirty.notify_one();
    }

    /// Removes a runtime device; whether it existed.
    pub fn remove_runtime_device(&self, name: &str) -> bool {
        let existed = self.lock().runtime.remove(name).is_some();
        if existed {
            self.inner.dirty.notify_one();
        }
        existed
    }

    /// The alert configuration set through the API, if any (it replaces the file's).
    pub fn alerts_override(&self) -> Option<crate::alert::RawAlerts> {
        self.lock().alerts.clone()
    }

    /// Saves an alert configuration set through the API.
    pub fn set_alerts_override(&self, alerts: crate::alert::RawAlerts) {
        self.lock().alerts = Some(alerts);
        self.inner.dirty.notify_one();
    }

    /// The fleet identity and lease remembered in the state.
    pub fn fleet_membership(&self) -> Option<crate::fleet::Membership> {
        self.lock().fleet.clone()
    }

    /// Replaces the fleet identity and lease; saved with the next flush when it changed.
    pub fn set_fleet_membership(&self, membership: crate::fleet::Membership) {
        let mut guard = self.lock();
        if guard.fleet.as_ref() != Some(&membership) {
            guard.fleet = Some(membership);
            drop(guard);
            self.inner.dirty.notify_one();
        }
    }

    /// A copy of the whole state, for saving.
    pub fn snapshot_state(&self) -> ExporterState {
        self.lock().clone()
    }

    /// Completes when the state changed since the last call.
    pub async fn changed(&self) {
        self.inner.dirty.notified().await;
    }
}

impl DeviceHistory {
    fn observe(&mut self, device: &DeviceState, now: SystemTime) -> (Vec<Event>, Option<Outage>) {
        let observation = match (&device.outcome, &device.reading) {
            (Outcome::Ok, Some(reading)) => Observation::Up(&reading.status),
            (Outcome::Failed { reason, .. }, _) => Observation::Down(*reason),
            _ => return (Vec::new(), None),
        };
        let events = self.detector.observe(now, observation);
        let mut finished = None;
        for event in &events {
            if let Some(done) = self.outages.observe_event(event) {
                finished = Some(done);
            }
        }
        if let (Outcome::Ok, Some(reading)) = (&device.outcome, &device.reading) {
            self.outages.observe_reading(now, reading);
            self.energy.observe_reading(now, reading);
        }
        (events, finished)
    }

    fn counters(&self) -> DeviceCounters {
        DeviceCounters {
            transitions: self.detector.all_transitions().collect(),
            on_battery_seconds: self.outages.on_battery_seconds_total(),
            last_transfer: self.detector.last_transfer(),
            energy_joules: self.energy.total_joules(),
        }
    }

    fn apply_config(&mut self, max_gap: Duration) {
        self.detector.set_config(DetectorConfig::default());
        self.outages.set_max_gap(max_gap);
        self.energy.set_config(EnergyConfig {
            max_gap,
            ..EnergyConfig::default()
        });
    }
}

#[cfg(test)]
mod tests;
