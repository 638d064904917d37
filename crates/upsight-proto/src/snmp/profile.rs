//! UPS MIB profiles: which OIDs to read from an SNMP agent and how to turn the answers into the
//! NUT variables (`battery.charge`, `input.L1-N.voltage`, `ups.status`…) in NUT units, so an
//! SNMP device yields exactly what a NUT device would.
//!
//! A poll is: [`system_oids`] + [`probe_oids`] once, [`detect`] on the answers, then each poll
//! reads [`Profile::plan`] (GET the scalars, walk the columns) and hands everything to
//! [`decode`].
//!
//! ```
//! use upsight_proto::snmp::profile::{self, decode};
//! use upsight_proto::snmp::{Oid, Value};
//!
//! let oid = |s: &str| s.parse::<Oid>().unwrap();
//! let answers = vec![
//!     (oid("1.3.6.1.2.1.1.2.0"), Value::Oid(oid("1.3.6.1.4.1.318.1.3.2.17"))),
//!     (oid("1.3.6.1.4.1.318.1.1.1.1.1.1.0"), Value::OctetString(b"Smart-UPS RT 3000 XL".to_vec())),
//! ];
//! let apc = profile::detect(&answers).unwrap();
//! assert_eq!(apc.id, "apc");
//!
//! let mut read = answers;
//! read.push((oid("1.3.6.1.4.1.318.1.1.1.4.1.1.0"), Value::Integer(2)));
//! read.push((oid("1.3.6.1.4.1.318.1.1.1.2.2.3.0"), Value::TimeTicks(1_952_600)));
//! read.push((oid("1.3.6.1.4.1.318.1.1.1.3.3.1.0"), Value::Gauge32(2287)));
//! let decoded = decode(apc, &read).unwrap();
//! assert_eq!(decoded.get("ups.status"), Some("OL"));
//! assert_eq!(decoded.get("battery.runtime"), Some("19526"));
//! assert_eq!(decoded.get("input.voltage"), Some("228.7"));
//! ```

mod apc;
mod cyberpower;
mod decode;
mod doc;
mod number;
mod system;
mod table;
mod ups_mib;
mod xups;

#[cfg(test)]
mod tests;

use std::fmt;

use super::{Oid, Value};
use table::{Mib, StatusSource};

pub use decode::{DecodeError, Decoded, decode};
pub use doc::RowDoc;

/// One way of reading a UPS over SNMP: a MIB, plus the UPS-MIB underneath for vendor profiles.
pub struct Profile {
    /// Stable identifier (`apc`, `eaton-xups`, `cyberpower`, `ups-mib`), used in config and in
    /// `driver.name` (`snmp-apc`).
    pub id: &'static str,
    /// Human name.
    pub name: &'static str,
    mib: &'static Mib,
    fallback: Option<&'static Mib>,
    /// sysObjectID prefixes of the vendor (empty for the UPS-MIB).
    sys_object_ids: &'static [&'static str],
    /// OIDs whose answer says this MIB is there.
    probes: &'static [&'static str],
    /// `ups.mfr` when the MIB has no manufacturer object.
    vendor: Option<&'static str>,
}

impl fmt::Debug for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Profile")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Profiles are identified by `id`.
impl PartialEq for Profile {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for Profile {}

/// RFC 1628 UPS-MIB on its own.
pub const UPS_MIB: Profile = Profile {
    id: "ups-mib",
    name: "RFC 1628 UPS-MIB",
    mib: &ups_mib::MIB,
    fallback: None,
    sys_object_ids: &[],
    probes: &[ups_mib::IDENT_MANUFACTURER, ups_mib::OUTPUT_SOURCE],
    vendor: None,
};

/// APC PowerNet-MIB (Smart-UPS, Symmetra… behind a Network Management Card).
pub const APC: Profile = Profile {
    id: "apc",
    name: "APC PowerNet-MIB",
    mib: &apc::MIB,
    fallback: Some(&ups_mib::MIB),
    sys_object_ids: &["1.3.6.1.4.1.318"],
    probes: &[apc::IDENT_MODEL],
    vendor: Some("APC"),
};

/// Eaton/Powerware XUPS-MIB (ConnectUPS, Network-M2, MGE-era cards on Eaton UPSes).
pub const EATON_XUPS: Profile = Profile {
    id: "eaton-xups",
    name: "Eaton XUPS-MIB",
    mib: &xups::MIB,
    fallback: Some(&ups_mib::MIB),
    sys_object_ids: &["1.3.6.1.4.1.534", "1.3.6.1.4.1.705"],
    probes: &[xups::IDENT_MODEL],
    vendor: None,
};

/// CyberPower CPS-MIB (RMCARD).
pub const CYBERPOWER: Profile = Profile {
    id: "cyberpower",
    name: "CyberPower CPS-MIB",
    mib: &cyberpower::MIB,
    fallback: Some(&ups_mib::MIB),
    sys_object_ids: &["1.3.6.1.4.1.3808"],
    probes: &[cyberpower::IDENT_MODEL],
    vendor: Some("CyberPower"),
};

/// Every profile, vendor profiles first and the UPS-MIB last (the order [`detect`] tries them).
pub const ALL: &[&Profile] = &[&APC, &EATON_XUPS, &CYBERPOWER, &UPS_MIB];

/// The profile with this id.
pub fn by_id(id: &str) -> Option<&'static Profile> {
    ALL.iter().copied().find(|p| p.id == id)
}

/// The system-group OIDs every poll reads: sysDescr.0, sysObjectID.0, sysUpTime.0, sysContact.0,
/// sysName.0, sysLocation.0.
pub fn system_oids() -> Vec<Oid> {
    parse_all(system::OIDS.iter().copied())
}

/// OIDs whose answer identifies each profile: APC upsBasicIdentModel, XUPS xupsIdentModel,
/// CyberPower upsBaseIdentModel, UPS-MIB upsIdentManufacturer and upsOutputSource.
pub fn probe_oids() -> Vec<Oid> {
    parse_all(ALL.iter().flat_map(|p| p.probes.iter().copied()))
}

/// Picks the profile from GET results of [`system_oids`] + [`probe_oids`]: the vendor whose
/// sysObjectID prefix matches and whose probe answered; else the first vendor whose probe
/// answered; else the UPS-MIB if one of its probes answered; else `None` (not a UPS we can read,
/// e.g. an APC rack PDU: APC sysObjectID, no UPS branch).
pub fn detect(answers: &[(Oid, Value)]) -> Option<&'static Profile> {
    let sys_object_id = lookup(answers, system::SYS_OBJECT_ID).and_then(|v| match v {
        Value::Oid(oid) => Some(oid),
        _ => None,
    });
    let answered = |p: &Profile| {
        p.probes
            .iter()
            .any(|probe| is_answered(lookup(answers, probe)))
    };
    let is_vendor_of = |p: &Profile| {
        sys_object_id.is_some_and(|id| {
            p.sys_object_ids
                .iter()
                .filter_map(|s| s.parse::<Oid>().ok())
                .any(|s| id.starts_with(&s))
        })
    };
    let vendors = || ALL.iter().copied().filter(|p| p.fallback.is_some());
    vendors()
        .find(|p| is_vendor_of(p) && answered(p))
        .or_else(|| vendors().find(|p| answered(p)))
        .or_else(|| answered(&UPS_MIB).then_some(&UPS_MIB))
}

/// What to read on each poll.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    /// Scalars to GET (with their `.0`).
    pub scalars: Vec<Oid>,
    /// Table column roots to walk; rows come back as `root.index`.
    pub columns: Vec<Oid>,
}

impl Profile {
    /// What to read on each poll: [`system_oids`] + this profile's scalars + (for vendor
    /// profiles) the UPS-MIB scalars as a fallback, and the table columns to walk.
    pub fn plan(&self) -> Plan {
        let scalars = system::OIDS
            .iter()
            .copied()
            .chain(self.mibs().flat_map(|m| {
                let values = m.scalars.iter().map(|s| s.oid);
                let counts = m.lines.iter().filter_map(|l| l.count);
                let status = m
                    .status
                    .iter()
                    .filter(|s| !is_column(s))
                    .map(StatusSource::oid);
                values
                    .chain(counts)
                    .chain(status)
                    .chain(m.presence.iter().copied())
            }));
        let columns = self.mibs().flat_map(|m| {
            let values = m
                .lines
                .iter()
                .flat_map(|l| l.columns.iter().map(|c| c.root));
            values.chain(
                m.status
                    .iter()
                    .filter(|s| is_column(s))
                    .map(StatusSource::oid),
            )
        });
        Plan {
            scalars: parse_all(scalars),
            columns: parse_all(columns),
        }
    }

    /// The MIBs in precedence order: this profile's, then the UPS-MIB fallback.
    fn mibs(&self) -> impl Iterator<Item = &'static Mib> {
        std::iter::once(self.mib).chain(self.fallback)
    }
}

fn is_column(source: &StatusSource) -> bool {
    matches!(source, StatusSource::Alarms { .. })
}

/// Parses table OID strings (all tested to parse), dropping duplicates but keeping order.
fn parse_all<'a>(oids: impl Iterator<Item = &'a str>) -> Vec<Oid> {
    let mut out: Vec<Oid> = Vec::new();
    for oid in oids.filter_map(|s| s.parse::<Oid>().ok()) {
        if !out.contains(&oid) {
            out.push(oid);
        }
    }
    out
}

/// The first non-exception answer for `oid`.
fn lookup<'a>(answers: &'a [(Oid, Value)], oid: &str) -> Option<&'a Value> {
    let oid = oid.parse::<Oid>().ok()?;
    answers
        .iter()
        .find(|(o, v)| *o == oid && !v.is_exception())
        .map(|(_, v)| v)
}

/// Whether an answer carries a value: not an exception, not NULL, not an empty string.
fn is_answered(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(v @ Value::OctetString(_)) => v.as_text().is_some_and(|t| !t.is_empty()),
        Some(v) => !v.is_exception(),
    }
}
