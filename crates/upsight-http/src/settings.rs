//! Validation shared by the servers' configuration files: trusted proxy lists, CORS origins,
//! allowed hosts, "requests per minute" rate limits and connection limits, each problem
//! reported as `(key, message)` so the caller can prefix its section
//! (`http.rate_limit_burst: ...`).

use std::ops::RangeInclusive;
use std::time::Duration;

use crate::{AllowedHosts, Cidr, CorsPolicy, Limits, RateLimitConfig};

/// The most requests a minute a rate-limit key accepts.
pub const MAX_PER_MINUTE: u32 = 60_000;

/// Accepted `max_connections`.
pub const MAX_CONNECTIONS: RangeInclusive<usize> = 1..=1_000_000;

/// Accepted `header_read_timeout`.
pub const HEADER_READ_TIMEOUT: RangeInclusive<Duration> =
    Duration::from_millis(100)..=Duration::from_secs(300);

/// Accepted `max_header_bytes`: below 4 KiB a browser's cookies no longer fit.
pub const MAX_HEADER_BYTES: RangeInclusive<usize> = 4096..=1024 * 1024;

/// `[http]` connection keys as written; `None` takes the default of [`Limits`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConnectionKeys {
    /// `max_connections`.
    pub max_connections: Option<usize>,
    /// `header_read_timeout`.
    pub header_read_timeout: Option<Duration>,
    /// `max_header_bytes`.
    pub max_header_bytes: Option<usize>,
}

/// Parses `trusted_proxies` (CIDRs or addresses); each bad entry is reported as
/// `trusted_proxies[i]` with its text.
pub fn trusted_proxies(list: &[String], err: &mut dyn FnMut(String, String)) -> Vec<Cidr> {
    list.iter()
        .enumerate()
        .filter_map(|(i, text)| {
            text.parse::<Cidr>()
                .map_err(|e| err(format!("trusted_proxies[{i}]"), format!("{text:?}: {e}")))
                .ok()
        })
        .collect()
}

/// Checks `allowed_origins` (exact `scheme://host[:port]` origins, never `*`).
pub fn allowed_origins(list: &[String], err: &mut dyn FnMut(String, String)) -> CorsPolicy {
    CorsPolicy::try_new(list)
        .map_err(|e| err("allowed_origins".into(), e.to_string()))
        .unwrap_or_default()
}

/// Checks `allowed_hosts` (host names or IP addresses, no port).
pub fn allowed_hosts(list: &[String], err: &mut dyn FnMut(String, String)) -> AllowedHosts {
    AllowedHosts::try_new(list)
        .map_err(|e| err("allowed_hosts".into(), e.to_string()))
        .unwrap_or_default()
}

/// The [`Limits`] with the connection keys applied over `base`; a value out of range is
/// reported under its key and the default kept.
pub fn connection_limits(
    base: Limits,
    keys: ConnectionKeys,
    err: &mut dyn FnMut(String, String),
) -> Limits {
    let mut limits = base;
    if let Some(n) = keys.max_connections {
        if MAX_CONNECTIONS.contains(&n) {
            limits.max_connections = n;
        } else {
            err(
                "max_connections".into(),
                format!("{n} is out of range (1-1000000)"),
            );
        }
    }
    if let Some(timeout) = keys.header_read_timeout {
        if HEADER_READ_TIMEOUT.contains(&timeout) {
            limits.header_read_timeout = timeout;
        } else {
            err(
                "header_read_timeout".into(),
                format!("{timeout:?} is out of range (100ms-5m)"),
            );
        }
    }
    if let Some(n) = keys.max_header_bytes {
        if MAX_HEADER_BYTES.contains(&n) {
            limits.max_header_bytes = n;
        } else {
            err(
                "max_header_bytes".into(),
                format!("{n} is out of range (4096-1048576)"),
            );
        }
    }
    limits
}

/// A token bucket from `{prefix}_per_minute` (1..=[`MAX_PER_MINUTE`]) and `{prefix}_burst`,
/// tracking at most `max_keys` keys. On an error the default is returned and the error
/// reported under the key that is wrong.
pub fn per_minute(
    prefix: &str,
    per_minute: u32,
    burst: u32,
    max_keys: usize,
    err: &mut dyn FnMut(String, String),
) -> RateLimitConfig {
    if !(1..=MAX_PER_MINUTE).contains(&per_minute) {
        err(
            format!("{prefix}_per_minute"),
            format!("{per_minute} is out of range (1-{MAX_PER_MINUTE})"),
        );
        return RateLimitConfig::default();
    }
    let refill = Duration::from_secs(60) / per_minute;
    RateLimitConfig::try_new(refill, burst, max_keys)
        .map_err(|e| err(format!("{prefix}_burst"), e.to_string()))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_names_its_key() {
        let mut errors = Vec::new();
        let mut err = |k: String, m: String| errors.push(format!("{k}: {m}"));
        let proxies = trusted_proxies(&["10.0.0.0/8".into(), "nope".into()], &mut err);
        assert_eq!(proxies.len(), 1);
        let _ = allowed_origins(&["*".into()], &mut err);
        let _ = per_minute("rate_limit", 0, 10, 10, &mut err);
        let _ = per_minute("heartbeat_limit", 60, 0, 10, &mut err);
        let ok = per_minute("rate_limit", 120, 5, 10, &mut err);
        assert_eq!(ok.max_clients(), 10);
        let all = errors.join("\n");
        for key in [
            "trusted_proxies[1]: \"nope\"",
            "allowed_origins: ",
            "rate_limit_per_minute: 0 is out of range",
            "heartbeat_limit_burst: ",
        ] {
            assert!(all.contains(key), "{key} missing in:\n{all}");
        }
        assert_eq!(errors.len(), 4, "{all}");
    }

    #[test]
    fn connection_keys_apply_over_the_base_or_name_their_key() {
        let mut errors = Vec::new();
        let mut err = |k: String, m: String| errors.push(format!("{k}: {m}"));
        let base = Limits::default();
        assert_eq!(
            connection_limits(base, ConnectionKeys::default(), &mut err),
            base
        );
        let keys = ConnectionKeys {
            max_connections: Some(64),
            header_read_timeout: Some(Duration::from_secs(2)),
            max_header_bytes: Some(8192),
        };
        let set = connection_limits(base, keys, &mut err);
        assert_eq!(set.max_connections, 64);
        assert_eq!(set.header_read_timeout, Duration::from_secs(2));
        assert_eq!(set.max_header_bytes, 8192);
        assert_eq!(set.max_body_bytes, base.max_body_bytes);
        let bad = ConnectionKeys {
            max_connections: Some(0),
            header_read_timeout: Some(Duration::ZERO),
            max_header_bytes: Some(1024),
        };
        assert_eq!(connection_limits(base, bad, &mut err), base);
        let hosts = allowed_hosts(&["ok.example".into(), "http://x".into()], &mut err);
        assert!(hosts.is_empty());
        let all = errors.join("\n");
        for key in [
            "max_connections: 0 is out of range",
            "header_read_timeout: 0ns is out of range",
            "max_header_bytes: 1024 is out of range",
            "allowed_hosts: \"http://x\" is not a host name",
        ] {
            assert!(all.contains(key), "{key} missing in:\n{all}");
        }
        assert_eq!(errors.len(), 4, "{all}");
    }
}
