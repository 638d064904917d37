//! The device list (`GET /`): one card per device with its state badge and the headline values.
//! Cards and the values in them carry `data-device` and `data-field`, the hooks the live script
//! updates from `GET /api/v1/devices`; the device page reuses the same readout.

use upsight_model::Snapshot;

use super::format::{
    badge, render_duration, render_flags, render_percent, render_volts, render_watts,
};
use super::html::{Html, Nav, render_page};
use crate::api::dto::DeviceSummary;

/// The state badge, with its `data-field` hook.
pub fn render_badge(d: &DeviceSummary) -> Html {
    let b = badge(d);
    let mut h = Html::new();
    h.raw("<span class=\"badge badge-")
        .text(b.kind)
        .raw("\" data-field=\"badge\">")
        .text(&b.text)
        .raw("</span>");
    h
}

/// The headline values as a definition list: charge, runtime, load, power, input voltage and
/// the status flags.
pub fn render_readout(d: &DeviceSummary) -> Html {
    let rows: [(&'static str, &'static str, String); 6] = [
        (
            "Charge",
            "<dd data-field=\"charge\">",
            render_percent(d.charge_ratio),
        ),
        (
            "Runtime",
            "<dd data-field=\"runtime\">",
            render_duration(d.runtime_seconds),
        ),
        (
            "Load",
            "<dd data-field=\"load\">",
            render_percent(d.load_ratio),
        ),
        (
            "Power",
            "<dd data-field=\"power\">",
            render_watts(d.real_power_watts),
        ),
        (
            "Input",
            "<dd data-field=\"voltage\">",
            render_volts(d.input_voltage_volts),
        ),
        (
            "Status",
            "<dd data-field=\"flags\">",
            render_flags(&d.status),
        ),
    ];
    let mut h = Html::new();
    h.raw("<dl class=\"readout\">");
    for (label, open, value) in rows {
        h.element("<div><dt>", label, "</dt>")
            .element(open, &value, "</dd></div>");
    }
    h.raw("</dl>");
    h
}

/// The device list page.
pub fn render_devices_page(snapshot: &Snapshot) -> String {
    let mut h = Html::new();
    h.raw("<h1>Devices</h1>");
    if snapshot.devices.is_empty() {
        h.raw("<p class=\"empty\">No devices yet. Configure a <code>[[nut]]</code> or ")
            .raw("<code>[[snmp]]</code> source; devices appear after their first poll.</p>");
    }
    h.raw("<div class=\"cards\">");
    for device in &snapshot.devices {
        let d = DeviceSummary::of(device);
        h.raw("<article class=\"card\" data-device=\"")
            .text(&d.name)
            .raw("\"><header><h2><a href=\"/devices/")
            .text(&d.name)
            .raw("\">")
            .text(&d.name)
            .raw("</a></h2>")
            .html(&render_badge(&d))
            .raw("</header><p class=\"model\">");
        let model = [d.manufacturer.as_deref(), d.model.as_deref()]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        h.text(&model)
            .raw(" <span class=\"source\">")
            .text(d.source)
            .raw("</span></p>")
            .html(&render_readout(&d))
            .raw("</article>");
    }
    h.raw("</div>");
    let mut attrs = Html::new();
    attrs.raw(" data-poll=\"devices\"");
    render_page("Devices", Nav::Devices, &attrs, &h)
}
