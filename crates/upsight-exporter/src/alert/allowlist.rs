//! The SSRF guard's allowlist (`alerts.allow_private`): networks and exact host names the
//! operator vouches for.

use std::collections::BTreeSet;
use std::net::IpAddr;

use super::ssrf::{canonical, in_net};

/// What `allow_private` lets through: networks (CIDR or single addresses) and exact host
/// names (case-insensitive, trailing dot ignored).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allowlist {
    nets: Vec<(IpAddr, u8)>,
    hosts: BTreeSet<String>,
}

impl Allowlist {
    /// Adds one entry: `10.0.0.0/8`, `fd00::/8`, `127.0.0.1`, `::1` or a host name.
    pub fn add(&mut self, entry: &str) -> Result<(), String> {
        let entry = entry.trim();
        if let Some((addr, len)) = entry.split_once('/') {
            let addr: IpAddr = addr
                .parse()
                .map_err(|_| format!("{entry:?} is not a CIDR like 10.0.0.0/8"))?;
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let len = len
                .parse::<u8>()
                .ok()
                .filter(|l| *l <= max)
                .ok_or(format!("{entry:?}: prefix length must be 0-{max}"))?;
            self.nets.push((canonical(addr), len));
        } else if let Ok(addr) = entry.parse::<IpAddr>() {
            let len = if canonical(addr).is_ipv4() { 32 } else { 128 };
            self.nets.push((canonical(addr), len));
        } else if is_host_name(entry) {
            self.hosts.insert(normalize_host(entry));
        } else {
            return Err(format!(
                "{entry:?} is neither an address, a CIDR nor a host name"
            ));
        }
        Ok(())
    }

    /// True if `host` (as written in the URL) is allow-listed by name.
    pub fn allows_host(&self, host: &str) -> bool {
        self.hosts.contains(&normalize_host(host))
    }

    /// True if `ip` falls in an allow-listed network.
    pub fn allows_ip(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.nets.iter().any(|(net, len)| match (ip, net) {
            (IpAddr::V4(a), IpAddr::V4(n)) => in_net(
                u128::from(u32::from(a)),
                u128::from(u32::from(*n)),
                *len,
                32,
            ),
            (IpAddr::V6(a), IpAddr::V6(n)) => in_net(u128::from(a), u128::from(*n), *len, 128),
            _ => false,
        })
    }
}

fn is_host_name(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 253
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
}

fn normalize_host(host: &str) -> String {
    host.trim_end_matches('.').to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowlist_entries() {
        let mut allow = Allowlist::default();
        for entry in ["10.0.0.0/8", "127.0.0.1", "fd00::/8", "NAS.lan.", "::1"] {
            allow.add(entry).unwrap();
        }
        let ip = |t: &str| t.parse::<IpAddr>().unwrap();
        assert!(allow.allows_ip(ip("10.200.0.1")));
        assert!(allow.allows_ip(ip("127.0.0.1")));
        assert!(allow.allows_ip(ip("::ffff:127.0.0.1")));
        assert!(!allow.allows_ip(ip("127.0.0.2")));
        assert!(allow.allows_ip(ip("fd00::5")));
        assert!(!allow.allows_ip(ip("fc00::5")));
        assert!(allow.allows_ip(ip("::1")));
        assert!(!allow.allows_ip(ip("192.168.0.1")));
        assert!(allow.allows_host("nas.LAN"));
        assert!(allow.allows_host("nas.lan."));
        assert!(!allow.allows_host("other.lan"));
        for bad in ["10.0.0.0/33", "fd00::/129", "10.0.0/8", "a b", "", "x/8"] {
            assert!(allow.add(bad).is_err(), "{bad}");
        }
        let mut all = Allowlist::default();
        all.add("0.0.0.0/0").unwrap();
        assert!(all.allows_ip(ip("169.254.169.254")));
        assert!(!all.allows_ip(ip("::1")));
    }
}
