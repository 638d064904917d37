//! The device page (`GET /devices/{name}`): the live readout, every sample of the latest reading
//! with its metric name, phase, outlet and unit, non-identifying device facts (never serial,
//! location or contact), history charts, and the device's events, outages and energy.

use std::time::SystemTime;

use upsight_model::{Day, DeviceState, EnergyMeter, Event, JOULES_PER_KWH, Outage, Outcome};

use super::chart::{DEVICE_CHARTS, render_chart};
use super::devices::{render_badge, render_readout};
use super::events::render_table;
use super::format::{MISSING, render_duration, render_percent, render_sample, render_time};
use super::html::{Html, Nav, render_page};
use crate::api::dto::{DeviceDetail, OutageDto};
use crate::tracker::Point;

/// Events shown on a device page.
pub const DEVICE_EVENTS: usize = 50;

/// Everything a device page shows.
#[derive(Debug)]
pub struct DeviceView<'a> {
    /// The device.
    pub device: &'a DeviceState,
    /// Its API detail (samples, counters).
    pub detail: &'a DeviceDetail,
    /// Chart points, oldest first.
    pub points: &'a [Point],
    /// Its latest events, oldest first.
    pub events: &'a [Event],
    /// Its outages, oldest first (the open one last).
    pub outages: &'a [Outage],
    /// Its energy meter, if it has one.
    pub energy: Option<&'a EnergyMeter>,
    /// Price of one kWh, if configured.
    pub price_per_kwh: Option<f64>,
    /// Now, for today's energy.
    pub now: SystemTime,
}

/// The device page.
pub fn render_device_page(v: &DeviceView<'_>) -> String {
    let d = &v.detail.summary;
    let mut h = Html::new();
    h.raw("<section class=\"device\" data-device=\"")
        .text(&d.name)
        .raw("\"><header class=\"title\">")
        .element("<h1>", &d.name, "</h1>")
        .html(&render_badge(d))
        .element("<span class=\"source\">", d.source, "</span></header>");
    if let Outcome::Failed { reason, detail } = &v.device.outcome {
        h.raw("<p class=\"error\">Latest poll failed (")
            .text(reason.as_str())
            .raw("): ")
            .text(detail)
            .raw("</p>");
    }
    h.html(&render_readout(d))
        .raw("<h2 id=\"history\">History</h2><div class=\"charts\">");
    for chart in &DEVICE_CHARTS {
        h.html(&render_chart(chart, v.points));
    }
    h.raw("</div><h2 id=\"events\">Events</h2>")
        .html(&render_table(v.events, &format!("device={}", d.name)))
        .html(&render_outages(v.outages))
        .html(&render_energy(v))
        .html(&render_samples(v.detail))
        .html(&render_facts(v))
        .raw("</section>");
    let mut attrs = Html::new();
    attrs.raw(" data-poll=\"device\"");
    render_page(&d.name, Nav::Devices, &attrs, &h)
}

/// Manufacturer, model, firmware, driver, type and poll facts. Identity (serial, location,
/// contact) is never read here: it is PII (design.md §4.3).
fn render_facts(v: &DeviceView<'_>) -> Html {
    let info = v.device.reading.as_ref().map(|r| &r.info);
    let field = |f: fn(&upsight_model::DeviceInfo) -> &String| {
        info.map(f)
            .filter(|s| !s.is_empty())
            .map_or(MISSING, String::as_str)
            .to_owned()
    };
    let last = v.detail.summary.last_success.as_deref().map(render_time);
    let rows = [
        ("Manufacturer", field(|i| &i.manufacturer)),
        ("Model", field(|i| &i.model)),
        ("Firmware", field(|i| &i.firmware)),
        ("Driver", field(|i| &i.driver)),
        ("Type", field(|i| &i.device_type)),
        ("Last success", last.unwrap_or_else(|| MISSING.to_owned())),
        ("Polls", v.detail.polls.to_string()),
        (
            "Last poll took",
            format!("{:.0} ms", v.detail.last_poll_seconds * 1000.0),
        ),
    ];
    let mut h = Html::new();
    h.raw("<h2 id=\"device\">Device</h2><table class=\"kv\"><tbody>");
    for (label, value) in rows {
        let open = match label {
            "Last success" => "<td data-field=\"last_success\">",
            "Polls" => "<td data-field=\"polls\">",
            _ => "<td>",
        };
        h.element("<tr><th>", label, "</th>")
            .element(open, &value, "</td></tr>");
    }
    h.raw("</tbody></table>");
    h
}

/// Every sample with its metric, phase and outlet; `data-sample` is the live script's key.
fn render_samples(detail: &DeviceDetail) -> Html {
    let mut h = Html::new();
    h.raw("<h2 id=\"readings\">Readings</h2>");
    if detail.samples.is_empty() {
        h.raw("<p class=\"empty\">No fresh reading.</p>");
        return h;
    }
    h.raw("<table class=\"samples\"><thead><tr><th>Metric</th><th>Phase</th><th>Outlet</th>")
        .raw("<th>Value</th></tr></thead><tbody>");
    for s in &detail.samples {
        let (phase, outlet) = (s.phase.as_deref(), s.outlet.as_deref());
        let key = format!(
            "{}|{}|{}",
            s.metric,
            phase.unwrap_or_default(),
            outlet.unwrap_or_default()
        );
        h.element("<tr><td><code>", s.metric, "</code></td>")
            .element("<td>", phase.unwrap_or(MISSING), "</td>")
            .element("<td>", outlet.unwrap_or(MISSING), "</td>")
            .raw("<td data-sample=\"")
            .text(&key)
            .raw("\">")
            .text(&render_sample(s.metric, s.value))
            .raw("</td></tr>");
    }
    h.raw("</tbody></table>");
    if detail.is_real_power_estimated {
        h.raw("<p class=\"note\">Real power is estimated (nominal power × load).</p>");
    }
    h
}

fn render_outages(outages: &[Outage]) -> Html {
    let mut h = Html::new();
    h.raw("<h2 id=\"outages\">Outages</h2>");
    if outages.is_empty() {
        h.raw("<p class=\"empty\">No outages recorded.</p>");
        return h;
    }
    h.raw("<table class=\"outages\"><thead><tr><th>Start</th><th>End</th><th>Duration</th>")
        .raw("<th>Lowest charge</th><th>Lowest runtime</th></tr></thead><tbody>");
    for o in outages.iter().rev().map(OutageDto::from) {
        let end = o
            .end
            .as_deref()
            .map_or_else(|| "ongoing".to_owned(), render_time);
        h.element("<tr><td>", &render_time(&o.start), "</td>")
            .element("<td>", &end, "</td>")
            .element("<td>", &render_duration(Some(o.duration_seconds)), "</td>")
            .element("<td>", &render_percent(o.min_charge_ratio), "</td>")
            .element(
                "<td>",
                &render_duration(o.min_runtime_seconds),
                "</td></tr>",
            );
    }
    h.raw("</tbody></table>");
    h
}

fn render_energy(v: &DeviceView<'_>) -> Html {
    let mut h = Html::new();
    h.raw("<h2 id=\"energy\">Energy</h2>");
    let Some(meter) = v.energy else {
        h.raw("<p class=\"empty\">No energy measured yet.</p>");
        return h;
    };
    let today = meter.joules_on(Day::of(v.now, meter.config().utc_offset_seconds));
    let mut rows = vec![
        ("Total", format!("{:.3} kWh", meter.total_kwh())),
        ("Today", format!("{:.3} kWh", today / JOULES_PER_KWH)),
    ];
    if let Some(price) = v.price_per_kwh.filter(|p| p.is_finite()) {
        rows.push(("Cost, total", format!("{:.2}", meter.cost(price))));
        rows.push((
            "Cost, today",
            format!("{:.2}", upsight_model::cost(today, price)),
        ));
    }
    h.raw("<table class=\"kv energy\"><tbody>");
    for (label, value) in rows {
        h.element("<tr><th>", label, "</th>")
            .element("<td>", &value, "</td></tr>");
    }
    h.raw("</tbody></table>");
    h
}
