//! The optional ClickHouse analytical path (design.md §6): the detail Prometheus must never
//! carry (every raw variable of every poll, events, outages, device identity with serial
//! numbers and locations), kept in ClickHouse.
//!
//! - [`Settings`] and [`connect`]: where the server is and how to reach it (credentials,
//!   rustls with an optional custom CA);
//! - [`schema`]: server feature detection and the idempotent, versioned DDL;
//! - [`sink`]: the exporter's bounded, never-blocking queue and its batched writer with retry
//!   and a circuit breaker;
//! - [`reads`]: the parameterised queries behind the exporter's and the plane's analytical
//!   routes.
//!
//! The table layout is the contract between the exporters that write and the plane that
//! reads, which is why both roles share this crate instead of each carrying a copy.

#![warn(missing_docs)]

pub mod api;
mod client;
pub mod connection;
pub mod reads;
pub mod rows;
pub mod schema;
mod settings;
pub mod sink;

pub use api::AnalyticsApi;
pub use client::{AnalyticsError, connect};
pub use connection::RawConnection;
pub use reads::Reader;
pub use settings::{
    DEFAULT_DATABASE, DEFAULT_TIMEOUT, Password, Settings, check_database, check_url,
};
pub use sink::{Sink, SinkConfig, SinkStats};
