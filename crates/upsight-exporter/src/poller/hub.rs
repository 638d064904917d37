//! The shared, immutable snapshot: sources publish their device states, readers get an
//! `Arc<Snapshot>` and never lock across I/O.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;
use upsight_model::{DeviceState, Snapshot, SourceHealth, UpsName};

/// Collects the per-source device states and publishes the merged snapshot.
#[derive(Debug, Clone)]
pub struct SnapshotHub {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    state: Mutex<State>,
    tx: watch::Sender<Arc<Snapshot>>,
}

#[derive(Debug)]
struct State {
    sources: Vec<Option<Vec<DeviceState>>>,
    health: Vec<SourceHealth>,
    /// Names already reported as duplicates, so the warning is logged once.
    warned: HashSet<UpsName>,
}

impl SnapshotHub {
    /// A hub for sources named `names` (configuration paths such as `nut[0]`), none of which
    /// has polled yet.
    pub fn new(names: Vec<String>) -> Self {
        let health: Vec<SourceHealth> = names
            .into_iter()
            .map(|name| SourceHealth { name, is_up: None })
            .collect();
        let snapshot = Snapshot {
            sources: health.clone(),
            ..Snapshot::default()
        };
        let (tx, _) = watch::channel(Arc::new(snapshot));
        let state = State {
            sources: vec![None; health.len()],
            health,
            warned: HashSet::new(),
        };
        let inner = Inner {
            state: Mutex::new(state),
            tx,
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    /// The latest snapshot.
    pub fn current(&self) -> Arc<Snapshot> {
        self.inner.tx.borrow().clone()
    }

    /// A receiver that is notified on every publication.
    pub fn subscribe(&self) -> watch::Receiver<Arc<Snapshot>> {
        self.inner.tx.subscribe()
    }

    /// Replaces source `index`'s devices and publishes a new snapshot. A device name already
    /// taken by an earlier source is skipped (names are unique per exporter) and logged.
    ///
    /// `is_source_up` says whether the poll reached the source (per-device errors aside).
    pub fn publish(&self, index: usize, states: Vec<DeviceState>, is_source_up: bool) {
        // Held until the new snapshot is sent, so publications never overtake each other.
        let mut guard = self.inner.state.lock().unwrap_or_else(|e| e.into_inner());
        let state = &mut *guard;
        if let Some(slot) = state.sources.get_mut(index) {
            *slot = Some(states);
        }
        if let Some(health) = state.health.get_mut(index) {
            health.is_up = Some(is_source_up);
        }
        let is_ready = state.sources.iter().all(Option::is_some);
        let mut seen = HashSet::new();
        let mut devices = Vec::new();
        for device in state.sources.iter().flatten().flatten() {
            if seen.insert(&device.name) {
                devices.push(device.clone());
            } else if state.warned.insert(device.name.clone()) {
                tracing::warn!(ups = %device.name, "Two sources report the same device name; keeping the first. Set a prefix.");
            }
        }
        devices.sort_by(|a, b| a.name.cmp(&b.name));
        let generation = self.inner.tx.borrow().generation + 1;
        self.inner.tx.send_replace(Arc::new(Snapshot {
            devices,
            sources: state.health.clone(),
            generation,
            is_ready,
        }));
    }
}
