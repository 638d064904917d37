//! The fleet control plane's pure core: the member registry (numbers, leases, health,
//! duplicate-identity detection), its read views, and the state it persists through
//! `upsight-store` (design.md §5). No I/O and no clock: every operation takes `now`.
//!
//! [`run`] serves it over HTTP ([`FleetConfig`] says how): the ingest routes (`ingest`), the
//! read API and `/metrics` (`api`, `metrics`) and the web UI (`ui`), all behind
//! `upsight-http`'s hardening. The wire documents are `upsight_model`'s `RegisterRequestV1`,
//! `RegisterResponseV1` and `HeartbeatV1`.
#![warn(missing_docs)]

mod api;
pub mod config;
mod error;
mod ingest;
mod lease;
mod metrics;
pub mod openapi;
mod plane;
mod registry;
mod server;
mod state;
mod ui;
mod view;

pub use config::{ConfigError, ConfigErrors, FleetConfig, RegistryConfig};
pub use error::{HeartbeatError, RegisterError};
pub use lease::{LeaseKey, RandomError};
pub use registry::{HeartbeatOutcome, Registration, Registry};
pub use server::{
    FLUSH_WINDOW, LoadedState, MAX_BODY_BYTES, RunError, SEEN_SAVE_PERIOD, STATE_NAME, open_state,
    run,
};
pub use state::{FleetState, SetupError, UNCLEAN_NUMBER_GAP};
pub use view::{
    FleetView, GroupDetail, GroupView, MemberHealth, MemberRow, MemberView, Target, Totals,
};
