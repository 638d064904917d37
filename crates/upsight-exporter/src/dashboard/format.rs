//! How values read on the dashboard: percentages, durations, watts, volts, times, and the state
//! badge. `assets/app.js` mirrors these rules exactly (same rounding, same texts), so a value
//! refreshed in place reads the same as the server-rendered one.

use crate::api::dto::DeviceSummary;

pub use upsight_http::html::{MISSING, render_duration, render_percent, render_unit};

/// Real power: `250 W`.
pub fn render_watts(watts: Option<f64>) -> String {
    render_unit(watts, 0, "W")
}

/// Voltage: `230.0 V`.
pub fn render_volts(volts: Option<f64>) -> String {
    render_unit(volts, 1, "V")
}

/// A sample value, by the unit suffix of its metric name (the exporter's naming rule puts the
/// unit last: `_ratio`, `_seconds`, `_volts`…).
pub fn render_sample(metric: &str, value: f64) -> String {
    let v = Some(value);
    let unit = metric.rsplit('_').next().unwrap_or_default();
    match unit {
        "ratio" => render_unit(v.map(|r| r * 100.0), 1, "%"),
        "seconds" => render_duration(v),
        "volts" => render_unit(v, 1, "V"),
        "amperes" => render_unit(v, 2, "A"),
        "hertz" => render_unit(v, 1, "Hz"),
        "watts" => render_unit(v, 0, "W"),
        "voltamperes" => render_unit(v, 0, "VA"),
        "celsius" => render_unit(v, 1, "°C"),
        _ => render_unit(v, 2, ""),
    }
}

/// An RFC 3339 time as `2026-05-01 12:00:05 UTC`.
pub fn render_time(rfc3339: &str) -> String {
    rfc3339.replacen('T', " ", 1).replace('Z', " UTC")
}

/// The state badge of a device: CSS class suffix and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Badge {
    /// `ol`, `ob`, `lb`, `off`, `up`, `stale`, `down` or `pending` (class `badge-<kind>`).
    pub kind: &'static str,
    /// What it says.
    pub text: String,
}

/// The badge for `d`: stale and down (with the failure reason) first, then LB and OFF (red),
/// OB (amber), OL (green).
pub fn badge(d: &DeviceSummary) -> Badge {
    let (kind, text) = if d.is_stale {
        ("stale", "stale".to_owned())
    } else if !d.is_up {
        match d.outcome {
            "pending" => ("pending", "pending".to_owned()),
            reason => ("down", format!("down: {reason}")),
        }
    } else {
        let has = |flag: &str| d.status.iter().any(|s| s == flag);
        match ["LB", "OFF", "OB", "OL"].into_iter().find(|f| has(f)) {
            Some("LB") => ("lb", "LB".to_owned()),
            Some("OFF") => ("off", "OFF".to_owned()),
            Some("OB") => ("ob", "OB".to_owned()),
            Some(_) => ("ol", "OL".to_owned()),
            None => ("up", "up".to_owned()),
        }
    };
    Badge { kind, text }
}

/// The status flags as one line, or [`MISSING`].
pub fn render_flags(status: &[String]) -> String {
    if status.is_empty() {
        MISSING.to_owned()
    } else {
        status.join(" ")
    }
}
