//! The writer task: schema first, then batches, with retry, backoff and a circuit breaker.
//!
//! Breaker: closed (`upsight_subsystem_up{subsystem="analytics"}` 1) once the schema is in
//! place and while inserts succeed. The first failure opens it (0); while open the held batch
//! is retried once per backoff period (0.5 s doubling to 30 s, with jitter) and new rows queue
//! up to the bound, then are dropped and counted. The first success closes it.
//!
//! A batch is held, however long it takes, while the server is unreachable or refuses for a
//! reason of its own state (credentials, overload, memory, too many parts, a missing table,
//! which also gets the schema applied again). A batch the server refuses for its content is
//! given up after three refusals, dropped and counted. At shutdown every queued batch gets one
//! attempt; after the first failure the rest is dropped and counted.

use std::time::Duration;

use clickhouse::Client;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::Sink;
use super::batch::{self, Batch, KnownIdentities};
use crate::client::{AnalyticsError, connect, within};
use crate::rows::{DEVICES, EVENTS, OUTAGES, READINGS};
use crate::schema;

const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// Refusals for the content after which a batch is given up.
const MAX_REFUSALS: u32 = 3;

impl Sink {
    /// Writes the queue to ClickHouse until `cancel`, then gives what is queued one attempt
    /// (each insert bounded by the timeout) and counts the rest as dropped.
    pub async fn run(self, cancel: CancellationToken) {
        let config = &self.shared.config;
        let client = match connect(&config.settings) {
            Ok(client) => client,
            Err(error) => {
                tracing::error!(%error, "Analytics sink cannot start; rows will be dropped and counted.");
                return;
            }
        };
        let mut writer = Writer {
            sink: self.clone(),
            base: client.clone(),
            client,
            has_schema: false,
            known: KnownIdentities::default(),
            backoff: FIRST_BACKOFF,
            is_outage_logged: false,
        };
        loop {
            if !cancel.is_cancelled() {
                tokio::select! {
                    () = cancel.cancelled() => {}
                    () = self.shared.wake.notified() => {}
                    () = tokio::time::sleep(config.flush_interval) => {}
                }
            }
            let is_stopping = cancel.is_cancelled();
            writer.drain(&cancel).await;
            if is_stopping {
                break;
            }
        }
        let mut left = 0;
        loop {
            let (items, rows) = self.take();
            if items.is_empty() {
                break;
            }
            self.release(rows, false);
            left += rows;
        }
        if left > 0 {
            tracing::warn!(
                rows = left,
                "Analytics rows not written at shutdown; counted as dropped."
            );
        }
    }
}

struct Writer {
    sink: Sink,
    /// The client as configured (validation off).
    base: Client,
    /// The client in use (validation on where the server supports it).
    client: Client,
    has_schema: bool,
    known: KnownIdentities,
    backoff: Duration,
    is_outage_logged: bool,
}

impl Writer {
    /// Applies the schema if needed, then writes batches until the queue is empty. Once
    /// `cancel` is set, one attempt per batch and none after the first failure.
    async fn drain(&mut self, cancel: &CancellationToken) {
        if !self.has_schema {
            if let Err(error) = self.ensure_schema().await {
                self.fail(&error);
                if !cancel.is_cancelled() {
                    self.pause(cancel).await;
                }
                return;
            }
            self.close();
        }
        loop {
            let (items, rows) = self.sink.take();
            if items.is_empty() {
                return;
            }
            let mut batch = batch::build(items, &self.sink.shared.config.site, &self.known);
            let mut refusals = 0;
            loop {
                let is_last_try = cancel.is_cancelled();
                let Err(error) = self.write(&mut batch).await else {
                    self.sink.release(rows, true);
                    self.close();
                    break;
                };
                self.fail(&error);
                if error.is_missing_schema() {
                    self.has_schema = false;
                }
                let is_held = error.is_unreachable() || error.is_server_state();
                if !is_held {
                    refusals += 1;
                }
                if is_last_try {
                    self.sink.release(rows, false);
                    return;
                }
                if refusals >= MAX_REFUSALS {
                    tracing::warn!(error = %error.summary(), rows, "ClickHouse refused an analytics batch three times; dropped.");
                    self.sink.release(rows, false);
                    break;
                }
                self.pause(cancel).await;
            }
        }
    }

    async fn ensure_schema(&mut self) -> Result<(), AnalyticsError> {
        let config = &self.sink.shared.config;
        let settings = &config.settings;
        let (features, applied) = schema::migrate(
            &self.base,
            &settings.database,
            config.retention,
            settings.timeout,
        )
        .await?;
        tracing::info!(
            version = %features.version,
            low_cardinality = features.has_low_cardinality,
            ttl = features.has_ttl,
            validation = features.has_validation,
            applied = ?applied,
            "Analytics schema ready."
        );
        if config.retention.is_some() && !features.has_ttl {
            tracing::warn!(version = %features.version, "This ClickHouse has no TTL: retention is not enforced; drop old monthly partitions instead.");
        }
        self.client = self
            .base
            .clone()
            .with_database(&settings.database)
            .with_validation(features.has_validation);
        self.has_schema = true;
        Ok(())
    }

    async fn write(&mut self, batch: &mut Batch) -> Result<(), AnalyticsError> {
        if !self.has_schema {
            self.ensure_schema().await?;
        }
        let timeout = self.sink.shared.config.settings.timeout;
        insert(&self.client, READINGS, &mut batch.readings, timeout).await?;
        insert(&self.client, EVENTS, &mut batch.events, timeout).await?;
        insert(&self.client, OUTAGES, &mut batch.outages, timeout).await?;
        if let Some(devices) = batch.devices.clone() {
            insert(&self.client, DEVICES, &mut batch.devices, timeout).await?;
            self.known.remember(&devices);
        }
        debug_assert!(batch.is_done());
        Ok(())
    }

    fn fail(&mut self, error: &AnalyticsError) {
        self.sink.count_failure();
        if self.sink.stats().is_up() || !self.is_outage_logged {
            tracing::warn!(error = %error.summary(), "Analytics writes failing; retrying with backoff.");
            self.is_outage_logged = true;
        }
        self.sink.set_up(false);
    }

    fn close(&mut self) {
        if !self.sink.stats().is_up() && self.is_outage_logged {
            tracing::info!("Analytics writes recovered.");
        }
        self.is_outage_logged = false;
        self.backoff = FIRST_BACKOFF;
        self.sink.set_up(true);
    }

    /// Sleeps the backoff (with ±20 % jitter, cut short by `cancel`) and doubles it.
    async fn pause(&mut self, cancel: &CancellationToken) {
        let jitter = 0.8 + fastrand::f64() * 0.4;
        let wait = self.backoff.mul_f64(jitter);
        self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
        tokio::select! {
            () = cancel.cancelled() => {}
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// Inserts `rows` into `table` and clears them; leaves them in place on error.
async fn insert<T>(
    client: &Client,
    table: &str,
    rows: &mut Option<Vec<T>>,
    timeout: Duration,
) -> Result<(), AnalyticsError>
where
    T: clickhouse::Row + Serialize + for<'a> clickhouse::RowWrite<Value<'a> = T>,
{
    let Some(list) = rows.as_ref() else {
        return Ok(());
    };
    let mut insert = within(timeout, client.insert::<T>(table)).await?;
    insert = insert.with_timeouts(Some(timeout), Some(timeout));
    for row in list {
        within(timeout, insert.write(row)).await?;
    }
    within(timeout, insert.end()).await?;
    *rows = None;
    Ok(())
}
