//! The SSRF guard: alert URLs come from configuration and the admin API, so before any
//! connection the host is resolved and every address it resolves to must be public, unless the
//! operator allow-listed it. The caller connects only to the addresses checked here (pinned),
//! so a DNS rebind between the check and the connection cannot reach an internal address.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use reqwest::Url;

pub use super::allowlist::Allowlist;

/// Why an address is not a public unicast address (IANA special-purpose registries,
/// RFC 6890 and its updates).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blocked {
    /// `127.0.0.0/8`, `::1`.
    Loopback,
    /// RFC 1918, `fc00::/7` unique local, `fec0::/10` site-local.
    Private,
    /// `169.254.0.0/16` (the cloud metadata address 169.254.169.254 is here), `fe80::/10`.
    LinkLocal,
    /// `0.0.0.0/8`, `::`.
    Unspecified,
    /// `224.0.0.0/4`, `ff00::/8`.
    Multicast,
    /// `255.255.255.255`.
    Broadcast,
    /// `100.64.0.0/10`, carrier-grade NAT (RFC 6598).
    SharedAddressSpace,
    /// `192.0.2.0/24`, `198.51.100.0/24`, `203.0.113.0/24`, `2001:db8::/32`, `3fff::/20`.
    Documentation,
    /// Other special-purpose ranges: `240.0.0.0/4`, benchmarking, protocol assignments,
    /// deprecated IPv4-compatible IPv6, Teredo, discard-only, local-use NAT64.
    Reserved,
}

impl fmt::Display for Blocked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Loopback => "loopback",
            Self::Private => "private",
            Self::LinkLocal => "link-local (cloud metadata)",
            Self::Unspecified => "unspecified",
            Self::Multicast => "multicast",
            Self::Broadcast => "broadcast",
            Self::SharedAddressSpace => "shared (CGNAT)",
            Self::Documentation => "documentation",
            Self::Reserved => "reserved",
        })
    }
}

/// IPv4 ranges, most specific first (broadcast sits inside 240/4).
const V4: [(Ipv4Addr, u8, Blocked); 16] = [
    (Ipv4Addr::new(255, 255, 255, 255), 32, Blocked::Broadcast),
    (Ipv4Addr::new(0, 0, 0, 0), 8, Blocked::Unspecified),
    (Ipv4Addr::new(10, 0, 0, 0), 8, Blocked::Private),
    (
        Ipv4Addr::new(100, 64, 0, 0),
        10,
        Blocked::SharedAddressSpace,
    ),
    (Ipv4Addr::new(127, 0, 0, 0), 8, Blocked::Loopback),
    (Ipv4Addr::new(169, 254, 0, 0), 16, Blocked::LinkLocal),
    (Ipv4Addr::new(172, 16, 0, 0), 12, Blocked::Private),
    (Ipv4Addr::new(192, 0, 0, 0), 24, Blocked::Reserved),
    (Ipv4Addr::new(192, 0, 2, 0), 24, Blocked::Documentation),
    (Ipv4Addr::new(192, 88, 99, 0), 24, Blocked::Reserved),
    (Ipv4Addr::new(192, 168, 0, 0), 16, Blocked::Private),
    (Ipv4Addr::new(198, 18, 0, 0), 15, Blocked::Reserved),
    (Ipv4Addr::new(198, 51, 100, 0), 24, Blocked::Documentation),
    (Ipv4Addr::new(203, 0, 113, 0), 24, Blocked::Documentation),
    (Ipv4Addr::new(224, 0, 0, 0), 4, Blocked::Multicast),
    (Ipv4Addr::new(240, 0, 0, 0), 4, Blocked::Reserved),
];

/// IPv6 ranges, most specific first. Ranges that embed an IPv4 address (mapped, NAT64,
/// 6to4) are handled in [`classify`] before this table.
const V6: [(Ipv6Addr, u8, Blocked); 13] = [
    (Ipv6Addr::UNSPECIFIED, 128, Blocked::Unspecified),
    (Ipv6Addr::LOCALHOST, 128, Blocked::Loopback),
    (Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 0), 96, Blocked::Reserved),
    (
        Ipv6Addr::new(0, 0, 0, 0, 0xffff, 0, 0, 0),
        96,
        Blocked::Reserved,
    ),
    (
        Ipv6Addr::new(0x64, 0xff9b, 1, 0, 0, 0, 0, 0),
        48,
        Blocked::Reserved,
    ),
    (
        Ipv6Addr::new(0x100, 0, 0, 0, 0, 0, 0, 0),
        64,
        Blocked::Reserved,
    ),
    (
        Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0),
        32,
        Blocked::Reserved,
    ),
    (
        Ipv6Addr::new(0x2001, 2, 0, 0, 0, 0, 0, 0),
        48,
        Blocked::Reserved,
    ),
    (
        Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0),
        32,
        Blocked::Documentation,
    ),
    (
        Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0),
        20,
        Blocked::Documentation,
    ),
    (
        Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0),
        7,
        Blocked::Private,
    ),
    (
        Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0),
        10,
        Blocked::LinkLocal,
    ),
    (
        Ipv6Addr::new(0xfec0, 0, 0, 0, 0, 0, 0, 0),
        10,
        Blocked::Private,
    ),
];

/// Why `ip` is not a public unicast address, or `None` if it is. IPv4 addresses embedded in
/// IPv6 (mapped `::ffff:0:0/96`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) are judged by the
/// IPv4 address they reach.
pub fn classify(ip: IpAddr) -> Option<Blocked> {
    match canonical(ip) {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => {
            if v6.segments()[0] & 0xff00 == 0xff00 {
                return Some(Blocked::Multicast);
            }
            if let Some(v4) = embedded_v4(v6) {
                return classify_v4(v4);
            }
            let bits = u128::from(v6);
            V6.iter()
                .find(|(net, len, _)| in_net(bits, u128::from(*net), *len, 128))
                .map(|(_, _, class)| *class)
        }
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<Blocked> {
    let bits = u128::from(u32::from(ip));
    V4.iter()
        .find(|(net, len, _)| in_net(bits, u128::from(u32::from(*net)), *len, 32))
        .map(|(_, _, class)| *class)
}

/// The IPv4 address behind NAT64 (`64:ff9b::/96`) or 6to4 (`2002::/16`).
fn embedded_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = v6.segments();
    let octets = v6.octets();
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return Some(Ipv4Addr::new(
            octets[12], octets[13], octets[14], octets[15],
        ));
    }
    (s[0] == 0x2002).then(|| Ipv4Addr::new(octets[2], octets[3], octets[4], octets[5]))
}

/// IPv4-mapped IPv6 addresses become the IPv4 address they are.
pub(super) fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

pub(super) fn in_net(addr: u128, net: u128, len: u8, width: u8) -> bool {
    let shift = u32::from(width - len.min(width));
    if shift >= u32::from(width) {
        return true;
    }
    (addr >> shift) == (net >> shift)
}

/// Why a URL may not be contacted (or could not be checked).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuardError {
    /// Only `https` is allowed.
    #[error("scheme {0:?} refused: alert targets must use https")]
    NotHttps(String),
    /// No host in the URL.
    #[error("the URL has no host")]
    NoHost,
    /// The host is, or resolves to, a non-public address that is not allow-listed.
    #[error(
        "{host} resolves to {ip}, a {class} address; add it to alerts.allow_private to allow it"
    )]
    Blocked {
        /// The URL's host.
        host: String,
        /// The offending address.
        ip: IpAddr,
        /// Which special range it is in.
        class: Blocked,
    },
    /// Resolution failed or found nothing.
    #[error("cannot resolve {host}: {message}")]
    Dns {
        /// The URL's host.
        host: String,
        /// The resolver's error.
        message: String,
    },
}

impl GuardError {
    /// True for a policy refusal, false for a resolution failure (which may be transient).
    pub fn is_refusal(&self) -> bool {
        !matches!(self, Self::Dns { .. })
    }
}

/// Checks URLs against the allowlist, resolving host names with a deadline.
#[derive(Debug, Clone)]
pub struct Guard {
    allow: Allowlist,
    dns_timeout: Duration,
}

/// Addresses a URL may be contacted at, all checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The host as written in the URL (a name, or an address literal).
    pub host: String,
    /// Whether `host` is a name that needs pinning to `addrs`.
    pub is_name: bool,
    /// Every address the host resolved to, each allowed.
    pub addrs: Vec<SocketAddr>,
}

impl Guard {
    /// A guard with `allow` and a resolution deadline.
    pub fn new(allow: Allowlist, dns_timeout: Duration) -> Self {
        Self { allow, dns_timeout }
    }

    /// Checks the scheme, resolves the host (no lookup for an address literal) and checks
    /// every address; returns them for pinning. No connection is made.
    pub async fn check(&self, url: &Url) -> Result<Checked, GuardError> {
        if url.scheme() != "https" {
            return Err(GuardError::NotHttps(url.scheme().to_owned()));
        }
        let port = url.port_or_known_default().unwrap_or(443);
        let written = url.host_str().ok_or(GuardError::NoHost)?;
        // The URL parser normalizes address literals (even `https://2130706433/`), so a host
        // that parses as an address is one; IPv6 literals come bracketed.
        let bare = written.trim_start_matches('[').trim_end_matches(']');
        let (host, is_name, addrs) = match bare.parse::<IpAddr>() {
            Ok(ip) => (bare.to_owned(), false, vec![SocketAddr::new(ip, port)]),
            Err(_) => (bare.to_owned(), true, self.resolve(bare, port).await?),
        };
        self.check_addrs(&host, &addrs)?;
        Ok(Checked {
            host,
            is_name,
            addrs,
        })
    }

    /// Refuses if any of `addrs` is non-public, unless `host` or the address is allow-listed.
    pub fn check_addrs(&self, host: &str, addrs: &[SocketAddr]) -> Result<(), GuardError> {
        if self.allow.allows_host(host) {
            return Ok(());
        }
        for addr in addrs {
            let ip = addr.ip();
            if let Some(class) = classify(ip).filter(|_| !self.allow.allows_ip(ip)) {
                return Err(GuardError::Blocked {
                    host: host.to_owned(),
                    ip,
                    class,
                });
            }
        }
        Ok(())
    }

    async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, GuardError> {
        let dns = |message: String| GuardError::Dns {
            host: host.to_owned(),
            message,
        };
        let lookup = tokio::net::lookup_host((host, port));
        let found = tokio::time::timeout(self.dns_timeout, lookup)
            .await
            .map_err(|_| dns(format!("timed out after {:?}", self.dns_timeout)))?
            .map_err(|e| dns(e.to_string()))?;
        let mut addrs: Vec<SocketAddr> = found.collect();
        addrs.dedup();
        if addrs.is_empty() {
            return Err(dns("no address found".into()));
        }
        Ok(addrs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(text: &str) -> Option<Blocked> {
        classify(text.parse().unwrap())
    }

    #[test]
    fn every_special_range_is_classified() {
        use Blocked::*;
        let cases: &[(&str, Option<Blocked>)] = &[
            ("127.0.0.1", Some(Loopback)),
            ("127.255.255.254", Some(Loopback)),
            ("::1", Some(Loopback)),
            ("10.0.0.1", Some(Private)),
            ("10.255.255.255", Some(Private)),
            ("172.16.0.1", Some(Private)),
            ("172.31.255.255", Some(Private)),
            ("192.168.1.1", Some(Private)),
            ("fc00::1", Some(Private)),
            ("fd12:3456::1", Some(Private)),
            ("fec0::1", Some(Private)),
            ("169.254.169.254", Some(LinkLocal)),
            ("169.254.0.1", Some(LinkLocal)),
            ("fe80::1", Some(LinkLocal)),
            ("febf::1", Some(LinkLocal)),
            ("0.0.0.0", Some(Unspecified)),
            ("0.1.2.3", Some(Unspecified)),
            ("::", Some(Unspecified)),
            ("224.0.0.1", Some(Multicast)),
            ("239.255.255.250", Some(Multicast)),
            ("ff02::1", Some(Multicast)),
            ("ff05::2", Some(Multicast)),
            ("255.255.255.255", Some(Broadcast)),
            ("100.64.0.1", Some(SharedAddressSpace)),
            ("100.127.255.255", Some(SharedAddressSpace)),
            ("192.0.2.10", Some(Documentation)),
            ("198.51.100.10", Some(Documentation)),
            ("203.0.113.10", Some(Documentation)),
            ("2001:db8::1", Some(Documentation)),
            ("3fff::1", Some(Documentation)),
            ("240.0.0.1", Some(Reserved)),
            ("198.18.0.1", Some(Reserved)),
            ("192.0.0.8", Some(Reserved)),
            ("::7f00:1", Some(Reserved)),
            ("2001::1", Some(Reserved)),
            ("100::1", Some(Reserved)),
            ("64:ff9b:1::1", Some(Reserved)),
            // IPv4-mapped, NAT64 and 6to4 addresses are judged by the IPv4 address inside.
            ("::ffff:127.0.0.1", Some(Loopback)),
            ("::ffff:169.254.169.254", Some(LinkLocal)),
            ("::ffff:10.1.2.3", Some(Private)),
            ("::ffff:100.64.0.1", Some(SharedAddressSpace)),
            ("64:ff9b::a9fe:a9fe", Some(LinkLocal)),
            ("64:ff9b::7f00:1", Some(Loopback)),
            ("2002:c0a8:101::1", Some(Private)),
            // Public unicast.
            ("1.1.1.1", None),
            ("8.8.8.8", None),
            ("100.63.255.255", None),
            ("100.128.0.0", None),
            ("172.15.255.255", None),
            ("172.32.0.0", None),
            ("169.253.255.255", None),
            ("223.255.255.255", None),
            ("2606:4700::1111", None),
            ("::ffff:1.1.1.1", None),
            ("64:ff9b::808:808", None),
            ("2002:808:808::1", None),
        ];
        for (text, want) in cases {
            assert_eq!(class(text), *want, "{text}");
        }
    }

    fn guard(entries: &[&str]) -> Guard {
        let mut allow = Allowlist::default();
        for e in entries {
            allow.add(e).unwrap();
        }
        Guard::new(allow, Duration::from_secs(2))
    }

    #[tokio::test]
    async fn literals_are_checked_without_lookup() {
        let g = guard(&[]);
        let check = |u: &str| {
            let url = Url::parse(u).unwrap();
            let g = g.clone();
            async move { g.check(&url).await }
        };
        assert!(matches!(
            check("https://169.254.169.254/latest/meta-data").await,
            Err(GuardError::Blocked {
                class: Blocked::LinkLocal,
                ..
            })
        ));
        assert!(matches!(
            check("https://[::ffff:169.254.169.254]/").await,
            Err(GuardError::Blocked {
                class: Blocked::LinkLocal,
                ..
            })
        ));
        assert!(matches!(
            check("https://[fe80::1]/").await,
            Err(GuardError::Blocked { .. })
        ));
        assert_eq!(
            check("http://1.1.1.1/").await,
            Err(GuardError::NotHttps("http".into()))
        );
        for obfuscated in [
            "https://2130706433/",
            "https://0x7f.1/",
            "https://[::ffff:7f00:1]/",
        ] {
            assert!(
                matches!(
                    check(obfuscated).await,
                    Err(GuardError::Blocked {
                        class: Blocked::Loopback,
                        ..
                    })
                ),
                "{obfuscated}"
            );
        }
        let ok = check("https://1.1.1.1:8443/x?token=y").await.unwrap();
        assert_eq!(ok.addrs, ["1.1.1.1:8443".parse().unwrap()]);
        assert!(!ok.is_name);
    }

    #[tokio::test]
    async fn names_resolving_to_loopback_are_refused_unless_allowed() {
        let err = guard(&[])
            .check(&Url::parse("https://localhost:9/").unwrap())
            .await
            .unwrap_err();
        assert!(err.is_refusal(), "{err}");
        assert!(err.to_string().contains("loopback"), "{err}");
        let ok = guard(&["localhost"])
            .check(&Url::parse("https://LOCALHOST:9/").unwrap())
            .await
            .unwrap();
        assert!(ok.is_name && !ok.addrs.is_empty());
        assert!(ok.addrs.iter().all(|a| a.port() == 9));
    }

    #[test]
    fn any_bad_address_refuses_the_host() {
        let g = guard(&["10.0.0.0/8"]);
        let addrs = |list: &[&str]| -> Vec<SocketAddr> {
            list.iter().map(|a| a.parse().unwrap()).collect()
        };
        assert!(
            g.check_addrs("h", &addrs(&["1.1.1.1:443", "10.0.0.1:443"]))
                .is_ok()
        );
        let err = g
            .check_addrs("h", &addrs(&["1.1.1.1:443", "192.168.0.1:443"]))
            .unwrap_err();
        assert!(matches!(
            err,
            GuardError::Blocked {
                class: Blocked::Private,
                ..
            }
        ));
    }
}
