//! The UI's static assets, compiled into the binary: one stylesheet, the live script and an
//! icon, each linked under a content-hashed URL (see `upsight_http::html::Asset`).

use axum::extract::Query;
use axum::response::Response;
use serde::Deserialize;
use upsight_http::html::Asset;

/// `app.css`.
pub(crate) const CSS: Asset = Asset::new(
    "/assets/app.css",
    "text/css; charset=utf-8",
    include_str!("../../assets/app.css"),
);

/// `app.js`: sorting and live refresh.
pub(crate) const JS: Asset = Asset::new(
    "/assets/app.js",
    "text/javascript; charset=utf-8",
    include_str!("../../assets/app.js"),
);

/// `icon.svg` (linked so browsers do not ask for a missing `/favicon.ico`).
pub(crate) const ICON: Asset = Asset::new(
    "/assets/icon.svg",
    "image/svg+xml",
    include_str!("../../assets/icon.svg"),
);

/// `?v=` of an asset request; other parameters are ignored.
#[derive(Debug, Deserialize)]
pub(crate) struct AssetQuery {
    v: Option<String>,
}

/// `GET /assets/app.css`.
pub(crate) async fn css(Query(q): Query<AssetQuery>) -> Response {
    CSS.respond(q.v.as_deref())
}

/// `GET /assets/app.js`.
pub(crate) async fn js(Query(q): Query<AssetQuery>) -> Response {
    JS.respond(q.v.as_deref())
}

/// `GET /assets/icon.svg`.
pub(crate) async fn icon(Query(q): Query<AssetQuery>) -> Response {
    ICON.respond(q.v.as_deref())
}
