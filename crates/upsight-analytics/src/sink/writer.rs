//! The writer task: schema first, then batches, with retry, backoff and a circuit breaker.
//!
//! Breaker: closed (`upsight_subsystem_up{subsystem="analytics"}` 1) while inserts succeed.
//! The first failure opens it (0); while open the held batch is retried once per backoff
//! period (0.5 s doubling to 30 s, with jitter) and new rows queue up to the bound, then are
//! dropped and counted. The first success closes it. A server that cannot be reached never
//! makes the writer give a batch up; a server that refuses a batch three times (a bad row, a
//! missing table) gets the schema re-applied and the batch is dropped and counted.

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
/// Refusals (not outages) after which a batch is given up.
const MAX_REFUSALS: u32 = 3;

impl Sink {
    /// Writes the queue to ClickHouse until `cancel`, then makes one last attempt at what is
    /// queued (bounded by the insert timeout).
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
            let stopping = cancel.is_cancelled();
            if !stopping {
                tokio::select! {
                    () = cancel.cancelled() => {}
                    () = self.shared.wake.notified() => {}
                    () = tokio::time::sleep(config.flush_interval) => {}
                }
            }
            let stopping = cancel.is_cancelled();
            if !writer.drain(&cancel).await || stopping {
                break;
            }
        }
        let left = self.lock().rows;
        if left > 0 {
            tracing::warn!(rows = left, "Analytics rows not written at shutdown.");
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
    /// Writes batches until the queue is empty; `false` when cancelled meanwhile (after one
    /// last attempt per batch).
    async fn drain(&mut self, cancel: &CancellationToken) -> bool {
        loop {
            let (items, rows) = self.sink.take();
            if items.is_empty() {
                return true;
            }
            let mut batch = batch::build(items, &self.sink.shared.config.site, &self.known);
            let mut refusals = 0;
            loop {
                match self.write(&mut batch).await {
                    Ok(()) => {
                        self.sink.release(rows, true);
                        self.close();
                        break;
                    }
                    Err(error) => {
                        self.sink.count_failure();
                        self.open(&error);
                        if !error.is_unreachable() {
                            refusals += 1;
                            self.has_schema = false;
                        }
                        if refusals >= MAX_REFUSALS || cancel.is_cancelled() {
                            tracing::warn!(%error, rows, "Analytics batch dropped.");
                            self.sink.release(rows, false);
                            break;
                        }
                        if !self.pause(cancel).await {
                            self.sink.release(rows, false);
                            return false;
                        }
                    }
                }
            }
            if cancel.is_cancelled() {
                return false;
            }
        }
    }

    async fn write(&mut self, batch: &mut Batch) -> Result<(), AnalyticsError> {
        let settings = &self.sink.shared.config.settings;
        if !self.has_schema {
            let (features, applied) = schema::migrate(
                &self.base,
                &settings.database,
                self.sink.shared.config.retention,
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
            if self.sink.shared.config.retention.is_some() && !features.has_ttl {
                tracing::warn!(version = %features.version, "This ClickHouse has no TTL: retention is not enforced; drop old monthly partitions instead.");
            }
            self.client = self
                .base
                .clone()
                .with_database(&settings.database)
                .with_validation(features.has_validation);
            self.has_schema = true;
        }
        let timeout = settings.timeout;
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

    fn open(&mut self, error: &AnalyticsError) {
        if self.sink.stats().is_up() || !self.is_outage_logged {
            tracing::warn!(%error, "Analytics writes failing; holding rows and retrying with backoff.");
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

    /// Sleeps the backoff (with ±20 % jitter) and doubles it; `false` when cancelled.
    async fn pause(&mut self, cancel: &CancellationToken) -> bool {
        let jitter = 0.8 + fastrand::f64() * 0.4;
        let wait = self.backoff.mul_f64(jitter);
        self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
        tokio::select! {
            () = cancel.cancelled() => false,
            () = tokio::time::sleep(wait) => true,
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
