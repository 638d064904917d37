//! NUT variables → readings. Units as NUT defines them (`docs/nut-names.txt`): percent values
//! become ratios, everything else is already in SI units.

use std::collections::HashMap;
use std::sync::LazyLock;

use upsight_model::{DeviceInfo, Identity, Quantity, Reading, Sample, Source, Status};
use upsight_proto::nut::parse_number;

use super::{Labels, MappingError, Scale};

/// One mapping row: a NUT variable (with any phase or outlet index removed) and what it means.
#[derive(Debug, Clone, Copy)]
pub struct Row {
    /// NUT variable name; for phase/outlet rows, the name without the index.
    pub var: &'static str,
    /// What it measures.
    pub quantity: Quantity,
    /// Conversion to the SI unit.
    pub scale: Scale,
    /// Which label it may carry.
    pub labels: Labels,
}

const fn row(var: &'static str, quantity: Quantity, scale: Scale, labels: Labels) -> Row {
    Row {
        var,
        quantity,
        scale,
        labels,
    }
}

use Labels as L;
use Quantity as Q;
use Scale::{Percent as Pct, Same};

/// Every NUT variable upsight turns into a measured value.
pub const TABLE: &[Row] = &[
    row("battery.charge", Q::BatteryCharge, Pct, L::None),
    row("battery.charge.low", Q::BatteryChargeLow, Pct, L::None),
    row(
        "battery.charge.warning",
        Q::BatteryChargeWarning,
        Pct,
        L::None,
    ),
    row("battery.runtime", Q::BatteryRuntime, Same, L::None),
    row("battery.runtime.low", Q::BatteryRuntimeLow, Same, L::None),
    row("battery.voltage", Q::BatteryVoltage, Same, L::None),
    row(
        "battery.voltage.nominal",
        Q::BatteryVoltageNominal,
        Same,
        L::None,
    ),
    row("battery.current", Q::BatteryCurrent, Same, L::None),
    row("battery.temperature", Q::BatteryTemperature, Same, L::None),
    row("input.voltage", Q::InputVoltage, Same, L::Phase),
    row(
        "input.voltage.nominal",
        Q::InputVoltageNominal,
        Same,
        L::None,
    ),
    row("input.frequency", Q::InputFrequency, Same, L::Phase),
    row(
        "input.frequency.nominal",
        Q::InputFrequencyNominal,
        Same,
        L::None,
    ),
    row("input.current", Q::InputCurrent, Same, L::Phase),
    row(
        "input.current.nominal",
        Q::InputCurrentNominal,
        Same,
        L::Phase,
    ),
    row("input.transfer.low", Q::InputTransferLow, Same, L::None),
    row("input.transfer.high", Q::InputTransferHigh, Same, L::None),
    row("input.realpower", Q::InputRealPower, Same, L::Phase),
    row("input.power", Q::InputApparentPower, Same, L::Phase),
    row(
        "input.bypass.voltage",
        Q::InputBypassVoltage,
        Same,
        L::Phase,
    ),
    row(
        "input.bypass.frequency",
        Q::InputBypassFrequency,
        Same,
        L::None,
    ),
    row("output.voltage", Q::OutputVoltage, Same, L::Phase),
    row(
        "output.voltage.nominal",
        Q::OutputVoltageNominal,
        Same,
        L::None,
    ),
    row("output.frequency", Q::OutputFrequency, Same, L::Phase),
    row(
        "output.frequency.nominal",
        Q::OutputFrequencyNominal,
        Same,
        L::None,
    ),
    row("output.current", Q::OutputCurrent, Same, L::Phase),
    row(
        "output.current.nominal",
        Q::OutputCurrentNominal,
        Same,
        L::None,
    ),
    row("output.realpower", Q::OutputRealPower, Same, L::Phase),
    row("output.power", Q::OutputApparentPower, Same, L::Phase),
    row("output.powerfactor", Q::OutputPowerFactor, Same, L::None),
    row("ups.load", Q::Load, Pct, L::None),
    row("output.power.percent", Q::Load, Pct, L::PhaseOnly),
    row("ups.realpower", Q::RealPower, Same, L::None),
    row("ups.realpower.nominal", Q::RealPowerNominal, Same, L::None),
    row("ups.power", Q::ApparentPower, Same, L::None),
    row("ups.power.nominal", Q::ApparentPowerNominal, Same, L::None),
    row("ups.efficiency", Q::Efficiency, Pct, L::None),
    row("ups.temperature", Q::UpsTemperature, Same, L::None),
    row("ambient.temperature", Q::AmbientTemperature, Same, L::None),
    row("ambient.humidity", Q::AmbientHumidity, Pct, L::None),
    row("outlet.voltage", Q::OutletVoltage, Same, L::Outlet),
    row("outlet.current", Q::OutletCurrent, Same, L::Outlet),
    row("outlet.realpower", Q::OutletRealPower, Same, L::Outlet),
    row("outlet.power", Q::OutletApparentPower, Same, L::Outlet),
    row("device.uptime", Q::DeviceUptime, Same, L::None),
];

static INDEX: LazyLock<HashMap<&'static str, &'static Row>> =
    LazyLock::new(|| TABLE.iter().map(|r| (r.var, r)).collect());

/// Maps one UPS's `LIST VAR` variables to a reading. Pure.
pub fn map(vars: Vec<(String, String)>) -> Result<Reading, MappingError> {
    let get = |name: &str| {
        vars.iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let status_text = get("ups.status").unwrap_or_default();
    if Status::is_waiting(status_text) {
        return Err(MappingError::Waiting);
    }
    let status = Status::parse(status_text);
    let text = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| get(n))
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    };
    let opt = |name: &str| {
        get(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let info = DeviceInfo {
        driver: text(&["driver.name"]),
        manufacturer: text(&["device.mfr", "ups.mfr"]),
        model: text(&["device.model", "ups.model"]),
        firmware: text(&["ups.firmware"]),
        device_type: text(&["device.type"]),
    };
    let identity = Identity {
        serial: opt("device.serial").or_else(|| opt("ups.serial")),
        location: opt("device.location"),
        contact: opt("device.contact"),
        description: opt("device.description").or_else(|| opt("ups.description")),
        mac_address: opt("device.macaddr"),
        host_name: opt("device.sysname"),
    };
    let mut samples: Vec<Sample> = vars.iter().filter_map(|(n, v)| sample(n, v)).collect();
    samples
        .sort_by(|a, b| (a.quantity, &a.phase, &a.outlet).cmp(&(b.quantity, &b.phase, &b.outlet)));
    samples.dedup_by(|a, b| a.quantity == b.quantity && a.phase == b.phase && a.outlet == b.outlet);
    let is_real_power_estimated = estimate_real_power(&mut samples);
    Ok(Reading {
        source: Source::Nut,
        status,
        samples,
        is_real_power_estimated,
        info,
        identity,
        raw: vars,
    })
}

/// One variable → one sample, if the table knows it and the value is a number.
fn sample(name: &str, value: &str) -> Option<Sample> {
    let (key, phase, outlet) = split_index(name);
    let row = INDEX.get(key.as_str())?;
    let allowed = match row.labels {
        L::None => phase.is_none() && outlet.is_none(),
        L::Phase => outlet.is_none(),
        L::PhaseOnly => phase.is_some() && outlet.is_none(),
        L::Outlet => outlet.is_some() && phase.is_none(),
    };
    let value = parse_number(value)?;
    allowed.then(|| Sample {
        quantity: row.quantity,
        phase,
        outlet,
        value: row.scale.apply(value),
    })
}

/// `input.L1-N.voltage` → (`input.voltage`, `L1-N`); `outlet.3.current` → (`outlet.current`, 3).
fn split_index(name: &str) -> (String, Option<String>, Option<String>) {
    let parts: Vec<&str> = name.split('.').collect();
    if let Some(i) = parts
        .iter()
        .skip(1)
        .position(|p| is_phase(p))
        .map(|i| i + 1)
    {
        let mut rest = parts.clone();
        let phase = rest.remove(i).to_owned();
        return (rest.join("."), Some(phase), None);
    }
    if parts.len() > 2 && parts[0] == "outlet" && parts[1].bytes().all(|b| b.is_ascii_digit()) {
        let key = format!("outlet.{}", parts[2..].join("."));
        return (key, None, Some(parts[1].to_owned()));
    }
    (name.to_owned(), None, None)
}

/// `L1`, `L2`, `L3`, `L1-N`, `L1-L2`, …
fn is_phase(part: &str) -> bool {
    let b = part.as_bytes();
    let line = |s: &[u8]| s.len() == 2 && s[0] == b'L' && (b'1'..=b'3').contains(&s[1]);
    match b.len() {
        2 => line(b),
        4 => line(&b[..2]) && b[2] == b'-' && b[3] == b'N',
        5 => line(&b[..2]) && b[2] == b'-' && line(&b[3..]),
        _ => false,
    }
}

/// Adds `ups.realpower.nominal × ups.load` as real power when the device does not measure it.
fn estimate_real_power(samples: &mut Vec<Sample>) -> bool {
    let whole = |q: Quantity, s: &[Sample]| {
        s.iter()
            .find(|x| x.quantity == q && x.phase.is_none() && x.outlet.is_none())
            .map(|x| x.value)
    };
    if whole(Q::RealPower, samples).is_some() {
        return false;
    }
    let (Some(nominal), Some(load)) =
        (whole(Q::RealPowerNominal, samples), whole(Q::Load, samples))
    else {
        return false;
    };
    let at = samples.partition_point(|s| s.quantity < Q::RealPower);
    // Rounded to the microwatt so the product carries no float noise (520 × 0.18).
    let value = (nominal * load * 1e6).round() / 1e6;
    let sample = Sample {
        quantity: Q::RealPower,
        phase: None,
        outlet: None,
        value,
    };
    samples.insert(at, sample);
    true
}

#[cfg(test)]
mod tests;
