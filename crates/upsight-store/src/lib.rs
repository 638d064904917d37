//! The versioned JSON state file shared by the exporter (events, outages, energy, runtime-added
//! devices) and the fleet plane (members, leases).
//!
//! A [`Store`] owns one file, `dir/<name>.json`, for the state type `S: `[`Schema`]:
//!
//! - **One writer.** [`Store::open`] takes an exclusive advisory lock (std
//!   [`File::try_lock`](std::fs::File::try_lock)) on the separate file `dir/<name>.lock` and holds
//!   it until the store is dropped; a second instance gets [`StoreError::Locked`].
//! - **Versioned.** The file is an envelope
//!   `{"schema": "<S::NAME>", "version": N, "saved_at": "<RFC 3339>", "data": {…}}`. Older
//!   versions are migrated step by step with [`Schema::migrate`] (pure functions on JSON
//!   values); a file of another schema, from a newer version, corrupt, or over
//!   [`MAX_FILE_BYTES`] is refused with a typed error and left byte-for-byte untouched.
//!   A migrated file is rewritten only by the next save, which first keeps the old file as
//!   `<name>.json.v<N>.bak` (the only backup the store makes). `saved_at` is informational:
//!   RFC 3339 text or unix seconds are accepted, neither is interpreted. Files are written as
//!   compact JSON (`jq .` shows them indented).
//! - **Atomic and durable.** [`Store::save`] writes a temp file in the same directory, syncs it,
//!   renames it over the state file and syncs the directory: after a crash the file holds the
//!   old state or the new one, never a mix. Temp files left by a crash are removed by the next
//!   open. Nothing is written that the next open would refuse (a NaN, an oversized state).
//! - **Exit codes.** [`StoreError::exit_code`] is 73 (`EX_CANTCREAT`) for every failure the
//!   operator must fix (lock held, file refused or unreadable, directory unwritable) and 70 for
//!   caller bugs.
//!
//! Errors keep their cause in [`source`](std::error::Error::source); print the chain (anyhow's
//! `{:#}`) to show it.
//!
//! # Example
//!
//! ```
//! use serde::{Deserialize, Serialize};
//! use upsight_store::{Schema, Store, StoreError};
//!
//! #[derive(Debug, Default, Serialize, Deserialize)]
//! struct Counters {
//!     restarts: u64,
//! }
//!
//! impl Schema for Counters {
//!     const NAME: &'static str = "example-counters";
//!     const VERSION: u32 = 1;
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let (store, mut state) = Store::<Counters>::open(dir.path(), "state")?;
//! state.restarts += 1;
//! store.save(&state)?;
//!
//! // A second instance is refused while the first holds the lock.
//! let second = Store::<Counters>::open(dir.path(), "state");
//! assert!(matches!(second, Err(StoreError::Locked { .. })));
//!
//! drop(store);
//! let (_store, state) = Store::<Counters>::open(dir.path(), "state")?;
//! assert_eq!(state.restarts, 1);
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]

mod atomic;
mod envelope;
mod error;
mod schema;
mod store;

pub use error::{EXIT_CANT_CREATE, EXIT_SOFTWARE, MigrationError, StoreError};
pub use schema::{Schema, migrate_typed};
pub use store::Store;

/// The largest state file [`Store::open`] reads, and [`Store::save`] writes: 64 MiB. A hostile
/// or runaway file beyond it is refused with [`StoreError::TooLarge`] instead of exhausting
/// memory.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
