//! Which events a target sends: the per-target event filter, cooldowns per (device, event
//! kind) and recovery notices. Pure: the caller passes `now`.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use upsight_model::{Event, EventKind, UpsName};

use super::target::Target;

/// What to do with one event for one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Not for this target (filtered out; not counted).
    Skip,
    /// Within the cooldown (counted as suppressed).
    Suppress,
    /// Send; call [`Gate::commit`] once it is queued.
    Send,
}

type Key = (UpsName, EventKind);

/// Per-target memory: when each (device, kind) was last sent, and which raised conditions
/// were alerted and not yet cleared.
#[derive(Debug, Default)]
pub struct Gate {
    last_sent: HashMap<Key, Instant>,
    open: HashSet<Key>,
}

impl Gate {
    /// Decides for `event` at `now`. Clearing kinds go out as recovery notices when the target
    /// alerted the condition they clear (even if the clearing kind itself is filtered out),
    /// with their own cooldown.
    pub fn decide(&self, target: &Target, event: &Event, now: Instant) -> Decision {
        let is_recovery = target.has_recovery
            && event
                .kind
                .clears()
                .is_some_and(|raised| self.open.contains(&(event.device.clone(), raised)));
        if !is_recovery && !target.events.contains(&event.kind) {
            return Decision::Skip;
        }
        let key = (event.device.clone(), event.kind);
        match self.last_sent.get(&key) {
            Some(at) if within(*at, now, target.cooldown) => Decision::Suppress,
            _ => Decision::Send,
        }
    }

    /// Records that `event` was queued at `now`: starts its cooldown, opens its condition or
    /// closes the one it clears.
    pub fn commit(&mut self, event: &Event, now: Instant) {
        self.last_sent
            .insert((event.device.clone(), event.kind), now);
        match event.kind.clears() {
            Some(raised) => {
                self.open.remove(&(event.device.clone(), raised));
            }
            None => {
                self.open.insert((event.device.clone(), event.kind));
            }
        }
    }
}

fn within(then: Instant, now: Instant, cooldown: Duration) -> bool {
    now.checked_duration_since(then)
        .is_none_or(|elapsed| elapsed < cooldown)
}

/// The test endpoint's cooldown: the time left before the next test alert, if any.
pub fn test_retry_after(
    last: Option<Instant>,
    now: Instant,
    cooldown: Duration,
) -> Option<Duration> {
    let last = last?;
    let elapsed = now.checked_duration_since(last).unwrap_or_default();
    (elapsed < cooldown).then(|| cooldown - elapsed)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::time::SystemTime;

    use reqwest::Url;
    use upsight_model::Severity;

    use super::*;
    use crate::alert::target::TargetKind;

    fn target(events: &[EventKind], has_recovery: bool) -> Target {
        Target {
            name: "t".into(),
            kind: TargetKind::Webhook,
            url: Url::parse("https://h.example/").unwrap(),
            token: None,
            min_severity: Severity::Warning,
            events: events.iter().copied().collect::<BTreeSet<_>>(),
            cooldown: Duration::from_secs(300),
            has_recovery,
            priority: None,
            tags: Vec::new(),
            ca: None,
        }
    }

    fn ev(device: &str, kind: EventKind) -> Event {
        Event {
            device: device.parse().unwrap(),
            kind,
            at: SystemTime::UNIX_EPOCH,
            detail: None,
            seq: 1,
        }
    }

    /// Runs `decide` and, on `Send`, `commit` (as the alerter does when the queue has room).
    fn step(gate: &mut Gate, t: &Target, e: &Event, now: Instant) -> Decision {
        let d = gate.decide(t, e, now);
        if d == Decision::Send {
            gate.commit(e, now);
        }
        d
    }

    #[test]
    fn every_clearing_kind_is_paired_once() {
        let clears: BTreeSet<_> = EventKind::PAIRS.iter().map(|(_, c)| *c).collect();
        let raises: BTreeSet<_> = EventKind::PAIRS.iter().map(|(r, _)| *r).collect();
        assert_eq!(clears.len() + raises.len(), EventKind::ALL.len());
        assert_eq!(EventKind::OnLine.clears(), Some(EventKind::OnBattery));
        assert_eq!(EventKind::OnBattery.clears(), None);
    }

    #[test]
    fn filter_and_cooldown_per_device_and_kind() {
        use Decision::*;
        let t = target(&[EventKind::OnBattery, EventKind::LowBattery], false);
        let mut g = Gate::default();
        let t0 = Instant::now();
        let s = Duration::from_secs;
        assert_eq!(step(&mut g, &t, &ev("a", EventKind::Trim), t0), Skip);
        assert_eq!(step(&mut g, &t, &ev("a", EventKind::OnBattery), t0), Send);
        assert_eq!(
            step(&mut g, &t, &ev("a", EventKind::OnBattery), t0 + s(299)),
            Suppress
        );
        assert_eq!(
            step(&mut g, &t, &ev("b", EventKind::OnBattery), t0 + s(1)),
            Send
        );
        assert_eq!(
            step(&mut g, &t, &ev("a", EventKind::LowBattery), t0 + s(2)),
            Send
        );
        assert_eq!(
            step(&mut g, &t, &ev("a", EventKind::OnBattery), t0 + s(300)),
            Send
        );
        // Recovery off and on_line not enabled: never sent.
        assert_eq!(
            step(&mut g, &t, &ev("a", EventKind::OnLine), t0 + s(301)),
            Skip
        );
    }

    #[test]
    fn suppressed_events_do_not_restart_the_cooldown() {
        let t = target(&[EventKind::OnBattery], false);
        let mut g = Gate::default();
        let t0 = Instant::now();
        let s = Duration::from_secs;
        assert_eq!(
            step(&mut g, &t, &ev("a", EventKind::OnBattery), t0),
            Decision::Send
        );
        assert_eq!(
            step(&mut g, &t, &ev("a", EventKind::OnBattery), t0 + s(200)),
            Decision::Suppress
        );
        assert_eq!(
            step(&mut g, &t, &ev("a", EventKind::OnBattery), t0 + s(301)),
            Decision::Send
        );
    }

    #[test]
    fn recovery_follows_an_alerted_condition_with_its_own_cooldown() {
        use Decision::*;
        let t = target(&[EventKind::OnBattery], true);
        let mut g = Gate::default();
        let t0 = Instant::now();
        let s = Duration::from_secs;
        // Nothing was alerted: on_line is not for this target.
        assert_eq!(step(&mut g, &t, &ev("a", EventKind::OnLine), t0), Skip);
        assert_eq!(step(&mut g, &t, &ev("a", EventKind::OnBattery), t0), Send);
        // Another device's condition is separate.
        assert_eq!(
            step(&mut g, &t, &ev("b", EventKind::OnLine), t0 + s(1)),
            Skip
        );
        assert_eq!(
            step(&mut g, &t, &ev("a", EventKind::OnLine), t0 + s(10)),
            Send
        );
        // Closed: a second on_line has nothing to clear.
        assert_eq!(
            step(&mut g, &t, &ev("a", EventKind::OnLine), t0 + s(11)),
            Skip
        );
        // Flapping: on_battery is in its cooldown, so nothing opens and nothing recovers.
        assert_eq!(
            step(&mut g, &t, &ev("a", EventKind::OnBattery), t0 + s(20)),
            Suppress
        );
        assert_eq!(
            step(&mut g, &t, &ev("a", EventKind::OnLine), t0 + s(30)),
            Skip
        );
        // After the cooldown the condition opens again; its recovery has its own cooldown.
        assert_eq!(
            step(&mut g, &t, &ev("a", EventKind::OnBattery), t0 + s(300)),
            Send
        );
        assert_eq!(
            step(&mut g, &t, &ev("a", EventKind::OnLine), t0 + s(305)),
            Suppress
        );
        assert_eq!(
            step(&mut g, &t, &ev("a", EventKind::OnLine), t0 + s(311)),
            Send
        );
    }

    #[test]
    fn recovery_off_or_uncommitted_raise_sends_no_recovery() {
        let t = target(&[EventKind::OnBattery], true);
        let mut g = Gate::default();
        let now = Instant::now();
        // Decided but never committed (the queue was full): nothing is open.
        assert_eq!(
            g.decide(&t, &ev("a", EventKind::OnBattery), now),
            Decision::Send
        );
        assert_eq!(
            g.decide(&t, &ev("a", EventKind::OnLine), now),
            Decision::Skip
        );
        let off = target(&[EventKind::OnBattery], false);
        assert_eq!(
            step(&mut g, &off, &ev("a", EventKind::OnBattery), now),
            Decision::Send
        );
        assert_eq!(
            step(&mut g, &off, &ev("a", EventKind::OnLine), now),
            Decision::Skip
        );
    }

    #[test]
    fn explicitly_enabled_clearing_kinds_are_plain_events() {
        let t = target(&[EventKind::OnLine], false);
        let mut g = Gate::default();
        assert_eq!(
            step(&mut g, &t, &ev("a", EventKind::OnLine), Instant::now()),
            Decision::Send
        );
    }

    #[test]
    fn test_cooldown() {
        let t0 = Instant::now();
        let c = Duration::from_secs(10);
        assert_eq!(test_retry_after(None, t0, c), None);
        assert_eq!(
            test_retry_after(Some(t0), t0 + Duration::from_secs(3), c),
            Some(Duration::from_secs(7))
        );
        assert_eq!(test_retry_after(Some(t0), t0 + c, c), None);
    }
}
