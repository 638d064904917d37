//! One poll's result for one device, in SI units, whatever the source protocol.

use crate::status::Status;

/// Where a reading came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// The NUT network protocol (upsd).
    Nut,
    /// SNMP.
    Snmp,
}

impl Source {
    /// Lowercase name, as used in the `source` label.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Nut => "nut",
            Self::Snmp => "snmp",
        }
    }
}

/// The SI unit of a [`Quantity`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unit {
    /// Dimensionless 0..1 (percent / 100).
    Ratio,
    /// Seconds.
    Seconds,
    /// Volts.
    Volts,
    /// Amperes.
    Amperes,
    /// Hertz.
    Hertz,
    /// Watts (real power).
    Watts,
    /// Volt-amperes (apparent power).
    VoltAmperes,
    /// Degrees Celsius.
    Celsius,
}

/// Something a UPS measures or is configured with. The unit is fixed per quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(missing_docs)] // names say what they are; units are in `Quantity::unit`
pub enum Quantity {
    BatteryCharge,
    BatteryChargeLow,
    BatteryChargeWarning,
    BatteryRuntime,
    BatteryRuntimeLow,
    BatteryVoltage,
    BatteryVoltageNominal,
    BatteryCurrent,
    BatteryTemperature,
    InputVoltage,
    InputVoltageNominal,
    InputFrequency,
    InputFrequencyNominal,
    InputCurrent,
    InputCurrentNominal,
    InputTransferLow,
    InputTransferHigh,
    InputRealPower,
    InputApparentPower,
    InputBypassVoltage,
    InputBypassFrequency,
    OutputVoltage,
    OutputVoltageNominal,
    OutputFrequency,
    OutputFrequencyNominal,
    OutputCurrent,
    OutputCurrentNominal,
    OutputRealPower,
    OutputApparentPower,
    OutputPowerFactor,
    Load,
    RealPower,
    RealPowerNominal,
    ApparentPower,
    ApparentPowerNominal,
    Efficiency,
    UpsTemperature,
    AmbientTemperature,
    AmbientHumidity,
    OutletVoltage,
    OutletCurrent,
    OutletRealPower,
    OutletApparentPower,
    DeviceUptime,
}

impl Quantity {
    /// The SI unit values of this quantity are stored in.
    pub fn unit(self) -> Unit {
        use Quantity as Q;
        match self {
            Q::BatteryCharge
            | Q::BatteryChargeLow
            | Q::BatteryChargeWarning
            | Q::OutputPowerFactor
            | Q::Load
            | Q::Efficiency
            | Q::AmbientHumidity => Unit::Ratio,
            Q::BatteryRuntime | Q::BatteryRuntimeLow | Q::DeviceUptime => Unit::Seconds,
            Q::BatteryVoltage
            | Q::BatteryVoltageNominal
            | Q::InputVoltage
            | Q::InputVoltageNominal
            | Q::InputTransferLow
            | Q::InputTransferHigh
            | Q::InputBypassVoltage
            | Q::OutputVoltage
            | Q::OutputVoltageNominal
            | Q::OutletVoltage => Unit::Volts,
            Q::BatteryCurrent
            | Q::InputCurrent
            | Q::InputCurrentNominal
            | Q::OutputCurrent
            | Q::OutputCurrentNominal
            | Q::OutletCurrent => Unit::Amperes,
            Q::InputFrequency
            | Q::InputFrequencyNominal
            | Q::InputBypassFrequency
            | Q::OutputFrequency
            | Q::OutputFrequencyNominal => Unit::Hertz,
            Q::InputRealPower
            | Q::OutputRealPower
            | Q::RealPower
            | Q::RealPowerNominal
            | Q::OutletRealPower => Unit::Watts,
            Q::InputApparentPower
            | Q::OutputApparentPower
            | Q::ApparentPower
            | Q::ApparentPowerNominal
            | Q::OutletApparentPower => Unit::VoltAmperes,
            Q::BatteryTemperature | Q::UpsTemperature | Q::AmbientTemperature => Unit::Celsius,
        }
    }
}

/// One measured value in SI units, optionally per phase or per outlet.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// What was measured.
    pub quantity: Quantity,
    /// Phase (`L1`, `L2-N`, …) for 3-phase devices.
    pub phase: Option<String>,
    /// Outlet index for PDUs and switched outlets.
    pub outlet: Option<String>,
    /// Value in `quantity.unit()`.
    pub value: f64,
}

/// Non-identifying facts about a device; safe as metric labels (`ups_info`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceInfo {
    /// Driver or MIB profile (`usbhid-ups`, `snmp-ups`…).
    pub driver: String,
    /// Manufacturer.
    pub manufacturer: String,
    /// Model.
    pub model: String,
    /// Firmware version.
    pub firmware: String,
    /// Device type (`ups`, `pdu`, `ats`…).
    pub device_type: String,
}

/// Identifying facts about a device. **Never** a metric label or value: only the analytical
/// path (ClickHouse) may store these (design.md §4.3, the no-PII invariant).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    /// Serial number.
    pub serial: Option<String>,
    /// Physical location.
    pub location: Option<String>,
    /// Contact person.
    pub contact: Option<String>,
    /// Free-text description.
    pub description: Option<String>,
    /// MAC address.
    pub mac_address: Option<String>,
    /// Administrative host name (SNMP sysName).
    pub host_name: Option<String>,
}

/// A successful poll of one device.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    /// Protocol it was read with.
    pub source: Source,
    /// Status flags.
    pub status: Status,
    /// Values in SI units.
    pub samples: Vec<Sample>,
    /// Whether the real power sample is nominal × load rather than measured.
    pub is_real_power_estimated: bool,
    /// Labels for `ups_info`.
    pub info: DeviceInfo,
    /// Identity (PII): never exported as a metric.
    pub identity: Identity,
    /// Every variable as received, for the analytical path.
    pub raw: Vec<(String, String)>,
}

impl Reading {
    /// The first sample of `quantity` without phase or outlet.
    pub fn value(&self, quantity: Quantity) -> Option<f64> {
        self.samples
            .iter()
            .find(|s| s.quantity == quantity && s.phase.is_none() && s.outlet.is_none())
            .map(|s| s.value)
    }
}
