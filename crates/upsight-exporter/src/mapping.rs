//! Pure, table-driven mapping from a source's raw variables to a [`upsight_model::Reading`]
//! in SI units. The tables also generate `docs/metrics.md`.

pub mod nut;
pub mod snmp;

use upsight_model::Reading;

use crate::source::RawDevice;

/// How a raw number becomes an SI value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// Already in the SI unit.
    Same,
    /// Percent → ratio (÷ 100).
    Percent,
}

impl Scale {
    /// Applies the conversion.
    pub fn apply(self, value: f64) -> f64 {
        match self {
            Self::Same => value,
            Self::Percent => value / 100.0,
        }
    }
}

/// Which label a row's variable may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Labels {
    /// Whole device only.
    None,
    /// Whole device, or per phase (`input.L1-N.voltage`).
    Phase,
    /// Per phase only (the whole-device value comes from another variable).
    PhaseOnly,
    /// Per outlet only (`outlet.3.current`).
    Outlet,
}

/// Why a device's variables produced no reading.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    /// upsd's `WAIT` placeholder: the driver has not delivered data yet.
    #[error("ups.status is WAIT: the driver has not delivered data yet")]
    Waiting,
    /// The device answered, but not as a UPS this profile can read.
    #[error("{0}")]
    NotAUps(String),
}

/// Maps what a device answered to a reading, whichever protocol it came over. Pure.
pub fn map(raw: RawDevice) -> Result<Reading, MappingError> {
    match raw {
        RawDevice::Nut(vars) => nut::map(vars),
        RawDevice::Snmp { profile, values } => snmp::map(profile, &values),
    }
}
