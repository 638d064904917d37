//! Integration tests of `upsight-store` through its public API, against real files.

mod crash;
mod lock;
mod migration;
mod proptests;
mod refusal;
mod roundtrip;
mod support;
