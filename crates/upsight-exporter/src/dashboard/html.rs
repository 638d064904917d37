//! Safe HTML building: [`Html`] only accepts static markup (`&'static str`) unescaped, and every
//! other value goes through [`escape`], so a device name, an event detail or a config value can
//! never become markup. The shared page layout lives here too.

use std::fmt;

use super::assets;

/// Escapes `value` for HTML text and double- or single-quoted attribute values.
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    push_escaped(&mut out, value);
    out
}

fn push_escaped(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// An HTML fragment under construction. Static markup goes in with [`Html::raw`], everything
/// else with [`Html::text`] (escaped); fragments built the same way nest with [`Html::html`].
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Html(String);

impl Html {
    /// An empty fragment.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends static markup. `&'static str` keeps runtime values out: they must use
    /// [`Html::text`].
    pub fn raw(&mut self, markup: &'static str) -> &mut Self {
        self.0.push_str(markup);
        self
    }

    /// Appends `value`, escaped.
    pub fn text(&mut self, value: &str) -> &mut Self {
        push_escaped(&mut self.0, value);
        self
    }

    /// Appends a formatted value, escaped (`h.fmt(format_args!("{x:.1}"))`).
    pub fn fmt(&mut self, args: fmt::Arguments<'_>) -> &mut Self {
        self.text(&args.to_string())
    }

    /// Appends a number for an SVG coordinate; a non-finite value is written as `0` so the
    /// output never holds `NaN` or `inf`.
    pub fn coord(&mut self, value: f64) -> &mut Self {
        let value = if value.is_finite() { value } else { 0.0 };
        self.fmt(format_args!("{value:.1}"))
    }

    /// Appends another fragment (already safe).
    pub fn html(&mut self, fragment: &Html) -> &mut Self {
        self.0.push_str(&fragment.0);
        self
    }

    /// Appends `<tag>escaped value</tag>`.
    pub fn element(&mut self, open: &'static str, value: &str, close: &'static str) -> &mut Self {
        self.raw(open).text(value).raw(close)
    }

    /// The markup.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The markup, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

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
