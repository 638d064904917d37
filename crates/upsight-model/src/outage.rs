//! Power outages of one device: from `on_battery` to `on_line`, with the lowest charge and
//! runtime seen, and the on-battery time counter.

use std::time::{Duration, SystemTime};

use crate::event::{Event, EventKind};
use crate::name::UpsName;
use crate::reading::{Quantity, Reading};
use crate::status::StatusFlag;

/// One outage: the device ran on battery from `start` to `end`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Outage {
    /// The device.
    pub device: UpsName,
    /// Time of the first sample on battery (the `on_battery` event's time).
    pub start: SystemTime,
    /// Time of the first sample back on line; `None` while the outage lasts.
    pub end: Option<SystemTime>,
    /// `end - start`; while open, the time from `start` to the latest reading. Wall time:
    /// it includes periods without readings.
    pub duration: Duration,
    /// Lowest battery charge (0..1) read during the outage.
    pub min_charge_ratio: Option<f64>,
    /// Lowest battery runtime read during the outage.
    pub min_runtime: Option<Duration>,
}

impl Outage {
    /// Whether the device is still on battery.
    pub fn is_open(&self) -> bool {
        self.end.is_none()
    }
}

/// Tracks one device's outages and its on-battery time. Feed it every event of the device
/// ([`OutageTracker::observe_event`]) and every successful reading
/// ([`OutageTracker::observe_reading`]).
///
/// **On-battery time** (`ups_on_battery_seconds_total`) adds up the intervals between
/// consecutive on-battery samples and, at the end, from the last one to the `on_line` sample,
/// so with no gaps it equals the sum of the outages' durations. An interval longer than
/// `max_gap` (the exporter passes 5 × the poll interval) is not counted: nobody saw the device
/// then (exporter down, device unreachable). A sample older than the previous one (clock set
/// back) counts nothing and restarts the interval.
///
/// Serializable: an open outage survives a restart. `max_gap` is configuration and is not
/// persisted: call [`OutageTracker::set_max_gap`] after deserializing (until then it is
/// [`OutageTracker::DEFAULT_MAX_GAP`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OutageTracker {
    device: UpsName,
    #[serde(skip, default = "default_max_gap")]
    max_gap: Duration,
    #[serde(default)]
    open: Option<Outage>,
    /// Time of the latest on-battery sample of the open outage.
    #[serde(default)]
    last_sample: Option<SystemTime>,
    #[serde(default)]
    on_battery_total: Duration,
}

fn default_max_gap() -> Duration {
    OutageTracker::DEFAULT_MAX_GAP
}

impl OutageTracker {
    /// `max_gap` until [`OutageTracker::set_max_gap`] is called after deserializing.
    pub const DEFAULT_MAX_GAP: Duration = Duration::from_secs(60);

    /// A tracker with no outage and no on-battery time.
    pub fn new(device: UpsName, max_gap: Duration) -> Self {
        Self {
            device,
            max_gap,
            open: None,
            last_sample: None,
            on_battery_total: Duration::ZERO,
        }
    }

    /// Sets the longest interval between samples that still counts as on-battery time.
    pub fn set_max_gap(&mut self, max_gap: Duration) {
        self.max_gap = max_gap;
    }

    /// Opens an outage on `on_battery` and closes it on `on_line`, returning the finished
    /// outage (for the history). Other kinds, other devices' events, an `on_battery` while
    /// open and an `on_line` while closed are ignored.
    pub fn observe_event(&mut self, event: &Event) -> Option<Outage> {
        if event.device != self.device {
            return None;
        }
        match event.kind {
            EventKind::OnBattery if self.open.is_none() => {
                self.open = Some(Outage {
                    device: self.device.clone(),
                    start: event.at,
                    end: None,
                    duration: Duration::ZERO,
                    min_charge_ratio: None,
                    min_runtime: None,
                });
                self.last_sample = Some(event.at);
                None
            }
            EventKind::OnLine => {
                let mut outage = self.open.take()?;
                self.accumulate(event.at);
                self.last_sample = None;
                outage.end = Some(event.at);
                outage.duration = event.at.duration_since(outage.start).unwrap_or_default();
                Some(outage)
            }
            _ => None,
        }
    }

    /// Folds in one successful reading made at `at`: while an outage is open, updates its
    /// minimums and duration, and counts on-battery time if the reading says `OB`.
    pub fn observe_reading(&mut self, at: SystemTime, reading: &Reading) {
        if self.open.is_none() {
            return;
        }
        if reading.status.has(&StatusFlag::Ob) {
            self.accumulate(at);
        }
        let Some(outage) = self.open.as_mut() else {
            return;
        };
        outage.duration = outage
            .duration
            .max(at.duration_since(outage.start).unwrap_or_default());
        if let Some(charge) = reading
            .value(Quantity::BatteryCharge)
            .filter(|v| v.is_finite())
        {
            outage.min_charge_ratio =
                Some(outage.min_charge_ratio.map_or(charge, |m| m.min(charge)));
        }
        let runtime = reading.value(Quantity::BatteryRuntime);
        if let Some(runtime) = runtime.and_then(|s| Duration::try_from_secs_f64(s).ok()) {
            outage.min_runtime = Some(outage.min_runtime.map_or(runtime, |m| m.min(runtime)));
        }
    }

    fn accumulate(&mut self, at: SystemTime) {
        let Some(last) = self.last_sample.replace(at) else {
            return;
        };
        if let Ok(dt) = at.duration_since(last)
            && dt <= self.max_gap
        {
            self.on_battery_total += dt;
        }
    }

    /// The open outage, if the device is on battery.
    pub fn current(&self) -> Option<&Outage> {
        self.open.as_ref()
    }

    /// Total time on battery, gaps excluded; survives restarts.
    pub fn on_battery_total(&self) -> Duration {
        self.on_battery_total
    }

    /// [`OutageTracker::on_battery_total`] in seconds, for `ups_on_battery_seconds_total`.
    pub fn on_battery_seconds_total(&self) -> f64 {
        self.on_battery_total.as_secs_f64()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reading::{DeviceInfo, Identity, Sample, Source};
    use crate::status::Status;

    fn t(s: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + s)
    }

    fn event(kind: EventKind, s: u64) -> Event {
        Event {
            device: "ups1".parse().unwrap(),
            kind,
            at: t(s),
            detail: None,
            seq: 0,
        }
    }

    fn reading(status: &str, charge: f64, runtime: f64) -> Reading {
        let sample = |quantity, value| Sample {
            quantity,
            phase: None,
            outlet: None,
            value,
        };
        Reading {
            source: Source::Nut,
            status: Status::parse(status),
            samples: vec![
                sample(Quantity::BatteryCharge, charge),
                sample(Quantity::BatteryRuntime, runtime),
            ],
            is_real_power_estimated: false,
            info: DeviceInfo::default(),
            identity: Identity::default(),
            raw: Vec::new(),
        }
    }

    fn tracker() -> OutageTracker {
        OutageTracker::new("ups1".parse().unwrap(), Duration::from_secs(25))
    }

    #[test]
    fn lifecycle() {
        let mut o = tracker();
        o.observe_reading(t(0), &reading("OL", 1.0, 3600.0));
        assert_eq!(o.current(), None);
        assert_eq!(o.observe_event(&event(EventKind::OnBattery, 5)), None);
        o.observe_reading(t(5), &reading("OB", 0.9, 1800.0));
        o.observe_reading(t(10), &reading("OB", 0.7, 1200.0));
        o.observe_reading(t(15), &reading("OB", 0.8, f64::NAN));
        let open = o.current().unwrap();
        assert!(open.is_open());
        assert_eq!(open.duration, Duration::from_secs(10));
        let done = o.observe_event(&event(EventKind::OnLine, 20)).unwrap();
        assert_eq!(done.start, t(5));
        assert_eq!(done.end, Some(t(20)));
        assert_eq!(done.duration, Duration::from_secs(15));
        assert_eq!(done.min_charge_ratio, Some(0.7));
        assert_eq!(done.min_runtime, Some(Duration::from_secs(1200)));
        assert_eq!(o.on_battery_total(), Duration::from_secs(15));
        assert_eq!(o.current(), None);
        assert_eq!(o.observe_event(&event(EventKind::OnLine, 25)), None);
    }

    #[test]
    fn gaps_over_the_bound_are_not_counted() {
        let mut o = tracker();
        o.observe_event(&event(EventKind::OnBattery, 0));
        o.observe_reading(t(5), &reading("OB", 0.9, 100.0));
        o.observe_reading(t(105), &reading("OB", 0.5, 50.0)); // 100 s gap > 25 s
        o.observe_reading(t(110), &reading("OB", 0.4, 40.0));
        o.observe_reading(t(100), &reading("OB", 0.4, 40.0)); // clock set back
        o.observe_reading(t(105), &reading("OB", 0.4, 40.0));
        let done = o.observe_event(&event(EventKind::OnLine, 110)).unwrap();
        assert_eq!(done.duration, Duration::from_secs(110));
        assert_eq!(o.on_battery_seconds_total(), 20.0);
    }

    #[test]
    fn open_outage_survives_restart_and_ignores_other_events() {
        let mut o = tracker();
        o.observe_event(&event(EventKind::OnBattery, 0));
        o.observe_event(&event(EventKind::OnBattery, 3));
        o.observe_event(&event(EventKind::LowBattery, 4));
        o.observe_reading(t(5), &reading("OB", 0.5, 100.0));
        let json = serde_json::to_string(&o).unwrap();
        let mut back: OutageTracker = serde_json::from_str(&json).unwrap();
        back.set_max_gap(Duration::from_secs(25));
        assert_eq!(back, o);
        back.observe_reading(t(10), &reading("OB", 0.4, 90.0));
        let mut other = event(EventKind::OnLine, 12);
        other.device = "ups2".parse().unwrap();
        assert_eq!(back.observe_event(&other), None);
        let done = back.observe_event(&event(EventKind::OnLine, 15)).unwrap();
        assert_eq!((done.start, done.min_charge_ratio), (t(0), Some(0.4)));
        assert_eq!(back.on_battery_seconds_total(), 15.0);
    }
}
