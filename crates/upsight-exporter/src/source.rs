//! Sources own sockets, buffers, deadlines, reconnects and backoff, and nothing else: they
//! return raw variables per device, which [`crate::mapping`] turns into readings.

pub mod backoff;
pub mod net;
pub mod nut;
pub mod snmp;

use std::future::Future;

use upsight_model::FailureReason;
use upsight_proto::snmp::profile::Profile;
use upsight_proto::snmp::{Oid, Value};

/// The raw result of polling one device.
#[derive(Debug, Clone)]
pub struct DevicePoll {
    /// Device name as the source knows it (before any prefix).
    pub name: String,
    /// What the device answered, or why there is nothing.
    pub result: Result<RawDevice, PollError>,
}

/// What one device answered, as the wire gave it.
#[derive(Debug, Clone)]
pub enum RawDevice {
    /// NUT `LIST VAR` variables.
    Nut(Vec<(String, String)>),
    /// SNMP varbinds read with a MIB profile's plan.
    Snmp {
        /// The profile the varbinds were read for.
        profile: &'static Profile,
        /// Scalars and walked column rows.
        values: Vec<(Oid, Value)>,
    },
}

impl RawDevice {
    /// The NUT variables, if this is a NUT device.
    pub fn nut_vars(&self) -> Option<&[(String, String)]> {
        match self {
            Self::Nut(vars) => Some(vars),
            Self::Snmp { .. } => None,
        }
    }
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
