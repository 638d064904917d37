//! Configuration: [`FleetConfig`] (the plane's file and environment) and `RegistryConfig`
//! (the registry's timing, capacity and threshold settings).

mod file;

use std::time::Duration;

/// The file's sections as written (for the documentation check; not an API).
#[doc(hidden)]
pub mod raw {
    pub use super::file::{RawConfig, RawHttp, RawTokens};
}

pub use file::{
    ConfigErrors, DEFAULT_BURST, DEFAULT_HEARTBEAT_BURST, DEFAULT_HEARTBEATS_PER_MINUTE,
    DEFAULT_LISTEN, DEFAULT_RATE_PER_MINUTE, FleetConfig, PlaneHttp,
};

use upsight_model::RegisterResponseV1;

/// How the registry judges members and devices. Validated by
/// [`Registry::try_new`](crate::Registry::try_new).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryConfig {
    /// How often members heartbeat (returned in every registration): whole seconds,
    /// 1 s to 1 day. A member is up while its last heartbeat is at most 1.5 × this old.
    pub heartbeat_interval: Duration,
    /// After how long without a heartbeat a member is down (stale before that): whole seconds,
    /// more than `heartbeat_interval`.
    pub ttl: Duration,
    /// The most members across all groups; a new identity beyond it is refused (403).
    pub max_members: usize,
    /// A device with less battery runtime left than this counts as "low runtime".
    pub low_runtime: Duration,
    /// Networks a member's `scrape_target` may point into besides the address it registered
    /// from; see [`RegistryConfig::is_listed_target`].
    pub discovery_networks: Vec<upsight_http::Cidr>,
    /// Host names (lowercase, exact) a member's `scrape_target` may name.
    pub discovery_hosts: Vec<String>,
}

impl Default for RegistryConfig {
    /// 15 s interval, 45 s TTL (3 intervals), 5000 members, low runtime under 300 s.
    fn default() -> Self {
        Self {
            heartbeat_interval: Duration::from_secs(15),
            ttl: Duration::from_secs(45),
            max_members: 5000,
            low_runtime: Duration::from_secs(300),
            discovery_networks: Vec::new(),
            discovery_hosts: Vec::new(),
        }
    }
}

/// A [`RegistryConfig`] the registry cannot work with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The interval is not a whole number of seconds in 1..=86400.
    #[error("heartbeat_interval = {0:?}: must be whole seconds, 1s to 86400s")]
    BadInterval(Duration),
    /// The TTL is not whole seconds, not longer than the interval, or does not fit the wire.
    #[error(
        "ttl = {ttl:?}: must be whole seconds and longer than heartbeat_interval = {interval:?}"
    )]
    BadTtl {
        /// The TTL given.
        ttl: Duration,
        /// The interval it must exceed.
        interval: Duration,
    },
    /// `max_members` is zero.
    #[error("max_members = 0: must be at least 1")]
    NoMembers,
}

impl RegistryConfig {
    /// Whether a member registering from `peer` may have Prometheus sent to `target`
    /// (`host:port` or `[v6]:port`, validated): the host is `peer` itself, an address in
    /// `discovery_networks`, or a name in `discovery_hosts`. Anything else would let a holder
    /// of the ingest token point the plane's Prometheus at any address it can reach.
    pub fn is_listed_target(&self, target: &str, peer: std::net::IpAddr) -> bool {
        let host = match target.strip_prefix('[') {
            Some(rest) => rest.split_once(']').map_or(rest, |(h, _)| h),
            None => target.rsplit_once(':').map_or(target, |(h, _)| h),
        };
        match host.parse::<std::net::IpAddr>() {
            Ok(ip) => {
                let ip = ip.to_canonical();
                ip == peer.to_canonical() || self.discovery_networks.iter().any(|n| n.contains(ip))
            }
            Err(_) => self
                .discovery_hosts
                .iter()
                .any(|h| h.eq_ignore_ascii_case(host)),
        }
    }

    /// Checks the bounds, returning `(interval, ttl)` in wire seconds.
    pub(crate) fn wire_seconds(&self) -> Result<(u32, u32), ConfigError> {
        let interval = whole_seconds(self.heartbeat_interval)
            .filter(|s| (1..=RegisterResponseV1::MAX_HEARTBEAT_INTERVAL_SECONDS).contains(s))
            .ok_or(ConfigError::BadInterval(self.heartbeat_interval))?;
        let ttl = whole_seconds(self.ttl)
            .filter(|&s| s > interval)
            .ok_or(ConfigError::BadTtl {
                ttl: self.ttl,
                interval: self.heartbeat_interval,
            })?;
        if self.max_members == 0 {
            return Err(ConfigError::NoMembers);
        }
        Ok((interval, ttl))
    }

    /// The oldest heartbeat age that still counts as up: 1.5 × the interval.
    pub(crate) fn up_within(&self) -> Duration {
        self.heartbeat_interval.saturating_mul(3) / 2
    }
}

fn whole_seconds(d: Duration) -> Option<u32> {
    if d.subsec_nanos() != 0 {
        return None;
    }
    u32::try_from(d.as_secs()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        assert_eq!(RegistryConfig::default().wire_seconds(), Ok((15, 45)));
        let with = |interval: f64, ttl: f64| RegistryConfig {
            heartbeat_interval: Duration::from_secs_f64(interval),
            ttl: Duration::from_secs_f64(ttl),
            ..RegistryConfig::default()
        };
        assert!(matches!(
            with(0.0, 45.0).wire_seconds(),
            Err(ConfigError::BadInterval(_))
        ));
        assert!(matches!(
            with(1.5, 45.0).wire_seconds(),
            Err(ConfigError::BadInterval(_))
        ));
        assert!(matches!(
            with(86_401.0, 1e6).wire_seconds(),
            Err(ConfigError::BadInterval(_))
        ));
        assert!(matches!(
            with(15.0, 15.0).wire_seconds(),
            Err(ConfigError::BadTtl { .. })
        ));
        assert!(matches!(
            with(15.0, 1e10).wire_seconds(),
            Err(ConfigError::BadTtl { .. })
        ));
        let none = RegistryConfig {
            max_members: 0,
            ..RegistryConfig::default()
        };
        assert_eq!(none.wire_seconds(), Err(ConfigError::NoMembers));
        assert_eq!(
            RegistryConfig::default().up_within(),
            Duration::from_millis(22_500)
        );
    }
}
