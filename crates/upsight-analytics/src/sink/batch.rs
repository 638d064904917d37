//! Items → table rows, with identity rows only where a device's identity changed.

use std::collections::HashMap;
use std::time::Duration;

use upsight_model::{Identity, Reading, UpsName};

use super::Item;
use crate::rows::{DeviceRow, EventRow, OutageRow, ReadingRow, unix_seconds};

/// The rows of one batch, per table; a table's rows are set to `None` once inserted, so a
/// retry never writes them twice.
#[derive(Debug, Default)]
pub(super) struct Batch {
    pub(super) readings: Option<Vec<ReadingRow>>,
    pub(super) events: Option<Vec<EventRow>>,
    pub(super) outages: Option<Vec<OutageRow>>,
    pub(super) devices: Option<Vec<DeviceRow>>,
}

impl Batch {
    /// Whether every table's rows are written.
    pub(super) fn is_done(&self) -> bool {
        self.readings.is_none()
            && self.events.is_none()
            && self.outages.is_none()
            && self.devices.is_none()
    }
}

/// Identities already in ClickHouse, per device (without the `updated` time).
#[derive(Debug, Default)]
pub(super) struct KnownIdentities(HashMap<UpsName, DeviceRow>);

impl KnownIdentities {
    /// Remembers the identities of a written batch.
    pub(super) fn remember(&mut self, rows: &[DeviceRow]) {
        for row in rows {
            if let Ok(name) = row.device.parse::<UpsName>() {
                self.0.insert(
                    name,
                    DeviceRow {
                        updated: 0,
                        ..row.clone()
                    },
                );
            }
        }
    }
}

/// Builds the rows of `items` for `site`.
pub(super) fn build(items: Vec<Item>, site: &str, known: &KnownIdentities) -> Batch {
    let mut readings = Vec::new();
    let mut events = Vec::new();
    let mut outages = Vec::new();
    let mut devices: Vec<DeviceRow> = Vec::new();
    for item in items {
        match item {
            Item::Poll {
                at,
                device,
                reading,
            } => {
                let ts = unix_seconds(at);
                let source = reading.source.as_str();
                readings.extend(reading.raw.iter().map(|(variable, value)| ReadingRow {
                    ts,
                    site: site.to_owned(),
                    device: device.as_str().to_owned(),
                    source: source.to_owned(),
                    variable: variable.clone(),
                    value: value.clone(),
                    number: number(value),
                }));
                let identity = identity_row(site, &device, &reading);
                let unchanged = known.0.get(&device).is_some_and(|k| same(k, &identity))
                    || devices.iter().any(|d| same(d, &identity));
                if !unchanged {
                    devices.push(DeviceRow {
                        updated: ts,
                        ..identity
                    });
                }
            }
            Item::Event(event) => events.push(EventRow {
                ts: unix_seconds(event.at),
                site: site.to_owned(),
                device: event.device.as_str().to_owned(),
                seq: event.seq,
                kind: event.kind.as_str().to_owned(),
                severity: event.severity().as_str().to_owned(),
                detail: event.detail.clone().unwrap_or_default(),
            }),
            Item::Outage(outage) => outages.push(OutageRow {
                site: site.to_owned(),
                device: outage.device.as_str().to_owned(),
                start: unix_seconds(outage.start),
                end: outage.end.map_or(0, unix_seconds),
                duration_seconds: outage.duration.as_secs_f64(),
                min_charge_ratio: outage.min_charge_ratio,
                min_runtime_seconds: outage.min_runtime.map(|d: Duration| d.as_secs_f64()),
            }),
        }
    }
    let some = |v: bool| v.then_some(());
    Batch {
        readings: some(!readings.is_empty()).map(|()| readings),
        events: some(!events.is_empty()).map(|()| events),
        outages: some(!outages.is_empty()).map(|()| outages),
        devices: some(!devices.is_empty()).map(|()| devices),
    }
}

/// Equal apart from the time seen.
fn same(a: &DeviceRow, b: &DeviceRow) -> bool {
    DeviceRow {
        updated: 0,
        ..a.clone()
    } == DeviceRow {
        updated: 0,
        ..b.clone()
    }
}

/// The value as a number, when it is one (finite).
fn number(value: &str) -> Option<f64> {
    value.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

fn identity_row(site: &str, device: &UpsName, reading: &Reading) -> DeviceRow {
    let Identity {
        serial,
        location,
        contact,
        description,
        mac_address,
        host_name,
    } = &reading.identity;
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    DeviceRow {
        updated: 0,
        site: site.to_owned(),
        device: device.as_str().to_owned(),
        source: reading.source.as_str().to_owned(),
        serial: text(serial),
        manufacturer: reading.info.manufacturer.clone(),
        model: reading.info.model.clone(),
        firmware: reading.info.firmware.clone(),
        driver: reading.info.driver.clone(),
        location: text(location),
        contact: text(contact),
        description: text(description),
        mac_address: text(mac_address),
        host_name: text(host_name),
    }
}
