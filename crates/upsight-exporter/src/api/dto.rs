//! The JSON shapes of `/api/v1` (documented in `openapi.json`). Times are RFC 3339 UTC
//! strings, values are in SI units with the unit in the field name.

use std::time::{Duration, SystemTime};

use serde::Serialize;
use upsight_model::{DeviceState, Event, Outage, Outcome, Quantity, Reading, StatusFlag};

use crate::metrics::MEASURES;
use crate::tracker::{DeviceCounters, Point};

/// RFC 3339 UTC, second precision.
pub fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

/// One device in the list.
#[derive(Debug, Serialize)]
pub struct DeviceSummary {
    /// The `ups` label.
    pub name: String,
    /// `nut` or `snmp`.
    pub source: &'static str,
    /// Latest poll returned fresh data.
    pub is_up: bool,
    /// The server says the data is not fresh.
    pub is_stale: bool,
    /// `ok`, `pending` or the failure reason.
    pub outcome: &'static str,
    /// Status flags of the latest reading (`OL`, `OB`, `LB`…).
    pub status: Vec<String>,
    /// Whether the device is on battery.
    pub is_on_battery: bool,
    /// Time of the latest successful poll.
    pub last_success: Option<String>,
    /// Manufacturer.
    pub manufacturer: Option<String>,
    /// Model.
    pub model: Option<String>,
    /// Battery charge 0..1.
    pub charge_ratio: Option<f64>,
    /// Runtime left, seconds.
    pub runtime_seconds: Option<f64>,
    /// Load 0..1.
    pub load_ratio: Option<f64>,
    /// Real power, watts.
    pub real_power_watts: Option<f64>,
    /// Input voltage, volts.
    pub input_voltage_volts: Option<f64>,
}

impl DeviceSummary {
    /// The summary of `d`.
    pub fn of(d: &DeviceState) -> Self {
        let reading = d.reading.as_deref().filter(|_| d.is_up());
        let value = |q: Quantity| reading.and_then(|r| r.value(q));
        Self {
            name: d.name.to_string(),
            source: d.source.as_str(),
            is_up: d.is_up(),
            is_stale: d.is_stale(),
            outcome: outcome(&d.outcome),
            status: reading.map(flags).unwrap_or_default(),
            is_on_battery: reading.is_some_and(|r| r.status.has(&StatusFlag::Ob)),
            last_success: d.last_success.map(rfc3339),
            manufacturer: d.reading.as_ref().map(|r| r.info.manufacturer.clone()),
            model: d.reading.as_ref().map(|r| r.info.model.clone()),
            charge_ratio: value(Quantity::BatteryCharge),
            runtime_seconds: value(Quantity::BatteryRuntime),
            load_ratio: value(Quantity::Load),
            real_power_watts: value(Quantity::RealPower),
            input_voltage_volts: value(Quantity::InputVoltage),
        }
    }
}

fn outcome(o: &Outcome) -> &'static str {
    match o {
        Outcome::Pending => "pending",
        Outcome::Ok => "ok",
        Outcome::Failed { reason, .. } => reason.as_str(),
    }
}

fn flags(r: &Reading) -> Vec<String> {
    r.status.flags().iter().map(ToString::to_string).collect()
}

/// One measured value.
#[derive(Debug, Serialize)]
pub struct SampleDto {
    /// The metric it is exported as.
    pub metric: &'static str,
    /// Phase label, if any.
    pub phase: Option<String>,
    /// Outlet label, if any.
    pub outlet: Option<String>,
    /// Value in the metric's unit.
    pub value: f64,
}

/// One device in full.
#[derive(Debug, Serialize)]
pub struct DeviceDetail {
    /// The list fields.
    #[serde(flatten)]
    pub summary: DeviceSummary,
    /// Driver or profile.
    pub driver: Option<String>,
    /// Firmware.
    pub firmware: Option<String>,
    /// Every measured value of the latest reading.
    pub samples: Vec<SampleDto>,
    /// Whether real power is nominal × load rather than measured.
    pub is_real_power_estimated: bool,
    /// Event counts per kind.
    pub transitions: Vec<(String, u64)>,
    /// Seconds on battery, all outages.
    pub on_battery_seconds: f64,
    /// Last transfer to or from battery.
    pub last_transfer: Option<String>,
    /// Energy through the output, joules.
    pub energy_joules: f64,
    /// Polls attempted.
    pub polls: u64,
    /// Wall time of the latest poll, seconds.
    pub last_poll_seconds: f64,
}

impl DeviceDetail {
    /// The detail of `d` with its counters.
    pub fn of(d: &DeviceState, counters: Option<&DeviceCounters>) -> Self {
        let reading = d.reading.as_deref().filter(|_| d.is_up());
        let samples = reading
            .map(|r| {
                r.samples
                    .iter()
                    .filter_map(|s| {
                        let m = MEASURES.iter().find(|m| m.quantity == s.quantity)?;
                        Some(SampleDto {
                            metric: m.name,
                            phase: s.phase.clone(),
                            outlet: s.outlet.clone(),
                            value: s.value,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let default = DeviceCounters::default();
        let c = counters.unwrap_or(&default);
        Self {
            summary: DeviceSummary::of(d),
            driver: d.reading.as_ref().map(|r| r.info.driver.clone()),
            firmware: d.reading.as_ref().map(|r| r.info.firmware.clone()),
            samples,
            is_real_power_estimated: reading.is_some_and(|r| r.is_real_power_estimated),
            transitions: c
                .transitions
                .iter()
                .map(|(k, n)| (k.as_str().to_owned(), *n))
                .collect(),
            on_battery_seconds: c.on_battery_seconds,
            last_transfer: c.last_transfer.map(rfc3339),
            energy_joules: c.energy_joules,
            polls: d.polls,
            last_poll_seconds: d.last_duration.as_secs_f64(),
        }
    }
}

/// One event.
#[derive(Debug, Serialize)]
pub struct EventDto {
    /// Per-device sequence number.
    pub seq: u64,
    /// Device.
    pub device: String,
    /// Event kind (`on_battery`…).
    pub kind: &'static str,
    /// `info`, `warning` or `critical`.
    pub severity: &'static str,
    /// Time of the poll that saw it.
    pub at: String,
    /// Extra detail.
    pub detail: Option<String>,
}

impl From<&Event> for EventDto {
    fn from(e: &Event) -> Self {
        Self {
            seq: e.seq,
            device: e.device.to_string(),
            kind: e.kind.as_str(),
            severity: e.severity().as_str(),
            at: rfc3339(e.at),
            detail: e.detail.clone(),
        }
    }
}

/// One outage.
#[derive(Debug, Serialize)]
pub struct OutageDto {
    /// Device.
    pub device: String,
    /// Start (on battery).
    pub start: String,
    /// End (back on line), absent while it lasts.
    pub end: Option<String>,
    /// Duration so far, seconds.
    pub duration_seconds: f64,
    /// Lowest battery charge seen, 0..1.
    pub min_charge_ratio: Option<f64>,
    /// Lowest runtime seen, seconds.
    pub min_runtime_seconds: Option<f64>,
    /// Still on battery.
    pub is_open: bool,
}

impl From<&Outage> for OutageDto {
    fn from(o: &Outage) -> Self {
        Self {
            device: o.device.to_string(),
            start: rfc3339(o.start),
            end: o.end.map(rfc3339),
            duration_seconds: o.duration.as_secs_f64(),
            min_charge_ratio: o.min_charge_ratio,
            min_runtime_seconds: o.min_runtime.map(|d: Duration| d.as_secs_f64()),
            is_open: o.is_open(),
        }
    }
}

/// One chart point.
#[derive(Debug, Serialize)]
pub struct PointDto {
    /// Poll time.
    pub at: String,
    /// Battery charge 0..1.
    pub charge_ratio: Option<f64>,
    /// Runtime, seconds.
    pub runtime_seconds: Option<f64>,
    /// Load 0..1.
    pub load_ratio: Option<f64>,
    /// Input voltage.
    pub input_voltage_volts: Option<f64>,
    /// Output voltage.
    pub output_voltage_volts: Option<f64>,
    /// Real power.
    pub real_power_watts: Option<f64>,
    /// On battery.
    pub is_on_battery: bool,
}

impl From<&Point> for PointDto {
    fn from(p: &Point) -> Self {
        Self {
            at: rfc3339(p.at),
            charge_ratio: p.charge_ratio,
            runtime_seconds: p.runtime_seconds,
            load_ratio: p.load_ratio,
            input_voltage_volts: p.input_voltage_volts,
            output_voltage_volts: p.output_voltage_volts,
            real_power_watts: p.real_power_watts,
            is_on_battery: p.is_on_battery,
        }
    }
}
