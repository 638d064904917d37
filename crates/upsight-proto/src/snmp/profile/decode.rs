//! Answers → NUT variables: applies a profile's tables to whatever the agent returned (scalars
//! and walked rows, any order, exceptions allowed). The profile's own MIB wins per variable and
//! the UPS-MIB fills the rest; `ups.status` comes whole from the first MIB that yields a token.

use std::collections::{BTreeMap, BTreeSet};

use super::number::Decimal;
use super::table::{Absent, Column, Conv, Flag, Lines, Mib, Scalar, StatusSource, Total};
use super::{Profile, is_answered, system};
use crate::snmp::{Oid, Value};

/// The decoded variables, NUT-named, values as text in NUT units.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Decoded {
    /// `(name, value)`, sorted by name, one per name.
    pub vars: Vec<(String, String)>,
}

impl Decoded {
    /// The value of one variable.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .binary_search_by(|(n, _)| n.as_str().cmp(name))
            .ok()
            .map(|i| self.vars[i].1.as_str())
    }
}

/// Why the answers do not describe a UPS.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// None of the profile's (or its UPS-MIB fallback's) identity or status objects answered.
    #[error("not a ups: no identity or status object of profile {profile:?} answered")]
    NotAUps {
        /// The profile id.
        profile: &'static str,
    },
}

/// Decodes everything read (scalars and walked column rows, any order, exceptions allowed) into
/// NUT-named variables with values as text in NUT units. Vendor values win; the UPS-MIB fills
/// what the vendor did not give.
pub fn decode(profile: &Profile, values: &[(Oid, Value)]) -> Result<Decoded, DecodeError> {
    let read = Read::new(values);
    let is_present = profile
        .mibs()
        .any(|m| m.presence.iter().any(|oid| is_answered(read.get(oid))));
    if !is_present {
        return Err(DecodeError::NotAUps {
            profile: profile.id,
        });
    }
    let mut vars = Vars::default();
    if let Some(vendor) = profile.vendor {
        vars.add("ups.mfr", vendor.to_owned());
    }
    for row in system::SCALARS {
        vars.add_scalar(row, &read, &[]);
    }
    for mib in profile.mibs() {
        let units = quirk_units(mib, &read);
        for row in mib.scalars {
            vars.add_scalar(row, &read, units);
        }
        for lines in mib.lines {
            vars.add_lines(lines, &read, units);
        }
    }
    let flags = profile
        .mibs()
        .map(|m| status(m, &read))
        .find(|f| !f.is_empty());
    if let Some(flags) = flags {
        let tokens: Vec<&str> = flags.into_iter().map(Flag::token).collect();
        vars.add("ups.status", tokens.join(" "));
    }
    vars.copy("device.mfr", "ups.mfr");
    vars.copy("ups.mfr", "device.mfr");
    vars.copy("device.model", "ups.model");
    vars.add("device.type", "ups".to_owned());
    vars.add("driver.name", format!("snmp-{}", profile.id));
    Ok(Decoded {
        vars: vars.0.into_iter().collect(),
    })
}

/// The unit overrides of the first quirk of `mib` whose identity object matches.
fn quirk_units(mib: &Mib, read: &Read<'_>) -> &'static [(&'static str, Conv)] {
    mib.quirks
        .iter()
        .find(|q| {
            read.get(q.ident_oid)
                .and_then(Value::as_text)
                .is_some_and(|t| t.to_ascii_uppercase().starts_with(q.ident_prefix))
        })
        .map_or(&[], |q| q.units)
}

/// `conv`, unless a quirk says this OID or column uses another unit.
fn unit_for(oid: &str, conv: Conv, units: &[(&str, Conv)]) -> Conv {
    units
        .iter()
        .find(|(o, _)| *o == oid)
        .map_or(conv, |&(_, c)| c)
}

/// The answers indexed by OID; the first real value for an OID wins over later duplicates.
struct Read<'a>(BTreeMap<&'a Oid, &'a Value>);

impl<'a> Read<'a> {
    fn new(values: &'a [(Oid, Value)]) -> Self {
        let mut map = BTreeMap::new();
        for (oid, value) in values.iter().filter(|(_, v)| !v.is_exception()) {
            map.entry(oid).or_insert(value);
        }
        Self(map)
    }

    fn get(&self, oid: &str) -> Option<&'a Value> {
        let oid = oid.parse::<Oid>().ok()?;
        self.0.get(&oid).copied()
    }

    /// Every answer strictly under `root`, in OID order, with its index arcs.
    fn under(&self, root: &str) -> Vec<(&'a [u32], &'a Value)> {
        let Ok(root) = root.parse::<Oid>() else {
            return Vec::new();
        };
        self.0
            .range::<Oid, _>(&root..)
            .map_while(|(oid, value)| Some((oid.suffix_after(&root)?, *value)))
            .collect()
    }
}

/// A table index or well-known-object number: `K`, or `K.0` from agents that append an
/// instance to table rows (EAST iStars walks `upsInputVoltage.1.0`).
fn index_of(suffix: &[u32]) -> Option<u32> {
    match *suffix {
        [n] | [n, 0] => Some(n),
        _ => None,
    }
}

/// A numeric answer in NUT units: `TimeTicks` by type (hundredths → seconds, all-ones = not
/// present), everything else by the row's unit, after dropping the row's sentinels.
fn number(value: &Value, conv: Conv, absent: Absent) -> Option<Decimal> {
    let raw = match *value {
        Value::TimeTicks(u32::MAX) => return None,
        Value::TimeTicks(ticks) => {
            let ticks = i64::from(ticks);
            return (!absent.is_sentinel(ticks)).then(|| Decimal::new(ticks, 2));
        }
        Value::OctetString(_) => value.as_text()?.parse::<i64>().ok()?,
        _ => value.as_i64()?,
    };
    if absent.is_sentinel(raw) {
        return None;
    }
    Some(match conv {
        Conv::Text | Conv::Unit => Decimal::new(raw, 0),
        Conv::Tenths => Decimal::new(raw, 1),
        Conv::Minutes => Decimal::new(raw.checked_mul(60)?, 0),
        Conv::Hundredths => Decimal::new(raw, 2),
        Conv::NominalHertz if raw < 100 => Decimal::new(raw, 0),
        Conv::NominalHertz => Decimal::new(raw, 1),
    })
}

/// Variables collected so far; the first value for a name stays.
#[derive(Default)]
struct Vars(BTreeMap<String, String>);

impl Vars {
    fn add(&mut self, name: &str, value: String) {
        if !self.0.contains_key(name) {
            self.0.insert(name.to_owned(), value);
        }
    }

    fn copy(&mut self, from: &str, to: &str) {
        if let Some(value) = self.0.get(from).cloned() {
            self.add(to, value);
        }
    }

    fn add_scalar(&mut self, row: &Scalar, read: &Read<'_>, units: &[(&str, Conv)]) {
        let Some(value) = read.get(row.oid) else {
            return;
        };
        let text = match unit_for(row.oid, row.conv, units) {
            Conv::Text => value.as_text().filter(|t| !t.is_empty()),
            conv => number(value, conv, row.absent).map(|n| n.to_string()),
        };
        if let Some(text) = text {
            self.add(row.var, text);
        }
    }

    /// One per-line table: whole-device names for a single line, per-line names otherwise,
    /// plus the columns' totals.
    fn add_lines(&mut self, lines: &Lines, read: &Read<'_>, units: &[(&str, Conv)]) {
        let limit = lines
            .count
            .and_then(|oid| read.get(oid))
            .and_then(Value::as_i64);
        let rows: Vec<Vec<(u32, &Value)>> = lines
            .columns
            .iter()
            .map(|column| {
                read.under(column.root)
                    .into_iter()
                    .filter_map(|(suffix, value)| Some((index_of(suffix)?, value)))
                    .filter(|&(line, _)| {
                        line >= 1 && limit.is_none_or(|max| i64::from(line) <= max)
                    })
                    .collect()
            })
            .collect();
        let line_count = rows
            .iter()
            .flatten()
            .map(|&(line, _)| line)
            .collect::<BTreeSet<_>>()
            .len();
        for (column, rows) in lines.columns.iter().zip(rows) {
            let values: Vec<(u32, Decimal)> = rows
                .into_iter()
                .filter_map(|(line, v)| {
                    let conv = unit_for(column.root, column.conv, units);
                    Some((line, number(v, conv, column.absent)?))
                })
                .collect();
            self.add_column(column, &values, line_count == 1);
        }
    }

    fn add_column(&mut self, column: &Column, values: &[(u32, Decimal)], is_single: bool) {
        let Some(&(_, first)) = values.first() else {
            return;
        };
        match (column.each, column.one) {
            (Some(each), _) if !is_single => {
                for (line, value) in values {
                    self.add(&each.replace("{n}", &line.to_string()), value.to_string());
                }
            }
            (_, Some(one)) => self.add(one, first.to_string()),
            (_, None) => {}
        }
        let decimals = values.iter().map(|&(_, v)| v);
        let total = match column.total {
            Some(Total::Sum(name)) => decimals.reduce(Decimal::add).map(|v| (name, v)),
            Some(Total::Max(name)) => decimals.reduce(Decimal::max).map(|v| (name, v)),
            None => None,
        };
        if let Some((name, value)) = total {
            self.add(name, value.to_string());
        }
    }
}

/// The status tokens one MIB's answers give.
fn status(mib: &Mib, read: &Read<'_>) -> BTreeSet<Flag> {
    let mut flags = BTreeSet::new();
    for source in mib.status {
        match *source {
            StatusSource::Enum { oid, map } => {
                let Some(value) = read.get(oid).and_then(Value::as_i64) else {
                    continue;
                };
                let hits = map.iter().filter(|(v, _)| *v == value);
                flags.extend(hits.flat_map(|(_, f)| f.iter().copied()));
            }
            StatusSource::Bits { oid, map } => {
                let Some(bits) = read.get(oid).and_then(Value::as_text) else {
                    continue;
                };
                // "UNKNOWN" or a short reply says nothing.
                if bits.is_empty() || !bits.bytes().all(|b| b == b'0' || b == b'1') {
                    continue;
                }
                let is_set = |bit: usize| bit >= 1 && bits.as_bytes().get(bit - 1) == Some(&b'1');
                let hits = map.iter().filter(|(bit, _)| is_set(*bit));
                flags.extend(hits.flat_map(|(_, f)| f.iter().copied()));
            }
            StatusSource::Alarms {
                column,
                known,
                map,
                quiet,
            } => {
                for (_, value) in read.under(column) {
                    flags.extend(alarm(value, known, map, quiet));
                }
            }
        }
    }
    flags
}

/// The tokens of one alarm row: a well-known alarm's own tokens, nothing for a quiet event,
/// ALARM for anything else (vendor alarms, unknown numbers, values that are not OIDs).
fn alarm(
    value: &Value,
    known: &str,
    map: &'static [(u32, &'static [Flag])],
    quiet: &[u32],
) -> Vec<Flag> {
    let number = match (value, known.parse::<Oid>()) {
        (Value::Oid(oid), Ok(known)) => oid.suffix_after(&known).and_then(index_of),
        _ => None,
    };
    match number {
        Some(k) if quiet.contains(&k) => Vec::new(),
        Some(k) => map
            .iter()
            .find(|(n, _)| *n == k)
            .map_or_else(|| vec![Flag::Alarm], |(_, f)| f.to_vec()),
        None => vec![Flag::Alarm],
    }
}
