//! The fleet control plane's pure core: the member registry (numbers, leases, health,
//! duplicate-identity detection), its read views, and the state it persists through
//! `upsight-store` (design.md §5). No I/O and no clock: every operation takes `now`.
//!
//! The HTTP ingest and read API, the UI and self metrics are built on [`Registry`]; the wire
//! documents are `upsight_model`'s `RegisterRequestV1`, `RegisterResponseV1` and `HeartbeatV1`.
#![warn(missing_docs)]

mod config;
mod error;
mod lease;
mod registry;
mod state;
mod view;

pub use config::{ConfigError, RegistryConfig};
pub use error::{HeartbeatError, RegisterError};
pub use lease::{LeaseKey, RandomError};
pub use registry::{HeartbeatOutcome, Registration, Registry};
pub use state::{FleetState, SetupError};
pub use view::{FleetView, GroupView, MemberHealth, MemberView, Target, Totals};
