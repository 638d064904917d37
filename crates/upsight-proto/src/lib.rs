//! Pure protocol code for upsight: the NUT network protocol as a sans-IO codec.
//!
//! Nothing here does I/O, spawns tasks or reads the clock: callers feed bytes and lines in and
//! get typed values out, so every edge case can be tested and fuzzed without a socket.
//!
//! ```
//! use upsight_proto::nut::{Decoder, Limits, LineBuffer, Reply, Request};
//!
//! let mut out = Vec::new();
//! Request::ListVar { ups: "ups1" }.encode(&mut out).unwrap();
//! assert_eq!(out, b"LIST VAR ups1\n");
//!
//! let mut lines = LineBuffer::new(Limits::default());
//! lines.extend(b"BEGIN LIST VAR ups1\nVAR ups1 ups.status \"OL\"\nEND LIST VAR ups1\n");
//! let mut decoder = Decoder::new(Request::ListVar { ups: "ups1" }.expect(), Limits::default());
//! let mut reply = None;
//! while let Some(line) = lines.next_line().unwrap() {
//!     if let Some(done) = decoder.push_line(line).unwrap() {
//!         reply = Some(done);
//!     }
//! }
//! let Some(Reply::VarList { vars, .. }) = reply else { panic!("no reply") };
//! assert_eq!(vars[0].value, "OL");
//! ```

#![warn(missing_docs)]

pub mod nut;
pub mod snmp;
