//! Sources own sockets, buffers, deadlines, reconnects and backoff, and nothing else: they
//! return raw variables per device, which [`crate::mapping`] turns into readings.

pub mod backoff;
pub mod net;
pub mod nut;

use std::future::Future;

use upsight_model::FailureReason;

/// The raw result of polling one device.
#[derive(Debug, Clone)]
pub struct DevicePoll {
    /// Device name as the source knows it (before any prefix).
    pub name: String,
    /// Variables as received, or why there are none.
    pub result: Result<Vec<(String, String)>, PollError>,
}

/// Why a poll failed, for one device or for a whole source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{detail}")]
pub struct PollError {
    /// Fixed-set reason (a metric label).
    pub reason: FailureReason,
    /// Detail for logs and diagnostics.
    pub detail: String,
}

impl PollError {
    /// Builds an error.
    pub fn new(reason: FailureReason, detail: impl Into<String>) -> Self {
        Self {
            reason,
            detail: detail.into(),
        }
    }
}

/// A source of readings: one upsd server, one SNMP agent.
pub trait Source: Send {
    /// Polls every device once. `Err` means the whole source failed (no connection); per-device
    /// failures are inside the `Ok` list. Cancelling the future (poll deadline) must leave the
    /// source able to poll again (it reconnects).
    fn poll(&mut self) -> impl Future<Output = Result<Vec<DevicePoll>, PollError>> + Send;

    /// The devices the source currently knows (explicit list or last discovery).
    fn known_devices(&self) -> Vec<String>;
}
