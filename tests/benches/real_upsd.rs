//! One poll cycle of 25 UPSes against a real NUT upsd (dummy-ups drivers on 127.0.0.1): the
//! exporter's `NutSource` (persistent connection, every request pipelined in one write,
//! TCP_QUICKACK re-armed before each read) next to two naive clients in the same run. Both
//! naive clients open a fresh connection per cycle and send one `LIST VAR` per UPS, waiting
//! for each reply before the next request. One re-arms TCP_QUICKACK and the other does not.
//! upsd sends each line of a reply with its own `send()`, so without QUICKACK the client's
//! delayed ACK stalls every multi-line reply by about 40 ms (`reference/nut-performance.md`).
//! Nothing here asserts a time.
//!
//! Run with `cargo bench -p upsight-e2e --bench real_upsd`. Without nut-server installed it
//! prints why and measures nothing.

#![allow(clippy::unwrap_used)] // bench setup: a panic is a broken peer, not a measurement

use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::runtime::Runtime;
use upsight_e2e::upsd::{DeviceFile, Upsd};
use upsight_exporter::Config;
use upsight_exporter::source::Source;
use upsight_exporter::source::net;
use upsight_exporter::source::nut::NutSource;

const DEVICES: usize = 25;
/// Deadline for the connect and for each read of the naive clients.
const IO_TIMEOUT: Duration = Duration::from_secs(2);
/// A `LIST VAR` reply larger than this is a broken peer; stops the read loop.
const MAX_REPLY: usize = 1 << 20;

fn name(i: usize) -> String {
    format!("ups{i:02}")
}

/// A small `.dev` file with 30 variables; values vary with `i` so no two devices match.
/// No empty values: dummy-ups mis-parses them (real-peers.md, NUT gotcha 8).
fn dev_text(i: usize) -> String {
    let f = i as f64;
    let vars = [
        ("battery.charge", format!("{}", 100 - i % 30)),
        ("battery.charge.low", "20".into()),
        ("battery.runtime", format!("{}", 1500 + 11 * i)),
        ("battery.runtime.low", "180".into()),
        ("battery.temperature", format!("{:.1}", 24.0 + f * 0.2)),
        ("battery.type", "PbAc".into()),
        ("battery.voltage", format!("{:.1}", 26.0 + f * 0.05)),
        ("battery.voltage.nominal", "24.0".into()),
        ("device.mfr", "EATON".into()),
        ("device.model", format!("5PX {}", 1000 + 500 * (i % 3))),
        ("device.serial", format!("G{i:09}")),
        ("device.type", "ups".into()),
        ("input.frequency", format!("{:.1}", 49.8 + f * 0.01)),
        ("input.frequency.nominal", "50".into()),
        ("input.transfer.high", "294".into()),
        ("input.transfer.low", "160".into()),
        ("input.voltage", format!("{:.1}", 227.0 + f * 0.3)),
        ("input.voltage.nominal", "230".into()),
        ("output.current", format!("{:.2}", 1.0 + f * 0.04)),
        ("output.frequency", "50.0".into()),
        ("output.voltage", "230.0".into()),
        ("output.voltage.nominal", "230".into()),
        ("ups.firmware", "03.08.0018".into()),
        ("ups.load", format!("{}", 12 + i)),
        ("ups.mfr", "EATON".into()),
        ("ups.model", format!("5PX {}", 1000 + 500 * (i % 3))),
        ("ups.power", format!("{}", 300 + 9 * i)),
        ("ups.power.nominal", "1500".into()),
        ("ups.realpower", format!("{}", 270 + 8 * i)),
        ("ups.status", "OL CHRG".into()),
    ];
    vars.iter().map(|(k, v)| format!("{k}: {v}\n")).collect()
}

fn devices() -> Vec<DeviceFile> {
    (0..DEVICES)
        .map(|i| DeviceFile {
            name: name(i),
            text: dev_text(i),
            extension: "dev",
        })
        .collect()
}

/// The exporter's runtime shape (`crates/upsight/src/main.rs`): two worker threads.
fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A naive client's cycle: a fresh connection, then `LIST VAR` for each UPS, one at a time,
/// like a request/response exporter. Returns the bytes received.
async fn naive_cycle(port: u16, quickack: bool) -> anyhow::Result<usize> {
    let mut stream = net::connect("127.0.0.1", port, IO_TIMEOUT).await?;
    let mut buf = Vec::with_capacity(8 * 1024);
    let mut total = 0;
    for i in 0..DEVICES {
        let ups = name(i);
        stream
            .write_all(format!("LIST VAR {ups}\n").as_bytes())
            .await?;
        buf.clear();
        read_list_var(&mut stream, &ups, &mut buf, quickack).await?;
        total += buf.len();
    }
    Ok(total)
}

/// Reads until `END LIST VAR <ups>` (or an `ERR` line) ends the reply. Bounded: every read
/// has a deadline, and the reply size is capped.
async fn read_list_var(
    stream: &mut TcpStream,
    ups: &str,
    buf: &mut Vec<u8>,
    quickack: bool,
) -> anyhow::Result<()> {
    let end = format!("END LIST VAR {ups}\n");
    let mut chunk = [0u8; 16 * 1024];
    while buf.len() < MAX_REPLY {
        if buf.ends_with(end.as_bytes()) {
            return Ok(());
        }
        if buf.starts_with(b"ERR ") && buf.ends_with(b"\n") {
            anyhow::bail!("upsd answered {}", String::from_utf8_lossy(buf).trim_end());
        }
        if quickack {
            net::rearm_quickack(stream);
        }
        let n = tokio::time::timeout(IO_TIMEOUT, stream.read(&mut chunk)).await??;
        anyhow::ensure!(n > 0, "upsd closed the connection mid-reply");
        buf.extend_from_slice(&chunk[..n]);
    }
    anyhow::bail!("LIST VAR {ups}: reply exceeds {MAX_REPLY} bytes")
}

fn bench_real_upsd(c: &mut Criterion) {
    let rt = runtime();
    let Some(upsd) = rt.block_on(Upsd::start(&devices(), 15)).unwrap() else {
        eprintln!(
            "real_upsd: NUT upsd/dummy-ups not installed (apt-get install nut-server); \
             nothing measured"
        );
        return;
    };
    let text = format!("[[nut]]\naddress = \"{}\"\n", upsd.address());
    let config = Config::parse(&text, &|_| None).unwrap();
    let mut source = NutSource::new(config.nut[0].clone());
    // The first poll discovers the devices; after it, every poll is one pipelined exchange.
    for _ in 0..2 {
        let polls = rt.block_on(source.poll()).unwrap();
        assert_eq!(polls.len(), DEVICES);
        assert!(polls.iter().all(|p| p.result.is_ok()), "every device polls");
    }
    for quickack in [false, true] {
        let bytes = rt.block_on(naive_cycle(upsd.port(), quickack)).unwrap();
        assert!(bytes > 0);
    }

    let mut group = c.benchmark_group("real_upsd_25");
    group.throughput(Throughput::Elements(DEVICES as u64));
    group.bench_function("exporter_poll", |b| {
        b.iter(|| rt.block_on(source.poll()).unwrap());
    });
    group.bench_function("naive_sequential_quickack", |b| {
        b.iter(|| rt.block_on(naive_cycle(upsd.port(), true)).unwrap());
    });
    // ~1 s per cycle: flat sampling keeps it to 10 cycles instead of criterion's 55.
    group.sample_size(10).sampling_mode(SamplingMode::Flat);
    group.bench_function("naive_sequential", |b| {
        b.iter(|| rt.block_on(naive_cycle(upsd.port(), false)).unwrap());
    });
    group.finish();
    drop(source);
    drop(upsd);
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = bench_real_upsd
}
criterion_main!(benches);
