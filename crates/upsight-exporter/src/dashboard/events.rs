//! The events page: a GET filter form (device, kind, severity, the same parameters as
//! `GET /api/v1/events`), validated into an [`EventFilter`], and the events table the device
//! page shares. Rows carry `data-key` (device and sequence number) so the live script adds only
//! events it has not shown yet.

use serde::Deserialize;
use upsight_model::{Event, EventKind, Severity, UpsName};

use super::format::render_time;
use super::html::{Html, Nav, render_page};
use crate::api::dto::EventDto;

/// Most events the events page shows.
pub const PAGE_EVENTS: usize = 200;

/// The filter form as sent (an empty value means "any").
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFilter {
    device: Option<String>,
    kind: Option<String>,
    severity: Option<String>,
}

#[cfg(test)]
impl RawFilter {
    pub(super) fn for_tests(device: &str, kind: &str, severity: &str) -> Self {
        Self {
            device: Some(device.to_owned()),
            kind: Some(kind.to_owned()),
            severity: Some(severity.to_owned()),
        }
    }
}

/// A validated filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// Only this device.
    pub device: Option<UpsName>,
    /// Only this kind.
    pub kind: Option<EventKind>,
    /// Only this severity.
    pub severity: Option<Severity>,
}

fn given(value: Option<&String>) -> Option<&str> {
    value.map(|v| v.trim()).filter(|v| !v.is_empty())
}

/// Validates `raw` against the devices the exporter knows; the error names the bad field.
pub fn parse_filter(raw: &RawFilter, known: &[&UpsName]) -> Result<EventFilter, String> {
    let device = given(raw.device.as_ref())
        .map(|d| {
            let name = d.parse::<UpsName>().map_err(|e| format!("device: {e}"))?;
            if known.contains(&&name) {
                Ok(name)
            } else {
                Err(format!("device: no device named {d:?}"))
            }
        })
        .transpose()?;
    let kind = given(raw.kind.as_ref())
        .map(|k| k.parse::<EventKind>().map_err(|e| format!("kind: {e}")))
        .transpose()?;
    let severity = given(raw.severity.as_ref())
        .map(|s| {
            Severity::ALL
                .into_iter()
                .find(|v| v.as_str() == s)
                .ok_or_else(|| format!("severity: {s:?} is not one of info, warning, critical"))
        })
        .transpose()?;
    Ok(EventFilter {
        device,
        kind,
        severity,
    })
}

impl EventFilter {
    /// Whether `event` passes.
    pub fn matches(&self, event: &Event) -> bool {
        self.device.as_ref().is_none_or(|d| event.device == *d)
            && self.kind.is_none_or(|k| event.kind == k)
            && self.severity.is_none_or(|s| event.severity() == s)
    }

    /// The filter as an `/api/v1/events` query (`device=a&kind=b`), for the live script. Values
    /// are names and fixed words that need no URL encoding.
    pub fn query(&self) -> String {
        let device = self.device.as_ref().map(|d| ("device", d.as_str()));
        let kind = self.kind.map(|k| ("kind", k.as_str()));
        let severity = self.severity.map(|s| ("severity", s.as_str()));
        [device, kind, severity]
            .into_iter()
            .flatten()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// The events table, newest first, refreshed live with `/api/v1/events?<query>`.
pub fn render_table(events: &[Event], query: &str) -> Html {
    let mut h = Html::new();
    h.raw("<table class=\"events\"><thead><tr><th>Time</th><th>Device</th><th>Event</th>")
        .raw("<th>Severity</th><th>Detail</th></tr></thead><tbody data-events=\"")
        .text(query)
        .raw("\">");
    if events.is_empty() {
        h.raw("<tr data-empty><td colspan=\"5\">No events yet.</td></tr>");
    }
    for event in events.iter().rev() {
        push_row(&mut h, &EventDto::from(event));
    }
    h.raw("</tbody></table>");
    h
}

fn push_row(h: &mut Html, e: &EventDto) {
    h.raw("<tr data-key=\"")
        .text(&format!("{}:{}", e.device, e.seq))
        .raw("\" data-kind=\"")
        .text(e.kind)
        .raw("\"><td><time datetime=\"")
        .text(&e.at)
        .raw("\">")
        .text(&render_time(&e.at))
        .raw("</time></td><td><a href=\"/devices/")
        .text(&e.device)
        .raw("\">")
        .text(&e.device)
        .raw("</a></td>")
        .element("<td>", e.kind, "</td>")
        .raw("<td><span class=\"sev sev-")
        .text(e.severity)
        .raw("\">")
        .text(e.severity)
        .raw("</span></td>")
        .element("<td>", e.detail.as_deref().unwrap_or(""), "</td></tr>");
}

/// `<option>`s for `values`, `selected` marked, led by "any".
fn push_options<'a>(h: &mut Html, values: impl Iterator<Item = &'a str>, selected: Option<&str>) {
    h.raw("<option value=\"\">any</option>");
    for value in values {
        h.raw("<option value=\"").text(value).raw("\"");
        if selected == Some(value) {
            h.raw(" selected");
        }
        h.raw(">").text(value).raw("</option>");
    }
}

/// The events page: the form, an error message when the filter was refused, the table.
pub fn render_events_page(
    known: &[&UpsName],
    filter: &EventFilter,
    error: Option<&str>,
    events: &[Event],
) -> String {
    let mut h = Html::new();
    h.raw("<h1>Events</h1><form class=\"filters\" method=\"get\" action=\"/events\">")
        .raw("<label>Device <select name=\"device\">");
    let device = filter.device.as_ref().map(UpsName::as_str);
    push_options(&mut h, known.iter().map(|n| n.as_str()), device);
    h.raw("</select></label><label>Event <select name=\"kind\">");
    let kinds = EventKind::ALL.iter().map(|k| k.as_str());
    push_options(&mut h, kinds, filter.kind.map(EventKind::as_str));
    h.raw("</select></label><label>Severity <select name=\"severity\">");
    let severities = Severity::ALL.iter().map(|s| s.as_str());
    push_options(&mut h, severities, filter.severity.map(Severity::as_str));
    h.raw("</select></label><button type=\"submit\">Filter</button></form>");
    if let Some(error) = error {
        h.element("<p class=\"error\" role=\"alert\">", error, "</p>");
    } else {
        h.raw("<p class=\"note\">Newest first, at most ")
            .fmt(format_args!("{PAGE_EVENTS}"))
            .raw("; new events appear live.</p>")
            .html(&render_table(events, &filter.query()));
    }
    let mut attrs = Html::new();
    attrs.raw(" data-poll=\"events\"");
    render_page("Events", Nav::Events, &attrs, &h)
}
