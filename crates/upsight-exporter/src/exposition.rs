//! Renders a [`Snapshot`] as OpenMetrics text with prometheus-client: a [`Collector`] that
//! encodes fresh const metrics from the snapshot on every scrape. Pure: no I/O, no clock.

mod analytics;
pub mod cache;
mod fleet;
mod http;

pub use analytics::AnalyticsCounters;
pub use http::HttpCounters;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;
use upsight_model::{DeviceState, FailureReason, Snapshot, SourceHealth, StatusFlag, UpsName};

use crate::fleet::FleetCounters;
use crate::metrics::{self as names, MEASURE_HELP, MEASURES, help};
use crate::tracker::DeviceCounters;

/// The Content-Type of the exposition. prometheus-client writes OpenMetrics only; served as
/// `text/plain`, Prometheus would reject the scrape.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Version and revision for `upsight_build_info`.
#[derive(Debug, Clone, Copy)]
pub struct BuildInfo {
    /// Crate version.
    pub version: &'static str,
    /// Git revision, or `unknown`.
    pub revision: &'static str,
    /// Target triple the binary was built for.
    pub target: &'static str,
}

/// This build's version and revision.
pub const BUILD: BuildInfo = BuildInfo {
    version: env!("CARGO_PKG_VERSION"),
    revision: env!("UPSIGHT_REVISION"),
    target: env!("UPSIGHT_TARGET"),
};

/// `VERSION (revision REV, target TRIPLE)`, for `--version`.
pub const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (revision ",
    env!("UPSIGHT_REVISION"),
    ", target ",
    env!("UPSIGHT_TARGET"),
    ")"
);

/// Appends the OpenMetrics exposition of `snapshot` (ending in `# EOF`) to `out`.
pub fn render(snapshot: &Arc<Snapshot>, out: &mut String) -> std::fmt::Result {
    render_with(
        snapshot,
        Arc::new(BTreeMap::new()),
        Subsystems::default(),
        out,
    )
}

/// Alert delivery counters: per (target, outcome) and per (target, failure reason).
pub type AlertCounters = (
    Vec<(String, crate::alert::Outcome, u64)>,
    Vec<(String, crate::alert::FailReason, u64)>,
);

/// The optional subsystems' counters, each present when configured.
#[derive(Debug, Clone, Default)]
pub struct Subsystems {
    /// Alert deliveries.
    pub alerts: Option<AlertCounters>,
    /// The heartbeat client.
    pub fleet: Option<FleetCounters>,
    /// The ClickHouse sink.
    pub analytics: Option<AnalyticsCounters>,
    /// The HTTP server's security counters.
    pub http: Option<HttpCounters>,
}

/// Like [`render`], with the event, outage and energy counters of each device and the
/// optional subsystems' counters.
pub fn render_with(
    snapshot: &Arc<Snapshot>,
    counters: Arc<BTreeMap<UpsName, DeviceCounters>>,
    subsystems: Subsystems,
    out: &mut String,
) -> std::fmt::Result {
    render_devices(snapshot, counters, out)?;
    render_subsystems(subsystems, out)
}

/// Appends the families that depend only on `snapshot` and the tracker's `counters` (every
/// per-device family and the poller's own), without the closing `# EOF`. They change only
/// when a poll lands, so [`cache::DeviceSection`] keeps them between scrapes.
pub fn render_devices(
    snapshot: &Arc<Snapshot>,
    counters: Arc<BTreeMap<UpsName, DeviceCounters>>,
    out: &mut String,
) -> std::fmt::Result {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(DeviceCollector(Arc::clone(snapshot), counters)));
    prometheus_client::encoding::text::encode_registry(out, &registry)
}

/// Appends the optional subsystems' families (counters that move between polls), then the
/// closing `# EOF`. No family here shares a name with [`render_devices`]'.
pub fn render_subsystems(subsystems: Subsystems, out: &mut String) -> std::fmt::Result {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(SubsystemCollector(subsystems)));
    prometheus_client::encoding::text::encode_registry(out, &registry)?;
    prometheus_client::encoding::text::encode_eof(out)
}

#[derive(Debug)]
struct DeviceCollector(Arc<Snapshot>, Arc<BTreeMap<UpsName, DeviceCounters>>);

#[derive(Debug)]
struct SubsystemCollector(Subsystems);

type Enc<'a> = DescriptorEncoder<'a>;
type Res = Result<(), std::fmt::Error>;

impl Collector for DeviceCollector {
    fn encode(&self, mut enc: DescriptorEncoder<'_>) -> Res {
        let devices = &self.0.devices;
        gauge(
            &mut enc,
            names::UP,
            help::UP,
            devices.iter().map(|d| (d, bool_value(d.is_up()))),
        )?;
        gauge(
            &mut enc,
            names::STALE,
            help::STALE,
            devices.iter().map(|d| (d, bool_value(d.is_stale()))),
        )?;
        let success = devices.iter().filter_map(|d| {
            let at = d.last_success?.duration_since(UNIX_EPOCH).ok()?;
            Some((d, at.as_secs_f64()))
        });
        gauge(&mut enc, names::LAST_SUCCESS, help::LAST_SUCCESS, success)?;
        encode_status(&mut enc, devices)?;
        encode_measures(&mut enc, devices)?;
        encode_info(&mut enc, devices)?;
        encode_history(&mut enc, devices, &self.1)?;
        encode_self(&mut enc, devices, &self.0.sources)
    }
}

impl Collector for SubsystemCollector {
    fn encode(&self, mut enc: DescriptorEncoder<'_>) -> Res {
        let subsystems = &self.0;
        if let Some(alerts) = &subsystems.alerts {
            encode_alerts(&mut enc, alerts)?;
        }
        if let Some(fleet) = &subsystems.fleet {
            fleet::encode_fleet(&mut enc, fleet)?;
        }
        if let Some(analytics) = &subsystems.analytics {
            analytics::encode_analytics(&mut enc, analytics)?;
        }
        if let Some(counters) = &subsystems.http {
            http::encode_http(&mut enc, counters)?;
        }
        Ok(())
    }
}

fn bool_value(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

fn ups_label(d: &DeviceState) -> [(&'static str, &str); 1] {
    [("ups", d.name.as_str())]
}

/// One gauge family with one `{ups}` series per item; nothing when there are no items.
fn gauge<'d>(
    enc: &mut Enc<'_>,
    name: &str,
    help: &str,
    values: impl Iterator<Item = (&'d DeviceState, f64)>,
) -> Res {
    let mut values = values.peekable();
    if values.peek().is_none() {
        return Ok(());
    }
    let mut family = enc.encode_descriptor(name, help, None, MetricType::Gauge)?;
    for (device, value) in values {
        family
            .encode_family(&ups_label(device))?
            .encode_gauge(&value)?;
    }
    Ok(())
}

fn up_devices(
    devices: &[DeviceState],
) -> impl Iterator<Item = (&DeviceState, &upsight_model::Reading)> {
    devices
        .iter()
        .filter(|d| d.is_up())
        .filter_map(|d| Some((d, d.reading.as_deref()?)))
}

fn encode_status(enc: &mut Enc<'_>, devices: &[DeviceState]) -> Res {
    if up_devices(devices).next().is_none() {
        return Ok(());
    }
    let mut family = enc.encode_descriptor(names::STATUS, help::STATUS, None, MetricType::Gauge)?;
    for (device, reading) in up_devices(devices) {
        for flag in &StatusFlag::KNOWN {
            let labels = [("ups", device.name.as_str()), ("flag", flag.as_str())];
            family
                .encode_family(&labels)?
                .encode_gauge(&bool_value(reading.status.has(flag)))?;
        }
    }
    let others = up_devices(devices).map(|(d, r)| (d, r.status.others().count() as f64));
    gauge(enc, names::STATUS_OTHER, help::STATUS_OTHER, others)
}

/// Measured values: one family per quantity present, series in device order. Samples are
/// sorted by quantity, so one cursor per device walks them exactly once.
fn encode_measures(enc: &mut Enc<'_>, devices: &[DeviceState]) -> Res {
    let readings: Vec<_> = up_devices(devices).collect();
    let mut cursors = vec![0usize; readings.len()];
    // Which quantities any device has, in one pass over the samples: scanning every device
    // for each of the ~70 quantities, most of them absent, cost more than the encoding at
    // 10 000 UPSes (each scan touches every reading, long out of the CPU's caches).
    let mut present = vec![false; MEASURES.len()];
    for (_, reading) in &readings {
        for sample in &reading.samples {
            if let Some(slot) = present.get_mut(sample.quantity as usize) {
                *slot = true;
            }
        }
    }
    for (index, measure) in MEASURES.iter().enumerate() {
        if !present.get(index).copied().unwrap_or(false) {
            continue;
        }
        let mut family =
            enc.encode_descriptor(measure.name, &MEASURE_HELP[index], None, MetricType::Gauge)?;
        for ((device, reading), cursor) in readings.iter().zip(cursors.iter_mut()) {
            while let Some(s) = reading
                .samples
                .get(*cursor)
                .filter(|s| s.quantity == measure.quantity)
            {
                let ups = ("ups", device.name.as_str());
                let value = s.value;
                match (&s.phase, &s.outlet) {
                    (Some(p), _) => family
                        .encode_family(&[ups, ("phase", p.as_str())])?
                        .encode_gauge(&value)?,
                    (None, Some(o)) => family
                        .encode_family(&[ups, ("outlet", o.as_str())])?
                        .encode_gauge(&value)?,
                    (None, None) => family.encode_family(&[ups])?.encode_gauge(&value)?,
                }
                *cursor += 1;
            }
        }
    }
    Ok(())
}

fn encode_info(enc: &mut Enc<'_>, devices: &[DeviceState]) -> Res {
    let known: Vec<_> = devices
        .iter()
        .filter_map(|d| Some((d, d.reading.as_deref()?)))
        .collect();
    if known.is_empty() {
        return Ok(());
    }
    let mut family =
        enc.encode_descriptor(names::INFO_FAMILY, help::INFO, None, MetricType::Info)?;
    for (device, reading) in known {
        let i = &reading.info;
        let labels = [
            ("ups", device.name.as_str()),
            ("source", reading.source.as_str()),
            ("driver", i.driver.as_str()),
            ("manufacturer", i.manufacturer.as_str()),
            ("model", i.model.as_str()),
            ("firmware", i.firmware.as_str()),
            ("type", i.device_type.as_str()),
        ];
        family.encode_info(&labels)?;
    }
    Ok(())
}

fn encode_self(enc: &mut Enc<'_>, devices: &[DeviceState], sources: &[SourceHealth]) -> Res {
    let build = [("version", BUILD.version), ("revision", BUILD.revision)];
    enc.encode_descriptor(names::BUILD_FAMILY, help::BUILD, None, MetricType::Info)?
        .encode_info(&build)?;
    let mut up = sources
        .iter()
        .filter_map(|s| Some((s.name.as_str(), s.is_up?)))
        .peekable();
    if up.peek().is_some() {
        let mut family =
            enc.encode_descriptor(names::SOURCE_UP, help::SOURCE_UP, None, MetricType::Gauge)?;
        for (name, is_up) in up {
            family
                .encode_family(&[("source", name)])?
                .encode_gauge(&bool_value(is_up))?;
        }
    }
    let durations = devices
        .iter()
        .filter(|d| d.polls > 0)
        .map(|d| (d, d.last_duration.as_secs_f64()));
    gauge(enc, names::POLL_DURATION, help::POLL_DURATION, durations)?;
    if devices.is_empty() {
        return Ok(());
    }
    let mut polls =
        enc.encode_descriptor(names::POLLS_FAMILY, help::POLLS, None, MetricType::Counter)?;
    for d in devices {
        counter(&mut polls.encode_family(&ups_label(d))?, d.polls)?;
    }
    let mut failures = enc.encode_descriptor(
        names::POLL_FAILURES_FAMILY,
        help::POLL_FAILURES,
        None,
        MetricType::Counter,
    )?;
    for d in devices {
        for reason in FailureReason::ALL {
            let labels = [("ups", d.name.as_str()), ("reason", reason.as_str())];
            counter(
                &mut failures.encode_family(&labels)?,
                d.failures[reason.index()],
            )?;
        }
    }
    Ok(())
}

/// Event, outage and energy counters of the devices in the snapshot.
/// Pairs each device with its counters. Both come in name order (the snapshot sorts its
/// devices, the map iterates by key), so one merge walk replaces a map lookup per device, which
/// at 10 000 UPSes cost ~14 string comparisons each, far apart in memory. A device the walk
/// does not find (absent, or out of order) is looked up.
fn with_counters<'a>(
    devices: &'a [DeviceState],
    counters: &'a BTreeMap<UpsName, DeviceCounters>,
) -> Vec<(&'a DeviceState, &'a DeviceCounters)> {
    let mut out = Vec::with_capacity(devices.len().min(counters.len()));
    let mut walk = counters.iter().peekable();
    for device in devices {
        while walk.next_if(|(name, _)| **name < device.name).is_some() {}
        let found = match walk.next_if(|(name, _)| **name == device.name) {
            Some((_, c)) => Some(c),
            None => counters.get(&device.name),
        };
        if let Some(c) = found {
            out.push((device, c));
        }
    }
    out
}

fn encode_history(
    enc: &mut Enc<'_>,
    devices: &[DeviceState],
    counters: &BTreeMap<UpsName, DeviceCounters>,
) -> Res {
    let tracked = with_counters(devices, counters);
    if tracked.is_empty() {
        return Ok(());
    }
    let mut transitions = enc.encode_descriptor(
        names::TRANSITIONS_FAMILY,
        help::TRANSITIONS,
        None,
        MetricType::Counter,
    )?;
    for (d, c) in &tracked {
        for (kind, count) in &c.transitions {
            let labels = [("ups", d.name.as_str()), ("event", kind.as_str())];
            counter(&mut transitions.encode_family(&labels)?, *count)?;
        }
    }
    let mut on_battery = enc.encode_descriptor(
        names::ON_BATTERY_FAMILY,
        help::ON_BATTERY,
        None,
        MetricType::Counter,
    )?;
    for (d, c) in &tracked {
        float_counter(
            &mut on_battery.encode_family(&ups_label(d))?,
            c.on_battery_seconds,
        )?;
    }
    let transfers = tracked.iter().filter_map(|(d, c)| {
        let at = c.last_transfer?.duration_since(UNIX_EPOCH).ok()?;
        Some((*d, at.as_secs_f64()))
    });
    gauge(enc, names::LAST_TRANSFER, help::LAST_TRANSFER, transfers)?;
    let mut energy = enc.encode_descriptor(
        names::ENERGY_FAMILY,
        help::ENERGY,
        None,
        MetricType::Counter,
    )?;
    for (d, c) in &tracked {
        float_counter(&mut energy.encode_family(&ups_label(d))?, c.energy_joules)?;
    }
    Ok(())
}

/// `upsight_alert_deliveries_total{target,outcome}` and `upsight_alert_failures_total{target,reason}`.
fn encode_alerts(enc: &mut Enc<'_>, (deliveries, failures): &AlertCounters) -> Res {
    if deliveries.is_empty() {
        return Ok(());
    }
    let mut family = enc.encode_descriptor(
        names::ALERT_DELIVERIES_FAMILY,
        help::ALERT_DELIVERIES,
        None,
        MetricType::Counter,
    )?;
    for (target, outcome, count) in deliveries {
        let labels = [("target", target.as_str()), ("outcome", outcome.as_str())];
        counter(&mut family.encode_family(&labels)?, *count)?;
    }
    let mut family = enc.encode_descriptor(
        names::ALERT_FAILURES_FAMILY,
        help::ALERT_FAILURES,
        None,
        MetricType::Counter,
    )?;
    for (target, reason, count) in failures {
        let labels = [("target", target.as_str()), ("reason", reason.as_str())];
        counter(&mut family.encode_family(&labels)?, *count)?;
    }
    Ok(())
}

fn float_counter(metric: &mut prometheus_client::encoding::MetricEncoder<'_>, value: f64) -> Res {
    metric.encode_counter::<NoLabelSet, f64, f64>(&value, None)
}

fn counter(metric: &mut prometheus_client::encoding::MetricEncoder<'_>, value: u64) -> Res {
    metric.encode_counter::<NoLabelSet, u64, f64>(&value, None)
}

#[cfg(test)]
mod tests;
