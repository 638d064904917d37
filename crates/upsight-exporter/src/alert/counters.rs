//! Delivery counters per target, read by the exposition: how many alerts were sent, failed
//! (by reason), dropped on a full queue or suppressed by a cooldown.

use std::sync::atomic::{AtomicU64, Ordering};

use super::client::FailReason;

/// What happened to an alert for a target: the `outcome` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    /// The receiver answered 2xx.
    Sent,
    /// Not delivered (see [`FailReason`]).
    Failed,
    /// The target's queue was full.
    Dropped,
    /// Within the cooldown of the same (device, event kind).
    Suppressed,
}

impl Outcome {
    /// Every outcome, in label order.
    pub const ALL: [Outcome; 4] = [Self::Sent, Self::Failed, Self::Dropped, Self::Suppressed];

    /// The `outcome` label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::Dropped => "dropped",
            Self::Suppressed => "suppressed",
        }
    }
}

/// One target's counters.
#[derive(Debug, Default)]
pub(super) struct Counters {
    sent: AtomicU64,
    dropped: AtomicU64,
    suppressed: AtomicU64,
    failed: [AtomicU64; FailReason::ALL.len()],
}

impl Counters {
    /// Counts one outcome other than a failure (see [`Counters::fail`]).
    pub(super) fn add(&self, outcome: Outcome) {
        let counter = match outcome {
            Outcome::Sent => &self.sent,
            Outcome::Dropped => &self.dropped,
            Outcome::Suppressed => &self.suppressed,
            Outcome::Failed => return,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one failure.
    pub(super) fn fail(&self, reason: FailReason) {
        self.failed[slot(reason)].fetch_add(1, Ordering::Relaxed);
    }

    /// The count of `outcome` (failures summed over reasons).
    pub(super) fn count(&self, outcome: Outcome) -> u64 {
        match outcome {
            Outcome::Sent => self.sent.load(Ordering::Relaxed),
            Outcome::Failed => self.failed.iter().map(|f| f.load(Ordering::Relaxed)).sum(),
            Outcome::Dropped => self.dropped.load(Ordering::Relaxed),
            Outcome::Suppressed => self.suppressed.load(Ordering::Relaxed),
        }
    }

    /// The count of failures for `reason`.
    pub(super) fn failures(&self, reason: FailReason) -> u64 {
        self.failed[slot(reason)].load(Ordering::Relaxed)
    }
}

fn slot(reason: FailReason) -> usize {
    reason as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_outcome_and_reason() {
        let c = Counters::default();
        c.add(Outcome::Sent);
        c.add(Outcome::Failed);
        c.fail(FailReason::Tls);
        c.fail(FailReason::Tls);
        c.fail(FailReason::RefusedAddress);
        assert_eq!(c.count(Outcome::Sent), 1);
        assert_eq!(c.count(Outcome::Failed), 3);
        assert_eq!(c.failures(FailReason::Tls), 2);
        assert_eq!(c.failures(FailReason::Dns), 0);
        for (i, r) in FailReason::ALL.into_iter().enumerate() {
            assert_eq!(slot(r), i, "ALL is in declaration order");
        }
    }
}
