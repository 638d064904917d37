//! The HTTP server's security counters (always present on the exporter's own server): requests
//! refused by authentication, by the rate limit and by the Host check, and connections dropped
//! by reason (every reason present, zeros included). `surface` is always `exporter`.

use prometheus_client::metrics::MetricType;
use upsight_http::{DropReason, SecurityCounters};

use super::{Enc, Res, counter};
use crate::metrics::{self as names, help};

/// The counters read at one scrape.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HttpCounters {
    /// 401/403 by authentication.
    pub auth_failures: u64,
    /// 429 by the per-client limit.
    pub rate_limited: u64,
    /// 421 by the Host check.
    pub misdirected: u64,
    /// Dropped connections, in [`DropReason::ALL`] order.
    pub dropped: [u64; 4],
}

impl HttpCounters {
    /// Reads `c` now.
    pub fn of(c: &SecurityCounters) -> Self {
        Self {
            auth_failures: c.auth_failures(),
            rate_limited: c.rate_limited(),
            misdirected: c.misdirected(),
            dropped: DropReason::ALL.map(|r| c.dropped(r)),
        }
    }
}

const SURFACE: [(&str, &str); 1] = [("surface", "exporter")];

/// Encodes `c`.
pub(super) fn encode_http(enc: &mut Enc<'_>, c: &HttpCounters) -> Res {
    for (name, text, value) in [
        (
            names::HTTP_AUTH_FAILURES_FAMILY,
            help::HTTP_AUTH_FAILURES,
            c.auth_failures,
        ),
        (
            names::HTTP_RATE_LIMITED_FAMILY,
            help::HTTP_RATE_LIMITED,
            c.rate_limited,
        ),
        (
            names::HTTP_MISDIRECTED_FAMILY,
            help::HTTP_MISDIRECTED,
            c.misdirected,
        ),
    ] {
        let mut family = enc.encode_descriptor(name, text, None, MetricType::Counter)?;
        counter(&mut family.encode_family(&SURFACE)?, value)?;
    }
    let mut family = enc.encode_descriptor(
        names::HTTP_CONNECTIONS_DROPPED_FAMILY,
        help::HTTP_CONNECTIONS_DROPPED,
        None,
        MetricType::Counter,
    )?;
    for (reason, value) in DropReason::ALL.iter().zip(c.dropped) {
        let labels = [SURFACE[0], ("reason", reason.as_str())];
        counter(&mut family.encode_family(&labels)?, value)?;
    }
    Ok(())
}
