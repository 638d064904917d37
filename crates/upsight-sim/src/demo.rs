//! The demo fleet: three sites of devices of our own making. Site a has four NUT devices, one
//! in a power-outage loop (and two SNMP devices, in `snmp`); site b is in an outage (one UPS
//! on battery with little runtime left); site c is quiet.

use crate::devfile::Scenario;
use crate::server::Simulator;

/// `(name, description, file contents)` of every demo device.
pub const DEVICES: &[(&str, &str, &str)] = &[
    (
        "office",
        "Desk UPS in the demo office",
        include_str!("demo/office.dev"),
    ),
    ("rack", "Rack UPS, row 2", include_str!("demo/rack.dev")),
    (
        "branch",
        "Branch office UPS (outage loop)",
        include_str!("demo/branch.seq"),
    ),
    (
        "datacenter",
        "3-phase UPS, hall A",
        include_str!("demo/datacenter.dev"),
    ),
];

/// Site b's devices: the warehouse UPS on battery for the whole demo, the dock UPS back on line.
pub const SITE_B: &[(&str, &str, &str)] = &[
    (
        "warehouse",
        "Warehouse UPS (on battery)",
        include_str!("demo/warehouse.dev"),
    ),
    ("dock", "Loading dock UPS", include_str!("demo/dock.dev")),
];

/// Site c's device: one UPS on line.
pub const SITE_C: &[(&str, &str, &str)] = &[("lab", "Lab UPS", include_str!("demo/lab.dev"))];

/// A simulator serving every site-a demo device.
pub fn simulator() -> Simulator {
    site_simulator(DEVICES)
}

/// A simulator serving `devices` (`SITE_B`, `SITE_C`, or [`DEVICES`]).
pub fn site_simulator(devices: &[(&str, &str, &str)]) -> Simulator {
    devices
        .iter()
        .fold(Simulator::new(), |sim, (name, description, text)| {
            let scenario = Scenario::parse(text).expect("demo files are tested to parse");
            sim.with_scenario((*name).to_owned(), scenario)
                .described(description)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_files_parse_and_the_branch_has_an_outage() {
        for (name, _, text) in DEVICES.iter().chain(SITE_B).chain(SITE_C) {
            Scenario::parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        let branch = Scenario::parse(DEVICES[2].2).unwrap();
        let statuses: Vec<_> = branch
            .steps
            .iter()
            .flat_map(|s| {
                s.set
                    .iter()
                    .filter(|(k, _)| k == "ups.status")
                    .map(|(_, v)| v.as_str())
            })
            .collect();
        assert_eq!(
            statuses,
            ["OL", "OB DISCHRG", "OB LB DISCHRG", "OL CHRG", "OL"]
        );
        let warehouse = Scenario::parse(SITE_B[0].2).unwrap();
        let status = warehouse.steps[0]
            .set
            .iter()
            .find(|(k, _)| k == "ups.status")
            .map(|(_, v)| v.as_str());
        assert_eq!(status, Some("OB DISCHRG"), "site b is in an outage");
    }
}
