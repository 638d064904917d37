//! Device events: what changed on a UPS (upsmon's vocabulary), stamped with the time of the
//! sample that showed the change, never the time it was processed (design.md §4.4).

mod debounce;
mod detector;
mod history;
mod kind;

use std::fmt;
use std::time::SystemTime;

use crate::name::UpsName;

pub use detector::{DetectorConfig, EventDetector, Observation};
pub use history::History;
pub use kind::{EventKind, UnknownEventKind};

/// How urgent an event is by default. Ordered: `Info < Warning < Critical`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth recording; nothing to do.
    Info,
    /// Protection is reduced or data is missing; someone should look.
    Warning,
    /// The load is (about to be) unprotected or unpowered.
    Critical,
}

impl Severity {
    /// Every severity, least urgent first.
    pub const ALL: [Severity; 3] = [Self::Info, Self::Warning, Self::Critical];

    /// snake_case name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One transition of one device.
///
/// `(device, seq)` identifies an event: [`EventDetector`] numbers each device's events from 1
/// and persists the counter, so numbers are never reused across restarts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Event {
    /// The device it happened on.
    pub device: UpsName,
    /// What happened.
    pub kind: EventKind,
    /// Time of the first sample that showed the new state (with debouncing, earlier than the
    /// sample that confirmed it).
    pub at: SystemTime,
    /// Context for people: the failure reason or the status flags seen (no PII).
    pub detail: Option<String>,
    /// Per-device sequence number, starting at 1, strictly increasing.
    pub seq: u64,
}

impl Event {
    /// The default severity of this event's kind.
    pub fn severity(&self) -> Severity {
        self.kind.severity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_names_match_serde() {
        for s in Severity::ALL {
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{s}\""));
        }
        assert!(Severity::Info < Severity::Warning && Severity::Warning < Severity::Critical);
    }

    #[test]
    fn event_round_trips_through_json() {
        let event = Event {
            device: "ups1".parse().unwrap(),
            kind: EventKind::OnBattery,
            at: SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(1_700_000_000_123),
            detail: Some("OB DISCHRG".into()),
            seq: 7,
        };
        let json = serde_json::to_string(&event).unwrap();
        assert!(json.contains("\"kind\":\"on_battery\""), "{json}");
        assert_eq!(serde_json::from_str::<Event>(&json).unwrap(), event);
        assert_eq!(event.severity(), Severity::Warning);
    }
}
