//! The domain of upsight, independent of any wire protocol or runtime: device names, status
//! flags, readings in SI units, the immutable snapshot every reader shares, and the
//! restart-safe state derived from readings (events, outages, energy).

#![warn(missing_docs)]

mod energy;
mod event;
mod heartbeat;
mod name;
mod outage;
mod reading;
mod snapshot;
mod status;

pub use energy::{Day, DayError, EnergyConfig, EnergyMeter, JOULES_PER_KWH, cost};
pub use event::{
    DetectorConfig, Event, EventDetector, EventKind, History, Observation, Severity,
    UnknownEventKind,
};
pub use heartbeat::{
    ContractError, ContractVersion, DeviceSummaryV1, Excerpt, Field, GroupName, HeartbeatV1,
    MemberId, RegisterRequestV1, RegisterResponseV1, Version,
};
pub use name::{NameError, UpsName};
pub use outage::{Outage, OutageTracker};
pub use reading::{DeviceInfo, Identity, Quantity, Reading, Sample, Source, Unit};
pub use snapshot::{DeviceState, FailureReason, Outcome, Snapshot, SourceHealth};
pub use status::{Status, StatusFlag};
