//! `History`: a bounded, serializable ring of the most recent items (events, outages).

use std::collections::VecDeque;

/// The newest `cap` items, oldest first. Pushing beyond the cap drops the oldest.
///
/// Serialized as `{"cap": N, "items": [...]}`; loading a file with more than `cap` items keeps
/// the newest `cap`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(
    from = "Repr<T>",
    bound(
        serialize = "T: serde::Serialize",
        deserialize = "T: serde::Deserialize<'de>"
    )
)]
pub struct History<T> {
    cap: usize,
    items: VecDeque<T>,
}

#[derive(serde::Deserialize)]
struct Repr<T> {
    cap: usize,
    items: VecDeque<T>,
}

impl<T> From<Repr<T>> for History<T> {
    fn from(repr: Repr<T>) -> Self {
        let mut history = Self {
            cap: repr.cap,
            items: repr.items,
        };
        history.trim();
        history
    }
}

impl<T> History<T> {
    /// Default cap: the last 1000 items.
    pub const DEFAULT_CAP: usize = 1000;

    /// An empty history keeping at most `cap` items (0 keeps nothing).
    pub fn new(cap: usize) -> Self {
        Self {
            cap,
            items: VecDeque::with_capacity(cap.min(Self::DEFAULT_CAP)),
        }
    }

    /// Appends `item`, returning the oldest item if it had to make room.
    pub fn push(&mut self, item: T) -> Option<T> {
        self.items.push_back(item);
        self.trim().into_iter().next()
    }

    /// Changes the cap (for example after a config reload), dropping the oldest items as needed.
    pub fn set_cap(&mut self, cap: usize) {
        self.cap = cap;
        self.trim();
    }

    /// The cap.
    pub fn cap(&self) -> usize {
        self.cap
    }

    /// Number of items held.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Items, oldest first (`.rev()` for newest first).
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + ExactSizeIterator {
        self.items.iter()
    }

    /// The newest item.
    pub fn latest(&self) -> Option<&T> {
        self.items.back()
    }

    fn trim(&mut self) -> Vec<T> {
        let excess = self.items.len().saturating_sub(self.cap);
        self.items.drain(..excess).collect()
    }
}

impl<T> Default for History<T> {
    fn default() -> Self {
        Self::new(Self::DEFAULT_CAP)
    }
}

impl<T> Extend<T> for History<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        for item in iter {
            self.push(item);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_cap_items() {
        let mut h = History::new(3);
        assert_eq!(h.push(1), None);
        h.extend([2, 3]);
        assert_eq!(h.push(4), Some(1));
        assert_eq!(h.iter().copied().collect::<Vec<_>>(), [2, 3, 4]);
        assert_eq!(h.latest(), Some(&4));
        h.set_cap(1);
        assert_eq!(h.iter().copied().collect::<Vec<_>>(), [4]);
        let mut none = History::new(0);
        assert_eq!(none.push(1), Some(1));
        assert!(none.is_empty());
    }

    #[test]
    fn json_round_trip_enforces_the_cap() {
        let mut h = History::new(2);
        h.extend(["a", "b"]);
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(json, r#"{"cap":2,"items":["a","b"]}"#);
        assert_eq!(
            serde_json::from_str::<History<String>>(&json)
                .unwrap()
                .len(),
            2
        );
        let long: History<u8> = serde_json::from_str(r#"{"cap":2,"items":[1,2,3]}"#).unwrap();
        assert_eq!(long.iter().copied().collect::<Vec<_>>(), [2, 3]);
        assert_eq!(History::<u8>::default().cap(), History::<u8>::DEFAULT_CAP);
    }
}
