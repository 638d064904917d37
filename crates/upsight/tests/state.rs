//! The exporter's state file as a user meets it: kill -9 during an outage and a restart keep
//! events, outages and energy without duplicating or replaying an event; a corrupt file, a
//! file from a newer version or a second exporter on the same directory exit 73 and leave the
//! file byte-for-byte untouched.

#![allow(clippy::unwrap_used)] // test helpers may panic: a panic is a test failure

use std::io::Read as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use upsight_sim::{Device, SimHandle, Simulator};

const BIN: &str = env!("CARGO_BIN_EXE_upsight");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

fn write(path: &Path, bytes: &[u8]) {
    std::io::Write::write_all(&mut std::fs::File::create(path).unwrap(), bytes).unwrap();
}

fn config(dir: &Path, sim: &SimHandle, port: u16) -> String {
    let path = dir.join("exporter.toml");
    let text = format!(
        "listen = \"127.0.0.1:{port}\"\ninterval = \"200ms\"\nstate_dir = \"{}\"\n[http]\nrate_limit_per_minute = 60000\nrate_limit_burst = 1000\n[[nut]]\naddress = \"{}\"\n",
        dir.join("state").display(),
        sim.addr()
    );
    write(&path, text.as_bytes());
    path.display().to_string()
}

fn start(config: &str) -> Child {
    Command::new(BIN)
        .args(["exporter", "--config", config])
        .env_remove("UPSIGHT_LISTEN")
        .env_remove("UPSIGHT_STATE_DIR")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn metrics(port: u16) -> Option<String> {
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    let mut s = std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    let req = "GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    std::io::Write::write_all(&mut s, req.as_bytes()).ok()?;
    let mut body = String::new();
    s.read_to_string(&mut body).ok()?;
    Some(body)
}

fn value(body: &str, series: &str) -> Option<f64> {
    body.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// Scrapes until `check` holds on the value of `series`, at most `limit`.
async fn wait_value(port: u16, series: &str, limit: Duration, check: impl Fn(f64) -> bool) -> f64 {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = metrics(port).and_then(|b| value(&b, series))
            && check(v)
        {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {series}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn kill9(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-9", &child.id().to_string()])
        .status();
    let _ = child.wait();
}

const ON_BATTERY: &str = "ups_transitions_total{ups=\"rack\",event=\"on_battery\"}";
const ON_LINE: &str = "ups_transitions_total{ups=\"rack\",event=\"on_line\"}";
const ENERGY: &str = "ups_energy_joules_total{ups=\"rack\"}";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_an_outage_loses_and_replays_nothing() {
    let device =
        Device::parse("ups.status: OL\nups.realpower: 300\nbattery.charge: 100\n").unwrap();
    let sim = Simulator::new()
        .with_device("rack".into(), device)
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = config(dir.path(), &sim, port);
    let mut exporter = start(&config);
    wait_value(port, ON_BATTERY, Duration::from_secs(10), |v| v == 0.0).await;
    assert!(sim.set_var("rack", "ups.status", "OB DISCHRG"));
    wait_value(port, ON_BATTERY, Duration::from_secs(5), |v| v == 1.0).await;
    // Past the flush window, the event is on disk; kill -9 leaves no chance to save more.
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let energy_before = value(&metrics(port).unwrap(), ENERGY).unwrap();
    kill9(&mut exporter);

    // Kill -9 again and again while it writes: every restart must load a valid state.
    for i in 0..5u64 {
        let mut again = start(&config);
        wait_value(port, ON_BATTERY, Duration::from_secs(10), |v| v == 1.0).await;
        tokio::time::sleep(Duration::from_millis(150 * i)).await;
        kill9(&mut again);
    }

    let mut exporter = start(&config);
    let on_battery = wait_value(port, ON_BATTERY, Duration::from_secs(10), |_| true).await;
    assert_eq!(
        on_battery, 1.0,
        "the on_battery event is kept once, not replayed"
    );
    let energy_after =
        wait_value(port, ENERGY, Duration::from_secs(5), |v| v >= energy_before).await;
    assert!(energy_after >= energy_before && energy_before > 0.0);
    assert!(sim.set_var("rack", "ups.status", "OL"));
    wait_value(port, ON_LINE, Duration::from_secs(5), |v| v == 1.0).await;
    let body = metrics(port).unwrap();
    assert_eq!(value(&body, ON_BATTERY), Some(1.0));
    assert!(value(&body, "ups_on_battery_seconds_total{ups=\"rack\"}").unwrap() > 0.0);
    let _ = Command::new("kill")
        .args(["-TERM", &exporter.id().to_string()])
        .status();
    let status = exporter.wait().unwrap();
    assert!(status.success(), "SIGTERM exits 0: {status:?}");
    // The final save on SIGTERM holds the on_line event.
    let saved = std::fs::read_to_string(dir.path().join("state/exporter.json")).unwrap();
    assert!(saved.contains("on_line"), "{saved}");
}

fn refuses(state: &[u8], why: &str) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("state")).unwrap();
    let file = dir.path().join("state/exporter.json");
    write(&file, state);
    let text = format!(
        "listen = \"127.0.0.1:0\"\nstate_dir = \"{}\"\n[[nut]]\naddress = \"127.0.0.1:9\"\n",
        dir.path().join("state").display()
    );
    let config = dir.path().join("exporter.toml");
    write(&config, text.as_bytes());
    let out = Command::new(BIN)
        .args(["exporter", "--config"])
        .arg(&config)
        .env_remove("UPSIGHT_STATE_DIR")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(73),
        "{why}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read(&file).unwrap(), state, "{why}: file changed");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("exporter.json"),
        "{why}: the message names the file: {stderr}"
    );
}

#[test]
fn corrupt_and_future_state_files_exit_73_untouched() {
    refuses(
        b"{\"schema\":\"upsight-exporter\",\"version\":1,\"data\":{\"devi",
        "truncated",
    );
    refuses(b"\x00\xffnot json at all", "garbage");
    refuses(
        b"{\"schema\":\"upsight-exporter\",\"version\":99,\"saved_at\":\"2030-01-01T00:00:00Z\",\"data\":{}}",
        "future version",
    );
    refuses(
        b"{\"schema\":\"something-else\",\"version\":1,\"data\":{}}",
        "another program's file",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_exporter_on_the_same_state_dir_exits_73() {
    let sim = Simulator::new()
        .with_device("rack".into(), Device::parse("ups.status: OL\n").unwrap())
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = config(dir.path(), &sim, port);
    let mut first = start(&config);
    wait_value(port, "ups_up{ups=\"rack\"}", Duration::from_secs(10), |v| {
        v == 1.0
    })
    .await;
    let second = Command::new(BIN)
        .args(["exporter", "--config", &config])
        .env("UPSIGHT_LISTEN", "127.0.0.1:0")
        .output()
        .unwrap();
    assert_eq!(
        second.status.code(),
        Some(73),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    kill9(&mut first);
}
