//! One debounced state: a new value is confirmed only after it was seen in enough consecutive
//! observations, and a flip back before that confirms nothing.

use std::time::SystemTime;

/// A value that changes only after `need` consecutive observations of the new value.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(bound(
    serialize = "T: serde::Serialize",
    deserialize = "T: serde::Deserialize<'de>"
))]
pub(crate) struct Debounced<T> {
    /// The confirmed value; `None` until the baseline is established.
    confirmed: Option<T>,
    /// A different value seen in the latest consecutive observations, not confirmed yet.
    pending: Option<Pending<T>>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Pending<T> {
    value: T,
    /// Consecutive observations of `value` so far.
    count: u32,
    /// Time of the first of them.
    since: SystemTime,
}

/// A confirmed change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Change<T> {
    /// The new value.
    pub(crate) to: T,
    /// Time of the first observation of the new value.
    pub(crate) since: SystemTime,
}

impl<T> Default for Debounced<T> {
    fn default() -> Self {
        Self {
            confirmed: None,
            pending: None,
        }
    }
}

impl<T: Clone + PartialEq> Debounced<T> {
    /// The confirmed value.
    pub(crate) fn confirmed(&self) -> Option<&T> {
        self.confirmed.as_ref()
    }

    /// Feeds one observation of `value` made at `at`; `need` (at least 1) consecutive
    /// observations confirm it. Returns the change when one is confirmed, except for the
    /// first confirmation ever: that is the baseline, not a change.
    pub(crate) fn feed(&mut self, value: T, at: SystemTime, need: u32) -> Option<Change<T>> {
        if self.confirmed.as_ref() == Some(&value) {
            self.pending = None;
            return None;
        }
        let pending = match self.pending.take() {
            Some(mut p) if p.value == value => {
                p.count = p.count.saturating_add(1);
                p
            }
            _ => Pending {
                value,
                count: 1,
                since: at,
            },
        };
        if pending.count < need.max(1) {
            self.pending = Some(pending);
            return None;
        }
        let was_baselined = self.confirmed.replace(pending.value.clone()).is_some();
        was_baselined.then_some(Change {
            to: pending.value,
            since: pending.since,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn t(s: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(s)
    }

    #[test]
    fn first_confirmation_is_the_baseline() {
        let mut d = Debounced::default();
        assert_eq!(d.feed(true, t(1), 1), None);
        assert_eq!(d.confirmed(), Some(&true));
        assert_eq!(
            d.feed(false, t(2), 1),
            Some(Change {
                to: false,
                since: t(2)
            })
        );
    }

    #[test]
    fn needs_consecutive_observations_and_reports_the_first() {
        let mut d = Debounced::default();
        d.feed(0, t(0), 1);
        assert_eq!(d.feed(1, t(1), 3), None);
        assert_eq!(d.feed(1, t(2), 3), None);
        assert_eq!(d.feed(1, t(3), 3), Some(Change { to: 1, since: t(1) }));
    }

    #[test]
    fn flip_back_within_the_window_confirms_nothing() {
        let mut d = Debounced::default();
        d.feed(0, t(0), 1);
        assert_eq!(d.feed(1, t(1), 2), None);
        assert_eq!(d.feed(0, t(2), 2), None);
        assert_eq!(d.feed(1, t(3), 2), None);
        assert_eq!(d.confirmed(), Some(&0));
        assert_eq!(d.feed(2, t(4), 2), None);
        assert_eq!(d.feed(2, t(5), 2), Some(Change { to: 2, since: t(4) }));
    }

    #[test]
    fn need_zero_acts_as_one() {
        let mut d = Debounced::default();
        d.feed(0, t(0), 0);
        assert_eq!(d.feed(1, t(1), 0), Some(Change { to: 1, since: t(1) }));
    }
}
