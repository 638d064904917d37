//! The heartbeat client's series (only with `[fleet]`): registered, registrations and
//! heartbeats by result, failures by reason (every reason present, zeros included), the last
//! accepted heartbeat and the interval. No URL, identity or group: those are not labels.

use prometheus_client::metrics::MetricType;

use super::{Enc, Res, counter};
use crate::fleet::FleetCounters;
use crate::metrics::{self as names, help};

/// Encodes `c`.
pub(super) fn encode_fleet(enc: &mut Enc<'_>, c: &FleetCounters) -> Res {
    let registered = if c.is_registered { 1.0 } else { 0.0 };
    enc.encode_descriptor(
        names::FLEET_REGISTERED,
        help::FLEET_REGISTERED,
        None,
        MetricType::Gauge,
    )?
    .encode_gauge(&registered)?;
    for (name, text, results) in [
        (
            names::FLEET_REGISTRATIONS_FAMILY,
            help::FLEET_REGISTRATIONS,
            &c.registrations,
        ),
        (
            names::FLEET_HEARTBEATS_FAMILY,
            help::FLEET_HEARTBEATS,
            &c.heartbeats,
        ),
    ] {
        let mut family = enc.encode_descriptor(name, text, None, MetricType::Counter)?;
        for (is_ok, count) in results {
            let result = if *is_ok { "ok" } else { "error" };
            counter(&mut family.encode_family(&[("result", result)])?, *count)?;
        }
    }
    let mut failures = enc.encode_descriptor(
        names::FLEET_FAILURES_FAMILY,
        help::FLEET_FAILURES,
        None,
        MetricType::Counter,
    )?;
    for (reason, count) in &c.failures {
        let labels = [("reason", reason.as_str())];
        counter(&mut failures.encode_family(&labels)?, *count)?;
    }
    enc.encode_descriptor(
        names::FLEET_LAST_SUCCESS,
        help::FLEET_LAST_SUCCESS,
        None,
        MetricType::Gauge,
    )?
    .encode_gauge(&c.last_success_seconds)?;
    enc.encode_descriptor(
        names::FLEET_INTERVAL,
        help::FLEET_INTERVAL,
        None,
        MetricType::Gauge,
    )?
    .encode_gauge(&(c.interval_seconds as f64))?;
    Ok(())
}
