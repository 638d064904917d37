//! Security counters the embedding binary exports as metrics
//! (`upsight_http_auth_failures_total{surface}`, `upsight_http_rate_limited_total{surface}`,
//! `upsight_http_misdirected_total{surface}`,
//! `upsight_http_connections_dropped_total{surface,reason}`).
//!
//! This crate defines no metric names (they live in the binary's `metrics.rs`); it only counts.

use std::sync::atomic::{AtomicU64, Ordering};

/// Monotonic counts of refused requests and dropped connections, shared by every layer of one
/// hardened router and by its [`crate::serve()`] loop.
#[derive(Debug, Default)]
pub struct SecurityCounters {
    auth_failures: AtomicU64,
    rate_limited: AtomicU64,
    misdirected: AtomicU64,
    over_cap: AtomicU64,
    header_timeouts: AtomicU64,
    heads_too_large: AtomicU64,
    write_stalls: AtomicU64,
}

/// Why the server closed a connection without serving it normally: the fixed label set of
/// `upsight_http_connections_dropped_total{reason}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// Accepted and closed at once: `max_connections` were open.
    OverCap,
    /// No complete request head within `header_read_timeout` (an idle kept-alive connection
    /// that already had its answers is not counted).
    HeaderTimeout,
    /// A request head over `max_header_bytes` or over 100 headers (answered 431).
    HeadTooLarge,
    /// The client stopped reading our response for `header_read_timeout`.
    WriteStall,
}

impl DropReason {
    /// Every reason, in label order.
    pub const ALL: [Self; 4] = [
        Self::OverCap,
        Self::HeaderTimeout,
        Self::HeadTooLarge,
        Self::WriteStall,
    ];

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OverCap => "over_cap",
            Self::HeaderTimeout => "header_timeout",
            Self::HeadTooLarge => "head_too_large",
            Self::WriteStall => "write_stall",
        }
    }
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

    /// Requests refused with 421 by the Host check.
    pub fn misdirected(&self) -> u64 {
        self.misdirected.load(Ordering::Relaxed)
    }

    /// Connections dropped for `reason`.
    pub fn dropped(&self, reason: DropReason) -> u64 {
        self.dropped_counter(reason).load(Ordering::Relaxed)
    }

    /// Counts one request refused by authentication.
    pub fn record_auth_failure(&self) {
        self.auth_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one request refused with 429.
    pub fn record_rate_limited(&self) {
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one request refused with 421.
    pub fn record_misdirected(&self) {
        self.misdirected.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one connection dropped for `reason`.
    pub fn record_dropped(&self, reason: DropReason) {
        self.dropped_counter(reason).fetch_add(1, Ordering::Relaxed);
    }

    fn dropped_counter(&self, reason: DropReason) -> &AtomicU64 {
        match reason {
            DropReason::OverCap => &self.over_cap,
            DropReason::HeaderTimeout => &self.header_timeouts,
            DropReason::HeadTooLarge => &self.heads_too_large,
            DropReason::WriteStall => &self.write_stalls,
        }
    }
}
