//! The analytical reads behind the exporter's and the plane's `/api/v1/analytics/…` routes.
//! Every value from a request is bound as a parameter (the client escapes it as a literal);
//! only fixed fragments chosen from enums are formatted into the SQL.

use std::collections::HashSet;
use std::time::Duration;

use clickhouse::Client;
use serde::{Deserialize, Serialize};

use crate::client::{AnalyticsError, connect, within};
use crate::rows::{DEVICES, DeviceRow, OUTAGES, OutageRow, READINGS};
use crate::settings::Settings;

/// Most rows one read returns.
pub const MAX_ROWS: u32 = 10_000;

/// A time range in Unix seconds, `from` inclusive, `to` exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// Start.
    pub from: u32,
    /// End.
    pub to: u32,
}

/// One raw variable at one poll.
#[derive(Debug, Clone, PartialEq, clickhouse::Row, Serialize, Deserialize)]
pub struct HistoryRow {
    /// Poll time (Unix seconds).
    pub ts: u32,
    /// Variable name or OID.
    pub variable: String,
    /// Value as received.
    pub value: String,
    /// Value as a number, when it is one.
    pub number: Option<f64>,
}

/// Outages of one site over the period.
#[derive(Debug, Clone, PartialEq, clickhouse::Row, Serialize, Deserialize)]
pub struct SiteOutages {
    /// Site.
    pub site: String,
    /// Finished outages that started in the period.
    pub outages: u64,
    /// Their total duration.
    pub total_seconds: f64,
    /// The longest.
    pub longest_seconds: f64,
}

/// Outages per site, and the outages themselves (newest first).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutageReport {
    /// One entry per site with outages.
    pub sites: Vec<SiteOutages>,
    /// The outages, newest first, at most the requested limit.
    pub outages: Vec<OutageRow>,
}

/// How battery health is bucketed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Bucket {
    /// One point per hour.
    Hour,
    /// One point per day.
    Day,
}

impl Bucket {
    fn function(self) -> &'static str {
        match self {
            Self::Hour => "toStartOfHour",
            Self::Day => "toStartOfDay",
        }
    }
}

/// Battery health over one bucket: average charge and runtime, and what the runtime would be
/// on a full charge (it falls as the battery ages).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatteryPoint {
    /// Bucket start (Unix seconds).
    pub ts: u32,
    /// Average battery charge, 0..1.
    pub charge_ratio: Option<f64>,
    /// Average runtime.
    pub runtime_seconds: Option<f64>,
    /// `runtime_seconds / charge_ratio`.
    pub runtime_per_full_charge_seconds: Option<f64>,
}

#[derive(Debug, clickhouse::Row, Deserialize)]
struct BatteryRow {
    bucket: u32,
    charge: f64,
    runtime: f64,
}

/// Reads upsight's tables.
#[derive(Clone)]
pub struct Reader {
    client: Client,
    timeout: Duration,
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader").finish_non_exhaustive()
    }
}

impl Reader {
    /// A reader for `settings` (nothing is sent until the first read).
    pub fn new(settings: &Settings) -> Result<Self, AnalyticsError> {
        Ok(Self {
            client: connect(settings)?.with_database(&settings.database),
            timeout: settings.timeout,
        })
    }

    /// Raw variables of `device` at `site` over `period`, oldest first; one variable only when
    /// `variable` is set.
    pub async fn history(
        &self,
        site: &str,
        device: &str,
        variable: Option<&str>,
        period: Period,
        limit: u32,
    ) -> Result<Vec<HistoryRow>, AnalyticsError> {
        let sql = format!(
            "SELECT ?fields FROM {READINGS} WHERE site = ? AND device = ? \
             AND ts >= toDateTime(?) AND ts < toDateTime(?) AND (? = 0 OR variable = ?) \
             ORDER BY ts, variable LIMIT ?"
        );
        let query = self
            .client
            .query(&sql)
            .bind(site)
            .bind(device)
            .bind(period.from)
            .bind(period.to)
            .bind(u8::from(variable.is_some()))
            .bind(variable.unwrap_or_default())
            .bind(limit.min(MAX_ROWS));
        within(self.timeout, query.fetch_all()).await
    }

    /// Finished outages that started in `period`, per site and listed; one site only when
    /// `site` is set.
    pub async fn outages(
        &self,
        site: Option<&str>,
        period: Period,
        limit: u32,
    ) -> Result<OutageReport, AnalyticsError> {
        let filter = "start >= toDateTime(?) AND start < toDateTime(?) AND (? = 0 OR site = ?)";
        let summary = format!(
            "SELECT site, count() AS outages, sum(duration_seconds) AS total_seconds, \
             max(duration_seconds) AS longest_seconds FROM {OUTAGES} WHERE {filter} \
             GROUP BY site ORDER BY site"
        );
        let bind = |sql: &str| {
            self.client
                .query(sql)
                .bind(period.from)
                .bind(period.to)
                .bind(u8::from(site.is_some()))
                .bind(site.unwrap_or_default())
        };
        let sites = within(self.timeout, bind(&summary).fetch_all()).await?;
        let list = format!(
            "SELECT ?fields FROM {OUTAGES} WHERE {filter} ORDER BY start DESC, site, device LIMIT ?"
        );
        let outages = within(
            self.timeout,
            bind(&list).bind(limit.min(MAX_ROWS)).fetch_all(),
        )
        .await?;
        Ok(OutageReport { sites, outages })
    }

    /// Battery charge, runtime and runtime per full charge of `device` at `site`, per bucket.
    pub async fn battery(
        &self,
        site: &str,
        device: &str,
        period: Period,
        bucket: Bucket,
    ) -> Result<Vec<BatteryPoint>, AnalyticsError> {
        let sql = format!(
            "SELECT toUInt32({}(ts)) AS bucket, \
             avgIf(ifNull(number, 0), variable = 'battery.charge' AND isNotNull(number)) AS charge, \
             avgIf(ifNull(number, 0), variable = 'battery.runtime' AND isNotNull(number)) AS runtime \
             FROM {READINGS} WHERE site = ? AND device = ? \
             AND ts >= toDateTime(?) AND ts < toDateTime(?) \
             AND variable IN ('battery.charge', 'battery.runtime') \
             GROUP BY bucket ORDER BY bucket LIMIT {MAX_ROWS}",
            bucket.function()
        );
        let query = self
            .client
            .query(&sql)
            .bind(site)
            .bind(device)
            .bind(period.from)
            .bind(period.to);
        let rows: Vec<BatteryRow> = within(self.timeout, query.fetch_all()).await?;
        Ok(rows.into_iter().map(BatteryPoint::from).collect())
    }

    /// Devices that reported `serial`, each with the latest identity row that carried it;
    /// one site only when `site` is set.
    pub async fn find_serial(
        &self,
        serial: &str,
        site: Option<&str>,
    ) -> Result<Vec<DeviceRow>, AnalyticsError> {
        let sql = format!(
            "SELECT ?fields FROM {DEVICES} WHERE serial = ? AND (? = 0 OR site = ?) \
             ORDER BY updated DESC LIMIT {MAX_ROWS}"
        );
        let query = self
            .client
            .query(&sql)
            .bind(serial)
            .bind(u8::from(site.is_some()))
            .bind(site.unwrap_or_default());
        let rows: Vec<DeviceRow> = within(self.timeout, query.fetch_all()).await?;
        let mut seen = HashSet::new();
        let mut latest: Vec<DeviceRow> = rows
            .into_iter()
            .filter(|row| seen.insert((row.site.clone(), row.device.clone())))
            .collect();
        latest.sort_by(|a, b| (&a.site, &a.device).cmp(&(&b.site, &b.device)));
        Ok(latest)
    }
}

impl From<BatteryRow> for BatteryPoint {
    fn from(row: BatteryRow) -> Self {
        let finite = |v: f64| v.is_finite().then_some(v);
        // NUT reports battery.charge in percent.
        let charge_ratio = finite(row.charge).map(|c| c / 100.0);
        let runtime_seconds = finite(row.runtime);
        let runtime_per_full_charge_seconds = match (charge_ratio, runtime_seconds) {
            (Some(c), Some(r)) if c > 0.0 => Some(r / c),
            _ => None,
        };
        Self {
            ts: row.bucket,
            charge_ratio,
            runtime_seconds,
            runtime_per_full_charge_seconds,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn battery_points_scale_charge_and_skip_empty_buckets() {
        let point = BatteryPoint::from(BatteryRow {
            bucket: 60,
            charge: 50.0,
            runtime: 900.0,
        });
        assert_eq!(point.charge_ratio, Some(0.5));
        assert_eq!(point.runtime_per_full_charge_seconds, Some(1800.0));
        let empty = BatteryPoint::from(BatteryRow {
            bucket: 60,
            charge: f64::NAN,
            runtime: 900.0,
        });
        assert_eq!(empty.charge_ratio, None);
        assert_eq!(empty.runtime_per_full_charge_seconds, None);
        let flat = BatteryPoint::from(BatteryRow {
            bucket: 60,
            charge: 0.0,
            runtime: 10.0,
        });
        assert_eq!(flat.runtime_per_full_charge_seconds, None);
    }

    #[test]
    fn buckets_map_to_fixed_functions() {
        assert_eq!(Bucket::Hour.function(), "toStartOfHour");
        assert_eq!(Bucket::Day.function(), "toStartOfDay");
    }
}
