//! Server-side cost of the exporter's two hot paths: rendering one scrape of a snapshot with
//! 10, 100 and 1000 UPSes (what `/metrics` does per request), and one `NutSource` poll cycle
//! of 25 and 100 UPSes against the in-process simulator on 127.0.0.1 (what the poller does per
//! interval). Criterion prints time per scrape or poll; nothing here asserts a time.
//!
//! Run with `cargo bench -p upsight-exporter --bench scrape`.

#![allow(clippy::unwrap_used)] // bench setup: a panic is a broken fixture, not a measurement

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use tokio::runtime::Runtime;
use upsight_exporter::Config;
use upsight_exporter::exposition::render;
use upsight_exporter::mapping;
use upsight_exporter::source::Source;
use upsight_exporter::source::nut::NutSource;
use upsight_model::{DeviceState, Outcome, Snapshot, Source as SourceKind, UpsName};
use upsight_sim::{Device, Simulator};

/// 40 variables of a line-interactive rack UPS (`usbhid-ups`), as upsd lists them; the
/// numbers vary with `i` so that no two devices render the same values.
fn ups_vars(i: usize) -> Vec<(String, String)> {
    let f = i as f64;
    let vars = [
        ("battery.charge", format!("{}", 100 - i % 40)),
        ("battery.charge.low", "20".into()),
        ("battery.charge.warning", "50".into()),
        ("battery.runtime", format!("{}", 1200 + 7 * i)),
        ("battery.runtime.low", "180".into()),
        (
            "battery.temperature",
            format!("{:.1}", 24.0 + (f * 0.3) % 9.0),
        ),
        ("battery.type", "PbAc".into()),
        ("battery.voltage", format!("{:.1}", 53.0 + (f * 0.1) % 2.0)),
        ("battery.voltage.nominal", "48.0".into()),
        ("battery.date", "2023/04/11".into()),
        ("device.mfr", "EATON".into()),
        (
            "device.model",
            format!("Eaton 5PX {}", 1000 + 500 * (i % 3)),
        ),
        ("device.serial", format!("G{i:09}")),
        ("device.type", "ups".into()),
        (
            "device.location",
            format!("dc1 row {} rack {}", i / 10, i % 10),
        ),
        ("driver.name", "usbhid-ups".into()),
        ("driver.parameter.pollfreq", "30".into()),
        ("driver.parameter.port", "auto".into()),
        ("driver.version", "2.8.1".into()),
        ("input.frequency", format!("{:.1}", 49.9 + (f * 0.01) % 0.2)),
        ("input.frequency.nominal", "50".into()),
        ("input.transfer.high", "294".into()),
        ("input.transfer.low", "160".into()),
        ("input.voltage", format!("{:.1}", 228.0 + (f * 0.7) % 6.0)),
        ("input.voltage.nominal", "230".into()),
        ("outlet.1.status", "on".into()),
        ("outlet.1.current", format!("{:.2}", 0.3 + (f * 0.05) % 1.0)),
        ("outlet.2.status", "on".into()),
        ("outlet.2.current", format!("{:.2}", 0.5 + (f * 0.03) % 1.0)),
        ("output.current", format!("{:.2}", 1.1 + (f * 0.02) % 2.0)),
        ("output.frequency", "50.0".into()),
        ("output.voltage", "230.0".into()),
        ("output.voltage.nominal", "230".into()),
        ("ups.firmware", "03.08.0018".into()),
        ("ups.load", format!("{}", 10 + i % 70)),
        ("ups.power", format!("{}", 250 + i % 400)),
        ("ups.power.nominal", "1500".into()),
        ("ups.realpower", format!("{}", 220 + i % 380)),
        ("ups.realpower.nominal", "1350".into()),
        (
            "ups.status",
            if i % 17 == 3 { "OB DISCHRG" } else { "OL CHRG" }.into(),
        ),
    ];
    vars.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

fn name(i: usize) -> String {
    format!("ups{i:04}")
}

/// A snapshot like the poller publishes: every device up, with a reading.
fn snapshot(devices: usize) -> Arc<Snapshot> {
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let devices = (0..devices)
        .map(|i| {
            let ups: UpsName = name(i).parse().unwrap();
            let mut state = DeviceState::new(ups, SourceKind::Nut);
            state.reading = Some(Arc::new(mapping::nut::map(ups_vars(i)).unwrap()));
            state.outcome = Outcome::Ok;
            state.last_success = Some(at);
            state.last_duration = Duration::from_micros(1500);
            state.polls = 1000;
            state
        })
        .collect();
    Arc::new(Snapshot {
        devices,
        generation: 1000,
        is_ready: true,
        sources: Vec::new(),
    })
}

/// One scrape as the `/metrics` handler renders it (same initial capacity).
fn scrape(snapshot: &Arc<Snapshot>) -> String {
    let mut body = String::with_capacity(64 * 1024);
    render(snapshot, &mut body).unwrap();
    body
}

fn bench_render(c: &mut Criterion) {
    let mut group = c.benchmark_group("render");
    for devices in [10, 100, 1000] {
        let snapshot = snapshot(devices);
        let bytes = scrape(&snapshot).len();
        eprintln!("render/{devices}: exposition is {bytes} bytes");
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_with_input(BenchmarkId::from_parameter(devices), &snapshot, |b, s| {
            b.iter(|| scrape(black_box(s)));
        });
    }
    group.finish();
}

/// The exporter's runtime shape (`crates/upsight/src/main.rs`): two worker threads.
fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn nut_source(addr: std::net::SocketAddr) -> NutSource {
    let text = format!("[[nut]]\naddress = \"{addr}\"\n");
    let config = Config::parse(&text, &|_| None).unwrap();
    NutSource::new(config.nut[0].clone())
}

fn bench_sim_poll(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("sim_poll");
    for devices in [25, 100] {
        let mut sim = Simulator::new();
        for i in 0..devices {
            let vars = ups_vars(i);
            sim = sim.with_device(name(i), Device { vars });
        }
        let handle = rt.block_on(sim.bind("127.0.0.1:0")).unwrap();
        let mut source = nut_source(handle.addr());
        // The first poll discovers the devices (a second exchange); every later poll is one
        // pipelined `LIST UPS` + N × `LIST VAR` on the persistent connection.
        for _ in 0..2 {
            let polls = rt.block_on(source.poll()).unwrap();
            assert_eq!(polls.len(), devices);
            assert!(polls.iter().all(|p| p.result.is_ok()), "every device polls");
        }
        group.throughput(Throughput::Elements(devices as u64));
        group.bench_function(BenchmarkId::from_parameter(devices), |b| {
            b.iter(|| rt.block_on(source.poll()).unwrap());
        });
        drop(handle);
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = bench_render, bench_sim_poll
}
criterion_main!(benches);
