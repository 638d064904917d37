//! The fixed set of event kinds: stable snake_case names (the `event` label of
//! `ups_transitions_total` and the JSON value) and default severities.

use std::fmt;
use std::str::FromStr;

use super::Severity;

/// What happened to a device. upsmon's notification vocabulary (`ONBATT`, `ONLINE`, `LOWBATT`,
/// `REPLBATT`, `COMMBAD`/`COMMOK`, NUT 2.8's `CAL`/`NOTCAL`, `OFF`/`NOTOFF`, …), with a
/// clearing kind for every flag so the stream says when a condition ends.
///
/// The set is fixed: it is a metric label set (series known in advance are exported as 0).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// Mains failed: the UPS runs on battery (`OB`).
    OnBattery,
    /// Mains restored (`OL` after `OB`).
    OnLine,
    /// Battery low (`LB` raised).
    LowBattery,
    /// Battery no longer low (`LB` cleared).
    BatteryOk,
    /// The battery needs replacing (`RB` raised).
    ReplaceBattery,
    /// `RB` cleared.
    ReplaceBatteryCleared,
    /// Output overloaded (`OVER` raised).
    Overload,
    /// `OVER` cleared.
    OverloadCleared,
    /// On bypass: no battery protection (`BYPASS` raised).
    Bypass,
    /// `BYPASS` cleared.
    BypassCleared,
    /// Trimming a high input voltage (`TRIM` raised).
    Trim,
    /// `TRIM` cleared.
    TrimCleared,
    /// Boosting a low input voltage (`BOOST` raised).
    Boost,
    /// `BOOST` cleared.
    BoostCleared,
    /// Forced shutdown in progress (`FSD` raised).
    ForcedShutdown,
    /// `FSD` cleared.
    ForcedShutdownCleared,
    /// Runtime calibration started (`CAL` raised).
    Calibration,
    /// `CAL` cleared.
    CalibrationCleared,
    /// Output switched off (`OFF` raised).
    Off,
    /// Output back on (`OFF` cleared).
    OffCleared,
    /// Polls fail: the exporter cannot reach the device's server.
    CommunicationLost,
    /// Polls succeed again.
    CommunicationRestored,
    /// The server answers but says the device's data is not fresh.
    Stale,
    /// Fresh data again.
    Fresh,
    /// An alarm is active (`ALARM` raised).
    AlarmRaised,
    /// `ALARM` cleared.
    AlarmCleared,
}

impl EventKind {
    /// Every kind, in a stable order.
    pub const ALL: [EventKind; 26] = [
        Self::OnBattery,
        Self::OnLine,
        Self::LowBattery,
        Self::BatteryOk,
        Self::ReplaceBattery,
        Self::ReplaceBatteryCleared,
        Self::Overload,
        Self::OverloadCleared,
        Self::Bypass,
        Self::BypassCleared,
        Self::Trim,
        Self::TrimCleared,
        Self::Boost,
        Self::BoostCleared,
        Self::ForcedShutdown,
        Self::ForcedShutdownCleared,
        Self::Calibration,
        Self::CalibrationCleared,
        Self::Off,
        Self::OffCleared,
        Self::CommunicationLost,
        Self::CommunicationRestored,
        Self::Stale,
        Self::Fresh,
        Self::AlarmRaised,
        Self::AlarmCleared,
    ];

    /// Every condition kind with the kind that clears it (`on_battery` → `on_line`, ...).
    pub const PAIRS: [(EventKind, EventKind); 13] = [
        (Self::OnBattery, Self::OnLine),
        (Self::LowBattery, Self::BatteryOk),
        (Self::ReplaceBattery, Self::ReplaceBatteryCleared),
        (Self::Overload, Self::OverloadCleared),
        (Self::Bypass, Self::BypassCleared),
        (Self::Trim, Self::TrimCleared),
        (Self::Boost, Self::BoostCleared),
        (Self::ForcedShutdown, Self::ForcedShutdownCleared),
        (Self::Calibration, Self::CalibrationCleared),
        (Self::Off, Self::OffCleared),
        (Self::CommunicationLost, Self::CommunicationRestored),
        (Self::Stale, Self::Fresh),
        (Self::AlarmRaised, Self::AlarmCleared),
    ];

    /// The condition this kind clears, if it is a clearing kind.
    pub fn clears(self) -> Option<EventKind> {
        Self::PAIRS
            .iter()
            .find(|(_, c)| *c == self)
            .map(|(r, _)| *r)
    }

    /// Stable snake_case name: the `event` label and the JSON value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OnBattery => "on_battery",
            Self::OnLine => "on_line",
            Self::LowBattery => "low_battery",
            Self::BatteryOk => "battery_ok",
            Self::ReplaceBattery => "replace_battery",
            Self::ReplaceBatteryCleared => "replace_battery_cleared",
            Self::Overload => "overload",
            Self::OverloadCleared => "overload_cleared",
            Self::Bypass => "bypass",
            Self::BypassCleared => "bypass_cleared",
            Self::Trim => "trim",
            Self::TrimCleared => "trim_cleared",
            Self::Boost => "boost",
            Self::BoostCleared => "boost_cleared",
            Self::ForcedShutdown => "forced_shutdown",
            Self::ForcedShutdownCleared => "forced_shutdown_cleared",
            Self::Calibration => "calibration",
            Self::CalibrationCleared => "calibration_cleared",
            Self::Off => "off",
            Self::OffCleared => "off_cleared",
            Self::CommunicationLost => "communication_lost",
            Self::CommunicationRestored => "communication_restored",
            Self::Stale => "stale",
            Self::Fresh => "fresh",
            Self::AlarmRaised => "alarm_raised",
            Self::AlarmCleared => "alarm_cleared",
        }
    }

    /// The default severity. Critical: the load is or will soon be unpowered or unprotected
    /// against an overload; warning: protection or data is degraded; info: everything else,
    /// including every clearing kind.
    pub fn severity(self) -> Severity {
        match self {
            Self::LowBattery | Self::Overload | Self::ForcedShutdown | Self::Off => {
                Severity::Critical
            }
            Self::OnBattery
            | Self::ReplaceBattery
            | Self::Bypass
            | Self::CommunicationLost
            | Self::Stale
            | Self::AlarmRaised => Severity::Warning,
            Self::OnLine
            | Self::BatteryOk
            | Self::ReplaceBatteryCleared
            | Self::OverloadCleared
            | Self::BypassCleared
            | Self::Trim
            | Self::TrimCleared
            | Self::Boost
            | Self::BoostCleared
            | Self::ForcedShutdownCleared
            | Self::Calibration
            | Self::CalibrationCleared
            | Self::OffCleared
            | Self::CommunicationRestored
            | Self::Fresh
            | Self::AlarmCleared => Severity::Info,
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of [`EventKind::ALL`]'s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown event kind {0:?}")]
pub struct UnknownEventKind(pub String);

impl FromStr for EventKind {
    type Err = UnknownEventKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownEventKind(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_snake_case_and_match_serde() {
        let mut seen = std::collections::BTreeSet::new();
        for kind in EventKind::ALL {
            let name = kind.as_str();
            assert!(seen.insert(name), "duplicate {name}");
            assert!(name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
            assert_eq!(serde_json::to_string(&kind).unwrap(), format!("\"{name}\""));
            assert_eq!(name.parse::<EventKind>(), Ok(kind));
        }
        assert_eq!(
            "onbatt".parse::<EventKind>(),
            Err(UnknownEventKind("onbatt".into()))
        );
    }

    #[test]
    fn default_severities() {
        assert_eq!(EventKind::OnBattery.severity(), Severity::Warning);
        assert_eq!(EventKind::LowBattery.severity(), Severity::Critical);
        assert_eq!(EventKind::ForcedShutdown.severity(), Severity::Critical);
        assert_eq!(EventKind::CommunicationLost.severity(), Severity::Warning);
        assert_eq!(EventKind::OnLine.severity(), Severity::Info);
    }
}
