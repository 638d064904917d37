//! The plane's own metrics (`GET /metrics`, viewer-gated), in the OpenMetrics text format.
//!
//! Fleet-wide gauges are computed from the registry at scrape time; counters count since
//! start (they are not persisted: Prometheus expects counters to restart at zero). No member
//! identity, group name or address is ever a label: those are in the read API.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use upsight_http::{DropReason, SecurityCounters};

use crate::FleetView;

/// How a registration ended (`upsight_fleet_registrations_total{result}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RegisterResult {
    /// A new member got a number.
    New,
    /// A known member registered again (lease renewed).
    Renewed,
    /// Refused: lease mismatch (409) or the registry is full (403).
    Refused,
    /// The body was not a valid registration (400).
    Invalid,
}

impl RegisterResult {
    const ALL: [(Self, &'static str); 4] = [
        (Self::New, "new"),
        (Self::Renewed, "renewed"),
        (Self::Refused, "refused"),
        (Self::Invalid, "invalid"),
    ];
}

/// How a heartbeat ended (`upsight_fleet_heartbeats_total{result}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HeartbeatResult {
    /// 204.
    Accepted,
    /// 404: the member registers again.
    UnknownMember,
    /// 409.
    LeaseMismatch,
    /// 429 from the per-member limit.
    RateLimited,
    /// 400.
    Invalid,
    /// 401 (or 429 from the failure budget).
    Unauthorized,
}

impl HeartbeatResult {
    const ALL: [(Self, &'static str); 6] = [
        (Self::Accepted, "accepted"),
        (Self::UnknownMember, "unknown_member"),
        (Self::LeaseMismatch, "lease_mismatch"),
        (Self::RateLimited, "rate_limited"),
        (Self::Invalid, "invalid"),
        (Self::Unauthorized, "unauthorized"),
    ];
}

/// Counters since start.
#[derive(Debug, Default)]
pub(crate) struct PlaneMetrics {
    registrations: [AtomicU64; RegisterResult::ALL.len()],
    heartbeats: [AtomicU64; HeartbeatResult::ALL.len()],
    saves_ok: AtomicU64,
    saves_failed: AtomicU64,
    /// Unix seconds of the last successful save; 0 before it.
    last_save_unix: AtomicU64,
}

impl PlaneMetrics {
    pub(crate) fn register(&self, result: RegisterResult) {
        self.registrations[result as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn heartbeat(&self, result: HeartbeatResult) {
        self.heartbeats[result as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn saved(&self, at_unix: u64) {
        self.saves_ok.fetch_add(1, Ordering::Relaxed);
        self.last_save_unix.store(at_unix, Ordering::Relaxed);
    }

    pub(crate) fn save_failed(&self) {
        self.saves_failed.fetch_add(1, Ordering::Relaxed);
    }

    /// How many heartbeats ended with `result` (for tests and the bench).
    #[cfg(test)]
    pub(crate) fn heartbeats(&self, result: HeartbeatResult) -> u64 {
        self.heartbeats[result as usize].load(Ordering::Relaxed)
    }
}

/// Everything one scrape shows.
pub(crate) struct Scrape<'a> {
    pub(crate) fleet: &'a FleetView,
    pub(crate) conflicts_total: u64,
    pub(crate) metrics: &'a PlaneMetrics,
    pub(crate) security: &'a SecurityCounters,
    pub(crate) is_persistent: bool,
}

/// Renders `scrape` as OpenMetrics text, ending in `# EOF`.
pub(crate) fn render(scrape: &Scrape<'_>) -> String {
    let mut out = String::with_capacity(4096);
    let t = &scrape.fleet.totals;
    let mut family = |name: &str, kind: &str, help: &str, samples: &[(&str, u64)]| {
        let _ = writeln!(out, "# TYPE {name} {kind}\n# HELP {name} {help}");
        let sample_name = if kind == "counter" {
            format!("{name}_total")
        } else {
            name.to_owned()
        };
        for (labels, value) in samples {
            let _ = writeln!(out, "{sample_name}{labels} {value}");
        }
    };
    let n = |v: usize| u64::try_from(v).unwrap_or(u64::MAX);
    family(
        "upsight_fleet_members",
        "gauge",
        "Registered members by health (up: heard from within 1.5 intervals; down: beyond the TTL).",
        &[
            ("{health=\"up\"}", n(t.members_up)),
            ("{health=\"stale\"}", n(t.members_stale)),
            ("{health=\"down\"}", n(t.members_down)),
        ],
    );
    family(
        "upsight_fleet_groups",
        "gauge",
        "Groups (sites) with at least one member.",
        &[("", n(scrape.fleet.groups.len()))],
    );
    family(
        "upsight_fleet_upses",
        "gauge",
        "UPSes reported by all members.",
        &[("", n(t.upses))],
    );
    for (name, help, value) in [
        (
            "upsight_fleet_upses_on_battery",
            "UPSes on battery (status OB) in their member's latest heartbeat.",
            t.upses_on_battery,
        ),
        (
            "upsight_fleet_upses_low_runtime",
            "UPSes with less runtime left than the plane's low-runtime threshold.",
            t.upses_low_runtime,
        ),
        (
            "upsight_fleet_upses_stale",
            "UPSes whose data is stale (device stale or member late).",
            t.upses_stale,
        ),
        (
            "upsight_fleet_upses_down",
            "UPSes down (device not polled or member down).",
            t.upses_down,
        ),
    ] {
        family(name, "gauge", help, &[("", n(value))]);
    }
    family(
        "upsight_fleet_identity_conflicts",
        "counter",
        "Requests for one identity from two addresses within a TTL (two exporters sharing an identity).",
        &[("", scrape.conflicts_total)],
    );
    let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let by_result = |all: &[(usize, &str)], counts: &[AtomicU64]| -> Vec<(String, u64)> {
        all.iter()
            .map(|(i, label)| (format!("{{result=\"{label}\"}}"), load(&counts[*i])))
            .collect()
    };
    let registrations = by_result(
        &RegisterResult::ALL.map(|(r, l)| (r as usize, l)),
        &scrape.metrics.registrations,
    );
    let heartbeats = by_result(
        &HeartbeatResult::ALL.map(|(r, l)| (r as usize, l)),
        &scrape.metrics.heartbeats,
    );
    family(
        "upsight_fleet_registrations",
        "counter",
        "Registrations by result.",
        &registrations
            .iter()
            .map(|(l, v)| (l.as_str(), *v))
            .collect::<Vec<_>>(),
    );
    family(
        "upsight_fleet_heartbeats",
        "counter",
        "Heartbeats by result.",
        &heartbeats
            .iter()
            .map(|(l, v)| (l.as_str(), *v))
            .collect::<Vec<_>>(),
    );
    if scrape.is_persistent {
        family(
            "upsight_fleet_state_saves",
            "counter",
            "State file writes by result (coalesced, at most one per second).",
            &[
                ("{result=\"ok\"}", load(&scrape.metrics.saves_ok)),
                ("{result=\"error\"}", load(&scrape.metrics.saves_failed)),
            ],
        );
        family(
            "upsight_fleet_state_last_save_timestamp_seconds",
            "gauge",
            "When the state file was last written, seconds since the Unix epoch (0: not yet).",
            &[("", load(&scrape.metrics.last_save_unix))],
        );
    }
    family(
        "upsight_http_auth_failures",
        "counter",
        "Requests refused by authentication (401/403).",
        &[("{surface=\"fleet\"}", scrape.security.auth_failures())],
    );
    family(
        "upsight_http_rate_limited",
        "counter",
        "Requests refused with 429.",
        &[("{surface=\"fleet\"}", scrape.security.rate_limited())],
    );
    family(
        "upsight_http_misdirected",
        "counter",
        "Requests refused with 421: they named a host this server does not answer for.",
        &[("{surface=\"fleet\"}", scrape.security.misdirected())],
    );
    let dropped: Vec<(String, u64)> = DropReason::ALL
        .iter()
        .map(|r| {
            let labels = format!("{{surface=\"fleet\",reason=\"{}\"}}", r.as_str());
            (labels, scrape.security.dropped(*r))
        })
        .collect();
    family(
        "upsight_http_connections_dropped",
        "counter",
        "Connections closed without being served normally, by reason (over_cap, \
         header_timeout, head_too_large, write_stall).",
        &dropped
            .iter()
            .map(|(l, v)| (l.as_str(), *v))
            .collect::<Vec<_>>(),
    );
    out.push_str("# EOF\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Totals;

    #[test]
    fn renders_every_family_once_with_counters_as_total() {
        let metrics = PlaneMetrics::default();
        metrics.register(RegisterResult::New);
        metrics.heartbeat(HeartbeatResult::Accepted);
        metrics.heartbeat(HeartbeatResult::Accepted);
        metrics.heartbeat(HeartbeatResult::UnknownMember);
        metrics.saved(1_767_225_600);
        let fleet = FleetView {
            totals: Totals {
                members: 3,
                members_up: 2,
                members_down: 1,
                upses: 4,
                upses_on_battery: 1,
                ..Totals::default()
            },
            groups: Vec::new(),
        };
        let security = SecurityCounters::default();
        let text = render(&Scrape {
            fleet: &fleet,
            conflicts_total: 5,
            metrics: &metrics,
            security: &security,
            is_persistent: true,
        });
        for line in [
            "upsight_fleet_members{health=\"up\"} 2",
            "upsight_fleet_members{health=\"down\"} 1",
            "upsight_fleet_upses 4",
            "upsight_fleet_upses_on_battery 1",
            "upsight_fleet_identity_conflicts_total 5",
            "upsight_fleet_registrations_total{result=\"new\"} 1",
            "upsight_fleet_heartbeats_total{result=\"accepted\"} 2",
            "upsight_fleet_heartbeats_total{result=\"unknown_member\"} 1",
            "upsight_fleet_state_saves_total{result=\"ok\"} 1",
            "upsight_fleet_state_last_save_timestamp_seconds 1767225600",
            "upsight_http_auth_failures_total{surface=\"fleet\"} 0",
            "upsight_http_misdirected_total{surface=\"fleet\"} 0",
            "upsight_http_connections_dropped_total{surface=\"fleet\",reason=\"over_cap\"} 0",
            "upsight_http_connections_dropped_total{surface=\"fleet\",reason=\"write_stall\"} 0",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing:\n{text}");
        }
        assert!(text.ends_with("# EOF\n"));
        let types = text.lines().filter(|l| l.starts_with("# TYPE ")).count();
        let helps = text.lines().filter(|l| l.starts_with("# HELP ")).count();
        assert_eq!(types, helps);
        let mut names: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# TYPE "))
            .map(|l| l.split(' ').next().unwrap_or(""))
            .collect();
        let all = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all, "a family is declared twice");
        assert_eq!(metrics.heartbeats(HeartbeatResult::Accepted), 2);
        let memory = render(&Scrape {
            is_persistent: false,
            ..Scrape {
                fleet: &fleet,
                conflicts_total: 0,
                metrics: &metrics,
                security: &security,
                is_persistent: true,
            }
        });
        assert!(!memory.contains("upsight_fleet_state_saves"));
    }
}
