//! The analytics sink's series (only with `[analytics]`): the subsystem's health, rows
//! inserted and dropped, the queue and its bound, failures. No URL, database or site.

use prometheus_client::metrics::MetricType;

use super::{Enc, Res, counter};
use crate::metrics::{self as names, help};

/// What the sink reported at scrape time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AnalyticsCounters {
    /// The breaker is closed and the schema in place.
    pub is_up: bool,
    /// Rows waiting.
    pub queued_rows: u64,
    /// The bound.
    pub capacity_rows: u64,
    /// Rows written.
    pub inserted_rows: u64,
    /// Rows dropped.
    pub dropped_rows: u64,
    /// Failed attempts.
    pub failures: u64,
}

impl AnalyticsCounters {
    /// Reads `sink`'s counters.
    pub fn of(sink: &upsight_analytics::Sink, capacity_rows: usize) -> Self {
        let stats = sink.stats();
        Self {
            is_up: stats.is_up(),
            queued_rows: stats.queued_rows(),
            capacity_rows: capacity_rows as u64,
            inserted_rows: stats.inserted_rows(),
            dropped_rows: stats.dropped_rows(),
            failures: stats.failures(),
        }
    }
}

/// Encodes `c`.
pub(super) fn encode_analytics(enc: &mut Enc<'_>, c: &AnalyticsCounters) -> Res {
    let up = if c.is_up { 1.0 } else { 0.0 };
    enc.encode_descriptor(
        names::SUBSYSTEM_UP,
        help::SUBSYSTEM_UP,
        None,
        MetricType::Gauge,
    )?
    .encode_family(&[("subsystem", "analytics")])?
    .encode_gauge(&up)?;
    for (name, text, value) in [
        (
            names::ANALYTICS_INSERTED_FAMILY,
            help::ANALYTICS_INSERTED,
            c.inserted_rows,
        ),
        (
            names::ANALYTICS_DROPPED_FAMILY,
            help::ANALYTICS_DROPPED,
            c.dropped_rows,
        ),
        (
            names::ANALYTICS_FAILURES_FAMILY,
            help::ANALYTICS_FAILURES,
            c.failures,
        ),
    ] {
        let mut family = enc.encode_descriptor(name, text, None, MetricType::Counter)?;
        counter(&mut family, value)?;
    }
    for (name, text, value) in [
        (names::ANALYTICS_QUEUE, help::ANALYTICS_QUEUE, c.queued_rows),
        (
            names::ANALYTICS_CAPACITY,
            help::ANALYTICS_CAPACITY,
            c.capacity_rows,
        ),
    ] {
        enc.encode_descriptor(name, text, None, MetricType::Gauge)?
            .encode_gauge(&(value as f64))?;
    }
    Ok(())
}
