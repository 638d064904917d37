//! Duplicate-identity detection: which address last proved each member's lease (kept on the
//! member's record, in memory only), and the conflict counter.

use std::net::IpAddr;
use std::time::{Duration, SystemTime};

/// The address that last proved a member's lease, and when. Never persisted, rendered in
/// views or used as a metric label: it exists only to notice one identity used from two places.
pub(crate) type LastPeer = Option<(IpAddr, SystemTime)>;

/// The conflict counter, and the rule that feeds it.
#[derive(Default)]
pub(super) struct PeerLog {
    conflicts_total: u64,
}

impl PeerLog {
    /// Notes a request for the member whose last proving address is `last`, from `peer`. It
    /// is a conflict (counted) when another address proved the lease at most `ttl` before
    /// `now`. If `is_proven` (the request carried the lease, or got a new one) `peer` becomes
    /// the member's address.
    pub(super) fn observe(
        &mut self,
        last: &mut LastPeer,
        peer: IpAddr,
        now: SystemTime,
        (ttl, is_proven): (Duration, bool),
    ) -> bool {
        let is_conflict = last.is_some_and(|(last, at)| {
            last != peer && now.duration_since(at).unwrap_or(Duration::ZERO) <= ttl
        });
        if is_conflict {
            self.conflicts_total += 1;
        }
        if is_proven {
            *last = Some((peer, now));
        }
        is_conflict
    }

    pub(super) fn conflicts_total(&self) -> u64 {
        self.conflicts_total
    }
}
