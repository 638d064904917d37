//! What the server can do, and the tables created from it: idempotently, as numbered steps
//! recorded in `schema_migrations`, so a newer upsight adds steps without touching the ones a
//! server already has.
//!
//! The DDL works on every ClickHouse from 18.16 on (MergeTree with `PARTITION BY`/`ORDER BY`,
//! `Nullable`); `LowCardinality(String)` and `TTL` retention are used
//! where a probe shows the server has them, and the client validates row types against the
//! server's schema where it can answer in `RowBinaryWithNamesAndTypes`.

use std::fmt::Write as _;
use std::time::Duration;

use clickhouse::Client;

use crate::client::{AnalyticsError, within};
use crate::rows::{
    Column, DEVICE_COLUMNS, DEVICES, EVENT_COLUMNS, EVENTS, OUTAGE_COLUMNS, OUTAGES,
    READING_COLUMNS, READINGS,
};

/// The table recording applied steps.
pub const MIGRATIONS: &str = "schema_migrations";

/// What the connected server supports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Features {
    /// `SELECT version()` as the server reports it.
    pub version: String,
    /// Columns may be `LowCardinality(String)` without an experimental setting.
    pub has_low_cardinality: bool,
    /// MergeTree tables accept a `TTL` clause (retention).
    pub has_ttl: bool,
    /// The server answers in `RowBinaryWithNamesAndTypes`, so the client can check row types
    /// against the table schema.
    pub has_validation: bool,
}

impl Features {
    /// The oldest server upsight supports, with none of the optional features.
    pub fn baseline(version: &str) -> Self {
        Self {
            version: version.to_owned(),
            has_low_cardinality: false,
            has_ttl: false,
            has_validation: false,
        }
    }
}

/// One schema step.
#[derive(Debug)]
pub struct Step {
    /// Its number, recorded once applied.
    pub number: u32,
    /// What it does.
    pub description: &'static str,
}

/// Every step, in order. A step is never edited once released: changes are new steps.
pub const STEPS: &[Step] = &[Step {
    number: 1,
    description: "readings, events, outages and devices tables",
}];

/// Asks the server for its version and probes the optional features (creating and dropping
/// a `_upsight_probe_<random>` table in `database`, which must exist).
pub async fn detect(
    client: &Client,
    database: &str,
    timeout: Duration,
) -> Result<Features, AnalyticsError> {
    let version: String = within(timeout, client.query("SELECT version()").fetch_one()).await?;
    let mut features = Features::baseline(&version);
    // Unique per call: exporters starting together never create or drop each other's probe.
    let probe = format!("{database}._upsight_probe_{:016x}", fastrand::u64(..));
    let drop = format!("DROP TABLE IF EXISTS {probe}");
    within(timeout, client.query(&drop).execute()).await?;
    let low = format!("CREATE TABLE {probe} (s LowCardinality(String)) ENGINE = Memory");
    features.has_low_cardinality = succeeds(client, &low, timeout).await?;
    within(timeout, client.query(&drop).execute()).await?;
    let ttl = format!(
        "CREATE TABLE {probe} (d Date) ENGINE = MergeTree ORDER BY d TTL d + INTERVAL 1 DAY"
    );
    features.has_ttl = succeeds(client, &ttl, timeout).await?;
    within(timeout, client.query(&drop).execute()).await?;
    let mut cursor = client
        .query("SELECT 1")
        .fetch_bytes("RowBinaryWithNamesAndTypes")
        .map_err(AnalyticsError::from)?;
    features.has_validation = match tokio::time::timeout(timeout, cursor.collect()).await {
        Ok(Ok(_)) => true,
        Ok(Err(clickhouse::error::Error::BadResponse(_))) => false,
        Ok(Err(error)) => return Err(error.into()),
        Err(_) => return Err(AnalyticsError::Timeout(timeout)),
    };
    Ok(features)
}

/// Runs `sql`: `Ok(false)` when the server refuses it (a feature it lacks), an error when it
/// cannot be asked.
async fn succeeds(client: &Client, sql: &str, timeout: Duration) -> Result<bool, AnalyticsError> {
    match within(timeout, client.query(sql).execute()).await {
        Ok(()) => Ok(true),
        Err(AnalyticsError::ClickHouse(clickhouse::error::Error::BadResponse(_))) => Ok(false),
        Err(error) => Err(error),
    }
}

/// Creates `database` and every table, applying the steps the server has not recorded yet.
/// Safe to run from many exporters at once (every statement is `IF NOT EXISTS`). Returns the
/// steps applied now.
pub async fn migrate(
    client: &Client,
    database: &str,
    retention: Option<Duration>,
    timeout: Duration,
) -> Result<(Features, Vec<u32>), AnalyticsError> {
    let create = format!("CREATE DATABASE IF NOT EXISTS {database}");
    within(timeout, client.query(&create).execute()).await?;
    let features = detect(client, database, timeout).await?;
    let ledger = format!(
        "CREATE TABLE IF NOT EXISTS {database}.{MIGRATIONS} (step UInt32, applied DateTime, \
         description String) ENGINE = MergeTree ORDER BY step"
    );
    within(timeout, client.query(&ledger).execute()).await?;
    let sql = format!("SELECT DISTINCT step FROM {database}.{MIGRATIONS}");
    let done: Vec<u32> = within(timeout, client.query(&sql).fetch_all()).await?;
    let mut applied = Vec::new();
    for step in STEPS.iter().filter(|s| !done.contains(&s.number)) {
        for statement in statements(step.number, database, &features, retention) {
            within(timeout, client.query(&statement).execute()).await?;
        }
        let record = format!(
            "INSERT INTO {database}.{MIGRATIONS} (step, applied, description) VALUES (?, now(), ?)"
        );
        let query = client
            .query(&record)
            .bind(step.number)
            .bind(step.description);
        within(timeout, query.execute()).await?;
        applied.push(step.number);
    }
    Ok((features, applied))
}

/// The statements of step `number` for a server with `features`.
pub fn statements(
    number: u32,
    database: &str,
    features: &Features,
    retention: Option<Duration>,
) -> Vec<String> {
    let days = retention.map(|r| r.as_secs().div_ceil(86_400).max(1));
    let ttl = |column: &str| match days {
        Some(days) if features.has_ttl => format!(" TTL {column} + INTERVAL {days} DAY"),
        _ => String::new(),
    };
    match number {
        1 => vec![
            table(
                database,
                READINGS,
                READING_COLUMNS,
                features,
                &format!(
                    "MergeTree PARTITION BY toYYYYMM(ts) ORDER BY (site, device, variable, ts){}",
                    ttl("ts")
                ),
            ),
            table(
                database,
                EVENTS,
                EVENT_COLUMNS,
                features,
                &format!(
                    "MergeTree PARTITION BY toYYYYMM(ts) ORDER BY (site, device, ts, seq){}",
                    ttl("ts")
                ),
            ),
            table(
                database,
                OUTAGES,
                OUTAGE_COLUMNS,
                features,
                "MergeTree PARTITION BY toYear(start) ORDER BY (site, device, start)",
            ),
            table(
                database,
                DEVICES,
                DEVICE_COLUMNS,
                features,
                "MergeTree PARTITION BY toYear(updated) ORDER BY (site, device, updated)",
            ),
        ],
        _ => Vec::new(),
    }
}

fn table(
    database: &str,
    name: &str,
    columns: &[Column],
    features: &Features,
    engine: &str,
) -> String {
    let mut sql = format!("CREATE TABLE IF NOT EXISTS {database}.{name} (");
    for (i, column) in columns.iter().enumerate() {
        let kind = if column.is_low_cardinality && features.has_low_cardinality {
            "LowCardinality(String)"
        } else {
            column.kind
        };
        let comma = if i == 0 { "" } else { ", " };
        let _ = write!(sql, "{comma}{} {kind}", column.name);
    }
    let _ = write!(sql, ") ENGINE = {engine}");
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    fn modern() -> Features {
        Features {
            version: "24.8.1".into(),
            has_low_cardinality: true,
            has_ttl: true,
            has_validation: true,
        }
    }

    #[test]
    fn the_baseline_ddl_uses_nothing_newer_than_18_16() {
        let sql = statements(
            1,
            "upsight",
            &Features::baseline("18.16.1"),
            Some(Duration::from_secs(86_400 * 30)),
        );
        assert_eq!(sql.len(), 4);
        for statement in &sql {
            assert!(
                statement.starts_with("CREATE TABLE IF NOT EXISTS upsight."),
                "{statement}"
            );
            for newer in ["LowCardinality", "TTL", "DateTime64", "CODEC"] {
                assert!(!statement.contains(newer), "{newer} in {statement}");
            }
        }
        assert!(
            sql[0].contains("ts DateTime, site String, device String"),
            "{}",
            sql[0]
        );
    }

    #[test]
    fn newer_servers_get_low_cardinality_and_retention() {
        let sql = statements(
            1,
            "upsight",
            &modern(),
            Some(Duration::from_secs(86_400 * 30)),
        );
        assert!(sql[0].contains("site LowCardinality(String)"), "{}", sql[0]);
        assert!(sql[0].ends_with("TTL ts + INTERVAL 30 DAY"), "{}", sql[0]);
        assert!(sql[1].ends_with("TTL ts + INTERVAL 30 DAY"), "{}", sql[1]);
        // Outages and identity are kept for good.
        assert!(!sql[2].contains("TTL") && !sql[3].contains("TTL"));
        let keep_all = statements(1, "upsight", &modern(), None);
        assert!(keep_all.iter().all(|s| !s.contains("TTL")));
    }

    #[test]
    fn steps_are_numbered_in_order() {
        let numbers: Vec<u32> = STEPS.iter().map(|s| s.number).collect();
        let mut sorted = numbers.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(numbers, sorted);
        assert!(
            STEPS
                .iter()
                .all(|s| !statements(s.number, "d", &modern(), None).is_empty())
        );
    }
}
