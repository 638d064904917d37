//! Starts and stops pollers: one per `[[nut]]` server and `[[snmp]]` device of the file at
//! startup, and one per device an admin adds through the API while running. Runtime devices
//! are kept in the state file, so they come back after a restart; changing or removing one
//! stops its poller and drops its devices from the next snapshot.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use upsight_model::Source as SourceKind;

use crate::config::{Config, ConfigErrors, RuntimeDevice, RuntimeSource};
use crate::poller::{Poller, SnapshotHub};
use crate::source::nut::NutSource;
use crate::source::snmp::SnmpSource;
use crate::tracker::Tracker;

/// Why a runtime change was refused.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    /// The body did not validate.
    #[error("{0}")]
    Invalid(ConfigErrors),
    /// An entry with this name exists (POST).
    #[error("a device named {0:?} already exists")]
    Exists(String),
    /// No runtime entry with this name (PUT, DELETE).
    #[error("no device named {0:?} was added through the API")]
    NotFound(String),
    /// The name belongs to the configuration file, which the API does not change.
    #[error("{0:?} is defined in the configuration file; change it there")]
    InFile(String),
}

/// Shared handle.
#[derive(Debug, Clone)]
pub struct Supervisor {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: Arc<Config>,
    hub: SnapshotHub,
    tracker: Tracker,
    poll_now: Arc<Notify>,
    cancel: CancellationToken,
    running: Mutex<BTreeMap<String, Running>>,
    /// Held for a whole add, replace or remove, so two requests cannot both take a name.
    changes: Mutex<()>,
}

#[derive(Debug)]
struct Running {
    index: usize,
    cancel: CancellationToken,
}

impl Supervisor {
    /// A supervisor; nothing runs until [`Supervisor::start`].
    pub fn new(
        config: Arc<Config>,
        hub: SnapshotHub,
        tracker: Tracker,
        poll_now: Arc<Notify>,
        cancel: CancellationToken,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                config,
                hub,
                tracker,
                poll_now,
                cancel,
                running: Mutex::new(BTreeMap::new()),
                changes: Mutex::new(()),
            }),
        }
    }

    fn running(&self) -> MutexGuard<'_, BTreeMap<String, Running>> {
        self.inner.running.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Spawns the file's pollers into `tasks` (hub slots `nut[i]`, `snmp[i]`, created with the
    /// hub) and the saved runtime devices.
    pub fn start(&self, tasks: &mut JoinSet<()>) {
        let config = &self.inner.config;
        for (index, server) in config.nut.iter().enumerate() {
            let poller = self
                .poller(index, server.poll_timeout)
                .with_prefix(server.prefix.clone());
            tasks.spawn(poller.run(NutSource::new(server.clone()), self.inner.cancel.clone()));
        }
        for (i, device) in config.snmp.iter().enumerate() {
            let poller = self
                .poller(config.nut.len() + i, device.poll_timeout)
                .with_kind(SourceKind::Snmp);
            tasks.spawn(poller.run(SnmpSource::new(device.clone()), self.inner.cancel.clone()));
        }
        let mut taken = config.file_names();
        for device in self.inner.tracker.runtime_devices() {
            let name = device.name.clone();
            match config.validate_runtime(device, &taken) {
                Ok(source) => {
                    taken.insert(name.clone());
                    self.spawn(&name, source);
                }
                Err(errors) => tracing::error!(
                    device = %name,
                    %errors,
                    "A device added through the API no longer validates; it is kept but not polled."
                ),
            }
        }
    }

    fn poller(&self, index: usize, deadline: std::time::Duration) -> Poller {
        Poller::new(
            index,
            self.inner.hub.clone(),
            self.inner.config.interval,
            deadline,
        )
        .with_tracker(self.inner.tracker.clone())
        .with_trigger(Arc::clone(&self.inner.poll_now))
    }

    /// Starts polling a runtime source named `name`.
    fn spawn(&self, name: &str, source: RuntimeSource) {
        let index = self.inner.hub.add_source(format!("api[{name}]"));
        let cancel = self.inner.cancel.child_token();
        match source {
            RuntimeSource::Nut(server) => {
                let poller = self
                    .poller(index, server.poll_timeout)
                    .with_prefix(server.prefix.clone());
                tokio::spawn(poller.run(NutSource::new(server), cancel.clone()));
            }
            RuntimeSource::Snmp(device) => {
                let poller = self
                    .poller(index, device.poll_timeout)
                    .with_kind(SourceKind::Snmp);
                tokio::spawn(poller.run(SnmpSource::new(device), cancel.clone()));
            }
        }
        self.running()
            .insert(name.to_owned(), Running { index, cancel });
    }

    /// Stops the poller of runtime entry `name`; the names of the devices it had published.
    fn stop(&self, name: &str) -> Vec<upsight_model::UpsName> {
        let Some(running) = self.running().remove(name) else {
            return Vec::new();
        };
        running.cancel.cancel();
        self.inner.hub.remove_source(running.index)
    }

    fn taken_except(&self, except: Option<&str>) -> HashSet<String> {
        let mut taken = self.inner.config.file_names();
        taken.extend(
            self.inner
                .tracker
                .runtime_devices()
                .into_iter()
                .map(|d| d.name)
                .filter(|n| Some(n.as_str()) != except),
        );
        taken
    }

    /// Adds a device (POST): validated, saved, polled at once.
    pub fn add(&self, device: RuntimeDevice) -> Result<(), ChangeError> {
        let _change = self.inner.changes.lock().unwrap_or_else(|e| e.into_inner());
        let name = device.name.clone();
        if self.inner.config.file_names().contains(&name) {
            return Err(ChangeError::InFile(name));
        }
        if self
            .inner
            .tracker
            .runtime_devices()
            .iter()
            .any(|d| d.name == name)
        {
            return Err(ChangeError::Exists(name));
        }
        let source = self
            .inner
            .config
            .validate_runtime(device.clone(), &self.taken_except(None))
            .map_err(ChangeError::Invalid)?;
        self.inner.tracker.set_runtime_device(device);
        self.spawn(&name, source);
        tracing::info!(device = %name, "Device added through the API.");
        Ok(())
    }

    /// Replaces the runtime device `name` (PUT).
    pub fn replace(&self, name: &str, mut device: RuntimeDevice) -> Result<(), ChangeError> {
        let _change = self.inner.changes.lock().unwrap_or_else(|e| e.into_inner());
        if self.inner.config.file_names().contains(name) {
            return Err(ChangeError::InFile(name.to_owned()));
        }
        if !self
            .inner
            .tracker
            .runtime_devices()
            .iter()
            .any(|d| d.name == name)
        {
            return Err(ChangeError::NotFound(name.to_owned()));
        }
        device.name = name.to_owned();
        let source = self
            .inner
            .config
            .validate_runtime(device.clone(), &self.taken_except(Some(name)))
            .map_err(ChangeError::Invalid)?;
        self.stop(name);
        self.inner.tracker.set_runtime_device(device);
        self.spawn(name, source);
        tracing::info!(device = %name, "Device changed through the API.");
        Ok(())
    }

    /// Removes the runtime device `name` (DELETE).
    pub fn remove(&self, name: &str) -> Result<(), ChangeError> {
        let _change = self.inner.changes.lock().unwrap_or_else(|e| e.into_inner());
        if self.inner.config.file_names().contains(name) {
            return Err(ChangeError::InFile(name.to_owned()));
        }
        if !self.inner.tracker.remove_runtime_device(name) {
            return Err(ChangeError::NotFound(name.to_owned()));
        }
        // Its devices' detectors, counters and chart points go with it: kept, they would pile
        // up with every device ever added (the soak run saw the state file grow each minute).
        let devices = self.stop(name);
        self.inner.tracker.forget(&devices);
        tracing::info!(device = %name, "Device removed through the API.");
        Ok(())
    }

    /// The runtime devices, secrets masked.
    pub fn runtime_view(&self) -> Vec<serde_json::Value> {
        self.inner
            .tracker
            .runtime_devices()
            .into_iter()
            .map(|d| crate::config::view::masked_runtime(&d))
            .collect()
    }
}
