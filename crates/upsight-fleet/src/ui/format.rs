//! How fleet values read on the pages: health badges (with a sort rank), ages, UTC times, and
//! which devices are on battery or low on runtime. `assets/app.js` mirrors these rules
//! exactly, so a value refreshed in place reads the same as the server-rendered one; the
//! generic ones (percent, duration, units) are `upsight_http::html`'s.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use upsight_http::html::{MISSING, render_duration, render_unit};
use upsight_model::DeviceSummaryV1;

use crate::MemberHealth;

/// The first second that RFC 3339 cannot write with four year digits (year 10000).
const YEAR_10000_UNIX: u64 = 253_402_300_800;

/// The CSS class suffix and text of a health badge (`badge-up`, `up`).
pub(crate) fn health_text(health: MemberHealth) -> &'static str {
    match health {
        MemberHealth::Up => "up",
        MemberHealth::Stale => "stale",
        MemberHealth::Down => "down",
    }
}

/// The health as a sort key: worst last when ascending (up 0, stale 1, down 2).
pub(crate) fn health_rank(health: MemberHealth) -> u8 {
    match health {
        MemberHealth::Up => 0,
        MemberHealth::Stale => 1,
        MemberHealth::Down => 2,
    }
}

/// Whole seconds from `unix` to `now`, 0 for a time ahead of `now`.
pub(crate) fn age_seconds(now: SystemTime, unix: u64) -> u64 {
    let now = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    now.saturating_sub(unix)
}

/// How long ago `unix` was: `12 s ago`, `3 min 5 s ago`, `2 h 3 min ago`.
pub(crate) fn render_age(now: SystemTime, unix: u64) -> String {
    // u64 seconds to f64 rounds only beyond 2^53 s, far past any heartbeat.
    format!(
        "{} ago",
        render_duration(Some(age_seconds(now, unix) as f64))
    )
}

/// A Unix time as `2026-01-01 12:00:00 UTC`, or [`MISSING`] beyond year 9999.
pub(crate) fn render_unix_time(unix: Option<u64>) -> String {
    let Some(at) = unix
        .filter(|u| *u < YEAR_10000_UNIX)
        .and_then(|u| UNIX_EPOCH.checked_add(Duration::from_secs(u)))
    else {
        return MISSING.to_owned();
    };
    humantime::format_rfc3339_seconds(at)
        .to_string()
        .replacen('T', " ", 1)
        .replace('Z', " UTC")
}

/// Real power in whole watts: `311 W`. Rounded before formatting, half up as JavaScript's
/// `Math.round` does: formatting alone rounds an exact half to even (`310.5` → `310`), and
/// heartbeats carry 0.1 W steps, so exact halves happen.
pub(crate) fn render_watts(watts: Option<f64>) -> String {
    render_unit(watts.map(f64::round), 0, "W")
}

/// The status flags as one line, or [`MISSING`].
pub(crate) fn render_flags(status: &[String]) -> String {
    if status.is_empty() {
        MISSING.to_owned()
    } else {
        status.join(" ")
    }
}

/// Whether `device` of a member in `health` counts as on battery: it reported a fresh reading
/// with `OB`, and its member is not down (the rule of [`Totals`](crate::Totals)).
pub(crate) fn is_on_battery(health: MemberHealth, device: &DeviceSummaryV1) -> bool {
    is_counted(health, device) && device.status.iter().any(|s| s == "OB")
}

/// Whether `device` counts as low on runtime: below `low_runtime`, by the same rule.
pub(crate) fn is_low_runtime(
    health: MemberHealth,
    device: &DeviceSummaryV1,
    low_runtime: Duration,
) -> bool {
    is_counted(health, device)
        && device
            .runtime_seconds
            .is_some_and(|r| r < low_runtime.as_secs_f64())
}

fn is_counted(health: MemberHealth, device: &DeviceSummaryV1) -> bool {
    health.of_device(device) != MemberHealth::Down && device.is_up
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(unix: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(unix)
    }

    #[test]
    fn ages_and_times() {
        assert_eq!(render_age(at(1_000), 988), "12 s ago");
        assert_eq!(render_age(at(1_000), 815), "3 min 5 s ago");
        assert_eq!(render_age(at(10_000), 2_620), "2 h 3 min ago");
        assert_eq!(render_age(at(1_000), 2_000), "0 s ago", "clock ahead");
        assert_eq!(
            render_unix_time(Some(1_767_225_600)),
            "2026-01-01 00:00:00 UTC"
        );
        assert_eq!(render_unix_time(None), MISSING);
        assert_eq!(render_unix_time(Some(YEAR_10000_UNIX)), MISSING);
        assert_eq!(render_unix_time(Some(u64::MAX)), MISSING);
        assert_eq!(
            render_unix_time(Some(YEAR_10000_UNIX - 1)),
            "9999-12-31 23:59:59 UTC"
        );
    }

    #[test]
    fn health_reads_and_ranks() {
        let all = [MemberHealth::Up, MemberHealth::Stale, MemberHealth::Down];
        let texts: Vec<_> = all.map(health_text).into();
        assert_eq!(texts, ["up", "stale", "down"]);
        let ranks: Vec<_> = all.map(health_rank).into();
        assert_eq!(ranks, [0, 1, 2]);
        assert_eq!(render_flags(&[]), MISSING);
        assert_eq!(render_watts(Some(310.5)), "311 W");
        assert_eq!(render_watts(Some(2.5)), "3 W");
        assert_eq!(render_watts(None), MISSING);
        assert_eq!(render_flags(&["OB".into(), "LB".into()]), "OB LB");
    }
}
