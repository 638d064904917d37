//! Table OIDs parse, profile ids and order, and read plans.

use super::*;

#[test]
fn every_table_oid_parses() {
    for profile in ALL {
        for mib in profile.mibs() {
            for s in mib.oid_strings() {
                assert!(s.parse::<Oid>().is_ok(), "{}: {s}", profile.id);
            }
        }
        for s in profile.sys_object_ids.iter().chain(profile.probes) {
            assert!(s.parse::<Oid>().is_ok(), "{}: {s}", profile.id);
        }
    }
    for s in system::OIDS
        .iter()
        .copied()
        .chain(system::SCALARS.iter().map(|r| r.oid))
    {
        assert!(s.parse::<Oid>().is_ok(), "system: {s}");
    }
}

#[test]
fn scalar_rows_end_in_an_instance_and_columns_do_not() {
    for profile in ALL {
        for mib in profile.mibs() {
            for row in mib.scalars {
                assert!(row.oid.ends_with(".0"), "{}", row.oid);
            }
            for column in mib.lines.iter().flat_map(|l| l.columns) {
                assert!(!column.root.ends_with(".0"), "{}", column.root);
                assert!(
                    column.each.is_none_or(|e| e.contains("{n}")),
                    "{}",
                    column.root
                );
            }
        }
    }
}

#[test]
fn ids_and_order() {
    let ids: Vec<&str> = ALL.iter().map(|p| p.id).collect();
    assert_eq!(ids, ["apc", "eaton-xups", "cyberpower", "ups-mib"]);
    for id in ids {
        assert_eq!(by_id(id).map(|p| p.id), Some(id));
    }
    assert_eq!(by_id("nut"), None);
    assert_eq!(format!("{APC:?}"), "Profile { id: \"apc\", .. }");
}

#[test]
fn system_and_probe_oids() {
    let system: Vec<String> = system_oids().iter().map(Oid::to_string).collect();
    let want: Vec<String> = (1..=6).map(|n| format!("1.3.6.1.2.1.1.{n}.0")).collect();
    assert_eq!(system, want);
    let probes: Vec<String> = probe_oids().iter().map(Oid::to_string).collect();
    assert_eq!(probes, [APC_MODEL, XUPS_MODEL, CPS_MODEL, U_MFR, U_SOURCE]);
}

#[test]
fn plans_read_the_system_group_the_vendor_mib_and_the_ups_mib() {
    let plan = APC.plan();
    assert_eq!(plan.scalars[..6], system_oids()[..]);
    for want in [
        APC_MODEL,
        "1.3.6.1.4.1.318.1.1.1.2.3.1.0",
        U_SOURCE,
        "1.3.6.1.2.1.33.1.2.3.0",
    ] {
        assert!(plan.scalars.contains(&oid(want)), "{want}");
    }
    let input_voltage = oid("1.3.6.1.2.1.33.1.3.3.1.3");
    assert!(plan.columns.contains(&input_voltage));
    assert!(plan.columns.contains(&oid("1.3.6.1.2.1.33.1.6.2.1.2")));
    assert!(!plan.scalars.contains(&input_voltage));

    let xups = EATON_XUPS.plan();
    assert!(xups.columns.contains(&oid("1.3.6.1.4.1.534.1.4.4.1.3")));
    assert!(xups.columns.contains(&oid("1.3.6.1.4.1.534.1.7.2.1.2")));
    assert!(xups.scalars.contains(&oid("1.3.6.1.4.1.534.1.4.3.0")));

    let plain = UPS_MIB.plan();
    assert!(
        plain
            .scalars
            .iter()
            .all(|o| !o.to_string().starts_with("1.3.6.1.4.1"))
    );
    for plan in [plan, xups, plain, CYBERPOWER.plan()] {
        let mut sorted = plan.scalars.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), plan.scalars.len(), "no duplicate reads");
    }
}
