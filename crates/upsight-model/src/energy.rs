//! Energy delivered by one device: real power integrated over sample times (trapezoid rule)
//! into a monotonic total and bounded daily totals.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use crate::reading::{Quantity, Reading};

/// Joules in one kilowatt-hour.
pub const JOULES_PER_KWH: f64 = 3.6e6;

const SECONDS_PER_DAY: i64 = 86_400;

/// The cost of `joules` at `price_per_kwh` (in whatever currency the price is in).
pub fn cost(joules: f64, price_per_kwh: f64) -> f64 {
    joules / JOULES_PER_KWH * price_per_kwh
}

/// How an [`EnergyMeter`] integrates and keeps totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnergyConfig {
    /// The longest interval between two samples that is still integrated; a longer gap starts
    /// a new segment. The exporter passes 5 × the poll interval.
    pub max_gap: Duration,
    /// Offset from UTC of the calendar days that daily totals are keyed by (0 = UTC). A fixed
    /// offset: daylight-saving changes are not followed.
    pub utc_offset_seconds: i32,
    /// Daily totals kept; older days are dropped (the total keeps them).
    pub max_days: usize,
}

impl Default for EnergyConfig {
    /// 60 s gap, UTC days, 400 days.
    fn default() -> Self {
        Self {
            max_gap: Duration::from_secs(60),
            utc_offset_seconds: 0,
            max_days: 400,
        }
    }
}

/// A calendar day, counted in days since 1970-01-01. Written `YYYY-MM-DD`, also in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Day(i64);

/// Text that is not a `YYYY-MM-DD` date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid day {0:?}: expected YYYY-MM-DD")]
pub struct DayError(pub String);

impl Day {
    /// The day `at` falls on, in the calendar `utc_offset_seconds` east of UTC.
    pub fn of(at: SystemTime, utc_offset_seconds: i32) -> Self {
        let secs = unix_floor_seconds(at).saturating_add(i64::from(utc_offset_seconds));
        Self(secs.div_euclid(SECONDS_PER_DAY))
    }

    /// When this day starts in the calendar `utc_offset_seconds` east of UTC.
    pub fn start(self, utc_offset_seconds: i32) -> SystemTime {
        let secs = self
            .0
            .saturating_mul(SECONDS_PER_DAY)
            .saturating_sub(i64::from(utc_offset_seconds));
        let magnitude = Duration::from_secs(secs.unsigned_abs());
        let moved = if secs < 0 {
            SystemTime::UNIX_EPOCH.checked_sub(magnitude)
        } else {
            SystemTime::UNIX_EPOCH.checked_add(magnitude)
        };
        moved.unwrap_or(SystemTime::UNIX_EPOCH)
    }

    /// The next day.
    pub fn next(self) -> Self {
        Self(self.0.saturating_add(1))
    }

    /// The date `(year, month 1..=12, day 1..=31)`; H. Hinnant's `civil_from_days`.
    pub fn to_ymd(self) -> (i64, u32, u32) {
        let z = self.0 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        (year, month as u32, day as u32)
    }

    /// The day of a date, or `None` if it does not exist; H. Hinnant's `days_from_civil`.
    pub fn from_ymd(year: i64, month: u32, day: u32) -> Option<Self> {
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let days_in_month = match month {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            1..=12 => 31,
            _ => return None,
        };
        if day == 0 || day > days_in_month {
            return None;
        }
        let (m, d) = (i64::from(month), i64::from(day));
        let y = if m <= 2 { year - 1 } else { year };
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Some(Self(era * 146_097 + doe - 719_468))
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.to_ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl FromStr for Day {
    type Err = DayError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || DayError(s.to_owned());
        let mut parts = s.splitn(3, '-');
        let mut next = || {
            parts
                .next()
                .filter(|p| p.bytes().all(|b| b.is_ascii_digit()))
        };
        let (Some(y), Some(m), Some(d)) = (next(), next(), next()) else {
            return Err(err());
        };
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(err());
        }
        let (y, m, d) = (y.parse().map_err(|_| err())?, m.parse(), d.parse());
        Self::from_ymd(y, m.map_err(|_| err())?, d.map_err(|_| err())?).ok_or_else(err)
    }
}

impl serde::Serialize for Day {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Day {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Whole Unix seconds, rounded down (negative before 1970).
fn unix_floor_seconds(at: SystemTime) -> i64 {
    match at.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => {
            let d = e.duration();
            let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
            -secs - i64::from(d.subsec_nanos() > 0)
        }
    }
}

/// One power sample.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
struct PowerSample {
    at: SystemTime,
    watts: f64,
}

/// Integrates one device's real power into energy.
///
/// Each pair of consecutive samples adds `(P₀ + P₁) / 2 × Δt`. A pair further apart than
/// [`EnergyConfig::max_gap`] adds nothing (the later sample starts a new segment), as does a
/// pair whose later sample is older (clock set back). Negative, NaN and infinite power is
/// ignored as if the sample had not been taken. So the total never decreases.
///
/// Serializable for the state file; the configuration is not persisted: call
/// [`EnergyMeter::set_config`] after deserializing (until then it is the default).
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use upsight_model::{EnergyConfig, EnergyMeter};
///
/// let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let mut meter = EnergyMeter::new(EnergyConfig::default());
/// meter.observe(t0, 200.0);
/// meter.observe(t0 + Duration::from_secs(5), 400.0);
/// assert_eq!(meter.total_joules(), 1500.0); // (200 W + 400 W) / 2 × 5 s
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EnergyMeter {
    #[serde(skip)]
    config: EnergyConfig,
    #[serde(default)]
    total_joules: f64,
    #[serde(default)]
    last: Option<PowerSample>,
    #[serde(default)]
    daily_joules: BTreeMap<Day, f64>,
}

impl EnergyMeter {
    /// A meter at zero.
    pub fn new(config: EnergyConfig) -> Self {
        Self {
            config,
            total_joules: 0.0,
            last: None,
            daily_joules: BTreeMap::new(),
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> EnergyConfig {
        self.config
    }

    /// Applies a configuration (after deserializing, or on reload); drops days beyond the cap.
    pub fn set_config(&mut self, config: EnergyConfig) {
        self.config = config;
        self.trim_days();
    }

    /// Folds in the reading's real power (`Quantity::RealPower`, measured or estimated), if
    /// it has one.
    pub fn observe_reading(&mut self, at: SystemTime, reading: &Reading) {
        if let Some(watts) = reading.value(Quantity::RealPower) {
            self.observe(at, watts);
        }
    }

    /// Folds in one sample: `watts` of real power at `at` (the sample's time).
    pub fn observe(&mut self, at: SystemTime, watts: f64) {
        if !watts.is_finite() || watts < 0.0 {
            return;
        }
        let sample = PowerSample { at, watts };
        let Some(prev) = self.last.replace(sample) else {
            return;
        };
        let Ok(dt) = at.duration_since(prev.at) else {
            return;
        };
        if dt.is_zero() || dt > self.config.max_gap {
            return;
        }
        let joules = (prev.watts + watts) / 2.0 * dt.as_secs_f64();
        self.total_joules += joules;
        self.add_daily(prev, sample, joules);
    }

    /// Shares the `joules` between `from` and `to` among the days they span, interpolating
    /// power linearly; the last day gets the remainder, so the shares add up to `joules`.
    fn add_daily(&mut self, from: PowerSample, to: PowerSample, joules: f64) {
        let offset = self.config.utc_offset_seconds;
        let since_from = |t: SystemTime| t.duration_since(from.at).unwrap_or_default();
        let span = since_from(to.at).as_secs_f64();
        let power_at = |s: f64| from.watts + (to.watts - from.watts) * s / span;
        let (mut day, last_day) = (Day::of(from.at, offset), Day::of(to.at, offset));
        let (mut start, mut remaining) = (0.0, joules);
        while day < last_day {
            let end = since_from(day.next().start(offset)).as_secs_f64();
            let share =
                ((power_at(start) + power_at(end)) / 2.0 * (end - start)).clamp(0.0, remaining);
            *self.daily_joules.entry(day).or_insert(0.0) += share;
            remaining -= share;
            (start, day) = (end, day.next());
        }
        *self.daily_joules.entry(last_day).or_insert(0.0) += remaining;
        self.trim_days();
    }

    fn trim_days(&mut self) {
        while self.daily_joules.len() > self.config.max_days {
            self.daily_joules.pop_first();
        }
    }

    /// Energy since the meter was created (`ups_energy_joules_total`); never decreases.
    pub fn total_joules(&self) -> f64 {
        self.total_joules
    }

    /// [`EnergyMeter::total_joules`] in kWh.
    pub fn total_kwh(&self) -> f64 {
        self.total_joules / JOULES_PER_KWH
    }

    /// The cost of the total energy at `price_per_kwh`.
    pub fn cost(&self, price_per_kwh: f64) -> f64 {
        cost(self.total_joules, price_per_kwh)
    }

    /// Joules per day, oldest first, for the last [`EnergyConfig::max_days`] days with data.
    pub fn daily_joules(&self) -> impl DoubleEndedIterator<Item = (Day, f64)> + '_ {
        self.daily_joules.iter().map(|(d, j)| (*d, *j))
    }

    /// Joules on `day` (0 if unknown or dropped).
    pub fn joules_on(&self, day: Day) -> f64 {
        self.daily_joules.get(&day).copied().unwrap_or(0.0)
    }
}

impl Default for EnergyMeter {
    fn default() -> Self {
        Self::new(EnergyConfig::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: f64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs_f64(1_700_000_000.0 + s)
    }

    fn meter(max_gap: u64) -> EnergyMeter {
        EnergyMeter::new(EnergyConfig {
            max_gap: Duration::from_secs(max_gap),
            ..EnergyConfig::default()
        })
    }

    #[test]
    fn trapezoid_between_samples() {
        let mut m = meter(60);
        m.observe(t(0.0), 100.0);
        assert_eq!(m.total_joules(), 0.0);
        m.observe(t(10.0), 300.0);
        assert_eq!(m.total_joules(), 2000.0);
        m.observe(t(10.0), 300.0);
        assert_eq!(m.total_joules(), 2000.0);
    }

    #[test]
    fn gaps_bad_power_and_clock_going_back() {
        let mut m = meter(60);
        m.observe(t(0.0), 100.0);
        m.observe(t(61.0), 100.0); // gap: new segment
        assert_eq!(m.total_joules(), 0.0);
        m.observe(t(65.0), f64::NAN);
        m.observe(t(66.0), -1.0);
        m.observe(t(67.0), f64::INFINITY);
        m.observe(t(71.0), 100.0); // integrates from 61
        assert_eq!(m.total_joules(), 1000.0);
        m.observe(t(30.0), 100.0); // backwards: new segment, nothing added
        assert_eq!(m.total_joules(), 1000.0);
        m.observe(t(40.0), 100.0);
        assert_eq!(m.total_joules(), 2000.0);
    }

    #[test]
    fn daily_totals_split_at_midnight_and_are_bounded() {
        let midnight = Day::from_ymd(2024, 3, 1).unwrap().start(0);
        let at = |s: f64| midnight - Duration::from_secs(10) + Duration::from_secs_f64(s + 10.0);
        let mut m = EnergyMeter::new(EnergyConfig {
            max_days: 2,
            ..EnergyConfig::default()
        });
        m.observe(at(-10.0), 100.0);
        m.observe(at(30.0), 100.0);
        let days: Vec<_> = m.daily_joules().map(|(d, j)| (d.to_string(), j)).collect();
        assert_eq!(
            days,
            [("2024-02-29".into(), 1000.0), ("2024-03-01".into(), 3000.0)]
        );
        m.set_config(EnergyConfig {
            max_days: 1,
            ..m.config()
        });
        assert_eq!(m.daily_joules().count(), 1);
        assert_eq!(m.joules_on("2024-03-01".parse().unwrap()), 3000.0);
        assert_eq!(m.total_joules(), 4000.0);
    }

    #[test]
    fn utc_offset_moves_the_day_boundary() {
        let at = Day::from_ymd(2024, 6, 30).unwrap().start(0) + Duration::from_secs(43_200);
        assert_eq!(Day::of(at, 0).to_string(), "2024-06-30");
        assert_eq!(Day::of(at, 13 * 3600).to_string(), "2024-07-01");
        assert_eq!(Day::of(at, -13 * 3600).to_string(), "2024-06-29");
    }

    #[test]
    fn day_text_round_trips() {
        for s in ["1970-01-01", "2000-02-29", "1969-12-31", "2100-12-31"] {
            let day: Day = s.parse().unwrap();
            assert_eq!(day.to_string(), s);
            assert_eq!(serde_json::to_string(&day).unwrap(), format!("\"{s}\""));
        }
        assert_eq!("1970-01-01".parse::<Day>().unwrap(), Day(0));
        let before = SystemTime::UNIX_EPOCH - Duration::from_millis(1);
        assert_eq!(Day::of(before, 0).to_string(), "1969-12-31");
        assert_eq!(
            Day(-1).start(0),
            SystemTime::UNIX_EPOCH - Duration::from_secs(86_400)
        );
        assert_eq!(Day::of(Day(-1).start(3600), 3600), Day(-1));
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-1-01",
            "24-01-01",
            "2024-01-01x",
            "",
        ] {
            assert!(bad.parse::<Day>().is_err(), "{bad}");
        }
    }

    #[test]
    fn cost_and_kwh() {
        let mut m = meter(3600);
        m.observe(t(0.0), 1000.0);
        m.observe(t(3600.0), 1000.0);
        assert_eq!(m.total_kwh(), 1.0);
        assert!((m.cost(0.25) - 0.25).abs() < 1e-12);
        assert_eq!(cost(JOULES_PER_KWH * 2.0, 0.5), 1.0);
    }

    #[test]
    fn state_round_trips_and_keeps_config_out() {
        let mut m = meter(60);
        m.observe(t(0.0), 100.0);
        m.observe(t(10.0), 100.0);
        let json = serde_json::to_string(&m).unwrap();
        assert!(!json.contains("max_gap"), "{json}");
        let mut back: EnergyMeter = serde_json::from_str(&json).unwrap();
        back.set_config(m.config());
        assert_eq!(back, m);
        back.observe(t(20.0), 100.0);
        assert_eq!(back.total_joules(), 2000.0);
    }
}
