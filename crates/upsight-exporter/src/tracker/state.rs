//! The exporter's state file schema (`upsight-store`): per-device detector, outage tracker and
//! energy meter, plus bounded event and outage histories. Configuration is never saved in it:
//! it is applied again after every load.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::config::RuntimeDevice;
use upsight_model::{
    DetectorConfig, EnergyConfig, EnergyMeter, Event, EventDetector, History, Outage,
    OutageTracker, UpsName,
};

/// Everything the exporter keeps across restarts.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct ExporterState {
    /// Per-device trackers.
    #[serde(default)]
    pub devices: BTreeMap<UpsName, DeviceHistory>,
    /// Events, oldest first (bounded).
    #[serde(default)]
    pub events: History<Event>,
    /// Finished outages, oldest first (bounded).
    #[serde(default)]
    pub outages: History<Outage>,
    /// Devices added through the API, by name (their secrets included: the file is 0600).
    #[serde(default)]
    pub runtime: BTreeMap<String, RuntimeDevice>,
    /// The alert configuration set through the API; replaces the file's `[alerts]`.
    #[serde(default)]
    pub alerts: Option<crate::alert::RawAlerts>,
}

impl upsight_store::Schema for ExporterState {
    const NAME: &'static str = "upsight-exporter";
    const VERSION: u32 = 1;
}

/// One device's restart-safe trackers.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct DeviceHistory {
    /// Status transitions → events.
    pub detector: EventDetector,
    /// Outages and time on battery.
    pub outages: OutageTracker,
    /// Energy through the output.
    pub energy: EnergyMeter,
}

impl DeviceHistory {
    /// Empty trackers for `name`.
    pub fn new(name: UpsName, max_gap: Duration) -> Self {
        Self {
            detector: EventDetector::new(name.clone(), DetectorConfig::default()),
            outages: OutageTracker::new(name, max_gap),
            energy: EnergyMeter::new(EnergyConfig {
                max_gap,
                ..EnergyConfig::default()
            }),
        }
    }

    /// The device's name.
    pub fn name(&self) -> &UpsName {
        self.detector.device()
    }
}
