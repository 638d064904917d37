//! The dashboard's static assets, compiled into the binary: one stylesheet, one small script
//! and an icon. Pages link them with a content hash in the query (`?v=…`), so a matching
//! request may be cached for good and a new build is fetched at once.

use axum::extract::Query;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// One embedded file.
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

const fn asset(path: &'static str, content_type: &'static str, body: &'static str) -> Asset {
    Asset {
        path,
        content_type,
        body,
        version: fnv1a(body.as_bytes()),
    }
}

/// `app.css`.
pub const CSS: Asset = asset(
    "/assets/app.css",
    "text/css; charset=utf-8",
    include_str!("../../assets/app.css"),
);

/// `app.js`: live refresh.
pub const JS: Asset = asset(
    "/assets/app.js",
    "text/javascript; charset=utf-8",
    include_str!("../../assets/app.js"),
);

/// `icon.svg` (linked so browsers do not ask for a missing `/favicon.ico`).
pub const ICON: Asset = asset(
    "/assets/icon.svg",
    "image/svg+xml",
    include_str!("../../assets/icon.svg"),
);

/// A versioned URL may be cached for a year; any other request revalidates.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

impl Asset {
    /// The versioned URL pages link to.
    pub fn url(&self) -> String {
        format!("{}?v={:016x}", self.path, self.version)
    }

    /// The response for a request carrying `version` (`?v=`).
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
