//! The exporter's state file schema (`upsight-store`): per-device detector, outage tracker and
//! energy meter, plus bounded event and outage histories, and the fleet identity and lease.
//! Configuration is never saved in it: it is applied again after every load.

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
    /// The fleet identity and lease (`[fleet]`); absent in files written before it existed,
    /// which still load (no schema bump: the field is optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fleet: Option<crate::fleet::Membership>,
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

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use upsight_store::Store;

    use super::*;
    use crate::fleet::{LeaseRecord, Membership};

    #[test]
    fn a_file_written_before_the_fleet_entry_still_loads() {
        let dir = tempfile::tempdir().unwrap();
        // What the exporter wrote before `fleet` existed: the same fields, none named fleet.
        let data = serde_json::to_value(ExporterState::default()).unwrap();
        assert!(
            data.get("fleet").is_none(),
            "no entry without [fleet]: {data}"
        );
        let old = serde_json::json!({
            "schema": "upsight-exporter",
            "version": 1,
            "saved_at": "2026-01-01T00:00:00Z",
            "data": data,
        });
        std::fs::File::create(dir.path().join("exporter.json"))
            .unwrap()
            .write_all(old.to_string().as_bytes())
            .unwrap();
        let (store, state) = Store::<ExporterState>::open(dir.path(), "exporter").unwrap();
        assert_eq!(state.fleet, None);
        assert_eq!(store.migrated_from(), None, "no schema bump");
    }

    #[test]
    fn identity_and_lease_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let membership = Membership {
            generated_identity: Some("exp-00000000deadbeef".parse().unwrap()),
            lease: Some(LeaseRecord {
                url: "https://fleet.example.net/".into(),
                group: "site-a".parse().unwrap(),
                identity: "exp-00000000deadbeef".parse().unwrap(),
                member_number: 4,
                lease: "the-lease".into(),
            }),
        };
        {
            let (store, _) = Store::<ExporterState>::open(dir.path(), "exporter").unwrap();
            let state = ExporterState {
                fleet: Some(membership.clone()),
                ..ExporterState::default()
            };
            store.save(&state).unwrap();
        }
        let (_store, state) = Store::<ExporterState>::open(dir.path(), "exporter").unwrap();
        assert_eq!(state.fleet, Some(membership));
    }
}
