//! The read-only settings page: the effective configuration from `AppState::config_view` (the
//! same masked JSON as `GET /api/v1/config`, secrets already `***`) flattened to one row per
//! key path (`nut[0].address`); plus the login form and the error pages, the other pages
//! without live data.

use serde_json::Value;

use super::format::MISSING;
use super::html::{Html, Nav, render_bare_page, render_page};

/// `(key path, value)` rows of `value`, depth first, in document order.
pub fn flatten(value: &Value) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    push_rows(String::new(), value, &mut rows);
    rows
}

fn push_rows(path: String, value: &Value, rows: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, v) in map {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                push_rows(child, v, rows);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, v) in items.iter().enumerate() {
                push_rows(format!("{path}[{i}]"), v, rows);
            }
        }
        Value::Object(_) => rows.push((path, "{}".to_owned())),
        Value::Array(_) => rows.push((path, "[]".to_owned())),
        Value::Null => rows.push((path, MISSING.to_owned())),
        Value::String(s) => rows.push((path, s.clone())),
        other => rows.push((path, other.to_string())),
    }
}

/// The settings page for the masked configuration `config`.
pub fn render_settings_page(config: &Value) -> String {
    let mut h = Html::new();
    h.raw("<h1>Settings</h1><p class=\"note\">The effective configuration, read-only. ")
        .raw("Secrets are shown as <code>***</code> when set; — means not set.</p>")
        .raw("<table class=\"kv settings\"><thead><tr><th>Key</th><th>Value</th></tr></thead>")
        .raw("<tbody>");
    for (key, value) in flatten(config) {
        h.element("<tr><th><code>", &key, "</code></th>").element(
            "<td><code>",
            &value,
            "</code></td></tr>",
        );
    }
    h.raw("</tbody></table>");
    render_page("Settings", Nav::Settings, &Html::new(), &h)
}

/// The login form; `next` must already be a safe same-origin path.
pub fn render_login_page(next: &str) -> String {
    let mut h = Html::new();
    h.raw("<h1>upsight</h1><form class=\"login\" method=\"post\" action=\"/login\">")
        .raw("<input type=\"hidden\" name=\"next\" value=\"")
        .text(next)
        .raw("\"><label for=\"token\">Access token</label>")
        .raw("<input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"current-password\"")
        .raw(" required autofocus><button type=\"submit\">Log in</button></form>")
        .raw("<p class=\"note\">Use the viewer or admin token from the exporter's configuration. ")
        .raw("The session cookie is HttpOnly; the token is not stored in the browser.</p>");
    render_bare_page("Log in", &h)
}

/// An error page (404 for an unknown device, 400 for a refused parameter).
pub fn render_error_page(title: &str, message: &str) -> String {
    let mut h = Html::new();
    h.element("<h1>", title, "</h1>")
        .element("<p class=\"error\" role=\"alert\">", message, "</p>")
        .raw("<p><a href=\"/\">Back to the devices</a></p>");
    render_page(title, Nav::None, &Html::new(), &h)
}
