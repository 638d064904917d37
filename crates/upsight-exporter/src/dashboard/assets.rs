//! The dashboard's static assets, compiled into the binary: one stylesheet, one small script
//! and an icon. Pages link them with a content hash in the query (`?v=…`), so a matching
//! request may be cached for good and a new build is fetched at once.

use axum::extract::Query;
use axum::response::Response;
use serde::Deserialize;

pub use upsight_http::html::Asset;

/// `app.css`.
pub const CSS: Asset = Asset::new(
    "/assets/app.css",
    "text/css; charset=utf-8",
    include_str!("../../assets/app.css"),
);

/// `app.js`: live refresh.
pub const JS: Asset = Asset::new(
    "/assets/app.js",
    "text/javascript; charset=utf-8",
    include_str!("../../assets/app.js"),
);

/// `icon.svg` (linked so browsers do not ask for a missing `/favicon.ico`).
pub const ICON: Asset = Asset::new(
    "/assets/icon.svg",
    "image/svg+xml",
    include_str!("../../assets/icon.svg"),
);

/// `?v=` of an asset request; other parameters are ignored.
#[derive(Debug, Deserialize)]
pub struct AssetQuery {
    v: Option<String>,
}

/// `GET /assets/app.css`.
pub async fn css(Query(q): Query<AssetQuery>) -> Response {
    CSS.respond(q.v.as_deref())
}

/// `GET /assets/app.js`.
pub async fn js(Query(q): Query<AssetQuery>) -> Response {
    JS.respond(q.v.as_deref())
}

/// `GET /assets/icon.svg`.
pub async fn icon(Query(q): Query<AssetQuery>) -> Response {
    ICON.respond(q.v.as_deref())
}
