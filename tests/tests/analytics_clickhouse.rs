//! The analytical path against a real ClickHouse (the distribution's `clickhouse-server`,
//! 18.16 on Debian bookworm) on loopback: the sink writes every table and each read returns
//! the expected rows, hostile serial numbers come back as data, and a stopped server costs
//! counted drops, never a blocked producer, and recovers by itself.

#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::ensure;
use tokio_util::sync::CancellationToken;
use upsight_analytics::reads::{Bucket, Period, Reader};
use upsight_analytics::{Password, Settings, Sink, SinkConfig, schema};
use upsight_e2e::clickhouse::{self, ClickHouse};
use upsight_model::{
    DeviceInfo, DeviceState, Event, EventKind, Identity, Outage, Outcome, Reading, Source, Status,
};

/// Serials that would break a query built by string concatenation.
const HOSTILE: &[&str] = &[
    "SN'; DROP TABLE readings; --",
    "SN\\' OR '1'='1",
    "SN\"quoted\" \\\\ back\\slash",
    "SELECT * FROM system.users",
    "SN?{param:String}?",
];
const WAIT: Duration = Duration::from_secs(30);
const T0: u64 = 1_780_000_000;

fn settings(ch: &ClickHouse, database: &str) -> Settings {
    let mut settings = Settings::new(ch.url());
    settings.database = database.into();
    settings.user = Some(clickhouse::USER.into());
    settings.password = Some(Password::new(clickhouse::PASSWORD.into()));
    settings.timeout = Duration::from_secs(5);
    settings
}

fn sink(settings: Settings, capacity_rows: usize) -> Sink {
    Sink::new(SinkConfig {
        settings,
        site: "site-a".into(),
        capacity_rows,
        batch_rows: 500,
        flush_interval: Duration::from_millis(100),
        retention: Some(Duration::from_secs(30 * 86_400)),
    })
}

fn at(seconds: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(T0 + seconds)
}

fn polled(name: &str, serial: &str, charge: u32, runtime: u32) -> DeviceState {
    let raw = [
        ("ups.status", "OL CHRG".to_owned()),
        ("battery.charge", charge.to_string()),
        ("battery.runtime", runtime.to_string()),
        ("device.serial", serial.to_owned()),
        ("ups.mfr", "Acme".to_owned()),
    ];
    let reading = Reading {
        source: Source::Nut,
        status: Status::parse("OL CHRG"),
        samples: Vec::new(),
        is_real_power_estimated: false,
        info: DeviceInfo {
            manufacturer: "Acme".into(),
            model: "Rack 1500".into(),
            ..DeviceInfo::default()
        },
        identity: Identity {
            serial: Some(serial.into()),
            location: Some("Room 4 'B'".into()),
            ..Identity::default()
        },
        raw: raw
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
    };
    let mut state = DeviceState::new(name.parse().unwrap(), Source::Nut);
    state.outcome = Outcome::Ok;
    state.reading = Some(Arc::new(reading));
    state
}

async fn wait(what: &str, check: impl Fn() -> bool) -> anyhow::Result<()> {
    let deadline = Instant::now() + WAIT;
    while !check() {
        ensure!(Instant::now() < deadline, "no {what} within {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

#[tokio::test]
async fn every_table_is_written_and_every_read_returns_its_rows() -> anyhow::Result<()> {
    let Some(ch) = ClickHouse::start().await? else {
        return Ok(());
    };
    let settings = settings(&ch, "upsight_reads");
    let sink = sink(settings.clone(), 100_000);
    let cancel = CancellationToken::new();
    let task = tokio::spawn(sink.clone().run(cancel.clone()));
    let devices: Vec<DeviceState> = HOSTILE
        .iter()
        .enumerate()
        .map(|(i, serial)| polled(&format!("ups-{i}"), serial, 100, 1800))
        .collect();
    sink.record_poll(&devices, at(0));
    let later: Vec<DeviceState> = HOSTILE
        .iter()
        .enumerate()
        .map(|(i, serial)| polled(&format!("ups-{i}"), serial, 50, 600))
        .collect();
    sink.record_poll(&later, at(3_600));
    sink.record_event(&Event {
        device: "ups-0".parse()?,
        kind: EventKind::OnBattery,
        at: at(3_000),
        detail: Some("OB DISCHRG".into()),
        seq: 1,
    });
    sink.record_outage(&Outage {
        device: "ups-0".parse()?,
        start: at(3_000),
        end: Some(at(3_420)),
        duration: Duration::from_secs(420),
        min_charge_ratio: Some(0.5),
        min_runtime: Some(Duration::from_secs(600)),
    });
    // 5 devices × 5 variables × 2 polls, one event, one outage.
    let expected = 5 * 5 * 2 + 2;
    wait("inserted rows", || sink.stats().inserted_rows() == expected).await?;
    assert!(sink.stats().is_up());
    assert_eq!(sink.stats().dropped_rows(), 0);

    for (table, rows) in [
        ("readings", 50),
        ("events", 1),
        ("outages", 1),
        ("devices", 5),
    ] {
        let count = ch
            .query(&format!("SELECT count() FROM upsight_reads.{table}"))
            .await?;
        assert_eq!(count.trim(), rows.to_string(), "{table}");
    }
    assert!(
        ch.query("SHOW TABLES FROM default")
            .await?
            .trim()
            .is_empty()
    );

    let reader = Reader::new(&settings)?;
    let period = Period {
        from: u32::try_from(T0)?,
        to: u32::try_from(T0 + 7_200)?,
    };
    let history = reader.history("site-a", "ups-1", None, period, 100).await?;
    assert_eq!(history.len(), 10, "{history:?}");
    assert_eq!(history[0].variable, "battery.charge");
    assert_eq!(history[0].number, Some(100.0));
    let charge = reader
        .history("site-a", "ups-1", Some("battery.charge"), period, 100)
        .await?;
    let values: Vec<_> = charge.iter().map(|r| r.value.as_str()).collect();
    assert_eq!(values, ["100", "50"]);

    let report = reader.outages(None, period, 10).await?;
    assert_eq!(report.sites.len(), 1);
    assert_eq!(
        (report.sites[0].site.as_str(), report.sites[0].outages),
        ("site-a", 1)
    );
    assert_eq!(report.outages[0].duration_seconds, 420.0);
    assert_eq!(report.outages[0].min_charge_ratio, Some(0.5));
    assert!(
        reader
            .outages(Some("site-b"), period, 10)
            .await?
            .sites
            .is_empty()
    );

    let battery = reader
        .battery("site-a", "ups-2", period, Bucket::Hour)
        .await?;
    let per_charge: Vec<_> = battery
        .iter()
        .map(|p| p.runtime_per_full_charge_seconds)
        .collect();
    assert_eq!(per_charge, [Some(1800.0), Some(1200.0)]);

    for (i, serial) in HOSTILE.iter().enumerate() {
        let found = reader.find_serial(serial, None).await?;
        assert_eq!(found.len(), 1, "{serial}: {found:?}");
        assert_eq!(found[0].serial, *serial);
        assert_eq!(found[0].device, format!("ups-{i}"));
        assert_eq!(found[0].location, "Room 4 'B'");
    }
    assert!(reader.find_serial("SN%", None).await?.is_empty());
    // Every table is still there after the hostile searches.
    let tables = ch.query("SHOW TABLES FROM upsight_reads").await?;
    for table in [
        "devices",
        "events",
        "outages",
        "readings",
        "schema_migrations",
    ] {
        assert!(tables.lines().any(|t| t == table), "{table} in {tables}");
    }

    // Migrations are recorded once and a second run applies nothing.
    let client = upsight_analytics::connect(&settings)?;
    let (features, applied) =
        schema::migrate(&client, "upsight_reads", None, settings.timeout).await?;
    assert!(applied.is_empty(), "{applied:?}");
    assert!(
        features.version.starts_with(char::is_numeric),
        "{features:?}"
    );
    let steps = ch
        .query("SELECT step FROM upsight_reads.schema_migrations")
        .await?;
    assert_eq!(steps.trim(), "1");
    if features.version.starts_with("18.") {
        assert!(!features.has_low_cardinality && !features.has_ttl && !features.has_validation);
    }
    cancel.cancel();
    task.await?;
    Ok(())
}

#[tokio::test]
async fn a_stopped_server_costs_counted_drops_and_the_sink_recovers_by_itself() -> anyhow::Result<()>
{
    let Some(mut ch) = ClickHouse::start().await? else {
        return Ok(());
    };
    let capacity = 2_000;
    let sink = sink(settings(&ch, "upsight_outage"), capacity);
    let cancel = CancellationToken::new();
    let task = tokio::spawn(sink.clone().run(cancel.clone()));
    sink.record_poll(&[polled("ups", "S1", 100, 1800)], at(0));
    wait("the first insert", || sink.stats().inserted_rows() == 5).await?;
    assert!(sink.stats().is_up());

    ch.stop();
    let mut polls = 0u64;
    let started = Instant::now();
    // One poll of 50 devices every 50 ms for 8 s: 250 rows a poll, far over the bound.
    while started.elapsed() < Duration::from_secs(8) {
        let states: Vec<_> = (0..50)
            .map(|i| polled(&format!("ups-{i}"), "S", 90, 1700))
            .collect();
        let before = Instant::now();
        sink.record_poll(&states, at(polls));
        assert!(
            before.elapsed() < Duration::from_millis(50),
            "record_poll waited {:?}",
            before.elapsed()
        );
        polls += 1;
        assert!(sink.stats().queued_rows() <= capacity as u64);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        !sink.stats().is_up(),
        "the breaker is open while the server is down"
    );
    let dropped = sink.stats().dropped_rows();
    let queued = sink.stats().queued_rows();
    assert!(dropped > 0, "drops are counted");
    assert_eq!(
        dropped + queued + 5,
        polls * 250 + 5,
        "every row is queued, written or counted as dropped"
    );
    assert!(sink.stats().failures() >= 2);

    ch.resume().await?;
    wait("recovery", || {
        sink.stats().is_up() && sink.stats().queued_rows() == 0
    })
    .await?;
    assert_eq!(sink.stats().inserted_rows(), 5 + queued);
    let count = ch
        .query("SELECT count() FROM upsight_outage.readings")
        .await?;
    assert_eq!(count.trim(), (5 + queued).to_string());
    cancel.cancel();
    task.await?;
    Ok(())
}
