//! The comparison run: pick the recordings, start snmpsim, the relays and snmp_exporter, warm
//! up one case per recording and version, measure both clients, print the table.

use std::net::SocketAddr;
use std::path::Path;

use anyhow::Context as _;
use upsight_e2e::device_corpus;
use upsight_e2e::snmpsim::Snmpsim;

use crate::case::{Version, warm_case};
use crate::exporter::{SNMP_EXPORTER_CANDIDATES, SnmpExporter, find_snmp_exporter};
use crate::measurement::{measure_ours, measure_theirs};
use crate::module::snmp_exporter_yaml;
use crate::relay::RelayThread;
use crate::report::{median, ratio_row, row, snmpsim_version};

const DEFAULT_POLLS: usize = 200;
const MAX_POLLS: usize = 100_000;
/// Recordings with the corpus (`$UPSIGHT_DEVICE_CORPUS/snmprec`), and without it (our own).
const CORPUS_RECORDINGS: [&str; 2] = ["apc_surt3000xl", "eaton-93e-80"];
const OWN_RECORDINGS: [&str; 2] = ["own-apc", "own-ups-mib-3phase"];

/// The whole comparison; `Ok(false)` when a measurement is broken (an ERROR row).
pub(crate) fn run() -> anyhow::Result<bool> {
    let polls = polls_from_env()?;
    let Some(snmp_exporter) = find_snmp_exporter() else {
        anyhow::bail!(
            "prometheus-snmp-exporter not found (looked for {SNMP_EXPORTER_CANDIDATES:?} and \
             snmp_exporter on PATH); apt-get install prometheus-snmp-exporter"
        );
    };
    let recordings = recordings()?;
    let Some(agent) = Snmpsim::start(&recordings)? else {
        anyhow::bail!(
            "snmpsim (snmpsimd) or net-snmp (snmpget) is missing; apt-get install snmpsim snmp"
        );
    };
    let agent_addr: SocketAddr = agent.endpoint().parse()?;
    let relays = RelayThread::start(agent_addr)?;
    let (ours_relay, theirs_relay) = (&relays.relays[0], &relays.relays[1]);

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2) // the exporter's runtime shape (crates/upsight/src/main.rs)
        .enable_all()
        .build()?;

    let mut cases = Vec::new();
    for (name, _) in &recordings {
        for version in [Version::V2c, Version::V3] {
            cases.push(rt.block_on(warm_case(name, version, ours_relay.addr))?);
        }
    }
    let dir = tempfile::tempdir()?;
    let config_path = dir.path().join("snmp.yml");
    write_file(&config_path, snmp_exporter_yaml(&cases).as_bytes())?;
    let exporter = SnmpExporter::start(&snmp_exporter, &config_path, dir.path())?;
    eprintln!("==> {} on {}", exporter.version, exporter.addr);
    rt.block_on(exporter.wait_ready(&cases, theirs_relay.addr))?;

    let mut rows = String::new();
    let mut all_ok = true;
    for case in &mut cases {
        let device = format!(
            "{} {} ({} GET + {} walk)",
            case.recording,
            case.version.label(),
            case.scalars,
            case.columns
        );
        eprintln!("==> {device}: {polls} polls each");
        let ours = rt.block_on(measure_ours(case, polls, ours_relay, relays.tid))?;
        let theirs = rt.block_on(measure_theirs(case, polls, &exporter, theirs_relay))?;
        all_ok &= ours.failures == 0 && theirs.failures == 0;
        rows.push_str(&row(&device, "upsight", &ours, polls));
        rows.push_str(&row(&device, "snmp_exporter", &theirs, polls));
        rows.push_str(&ratio_row(&device, &ours, &theirs));
        let own = |f: fn(&(f64, f64)) -> f64| median(theirs.self_reported.iter().map(f).collect());
        eprintln!(
            "    snmp_exporter's own medians: snmp_scrape_duration_seconds {:.3} ms, \
             snmp_scrape_packets_sent {}",
            own(|s| s.0) * 1e3,
            own(|s| s.1)
        );
    }
    println!(
        "| Device poll | Client | Median ms | p90 ms | CPU µs/poll | Packets/poll | Bytes/poll |"
    );
    println!("|---|---|---|---|---|---|---|");
    print!("{rows}");
    println!();
    println!(
        "{polls} sequential polls per row, after one warm-up poll; {}; snmpsim {} on 127.0.0.1; \
         ratio = upsight / snmp_exporter.",
        exporter.version,
        snmpsim_version()
    );
    drop(exporter);
    relays.stop();
    drop(agent);
    Ok(all_ok)
}

fn polls_from_env() -> anyhow::Result<usize> {
    let Ok(text) = std::env::var("UPSIGHT_BENCH_SNMP_POLLS") else {
        return Ok(DEFAULT_POLLS);
    };
    let n: usize = text
        .trim()
        .parse()
        .with_context(|| format!("UPSIGHT_BENCH_SNMP_POLLS={text:?} is not a count"))?;
    anyhow::ensure!(
        (1..=MAX_POLLS).contains(&n),
        "UPSIGHT_BENCH_SNMP_POLLS must be 1..={MAX_POLLS}, got {n}"
    );
    Ok(n)
}

/// The two recordings: the corpus pair when `UPSIGHT_DEVICE_CORPUS` is set, else our own.
fn recordings() -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let (dir, names) = match device_corpus() {
        Some(corpus) => (corpus.join("snmprec"), CORPUS_RECORDINGS),
        None => (
            Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/snmp"),
            OWN_RECORDINGS,
        ),
    };
    let mut recordings = Vec::new();
    for name in names {
        let path = dir.join(format!("{name}.snmprec"));
        let bytes = std::fs::read(&path).with_context(|| format!("read {}", path.display()))?;
        recordings.push((name.to_owned(), bytes));
    }
    eprintln!("==> recordings {names:?} from {}", dir.display());
    Ok(recordings)
}

fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    std::fs::File::create(path)?.write_all(bytes)?;
    Ok(())
}
