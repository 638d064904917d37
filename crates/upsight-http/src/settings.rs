//! Validation shared by the servers' configuration files: trusted proxy lists, CORS origins
//! and "requests per minute" rate limits, each problem reported as `(key, message)` so the
//! caller can prefix its section (`http.rate_limit_burst: ...`).

use std::time::Duration;

use crate::{Cidr, CorsPolicy, RateLimitConfig};

/// The most requests a minute a rate-limit key accepts.
pub const MAX_PER_MINUTE: u32 = 60_000;

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
}
