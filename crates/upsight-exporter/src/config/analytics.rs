//! `[analytics]`: the optional ClickHouse sink (design.md §6): where, with which credentials,
//! which site rows are tagged with, and how much the queue may hold.

use std::path::PathBuf;
use std::time::Duration;

use upsight_analytics::SinkConfig;
use upsight_analytics::connection::{RawConnection, URL_ENV};
use upsight_analytics::sink::{DEFAULT_BATCH_ROWS, DEFAULT_CAPACITY_ROWS, DEFAULT_FLUSH_INTERVAL};
use upsight_model::GroupName;

/// Retention of readings and events when not configured (where the server has TTL).
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(400 * 86_400);
/// The site when neither `site` nor `[fleet] group` is set.
pub const DEFAULT_SITE: &str = "default";

const MAX_QUEUE_ROWS: usize = 10_000_000;

/// The `[analytics]` section as written. `Debug` never shows the password.
///
/// The connection keys repeat `upsight_analytics::RawConnection`'s on purpose: serde cannot
/// combine `flatten` with `deny_unknown_fields`, and a typo must stay an error. They are
/// validated by `RawConnection` itself ([`RawAnalytics::validate`]).
#[derive(Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAnalytics {
    /// ClickHouse's HTTP URL; required (`UPSIGHT_ANALYTICS_URL`).
    pub url: Option<String>,
    /// Database (default `upsight`).
    pub database: Option<String>,
    /// User (`UPSIGHT_ANALYTICS_USER`).
    pub user: Option<String>,
    /// Password (`UPSIGHT_ANALYTICS_PASSWORD`; prefer `password_file`).
    pub password: Option<String>,
    /// File holding the password (`UPSIGHT_ANALYTICS_PASSWORD_FILE`).
    pub password_file: Option<PathBuf>,
    /// PEM CA bundle for an https server signed by a private CA.
    pub ca_file: Option<PathBuf>,
    /// Deadline for one query or insert.
    #[serde(default, with = "humantime_serde")]
    pub timeout: Option<Duration>,
    /// The site rows are tagged with (default: `[fleet] group`, else `default`).
    pub site: Option<String>,
    /// Queue bound in rows (one per raw variable, event or outage).
    pub queue_rows: Option<usize>,
    /// Rows per insert at most.
    pub batch_rows: Option<usize>,
    /// How long rows wait for a batch to fill.
    #[serde(default, with = "humantime_serde")]
    pub flush_interval: Option<Duration>,
    /// How long readings and events are kept (where the server has TTL); `"0s"` keeps them.
    #[serde(default, with = "humantime_serde")]
    pub retention: Option<Duration>,
}

impl std::fmt::Debug for RawAnalytics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawAnalytics")
            .field("url", &self.url)
            .field("site", &self.site)
            .finish_non_exhaustive()
    }
}

impl RawAnalytics {
    /// Whether `UPSIGHT_ANALYTICS_URL` asks for the section when the file has none.
    pub fn is_requested_by_env(env: &dyn Fn(&str) -> Option<String>) -> bool {
        env(URL_ENV).is_some()
    }

    /// Applies the `UPSIGHT_ANALYTICS_*` overrides.
    pub fn apply_env(&mut self, env: &dyn Fn(&str) -> Option<String>) {
        let mut connection = self.connection();
        connection.apply_env(env);
        self.url = connection.url;
        self.user = connection.user;
        self.password = connection.password;
        self.password_file = connection.password_file;
    }

    fn connection(&self) -> RawConnection {
        RawConnection {
            url: self.url.clone(),
            database: self.database.clone(),
            user: self.user.clone(),
            password: self.password.clone(),
            password_file: self.password_file.clone(),
            ca_file: self.ca_file.clone(),
            timeout: self.timeout,
        }
    }

    /// Checks every key; `err` receives `(key, message)` relative to `[analytics]`.
    /// `fleet_group` is the default site.
    pub fn validate(
        self,
        fleet_group: Option<&str>,
        err: &mut dyn FnMut(String, String),
    ) -> Option<SinkConfig> {
        let mut failed = false;
        let settings = self.connection().validate(&mut |k, m| {
            failed = true;
            err(k, m);
        });
        let mut fail = |key: &str, message: String| {
            failed = true;
            err(key.to_owned(), message);
        };
        let site = self
            .site
            .or_else(|| fleet_group.map(str::to_owned))
            .unwrap_or_else(|| DEFAULT_SITE.to_owned());
        if let Err(e) = site.parse::<GroupName>() {
            fail("site", e.to_string());
        }
        let capacity_rows = self.queue_rows.unwrap_or(DEFAULT_CAPACITY_ROWS);
        if !(1_000..=MAX_QUEUE_ROWS).contains(&capacity_rows) {
            fail(
                "queue_rows",
                format!("{capacity_rows} is out of range (1000 to 10000000)"),
            );
        }
        let batch_rows = self
            .batch_rows
            .unwrap_or(DEFAULT_BATCH_ROWS.min(capacity_rows));
        if batch_rows == 0 || batch_rows > capacity_rows {
            fail(
                "batch_rows",
                format!("{batch_rows} must be 1 to queue_rows ({capacity_rows})"),
            );
        }
        let flush_interval = self.flush_interval.unwrap_or(DEFAULT_FLUSH_INTERVAL);
        if !(Duration::from_millis(100)..=Duration::from_secs(60)).contains(&flush_interval) {
            fail(
                "flush_interval",
                format!("{flush_interval:?} is out of range (100ms to 1m)"),
            );
        }
        let retention = match self.retention {
            None => Some(DEFAULT_RETENTION),
            Some(d) if d.is_zero() => None,
            Some(d) if d < Duration::from_secs(86_400) => {
                fail(
                    "retention",
                    format!("{d:?} is under one day: use \"0s\" to keep everything"),
                );
                None
            }
            Some(d) => Some(d),
        };
        let settings = settings?;
        (!failed).then_some(SinkConfig {
            settings,
            site,
            capacity_rows,
            batch_rows,
            flush_interval,
            retention,
        })
    }
}
