//! The simulated SNMP agent over real UDP on loopback, driven by upsight-proto's own BER
//! codec: GET/GETNEXT/GETBULK/SET semantics for v1 and v2c, silence for unknown communities,
//! each fault, the on-battery switch, and (optional cross-check) net-snmp's own tools.
//!
//! Silence is proven without waiting: the agent answers datagrams in order on one task, so
//! once the answer to a later request arrives, the earlier one has been dealt with.

#![allow(clippy::unwrap_used)] // test helpers may panic: a panic is a test failure

mod support;

mod faults;
mod handle;
mod net_snmp;
mod queries;
mod set;
