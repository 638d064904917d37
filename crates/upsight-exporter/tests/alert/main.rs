//! Alert delivery against a local HTTPS receiver whose certificate comes from a CA generated
//! here (the alerter's only trust root, via `ca_file`): bodies as sent, SSRF refusals at
//! startup and at send time with no connection made, and redirects not followed.
//!
//! "No connection" is proven with a trap: a listening socket nobody accepts on. A TCP
//! handshake completes in the kernel before the client's connect returns, so once the
//! delivery has failed, any connection attempt would be waiting in the trap's backlog; a
//! non-blocking accept that finds nothing proves there was none.

#![allow(clippy::unwrap_used)] // test helpers may panic: a panic is a test failure

mod delivery;
mod exporter;
mod ssrf;
mod support;
