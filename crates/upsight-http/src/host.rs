//! The DNS-rebinding defence: a request must name a host this server answers for.
//!
//! A page on `http://evil.example` can make its name resolve to 127.0.0.1 and then read a
//! loopback-bound server as if it were its own origin: the browser sees one origin, and the
//! server sees only a loopback peer. What still gives the attack away is the name in the
//! request, which stays `evil.example`. So on a **loopback bind** a request whose host (the
//! authority of an absolute-form target, else `Host`, RFC 9112 §3.2.2) is not a loopback name
//! (`localhost`, `*.localhost`, 127.0.0.0/8, `[::1]`, any port) and not in `allowed_hosts`
//! answers **421 Misdirected Request**, counted.
//!
//! On a public bind there is no check unless `allowed_hosts` is set: tokens guard what is
//! served there. A request without any `Host` (HTTP/1.0) is let through: every browser sends
//! one, so such a request is not a rebinding page. Two `Host` headers are refused.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use axum::extract::Request;
use axum::http::header::HOST;
use axum::response::{IntoResponse, Response};

use crate::auth::{client_for_log, sanitize};
use crate::{ApiError, Exposure, SecurityCounters};

/// An `allowed_hosts` entry that is not a bare host name or IP address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a host name or IP address (no scheme, port, path or wildcard)")]
pub struct HostError {
    /// The refused text.
    pub value: String,
}

/// Host names (or IP addresses) a request may name besides the loopback names, normalized:
/// lowercase, no trailing dot, IPv6 without brackets in canonical form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedHosts(Vec<String>);

impl AllowedHosts {
    /// Parses `list` (`ups.example.net`, `192.0.2.7`, `[2001:db8::7]`); the first bad entry is
    /// the error.
    pub fn try_new(list: &[String]) -> Result<Self, HostError> {
        list.iter()
            .map(|entry| {
                let inner = entry.strip_prefix('[').and_then(|e| e.strip_suffix(']'));
                let ip = inner.unwrap_or(entry).parse::<IpAddr>().ok();
                let host = match (ip, inner) {
                    (Some(ip), _) => Some(ip.to_canonical().to_string()),
                    (None, Some(_)) => None,
                    (None, None) => normalize_name(entry),
                };
                host.ok_or_else(|| HostError {
                    value: entry.clone(),
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    /// Whether no host is listed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The listed hosts, normalized.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    fn contains(&self, host: &str) -> bool {
        self.0.iter().any(|allowed| allowed == host)
    }
}

/// Whether, and against which names, the host a request names is checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostPolicy {
    is_enforced: bool,
    allowed: AllowedHosts,
}

impl HostPolicy {
    /// Enforced on a loopback bind, and on a public one when `allowed` lists anything.
    /// `exposure` must be the real bind, even where the bind policy is relaxed (the plane's
    /// `UPSIGHT_FLEET_INSECURE=1`).
    pub fn new(exposure: Exposure, allowed: AllowedHosts) -> Self {
        Self {
            is_enforced: exposure == Exposure::Loopback || !allowed.is_empty(),
            allowed,
        }
    }

    /// Whether requests are checked at all.
    pub fn is_enforced(&self) -> bool {
        self.is_enforced
    }

    /// Pure decision for a request: `authority` is the absolute-form target's authority
    /// (which wins), `hosts` the `Host` header values.
    pub fn admits<'a>(
        &self,
        authority: Option<&str>,
        mut hosts: impl Iterator<Item = &'a [u8]>,
    ) -> bool {
        if !self.is_enforced {
            return true;
        }
        if let Some(authority) = authority {
            return self.is_ours(authority.as_bytes());
        }
        match (hosts.next(), hosts.next()) {
            (None, _) => true,
            (Some(host), None) => self.is_ours(host),
            (Some(_), Some(_)) => false,
        }
    }

    /// Whether `value` (`host[:port]`) names a loopback host or an allowed one.
    fn is_ours(&self, value: &[u8]) -> bool {
        let Some(host) = std::str::from_utf8(value).ok().and_then(host_part) else {
            return false;
        };
        match host {
            Host::Ip(ip) => {
                let ip = ip.to_canonical();
                ip.is_loopback() || self.allowed.contains(&ip.to_string())
            }
            Host::Name(name) => {
                name == "localhost" || name.ends_with(".localhost") || self.allowed.contains(&name)
            }
        }
    }
}

/// The host of a `Host` value or authority.
#[derive(Debug, PartialEq, Eq)]
enum Host {
    Ip(IpAddr),
    /// Normalized: lowercase, without a trailing dot.
    Name(String),
}

/// The host of `host[:port]` or `[v6][:port]`; `None` when it does not parse. An IPv4 literal
/// must be a dotted quad (`127.1` is not one, so it is a name, and not `localhost`).
fn host_part(value: &str) -> Option<Host> {
    let (host, port) = match value.strip_prefix('[') {
        Some(rest) => {
            let (inner, after) = rest.split_once(']')?;
            let port = match after {
                "" => "",
                after => after.strip_prefix(':')?,
            };
            (Host::Ip(IpAddr::V6(inner.parse().ok()?)), port)
        }
        None => {
            let (host, port) = value.split_once(':').unwrap_or((value, ""));
            let host = match host.parse::<Ipv4Addr>() {
                Ok(ip) => Host::Ip(IpAddr::V4(ip)),
                Err(_) => Host::Name(normalize_name(host)?),
            };
            (host, port)
        }
    };
    port.bytes().all(|b| b.is_ascii_digit()).then_some(host)
}

/// A DNS name lowercased without its trailing dot, if it is made of letters, digits, `-`, `_`
/// and dots only.
fn normalize_name(name: &str) -> Option<String> {
    let name = name.strip_suffix('.').unwrap_or(name);
    let is_name = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    is_name.then(|| name.to_ascii_lowercase())
}

/// State of the Host check layer.
#[derive(Debug, Clone)]
pub(crate) struct HostCheck {
    pub(crate) policy: Arc<HostPolicy>,
    pub(crate) counters: Arc<SecurityCounters>,
}

/// Answers 421 when the request names a host this server does not answer for.
pub(crate) async fn check<F: Future<Output = Response>>(
    state: &HostCheck,
    req: Request,
    next: impl FnOnce(Request) -> F,
) -> Response {
    let authority = req.uri().authority().map(|a| a.as_str());
    let hosts = req.headers().get_all(HOST).iter().map(|v| v.as_bytes());
    if state.policy.admits(authority, hosts) {
        return next(req).await;
    }
    state.counters.record_misdirected();
    let host = req
        .headers()
        .get(HOST)
        .map(|v| sanitize(&String::from_utf8_lossy(v.as_bytes())))
        .unwrap_or_default();
    tracing::debug!(
        client_ip = client_for_log(&req),
        host,
        "Misdirected request refused."
    );
    ApiError::Misdirected.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(exposure: Exposure, allowed: &[&str]) -> HostPolicy {
        let allowed: Vec<String> = allowed.iter().map(|s| (*s).to_owned()).collect();
        HostPolicy::new(exposure, AllowedHosts::try_new(&allowed).unwrap())
    }

    fn admits(policy: &HostPolicy, host: &[u8]) -> bool {
        policy.admits(None, std::iter::once(host))
    }

    #[test]
    fn loopback_bind_admits_loopback_names_on_any_port() {
        let p = policy(Exposure::Loopback, &[]);
        for host in [
            "localhost",
            "LOCALHOST:9955",
            "localhost.",
            "app.localhost:1",
            "127.0.0.1",
            "127.0.0.1:9955",
            "127.8.9.10:80",
            "[::1]",
            "[::1]:9956",
            "[0:0:0:0:0:0:0:1]:1",
            "[::ffff:127.0.0.1]:1",
        ] {
            assert!(admits(&p, host.as_bytes()), "{host}");
        }
    }

    #[test]
    fn loopback_bind_refuses_every_other_name() {
        let p = policy(Exposure::Loopback, &[]);
        for host in [
            &b"evil.example"[..],
            b"evil.example:9955",
            b"localhost.evil.example",
            b"notlocalhost",
            b"127.0.0.1.evil.example",
            b"127.1",
            b"2130706433",
            b"192.168.1.5:9955",
            b"[::2]:1",
            b"[::1",
            b"::1",
            b"localhost:http",
            b"localhost:1:2",
            b"",
            b"local\xffhost",
            b"localhost\r\nX: y",
        ] {
            assert!(!admits(&p, host), "{}", String::from_utf8_lossy(host));
        }
    }

    #[test]
    fn absolute_form_authority_wins_over_host() {
        let p = policy(Exposure::Loopback, &[]);
        let host = std::iter::once(&b"localhost"[..]);
        assert!(!p.admits(Some("evil.example:80"), host.clone()));
        let evil = std::iter::once(&b"evil.example"[..]);
        assert!(p.admits(Some("127.0.0.1:9955"), evil));
    }

    #[test]
    fn missing_host_passes_and_two_hosts_do_not() {
        let p = policy(Exposure::Loopback, &[]);
        assert!(p.admits(None, std::iter::empty()));
        let two = [&b"localhost"[..], b"localhost"];
        assert!(!p.admits(None, two.into_iter()));
    }

    #[test]
    fn allowed_hosts_extend_the_loopback_names_and_apply_on_public_binds() {
        let list = ["UPS.example.net.", "192.0.2.7", "[2001:db8::0:7]"];
        let loopback = policy(Exposure::Loopback, &list);
        for host in [
            "ups.example.net:443",
            "192.0.2.7",
            "[2001:db8::7]:80",
            "localhost",
        ] {
            assert!(admits(&loopback, host.as_bytes()), "{host}");
        }
        assert!(!admits(&loopback, b"other.example.net"));

        let open = policy(Exposure::Public, &[]);
        assert!(!open.is_enforced());
        assert!(admits(&open, b"anything.example"));
        let listed = policy(Exposure::Public, &list);
        assert!(listed.is_enforced());
        assert!(admits(&listed, b"ups.example.net"));
        assert!(admits(&listed, b"127.0.0.1:9955"));
        assert!(!admits(&listed, b"198.51.100.1:9955"));
    }

    #[test]
    fn bad_allowed_hosts_are_refused() {
        for entry in [
            "",
            "https://a.example",
            "a.example:443",
            "*.example",
            "a/b",
            "[::1",
        ] {
            let err = AllowedHosts::try_new(&[entry.to_owned()]).unwrap_err();
            assert_eq!(err.value, entry);
        }
    }
}
