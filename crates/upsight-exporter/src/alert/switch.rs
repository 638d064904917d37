//! The alerter in use, replaceable at runtime (`PUT /api/v1/alerts`): a new configuration gets
//! a new alerter and worker; the old worker is cancelled and drains its queues on its own.

use std::sync::{Arc, RwLock};

use tokio_util::sync::CancellationToken;

use super::{AlertConfig, Alerter};

/// Shared, cheap to clone.
#[derive(Debug, Clone)]
pub struct AlertSwitch {
    inner: Arc<RwLock<(Alerter, CancellationToken)>>,
    parent: CancellationToken,
}

impl AlertSwitch {
    /// Starts an alerter for `config`; its worker stops with `parent`.
    pub fn start(config: AlertConfig, parent: CancellationToken) -> Self {
        let current = Self::spawn(config, &parent);
        Self {
            inner: Arc::new(RwLock::new(current)),
            parent,
        }
    }

    fn spawn(config: AlertConfig, parent: &CancellationToken) -> (Alerter, CancellationToken) {
        let (alerter, worker) = Alerter::new(config);
        let cancel = parent.child_token();
        tokio::spawn(worker.run(cancel.clone()));
        (alerter, cancel)
    }

    /// The alerter in use.
    pub fn current(&self) -> Alerter {
        self.inner
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .0
            .clone()
    }

    /// Replaces the alerter with one for `config`.
    pub fn replace(&self, config: AlertConfig) {
        let next = Self::spawn(config, &self.parent);
        let old = std::mem::replace(
            &mut *self.inner.write().unwrap_or_else(|e| e.into_inner()),
            next,
        );
        old.1.cancel();
    }
}
