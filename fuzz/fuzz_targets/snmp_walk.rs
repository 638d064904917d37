//! Fuzz target `snmp_walk`: a hostile SNMP agent, one poll of it, with no network.
//!
//! The input is a setup byte and then the agent's responses ([`upsight_fuzz::agent`] has the
//! layout). They are consumed the way the exporter's SNMP source consumes them
//! (`crates/upsight-exporter/src/source/snmp.rs`), whose socket handling is replaced by the
//! script:
//!
//! 1. without a configured profile, one GET of the system and probe OIDs and
//!    `profile::detect` on the answers;
//! 2. one GET of the plan's scalars (exceptions and NULLs dropped, as `get_all` does);
//! 3. the plan's columns walked with the sans-IO `Walk` (all together as with GETBULK, or one
//!    per walk as on v1), `noSuchName` ending the asked columns and any other error-status
//!    failing the poll; a silent agent ends the walk as an empty answer would;
//! 4. everything read through `profile::decode` and the exporter's `mapping::snmp::map`.
//!
//! Setup byte: `% 5` picks APC, Eaton XUPS, CyberPower, UPS-MIB or detection; bit 3 walks as
//! v1; bit 4 caps columns at 3 rows instead of the default 256.
//!
//! Checked: every walk ends within `max_rows_per_column + 1` requests (the bound the source's
//! safety cap relies on), only asks OIDs inside its columns, keeps rows strictly increasing,
//! under their column, within the cap and free of exceptions, and reports at most one
//! problem per column; the decoded variables are sorted and unique and name the driver; the
//! mapping fails exactly when decoding does, and every sample it makes is finite.

#![no_main]

use libfuzzer_sys::fuzz_target;
use upsight_fuzz::agent::{NO_SUCH_NAME, Response, Script};
use upsight_proto::snmp::profile::{self, Profile};
use upsight_proto::snmp::walk::{Walk, WalkLimits};
use upsight_proto::snmp::{Oid, Value};

fuzz_target!(|data: &[u8]| {
    let mut script = Script::new(data);
    let setup = script.byte();
    let is_v1 = setup & 0x08 != 0;
    let limits = if setup & 0x10 != 0 {
        WalkLimits {
            max_rows_per_column: 3,
        }
    } else {
        WalkLimits::default()
    };
    let profile = match profile::ALL.get(usize::from(setup % 5)) {
        Some(&profile) => profile,
        None => {
            let mut asked = profile::system_oids();
            asked.extend(profile::probe_oids());
            let answers = get(&mut script, &asked);
            let Some(profile) = profile::detect(&answers) else {
                return;
            };
            profile
        }
    };
    let plan = profile.plan();
    let known: Vec<Oid> = plan.scalars.iter().chain(&plan.columns).cloned().collect();
    let mut values = get(&mut script, &plan.scalars);
    let walks: Vec<Vec<Oid>> = if is_v1 {
        plan.columns.iter().map(|c| vec![c.clone()]).collect()
    } else {
        vec![plan.columns.clone()]
    };
    for roots in walks {
        let Some(rows) = walk(&mut script, &roots, &known, limits) else {
            return;
        };
        values.extend(rows);
    }
    check_decode(profile, &values);
});

/// One GET: what `get_all` keeps of an answer (an error-status drops the whole chunk).
fn get(script: &mut Script<'_>, asked: &[Oid]) -> Vec<(Oid, Value)> {
    match script.response(asked, asked) {
        Some(Response {
            error_status: 0,
            varbinds,
        }) => varbinds
            .into_iter()
            .filter(|(_, v)| !v.is_exception() && *v != Value::Null)
            .collect(),
        _ => Vec::new(),
    }
}

/// One walk as `walk_columns` runs it; `None` when the agent fails the poll.
fn walk(
    script: &mut Script<'_>,
    roots: &[Oid],
    known: &[Oid],
    limits: WalkLimits,
) -> Option<Vec<(Oid, Value)>> {
    let mut walk = Walk::new(roots.to_vec(), limits);
    let mut requests = 0;
    while let Some(asked) = walk.next_request() {
        requests += 1;
        assert!(
            requests <= limits.max_rows_per_column + 1,
            "walk of {roots:?} still asking after {requests} requests"
        );
        assert!(
            asked
                .iter()
                .all(|oid| roots.iter().any(|r| oid.starts_with(r)))
        );
        match script.response(&asked, known) {
            None => walk.feed(Vec::new()),
            Some(r) if r.error_status == 0 => walk.feed(r.varbinds),
            Some(r) if r.error_status == NO_SUCH_NAME => walk.feed(Vec::new()),
            Some(_) => return None,
        }
    }
    assert!(walk.is_done());
    assert!(
        walk.problems().len() <= roots.len(),
        "{:?}",
        walk.problems()
    );
    let rows = walk.into_values();
    let is_nested = roots
        .iter()
        .any(|a| roots.iter().any(|b| a != b && b.starts_with(a)));
    for root in roots.iter().filter(|_| !is_nested) {
        let column: Vec<&(Oid, Value)> = rows.iter().filter(|(o, _)| o.starts_with(root)).collect();
        assert!(column.len() <= limits.max_rows_per_column);
        assert!(
            column.windows(2).all(|w| w[0].0 < w[1].0),
            "rows out of order"
        );
    }
    for (oid, value) in &rows {
        assert!(
            roots.iter().any(|r| oid.suffix_after(r).is_some()),
            "{oid} outside the walk"
        );
        assert!(!value.is_exception(), "{oid} kept an exception");
    }
    Some(rows)
}

fn check_decode(profile: &'static Profile, values: &[(Oid, Value)]) {
    let decoded = profile::decode(profile, values);
    let mapped = upsight_exporter::mapping::snmp::map(profile, values);
    assert_eq!(
        decoded.is_err(),
        mapped.is_err(),
        "{decoded:?} / {mapped:?}"
    );
    let Ok(decoded) = decoded else {
        return;
    };
    assert!(
        decoded.vars.windows(2).all(|w| w[0].0 < w[1].0),
        "variables not sorted and unique"
    );
    let driver = format!("snmp-{}", profile.id);
    assert_eq!(decoded.get("driver.name"), Some(driver.as_str()));
    assert_eq!(decoded.get("device.type"), Some("ups"));
    let Ok(reading) = mapped else {
        return;
    };
    for sample in &reading.samples {
        assert!(sample.value.is_finite(), "{sample:?}");
    }
}
