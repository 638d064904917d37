//! `EventDetector`: turns one device's stream of poll results into debounced events, with a
//! state that survives restarts without replaying or repeating anything.

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::time::SystemTime;

use super::Event;
use super::debounce::{Change, Debounced};
use super::kind::EventKind;
use crate::name::UpsName;
use crate::snapshot::FailureReason;
use crate::status::{Status, StatusFlag};

/// How many consecutive observations confirm a change.
///
/// Defaults: status flags (and OL/OB) fire on the first poll that shows them, as upsmon does;
/// communication loss and staleness need two failed polls in a row, so one dropped packet or
/// slow reply is not an event. Recovery (a good poll) always fires at once: a successful poll
/// proves communication, while a failed one may be transient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DetectorConfig {
    /// Consecutive successful polls a status flag (or OL/OB) must hold, in both directions.
    pub flag_debounce: NonZeroU32,
    /// Consecutive failed polls before [`EventKind::CommunicationLost`] or
    /// [`EventKind::Stale`] fires.
    pub comm_debounce: NonZeroU32,
}

impl DetectorConfig {
    /// Default [`DetectorConfig::flag_debounce`].
    pub const DEFAULT_FLAG_DEBOUNCE: NonZeroU32 = NonZeroU32::MIN;
    /// Default [`DetectorConfig::comm_debounce`].
    pub const DEFAULT_COMM_DEBOUNCE: NonZeroU32 = NonZeroU32::MIN.saturating_add(1);
}

impl Default for DetectorConfig {
    fn default() -> Self {
        Self {
            flag_debounce: Self::DEFAULT_FLAG_DEBOUNCE,
            comm_debounce: Self::DEFAULT_COMM_DEBOUNCE,
        }
    }
}

/// One poll result of one device, as the detector needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observation<'a> {
    /// A fresh reading with this status.
    Up(&'a Status),
    /// No fresh reading. Stale reasons ([`FailureReason::is_stale_data`]) drive
    /// [`EventKind::Stale`]/[`EventKind::Fresh`]; the others drive
    /// [`EventKind::CommunicationLost`]/[`EventKind::CommunicationRestored`].
    Down(FailureReason),
}

/// Mains or battery, from `OL`/`OB`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
enum Power {
    Line,
    Battery,
}

/// Flags with a raise and a clear event. `OL`/`OB` are handled as one two-valued state.
const FLAG_EVENTS: [(StatusFlag, EventKind, EventKind); 10] = [
    (StatusFlag::Lb, EventKind::LowBattery, EventKind::BatteryOk),
    (
        StatusFlag::Rb,
        EventKind::ReplaceBattery,
        EventKind::ReplaceBatteryCleared,
    ),
    (
        StatusFlag::Over,
        EventKind::Overload,
        EventKind::OverloadCleared,
    ),
    (
        StatusFlag::Bypass,
        EventKind::Bypass,
        EventKind::BypassCleared,
    ),
    (StatusFlag::Trim, EventKind::Trim, EventKind::TrimCleared),
    (StatusFlag::Boost, EventKind::Boost, EventKind::BoostCleared),
    (
        StatusFlag::Fsd,
        EventKind::ForcedShutdown,
        EventKind::ForcedShutdownCleared,
    ),
    (
        StatusFlag::Cal,
        EventKind::Calibration,
        EventKind::CalibrationCleared,
    ),
    (StatusFlag::Off, EventKind::Off, EventKind::OffCleared),
    (
        StatusFlag::Alarm,
        EventKind::AlarmRaised,
        EventKind::AlarmCleared,
    ),
];

/// Detects one device's events. Serialize it into the state file and deserialize it on start:
/// it then continues exactly where it stopped, so a restart neither replays old events nor
/// repeats one (an `OB` seen after a restart is reported once if the saved state said `OL`).
///
/// The first confirmed state of each kind of information (reachability, freshness, OL/OB,
/// each flag) is the baseline and emits nothing: with the default debounce, the first poll
/// for flags, and the first good poll or the first two failed ones for communication. Status flags are only judged on successful
/// polls; while a device is down they keep their last value, so changes that happened during
/// the outage are reported when it answers again, after `communication_restored`.
///
/// The configuration is not persisted: call [`EventDetector::set_config`] after
/// deserializing (until then it is [`DetectorConfig::default`]).
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use upsight_model::{
///     DetectorConfig, EventDetector, EventKind, FailureReason, Observation, Status,
/// };
///
/// let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let mut detector = EventDetector::new("ups1".parse()?, DetectorConfig::default());
/// let online = Status::parse("OL CHRG");
/// assert!(detector.observe(t0, Observation::Up(&online)).is_empty()); // baseline
///
/// let t1 = t0 + Duration::from_secs(5);
/// let events = detector.observe(t1, Observation::Up(&Status::parse("OB DISCHRG")));
/// assert_eq!(events[0].kind, EventKind::OnBattery);
/// assert_eq!(events[0].at, t1);
///
/// // Saved to the state file and loaded after a restart: nothing is replayed.
/// let saved = serde_json::to_string(&detector)?;
/// let mut detector: EventDetector = serde_json::from_str(&saved)?;
/// detector.set_config(DetectorConfig::default());
/// let t2 = t1 + Duration::from_secs(5);
/// assert!(detector.observe(t2, Observation::Up(&Status::parse("OB"))).is_empty());
/// // One failed poll is not an event; the default needs two.
/// assert!(detector.observe(t2, Observation::Down(FailureReason::Timeout)).is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EventDetector {
    device: UpsName,
    #[serde(skip)]
    config: DetectorConfig,
    #[serde(default)]
    reachable: Debounced<bool>,
    #[serde(default)]
    fresh: Debounced<bool>,
    #[serde(default)]
    power: Debounced<Power>,
    /// Keyed by the flag's raise kind.
    #[serde(default)]
    flags: BTreeMap<EventKind, Debounced<bool>>,
    #[serde(default)]
    transitions: BTreeMap<EventKind, u64>,
    #[serde(default)]
    last_transfer: Option<SystemTime>,
    #[serde(default)]
    last_seq: u64,
}

impl EventDetector {
    /// A detector that has seen nothing yet.
    pub fn new(device: UpsName, config: DetectorConfig) -> Self {
        Self {
            device,
            config,
            reachable: Debounced::default(),
            fresh: Debounced::default(),
            power: Debounced::default(),
            flags: BTreeMap::new(),
            transitions: BTreeMap::new(),
            last_transfer: None,
            last_seq: 0,
        }
    }

    /// The device this detector watches.
    pub fn device(&self) -> &UpsName {
        &self.device
    }

    /// The debounce settings in use.
    pub fn config(&self) -> DetectorConfig {
        self.config
    }

    /// Applies new debounce settings (after deserializing, or on config reload).
    pub fn set_config(&mut self, config: DetectorConfig) {
        self.config = config;
    }

    /// Feeds one poll result, made at `at` (the sample's time), and returns the events it
    /// confirms, in order: communication, freshness, OL/OB, then flags in
    /// [`EventKind::ALL`] order.
    pub fn observe(&mut self, at: SystemTime, observation: Observation<'_>) -> Vec<Event> {
        let comm = self.config.comm_debounce.get();
        let mut out = Vec::new();
        let (reachable, fresh, detail) = match observation {
            Observation::Up(_) => (true, Some(true), None),
            Observation::Down(r) if r.is_stale_data() => (true, Some(false), Some(r.as_str())),
            Observation::Down(r) => (false, None, Some(r.as_str())),
        };
        let need = if reachable { 1 } else { comm };
        if let Some(Change { to, since }) = self.reachable.feed(reachable, at, need) {
            let (kind, detail) = match to {
                true => (EventKind::CommunicationRestored, None),
                false => (EventKind::CommunicationLost, detail),
            };
            self.emit(&mut out, kind, since, detail.map(str::to_owned));
        }
        if let Some(fresh) = fresh {
            let need = if fresh { 1 } else { comm };
            if let Some(Change { to, since }) = self.fresh.feed(fresh, at, need) {
                let (kind, detail) = match to {
                    true => (EventKind::Fresh, None),
                    false => (EventKind::Stale, detail),
                };
                self.emit(&mut out, kind, since, detail.map(str::to_owned));
            }
        }
        if let Observation::Up(status) = observation {
            self.observe_status(&mut out, at, status);
        }
        out
    }

    fn observe_status(&mut self, out: &mut Vec<Event>, at: SystemTime, status: &Status) {
        let need = self.config.flag_debounce.get();
        let detail = || Some(status.to_string());
        // Both OL and OB (seen briefly during transfers on some drivers) counts as on battery:
        // the conservative reading.
        let power = if status.has(&StatusFlag::Ob) {
            Some(Power::Battery)
        } else if status.has(&StatusFlag::Ol) {
            Some(Power::Line)
        } else {
            None
        };
        if let Some(Change { to, since }) = power.and_then(|p| self.power.feed(p, at, need)) {
            let kind = match to {
                Power::Battery => EventKind::OnBattery,
                Power::Line => EventKind::OnLine,
            };
            self.emit(out, kind, since, detail());
        }
        for (flag, raise, clear) in &FLAG_EVENTS {
            let channel = self.flags.entry(*raise).or_default();
            if let Some(Change { to, since }) = channel.feed(status.has(flag), at, need) {
                self.emit(out, if to { *raise } else { *clear }, since, detail());
            }
        }
    }

    fn emit(&mut self, out: &mut Vec<Event>, kind: EventKind, at: SystemTime, d: Option<String>) {
        self.last_seq += 1;
        *self.transitions.entry(kind).or_insert(0) += 1;
        if matches!(kind, EventKind::OnBattery | EventKind::OnLine) {
            self.last_transfer = Some(at);
        }
        out.push(Event {
            device: self.device.clone(),
            kind,
            at,
            detail: d,
            seq: self.last_seq,
        });
    }

    /// Events of `kind` emitted so far (`ups_transitions_total{event}`); survives restarts.
    pub fn transitions(&self, kind: EventKind) -> u64 {
        self.transitions.get(&kind).copied().unwrap_or(0)
    }

    /// Every kind with its count, zeros included, in [`EventKind::ALL`] order.
    pub fn all_transitions(&self) -> impl Iterator<Item = (EventKind, u64)> + '_ {
        EventKind::ALL.into_iter().map(|k| (k, self.transitions(k)))
    }

    /// Sample time of the last `on_battery` or `on_line` event
    /// (`ups_last_transfer_timestamp_seconds`).
    pub fn last_transfer(&self) -> Option<SystemTime> {
        self.last_transfer
    }

    /// Whether the confirmed power state is battery; `None` before the baseline.
    pub fn is_on_battery(&self) -> Option<bool> {
        self.power.confirmed().map(|p| *p == Power::Battery)
    }

    /// Sequence number of the latest event emitted (0 if none).
    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn t(s: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + s)
    }

    fn detector(flag: u32, comm: u32) -> EventDetector {
        let config = DetectorConfig {
            flag_debounce: NonZeroU32::new(flag).unwrap(),
            comm_debounce: NonZeroU32::new(comm).unwrap(),
        };
        EventDetector::new("ups1".parse().unwrap(), config)
    }

    fn up(d: &mut EventDetector, s: u64, status: &str) -> Vec<EventKind> {
        let status = Status::parse(status);
        d.observe(t(s), Observation::Up(&status))
            .iter()
            .map(|e| e.kind)
            .collect()
    }

    fn down(d: &mut EventDetector, s: u64, reason: FailureReason) -> Vec<EventKind> {
        d.observe(t(s), Observation::Down(reason))
            .iter()
            .map(|e| e.kind)
            .collect()
    }

    #[test]
    fn first_observation_is_a_baseline() {
        let mut d = detector(1, 1);
        assert_eq!(up(&mut d, 0, "OB LB RB OVER BYPASS FSD CAL OFF ALARM"), []);
        assert_eq!(d.is_on_battery(), Some(true));
        assert_eq!(d.last_seq(), 0);
        assert_eq!(d.last_transfer(), None);
        let mut d = detector(1, 2);
        assert_eq!(down(&mut d, 0, FailureReason::Timeout), []);
        assert_eq!(down(&mut d, 1, FailureReason::Timeout), []);
        assert_eq!(up(&mut d, 2, "OB"), [EventKind::CommunicationRestored]);
    }

    #[test]
    fn every_flag_raises_and_clears() {
        let mut d = detector(1, 1);
        up(&mut d, 0, "OL");
        for (i, (flag, raise, clear)) in FLAG_EVENTS.iter().enumerate() {
            let s = 2 * i as u64 + 1;
            assert_eq!(up(&mut d, s, &format!("OL {flag}")), [*raise], "{flag}");
            assert_eq!(up(&mut d, s + 1, "OL"), [*clear], "{flag}");
            assert_eq!(d.transitions(*raise), 1);
            assert_eq!(d.transitions(*clear), 1);
        }
    }

    #[test]
    fn on_battery_and_on_line_set_last_transfer() {
        let mut d = detector(1, 1);
        up(&mut d, 0, "OL CHRG");
        assert_eq!(up(&mut d, 5, "OB DISCHRG"), [EventKind::OnBattery]);
        assert_eq!(d.last_transfer(), Some(t(5)));
        assert_eq!(up(&mut d, 10, "OB DISCHRG LB"), [EventKind::LowBattery]);
        assert_eq!(
            up(&mut d, 15, "OL CHRG"),
            [EventKind::OnLine, EventKind::BatteryOk]
        );
        assert_eq!(d.last_transfer(), Some(t(15)));
        assert_eq!(up(&mut d, 20, "CHRG"), [], "no OL/OB keeps the power state");
        let counts: Vec<_> = d.all_transitions().filter(|(_, n)| *n > 0).collect();
        assert_eq!(counts.len(), 4);
    }

    #[test]
    fn ob_wins_over_ol_and_events_carry_detail_and_seq() {
        let mut d = detector(1, 1);
        up(&mut d, 0, "OL");
        let status = Status::parse("OL OB");
        let events = d.observe(t(1), Observation::Up(&status));
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].kind, EventKind::OnBattery);
        assert_eq!(events[0].detail.as_deref(), Some("OL OB"));
        assert_eq!(events[0].seq, 1);
        assert_eq!(events[0].device.as_str(), "ups1");
    }

    #[test]
    fn flag_debounce_needs_consecutive_polls_and_reports_the_first_sample_time() {
        let mut d = detector(3, 1);
        assert_eq!(up(&mut d, 0, "OL"), []);
        assert_eq!(
            d.is_on_battery(),
            None,
            "the baseline is the first debounced state"
        );
        up(&mut d, 1, "OL");
        up(&mut d, 2, "OL");
        assert_eq!(d.is_on_battery(), Some(false));
        assert_eq!(up(&mut d, 5, "OB"), []);
        assert_eq!(up(&mut d, 10, "OL"), [], "flip back within the window");
        assert_eq!(up(&mut d, 15, "OB"), []);
        assert_eq!(up(&mut d, 20, "OB"), []);
        let status = Status::parse("OB");
        let events = d.observe(t(25), Observation::Up(&status));
        assert_eq!(events[0].kind, EventKind::OnBattery);
        assert_eq!(events[0].at, t(15));
        assert_eq!(d.transitions(EventKind::OnBattery), 1);
    }

    #[test]
    fn failed_polls_do_not_break_a_flag_streak() {
        let mut d = detector(2, 5);
        up(&mut d, 0, "OL");
        up(&mut d, 1, "OL");
        up(&mut d, 5, "OB");
        down(&mut d, 10, FailureReason::Timeout);
        assert_eq!(up(&mut d, 15, "OB"), [EventKind::OnBattery]);
    }

    #[test]
    fn communication_lost_after_two_failures_restored_at_once() {
        let mut d = detector(1, 2);
        up(&mut d, 0, "OL");
        assert_eq!(down(&mut d, 5, FailureReason::Timeout), []);
        assert_eq!(up(&mut d, 10, "OL"), [], "one failure is not an event");
        assert_eq!(down(&mut d, 15, FailureReason::Connect), []);
        let events = d.observe(t(20), Observation::Down(FailureReason::Transport));
        assert_eq!(events[0].kind, EventKind::CommunicationLost);
        assert_eq!(events[0].at, t(15));
        assert_eq!(events[0].detail.as_deref(), Some("transport"));
        assert_eq!(down(&mut d, 25, FailureReason::Timeout), []);
        assert_eq!(
            up(&mut d, 30, "OB"),
            [EventKind::CommunicationRestored, EventKind::OnBattery]
        );
    }

    #[test]
    fn stale_and_fresh() {
        let mut d = detector(1, 2);
        up(&mut d, 0, "OL");
        assert_eq!(down(&mut d, 5, FailureReason::Stale), []);
        assert_eq!(
            down(&mut d, 10, FailureReason::DriverNotConnected),
            [EventKind::Stale]
        );
        assert_eq!(down(&mut d, 15, FailureReason::Timeout), []);
        assert_eq!(
            down(&mut d, 20, FailureReason::Timeout),
            [EventKind::CommunicationLost]
        );
        assert_eq!(
            down(&mut d, 25, FailureReason::Waiting),
            [EventKind::CommunicationRestored]
        );
        assert_eq!(up(&mut d, 30, "OL"), [EventKind::Fresh]);
        assert_eq!(d.transitions(EventKind::Stale), 1);
    }

    #[test]
    fn restart_continues_from_the_saved_state() {
        let mut d = detector(1, 1);
        up(&mut d, 0, "OL");
        let json = serde_json::to_string(&d).unwrap();
        let mut restored: EventDetector = serde_json::from_str(&json).unwrap();
        restored.set_config(d.config());
        assert_eq!(restored, d);
        assert_eq!(up(&mut restored, 100, "OB"), [EventKind::OnBattery]);
        assert_eq!(restored.last_seq(), 1);
        let json = serde_json::to_string(&restored).unwrap();
        let mut again: EventDetector = serde_json::from_str(&json).unwrap();
        assert_eq!(
            up(&mut again, 200, "OB"),
            [],
            "no replay after a second restart"
        );
        assert_eq!(again.transitions(EventKind::OnBattery), 1);
        assert_eq!(again.last_transfer(), Some(t(100)));
    }

    #[test]
    fn defaults() {
        let c = DetectorConfig::default();
        assert_eq!((c.flag_debounce.get(), c.comm_debounce.get()), (1, 2));
    }
}
