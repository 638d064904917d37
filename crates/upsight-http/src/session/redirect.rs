//! Safe post-login redirect targets: same-origin absolute paths only.
//!
//! Browsers read `//host`, `/\host` and (after stripping tabs and newlines) `/\t/host` as
//! network-path references to another host, so a `next` value must start with exactly one `/`,
//! contain no backslash, no whitespace and no control character, and parse as a path and query.

use axum::http::uri::PathAndQuery;

/// Longest accepted redirect target.
const MAX_NEXT_LEN: usize = 2048;

/// A `next` value that could leave this origin or is not a plain path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("redirect target is not a same-origin path")]
pub struct UnsafeRedirect;

/// Accepts `raw` as a same-origin redirect target (`/devices?x=1`), refusing absolute URLs,
/// `//host` and the backslash and whitespace variants browsers normalise into them.
pub fn parse_next(raw: &str) -> Result<&str, UnsafeRedirect> {
    let bytes = raw.as_bytes();
    let is_rooted = bytes.first() == Some(&b'/') && !matches!(bytes.get(1), Some(b'/' | b'\\'));
    let is_plain = bytes.iter().all(|b| b.is_ascii_graphic() && *b != b'\\');
    if !is_rooted || !is_plain || raw.len() > MAX_NEXT_LEN {
        return Err(UnsafeRedirect);
    }
    raw.parse::<PathAndQuery>().map_err(|_| UnsafeRedirect)?;
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_origin_paths_are_accepted() {
        for ok in ["/", "/devices", "/devices/ups1?range=1h&x=%2F%2F", "/a//b"] {
            assert_eq!(parse_next(ok), Ok(ok));
        }
    }

    #[test]
    fn open_redirects_are_refused() {
        for bad in [
            "",
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "https://evil.example/",
            "javascript:alert(1)",
            "evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/ok path",
            "/a\\b",
        ] {
            assert_eq!(parse_next(bad), Err(UnsafeRedirect), "{bad:?}");
        }
        assert!(parse_next(&format!("/{}", "a".repeat(MAX_NEXT_LEN))).is_err());
    }
}
