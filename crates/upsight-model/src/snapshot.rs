//! The immutable state every reader shares: the last outcome of every device.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::name::UpsName;
use crate::reading::{Reading, Source};

/// Why a poll of one device produced no fresh reading. A fixed set: it is a metric label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureReason {
    /// The connection could not be established in time or was refused.
    Connect,
    /// The poll or a read did not finish before its deadline.
    Timeout,
    /// The connection broke (reset, closed mid-reply, write failed).
    Transport,
    /// The server sent something that is not valid protocol (typed parse error).
    Protocol,
    /// The server says the device data is stale (NUT `DATA-STALE`).
    Stale,
    /// The server has no driver for the device (NUT `DRIVER-NOT-CONNECTED`).
    DriverNotConnected,
    /// The server does not know the device (NUT `UNKNOWN-UPS`).
    UnknownDevice,
    /// The server refused access (credentials).
    AccessDenied,
    /// The server has not received the first data from the driver yet (NUT `WAIT`).
    Waiting,
    /// Any other error reply from the server.
    ServerError,
    /// The device answers, but in no MIB or protocol dialect upsight can read (an SNMP agent
    /// that is not a UPS, such as a rack PDU).
    Unsupported,
}

impl FailureReason {
    /// Every reason, in a stable order (series known in advance are exported as 0).
    pub const ALL: [FailureReason; 11] = [
        Self::Connect,
        Self::Timeout,
        Self::Transport,
        Self::Protocol,
        Self::Stale,
        Self::DriverNotConnected,
        Self::UnknownDevice,
        Self::AccessDenied,
        Self::Waiting,
        Self::ServerError,
        Self::Unsupported,
    ];

    /// snake_case name, as used in the `reason` label.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connect => "connect",
            Self::Timeout => "timeout",
            Self::Transport => "transport",
            Self::Protocol => "protocol",
            Self::Stale => "stale",
            Self::DriverNotConnected => "driver_not_connected",
            Self::UnknownDevice => "unknown_device",
            Self::AccessDenied => "access_denied",
            Self::Waiting => "waiting",
            Self::ServerError => "server_error",
            Self::Unsupported => "unsupported",
        }
    }

    /// Index into [`FailureReason::ALL`].
    pub fn index(self) -> usize {
        Self::ALL.iter().position(|r| *r == self).unwrap_or(0)
    }

    /// Whether the server is reachable but says the device's data is not fresh.
    pub fn is_stale_data(self) -> bool {
        matches!(self, Self::Stale | Self::DriverNotConnected | Self::Waiting)
    }
}

/// The outcome of the latest poll of a device.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Not polled yet.
    Pending,
    /// Fresh reading.
    Ok,
    /// No fresh reading, and why; the detail is for logs and diagnostics.
    Failed {
        /// Fixed-set reason.
        reason: FailureReason,
        /// Human-readable detail (may name server addresses: never a metric).
        detail: String,
    },
}

/// Everything known about one device at snapshot time.
#[derive(Debug, Clone)]
pub struct DeviceState {
    /// Device label.
    pub name: UpsName,
    /// Protocol.
    pub source: Source,
    /// Latest poll outcome.
    pub outcome: Outcome,
    /// Reading of the latest successful poll (may be old: check `outcome`); `None` before the
    /// first success. Measured values are exported only while `outcome` is `Ok`.
    pub reading: Option<Arc<Reading>>,
    /// Time of the last successful poll.
    pub last_success: Option<SystemTime>,
    /// Wall time the latest poll took.
    pub last_duration: Duration,
    /// Polls attempted.
    pub polls: u64,
    /// Failed polls per [`FailureReason::ALL`] index.
    pub failures: [u64; FailureReason::ALL.len()],
}

impl DeviceState {
    /// A device that has not been polled yet.
    pub fn new(name: UpsName, source: Source) -> Self {
        Self {
            name,
            source,
            outcome: Outcome::Pending,
            reading: None,
            last_success: None,
            last_duration: Duration::ZERO,
            polls: 0,
            failures: [0; FailureReason::ALL.len()],
        }
    }

    /// Whether the latest poll produced a fresh reading.
    pub fn is_up(&self) -> bool {
        matches!(self.outcome, Outcome::Ok)
    }

    /// Whether the server is reachable but reports the device's data as not fresh.
    pub fn is_stale(&self) -> bool {
        matches!(&self.outcome, Outcome::Failed { reason, .. } if reason.is_stale_data())
    }
}

/// Whether one source (a NUT server, later an SNMP agent) answered its latest poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceHealth {
    /// The source's configuration path, e.g. `nut[0]` (never its address: addresses are PII).
    pub name: String,
    /// `None` before the first poll; then whether the latest poll reached the source and got a
    /// valid answer (per-device errors do not count against it).
    pub is_up: Option<bool>,
}

/// All devices, as of one moment. Published as `Arc<Snapshot>`; never mutated.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Devices sorted by name.
    pub devices: Vec<DeviceState>,
    /// Every configured source, in configuration order.
    pub sources: Vec<SourceHealth>,
    /// Increases with every publication.
    pub generation: u64,
    /// Whether every configured source has completed at least one poll.
    pub is_ready: bool,
}
