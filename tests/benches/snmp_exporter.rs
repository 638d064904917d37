//! One device poll by our `SnmpSource` beside one scrape of prometheus-snmp-exporter (Debian's
//! 0.21 binary), in the same run, against the same snmpsim agent and the same OIDs. For each
//! recording and version (v2c, v3 authPriv SHA/AES-128) it reports wall time (median, p90),
//! CPU time, and UDP packets and bytes per poll, plus the ratios ours / snmp_exporter. Nothing
//! here asserts a time; a poll that returns no data is reported as an error row and makes the
//! run fail.
//!
//! How: snmpsim serves two recordings on 127.0.0.1. Each client talks to it through its own
//! counting UDP relay (a thread of this process with its own runtime), so packets and bytes
//! are counted per client on the wire, both directions. Our sources poll once (profile
//! detection), then their plan (`Profile::plan()`) becomes an snmp_exporter module: `get:` the
//! scalars, `walk:` the table columns, so both tools read exactly the same OIDs. Then each tool
//! does N sequential polls (`UPSIGHT_BENCH_SNMP_POLLS`, default 200). CPU is the on-CPU time
//! of every thread over the loop (`/proc/PID/task/*/schedstat`, in ns: `/proc/PID/stat` counts
//! 10 ms ticks, too coarse for a sub-millisecond poll): this process's threads except the
//! relay thread for ours, the snmp_exporter process for theirs.
//!
//! What differs by design: ours is one `Source::poll()` (raw varbinds, no HTTP, no rendering)
//! on a warm session; snmp_exporter's is one HTTP GET of `/snmp` on a fresh TCP connection, and
//! it opens a fresh UDP socket per scrape (and, for v3, rediscovers the engine each time) and
//! renders the exposition.
//!
//! Run with `UPSIGHT_DEVICE_CORPUS=/work/shared/fixtures cargo bench -p upsight-e2e --bench
//! snmp_exporter`. Without the corpus it uses the project's own recordings. Without snmpsim or
//! snmp_exporter it says so and exits non-zero. Markdown goes to stdout, progress to stderr.

#![allow(clippy::print_stdout)] // the table on stdout is this bench's output

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio::net::UdpSocket;
use tokio_util::sync::CancellationToken;
use upsight_e2e::snmpsim::{self, Snmpsim};
use upsight_e2e::{device_corpus, free_port, scrape};
use upsight_exporter::config::{Config, SnmpDevice};
use upsight_exporter::source::snmp::SnmpSource;
use upsight_exporter::source::{DevicePoll, PollError, RawDevice, Source};
use upsight_proto::snmp::profile::Plan;
use upsight_proto::snmp::{Oid, Value};

const DEFAULT_POLLS: usize = 200;
const MAX_POLLS: usize = 100_000;
/// Recordings with the corpus (`$UPSIGHT_DEVICE_CORPUS/snmprec`), and without it (our own).
const CORPUS_RECORDINGS: [&str; 2] = ["apc_surt3000xl", "eaton-93e-80"];
const OWN_RECORDINGS: [&str; 2] = ["own-apc", "own-ups-mib-3phase"];
const SNMP_EXPORTER_CANDIDATES: &[&str] = &[
    "/usr/bin/prometheus-snmp-exporter",
    "/usr/local/bin/snmp_exporter",
];
/// A relay that hears nothing from its client for this long stops (it bounds the relay loop;
/// a whole run takes a few minutes).
const RELAY_IDLE: Duration = Duration::from_secs(3600);
/// snmp_exporter readiness: tries × pause.
const READY_TRIES: u32 = 100;
const READY_PAUSE: Duration = Duration::from_millis(100);
/// Largest UDP datagram.
const MAX_DATAGRAM: usize = 65_535;

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("snmp_exporter bench: at least one measurement is broken (ERROR rows above)");
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("snmp_exporter bench: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// SNMP version of one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    V2c,
    V3,
}

impl Version {
    fn label(self) -> &'static str {
        match self {
            Self::V2c => "v2c",
            Self::V3 => "v3 authPriv SHA/AES",
        }
    }
}

/// One (recording, version): our warmed-up source and the snmp_exporter module for it.
struct Case {
    recording: String,
    version: Version,
    source: SnmpSource,
    module: String,
    module_name: String,
    metric_names: Vec<String>,
    scalars: usize,
    columns: usize,
}

/// What a measured loop gives.
#[derive(Debug, Default)]
struct Measured {
    walls: Vec<Duration>,
    cpu: Duration,
    traffic: Traffic,
    failures: usize,
    first_failure: Option<String>,
    /// snmp_exporter's own `snmp_scrape_duration_seconds` and `snmp_scrape_packets_sent`.
    self_reported: Vec<(f64, f64)>,
}

impl Measured {
    fn fail(&mut self, why: String) {
        self.failures += 1;
        self.first_failure.get_or_insert(why);
    }
}

fn run() -> anyhow::Result<bool> {
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

fn find_snmp_exporter() -> Option<PathBuf> {
    SNMP_EXPORTER_CANDIDATES
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .or_else(|| upsight_e2e::peers::which("snmp_exporter").map(PathBuf::from))
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

/// Our source for `recording` through the relay at `relay`, after its first poll (profile
/// detection, v3 engine discovery), and the snmp_exporter module generated from its plan.
async fn warm_case(recording: &str, version: Version, relay: SocketAddr) -> anyhow::Result<Case> {
    let (user, _, auth_key, _, priv_key) = snmpsim::V3_USERS[0];
    let security = match version {
        Version::V2c => format!("community = \"{recording}\""),
        Version::V3 => format!(
            "version = \"3\"\nusername = \"{user}\"\nauth_protocol = \"SHA\"\n\
             auth_password = \"{auth_key}\"\npriv_protocol = \"AES\"\n\
             priv_password = \"{priv_key}\"\ncontext = \"{recording}\""
        ),
    };
    let auth = match version {
        Version::V2c => format!("  version: 2\n  auth:\n    community: {recording}\n"),
        Version::V3 => format!(
            "  version: 3\n  auth:\n    username: {user}\n    security_level: authPriv\n    \
             password: {auth_key}\n    auth_protocol: SHA\n    priv_protocol: AES\n    \
             priv_password: {priv_key}\n    context_name: {recording}\n"
        ),
    };
    let text =
        format!("interval = \"5s\"\n[[snmp]]\nname = \"dev\"\naddress = \"{relay}\"\n{security}\n");
    let config = Config::parse(&text, &|_| None).map_err(|e| anyhow::anyhow!("config: {e}"))?;
    let device = config
        .snmp
        .first()
        .context("config has no [[snmp]] device")?
        .clone();
    let mut source = SnmpSource::new(device.clone());
    let values = first_values(source.poll().await).map_err(|e| {
        anyhow::anyhow!("{recording} {}: warm-up poll failed: {e}", version.label())
    })?;
    let profile = source
        .profile()
        .context("no profile after a successful poll")?;
    let plan = profile.plan();
    let metrics = module_metrics(&plan, &values);
    let module_name = format!("{}_{version:?}", recording.replace('-', "_")).to_lowercase();
    eprintln!(
        "==> {recording} {}: profile {}, {} scalars, {} columns, {} varbinds",
        version.label(),
        profile.id,
        plan.scalars.len(),
        plan.columns.len(),
        values.len()
    );
    Ok(Case {
        recording: recording.to_owned(),
        version,
        source,
        module: module_yaml(&module_name, &auth, &device, &plan, &metrics),
        module_name,
        metric_names: metrics.into_iter().map(|m| m.name).collect(),
        scalars: plan.scalars.len(),
        columns: plan.columns.len(),
    })
}

/// One snmp_exporter 0.21 module: `auth` (YAML lines), then `plan` and `metrics`.
fn module_yaml(
    name: &str,
    auth: &str,
    device: &SnmpDevice,
    plan: &Plan,
    metrics: &[Metric],
) -> String {
    let mut module = format!("{name}:\n{auth}");
    // max_repetitions stays at snmp_exporter's default (25), as its generator writes it; 0.21
    // also uses it as the OIDs per GET (ours: 32 per GET, 10 GETBULK repetitions). Smaller
    // values cost it packets, larger ones wall time (snmpsim's cost is per varbind). Timeout
    // and retries match ours, so a lost datagram costs both the same.
    let _ = writeln!(module, "  timeout: {}ms", device.timeout.as_millis());
    let _ = writeln!(module, "  retries: {}", device.retries);
    module.push_str("  get:\n");
    for oid in &plan.scalars {
        let _ = writeln!(module, "    - {oid}");
    }
    module.push_str("  walk:\n");
    for oid in &plan.columns {
        let _ = writeln!(module, "    - {oid}");
    }
    module.push_str("  metrics:\n");
    for m in metrics {
        let _ = writeln!(
            module,
            "    - {{name: {}, oid: {}, type: {}",
            m.name, m.oid, m.kind
        );
        if m.index_arcs > 0 {
            let indexes: Vec<String> = (0..m.index_arcs)
                .map(|i| format!("{{labelname: index{i}, type: gauge}}"))
                .collect();
            let _ = write!(module, ", indexes: [{}]", indexes.join(", "));
        }
        module.push_str("}\n");
    }
    module
}

/// The varbinds of the one device in a poll result, or why there are none.
fn first_values(result: Result<Vec<DevicePoll>, PollError>) -> Result<Vec<(Oid, Value)>, String> {
    let polls = result.map_err(|e| format!("source error: {e}"))?;
    let device = polls.into_iter().next().ok_or("no device in the poll")?;
    match device.result {
        Ok(RawDevice::Snmp { values, .. }) => Ok(values),
        Ok(RawDevice::Nut(_)) => Err("a NUT result from the SNMP source".to_owned()),
        Err(e) => Err(format!("device error: {e}")),
    }
}

/// One snmp_exporter metric definition.
#[derive(Debug)]
struct Metric {
    name: String,
    oid: Oid,
    kind: &'static str,
    index_arcs: usize,
}

/// One metric per planned OID: scalars as `OID.0` objects without index, columns with one
/// gauge index label per index arc (taken from the rows the warm-up poll read). The type
/// follows the value the warm-up poll got: numbers are gauges; UTF-8 strings, OIDs and
/// addresses are DisplayString (snmp_exporter puts the text in a label, as we keep ident
/// strings); other octet strings are OctetString (hex). An OID that returned nothing is a
/// gauge (snmp_exporter emits nothing for it either). Every OID stays in `get:`/`walk:`
/// whatever its metric, so both clients request the same OIDs.
fn module_metrics(plan: &Plan, values: &[(Oid, Value)]) -> Vec<Metric> {
    let by_oid: BTreeMap<&Oid, &Value> = values.iter().map(|(o, v)| (o, v)).collect();
    let mut metrics: BTreeMap<Oid, Metric> = BTreeMap::new();
    for column in &plan.columns {
        let row = values
            .iter()
            .find(|(o, _)| o.starts_with(column) && o.len() > column.len());
        let metric = Metric {
            name: metric_name(column),
            oid: column.clone(),
            kind: row.map_or("gauge", |(_, v)| kind(v)),
            index_arcs: row.map_or(1, |(o, _)| o.len() - column.len()),
        };
        metrics.insert(column.clone(), metric);
    }
    for scalar in &plan.scalars {
        let arcs = scalar.arcs();
        let Some((&last, parent)) = arcs.split_last() else {
            continue;
        };
        let object = Oid::from(parent);
        if metrics.contains_key(&object) {
            continue; // also a walked column: its metric covers this instance
        }
        let metric = Metric {
            name: metric_name(&object),
            oid: object.clone(),
            kind: by_oid.get(scalar).map_or("gauge", |v| kind(v)),
            index_arcs: usize::from(last != 0),
        };
        metrics.insert(object, metric);
    }
    metrics.into_values().collect()
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::OctetString(bytes) if std::str::from_utf8(bytes).is_ok() => "DisplayString",
        Value::OctetString(_) | Value::Opaque(_) => "OctetString",
        Value::Oid(_) | Value::IpAddress(_) => "DisplayString",
        _ => "gauge",
    }
}

fn metric_name(oid: &Oid) -> String {
    format!("oid_{}", oid.to_string().replace('.', "_"))
}

fn snmp_exporter_yaml(cases: &[Case]) -> String {
    let mut yaml = String::from(
        "# Generated by tests/benches/snmp_exporter.rs from our sources' plans (snmp_exporter \
         0.21 format).\n",
    );
    for case in cases {
        yaml.push_str(&case.module);
    }
    yaml
}

async fn measure_ours(
    case: &mut Case,
    polls: usize,
    relay: &Relay,
    relay_tid: u32,
) -> anyhow::Result<Measured> {
    let mut m = Measured {
        walls: Vec::with_capacity(polls),
        ..Measured::default()
    };
    let traffic0 = relay.traffic();
    let cpu0 = cpu_time("self", Some(relay_tid))?;
    for _ in 0..polls {
        let start = Instant::now();
        let result = case.source.poll().await;
        m.walls.push(start.elapsed());
        match first_values(result) {
            Ok(values) if !values.is_empty() => {}
            Ok(_) => m.fail("no varbinds".to_owned()),
            Err(e) => m.fail(e),
        }
    }
    m.cpu = cpu_time("self", Some(relay_tid))?.saturating_sub(cpu0);
    m.traffic = relay.traffic().since(&traffic0);
    Ok(m)
}

async fn measure_theirs(
    case: &Case,
    polls: usize,
    exporter: &SnmpExporter,
    relay: &Relay,
) -> anyhow::Result<Measured> {
    let path = format!("/snmp?module={}&target={}", case.module_name, relay.addr);
    let pid = exporter.child.id().to_string();
    let mut m = Measured {
        walls: Vec::with_capacity(polls),
        ..Measured::default()
    };
    let traffic0 = relay.traffic();
    let cpu0 = cpu_time(&pid, None)?;
    for _ in 0..polls {
        let start = Instant::now();
        let response = scrape::get(exporter.addr, &path).await;
        m.walls.push(start.elapsed());
        match check_scrape(response, &case.metric_names) {
            Ok(own) => m.self_reported.extend(own),
            Err(e) => m.fail(e),
        }
    }
    m.cpu = cpu_time(&pid, None)?.saturating_sub(cpu0);
    m.traffic = relay.traffic().since(&traffic0);
    Ok(m)
}

/// Ok when the scrape answered 200 with at least one of the module's metrics; carries
/// snmp_exporter's own `snmp_scrape_duration_seconds` and `snmp_scrape_packets_sent`.
fn check_scrape(
    response: anyhow::Result<scrape::Response>,
    metric_names: &[String],
) -> Result<Option<(f64, f64)>, String> {
    let response = response.map_err(|e| format!("HTTP: {e:#}"))?;
    if response.status != 200 {
        let body: String = response.body.chars().take(200).collect();
        return Err(format!("HTTP {}: {}", response.status, body.trim()));
    }
    let samples = scrape::Samples::parse(&response.body);
    if !metric_names.iter().any(|n| !samples.series(n).is_empty()) {
        return Err("the body has none of the module's metrics".to_owned());
    }
    let own = |name| samples.get(name, &[]);
    Ok(own("snmp_scrape_duration_seconds").zip(own("snmp_scrape_packets_sent")))
}

// === impl table ===

fn row(device: &str, client: &str, m: &Measured, polls: usize) -> String {
    if m.failures > 0 {
        let first = m.first_failure.as_deref().unwrap_or("?").replace('|', "/");
        let error = format!(
            "ERROR: {} of {polls} polls returned no data; first: {first}",
            m.failures
        );
        return format!("| {device} | {client} | {error} | | | | |\n");
    }
    let n = m.walls.len() as f64;
    format!(
        "| {device} | {client} | {:.3} | {:.3} | {:.0} | {:.1} | {:.0} |\n",
        ms(percentile(&m.walls, 50)),
        ms(percentile(&m.walls, 90)),
        m.cpu.as_secs_f64() * 1e6 / n,
        m.traffic.packets() as f64 / n,
        m.traffic.bytes() as f64 / n,
    )
}

fn ratio_row(device: &str, ours: &Measured, theirs: &Measured) -> String {
    if ours.failures > 0 || theirs.failures > 0 || ours.walls.is_empty() || theirs.walls.is_empty()
    {
        return format!(
            "| {device} | ratio | ERROR: no ratio for a broken measurement | | | | |\n"
        );
    }
    let (n_ours, n_theirs) = (ours.walls.len() as f64, theirs.walls.len() as f64);
    let ratio = |a: f64, b: f64| {
        if b > 0.0 {
            format!("{:.2}×", a / b)
        } else {
            "n/a".to_owned()
        }
    };
    format!(
        "| {device} | ratio | {} | {} | {} | {} | {} |\n",
        ratio(
            ms(percentile(&ours.walls, 50)),
            ms(percentile(&theirs.walls, 50))
        ),
        ratio(
            ms(percentile(&ours.walls, 90)),
            ms(percentile(&theirs.walls, 90))
        ),
        ratio(
            ours.cpu.as_secs_f64() / n_ours,
            theirs.cpu.as_secs_f64() / n_theirs
        ),
        ratio(
            ours.traffic.packets() as f64 / n_ours,
            theirs.traffic.packets() as f64 / n_theirs
        ),
        ratio(
            ours.traffic.bytes() as f64 / n_ours,
            theirs.traffic.bytes() as f64 / n_theirs
        ),
    )
}

/// Nearest-rank percentile.
fn percentile(samples: &[Duration], p: usize) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let rank = (sorted.len() * p).div_ceil(100).max(1);
    sorted.get(rank - 1).copied().unwrap_or_default()
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples.get(samples.len() / 2).copied().unwrap_or(f64::NAN)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

// === impl CPU accounting, versions ===

/// On-CPU time of every thread of process `pid` (`self` or a number) except `except`: the
/// sum of the first field of `/proc/PID/task/*/schedstat` (ns; sched_stats.rst). A thread that
/// exits during a loop takes its time with it; the clients keep theirs for the whole run.
fn cpu_time(pid: &str, except: Option<u32>) -> anyhow::Result<Duration> {
    let dir = format!("/proc/{pid}/task");
    let mut total = 0u64;
    for entry in std::fs::read_dir(&dir).with_context(|| format!("read {dir}"))? {
        let entry = entry?;
        if except.is_some_and(|tid| entry.file_name().to_str() == Some(&tid.to_string())) {
            continue;
        }
        // A thread can exit between the listing and the read.
        let Ok(text) = std::fs::read_to_string(entry.path().join("schedstat")) else {
            continue;
        };
        let ns = text.split_whitespace().next().context("empty schedstat")?;
        total += ns
            .parse::<u64>()
            .with_context(|| format!("schedstat {text:?}"))?;
    }
    Ok(Duration::from_nanos(total))
}

fn snmpsim_version() -> String {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Version}", "snmpsim"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "(version unknown)".to_owned())
}

// === impl SnmpExporter ===

/// A running prometheus-snmp-exporter on 127.0.0.1; killed on drop.
#[derive(Debug)]
struct SnmpExporter {
    child: Child,
    addr: SocketAddr,
    version: String,
    log: PathBuf,
}

impl SnmpExporter {
    fn start(bin: &Path, config: &Path, dir: &Path) -> anyhow::Result<Self> {
        let version = Command::new(bin)
            .arg("--version")
            .output()
            .map(|o| {
                let text = [o.stdout, o.stderr].concat();
                String::from_utf8_lossy(&text)
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_owned()
            })
            .unwrap_or_default();
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse()?;
        let log = dir.join("snmp_exporter.log");
        let child = Command::new(bin)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--web.listen-address={addr}"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log)?)
            .spawn()
            .with_context(|| format!("start {}", bin.display()))?;
        Ok(Self {
            child,
            addr,
            version: if version.is_empty() {
                "snmp_exporter".to_owned()
            } else {
                version
            },
            log,
        })
    }

    /// Waits until every module answers a scrape with data (bounded: `READY_TRIES`).
    async fn wait_ready(&self, cases: &[Case], target: SocketAddr) -> anyhow::Result<()> {
        for case in cases {
            let path = format!("/snmp?module={}&target={target}", case.module_name);
            let mut last = String::new();
            let mut ready = false;
            for _ in 0..READY_TRIES {
                match check_scrape(scrape::get(self.addr, &path).await, &case.metric_names) {
                    Ok(_) => {
                        ready = true;
                        break;
                    }
                    Err(e) => last = e,
                }
                tokio::time::sleep(READY_PAUSE).await;
            }
            anyhow::ensure!(
                ready,
                "snmp_exporter never answered {path} with data: {last}\nlog: {}",
                std::fs::read_to_string(&self.log).unwrap_or_default()
            );
        }
        Ok(())
    }
}

impl Drop for SnmpExporter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// === impl Relay ===

/// Datagrams and payload bytes a relay forwarded, each way.
#[derive(Debug, Default, Clone, Copy)]
struct Traffic {
    to_agent: (u64, u64),
    to_client: (u64, u64),
}

impl Traffic {
    fn packets(&self) -> u64 {
        self.to_agent.0 + self.to_client.0
    }

    fn bytes(&self) -> u64 {
        self.to_agent.1 + self.to_client.1
    }

    fn since(&self, earlier: &Self) -> Self {
        Self {
            to_agent: (
                self.to_agent.0 - earlier.to_agent.0,
                self.to_agent.1 - earlier.to_agent.1,
            ),
            to_client: (
                self.to_client.0 - earlier.to_client.0,
                self.to_client.1 - earlier.to_client.1,
            ),
        }
    }
}

#[derive(Debug, Default)]
struct Counters {
    to_agent_packets: AtomicU64,
    to_agent_bytes: AtomicU64,
    to_client_packets: AtomicU64,
    to_client_bytes: AtomicU64,
}

/// One client's relay: the address the client sends to, and its counters.
#[derive(Debug)]
struct Relay {
    addr: SocketAddr,
    counters: Arc<Counters>,
}

impl Relay {
    fn traffic(&self) -> Traffic {
        let c = &self.counters;
        Traffic {
            to_agent: (
                c.to_agent_packets.load(Ordering::Relaxed),
                c.to_agent_bytes.load(Ordering::Relaxed),
            ),
            to_client: (
                c.to_client_packets.load(Ordering::Relaxed),
                c.to_client_bytes.load(Ordering::Relaxed),
            ),
        }
    }
}

/// Two relays (ours, snmp_exporter's) on a thread of their own with its own runtime, so their
/// CPU time can be taken out of ours (`/proc/self/task/TID/stat`).
#[derive(Debug)]
struct RelayThread {
    relays: [Relay; 2],
    tid: u32,
    cancel: CancellationToken,
    thread: std::thread::JoinHandle<()>,
}

impl RelayThread {
    fn start(agent: SocketAddr) -> anyhow::Result<Self> {
        let mut sockets = Vec::new();
        let mut relays = Vec::new();
        for _ in 0..2 {
            let front = std::net::UdpSocket::bind("127.0.0.1:0")?;
            let back = std::net::UdpSocket::bind("127.0.0.1:0")?;
            back.connect(agent)?;
            front.set_nonblocking(true)?;
            back.set_nonblocking(true)?;
            let counters = Arc::new(Counters::default());
            relays.push(Relay {
                addr: front.local_addr()?,
                counters: Arc::clone(&counters),
            });
            sockets.push((front, back, counters));
        }
        let cancel = CancellationToken::new();
        let stop = cancel.clone();
        let (tid_tx, tid_rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("udp-relay".to_owned())
            .spawn(move || {
                let _ = tid_tx.send(thread_id());
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => return eprintln!("relay runtime: {e}"),
                };
                rt.block_on(async move {
                    let mut tasks = tokio::task::JoinSet::new();
                    for (front, back, counters) in sockets {
                        let stop = stop.clone();
                        tasks.spawn(async move {
                            let (Ok(front), Ok(back)) =
                                (UdpSocket::from_std(front), UdpSocket::from_std(back))
                            else {
                                return eprintln!("relay: cannot register its sockets");
                            };
                            if let Err(e) = relay(&front, &back, &counters, &stop).await {
                                eprintln!("relay stopped: {e}");
                            }
                        });
                    }
                    while tasks.join_next().await.is_some() {}
                });
            })?;
        let tid = tid_rx
            .recv_timeout(Duration::from_secs(5))
            .context("relay thread did not start")??;
        let [ours, theirs]: [Relay; 2] = relays
            .try_into()
            .map_err(|_| anyhow::anyhow!("two relays expected"))?;
        Ok(Self {
            relays: [ours, theirs],
            tid,
            cancel,
            thread,
        })
    }

    fn stop(self) {
        self.cancel.cancel();
        let _ = self.thread.join();
    }
}

/// The calling thread's kernel id, from `/proc/thread-self` (a link to `PID/task/TID`).
fn thread_id() -> anyhow::Result<u32> {
    let link = std::fs::read_link("/proc/thread-self")?;
    let tid = link
        .file_name()
        .and_then(|s| s.to_str())
        .context("odd /proc/thread-self")?;
    Ok(tid.parse()?)
}

/// Forwards client → agent and agent → client, counting both ways, until cancelled or the
/// client has been silent for `RELAY_IDLE`. Answers go to the client that sent last: clients
/// poll one at a time, and snmp_exporter uses a fresh UDP socket (port) per scrape.
async fn relay(
    front: &UdpSocket,
    back: &UdpSocket,
    counters: &Counters,
    cancel: &CancellationToken,
) -> io::Result<()> {
    let mut from_client = vec![0u8; MAX_DATAGRAM];
    let mut from_agent = vec![0u8; MAX_DATAGRAM];
    let mut client: Option<SocketAddr> = None;
    loop {
        tokio::select! {
            () = cancel.cancelled() => return Ok(()),
            received = recv_from_client(front, &mut from_client) => {
                let Some((n, peer)) = received? else {
                    return Ok(()); // idle: the run is over or stuck
                };
                client = Some(peer);
                back.send(&from_client[..n]).await?;
                counters.to_agent_packets.fetch_add(1, Ordering::Relaxed);
                counters.to_agent_bytes.fetch_add(n as u64, Ordering::Relaxed);
            }
            received = back.recv(&mut from_agent) => {
                let n = received?;
                if let Some(peer) = client {
                    front.send_to(&from_agent[..n], peer).await?;
                    counters.to_client_packets.fetch_add(1, Ordering::Relaxed);
                    counters.to_client_bytes.fetch_add(n as u64, Ordering::Relaxed);
                }
            }
        }
    }
}

/// The client's next datagram and its address, or `None` after `RELAY_IDLE` of silence. A
/// relay has to learn where to send the agent's answers, so it needs `recv_from`, which the
/// workspace bans unwrapped; the deadline here is the one the ban asks for.
#[allow(clippy::disallowed_methods)]
async fn recv_from_client(
    socket: &UdpSocket,
    buf: &mut [u8],
) -> io::Result<Option<(usize, SocketAddr)>> {
    match tokio::time::timeout(RELAY_IDLE, socket.recv_from(buf)).await {
        Ok(received) => received.map(Some),
        Err(_) => Ok(None),
    }
}

fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    std::fs::File::create(path)?.write_all(bytes)?;
    Ok(())
}
