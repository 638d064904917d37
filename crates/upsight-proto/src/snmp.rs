//! SNMP, the pure parts: object identifiers, typed values, a v1/v2c message codec (for the
//! simulator and fuzzing), the `.snmprec` recording format, a sans-IO table walker and the UPS
//! MIB profiles that turn what an agent answers into NUT-named variables in NUT units.
//!
//! Nothing here opens a socket: the exporter's SNMP source (on `snmp2`) and the simulator feed
//! values in and get requests and readings out.

pub mod ber;
pub mod oid;
pub mod profile;
pub mod snmprec;
pub mod value;
pub mod walk;

pub use oid::{Oid, ParseOidError};
pub use value::Value;
