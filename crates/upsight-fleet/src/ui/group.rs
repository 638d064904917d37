//! The group page (`GET /groups/{group}`): the group's totals and one row per member
//! (identity, number, health, last seen as an age, version, UPS counts), linking to the member
//! page. Polls `GET /api/v1/groups/{group}`.

use std::time::SystemTime;

use upsight_http::html::Html;

use super::format::{health_rank, health_text, render_age};
use super::global::{COUNT_COLUMNS, count_cells, row_classes};
use super::layout::{Crumb, Live, render_page};
use super::table::{Cell, Column, Content, Row, render_table, render_totals};
use crate::{GroupDetail, MemberRow};

const MEMBER_COLUMNS: [Column; 5] = [
    Column::text("identity", "Member"),
    Column::number("member_number", "No."),
    Column::number("health", "Health"),
    Column::number("last_seen", "Last seen"),
    Column::text("software_version", "Version"),
];

fn member_row(group: &str, member: &MemberRow, now: SystemTime) -> Row {
    let identity = member.identity.as_str();
    let health = health_text(member.health);
    let head = [
        Cell {
            content: Content::Link(format!("/members/{group}/{identity}"), identity.to_owned()),
            sort: Some(identity.to_owned()),
        },
        Cell::text(member.member_number.to_string()),
        Cell {
            content: Content::Badge(health, health.to_owned()),
            sort: Some(health_rank(member.health).to_string()),
        },
        Cell::sorted(
            render_age(now, member.last_seen_unix),
            Some(member.last_seen_unix.to_string()),
        ),
        Cell::text(member.software_version.as_str()),
    ];
    Row {
        key: identity.to_owned(),
        id: Some(format!("member-{identity}")),
        classes: row_classes(&member.totals),
        cells: head
            .into_iter()
            .chain(count_cells(&member.totals))
            .collect(),
    }
}

/// The group page for `detail` as of `now` (members by number).
pub(crate) fn render_group_page(detail: &GroupDetail, now: SystemTime) -> String {
    let group = detail.group.as_str();
    let columns: Vec<Column> = MEMBER_COLUMNS.into_iter().chain(COUNT_COLUMNS).collect();
    let rows: Vec<Row> = detail
        .members
        .iter()
        .map(|m| member_row(group, m, now))
        .collect();
    let mut h = Html::new();
    h.raw("<h1><span class=\"kind\">Site</span> ")
        .text(group)
        .raw("</h1>")
        .html(&render_totals(&detail.totals))
        .html(&render_table(
            "Members",
            &columns,
            &rows,
            Some(1),
            "This group has no members any more.",
        ));
    let crumbs = [
        Crumb {
            text: "Fleet",
            href: Some("/"),
        },
        Crumb {
            text: group,
            href: None,
        },
    ];
    let api = format!("/api/v1/groups/{group}");
    let live = Live {
        poll: "group",
        api: &api,
    };
    render_page(group, &crumbs, live, &h)
}
