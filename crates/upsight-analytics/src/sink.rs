//! The exporter's side of the analytical path: a bounded queue that pollers feed without ever
//! waiting, and a writer task that turns it into batched inserts.
//!
//! The queue is counted in rows (one per raw variable, event or outage) and holds at most
//! [`SinkConfig::capacity_rows`], the batch being written included: when it is full, new rows
//! are dropped and counted, so a ClickHouse outage costs a bounded amount of memory and never
//! slows polling. A queued poll is an `Arc` of the reading the snapshot already holds; rows are
//! built by the writer, off the polling path.

mod batch;
mod writer;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use tokio::sync::Notify;
use upsight_model::{DeviceState, Event, Outage, Outcome, Reading, UpsName};

use crate::settings::Settings;

/// Rows the queue holds when not configured (about 1 000 UPSes × 80 variables × 2.5 polls).
pub const DEFAULT_CAPACITY_ROWS: usize = 200_000;
/// Rows per insert when not configured.
pub const DEFAULT_BATCH_ROWS: usize = 50_000;
/// How long rows wait for a batch to fill when not configured.
pub const DEFAULT_FLUSH_INTERVAL: Duration = Duration::from_secs(1);

/// How the sink writes.
#[derive(Debug, Clone)]
pub struct SinkConfig {
    /// Where.
    pub settings: Settings,
    /// The site every row is tagged with.
    pub site: String,
    /// Queue bound in rows, the batch in flight included.
    pub capacity_rows: usize,
    /// Rows per insert at most.
    pub batch_rows: usize,
    /// How long rows wait for a batch to fill.
    pub flush_interval: Duration,
    /// How long ClickHouse keeps readings and events (where the server has TTL); `None` keeps
    /// them for good.
    pub retention: Option<Duration>,
}

/// What the sink did, read by the exporter's `/metrics`.
#[derive(Debug, Default)]
pub struct SinkStats {
    up: AtomicBool,
    queued_rows: AtomicU64,
    inserted_rows: AtomicU64,
    dropped_rows: AtomicU64,
    failures: AtomicU64,
}

impl SinkStats {
    /// Whether the schema is in place and the latest insert (or probe) succeeded: the circuit
    /// breaker is closed.
    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::Relaxed)
    }

    /// Rows waiting, the batch being written included.
    pub fn queued_rows(&self) -> u64 {
        self.queued_rows.load(Ordering::Relaxed)
    }

    /// Rows ClickHouse acknowledged.
    pub fn inserted_rows(&self) -> u64 {
        self.inserted_rows.load(Ordering::Relaxed)
    }

    /// Rows dropped: the queue was full, or ClickHouse refused a batch three times.
    pub fn dropped_rows(&self) -> u64 {
        self.dropped_rows.load(Ordering::Relaxed)
    }

    /// Failed inserts, probes and schema attempts.
    pub fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }
}

/// One thing waiting to be written.
#[derive(Debug)]
pub(crate) enum Item {
    Poll {
        at: SystemTime,
        device: UpsName,
        reading: Arc<Reading>,
    },
    Event(Event),
    Outage(Outage),
}

impl Item {
    /// Rows it becomes (a poll's identity row is not counted: it is written only on change).
    fn weight(&self) -> usize {
        match self {
            Self::Poll { reading, .. } => reading.raw.len().max(1),
            Self::Event(_) | Self::Outage(_) => 1,
        }
    }
}

#[derive(Debug, Default)]
struct Queue {
    items: VecDeque<Item>,
    /// Rows in `items` plus the batch being written.
    rows: usize,
}

#[derive(Debug)]
struct Shared {
    config: SinkConfig,
    queue: Mutex<Queue>,
    wake: Notify,
    stats: SinkStats,
}

/// The handle pollers and the tracker feed; cheap to clone. [`Sink::run`] writes.
#[derive(Debug, Clone)]
pub struct Sink {
    shared: Arc<Shared>,
}

impl Sink {
    /// A sink with an empty queue; nothing is written until [`Sink::run`] runs.
    pub fn new(config: SinkConfig) -> Self {
        Self {
            shared: Arc::new(Shared {
                config,
                queue: Mutex::new(Queue::default()),
                wake: Notify::new(),
                stats: SinkStats::default(),
            }),
        }
    }

    /// Counters for `/metrics`.
    pub fn stats(&self) -> &SinkStats {
        &self.shared.stats
    }

    /// The site rows are tagged with.
    pub fn site(&self) -> &str {
        &self.shared.config.site
    }

    /// Queues every successful poll among `states`, made at `at`. Never waits.
    pub fn record_poll(&self, states: &[DeviceState], at: SystemTime) {
        for device in states {
            if let (Outcome::Ok, Some(reading)) = (&device.outcome, &device.reading) {
                self.push(Item::Poll {
                    at,
                    device: device.name.clone(),
                    reading: Arc::clone(reading),
                });
            }
        }
    }

    /// Queues an event. Never waits.
    pub fn record_event(&self, event: &Event) {
        self.push(Item::Event(event.clone()));
    }

    /// Queues a finished outage. Never waits.
    pub fn record_outage(&self, outage: &Outage) {
        self.push(Item::Outage(outage.clone()));
    }

    fn push(&self, item: Item) {
        let weight = item.weight();
        let mut queue = self.lock();
        if queue.rows + weight > self.shared.config.capacity_rows {
            drop(queue);
            self.shared
                .stats
                .dropped_rows
                .fetch_add(weight as u64, Ordering::Relaxed);
            return;
        }
        queue.rows += weight;
        queue.items.push_back(item);
        let rows = queue.rows;
        drop(queue);
        self.shared
            .stats
            .queued_rows
            .store(rows as u64, Ordering::Relaxed);
        if rows >= self.shared.config.batch_rows {
            self.shared.wake.notify_one();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.shared.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes up to `batch_rows` rows' worth of items from the front (at least one item). The
    /// rows stay counted against the capacity until [`Sink::release`].
    fn take(&self) -> (Vec<Item>, usize) {
        let mut queue = self.lock();
        let mut items = Vec::new();
        let mut rows = 0;
        while let Some(item) = queue.items.front() {
            let weight = item.weight();
            if !items.is_empty() && rows + weight > self.shared.config.batch_rows {
                break;
            }
            rows += weight;
            items.extend(queue.items.pop_front());
        }
        (items, rows)
    }

    /// Frees `rows` of capacity once a batch is written (or given up, then also counted as
    /// dropped).
    fn release(&self, rows: usize, written: bool) {
        let mut queue = self.lock();
        queue.rows = queue.rows.saturating_sub(rows);
        let left = queue.rows;
        drop(queue);
        let stats = &self.shared.stats;
        stats.queued_rows.store(left as u64, Ordering::Relaxed);
        let counter = if written {
            &stats.inserted_rows
        } else {
            &stats.dropped_rows
        };
        counter.fetch_add(rows as u64, Ordering::Relaxed);
    }

    fn set_up(&self, up: bool) {
        self.shared.stats.up.store(up, Ordering::Relaxed);
    }

    fn count_failure(&self) {
        self.shared.stats.failures.fetch_add(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests;
