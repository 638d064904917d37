//! The dashboard's page layout (head, navigation, logout) over the safe builder
//! [`Html`] of `upsight-http`, re-exported here with [`escape`]: only static markup
//! (`&'static str`) goes in unescaped, so a device name, an event detail or a config value can
//! never become markup.

pub use upsight_http::html::{Html, escape};

use super::assets;

/// Which navigation entry a page belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    /// The device list and device pages.
    Devices,
    /// The events page.
    Events,
    /// The settings page.
    Settings,
    /// Pages outside the navigation (login, errors without a session).
    None,
}

/// A whole page: the shared head, the navigation with the logout button, and `main`, which
/// carries `main_attrs` (static `data-*` attributes the live script keys on).
pub fn render_page(title: &str, nav: Nav, main_attrs: &Html, body: &Html) -> String {
    let mut h = head(title, true);
    h.raw("<header class=\"top\"><a class=\"brand\" href=\"/\">upsight</a><nav>");
    for (entry, href, label) in [
        (Nav::Devices, "<a href=\"/\"", "Devices"),
        (Nav::Events, "<a href=\"/events\"", "Events"),
        (Nav::Settings, "<a href=\"/settings\"", "Settings"),
    ] {
        h.raw(href);
        if entry == nav {
            h.raw(" aria-current=\"page\"");
        }
        h.raw(">").text(label).raw("</a>");
    }
    h.raw("</nav><span class=\"live\" data-live></span>")
        .raw("<form class=\"logout\" method=\"post\" action=\"/logout?next=/login\">")
        .raw("<button type=\"submit\">Log out</button></form></header>")
        .raw("<main")
        .html(main_attrs)
        .raw(">")
        .html(body)
        .raw("</main></body></html>\n");
    h.into_string()
}

/// A page without navigation or script (the login form).
pub fn render_bare_page(title: &str, body: &Html) -> String {
    let mut h = head(title, false);
    h.raw("<main class=\"bare\">")
        .html(body)
        .raw("</main></body></html>\n");
    h.into_string()
}

fn head(title: &str, has_script: bool) -> Html {
    let mut h = Html::new();
    h.raw("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        .raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        .raw("<title>")
        .text(title)
        .raw(" · upsight</title>")
        .raw("<link rel=\"icon\" href=\"")
        .text(&assets::ICON.url())
        .raw("\" type=\"image/svg+xml\"><link rel=\"stylesheet\" href=\"")
        .text(&assets::CSS.url())
        .raw("\">");
    if has_script {
        h.raw("<script src=\"")
            .text(&assets::JS.url())
            .raw("\" defer></script>");
    }
    h.raw("</head><body>");
    h
}
