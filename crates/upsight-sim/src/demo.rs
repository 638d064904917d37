//! The demo fleet: four devices of our own making, one of them in a power-outage loop.

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

/// A simulator serving every demo device.
pub fn simulator() -> Simulator {
    DEVICES
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
        for (name, _, text) in DEVICES {
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
    }
}
