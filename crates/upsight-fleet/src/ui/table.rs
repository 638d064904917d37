//! The sortable table every page shows, and the totals block. The markup is the contract with
//! `assets/app.js`: each `<th data-col data-type>` holds a `<button>` (sorting is client-side
//! and keyboard-accessible; `aria-sort` marks the sorted column), each row is
//! `<tr data-key>` and each cell `<td data-field data-sort>` with its text directly inside, or
//! inside an `<a>` or a `.badge`. The script builds new rows with the same structure.

use upsight_http::html::Html;

use crate::Totals;

/// One column.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Column {
    /// The `data-field` of its cells (a fixed identifier, never user data).
    pub(crate) key: &'static str,
    /// The header text.
    pub(crate) label: &'static str,
    /// Sorted as numbers (`data-type="number"`) rather than text.
    pub(crate) is_numeric: bool,
}

impl Column {
    /// A text column.
    pub(crate) const fn text(key: &'static str, label: &'static str) -> Self {
        Self {
            key,
            label,
            is_numeric: false,
        }
    }

    /// A numeric column.
    pub(crate) const fn number(key: &'static str, label: &'static str) -> Self {
        Self {
            key,
            label,
            is_numeric: true,
        }
    }
}

/// What a cell shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Content {
    /// Plain text.
    Text(String),
    /// A link: `(href, text)`.
    Link(String, String),
    /// A badge: `(kind, text)`, class `badge badge-<kind>`.
    Badge(&'static str, String),
}

/// One cell: what it shows and its sort key (`None`: sorts last either way).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cell {
    pub(crate) content: Content,
    pub(crate) sort: Option<String>,
}

impl Cell {
    /// Text that sorts as itself.
    pub(crate) fn text(text: impl Into<String>) -> Self {
        let text = text.into();
        Self {
            sort: Some(text.clone()),
            content: Content::Text(text),
        }
    }

    /// A count.
    pub(crate) fn count(n: usize) -> Self {
        Self::text(n.to_string())
    }

    /// Text with a separate sort key (a number for a numeric column).
    pub(crate) fn sorted(text: String, sort: Option<String>) -> Self {
        Self {
            content: Content::Text(text),
            sort,
        }
    }
}

/// One row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Row {
    /// Its stable key (`data-key`), unique in the table.
    pub(crate) key: String,
    /// Its `id` (an anchor to land on), if any.
    pub(crate) id: Option<String>,
    /// Its CSS classes (fixed names).
    pub(crate) classes: Vec<&'static str>,
    /// One cell per column, in column order.
    pub(crate) cells: Vec<Cell>,
}

/// A table named `caption` (`data-table`), sorted by the column at `sorted_by` ascending
/// (already, by the caller), with an empty-state paragraph shown when `rows` is empty.
pub(crate) fn render_table(
    caption: &str,
    columns: &[Column],
    rows: &[Row],
    sorted_by: Option<usize>,
    empty: &'static str,
) -> Html {
    let mut h = Html::new();
    h.raw("<table class=\"list\" data-table><caption>")
        .text(caption)
        .raw("</caption><thead><tr>");
    for (i, column) in columns.iter().enumerate() {
        h.raw("<th scope=\"col\" data-col=\"")
            .text(column.key)
            .raw(if column.is_numeric {
                "\" data-type=\"number\""
            } else {
                "\" data-type=\"text\""
            });
        if sorted_by == Some(i) {
            h.raw(" aria-sort=\"ascending\"");
        }
        h.element("><button type=\"button\">", column.label, "</button></th>");
    }
    h.raw("</tr></thead><tbody>");
    for row in rows {
        render_row(&mut h, columns, row);
    }
    h.raw("</tbody></table><p class=\"empty\" data-empty");
    if !rows.is_empty() {
        h.raw(" hidden");
    }
    h.element(">", empty, "</p>");
    h
}

fn render_row(h: &mut Html, columns: &[Column], row: &Row) {
    h.raw("<tr data-key=\"").text(&row.key).raw("\"");
    if let Some(id) = &row.id {
        h.raw(" id=\"").text(id).raw("\"");
    }
    if !row.classes.is_empty() {
        h.raw(" class=\"").text(&row.classes.join(" ")).raw("\"");
    }
    h.raw(">");
    for (column, cell) in columns.iter().zip(&row.cells) {
        h.raw("<td data-field=\"").text(column.key).raw("\"");
        if let Some(sort) = &cell.sort {
            h.raw(" data-sort=\"").text(sort).raw("\"");
        }
        h.raw(">");
        match &cell.content {
            Content::Text(text) => h.text(text),
            Content::Link(href, text) => h
                .raw("<a href=\"")
                .text(href)
                .raw("\">")
                .text(text)
                .raw("</a>"),
            Content::Badge(kind, text) => h
                .raw("<span class=\"badge badge-")
                .text(kind)
                .raw("\">")
                .text(text)
                .raw("</span>"),
        };
        h.raw("</td>");
    }
    h.raw("</tr>");
}

/// The totals as a definition list; `data-total` names the `Totals` field, and a count that
/// calls for attention (stale, down, on battery, low runtime) above 0 gets `is-alert`.
pub(crate) fn render_totals(totals: &Totals) -> Html {
    let items: [(&'static str, &'static str, usize, bool); 9] = [
        ("members", "Members", totals.members, false),
        ("members_up", "Members up", totals.members_up, false),
        ("members_stale", "Members stale", totals.members_stale, true),
        ("members_down", "Members down", totals.members_down, true),
        ("upses", "UPSes", totals.upses, false),
        (
            "upses_on_battery",
            "On battery",
            totals.upses_on_battery,
            true,
        ),
        (
            "upses_low_runtime",
            "Low runtime",
            totals.upses_low_runtime,
            true,
        ),
        ("upses_stale", "UPSes stale", totals.upses_stale, true),
        ("upses_down", "UPSes down", totals.upses_down, true),
    ];
    let mut h = Html::new();
    h.raw("<dl class=\"totals\" data-totals>");
    for (key, label, value, is_alerting) in items {
        h.raw("<div class=\"total");
        if is_alerting && value > 0 {
            h.raw(" is-alert");
        }
        h.raw("\" data-total=\"").text(key).raw("\"");
        if is_alerting {
            h.raw(" data-alerting");
        }
        h.element("><dt>", label, "</dt>")
            .element("<dd>", &value.to_string(), "</dd></div>");
    }
    h.raw("</dl>");
    h
}
