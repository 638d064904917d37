//! Optional cross-check with net-snmp (skipped when its tools are not installed).

use upsight_proto::snmp::Oid;
use upsight_sim::snmp::SnmpAgent;

use crate::support::{demo, oid, start};

const SNMPBULKWALK: &str = "/usr/bin/snmpbulkwalk";

async fn net_snmp(tool: &str, args: &[&str]) -> String {
    let output = tokio::process::Command::new(tool)
        .args(args)
        .env("MIBS", "")
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "{tool} {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn walked_oids(output: &str) -> Vec<Oid> {
    output
        .lines()
        // v2c walks end with endOfMibView lines, v1 walks with "End of MIB".
        .filter(|line| line.starts_with('.') && !line.contains("No more variables left"))
        .map(|line| oid(line.split(" = ").next().unwrap()))
        .collect()
}

#[tokio::test]
async fn net_snmp_tools_read_and_write_the_agent() {
    if !std::path::Path::new(SNMPBULKWALK).exists() {
        eprintln!("net-snmp not installed; skipping the optional cross-check");
        return;
    }
    let agent = start(SnmpAgent::new()).await;
    let target = agent.local_addr().to_string();
    for community in ["closet-apc", "plant-3phase"] {
        let expected: Vec<Oid> = demo(community).into_iter().map(|(o, _)| o).collect();
        let args = ["-On", "-t", "2", "-r", "1", "-c", community, &target, ".1"];
        let bulk = net_snmp(SNMPBULKWALK, &[&["-v2c", "-Cr7"][..], &args].concat()).await;
        assert_eq!(walked_oids(&bulk), expected, "{community}");
        let walk = net_snmp("/usr/bin/snmpwalk", &[&["-v1"][..], &args].concat()).await;
        assert_eq!(walked_oids(&walk), expected, "{community}");
    }
    let set = net_snmp(
        "/usr/bin/snmpset",
        &[
            "-v2c",
            "-On",
            "-c",
            "closet-apc",
            &target,
            "1.3.6.1.2.1.1.6.0",
            "s",
            "Rack 4",
        ],
    )
    .await;
    assert!(set.contains("STRING: \"Rack 4\""), "{set}");
    let get = net_snmp(
        "/usr/bin/snmpget",
        &[
            "-v2c",
            "-On",
            "-c",
            "closet-apc",
            &target,
            "1.3.6.1.2.1.1.6.0",
            "1.3.6.1.4.1.318.1.1.1.2.2.3.0",
        ],
    )
    .await;
    assert!(get.contains("STRING: \"Rack 4\""), "{get}");
    assert!(get.contains("Timeticks: (282000)"), "{get}");
}
