//! `POST /api/v1/register`: the request an exporter sends once (and again after a 404), and
//! the plane's answer.

use std::fmt;
use std::net::Ipv6Addr;
use std::time::Duration;

use super::{
    ContractError, Excerpt, Field, GroupName, MemberId, Version, check_lease,
    check_software_version,
};

/// An exporter asks to join (or rejoin) the fleet: `POST /api/v1/register`, answered with a
/// [`RegisterResponseV1`].
///
/// Unknown fields are refused (a typo is a 400, not a silently ignored setting). After
/// deserializing, the plane calls [`RegisterRequestV1::validate`]. Versioning follows
/// [`HeartbeatV1`](super::HeartbeatV1).
///
/// `scrape_target` is the one address in the contract: it is sent only when the operator
/// configures it (so the plane can offer the exporter to Prometheus via http_sd), only here,
/// never in heartbeats. `Debug` prints the lease as `<redacted>`.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequestV1 {
    /// Always `1`.
    pub version: Version<1>,
    /// Who is registering.
    pub identity: MemberId,
    /// The group the member belongs to.
    pub group: GroupName,
    /// The exporter's version (semver), at most 32 characters of `0-9 A-Z a-z . + -`.
    pub software_version: String,
    /// `host:port` where Prometheus can scrape this exporter (offered via http_sd): no scheme,
    /// no path, at most 255 characters. `null` when not configured.
    pub scrape_target: Option<String>,
    /// The lease from an earlier registration, presented when re-registering so the plane
    /// keeps the member number; `null` on first contact.
    pub lease: Option<String>,
}

impl RegisterRequestV1 {
    /// The most characters of `scrape_target`.
    pub const MAX_SCRAPE_TARGET_LEN: usize = 255;

    /// Checks every bound the types do not: the plane calls this after deserializing.
    pub fn validate(&self) -> Result<(), ContractError> {
        check_software_version(&self.software_version)?;
        if let Some(target) = &self.scrape_target {
            check_scrape_target(Field::top("scrape_target"), target)?;
        }
        if let Some(lease) = &self.lease {
            check_lease(Field::top("lease"), lease)?;
        }
        Ok(())
    }
}

impl fmt::Debug for RegisterRequestV1 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegisterRequestV1")
            .field("version", &self.version)
            .field("identity", &self.identity)
            .field("group", &self.group)
            .field("software_version", &self.software_version)
            .field("scrape_target", &self.scrape_target)
            .field("lease", &self.lease.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// The plane's answer to a [`RegisterRequestV1`].
///
/// Unknown fields are *accepted* here: the exporter is the reader, and a newer plane may add
/// fields to its answer without breaking older exporters. After deserializing, the exporter
/// calls [`RegisterResponseV1::validate`]. `Debug` prints the lease as `<redacted>`.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RegisterResponseV1 {
    /// The member's number in its group: stable across re-registrations, never reused.
    pub member_number: u32,
    /// The lease to present in every heartbeat (and when re-registering): 1 to 128 visible
    /// ASCII characters, opaque to the exporter.
    pub lease: String,
    /// How often to send a heartbeat, 1 to 86 400 seconds (the exporter adds ±10 % jitter).
    pub heartbeat_interval_seconds: u32,
    /// After how long without a heartbeat the plane forgets the member's freshness; more than
    /// `heartbeat_interval_seconds`.
    pub ttl_seconds: u32,
}

impl RegisterResponseV1 {
    /// The most characters of a lease.
    pub const MAX_LEASE_LEN: usize = 128;
    /// The longest heartbeat interval, in seconds (one day).
    pub const MAX_HEARTBEAT_INTERVAL_SECONDS: u32 = 86_400;

    /// Checks every bound the types do not: the exporter calls this after deserializing.
    pub fn validate(&self) -> Result<(), ContractError> {
        check_lease(Field::top("lease"), &self.lease)?;
        let interval = self.heartbeat_interval_seconds;
        if !(1..=Self::MAX_HEARTBEAT_INTERVAL_SECONDS).contains(&interval) {
            return Err(ContractError::IntegerOutOfRange {
                field: Field::top("heartbeat_interval_seconds"),
                value: interval.into(),
                min: 1,
                max: Self::MAX_HEARTBEAT_INTERVAL_SECONDS.into(),
            });
        }
        if self.ttl_seconds <= interval {
            return Err(ContractError::IntegerOutOfRange {
                field: Field::top("ttl_seconds"),
                value: self.ttl_seconds.into(),
                min: u64::from(interval) + 1,
                max: u32::MAX.into(),
            });
        }
        Ok(())
    }

    /// `heartbeat_interval_seconds` as a duration.
    pub fn heartbeat_interval(&self) -> Duration {
        Duration::from_secs(self.heartbeat_interval_seconds.into())
    }

    /// `ttl_seconds` as a duration.
    pub fn ttl(&self) -> Duration {
        Duration::from_secs(self.ttl_seconds.into())
    }
}

impl fmt::Debug for RegisterResponseV1 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegisterResponseV1")
            .field("member_number", &self.member_number)
            .field("lease", &"<redacted>")
            .field(
                "heartbeat_interval_seconds",
                &self.heartbeat_interval_seconds,
            )
            .field("ttl_seconds", &self.ttl_seconds)
            .finish()
    }
}

/// Checks `host:port`: a DNS name or IPv4 address (`A-Z a-z 0-9 . - _`) or a bracketed IPv6
/// address, then a port 1–65535; no scheme, path, query, user info or whitespace.
fn check_scrape_target(field: Field, target: &str) -> Result<(), ContractError> {
    let bad = |reason| ContractError::BadScrapeTarget {
        field,
        value: Excerpt::new(target),
        reason,
    };
    if target.is_empty() {
        return Err(ContractError::Empty { field });
    }
    let len = target.chars().count();
    if len > RegisterRequestV1::MAX_SCRAPE_TARGET_LEN {
        return Err(ContractError::TooLong {
            field,
            len,
            max: RegisterRequestV1::MAX_SCRAPE_TARGET_LEN,
        });
    }
    if target.contains("://") {
        return Err(bad("has a scheme: expected host:port"));
    }
    if target.contains(['/', '?', '#']) {
        return Err(bad("has a path: expected host:port"));
    }
    let (host, port) = if let Some(rest) = target.strip_prefix('[') {
        let Some((inner, port)) = rest.split_once("]:") else {
            return Err(bad("expected [ipv6]:port"));
        };
        if inner.parse::<Ipv6Addr>().is_err() {
            return Err(bad("not an IPv6 address between the brackets"));
        }
        (None, port)
    } else {
        let Some((host, port)) = target.rsplit_once(':') else {
            return Err(bad("has no port: expected host:port"));
        };
        (Some(host), port)
    };
    if let Some(host) = host {
        if host.is_empty() {
            return Err(bad("has no host: expected host:port"));
        }
        if !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        {
            return Err(bad(
                "host may only contain ASCII letters, digits, '.', '-' and '_' (IPv6 goes in brackets)",
            ));
        }
        if host.starts_with(['.', '-']) || host.ends_with('-') || host.contains("..") {
            return Err(bad("not a host name"));
        }
    }
    let is_port = !port.is_empty()
        && port.bytes().all(|b| b.is_ascii_digit())
        && port.parse::<u16>().is_ok_and(|p| p != 0);
    if !is_port {
        return Err(bad("port must be 1 to 65535"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrape_targets() {
        let field = Field::top("scrape_target");
        for ok in [
            "exporter-01.example:9199",
            "exporter-01.example.:9199",
            "192.0.2.10:9199",
            "[2001:db8::10]:9199",
            "a:1",
            "h_1:65535",
        ] {
            assert_eq!(check_scrape_target(field, ok), Ok(()), "{ok}");
        }
        for (bad, reason) in [
            ("http://h:9199", "scheme"),
            ("h:9199/metrics", "path"),
            ("h:9199?x=1", "path"),
            ("h", "no port"),
            (":9199", "no host"),
            ("h:", "port"),
            ("h:0", "port"),
            ("h:65536", "port"),
            ("h:+80", "port"),
            ("2001:db8::1:9199", "host may only"),
            ("[2001:db8::1]", "[ipv6]:port"),
            ("[zz]:80", "IPv6"),
            ("user@h:80", "host may only"),
            ("h h:80", "host may only"),
            ("-h:80", "not a host"),
            ("a..b:80", "not a host"),
        ] {
            let e = check_scrape_target(field, bad).unwrap_err();
            assert!(
                matches!(e, ContractError::BadScrapeTarget { .. }),
                "{bad}: {e}"
            );
            assert!(e.to_string().contains(reason), "{bad}: {e}");
        }
        assert!(matches!(
            check_scrape_target(field, &format!("{}:80", "h".repeat(300))),
            Err(ContractError::TooLong { len: 303, .. })
        ));
        assert_eq!(
            check_scrape_target(field, ""),
            Err(ContractError::Empty { field })
        );
    }

    #[test]
    fn response_bounds() {
        let ok = RegisterResponseV1 {
            member_number: 7,
            lease: "l".into(),
            heartbeat_interval_seconds: 30,
            ttl_seconds: 90,
        };
        assert_eq!(ok.validate(), Ok(()));
        assert_eq!(ok.heartbeat_interval(), Duration::from_secs(30));
        assert_eq!(ok.ttl(), Duration::from_secs(90));
        let zero = RegisterResponseV1 {
            heartbeat_interval_seconds: 0,
            ..ok.clone()
        };
        assert_eq!(
            zero.validate().unwrap_err().to_string(),
            "heartbeat_interval_seconds = 0: out of range 1..=86400"
        );
        let short_ttl = RegisterResponseV1 {
            ttl_seconds: 30,
            ..ok.clone()
        };
        assert_eq!(
            short_ttl.validate().unwrap_err().to_string(),
            "ttl_seconds = 30: out of range 31..=4294967295"
        );
        let no_lease = RegisterResponseV1 {
            lease: String::new(),
            ..ok
        };
        assert!(matches!(
            no_lease.validate(),
            Err(ContractError::BadLease { len: 0, .. })
        ));
    }
}
