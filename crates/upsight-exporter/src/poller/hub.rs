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
    /// Slots of sources removed at runtime: neither merged nor waited for.
    removed: Vec<bool>,
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
            removed: vec![false; health.len()],
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

    /// Adds a source named `name` (a device added at runtime) and returns its index. The
    /// exporter is not ready again until it has polled once.
    pub fn add_source(&self, name: String) -> usize {
        let mut guard = self.inner.state.lock().unwrap_or_else(|e| e.into_inner());
        guard.sources.push(None);
        guard.removed.push(false);
        guard.health.push(SourceHealth { name, is_up: None });
        guard.sources.len() - 1
    }

    /// Removes source `index`: its devices leave the next snapshot, which is published now.
    /// Returns the names of the devices the source had published.
    pub fn remove_source(&self, index: usize) -> Vec<upsight_model::UpsName> {
        let mut guard = self.inner.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(removed) = guard.removed.get_mut(index) {
            *removed = true;
        }
        let names = guard
            .sources
            .get_mut(index)
            .and_then(|slot| slot.replace(Vec::new()))
            .map(|states| states.into_iter().map(|s| s.name).collect())
            .unwrap_or_default();
        Self::send(&self.inner, &mut guard);
        names
    }

    /// Replaces source `index`'s devices and publishes a new snapshot. A device name already
    /// taken by an earlier source is skipped (names are unique per exporter) and logged.
    ///
    /// `is_source_up` says whether the poll reached the source (per-device errors aside).
    pub fn publish(&self, index: usize, states: Vec<DeviceState>, is_source_up: bool) {
        // Held until the new snapshot is sent, so publications never overtake each other.
        let mut guard = self.inner.state.lock().unwrap_or_else(|e| e.into_inner());
        if guard.removed.get(index).copied().unwrap_or(true) {
            return;
        }
        if let Some(slot) = guard.sources.get_mut(index) {
            *slot = Some(states);
        }
        if let Some(health) = guard.health.get_mut(index) {
            health.is_up = Some(is_source_up);
        }
        Self::send(&self.inner, &mut guard);
    }

    fn send(inner: &Inner, state: &mut State) {
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
        let generation = inner.tx.borrow().generation + 1;
        let sources = state
            .health
            .iter()
            .zip(&state.removed)
            .filter(|(_, removed)| !**removed)
            .map(|(h, _)| h.clone())
            .collect();
        inner.tx.send_replace(Arc::new(Snapshot {
            devices,
            sources,
            generation,
            is_ready,
        }));
    }
}
