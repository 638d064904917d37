//! The bench's devices: a `.dev` text of 30 variables per UPS (a line-interactive rack UPS as
//! `usbhid-ups` reports it, values varying with the index so no two devices render alike),
//! written as files for `upsight sim` and mapped in process for the render measurements.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use upsight_e2e::write_file;
use upsight_model::{DeviceState, Outcome, Snapshot, Source, SourceHealth};

/// The name of device `i` (sorted the way the simulator lists them).
pub(crate) fn name(i: usize) -> String {
    format!("ups{i:05}")
}

/// The 30 variables of device `i`.
pub(crate) fn vars(i: usize) -> Vec<(String, String)> {
    let vars = [
        ("battery.charge", format!("{}", 100 - i % 30)),
        ("battery.charge.low", "20".into()),
        ("battery.runtime", format!("{}", 1500 + 11 * (i % 1000))),
        ("battery.runtime.low", "180".into()),
        ("battery.temperature", format!("{}.{}", 24 + i % 8, i % 10)),
        ("battery.type", "PbAc".into()),
        ("battery.voltage", format!("26.{}", i % 10)),
        ("battery.voltage.nominal", "24.0".into()),
        ("device.mfr", "EATON".into()),
        ("device.model", format!("5PX {}", 1000 + 500 * (i % 3))),
        ("device.serial", format!("G{i:09}")),
        ("device.type", "ups".into()),
        ("driver.name", "usbhid-ups".into()),
        ("input.frequency", format!("49.{}", 90 + i % 10)),
        ("input.frequency.nominal", "50".into()),
        ("input.transfer.high", "294".into()),
        ("input.transfer.low", "160".into()),
        ("input.voltage", format!("{}.{}", 227 + i % 6, i % 10)),
        ("input.voltage.nominal", "230".into()),
        ("output.current", format!("1.{}", i % 100)),
        ("output.frequency", "50.0".into()),
        ("output.voltage", "230.0".into()),
        ("output.voltage.nominal", "230".into()),
        ("ups.firmware", "03.08.0018".into()),
        ("ups.load", format!("{}", 10 + i % 70)),
        ("ups.power", format!("{}", 300 + 9 * (i % 100))),
        ("ups.power.nominal", "1500".into()),
        ("ups.realpower", format!("{}", 270 + 8 * (i % 100))),
        ("ups.realpower.nominal", "1350".into()),
        ("ups.status", "OL CHRG".into()),
    ];
    vars.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// Writes `count` device files into `dir`; their paths, in name order.
pub(crate) fn write(dir: &Path, count: usize) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let mut paths = Vec::with_capacity(count);
    for i in 1..=count {
        let text: String = vars(i).iter().map(|(k, v)| format!("{k}: {v}\n")).collect();
        let path = dir.join(format!("{}.dev", name(i)));
        write_file(&path, text.as_bytes())?;
        paths.push(path);
    }
    Ok(paths)
}

/// A snapshot of `count` devices, each polled once with its 30 variables, as the poller
/// publishes it; `generation` tells consecutive snapshots apart.
pub(crate) fn snapshot(count: usize, generation: u64) -> anyhow::Result<Arc<Snapshot>> {
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let mut devices = Vec::with_capacity(count);
    for i in 1..=count {
        let mut device = DeviceState::new(name(i).parse()?, Source::Nut);
        let reading = upsight_exporter::mapping::nut::map(vars(i))
            .map_err(|e| anyhow::anyhow!("device {i}: {e}"))?;
        device.reading = Some(Arc::new(reading));
        device.outcome = Outcome::Ok;
        device.last_success = Some(at);
        device.last_duration = Duration::from_micros(1500);
        device.polls = 1;
        devices.push(device);
    }
    Ok(Arc::new(Snapshot {
        devices,
        sources: vec![SourceHealth {
            name: "nut[0]".into(),
            is_up: Some(true),
        }],
        generation,
        is_ready: true,
    }))
}
