//! The peers' device files, and the simulator peer in a process of its own: this bench
//! re-executed with `--sim-server DIR` serves every `.dev` file of DIR with `upsight_sim` on
//! 127.0.0.1 (what `upsight sim DIR/*.dev` does, same runtime shape), prints its address, and
//! exits when its stdin closes, so it cannot outlive the bench even after a panic or a kill.

use std::io::{BufRead as _, Read as _, Write as _};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::Context as _;
use upsight_e2e::upsd::DeviceFile;
use upsight_e2e::write_file;
use upsight_sim::{Scenario, Simulator};

/// The flag that turns this bench into the simulator server.
pub(crate) const SIM_FLAG: &str = "--sim-server";
/// How long the simulator process may take to print its address.
const START_DEADLINE: Duration = Duration::from_secs(30);

/// Device `i`'s name: four digits for every N, so request and reply bytes per UPS do not
/// depend on N.
pub(crate) fn name(i: usize) -> String {
    format!("ups{i:04}")
}

/// A `.dev` file with 30 variables (the shape of `real_upsd`'s); values vary with `i`. No
/// empty values: dummy-ups mis-parses them (real-peers.md, NUT gotcha 8).
fn dev_text(i: usize) -> String {
    let f = (i % 100) as f64;
    let model = format!("5PX {}", 1000 + 500 * (i % 3));
    let vars = [
        ("battery.charge", format!("{}", 100 - i % 30)),
        ("battery.charge.low", "20".into()),
        ("battery.runtime", format!("{}", 1500 + 11 * (i % 100))),
        ("battery.runtime.low", "180".into()),
        ("battery.temperature", format!("{:.1}", 24.0 + f * 0.2)),
        ("battery.type", "PbAc".into()),
        ("battery.voltage", format!("{:.1}", 26.0 + f * 0.05)),
        ("battery.voltage.nominal", "24.0".into()),
        ("device.mfr", "EATON".into()),
        ("device.model", model.clone()),
        ("device.serial", format!("G{i:09}")),
        ("device.type", "ups".into()),
        ("input.frequency", format!("{:.1}", 49.8 + f * 0.01)),
        ("input.frequency.nominal", "50".into()),
        ("input.transfer.high", "294".into()),
        ("input.transfer.low", "160".into()),
        ("input.voltage", format!("{:.1}", 227.0 + f * 0.03)),
        ("input.voltage.nominal", "230".into()),
        ("output.current", format!("{:.2}", 1.0 + f * 0.04)),
        ("output.frequency", "50.0".into()),
        ("output.voltage", "230.0".into()),
        ("output.voltage.nominal", "230".into()),
        ("ups.firmware", "03.08.0018".into()),
        ("ups.load", format!("{}", 12 + i % 80)),
        ("ups.mfr", "EATON".into()),
        ("ups.model", model),
        ("ups.power", format!("{}", 300 + 9 * (i % 100))),
        ("ups.power.nominal", "1500".into()),
        ("ups.realpower", format!("{}", 270 + 8 * (i % 100))),
        ("ups.status", "OL CHRG".into()),
    ];
    vars.iter().map(|(k, v)| format!("{k}: {v}\n")).collect()
}

/// The `n` devices every peer serves.
pub(crate) fn devices(n: usize) -> Vec<DeviceFile> {
    (0..n)
        .map(|i| DeviceFile {
            name: name(i),
            text: dev_text(i),
            extension: "dev",
        })
        .collect()
}

/// The server side: serves DIR until stdin closes. Runs in the child process.
pub(crate) fn serve(dir: &Path) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let mut files: Vec<_> = std::fs::read_dir(dir)?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "dev"))
            .collect();
        files.sort();
        let mut simulator = Simulator::new();
        for file in &files {
            let text = std::fs::read_to_string(file)?;
            let scenario = Scenario::parse(&text).with_context(|| file.display().to_string())?;
            let name = file
                .file_stem()
                .and_then(|s| s.to_str())
                .context("device file name")?;
            simulator = simulator.with_scenario(name.to_owned(), scenario);
        }
        let handle = simulator.bind("127.0.0.1:0").await?;
        let mut out = std::io::stdout().lock();
        writeln!(out, "{}", handle.addr())?;
        out.flush()?;
        drop(out);
        // Blocks until the bench closes the pipe (or dies); everything stops with it.
        tokio::task::spawn_blocking(|| std::io::stdin().read_to_end(&mut Vec::new())).await??;
        drop(handle);
        anyhow::Ok(())
    })
}

/// A running simulator process; killed on drop.
#[derive(Debug)]
pub(crate) struct SimProcess {
    child: Child,
    /// Where it listens.
    pub(crate) addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl SimProcess {
    /// Writes `devices` into a temp dir and starts the simulator process on them.
    pub(crate) fn start(devices: &[DeviceFile]) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        for d in devices {
            let file = dir.path().join(format!("{}.{}", d.name, d.extension));
            write_file(&file, d.text.as_bytes())?;
        }
        let mut child = Command::new(std::env::current_exe()?)
            .arg(SIM_FLAG)
            .arg(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdout = child.stdout.take().context("simulator stdout")?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let read = std::io::BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(read.map(|_| line));
        });
        // Guard first, so a failed start still kills the child.
        let mut me = Self {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            _dir: dir,
        };
        let line = rx
            .recv_timeout(START_DEADLINE)
            .context("simulator did not print its address")??;
        me.addr = line
            .trim()
            .parse()
            .with_context(|| format!("simulator printed {line:?}"))?;
        Ok(me)
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
