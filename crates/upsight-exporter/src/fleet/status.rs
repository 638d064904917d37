//! The heartbeat client's counters, shared with the exposition: whether the exporter is
//! registered, registrations and heartbeats by result, failures by reason, the time of the last
//! accepted heartbeat and the interval the plane asked for.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Why a register or heartbeat request failed: the `reason` label, a closed set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// No connection (refused, unreachable, DNS, TLS, reset).
    Connect,
    /// The request's deadline (`fleet.timeout`) passed.
    Timeout,
    /// 429: the plane's rate limit; the next request waits for `Retry-After`.
    RateLimited,
    /// 401: the plane did not accept the ingest token.
    Unauthorized,
    /// 400 or 403: the plane refused the document or has no room for another member.
    Refused,
    /// 404 on a heartbeat: the plane does not know this member; it registers again.
    UnknownMember,
    /// 409: the plane holds another lease for this identity; the lease is dropped.
    LeaseMismatch,
    /// Any other status (5xx, an unexpected 2xx or 3xx).
    HttpStatus,
    /// A registration answer that is too large, not JSON or breaks the contract.
    InvalidResponse,
}

impl Reason {
    /// Every reason, in label order.
    pub const ALL: [Reason; 9] = [
        Self::Connect,
        Self::Timeout,
        Self::RateLimited,
        Self::Unauthorized,
        Self::Refused,
        Self::UnknownMember,
        Self::LeaseMismatch,
        Self::HttpStatus,
        Self::InvalidResponse,
    ];

    /// The `reason` label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connect => "connect",
            Self::Timeout => "timeout",
            Self::RateLimited => "rate_limited",
            Self::Unauthorized => "unauthorized",
            Self::Refused => "refused",
            Self::UnknownMember => "unknown_member",
            Self::LeaseMismatch => "lease_mismatch",
            Self::HttpStatus => "http_status",
            Self::InvalidResponse => "invalid_response",
        }
    }
}

/// Live counters, updated by the client task and read on every scrape.
#[derive(Debug, Default)]
pub struct FleetStatus {
    is_registered: AtomicBool,
    registrations_ok: AtomicU64,
    registrations_error: AtomicU64,
    heartbeats_ok: AtomicU64,
    heartbeats_error: AtomicU64,
    failures: [AtomicU64; Reason::ALL.len()],
    /// `f64` bits of the Unix time of the last accepted heartbeat; 0 before the first.
    last_success_bits: AtomicU64,
    interval_seconds: AtomicU64,
}

/// The counters at one instant, for the exposition.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetCounters {
    /// Registered with the plane now.
    pub is_registered: bool,
    /// Registrations that succeeded and that failed.
    pub registrations: [(bool, u64); 2],
    /// Heartbeats the plane accepted and that failed.
    pub heartbeats: [(bool, u64); 2],
    /// Failures of either request, per reason, every reason present.
    pub failures: Vec<(Reason, u64)>,
    /// Unix time of the last accepted heartbeat; 0 before the first.
    pub last_success_seconds: f64,
    /// The heartbeat interval the plane returned; 0 before the first registration.
    pub interval_seconds: u64,
}

impl FleetStatus {
    /// A registration succeeded; heartbeats follow every `interval`.
    pub fn registered(&self, interval: Duration) {
        self.registrations_ok.fetch_add(1, Ordering::Relaxed);
        self.interval_seconds
            .store(interval.as_secs(), Ordering::Relaxed);
        self.is_registered.store(true, Ordering::Relaxed);
    }

    /// The plane accepted a heartbeat at `now`.
    pub fn heartbeat_ok(&self, now: SystemTime) {
        self.heartbeats_ok.fetch_add(1, Ordering::Relaxed);
        let seconds = now
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        self.last_success_bits
            .store(seconds.to_bits(), Ordering::Relaxed);
    }

    /// A request failed for `reason`; `is_heartbeat` says which one. A 404 or 409 also ends
    /// the registration.
    pub fn failed(&self, is_heartbeat: bool, reason: Reason) {
        let counter = if is_heartbeat {
            &self.heartbeats_error
        } else {
            &self.registrations_error
        };
        counter.fetch_add(1, Ordering::Relaxed);
        self.failures[slot(reason)].fetch_add(1, Ordering::Relaxed);
        if matches!(reason, Reason::UnknownMember | Reason::LeaseMismatch) {
            self.is_registered.store(false, Ordering::Relaxed);
        }
    }

    /// Failures counted for `reason`.
    pub fn failures(&self, reason: Reason) -> u64 {
        self.failures[slot(reason)].load(Ordering::Relaxed)
    }

    /// Every counter now.
    pub fn counters(&self) -> FleetCounters {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        FleetCounters {
            is_registered: self.is_registered.load(Ordering::Relaxed),
            registrations: [
                (true, load(&self.registrations_ok)),
                (false, load(&self.registrations_error)),
            ],
            heartbeats: [
                (true, load(&self.heartbeats_ok)),
                (false, load(&self.heartbeats_error)),
            ],
            failures: Reason::ALL
                .iter()
                .map(|r| (*r, self.failures(*r)))
                .collect(),
            last_success_seconds: f64::from_bits(load(&self.last_success_bits)),
            interval_seconds: load(&self.interval_seconds),
        }
    }
}

fn slot(reason: Reason) -> usize {
    reason as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_results_reasons_and_the_registration() {
        let s = FleetStatus::default();
        assert_eq!(s.counters().last_success_seconds, 0.0);
        s.failed(false, Reason::Connect);
        s.registered(Duration::from_secs(15));
        s.heartbeat_ok(UNIX_EPOCH + Duration::from_secs(1_700_000_000));
        s.failed(true, Reason::Timeout);
        let c = s.counters();
        assert!(c.is_registered);
        assert_eq!(c.registrations, [(true, 1), (false, 1)]);
        assert_eq!(c.heartbeats, [(true, 1), (false, 1)]);
        assert_eq!(c.last_success_seconds, 1_700_000_000.0);
        assert_eq!(c.interval_seconds, 15);
        assert_eq!(c.failures.len(), Reason::ALL.len());
        s.failed(true, Reason::UnknownMember);
        assert!(!s.counters().is_registered, "a 404 ends the registration");
        assert_eq!(s.failures(Reason::UnknownMember), 1);
        for (i, r) in Reason::ALL.into_iter().enumerate() {
            assert_eq!(slot(r), i, "ALL is in declaration order");
        }
    }
}
