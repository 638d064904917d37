//! The global page (`GET /`): the fleet's totals and one row per group (site) with its
//! counts, linking to the group page. Polls `GET /api/v1/fleet`.

use upsight_http::html::Html;

use super::layout::{Crumb, Live, render_page};
use super::table::{Cell, Column, Content, Row, render_table, render_totals};
use crate::{FleetView, GroupView, Totals};

/// The count columns shared by the group and member rows: each is the `Totals` field of its
/// key (`assets/app.js` reads them the same way).
pub(crate) const COUNT_COLUMNS: [Column; 5] = [
    Column::number("upses", "UPSes"),
    Column::number("upses_on_battery", "On battery"),
    Column::number("upses_low_runtime", "Low runtime"),
    Column::number("upses_stale", "UPSes stale"),
    Column::number("upses_down", "UPSes down"),
];

const MEMBER_COLUMNS: [Column; 4] = [
    Column::number("members", "Members"),
    Column::number("members_up", "Up"),
    Column::number("members_stale", "Stale"),
    Column::number("members_down", "Down"),
];

/// The cells of [`COUNT_COLUMNS`] for `totals`.
pub(crate) fn count_cells(totals: &Totals) -> [Cell; 5] {
    [
        totals.upses,
        totals.upses_on_battery,
        totals.upses_low_runtime,
        totals.upses_stale,
        totals.upses_down,
    ]
    .map(Cell::count)
}

/// The row classes for `totals`: `on-battery`, `low-runtime`, `has-down` (a member or a UPS
/// down).
pub(crate) fn row_classes(totals: &Totals) -> Vec<&'static str> {
    [
        (totals.upses_on_battery > 0, "on-battery"),
        (totals.upses_low_runtime > 0, "low-runtime"),
        (totals.members_down + totals.upses_down > 0, "has-down"),
    ]
    .into_iter()
    .filter_map(|(is, class)| is.then_some(class))
    .collect()
}

fn group_row(group: &GroupView) -> Row {
    let name = group.group.as_str();
    let t = &group.totals;
    let link = Cell {
        content: Content::Link(format!("/groups/{name}"), name.to_owned()),
        sort: Some(name.to_owned()),
    };
    let members = [t.members, t.members_up, t.members_stale, t.members_down].map(Cell::count);
    Row {
        key: name.to_owned(),
        id: Some(format!("group-{name}")),
        classes: row_classes(t),
        cells: [link]
            .into_iter()
            .chain(members)
            .chain(count_cells(t))
            .collect(),
    }
}

/// The global page for `view` (groups in the view's order, by name).
pub(crate) fn render_fleet_page(view: &FleetView) -> String {
    let columns: Vec<Column> = [Column::text("group", "Site")]
        .into_iter()
        .chain(MEMBER_COLUMNS)
        .chain(COUNT_COLUMNS)
        .collect();
    let rows: Vec<Row> = view.groups.iter().map(group_row).collect();
    let mut h = Html::new();
    h.raw("<h1>Fleet</h1>")
        .html(&render_totals(&view.totals))
        .html(&render_table(
            "Sites",
            &columns,
            &rows,
            Some(0),
            "No member has registered yet. Exporters with a [fleet] section appear here \
             after their first registration.",
        ));
    let crumbs = [Crumb {
        text: "Fleet",
        href: None,
    }];
    let live = Live {
        poll: "fleet",
        api: "/api/v1/fleet",
    };
    render_page("Fleet", &crumbs, live, &h)
}
