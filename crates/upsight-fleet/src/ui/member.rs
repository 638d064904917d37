//! The member page (`GET /members/{group}/{identity}`): the member's facts and one row per
//! UPS of its latest heartbeat (name, source, health, status flags, charge, runtime, load,
//! power, last transfer). A UPS row is `id="ups-<name>"`, so a link can land on it; rows on
//! battery or low on runtime are highlighted. Polls `GET /api/v1/members/{group}/{identity}`.

use std::time::{Duration, SystemTime};

use upsight_http::html::{Html, MISSING, render_duration, render_percent};
use upsight_model::DeviceSummaryV1;

use super::format::{
    health_rank, health_text, is_low_runtime, is_on_battery, render_age, render_flags,
    render_unix_time, render_watts,
};
use super::layout::{Crumb, Live, render_page};
use super::table::{Cell, Column, Content, Row, render_table};
use crate::{MemberHealth, MemberView};

/// What the member page shows.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MemberPage<'a> {
    pub(crate) view: &'a MemberView,
    pub(crate) now: SystemTime,
    /// The registry's low-runtime threshold (for the highlight; the script gets it too).
    pub(crate) low_runtime: Duration,
}

const UPS_COLUMNS: [Column; 9] = [
    Column::text("name", "UPS"),
    Column::text("source", "Source"),
    Column::number("health", "Health"),
    Column::text("status", "Status"),
    Column::number("charge", "Charge"),
    Column::number("runtime", "Runtime"),
    Column::number("load", "Load"),
    Column::number("power", "Power"),
    Column::number("last_transfer", "Last transfer"),
];

/// A measured value's sort key: the number, or none when not reported.
fn sort_key(value: Option<f64>) -> Option<String> {
    value.filter(|v| v.is_finite()).map(|v| v.to_string())
}

fn ups_row(member: MemberHealth, device: &DeviceSummaryV1, low_runtime: Duration) -> Row {
    let name = device.name.as_str();
    let health = member.of_device(device);
    let classes = [
        (is_on_battery(member, device), "on-battery"),
        (is_low_runtime(member, device, low_runtime), "low-runtime"),
    ]
    .into_iter()
    .filter_map(|(is, class)| is.then_some(class))
    .collect();
    let cells = vec![
        Cell {
            content: Content::Link(format!("#ups-{name}"), name.to_owned()),
            sort: Some(name.to_owned()),
        },
        Cell::text(device.source.as_str()),
        Cell {
            content: Content::Badge(health_text(health), health_text(health).to_owned()),
            sort: Some(health_rank(health).to_string()),
        },
        Cell::text(render_flags(&device.status)),
        Cell::sorted(
            render_percent(device.charge_ratio),
            sort_key(device.charge_ratio),
        ),
        Cell::sorted(
            render_duration(device.runtime_seconds),
            sort_key(device.runtime_seconds),
        ),
        Cell::sorted(
            render_percent(device.load_ratio),
            sort_key(device.load_ratio),
        ),
        Cell::sorted(
            render_watts(device.real_power_watts),
            sort_key(device.real_power_watts),
        ),
        Cell::sorted(
            render_unix_time(device.last_transfer_unix),
            device.last_transfer_unix.map(|u| u.to_string()),
        ),
    ];
    Row {
        key: name.to_owned(),
        id: Some(format!("ups-{name}")),
        classes,
        cells,
    }
}

fn render_facts(page: &MemberPage<'_>) -> Html {
    let v = page.view;
    let health = health_text(v.health);
    let mut h = Html::new();
    h.raw("<dl class=\"facts\">")
        .element(
            "<div><dt>Number</dt><dd data-fact=\"member_number\">",
            &v.member_number.to_string(),
            "</dd></div>",
        )
        .raw("<div><dt>Health</dt><dd><span data-fact=\"health\" class=\"badge badge-")
        .text(health)
        .raw("\">")
        .text(health)
        .raw("</span></dd></div>")
        .element(
            "<div><dt>Last seen</dt><dd data-fact=\"last_seen\">",
            &render_age(page.now, v.last_seen_unix),
            "</dd></div>",
        )
        .element(
            "<div><dt>Member since</dt><dd>",
            &render_age(page.now, v.registered_unix),
            "</dd></div>",
        )
        .element(
            "<div><dt>Version</dt><dd data-fact=\"software_version\">",
            &v.software_version,
            "</dd></div>",
        )
        .element(
            "<div><dt>Scrape target</dt><dd data-fact=\"scrape_target\">",
            v.scrape_target.as_deref().unwrap_or(MISSING),
            "</dd></div>",
        )
        .raw("</dl>");
    h
}

/// The member page (UPSes in heartbeat order).
pub(crate) fn render_member_page(page: &MemberPage<'_>) -> String {
    let v = page.view;
    let (group, identity) = (v.group.as_str(), v.identity.as_str());
    let rows: Vec<Row> = v
        .devices
        .iter()
        .map(|d| ups_row(v.health, d, page.low_runtime))
        .collect();
    let mut h = Html::new();
    h.raw("<h1><span class=\"kind\">Member</span> ")
        .text(identity)
        .raw("</h1>")
        .html(&render_facts(page))
        .html(&render_table(
            "UPSes",
            &UPS_COLUMNS,
            &rows,
            None,
            "This member reported no UPS in its latest heartbeat.",
        ))
        .raw("<p class=\"note\" data-low-runtime-s=\"")
        .fmt(format_args!("{}", page.low_runtime.as_secs_f64()))
        .raw("\">Highlighted: on battery (amber) and runtime under ")
        .text(&render_duration(Some(page.low_runtime.as_secs_f64())))
        .raw(" (red).</p>");
    let group_href = format!("/groups/{group}");
    let crumbs = [
        Crumb {
            text: "Fleet",
            href: Some("/"),
        },
        Crumb {
            text: group,
            href: Some(&group_href),
        },
        Crumb {
            text: identity,
            href: None,
        },
    ];
    let api = format!("/api/v1/members/{group}/{identity}");
    let live = Live {
        poll: "member",
        api: &api,
    };
    render_page(identity, &crumbs, live, &h)
}
