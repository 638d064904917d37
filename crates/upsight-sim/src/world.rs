//! The simulator's mutable world: devices, their current variables and injected faults.

use std::collections::BTreeMap;
use std::time::Duration;

/// A per-device fault: the device's data is unavailable the way upsd reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// `ERR DATA-STALE` (driver alive but silent beyond MAXAGE).
    Stale,
    /// `ERR DRIVER-NOT-CONNECTED` (driver gone).
    DriverNotConnected,
    /// `ups.status` is `WAIT` (driver connected, no data yet).
    Waiting,
}

/// A server-wide fault, applied to every reply while set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerFault {
    /// Each reply is delayed by this long.
    SlowReplies(Duration),
    /// Connections are closed instead of answered.
    DropConnections,
    /// A line of binary garbage instead of the reply.
    Garbage,
    /// One 1 MiB line instead of the reply.
    HugeLine,
    /// A `LIST` that never ends (stops after a bounded number of lines or when the client leaves).
    EndlessList,
    /// A reply with an unterminated quote.
    UnterminatedQuote,
    /// No reply at all (a tarpit).
    Silent,
}

#[derive(Debug, Clone)]
pub(crate) struct SimDevice {
    pub(crate) description: String,
    pub(crate) vars: BTreeMap<String, String>,
    pub(crate) fault: Option<Fault>,
}

/// Everything the connections and scenario tasks share.
#[derive(Debug, Default)]
pub(crate) struct World {
    pub(crate) devices: BTreeMap<String, SimDevice>,
    pub(crate) server_fault: Option<ServerFault>,
    /// Commands answered so far (all connections).
    pub(crate) commands: u64,
    /// Connections accepted so far.
    pub(crate) connections: u64,
    /// Reads that carried at least one byte (a pipelining client makes one per poll).
    pub(crate) batches: u64,
}

/// Instant commands every simulated device advertises in `LIST CMD`.
pub(crate) const COMMANDS: &[&str] = &[
    "beeper.disable",
    "beeper.enable",
    "test.battery.start.quick",
    "test.battery.stop",
];
