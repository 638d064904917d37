//! The domain of upsight, independent of any wire protocol or runtime: device names, status
//! flags, readings in SI units and the immutable snapshot every reader shares.

mod name;
mod reading;
mod snapshot;
mod status;

pub use name::{NameError, UpsName};
pub use reading::{DeviceInfo, Identity, Quantity, Reading, Sample, Source, Unit};
pub use snapshot::{DeviceState, FailureReason, Outcome, Snapshot, SourceHealth};
pub use status::{Status, StatusFlag};
