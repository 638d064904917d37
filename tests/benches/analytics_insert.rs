//! The analytical path's write side against a real ClickHouse (the distribution's
//! `clickhouse-server`, started on 127.0.0.1), in one run:
//!
//! 1. **Insert rate.** 1 000 UPSes, each with every variable of a real device (the NUT dumps of
//!    `UPSIGHT_DEVICE_CORPUS` when set, cycled; else the demo devices), are fed to the sink as
//!    poll cycles, the way pollers feed it; the sink batches them (default batch and flush) into
//!    `readings` (and `devices`). Reported: rows per second from the first poll until ClickHouse
//!    acknowledged the last row, and the producer's cost of one `record_poll` of 1 000 UPSes.
//!    The reference, measured in the same run: the same rows built in advance and inserted
//!    through the same client in batches of the same size (no queue, no row building).
//! 2. **Queue memory bound.** With ClickHouse unreachable, fresh readings of the 1 000 UPSes
//!    are queued until the default bound (200 000 rows) is reached; the process's VmRSS growth
//!    per queued row gives the bound in bytes; feeding as many rows again (all dropped) shows
//!    RSS stays put.
//!
//! Nothing asserts a time. Markdown on stdout, progress on stderr. Run with
//! `cargo bench -p upsight-e2e --bench analytics_insert`.

#![allow(clippy::print_stdout)] // the tables on stdout are this bench's output
#![allow(clippy::unwrap_used)] // bench code: a panic is a failed run

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tokio_util::sync::CancellationToken;
use upsight_analytics::rows::{READINGS, ReadingRow};
use upsight_analytics::sink::{DEFAULT_BATCH_ROWS, DEFAULT_CAPACITY_ROWS, DEFAULT_FLUSH_INTERVAL};
use upsight_analytics::{Password, Settings, Sink, SinkConfig};
use upsight_e2e::clickhouse::{self, ClickHouse};
use upsight_model::{DeviceState, Outcome, Reading, Source};

const UPSES: usize = 1_000;
const CYCLES: u64 = 10;

fn variable_sets() -> Vec<(String, Vec<(String, String)>)> {
    let mut sets = Vec::new();
    if let Some(dir) = upsight_e2e::device_corpus() {
        let mut files: Vec<_> = std::fs::read_dir(dir.join("nut-ddl"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "dev"))
            .collect();
        files.sort();
        for path in files {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            if let Ok(device) = upsight_sim::Device::parse(&text) {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                sets.push((name, device.vars));
            }
        }
    }
    if sets.is_empty() {
        for (name, _, text) in upsight_sim::demo::DEVICES
            .iter()
            .chain(upsight_sim::demo::SITE_B)
        {
            if let Some(step) = upsight_sim::Scenario::parse(text)
                .ok()
                .and_then(|s| s.steps.first().cloned())
            {
                sets.push(((*name).to_owned(), step.set));
            }
        }
    }
    sets
}

/// One poll cycle of every UPS: fresh readings, as a poller makes them.
fn cycle(sets: &[(String, Vec<(String, String)>)], n: u64) -> Vec<DeviceState> {
    (0..UPSES)
        .map(|i| {
            let mut vars = sets[i % sets.len()].1.clone();
            for (name, value) in &mut vars {
                if name == "battery.charge" {
                    *value = (100 - (i as u64 + n) % 40).to_string();
                }
            }
            let reading: Reading = upsight_exporter::mapping::nut::map(vars).unwrap();
            let mut state = DeviceState::new(format!("ups-{i:04}").parse().unwrap(), Source::Nut);
            state.outcome = Outcome::Ok;
            state.reading = Some(Arc::new(reading));
            state
        })
        .collect()
}

fn rows_of(states: &[DeviceState]) -> usize {
    states
        .iter()
        .map(|s| s.reading.as_ref().unwrap().raw.len())
        .sum()
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn config(settings: Settings) -> SinkConfig {
    SinkConfig {
        settings,
        site: "bench".into(),
        capacity_rows: DEFAULT_CAPACITY_ROWS,
        batch_rows: DEFAULT_BATCH_ROWS,
        flush_interval: DEFAULT_FLUSH_INTERVAL,
        retention: None,
    }
}

async fn insert_rate(ch: &ClickHouse, sets: &[(String, Vec<(String, String)>)]) -> String {
    let mut settings = Settings::new(ch.url());
    settings.database = "bench".into();
    settings.user = Some(clickhouse::USER.into());
    settings.password = Some(Password::new(clickhouse::PASSWORD.into()));
    let cycles: Vec<Vec<DeviceState>> = (0..CYCLES).map(|n| cycle(sets, n)).collect();
    let per_cycle = rows_of(&cycles[0]);
    let total = cycles.iter().map(|c| rows_of(c)).sum::<usize>() as u64;
    // Schema first (not timed): one tiny poll through its own sink.
    let warm = Sink::new(config(settings.clone()));
    let cancel = CancellationToken::new();
    let task = tokio::spawn(warm.clone().run(cancel.clone()));
    warm.record_poll(&cycles[0][..1], SystemTime::now());
    while warm.stats().inserted_rows() == 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cancel.cancel();
    task.await.unwrap();

    let sink = Sink::new(config(settings.clone()));
    let cancel = CancellationToken::new();
    let task = tokio::spawn(sink.clone().run(cancel.clone()));
    let started = Instant::now();
    let mut record = Duration::ZERO;
    let t0 = SystemTime::now();
    for (n, states) in cycles.iter().enumerate() {
        let before = Instant::now();
        sink.record_poll(states, t0 + Duration::from_secs(n as u64 * 5));
        record += before.elapsed();
        // Pollers publish one cycle per interval; the bench lets the writer keep up.
        while sink.stats().queued_rows() > DEFAULT_CAPACITY_ROWS as u64 - per_cycle as u64 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    while sink.stats().inserted_rows() + sink.stats().dropped_rows() < total {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let elapsed = started.elapsed();
    cancel.cancel();
    task.await.unwrap();
    let dropped = sink.stats().dropped_rows();

    // Reference: the same rows, built beforehand, inserted in batches of the same size.
    let client = upsight_analytics::connect(&settings)
        .unwrap()
        .with_database("bench");
    let rows: Vec<ReadingRow> = cycles
        .iter()
        .flatten()
        .flat_map(|s| {
            let name = s.name.as_str().to_owned();
            s.reading
                .as_ref()
                .unwrap()
                .raw
                .clone()
                .into_iter()
                .map(move |(variable, value)| ReadingRow {
                    ts: 1_780_000_000,
                    site: "reference".into(),
                    device: name.clone(),
                    source: "nut".into(),
                    number: value.parse().ok(),
                    variable,
                    value,
                })
        })
        .collect();
    let reference_started = Instant::now();
    for chunk in rows.chunks(DEFAULT_BATCH_ROWS) {
        let mut insert = client.insert::<ReadingRow>(READINGS).await.unwrap();
        for row in chunk {
            insert.write(row).await.unwrap();
        }
        insert.end().await.unwrap();
    }
    let reference = reference_started.elapsed();
    let rate = total as f64 / elapsed.as_secs_f64();
    let reference_rate = rows.len() as f64 / reference.as_secs_f64();
    format!(
        "| Sink: {UPSES} UPSes × all variables ({per_cycle} rows a cycle), {CYCLES} cycles | {rate:.0} rows/s | {total} rows in {:.2} s; {dropped} dropped; batch {DEFAULT_BATCH_ROWS}, flush {DEFAULT_FLUSH_INTERVAL:?} |\n\
         | Reference: the same rows prebuilt, one insert per {DEFAULT_BATCH_ROWS} | {reference_rate:.0} rows/s | sink / reference = {:.2} |\n\
         | Producer: one `record_poll` of {UPSES} UPSes (the polling path's cost) | {:.1} µs | mean of {CYCLES} |\n",
        elapsed.as_secs_f64(),
        rate / reference_rate,
        record.as_secs_f64() * 1e6 / CYCLES as f64,
    )
}

async fn queue_bound(sets: &[(String, Vec<(String, String)>)]) -> String {
    // Port 9 on loopback: nothing listens; every attempt fails at once.
    let mut settings = Settings::new("http://127.0.0.1:9");
    settings.timeout = Duration::from_secs(1);
    let sink = Sink::new(config(settings));
    let cancel = CancellationToken::new();
    let task = tokio::spawn(sink.clone().run(cancel.clone()));
    let before = rss_kib();
    let mut n = 0;
    while sink.stats().dropped_rows() == 0 {
        sink.record_poll(&cycle(sets, n), SystemTime::now());
        n += 1;
    }
    let queued = sink.stats().queued_rows();
    let full = rss_kib();
    let dropped_before = sink.stats().dropped_rows();
    for m in 0..n {
        sink.record_poll(&cycle(sets, n + m), SystemTime::now());
    }
    let after = rss_kib();
    let dropped = sink.stats().dropped_rows() - dropped_before;
    cancel.cancel();
    task.await.unwrap();
    let per_row = (full.saturating_sub(before) * 1024) as f64 / queued as f64;
    format!(
        "| Queue full (default bound {DEFAULT_CAPACITY_ROWS} rows), ClickHouse unreachable | {:.1} MiB over the idle process | {queued} rows queued: {per_row:.0} bytes per row |\n\
         | Feeding as many again while full | {:+.1} MiB | {dropped} rows dropped and counted |\n",
        full.saturating_sub(before) as f64 / 1024.0,
        (after as f64 - full as f64) / 1024.0,
    )
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let sets = variable_sets();
    anyhow::ensure!(!sets.is_empty(), "no device variable sets");
    let mean_vars = sets.iter().map(|(_, v)| v.len()).sum::<usize>() / sets.len();
    eprintln!(
        "{} variable sets, {mean_vars} variables on average",
        sets.len()
    );
    let bound = queue_bound(&sets).await;
    let Some(ch) = ClickHouse::start().await? else {
        anyhow::bail!("clickhouse-server is needed (apt-get install clickhouse-server)");
    };
    let version = ch.query("SELECT version()").await?;
    let rate = insert_rate(&ch, &sets).await;
    println!(
        "ClickHouse {} on 127.0.0.1; {} device variable sets ({mean_vars} variables on average).\n\n\
         | Measurement | Result | Notes |\n|---|---|---|\n{rate}{bound}",
        version.trim(),
        sets.len()
    );
    Ok(())
}
