//! The rows of upsight's tables, as written by the sink and read back by [`crate::reads`].
//! Field order is column order ([`crate::schema`] creates the tables from the same list):
//! without server-side validation (ClickHouse before RowBinaryWithNamesAndTypes) RowBinary is
//! positional.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Table of raw readings: every variable of every successful poll.
pub const READINGS: &str = "readings";
/// Table of events (upsmon's vocabulary).
pub const EVENTS: &str = "events";
/// Table of finished outages.
pub const OUTAGES: &str = "outages";
/// Table of device identity (serial, location, contact…), one row per change.
pub const DEVICES: &str = "devices";

/// Seconds since the Unix epoch as ClickHouse `DateTime` (UInt32; 0 before 1970, saturated
/// after 2106).
pub fn unix_seconds(time: SystemTime) -> u32 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX))
        .unwrap_or(0)
}

/// One variable of one poll, as the device sent it.
#[derive(Debug, Clone, PartialEq, clickhouse::Row, Serialize, Deserialize)]
pub struct ReadingRow {
    /// Poll time (`DateTime`).
    pub ts: u32,
    /// Site (the exporter's `[analytics] site`).
    pub site: String,
    /// Device name (unique per exporter).
    pub device: String,
    /// `nut` or `snmp`.
    pub source: String,
    /// NUT variable name, or the OID for SNMP varbinds.
    pub variable: String,
    /// The value as received.
    pub value: String,
    /// The value as a number when it parses as one.
    pub number: Option<f64>,
}

/// One event.
#[derive(Debug, Clone, PartialEq, clickhouse::Row, Serialize, Deserialize)]
pub struct EventRow {
    /// Time of the first sample that showed the new state.
    pub ts: u32,
    /// Site.
    pub site: String,
    /// Device name.
    pub device: String,
    /// Per-device sequence number.
    pub seq: u64,
    /// Event kind (`on_battery`, `low_battery`…).
    pub kind: String,
    /// `info`, `warning` or `critical`.
    pub severity: String,
    /// Context (failure reason, status flags); empty when none.
    pub detail: String,
}

/// One finished outage.
#[derive(Debug, Clone, PartialEq, clickhouse::Row, Serialize, Deserialize)]
pub struct OutageRow {
    /// Site.
    pub site: String,
    /// Device name.
    pub device: String,
    /// First sample on battery.
    pub start: u32,
    /// First sample back on line.
    pub end: u32,
    /// Wall time on battery.
    pub duration_seconds: f64,
    /// Lowest battery charge (0..1) seen.
    pub min_charge_ratio: Option<f64>,
    /// Lowest battery runtime seen.
    pub min_runtime_seconds: Option<f64>,
}

/// Identity of one device, written when first seen and whenever it changes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, clickhouse::Row, Serialize, Deserialize)]
pub struct DeviceRow {
    /// When this version of the identity was seen.
    pub updated: u32,
    /// Site.
    pub site: String,
    /// Device name.
    pub device: String,
    /// `nut` or `snmp`.
    pub source: String,
    /// Serial number.
    pub serial: String,
    /// Manufacturer.
    pub manufacturer: String,
    /// Model.
    pub model: String,
    /// Firmware version.
    pub firmware: String,
    /// Driver or MIB profile.
    pub driver: String,
    /// Physical location.
    pub location: String,
    /// Contact person.
    pub contact: String,
    /// Free-text description.
    pub description: String,
    /// MAC address.
    pub mac_address: String,
    /// Administrative host name (SNMP sysName).
    pub host_name: String,
}

/// Column definitions of a table, in row order, as `(name, type)`; `low` marks columns that
/// become `LowCardinality(String)` where the server has it.
pub(crate) struct Column {
    pub(crate) name: &'static str,
    pub(crate) kind: &'static str,
    pub(crate) is_low_cardinality: bool,
}

const fn col(name: &'static str, kind: &'static str) -> Column {
    Column {
        name,
        kind,
        is_low_cardinality: false,
    }
}

const fn low(name: &'static str) -> Column {
    Column {
        name,
        kind: "String",
        is_low_cardinality: true,
    }
}

pub(crate) const READING_COLUMNS: &[Column] = &[
    col("ts", "DateTime"),
    low("site"),
    col("device", "String"),
    low("source"),
    low("variable"),
    col("value", "String"),
    col("number", "Nullable(Float64)"),
];

pub(crate) const EVENT_COLUMNS: &[Column] = &[
    col("ts", "DateTime"),
    low("site"),
    col("device", "String"),
    col("seq", "UInt64"),
    low("kind"),
    low("severity"),
    col("detail", "String"),
];

pub(crate) const OUTAGE_COLUMNS: &[Column] = &[
    low("site"),
    col("device", "String"),
    col("start", "DateTime"),
    col("end", "DateTime"),
    col("duration_seconds", "Float64"),
    col("min_charge_ratio", "Nullable(Float64)"),
    col("min_runtime_seconds", "Nullable(Float64)"),
];

pub(crate) const DEVICE_COLUMNS: &[Column] = &[
    col("updated", "DateTime"),
    low("site"),
    col("device", "String"),
    low("source"),
    col("serial", "String"),
    col("manufacturer", "String"),
    col("model", "String"),
    col("firmware", "String"),
    col("driver", "String"),
    col("location", "String"),
    col("contact", "String"),
    col("description", "String"),
    col("mac_address", "String"),
    col("host_name", "String"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use clickhouse::Row;

    fn names(columns: &[Column]) -> Vec<&'static str> {
        columns.iter().map(|c| c.name).collect()
    }

    #[test]
    fn column_lists_match_the_row_types() {
        // RowBinary is positional: the DDL and the structs must agree field by field.
        assert_eq!(names(READING_COLUMNS), ReadingRow::COLUMN_NAMES);
        assert_eq!(names(EVENT_COLUMNS), EventRow::COLUMN_NAMES);
        assert_eq!(names(OUTAGE_COLUMNS), OutageRow::COLUMN_NAMES);
        assert_eq!(names(DEVICE_COLUMNS), DeviceRow::COLUMN_NAMES);
    }

    #[test]
    fn unix_seconds_saturate() {
        assert_eq!(unix_seconds(UNIX_EPOCH), 0);
        assert_eq!(
            unix_seconds(UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000)),
            1_700_000_000
        );
        assert_eq!(
            unix_seconds(UNIX_EPOCH - std::time::Duration::from_secs(5)),
            0
        );
    }
}
