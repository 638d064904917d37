//! When the heartbeat client sends: heartbeats jittered ±10 % around the plane's interval, and
//! retries after a failure (the plane's `Retry-After` for a 429, else an exponential backoff
//! capped at the interval). Pure but for the jitter of [`Backoff`].

use std::time::Duration;

use super::Failure;
use crate::source::backoff::Backoff;

/// Heartbeats are spread ±10 % around the interval, so members do not send in step.
pub const JITTER: f64 = 0.1;
/// The first retry delay after a failure.
pub const BACKOFF_BASE: Duration = Duration::from_secs(1);
/// The longest retry delay before the plane has told its interval.
pub const BACKOFF_CAP_UNREGISTERED: Duration = Duration::from_secs(60);
/// The longest `Retry-After` honoured (a hostile plane cannot park the client for years).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// How long to wait after `failure`: `Retry-After` for a 429 (1 s to [`MAX_RETRY_AFTER`]),
/// else the next backoff delay.
pub fn retry_delay(backoff: &mut Backoff, failure: &Failure) -> Duration {
    match failure.retry_after {
        Some(wait) => wait.clamp(BACKOFF_BASE, MAX_RETRY_AFTER),
        None => backoff.next_delay(),
    }
}

/// Retry delays from [`BACKOFF_BASE`], doubling (±20 % jitter), capped at the heartbeat
/// `interval` once the plane told it, at [`BACKOFF_CAP_UNREGISTERED`] before.
pub fn backoff_for(interval: Option<Duration>) -> Backoff {
    let cap = interval.map_or(BACKOFF_CAP_UNREGISTERED, |i| i.max(BACKOFF_BASE));
    Backoff::new(BACKOFF_BASE, cap)
}

/// `interval` spread by ±[`JITTER`]: `unit` 0 gives 0.9 × interval, 1 gives 1.1 ×.
pub fn jittered(interval: Duration, unit: f64) -> Duration {
    let unit = if unit.is_finite() {
        unit.clamp(0.0, 1.0)
    } else {
        0.5
    };
    interval.mul_f64(1.0 - JITTER + 2.0 * JITTER * unit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::Reason;

    #[test]
    fn heartbeats_are_jittered_within_ten_percent() {
        let second = Duration::from_secs(1);
        assert_eq!(jittered(second, 0.0), Duration::from_millis(900));
        assert_eq!(jittered(second, 1.0), Duration::from_millis(1100));
        assert_eq!(jittered(second, 0.5), second);
        assert_eq!(jittered(second, f64::NAN), second);
        assert_eq!(jittered(second, 7.0), Duration::from_millis(1100));
        for _ in 0..1000 {
            let d = jittered(Duration::from_secs(15), fastrand::f64());
            assert!((13_500..=16_500).contains(&d.as_millis()), "{d:?}");
        }
    }

    #[test]
    fn backoff_is_capped_at_the_interval_once_known() {
        let mut before = backoff_for(None);
        let mut after = backoff_for(Some(Duration::from_secs(15)));
        let first = before.next_delay();
        assert!(
            (800..=1200).contains(&first.as_millis()),
            "starts at 1 s: {first:?}"
        );
        for _ in 0..30 {
            assert!(before.next_delay() <= Duration::from_secs(72));
            assert!(after.next_delay() <= Duration::from_secs(18));
        }
        let late = after.next_delay();
        assert!(late >= Duration::from_secs(12), "reaches the cap: {late:?}");
    }

    #[test]
    fn retry_after_is_honoured_within_bounds() {
        let mut backoff = backoff_for(Some(Duration::from_secs(15)));
        let limited = |seconds| Failure {
            reason: Reason::RateLimited,
            retry_after: Some(Duration::from_secs(seconds)),
            detail: String::new(),
        };
        assert_eq!(
            retry_delay(&mut backoff, &limited(7)),
            Duration::from_secs(7)
        );
        assert_eq!(retry_delay(&mut backoff, &limited(0)), BACKOFF_BASE);
        assert_eq!(
            retry_delay(&mut backoff, &limited(1 << 40)),
            MAX_RETRY_AFTER
        );
        let other = Failure {
            reason: Reason::Connect,
            retry_after: None,
            detail: String::new(),
        };
        assert!(retry_delay(&mut backoff, &other) <= Duration::from_millis(1200));
    }
}
