//! The page frame: the head (stylesheet, icon, script), the top bar with the breadcrumbs
//! global → group → member, the live indicator and the logout button; plus the two pages
//! without live data, the login form and the flat 404.

use upsight_http::html::Html;

use super::{REFRESH, assets};

/// One breadcrumb: its text and, except for the current page, its link.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Crumb<'a> {
    pub(crate) text: &'a str,
    pub(crate) href: Option<&'a str>,
}

/// What the live script needs on `<main>`: which page (`data-poll`) and which read API URL
/// (`data-api`) to poll. The period (`data-refresh-ms`) is [`REFRESH`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Live<'a> {
    pub(crate) poll: &'static str,
    pub(crate) api: &'a str,
}

/// A whole page with breadcrumbs (the last one is the current page) and live refresh.
pub(crate) fn render_page(
    title: &str,
    crumbs: &[Crumb<'_>],
    live: Live<'_>,
    body: &Html,
) -> String {
    let mut h = head(title, true);
    h.raw("<header class=\"top\"><a class=\"brand\" href=\"/\">upsight fleet</a>")
        .raw("<nav aria-label=\"Breadcrumb\" class=\"crumbs\"><ol>");
    for crumb in crumbs {
        match crumb.href {
            Some(href) => h
                .raw("<li><a href=\"")
                .text(href)
                .raw("\">")
                .text(crumb.text)
                .raw("</a></li>"),
            None => h.element("<li aria-current=\"page\">", crumb.text, "</li>"),
        };
    }
    h.raw("</ol></nav><span class=\"live\" data-live></span>")
        .raw("<form class=\"logout\" method=\"post\" action=\"/logout?next=/login\">")
        .raw("<button type=\"submit\">Log out</button></form></header>")
        .raw("<main data-poll=\"")
        .text(live.poll)
        .raw("\" data-api=\"")
        .text(live.api)
        .raw("\" data-refresh-ms=\"")
        .fmt(format_args!("{}", REFRESH.as_millis()))
        .raw("\">")
        .html(body)
        .raw("</main></body></html>\n");
    h.into_string()
}

/// A page without breadcrumbs or script.
fn render_bare_page(title: &str, body: &Html) -> String {
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
        .element("<title>", title, " · upsight fleet</title>")
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

/// The login form; `next` must already be a safe same-origin path.
pub(crate) fn render_login_page(next: &str) -> String {
    let mut h = Html::new();
    h.raw("<h1>upsight fleet</h1><form class=\"login\" method=\"post\" action=\"/login\">")
        .raw("<input type=\"hidden\" name=\"next\" value=\"")
        .text(next)
        .raw("\"><label for=\"token\">Viewer token</label>")
        .raw("<input id=\"token\" name=\"token\" type=\"password\"")
        .raw(" autocomplete=\"current-password\" required autofocus>")
        .raw("<button type=\"submit\">Log in</button></form>")
        .raw("<p class=\"note\">Use a viewer token from the plane's configuration ")
        .raw("(<code>[tokens] viewer</code> or <code>shared</code>); an ingest token cannot ")
        .raw("read. The session cookie is HttpOnly; the token is not stored in the browser.</p>");
    render_bare_page("Log in", &h)
}

/// The flat 404 for an unknown group or member: it says nothing about which part was wrong.
pub(crate) fn render_not_found_page() -> String {
    let mut h = Html::new();
    h.raw("<h1>Not found</h1><p class=\"error\" role=\"alert\">No such group or member.</p>")
        .raw("<p><a href=\"/\">Back to the fleet</a></p>");
    render_bare_page("Not found", &h)
}
