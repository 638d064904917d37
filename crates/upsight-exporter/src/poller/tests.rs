//! Poller tests.
