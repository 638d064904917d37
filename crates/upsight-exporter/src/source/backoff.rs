//! Jittered exponential backoff for reconnects, so many exporters do not reconnect in step.

use std::time::Duration;

/// Exponential backoff: `base × 2^attempt`, capped, with ±20 % jitter.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    attempt: u32,
}

impl Backoff {
    /// Backoff starting at `base`, never above `cap`.
    pub fn new(base: Duration, cap: Duration) -> Self {
        Self {
            base,
            cap,
            attempt: 0,
        }
    }

    /// The next delay; each call doubles the un-jittered delay up to the cap.
    pub fn next_delay(&mut self) -> Duration {
        let factor = 2u32.saturating_pow(self.attempt.min(16));
        self.attempt = self.attempt.saturating_add(1);
        let delay = self.base.saturating_mul(factor).min(self.cap);
        delay.mul_f64(0.8 + 0.4 * fastrand::f64())
    }

    /// Back to the base delay after a success.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_caps_jitters_and_resets() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(2));
        let first = b.next_delay();
        assert!((80..=120).contains(&first.as_millis()), "{first:?}");
        let second = b.next_delay();
        assert!((160..=240).contains(&second.as_millis()), "{second:?}");
        for _ in 0..40 {
            assert!(b.next_delay() <= Duration::from_millis(2400));
        }
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(120));
    }
}
