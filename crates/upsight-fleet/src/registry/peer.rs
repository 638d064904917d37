//! Duplicate-identity detection: which address last proved each member's lease, in memory only.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use upsight_model::{GroupName, MemberId};

/// The last address that proved each member's lease, and the conflict counter.
///
/// Addresses are never persisted, rendered in views or used as metric labels: they exist only
/// to notice one identity used from two places.
#[derive(Default)]
pub(super) struct PeerLog {
    seen: HashMap<(GroupName, MemberId), (IpAddr, SystemTime)>,
    conflicts_total: u64,
}

impl PeerLog {
    /// Notes a request for `member` from `peer`. It is a conflict (counted) when another
    /// address proved the lease at most `ttl` before `now`. If `is_proven` (the request
    /// carried the lease, or got a new one) `peer` becomes the member's address.
    pub(super) fn observe(
        &mut self,
        member: &(GroupName, MemberId),
        peer: IpAddr,
        now: SystemTime,
        (ttl, is_proven): (Duration, bool),
    ) -> bool {
        let is_conflict = self.seen.get(member).is_some_and(|&(last, at)| {
            last != peer && now.duration_since(at).unwrap_or(Duration::ZERO) <= ttl
        });
        if is_conflict {
            self.conflicts_total += 1;
        }
        if is_proven {
            // The common case (a heartbeat from the known address) allocates nothing.
            match self.seen.get_mut(member) {
                Some(entry) => *entry = (peer, now),
                None => {
                    self.seen.insert(member.clone(), (peer, now));
                }
            }
        }
        is_conflict
    }

    /// Forgets a removed member.
    pub(super) fn forget(&mut self, member: &(GroupName, MemberId)) {
        self.seen.remove(member);
    }

    pub(super) fn conflicts_total(&self) -> u64 {
        self.conflicts_total
    }
}
