//! The log line and counter for a refused authentication, with client-controlled text
//! sanitised: control characters (CR, LF, ESC, …) removed and at most 64 characters kept, so a
//! request cannot forge or flood log lines. Only the path is logged (never the query, which may
//! hold `?token=`), and never a header value.

use axum::extract::Request;

use crate::SecurityCounters;
use crate::auth::client_for_log;

/// Longest client-controlled text kept in a log field, in characters.
const MAX_LOGGED_CHARS: usize = 64;

/// `raw` without control characters, truncated to [`MAX_LOGGED_CHARS`].
pub(crate) fn sanitize(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_control())
        .take(MAX_LOGGED_CHARS)
        .collect()
}

/// Counts a refused request and logs who, where and why.
pub fn record_denial<B>(counters: &SecurityCounters, req: &Request<B>, status: u16, reason: &str) {
    counters.record_auth_failure();
    let path = sanitize(req.uri().path());
    let client_ip = client_for_log(req);
    tracing::warn!(client_ip, path, status, reason, "Authentication failed.");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_removed_and_length_capped() {
        assert_eq!(sanitize("/api\r\nFAKE: line"), "/apiFAKE: line");
        assert_eq!(sanitize("/\u{1b}[31mred\u{7f}\u{85}"), "/[31mred");
        let long = "/".to_owned() + &"é".repeat(100);
        assert_eq!(sanitize(&long).chars().count(), MAX_LOGGED_CHARS);
    }
}
