//! Per-client rate limiting: a keyed token bucket with bounded memory, and the middleware that
//! applies it per client IP before any authentication.
//!
//! The bucket is kept as GCRA (the "theoretical arrival time" form of a token bucket): one
//! `Instant` per key. A key whose arrival time is in the past has a full bucket, exactly like a
//! key never seen, so such entries can be dropped at any time without changing a decision.
//!
//! **Memory bound:** at most `max_clients` keys are tracked (default 10 000, about 0.5 MB).
//! When a new key arrives at a full table, replenished entries are dropped first; if the table
//! is still full, the stalest eighth (earliest arrival times, i.e. the clients closest to a full
//! bucket) is evicted in one O(n) pass, so the amortised cost per new key stays constant. An
//! attacker controlling more addresses than the cap can thereby reset other clients' buckets;
//! the cap trades that against memory, and IPv6 clients are keyed by their /64 so one host
//! cannot mint addresses.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use tokio::time::Instant;

use crate::{ApiError, ClientIp, SecurityCounters};

/// A refused request: how long until the next one would be allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimited {
    /// Time until one token is back in the bucket.
    pub retry_after: Duration,
}

/// A rate-limit setting that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateLimitError {
    /// The refill interval must lie in 1 ms..=1 h.
    #[error("rate limit refill interval {0:?} is outside 1ms..=1h")]
    Interval(Duration),
    /// The burst must lie in 1..=100 000.
    #[error("rate limit burst {0} is outside 1..=100000")]
    Burst(u32),
    /// At least one client must be trackable.
    #[error("rate limit max_clients must be at least 1")]
    MaxClients,
}

/// Rate and burst of a token bucket, plus the cap on tracked clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitConfig {
    refill_interval: Duration,
    burst: u32,
    max_clients: usize,
}

impl RateLimitConfig {
    /// One token comes back every `refill_interval`; at most `burst` are saved up; at most
    /// `max_clients` keys are tracked.
    pub fn try_new(
        refill_interval: Duration,
        burst: u32,
        max_clients: usize,
    ) -> Result<Self, RateLimitError> {
        if !(Duration::from_millis(1)..=Duration::from_secs(3600)).contains(&refill_interval) {
            return Err(RateLimitError::Interval(refill_interval));
        }
        if !(1..=100_000).contains(&burst) {
            return Err(RateLimitError::Burst(burst));
        }
        if max_clients == 0 {
            return Err(RateLimitError::MaxClients);
        }
        Ok(Self {
            refill_interval,
            burst,
            max_clients,
        })
    }

    /// The cap on tracked clients.
    pub fn max_clients(&self) -> usize {
        self.max_clients
    }
}

impl Default for RateLimitConfig {
    /// 60 requests a minute with a burst of 30, 10 000 tracked clients (feature floor C.2.3).
    fn default() -> Self {
        Self {
            refill_interval: Duration::from_secs(1),
            burst: 30,
            max_clients: 10_000,
        }
    }
}

/// A token bucket per key, with at most `max_clients` keys in memory.
#[derive(Debug)]
pub struct KeyedLimiter<K> {
    config: RateLimitConfig,
    arrivals: Mutex<HashMap<K, Instant>>,
}

impl<K: Hash + Eq + Clone> KeyedLimiter<K> {
    /// An empty limiter; the table is allocated once, at its cap.
    pub fn new(config: RateLimitConfig) -> Self {
        Self {
            config,
            arrivals: Mutex::new(HashMap::with_capacity(config.max_clients)),
        }
    }

    /// Takes one token from `key`'s bucket at time `now`, or says how long to wait.
    pub fn check(&self, key: K, now: Instant) -> Result<(), RateLimited> {
        let mut arrivals = self.arrivals.lock().unwrap_or_else(PoisonError::into_inner);
        let horizon = self.config.refill_interval * self.config.burst;
        let tat = arrivals.get(&key).copied().unwrap_or(now).max(now);
        let next = tat + self.config.refill_interval;
        let ahead = next - now;
        if ahead > horizon {
            return Err(RateLimited {
                retry_after: ahead - horizon,
            });
        }
        if !arrivals.contains_key(&key) && arrivals.len() >= self.config.max_clients {
            evict(&mut arrivals, now, self.config.max_clients);
        }
        arrivals.insert(key, next);
        Ok(())
    }

    /// Number of keys currently tracked (never above the configured cap).
    pub fn tracked(&self) -> usize {
        self.arrivals
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// Makes room for one key: drops replenished entries, then the stalest eighth if still full.
fn evict<K: Hash + Eq + Clone>(arrivals: &mut HashMap<K, Instant>, now: Instant, cap: usize) {
    arrivals.retain(|_, tat| *tat > now);
    if arrivals.len() < cap {
        return;
    }
    let batch = (cap / 8).max(1);
    let mut by_age: Vec<(Instant, K)> = arrivals.iter().map(|(k, t)| (*t, k.clone())).collect();
    by_age.select_nth_unstable_by_key(batch - 1, |(tat, _)| *tat);
    for (_, key) in by_age.into_iter().take(batch) {
        arrivals.remove(&key);
    }
}

/// The limiter key of a client: IPv4 as is, IPv6 by its /64 (one subscriber's allocation).
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & (u128::MAX << 64))),
        v4 @ IpAddr::V4(_) => v4,
    }
}

/// State of the per-IP middleware.
#[derive(Debug, Clone)]
pub(crate) struct IpLimit {
    pub(crate) limiter: Arc<KeyedLimiter<IpAddr>>,
    pub(crate) counters: Arc<SecurityCounters>,
    /// Paths not limited here ([`crate::HttpConfig::ip_limit_exempt`]).
    pub(crate) exempt: Arc<[&'static str]>,
}

/// Answers 429 with `Retry-After` when the client's bucket is empty. Needs [`ClientIp`].
pub(crate) async fn limit<F: Future<Output = Response>>(
    state: &IpLimit,
    req: Request,
    next: impl FnOnce(Request) -> F,
) -> Response {
    if state.exempt.contains(&req.uri().path()) {
        return next(req).await;
    }
    let Some(ClientIp(ip)) = req.extensions().get::<ClientIp>().copied() else {
        return ApiError::Internal("rate limit without a resolved client address".into())
            .into_response();
    };
    match state.limiter.check(client_key(ip), Instant::now()) {
        Ok(()) => next(req).await,
        Err(RateLimited { retry_after }) => {
            state.counters.record_rate_limited();
            tracing::debug!(client_ip = %ip, ?retry_after, "Rate limited.");
            ApiError::TooManyRequests { retry_after }.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(interval_ms: u64, burst: u32, cap: usize) -> KeyedLimiter<u32> {
        let config = RateLimitConfig::try_new(Duration::from_millis(interval_ms), burst, cap);
        KeyedLimiter::new(config.unwrap())
    }

    #[test]
    fn burst_then_refusal_then_refill() {
        let limiter = limiter(1000, 3, 10);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.check(1, t0), Ok(()));
        }
        let refused = limiter.check(1, t0).unwrap_err();
        assert_eq!(refused.retry_after, Duration::from_secs(1));
        let half = t0 + Duration::from_millis(500);
        assert_eq!(
            limiter.check(1, half).unwrap_err().retry_after,
            Duration::from_millis(500)
        );
        assert_eq!(limiter.check(1, t0 + Duration::from_secs(1)), Ok(()));
        assert_eq!(limiter.check(2, t0), Ok(()), "keys are independent");
    }

    #[test]
    fn memory_stays_under_the_cap_for_100k_distinct_clients() {
        let cap = 1_000;
        let config = RateLimitConfig::try_new(Duration::from_secs(60), 5, cap).unwrap();
        let limiter = KeyedLimiter::<IpAddr>::new(config);
        let now = Instant::now();
        for n in 0..100_000u32 {
            let ip = IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000 + n));
            assert_eq!(limiter.check(client_key(ip), now), Ok(()));
            assert!(limiter.tracked() <= cap);
        }
        assert!(
            limiter.tracked() > cap / 2,
            "eviction is batched, not a wipe"
        );
    }

    #[test]
    fn stalest_clients_are_evicted_first() {
        let limiter = limiter(60_000, 5, 8);
        let t0 = Instant::now();
        for key in 0..8u32 {
            let at = t0 + Duration::from_millis(u64::from(key));
            limiter.check(key, at).unwrap();
        }
        for _ in 0..4 {
            limiter.check(7, t0 + Duration::from_millis(10)).unwrap();
        }
        limiter.check(100, t0 + Duration::from_millis(20)).unwrap();
        assert_eq!(limiter.tracked(), 8);
        let held = limiter.arrivals.lock().unwrap();
        assert!(!held.contains_key(&0), "the stalest key went first");
        assert!(held.contains_key(&7) && held.contains_key(&100));
    }

    #[test]
    fn ipv6_clients_share_their_64() {
        assert_eq!(
            client_key("2001:db8:1:2:aaaa::1".parse().unwrap()),
            "2001:db8:1:2::".parse::<IpAddr>().unwrap()
        );
        let v4: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(client_key(v4), "192.0.2.1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn bad_settings_are_refused() {
        assert!(RateLimitConfig::try_new(Duration::ZERO, 1, 1).is_err());
        assert!(RateLimitConfig::try_new(Duration::from_secs(1), 0, 1).is_err());
        assert!(RateLimitConfig::try_new(Duration::from_secs(1), 1, 0).is_err());
    }
}
