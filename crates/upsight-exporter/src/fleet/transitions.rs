//! The heartbeat client's log lines: one when a run of failures starts or changes its reason
//! (at ERROR when an operator must act), one when the plane answers again; repeats at DEBUG.
//! Never the token or the lease. Each failure is counted here too, next to its log line.

use std::time::Instant;

use reqwest::Url;

use super::{Failure, FleetStatus, Reason};

/// The current run of failures, if any.
#[derive(Debug, Default)]
pub(super) struct Transitions {
    failing: Option<Failing>,
}

#[derive(Debug)]
struct Failing {
    reason: Reason,
    since: Instant,
    count: u64,
}

impl Transitions {
    /// Counts a failed request to the plane at `url` and logs it when it starts a run of
    /// failures or changes the run's reason.
    pub(super) fn failed(
        &mut self,
        status: &FleetStatus,
        url: &Url,
        is_heartbeat: bool,
        failure: &Failure,
    ) {
        status.failed(is_heartbeat, failure.reason);
        let request = if is_heartbeat {
            "heartbeat"
        } else {
            "register"
        };
        let reason = failure.reason.as_str();
        let detail = &failure.detail;
        if let Some(failing) = &mut self.failing
            && failing.reason == failure.reason
        {
            failing.count += 1;
            tracing::debug!(request, reason, %detail, "Fleet request failed again.");
            return;
        }
        let (count, since) = self
            .failing
            .as_ref()
            .map_or((0, Instant::now()), |f| (f.count, f.since));
        self.failing = Some(Failing {
            reason: failure.reason,
            since,
            count: count + 1,
        });
        let advice = advice(failure.reason);
        match failure.reason {
            Reason::Unauthorized | Reason::Refused => {
                tracing::error!(%url, request, reason, %detail, "{advice}");
            }
            _ => tracing::warn!(%url, request, reason, %detail, "{advice}"),
        }
    }

    /// Logs the end of a run of failures, if one was going on.
    pub(super) fn recovered(&mut self, url: &Url) {
        if let Some(failing) = self.failing.take() {
            tracing::info!(
                %url,
                failures = failing.count,
                seconds = failing.since.elapsed().as_secs(),
                "The fleet plane answers again."
            );
        }
    }

    /// Whether a run of failures is going on.
    #[cfg(test)]
    fn is_failing(&self) -> bool {
        self.failing.is_some()
    }
}

/// What to do about a failure, as the log line's message.
fn advice(reason: Reason) -> &'static str {
    match reason {
        Reason::Connect | Reason::Timeout => {
            "The fleet plane is unreachable; retrying with backoff. Polling and /metrics are not affected."
        }
        Reason::HttpStatus => {
            "The fleet plane answered with an unexpected status; retrying with backoff. Polling and /metrics are not affected."
        }
        Reason::RateLimited => "The fleet plane asks to slow down; waiting for its Retry-After.",
        Reason::Unauthorized => {
            "The fleet plane refused the ingest token; check fleet.token or UPSIGHT_HEARTBEAT_TOKEN. Retrying with backoff."
        }
        Reason::Refused => {
            "The fleet plane refused the registration (invalid document or no room for another member); retrying with backoff."
        }
        Reason::UnknownMember => {
            "The fleet plane does not know this member (restarted without its state?); registering again."
        }
        Reason::LeaseMismatch => {
            "The fleet plane holds another lease for this identity (another exporter with the same identity, or a lost lease); registering again without the lease once the plane lets it go."
        }
        Reason::InvalidResponse => "The fleet plane's answer is invalid; retrying with backoff.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_of_failures_is_counted_and_ends_with_a_success() {
        let status = FleetStatus::default();
        let url: Url = "http://127.0.0.1:9/".parse().unwrap();
        let mut t = Transitions::default();
        let failure = |reason| Failure {
            reason,
            retry_after: None,
            detail: "the plane answered 500".into(),
        };
        t.failed(&status, &url, true, &failure(Reason::HttpStatus));
        t.failed(&status, &url, true, &failure(Reason::HttpStatus));
        t.failed(&status, &url, false, &failure(Reason::Connect));
        assert!(t.is_failing());
        assert_eq!(
            t.failing.as_ref().map(|f| (f.reason, f.count)),
            Some((Reason::Connect, 3))
        );
        assert_eq!(status.failures(Reason::HttpStatus), 2);
        assert_eq!(status.counters().registrations[1], (false, 1));
        t.recovered(&url);
        assert!(!t.is_failing());
        for reason in Reason::ALL {
            assert!(advice(reason).ends_with('.'), "{reason:?}");
        }
    }
}
