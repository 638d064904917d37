//! Alerts (design.md §4.6): device events pushed to webhook, ntfy, Gotify, Slack and Discord
//! receivers, with per-target event filters, severities, cooldowns and recovery notices, and
//! an SSRF guard on every send.
//!
//! Flow: the tracker calls [`Alerter::notify`] for each new event; it filters and queues
//! without waiting ([`gate`]); the [`Worker`] turns each notice into a request ([`provider`]),
//! checks the URL ([`ssrf`]) and sends it over a client pinned to the checked addresses
//! ([`client`]).
//!
//! ```
//! use upsight_exporter::alert::{Alerter, RawAlerts};
//!
//! #[derive(serde::Deserialize)]
//! struct File {
//!     alerts: RawAlerts,
//! }
//! let text = r#"
//!     [alerts]
//!     allow_private = ["10.0.0.0/8"]
//!     [[alerts.targets]]
//!     name = "ops"
//!     kind = "ntfy"
//!     url = "https://ntfy.example.com/ups"
//!     events = ["on_battery", "low_battery"]
//! "#;
//! let raw: File = toml::from_str(text).unwrap();
//! let mut errors = Vec::new();
//! let config = raw.alerts.validate(&mut |path, message| errors.push(format!("{path}: {message}")));
//! let (alerter, _worker) = Alerter::new(config.unwrap());
//! assert_eq!(alerter.targets()[0].redacted_url(), "https://ntfy.example.com/…");
//! ```

mod allowlist;
pub mod client;
pub mod config;
mod counters;
pub mod delivery;
pub mod gate;
pub mod provider;
pub mod raw;
pub mod ssrf;
pub mod switch;
pub mod target;

pub use client::{FailReason, Failure};
pub use config::{AlertConfig, RawAlerts};
pub use counters::Outcome;
pub use delivery::{Alerter, TestError, Worker};
pub use provider::{Notice, Request, build_request};
pub use raw::RawTarget;
pub use ssrf::{Allowlist, Blocked, Guard, GuardError, classify};
pub use switch::AlertSwitch;
pub use target::{CaBundle, Target, TargetKind};
