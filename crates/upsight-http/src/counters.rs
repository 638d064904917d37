//! Security counters the embedding binary exports as metrics
//! (`upsight_http_auth_failures_total{surface}`, `upsight_http_rate_limited_total{surface}`).
//!
//! This crate defines no metric names (they live in the binary's `metrics.rs`); it only counts.

use std::sync::atomic::{AtomicU64, Ordering};

/// Monotonic counts of refused requests, shared by every layer of one hardened router.
#[derive(Debug, Default)]
pub struct SecurityCounters {
    auth_failures: AtomicU64,
    rate_limited: AtomicU64,
}

impl SecurityCounters {
    /// Requests refused with 401 or 403 by authentication.
    pub fn auth_failures(&self) -> u64 {
        self.auth_failures.load(Ordering::Relaxed)
    }

    /// Requests refused with 429.
    pub fn rate_limited(&self) -> u64 {
        self.rate_limited.load(Ordering::Relaxed)
    }

    /// Counts one request refused by authentication.
    pub fn record_auth_failure(&self) {
        self.auth_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one request refused with 429.
    pub fn record_rate_limited(&self) {
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
    }
}
