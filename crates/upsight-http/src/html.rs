//! Server-rendered pages for the exporter's dashboard and the fleet UI: the escaping builder
//! [`Html`] (only `&'static str` goes in unescaped, so a device name or an error detail can
//! never become markup), how values read on a page ([`render_percent`], [`render_duration`],
//! [`render_unit`]), and [`Asset`], a compiled-in stylesheet, script or icon served under a
//! content-hashed URL.
//!
//! Both products' live scripts mirror the value rules exactly (same rounding, same texts), so
//! a value refreshed in place reads the same as the server-rendered one.

use std::fmt;

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};

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

// === values ===

/// Shown for a value the device does not report (or a non-finite one).
pub const MISSING: &str = "—";

/// A 0..1 ratio as a whole percentage: `0.874` → `87 %`.
pub fn render_percent(ratio: Option<f64>) -> String {
    match ratio.filter(|r| r.is_finite()) {
        // `+ 0.0` turns a negative zero into zero, as JavaScript's `String(-0)` does.
        Some(r) => format!("{} %", (r * 100.0).round() + 0.0),
        None => MISSING.to_owned(),
    }
}

/// Seconds as `45 s`, `12 min 5 s` or `2 h 3 min`.
pub fn render_duration(seconds: Option<f64>) -> String {
    let Some(s) = seconds.filter(|s| s.is_finite() && *s >= 0.0) else {
        return MISSING.to_owned();
    };
    // Saturating float-to-int cast: runtimes beyond u64 seconds do not exist.
    let s = s.round() as u64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, s % 3600 / 60),
    }
}

/// `value` with `decimals` digits and a unit: `230.1 V`.
pub fn render_unit(value: Option<f64>, decimals: usize, unit: &str) -> String {
    match value.filter(|v| v.is_finite()) {
        Some(v) if unit.is_empty() => format!("{v:.decimals$}"),
        Some(v) => format!("{v:.decimals$} {unit}"),
        None => MISSING.to_owned(),
    }
}

// === assets ===

/// One file compiled into the binary (stylesheet, script, icon). Pages link it by
/// [`Asset::url`], with a content hash in the query (`?v=…`), so a matching request may be
/// cached for good and a new build is fetched at once.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    /// Path it is served at.
    pub path: &'static str,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// The bytes.
    pub body: &'static str,
    /// FNV-1a of the bytes: the cache-busting version.
    pub version: u64,
}

/// FNV-1a, 64 bit: a stable content hash computable at compile time.
const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    hash
}

/// A versioned URL may be cached for a year; any other request revalidates.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

impl Asset {
    /// The asset `body` served at `path` as `content_type` (usable in a `const`).
    pub const fn new(path: &'static str, content_type: &'static str, body: &'static str) -> Self {
        Self {
            path,
            content_type,
            body,
            version: fnv1a(body.as_bytes()),
        }
    }

    /// The versioned URL pages link to.
    pub fn url(&self) -> String {
        format!("{}?v={:016x}", self.path, self.version)
    }

    /// The response for a request carrying `version` (`?v=`): cacheable for good when it is
    /// the current one, revalidated otherwise.
    pub fn respond(&self, version: Option<&str>) -> Response {
        let is_current = version == Some(format!("{:016x}", self.version).as_str());
        let cache = if is_current { IMMUTABLE } else { REVALIDATE };
        (
            [(CONTENT_TYPE, self.content_type), (CACHE_CONTROL, cache)],
            self.body,
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NASTY: &str = "<script>alert(\"x\")</script> & 'q'";

    #[test]
    fn text_is_escaped_and_raw_is_not() {
        assert_eq!(
            escape(NASTY),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;"
        );
        let mut inner = Html::new();
        inner.element("<b>", "<i>", "</b>");
        let mut h = Html::new();
        h.raw("<p title=\"")
            .text("\" onmouseover=\"x")
            .raw("\">")
            .html(&inner)
            .fmt(format_args!("{}", "&"))
            .coord(f64::NAN);
        assert_eq!(
            h.into_string(),
            "<p title=\"&quot; onmouseover=&quot;x\"><b>&lt;i&gt;</b>&amp;0.0"
        );
    }

    #[test]
    fn values_read_like_the_live_scripts_write_them() {
        assert_eq!(render_percent(Some(0.874)), "87 %");
        assert_eq!(render_percent(Some(-0.001)), "0 %");
        assert_eq!(render_percent(Some(f64::NAN)), MISSING);
        assert_eq!(render_percent(None), MISSING);
        assert_eq!(render_duration(Some(45.4)), "45 s");
        assert_eq!(render_duration(Some(1830.0)), "30 min 30 s");
        assert_eq!(render_duration(Some(7380.0)), "2 h 3 min");
        assert_eq!(render_duration(Some(-1.0)), MISSING);
        assert_eq!(render_duration(Some(f64::INFINITY)), MISSING);
        assert_eq!(render_unit(Some(310.54), 0, "W"), "311 W");
        assert_eq!(render_unit(Some(2.5), 2, ""), "2.50");
        assert_eq!(render_unit(Some(f64::NAN), 1, "V"), MISSING);
    }

    #[test]
    fn assets_are_versioned_by_content() {
        const A: Asset = Asset::new("/assets/a.css", "text/css", "a{}");
        const B: Asset = Asset::new("/assets/a.css", "text/css", "b{}");
        assert_ne!(A.version, B.version);
        assert_eq!(A.url(), format!("/assets/a.css?v={:016x}", A.version));
        let cache = |v: Option<&str>| A.respond(v).headers()[CACHE_CONTROL].clone();
        let current = format!("{:016x}", A.version);
        assert_eq!(cache(Some(&current)), IMMUTABLE);
        assert_eq!(cache(Some("0")), REVALIDATE);
        assert_eq!(cache(None), REVALIDATE);
        assert_eq!(A.respond(None).headers()[CONTENT_TYPE], "text/css");
    }
}
