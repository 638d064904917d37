//! Who the client is: the TCP peer, or — only behind a configured trusted proxy — the right-most
//! `X-Forwarded-For` hop that is not itself a trusted proxy.
//!
//! `X-Forwarded-For` is written by whoever sends the request, so only hops appended by proxies
//! we trust can be believed. Walking from the right, each trusted proxy vouches for the hop to
//! its left; the first hop that is not a trusted proxy is the client. A peer that is not a
//! trusted proxy is the client, and its header is ignored (rotating the header must not rotate
//! the rate-limit key).

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use axum::extract::{ConnectInfo, Request};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use crate::ApiError;

/// The header proxies append the address of their client to.
const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// At most this many hops are examined from the right; a longer chain of trusted proxies is
/// not a real deployment, and the bound keeps the walk cheap.
const MAX_HOPS: usize = 32;

/// The resolved client address, inserted into request extensions by the hardening stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientIp(pub IpAddr);

impl fmt::Display for ClientIp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A CIDR range such as `10.0.0.0/8` or `fd00::/8`; a bare address is a single host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

/// A CIDR string that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid CIDR {value:?}: expected an address or address/prefix")]
pub struct CidrError {
    /// The refused text.
    pub value: String,
}

impl FromStr for Cidr {
    type Err = CidrError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || CidrError {
            value: s.to_owned(),
        };
        let (addr, prefix) = match s.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (s, None),
        };
        let network = addr.parse::<IpAddr>().map_err(|_| err())?.to_canonical();
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(err)?,
            None => max,
        };
        Ok(Self { network, prefix })
    }
}

impl Cidr {
    /// Whether `ip` lies in this range (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// The proxies whose `X-Forwarded-For` entries are believed. Empty (the default) means the
/// header is always ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Cidr>);

impl TrustedProxies {
    /// Trust the given ranges.
    pub fn new(ranges: Vec<Cidr>) -> Self {
        Self(ranges)
    }

    /// Whether `ip` is a trusted proxy.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|cidr| cidr.contains(ip))
    }

    /// The client address for a request from `peer` carrying these `X-Forwarded-For` values
    /// (in header order). Pure; see the module docs for the rule.
    ///
    /// An unparseable hop stops the walk at the last trusted address, so garbage never becomes
    /// the key; a chain made only of trusted proxies yields its left-most hop.
    pub fn resolve<'a>(&self, peer: IpAddr, forwarded: impl Iterator<Item = &'a str>) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.contains(client) {
            return client;
        }
        let hops: Vec<&str> = forwarded.flat_map(|value| value.split(',')).collect();
        for hop in hops.iter().rev().take(MAX_HOPS) {
            let Some(ip) = parse_hop(hop) else {
                return client;
            };
            client = ip;
            if !self.contains(ip) {
                return ip;
            }
        }
        client
    }
}

/// Parses one `X-Forwarded-For` entry: `1.2.3.4`, `1.2.3.4:5678`, `::1` or `[::1]:5678`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    let ip = hop
        .parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| hop.strip_prefix('[')?.strip_suffix(']')?.parse().ok())?;
    Some(ip.to_canonical())
}

/// Resolves the [`ClientIp`] from `ConnectInfo<SocketAddr>` and inserts it into the request.
///
/// Without `ConnectInfo` the server was not started with
/// `into_make_service_with_connect_info::<SocketAddr>()`; that is a wiring bug, answered 500
/// rather than guessed around (a shared fallback key would rate-limit everyone together).
pub(crate) async fn resolve<F: Future<Output = Response>>(
    proxies: &TrustedProxies,
    mut req: Request,
    next: impl FnOnce(Request) -> F,
) -> Response {
    let Some(ConnectInfo(peer)) = req.extensions().get::<ConnectInfo<SocketAddr>>().copied() else {
        return ApiError::Internal(
            "no peer address: serve with into_make_service_with_connect_info::<SocketAddr>()"
                .into(),
        )
        .into_response();
    };
    let ip = proxies.resolve(peer.ip(), forwarded_values(req.headers()));
    req.extensions_mut().insert(ClientIp(ip));
    next(req).await
}

/// The `X-Forwarded-For` values in header order; a non-UTF-8 value becomes an unparseable hop.
fn forwarded_values(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers
        .get_all(X_FORWARDED_FOR)
        .iter()
        .map(|v| v.to_str().unwrap_or("?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn proxies(list: &[&str]) -> TrustedProxies {
        TrustedProxies::new(list.iter().map(|c| c.parse().unwrap()).collect())
    }

    #[test]
    fn cidr_parsing_and_membership() {
        let net: Cidr = "10.0.0.0/8".parse().unwrap();
        assert!(net.contains(ip("10.255.0.1")));
        assert!(
            net.contains(ip("::ffff:10.1.2.3")),
            "v4-mapped counts as v4"
        );
        assert!(!net.contains(ip("11.0.0.1")));
        let host: Cidr = "fd00::1".parse().unwrap();
        assert!(host.contains(ip("fd00::1")) && !host.contains(ip("fd00::2")));
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("203.0.113.9")));
        let v6: Cidr = "fd00::/8".parse().unwrap();
        assert!(v6.contains(ip("fdff::1")) && !v6.contains(ip("fe80::1")));
        for bad in ["10.0.0.0/33", "fd00::/129", "nope", "10.0.0.0/", "/8"] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
    }

    #[test]
    fn header_is_ignored_from_an_untrusted_peer() {
        let trusted = proxies(&["10.0.0.1"]);
        let got = trusted.resolve(ip("198.51.100.7"), ["1.2.3.4"].into_iter());
        assert_eq!(got, ip("198.51.100.7"));
        let none = TrustedProxies::default();
        assert_eq!(
            none.resolve(ip("10.0.0.1"), ["1.2.3.4"].into_iter()),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn right_most_untrusted_hop_wins_behind_trusted_proxies() {
        let trusted = proxies(&["10.0.0.0/8"]);
        // Client spoofs 6.6.6.6; the real client 203.0.113.5 was appended by 10.0.0.2.
        let chain = ["6.6.6.6, 203.0.113.5", "10.0.0.2"];
        assert_eq!(
            trusted.resolve(ip("10.0.0.1"), chain.into_iter()),
            ip("203.0.113.5")
        );
        let ported = ["[2001:db8::5]:4711"];
        assert_eq!(
            trusted.resolve(ip("10.0.0.1"), ported.into_iter()),
            ip("2001:db8::5")
        );
        let with_port = ["203.0.113.5:1234"];
        assert_eq!(
            trusted.resolve(ip("10.0.0.1"), with_port.into_iter()),
            ip("203.0.113.5")
        );
    }

    #[test]
    fn garbage_or_missing_hops_fall_back_to_the_last_trusted_address() {
        let trusted = proxies(&["10.0.0.0/8"]);
        let peer = ip("10.0.0.1");
        assert_eq!(trusted.resolve(peer, std::iter::empty()), peer);
        assert_eq!(trusted.resolve(peer, ["1.2.3.4, junk"].into_iter()), peer);
        assert_eq!(
            trusted.resolve(peer, ["junk, 10.0.0.9"].into_iter()),
            ip("10.0.0.9")
        );
        assert_eq!(
            trusted.resolve(peer, ["10.0.0.7, 10.0.0.8"].into_iter()),
            ip("10.0.0.7")
        );
    }
}
