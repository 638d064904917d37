//! `DeviceSummaryV1`: what a heartbeat says about one device, PII-free by construction.

use std::time::SystemTime;

use super::{ContractError, Excerpt, Field, unix_seconds};
use crate::name::UpsName;
use crate::reading::{Quantity, Reading, Source};
use crate::snapshot::DeviceState;

/// One device in a heartbeat: its name, protocol, health, known status flags and a handful of
/// values in SI units. Nothing identifying (design.md §4.3): no serial, location, contact,
/// description, address or host name, no free text, no unknown status tokens.
///
/// Measured values are present only while the device is up (like its metrics); a value the
/// device did not report is `null`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceSummaryV1 {
    /// The device label (`ups`), unique in the heartbeat.
    #[serde(deserialize_with = "name_v1::deserialize")]
    pub name: UpsName,
    /// `"nut"` or `"snmp"`.
    #[serde(with = "source_v1")]
    pub source: Source,
    /// Whether the latest poll produced a fresh reading.
    pub is_up: bool,
    /// Whether the server is reachable but reports the device's data as not fresh.
    pub is_stale: bool,
    /// Status flags from [`DeviceSummaryV1::STATUS_TOKENS`], each at most once, in that order.
    pub status: Vec<String>,
    /// Battery charge, 0..=1.
    pub charge_ratio: Option<f64>,
    /// Battery runtime left, 0..=[`DeviceSummaryV1::MAX_RUNTIME_SECONDS`] seconds.
    pub runtime_seconds: Option<f64>,
    /// Load, 0..=[`DeviceSummaryV1::MAX_LOAD_RATIO`] (an overloaded UPS exceeds 1).
    pub load_ratio: Option<f64>,
    /// Real power, measured or nominal × load, 0..=[`DeviceSummaryV1::MAX_REAL_POWER_WATTS`]
    /// watts.
    pub real_power_watts: Option<f64>,
    /// When the device last transferred to battery, seconds since the Unix epoch.
    pub last_transfer_unix: Option<u64>,
}

impl DeviceSummaryV1 {
    /// The status flags version 1 carries: the fixed, documented set of design.md §4.3. Frozen
    /// with the version: if `StatusFlag` learns a new flag, version-1 heartbeats leave it
    /// out rather than send a token a version-1 plane refuses.
    pub const STATUS_TOKENS: [&'static str; 17] = [
        "OL", "OB", "LB", "HB", "RB", "CHRG", "DISCHRG", "BYPASS", "CAL", "OFF", "OVER", "TRIM",
        "BOOST", "FSD", "ALARM", "ECO", "TEST",
    ];
    /// The most status tokens: each known flag once.
    pub const MAX_STATUS_TOKENS: usize = Self::STATUS_TOKENS.len();
    /// The largest `load_ratio` (200 %).
    pub const MAX_LOAD_RATIO: f64 = 2.0;
    /// The largest `runtime_seconds` (about three years).
    pub const MAX_RUNTIME_SECONDS: f64 = 1e8;
    /// The largest `real_power_watts` (100 MW).
    pub const MAX_REAL_POWER_WATTS: f64 = 1e8;

    /// The summary of `device`, given when it last transferred to battery.
    ///
    /// Values are rounded (ratios to 4 decimals, runtime to whole seconds, power to 0.1 W) so
    /// the summary is small and every JSON parser reads back the same `f64`. A value that is not
    /// finite or is negative is left out; one above its range saturates at the bound (a
    /// 250 % overload reads as 2.0, not as unknown).
    pub(super) fn of(device: &DeviceState, last_transfer: Option<SystemTime>) -> Self {
        let reading = device.reading.as_deref().filter(|_| device.is_up());
        let value = |quantity, scale, max| summarize(reading?.value(quantity), scale, max);
        Self {
            name: device.name.clone(),
            source: device.source,
            is_up: device.is_up(),
            is_stale: device.is_stale(),
            status: reading.map(known_flags).unwrap_or_default(),
            charge_ratio: value(Quantity::BatteryCharge, 1e4, 1.0),
            runtime_seconds: value(Quantity::BatteryRuntime, 1.0, Self::MAX_RUNTIME_SECONDS),
            load_ratio: value(Quantity::Load, 1e4, Self::MAX_LOAD_RATIO),
            real_power_watts: value(Quantity::RealPower, 10.0, Self::MAX_REAL_POWER_WATTS),
            last_transfer_unix: last_transfer.and_then(unix_seconds),
        }
    }

    /// Checks the bounds of the summary at `index` in `devices`.
    pub(super) fn validate(&self, index: usize) -> Result<(), ContractError> {
        let field = |name| Field::device(index, name);
        if self.status.len() > Self::MAX_STATUS_TOKENS {
            return Err(ContractError::TooMany {
                field: field("status"),
                count: self.status.len(),
                max: Self::MAX_STATUS_TOKENS,
            });
        }
        for (i, token) in self.status.iter().enumerate() {
            if !Self::STATUS_TOKENS.contains(&token.as_str()) {
                return Err(ContractError::UnknownStatusToken {
                    field: field("status"),
                    value: Excerpt::new(token),
                });
            }
            if self.status[..i].contains(token) {
                return Err(ContractError::Duplicate {
                    field: field("status"),
                    value: Excerpt::new(token),
                });
            }
        }
        let ranges = [
            ("charge_ratio", self.charge_ratio, 1.0),
            (
                "runtime_seconds",
                self.runtime_seconds,
                Self::MAX_RUNTIME_SECONDS,
            ),
            ("load_ratio", self.load_ratio, Self::MAX_LOAD_RATIO),
            (
                "real_power_watts",
                self.real_power_watts,
                Self::MAX_REAL_POWER_WATTS,
            ),
        ];
        for (name, value, max) in ranges {
            if let Some(value) = value
                && !(0.0..=max).contains(&value)
            {
                return Err(ContractError::OutOfRange {
                    field: field(name),
                    value,
                    min: 0.0,
                    max,
                });
            }
        }
        Ok(())
    }
}

/// The known flags of `reading`, in [`DeviceSummaryV1::STATUS_TOKENS`] order; unknown tokens
/// (free text as far as the plane knows) are dropped.
fn known_flags(reading: &Reading) -> Vec<String> {
    DeviceSummaryV1::STATUS_TOKENS
        .iter()
        .filter(|token| reading.status.flags().iter().any(|f| f.as_str() == **token))
        .map(|token| (*token).to_owned())
        .collect()
}

/// `value` rounded to `1 / scale`, saturated at `max`; `None` if not finite or negative.
fn summarize(value: Option<f64>, scale: f64, max: f64) -> Option<f64> {
    let value = value.filter(|v| v.is_finite())?;
    // `+ 0.0` turns a rounded -0.0 into 0.0.
    let rounded = (value.min(max) * scale).round() / scale + 0.0;
    (rounded >= 0.0).then_some(rounded)
}

/// `name` through [`ContractError`], so a bad name is never echoed beyond an [`Excerpt`].
mod name_v1 {
    use super::{ContractError, Excerpt, Field, UpsName};
    use crate::name::NameError;

    pub(super) fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<UpsName, D::Error> {
        let s = <String as serde::Deserialize>::deserialize(d)?;
        let field = Field::top("devices[].name");
        UpsName::try_from(s).map_err(|e| {
            serde::de::Error::custom(match e {
                NameError::Empty => ContractError::Empty { field },
                NameError::TooLong(s) => ContractError::TooLong {
                    field,
                    len: s.chars().count(),
                    max: 64,
                },
                NameError::BadCharacter(s) => ContractError::BadCharacter {
                    field,
                    value: Excerpt::new(&s),
                    allowed: "ASCII letters, digits, '_', '-' and '.'",
                },
            })
        })
    }
}

/// `source` as `"nut"` / `"snmp"`. Spelled out here, not borrowed from `Source`'s own serde,
/// so a new source is a contract decision (the match below stops compiling).
mod source_v1 {
    use super::{ContractError, Excerpt, Field, Source};

    pub(super) fn serialize<S: serde::Serializer>(
        source: &Source,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_str(match source {
            Source::Nut => "nut",
            Source::Snmp => "snmp",
        })
    }

    pub(super) fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Source, D::Error> {
        let s = <String as serde::Deserialize>::deserialize(d)?;
        match s.as_str() {
            "nut" => Ok(Source::Nut),
            "snmp" => Ok(Source::Snmp),
            _ => Err(serde::de::Error::custom(ContractError::UnknownSource {
                field: Field::top("devices[].source"),
                value: Excerpt::new(&s),
            })),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::StatusFlag;

    #[test]
    fn status_tokens_are_the_known_flags() {
        let known: Vec<&str> = StatusFlag::KNOWN.iter().map(StatusFlag::as_str).collect();
        assert_eq!(known, DeviceSummaryV1::STATUS_TOKENS);
    }

    #[test]
    fn summarize_rounds_saturates_and_drops() {
        assert_eq!(summarize(Some(0.87654), 1e4, 1.0), Some(0.8765));
        assert_eq!(summarize(Some(1.02), 1e4, 1.0), Some(1.0));
        assert_eq!(summarize(Some(1e300), 1.0, 1e8), Some(1e8));
        assert_eq!(summarize(Some(-0.00001), 1e4, 1.0), Some(0.0));
        assert!(
            summarize(Some(-0.00001), 1e4, 1.0)
                .unwrap()
                .is_sign_positive()
        );
        assert_eq!(summarize(Some(-1.0), 1e4, 1.0), None);
        assert_eq!(summarize(Some(f64::NAN), 1e4, 1.0), None);
        assert_eq!(summarize(Some(f64::INFINITY), 1e4, 1.0), None);
        assert_eq!(summarize(None, 1e4, 1.0), None);
        assert_eq!(summarize(Some(93.64), 10.0, 1e8), Some(93.6));
    }
}
