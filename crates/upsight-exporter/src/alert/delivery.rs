//! Delivery: the [`Alerter`] handle pollers call, which filters, applies cooldowns and queues
//! without ever waiting, and the [`Worker`] that sends (one loop and one bounded queue per
//! target, so a dead receiver delays only itself), with counters per target and outcome.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use upsight_model::Event;

use super::client::{self, FailReason};
use super::config::AlertConfig;
use super::counters::{Counters, Outcome};
use super::gate::{Decision, Gate, test_retry_after};
use super::provider::{Notice, build_request};
use super::ssrf::Guard;
use super::target::Target;

/// Alerts waiting per target; beyond this, new ones are dropped and counted.
pub const QUEUE_CAPACITY: usize = 32;
/// After shutdown is requested, queued alerts (a forced shutdown, say) get this long.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// Why the admin test endpoint sent nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TestError {
    /// No targets configured (→ 409).
    #[error("no alert targets are configured")]
    NoTargets,
    /// No target by that name (→ 404).
    #[error("unknown alert target {0:?}")]
    UnknownTarget(String),
    /// Within the test cooldown (→ 429 with `Retry-After`).
    #[error("a test alert was sent recently; retry in {}s", ceil_secs(*retry_after))]
    TooSoon {
        /// Time left in the cooldown.
        retry_after: Duration,
    },
    /// Every selected queue was full (→ 503).
    #[error("the alert queue is full")]
    QueueFull,
}

impl TestError {
    /// Whole seconds for a `Retry-After` header (rounded up, at least 1), for `TooSoon`.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Self::TooSoon { retry_after } => Some(ceil_secs(*retry_after)),
            _ => None,
        }
    }
}

fn ceil_secs(d: Duration) -> u64 {
    d.as_secs_f64().ceil().max(1.0) as u64
}

/// The handle: cheap to clone, never blocks, never fails.
#[derive(Debug, Clone)]
pub struct Alerter {
    shared: Arc<Shared>,
}

/// Sends what the [`Alerter`] queued; run it once, in the exporter's task set.
#[derive(Debug)]
pub struct Worker {
    shared: Arc<Shared>,
    queues: Vec<mpsc::Receiver<Notice>>,
}

#[derive(Debug)]
struct Shared {
    targets: Vec<Target>,
    guard: Guard,
    test_cooldown: Duration,
    queues: Vec<mpsc::Sender<Notice>>,
    memory: Mutex<Memory>,
    counters: Vec<Counters>,
}

#[derive(Debug)]
struct Memory {
    gates: Vec<Gate>,
    last_test: Option<Instant>,
}

impl Alerter {
    /// The handle and its worker for `config` (no targets: every call is a no-op).
    pub fn new(config: AlertConfig) -> (Self, Worker) {
        let guard = config.guard();
        let (senders, receivers) = config
            .targets
            .iter()
            .map(|_| mpsc::channel(QUEUE_CAPACITY))
            .unzip();
        let shared = Arc::new(Shared {
            guard,
            test_cooldown: config.test_cooldown,
            queues: senders,
            memory: Mutex::new(Memory {
                gates: config.targets.iter().map(|_| Gate::default()).collect(),
                last_test: None,
            }),
            counters: config.targets.iter().map(|_| Counters::default()).collect(),
            targets: config.targets,
        });
        let worker = Worker {
            shared: shared.clone(),
            queues: receivers,
        };
        (Self { shared }, worker)
    }

    /// The configured targets (for the settings page: show [`Target::redacted_url`] only).
    pub fn targets(&self) -> &[Target] {
        &self.shared.targets
    }

    /// Queues `event` for every target whose filter and cooldown let it through.
    pub fn notify(&self, event: &Event) {
        self.notify_at(event, Instant::now());
    }

    /// [`Alerter::notify`] with an injected clock.
    pub fn notify_at(&self, event: &Event, now: Instant) {
        let mut notice = None;
        let mut memory = self.memory();
        for (i, target) in self.shared.targets.iter().enumerate() {
            let gate = &mut memory.gates[i];
            match gate.decide(target, event, now) {
                Decision::Skip => {}
                Decision::Suppress => {
                    self.shared.record(i, Outcome::Suppressed);
                    tracing::debug!(target = %target.name, ups = %event.device, event = event.kind.as_str(), "Alert suppressed by cooldown.");
                }
                Decision::Send => {
                    let n = notice
                        .get_or_insert_with(|| Notice::from_event(event))
                        .clone();
                    if self.shared.enqueue(i, n) {
                        gate.commit(event, now);
                    }
                }
            }
        }
    }

    /// Queues a synthetic test alert (event `test`, device `upsight`) for `target` (all
    /// targets if `None`), at most once per test cooldown. `Ok` means queued: the delivery's
    /// outcome shows in [`Alerter::deliveries`] and the log, like any alert's.
    pub fn test(&self, target: Option<&str>, now: Instant) -> Result<(), TestError> {
        let targets = &self.shared.targets;
        let selected: Vec<usize> = match target {
            Some(name) => vec![
                targets
                    .iter()
                    .position(|t| t.name == name)
                    .ok_or_else(|| TestError::UnknownTarget(name.to_owned()))?,
            ],
            None if targets.is_empty() => return Err(TestError::NoTargets),
            None => (0..targets.len()).collect(),
        };
        let mut memory = self.memory();
        if let Some(retry_after) =
            test_retry_after(memory.last_test, now, self.shared.test_cooldown)
        {
            return Err(TestError::TooSoon { retry_after });
        }
        let at = SystemTime::now();
        let mut queued = 0;
        for i in selected {
            let notice = Notice::test(&targets[i].name, at);
            queued += usize::from(self.shared.enqueue(i, notice));
        }
        if queued == 0 {
            return Err(TestError::QueueFull);
        }
        memory.last_test = Some(now);
        Ok(())
    }

    /// Count per (target, outcome), every pair present (zeros included), for
    /// `upsight_alert_deliveries_total{target,outcome}`.
    pub fn deliveries(&self) -> Vec<(String, Outcome, u64)> {
        let shared = &self.shared;
        let mut out = Vec::new();
        for (target, c) in shared.targets.iter().zip(&shared.counters) {
            out.extend(Outcome::ALL.map(|o| (target.name.clone(), o, c.count(o))));
        }
        out
    }

    /// Failed deliveries per (target, reason), every pair present, for
    /// `upsight_alert_failures_total{target,reason}`.
    pub fn failures(&self) -> Vec<(String, FailReason, u64)> {
        let shared = &self.shared;
        let mut out = Vec::new();
        for (target, c) in shared.targets.iter().zip(&shared.counters) {
            out.extend(FailReason::ALL.map(|r| (target.name.clone(), r, c.failures(r))));
        }
        out
    }

    fn memory(&self) -> MutexGuard<'_, Memory> {
        self.shared.memory.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Shared {
    /// `try_send`: true if queued; a full (or closed) queue drops and counts.
    fn enqueue(&self, i: usize, notice: Notice) -> bool {
        let event = notice.event;
        match self.queues[i].try_send(notice) {
            Ok(()) => true,
            Err(_) => {
                self.record(i, Outcome::Dropped);
                tracing::warn!(target = %self.targets[i].name, event, "Alert queue full; alert dropped.");
                false
            }
        }
    }

    fn record(&self, i: usize, outcome: Outcome) {
        self.counters[i].add(outcome);
    }

    /// Sends one notice (SSRF check first) and emits its counter and log line.
    async fn deliver(&self, i: usize, notice: Notice) {
        let target = &self.targets[i];
        let request = build_request(target, &notice);
        match client::send(&self.guard, target, request).await {
            Ok(status) => {
                self.record(i, Outcome::Sent);
                tracing::info!(target = %target.name, ups = %notice.device, event = notice.event, status, "Alert delivered.");
            }
            Err(failure) => {
                self.counters[i].fail(failure.reason);
                tracing::warn!(target = %target.name, ups = %notice.device, event = notice.event, reason = failure.reason.as_str(), error = %failure.detail, "Alert delivery failed.");
            }
        }
    }
}

impl Worker {
    /// Sends queued alerts until `cancel`; then what is queued gets [`SHUTDOWN_GRACE`].
    pub async fn run(self, cancel: CancellationToken) {
        let Worker { shared, queues } = self;
        let mut loops = JoinSet::new();
        for (i, rx) in queues.into_iter().enumerate() {
            loops.spawn(serve(shared.clone(), i, rx, cancel.clone()));
        }
        tokio::select! {
            () = join_all(&mut loops) => return,
            () = cancel.cancelled() => {}
        }
        if tokio::time::timeout(SHUTDOWN_GRACE, join_all(&mut loops))
            .await
            .is_err()
        {
            tracing::warn!("Alerts still queued at shutdown were abandoned.");
        }
    }
}

async fn join_all(set: &mut JoinSet<()>) {
    while set.join_next().await.is_some() {}
}

/// One target's loop. On cancel the queue is closed, so what it holds is still sent.
async fn serve(
    shared: Arc<Shared>,
    i: usize,
    mut rx: mpsc::Receiver<Notice>,
    cancel: CancellationToken,
) {
    let mut is_closing = false;
    loop {
        let notice = tokio::select! {
            biased;
            () = cancel.cancelled(), if !is_closing => {
                is_closing = true;
                rx.close();
                continue;
            }
            notice = rx.recv() => notice,
        };
        let Some(notice) = notice else { break };
        shared.deliver(i, notice).await;
    }
}

#[cfg(test)]
mod tests {
    use upsight_model::EventKind;

    use super::*;
    use crate::alert::config::RawAlerts;

    fn alerter(toml: &str) -> (Alerter, Worker) {
        #[derive(serde::Deserialize)]
        struct Doc {
            alerts: RawAlerts,
        }
        let doc: Doc = toml::from_str(toml).unwrap();
        let config = doc.alerts.validate(&mut |p, m| panic!("{p}: {m}")).unwrap();
        Alerter::new(config)
    }

    const TWO: &str = r#"
        [alerts]
        test_cooldown = "10s"
        [[alerts.targets]]
        name = "a"
        kind = "webhook"
        url = "https://a.example/"
        [[alerts.targets]]
        name = "b"
        kind = "slack"
        url = "https://b.example/x"
        min_severity = "critical"
    "#;

    fn ev(kind: EventKind, seq: u64) -> Event {
        Event {
            device: "rack".parse().unwrap(),
            kind,
            at: SystemTime::UNIX_EPOCH,
            detail: None,
            seq,
        }
    }

    fn count(a: &Alerter, target: &str, outcome: Outcome) -> u64 {
        a.deliveries()
            .into_iter()
            .find(|(t, o, _)| t == target && *o == outcome)
            .map(|(_, _, c)| c)
            .unwrap()
    }

    #[test]
    fn notify_filters_suppresses_and_drops_without_waiting() {
        let (a, mut worker) = alerter(TWO);
        let now = Instant::now();
        a.notify_at(&ev(EventKind::OnBattery, 1), now);
        a.notify_at(&ev(EventKind::OnBattery, 2), now);
        a.notify_at(&ev(EventKind::LowBattery, 3), now);
        assert_eq!(count(&a, "a", Outcome::Suppressed), 1);
        assert_eq!(count(&a, "b", Outcome::Suppressed), 0);
        assert_eq!(worker.queues[0].len(), 2);
        assert_eq!(worker.queues[1].len(), 1, "b takes critical only");
        let first = worker.queues[0].try_recv().unwrap();
        assert_eq!((first.event, first.seq), ("on_battery", 1));
        // Fill a's queue: nothing blocks, the excess is dropped and counted.
        let extra = QUEUE_CAPACITY as u64 + 5;
        for s in 0..extra {
            a.notify_at(
                &ev(EventKind::OnBattery, 10 + s),
                now + Duration::from_secs(301 * (s + 1)),
            );
        }
        assert_eq!(
            count(&a, "a", Outcome::Dropped),
            extra - (QUEUE_CAPACITY as u64 - 1)
        );
        assert_eq!(a.deliveries().len(), 8);
        assert_eq!(a.failures().len(), 12);
        assert!(a.failures().iter().all(|(_, _, c)| *c == 0));
    }

    #[test]
    fn test_alert_has_its_own_cooldown() {
        let (a, mut worker) = alerter(TWO);
        let now = Instant::now();
        assert_eq!(
            a.test(Some("nope"), now),
            Err(TestError::UnknownTarget("nope".into()))
        );
        a.test(None, now).unwrap();
        assert_eq!(worker.queues[0].try_recv().unwrap().event, "test");
        assert_eq!(worker.queues[1].try_recv().unwrap().event, "test");
        let err = a
            .test(Some("a"), now + Duration::from_millis(2500))
            .unwrap_err();
        assert_eq!(
            err,
            TestError::TooSoon {
                retry_after: Duration::from_millis(7500)
            }
        );
        assert_eq!(err.retry_after_secs(), Some(8));
        a.test(Some("a"), now + Duration::from_secs(10)).unwrap();
        assert!(worker.queues[1].try_recv().is_err());
        let (none, _) = Alerter::new(AlertConfig::default());
        assert_eq!(none.test(None, now), Err(TestError::NoTargets));
        none.notify(&ev(EventKind::OnBattery, 1));
        assert!(none.deliveries().is_empty());
    }

    #[tokio::test]
    async fn worker_stops_on_cancel() {
        let (a, worker) = alerter(TWO);
        let cancel = CancellationToken::new();
        let task = tokio::spawn(worker.run(cancel.clone()));
        cancel.cancel();
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .unwrap()
            .unwrap();
        a.notify(&ev(EventKind::LowBattery, 1));
        assert_eq!(count(&a, "a", Outcome::Dropped), 1, "closed queue drops");
    }
}
