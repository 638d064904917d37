//! History charts as inline SVG (no script, no inline style: colours come from `app.css`
//! through classes): one polyline of one value over the tracker's recent points, with a y axis
//! labelled at its bottom, middle and top and the first and last times on the x axis.
//!
//! Every coordinate is finite: empty series draw a "no data" note, a single point a dot, and a
//! flat series gets a band around its value.

use std::time::SystemTime;

use super::format::render_time;
use super::html::Html;
use crate::api::dto::rfc3339;
use crate::tracker::Point;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 180.0;
const LEFT: f64 = 60.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 28.0;

/// How a chart scales and labels its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// A 0..1 ratio shown as 0..100 % (higher if a value exceeds 100 %).
    Percent,
    /// Auto range from zero, labelled with `unit`.
    FromZero(&'static str),
    /// Auto range around the values, labelled with `unit`.
    Auto(&'static str),
}

/// One chart: what it shows and how.
#[derive(Debug, Clone, Copy)]
pub struct Chart {
    /// Element id (`chart-<id>`).
    pub id: &'static str,
    /// Caption.
    pub title: &'static str,
    /// The value charted.
    pub value: fn(&Point) -> Option<f64>,
    /// Range and unit.
    pub scale: Scale,
}

/// The four charts of a device page.
pub const DEVICE_CHARTS: [Chart; 4] = [
    Chart {
        id: "charge",
        title: "Battery charge",
        value: |p| p.charge_ratio,
        scale: Scale::Percent,
    },
    Chart {
        id: "load",
        title: "Load",
        value: |p| p.load_ratio,
        scale: Scale::Percent,
    },
    Chart {
        id: "power",
        title: "Real power",
        value: |p| p.real_power_watts,
        scale: Scale::FromZero("W"),
    },
    Chart {
        id: "voltage",
        title: "Input voltage",
        value: |p| p.input_voltage_volts,
        scale: Scale::Auto("V"),
    },
];

/// The finite values of `chart` in `points`, as (time, value in display units).
fn series(chart: &Chart, points: &[Point]) -> Vec<(SystemTime, f64)> {
    let factor = if chart.scale == Scale::Percent {
        100.0
    } else {
        1.0
    };
    points
        .iter()
        .filter_map(|p| Some((p.at, (chart.value)(p)? * factor)))
        .filter(|(_, v)| v.is_finite())
        .collect()
}

/// The y range (low, high) for `values`; never empty, never inverted.
fn y_range(scale: Scale, values: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let lo = values.clone().fold(f64::INFINITY, f64::min);
    let hi = values.fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
    match scale {
        Scale::Percent => (lo.min(0.0), hi.max(100.0)),
        Scale::FromZero(_) if hi - lo.min(0.0) < 1e-9 => (lo.min(0.0), lo.min(0.0) + 1.0),
        Scale::FromZero(_) => (lo.min(0.0), hi + (hi - lo.min(0.0)) * 0.05),
        Scale::Auto(_) if hi - lo < 1e-9 => (lo - 1.0, hi + 1.0),
        Scale::Auto(_) => (lo - (hi - lo) * 0.05, hi + (hi - lo) * 0.05),
    }
}

/// A y label; a narrow range (under 10 units) gets one decimal so its labels differ.
fn tick_label(scale: Scale, value: f64, range: f64) -> String {
    match scale {
        Scale::Percent => format!("{value:.0} %"),
        Scale::FromZero(unit) | Scale::Auto(unit) if range < 10.0 => format!("{value:.1} {unit}"),
        Scale::FromZero(unit) | Scale::Auto(unit) => format!("{value:.0} {unit}"),
    }
}

/// The `<figure>` with the SVG chart of `chart` over `points` (oldest first).
pub fn render_chart(chart: &Chart, points: &[Point]) -> Html {
    let data = series(chart, points);
    let (lo, hi) = y_range(chart.scale, data.iter().map(|(_, v)| *v));
    let (plot_w, plot_h) = (WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
    let y_of = |v: f64| TOP + plot_h * (1.0 - (v - lo) / (hi - lo));
    let first = data.first().map(|(t, _)| *t);
    let span = match (first, data.last()) {
        (Some(a), Some((b, _))) => b.duration_since(a).unwrap_or_default().as_secs_f64(),
        _ => 0.0,
    };
    let x_of = |t: SystemTime| match first {
        Some(a) if span > 0.0 => {
            LEFT + plot_w * t.duration_since(a).unwrap_or_default().as_secs_f64() / span
        }
        _ => LEFT + plot_w / 2.0,
    };
    let mut h = Html::new();
    h.raw("<figure class=\"chart-box\"><figcaption>")
        .text(chart.title)
        .raw("</figcaption><svg class=\"chart\" id=\"chart-")
        .text(chart.id)
        .raw("\" viewBox=\"0 0 640 180\" role=\"img\" aria-label=\"")
        .text(chart.title)
        .raw(" history\">");
    push_y_axis(&mut h, chart.scale, (lo, hi), &y_of);
    h.raw("<line class=\"axis\" x1=\"60\" y1=\"12\" x2=\"60\" y2=\"152\"/>")
        .raw("<line class=\"axis\" x1=\"60\" y1=\"152\" x2=\"628\" y2=\"152\"/>");
    push_series(&mut h, &data, &x_of, &y_of);
    if let (Some((a, _)), Some((b, _))) = (data.first(), data.last()) {
        h.raw("<text class=\"tick\" text-anchor=\"start\" x=\"60\" y=\"170\">")
            .text(&render_time(&rfc3339(*a)))
            .raw("</text><text class=\"tick\" text-anchor=\"end\" x=\"628\" y=\"170\">")
            .text(&render_time(&rfc3339(*b)))
            .raw("</text>");
    }
    h.raw("</svg></figure>");
    h
}

/// Grid lines and labels at the bottom, middle and top of the y range.
fn push_y_axis(h: &mut Html, scale: Scale, (lo, hi): (f64, f64), y_of: &dyn Fn(f64) -> f64) {
    for value in [lo, (lo + hi) / 2.0, hi] {
        let y = y_of(value);
        h.raw("<line class=\"grid\" x1=\"")
            .coord(LEFT)
            .raw("\" x2=\"")
            .coord(WIDTH - RIGHT)
            .raw("\" y1=\"")
            .coord(y)
            .raw("\" y2=\"")
            .coord(y)
            .raw("\"/><text class=\"tick\" text-anchor=\"end\" x=\"")
            .coord(LEFT - 6.0)
            .raw("\" y=\"")
            .coord(y + 4.0)
            .raw("\">")
            .text(&tick_label(scale, value, hi - lo))
            .raw("</text>");
    }
}

/// The values: a "no data" note, a dot, or a polyline.
fn push_series(
    h: &mut Html,
    data: &[(SystemTime, f64)],
    x_of: &dyn Fn(SystemTime) -> f64,
    y_of: &dyn Fn(f64) -> f64,
) {
    match data {
        [] => {
            h.raw("<text class=\"empty\" text-anchor=\"middle\" x=\"344\" y=\"86\">")
                .raw("No data yet</text>");
        }
        [(t, v)] => {
            h.raw("<circle class=\"dot\" r=\"3\" cx=\"")
                .coord(x_of(*t))
                .raw("\" cy=\"")
                .coord(y_of(*v))
                .raw("\"/>");
        }
        many => {
            h.raw("<polyline class=\"line\" points=\"");
            for (i, (t, v)) in many.iter().enumerate() {
                if i > 0 {
                    h.raw(" ");
                }
                h.coord(x_of(*t)).raw(",").coord(y_of(*v));
            }
            h.raw("\"/>");
        }
    }
}
