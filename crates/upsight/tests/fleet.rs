//! `upsight fleet` as an operator runs it: the public-bind refusal, registration and
//! heartbeats over HTTP, token separation, and the state lock. Loopback only, bounded waits.

#![allow(clippy::unwrap_used)] // test helpers may panic: a panic is a test failure

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_upsight");
const INGEST: &str = "ingest-token-0123456789abcdef0123456789";
const VIEWER: &str = "viewer-token-0123456789abcdef0123456789";
const WAIT: Duration = Duration::from_secs(15);
const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../upsight-model/tests/fixtures/heartbeat"
);

/// A running (or exited) plane with its stderr lines.
struct Plane {
    child: Child,
    lines: mpsc::Receiver<String>,
    stderr: String,
    addr: Option<SocketAddr>,
    _dir: tempfile::TempDir,
}

impl Drop for Plane {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(config: &str, env: &[(&str, &str)]) -> Plane {
    let dir = tempfile::tempdir().unwrap();
    start_in(dir, config, env)
}

fn start_in(dir: tempfile::TempDir, config: &str, env: &[(&str, &str)]) -> Plane {
    let path = dir.path().join("fleet.toml");
    std::fs::File::create(&path)
        .unwrap()
        .write_all(config.as_bytes())
        .unwrap();
    let mut command = Command::new(BIN);
    command
        .args(["--log-format", "json", "fleet", "--config"])
        .arg(&path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (key, _) in std::env::vars() {
        if key.starts_with("UPSIGHT_") {
            command.env_remove(key);
        }
    }
    command.envs(env.iter().copied());
    let mut child = command.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    Plane {
        child,
        lines,
        stderr: String::new(),
        addr: None,
        _dir: dir,
    }
}

impl Plane {
    /// The address it listens on, once it logged it; `None` if it exited first.
    fn addr(&mut self) -> Option<SocketAddr> {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            match self.lines.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => {
                    self.stderr.push_str(&line);
                    self.stderr.push('\n');
                    if let Some(rest) = line.split("\"listen\":\"").nth(1) {
                        self.addr = Some(rest.split('"').next().unwrap().parse().unwrap());
                        return self.addr;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => return None,
            }
        }
        panic!(
            "no listen address within {WAIT:?}; stderr:\n{}",
            self.stderr
        );
    }

    /// The exit code, within [`WAIT`], with everything it wrote on stderr.
    fn exit(&mut self) -> (i32, String) {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                while let Ok(line) = self.lines.recv_timeout(Duration::from_millis(500)) {
                    self.stderr.push_str(&line);
                    self.stderr.push('\n');
                }
                return (status.code().unwrap_or(-1), self.stderr.clone());
            }
            assert!(Instant::now() < deadline, "still running after {WAIT:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// One HTTP/1.1 request; `(status, body)`.
fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> (u16, String) {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{auth}\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn fixture(name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(format!("{FIXTURES}/{name}")).unwrap();
    serde_json::from_str(&text).unwrap()
}

const PUBLIC: &str = "listen = \"0.0.0.0:0\"\n";
const LOOPBACK: &str = "listen = \"127.0.0.1:0\"\n";

#[test]
fn public_bind_without_tokens_exits_64_naming_what_to_set() {
    let (code, stderr) = start(PUBLIC, &[]).exit();
    assert_eq!(code, 64, "{stderr}");
    assert!(
        stderr.contains(
            "refusing to listen on 0.0.0.0:0 without tokens: set UPSIGHT_FLEET_INGEST_TOKEN and \
             UPSIGHT_FLEET_VIEWER_TOKEN (or UPSIGHT_FLEET_TOKEN for both), or \
             UPSIGHT_FLEET_INSECURE=1 for testing"
        ),
        "{stderr}"
    );
}

#[test]
fn public_bind_with_only_an_ingest_token_exits_64() {
    let (code, stderr) = start(PUBLIC, &[("UPSIGHT_FLEET_INGEST_TOKEN", INGEST)]).exit();
    assert_eq!(code, 64, "{stderr}");
    assert!(
        stderr.contains("set UPSIGHT_FLEET_VIEWER_TOKEN"),
        "{stderr}"
    );
}

#[test]
fn public_bind_with_both_tokens_starts() {
    let env = [
        ("UPSIGHT_FLEET_INGEST_TOKEN", INGEST),
        ("UPSIGHT_FLEET_VIEWER_TOKEN", VIEWER),
    ];
    let mut plane = start(PUBLIC, &env);
    let addr = plane.addr().expect("started");
    let local = SocketAddr::from(([127, 0, 0, 1], addr.port()));
    assert_eq!(http(local, "GET", "/healthz", None, "").0, 200);
}

#[test]
fn public_bind_with_a_shared_token_file_starts() {
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::File::create(&token_file)
        .unwrap()
        .write_all(format!("{INGEST}\n").as_bytes())
        .unwrap();
    let token_file = token_file.display().to_string();
    let mut plane = start_in(dir, PUBLIC, &[("UPSIGHT_FLEET_TOKEN_FILE", &token_file)]);
    assert!(plane.addr().is_some(), "{}", plane.stderr);
}

#[test]
fn loopback_without_tokens_starts() {
    let mut plane = start(LOOPBACK, &[]);
    let addr = plane.addr().expect("started");
    assert_eq!(http(addr, "GET", "/healthz", None, "").0, 200);
    assert_eq!(http(addr, "GET", "/readyz", None, "").0, 200);
    assert_eq!(http(addr, "GET", "/api/v1/fleet", None, "").0, 200);
}

#[test]
fn insecure_overrides_the_refusal_loudly() {
    let mut plane = start(PUBLIC, &[("UPSIGHT_FLEET_INSECURE", "1")]);
    assert!(plane.addr().is_some(), "{}", plane.stderr);
    assert!(
        plane.stderr.contains("\"level\":\"WARN\""),
        "{}",
        plane.stderr
    );
    assert!(
        plane.stderr.contains("UPSIGHT_FLEET_INSECURE=1"),
        "{}",
        plane.stderr
    );
}

#[test]
fn register_heartbeat_and_read_back_with_separate_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "{LOOPBACK}state_dir = \"{}\"\n",
        dir.path().join("state").display()
    );
    let env = [
        ("UPSIGHT_FLEET_INGEST_TOKEN", INGEST),
        ("UPSIGHT_FLEET_VIEWER_TOKEN", VIEWER),
    ];
    let mut plane = start_in(dir, &config, &env);
    let addr = plane.addr().expect("started");

    let register = fixture("register-request-v1.json").to_string();
    assert_eq!(
        http(addr, "POST", "/api/v1/register", None, &register).0,
        401
    );
    let (status, _) = http(addr, "POST", "/api/v1/register", Some(VIEWER), &register);
    assert_eq!(status, 401, "a viewer token cannot register");
    let (status, body) = http(addr, "POST", "/api/v1/register", Some(INGEST), &register);
    assert_eq!(status, 200, "{body}");
    let response: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(response["member_number"], 1);
    assert_eq!(response["heartbeat_interval_seconds"], 15);
    assert_eq!(response["ttl_seconds"], 45);
    let lease = response["lease"].as_str().unwrap().to_owned();

    let mut hb = fixture("heartbeat-v1.json");
    hb["lease"] = lease.into();
    let (status, body) = http(
        addr,
        "POST",
        "/api/v1/heartbeat",
        Some(INGEST),
        &hb.to_string(),
    );
    assert_eq!(status, 204, "{body}");
    let mut wrong = hb.clone();
    wrong["lease"] = "not-the-lease".into();
    let (status, _) = http(
        addr,
        "POST",
        "/api/v1/heartbeat",
        Some(INGEST),
        &wrong.to_string(),
    );
    assert_eq!(status, 409);
    let mut unknown = hb.clone();
    unknown["identity"] = "someone-else".into();
    let (status, _) = http(
        addr,
        "POST",
        "/api/v1/heartbeat",
        Some(INGEST),
        &unknown.to_string(),
    );
    assert_eq!(status, 404);
    let (status, _) = http(
        addr,
        "POST",
        "/api/v1/heartbeat",
        Some(VIEWER),
        &hb.to_string(),
    );
    assert_eq!(status, 401, "a viewer token cannot heartbeat");

    // A known, live identity without its lease is a mismatch.
    let (status, _) = http(addr, "POST", "/api/v1/register", Some(INGEST), &register);
    assert_eq!(status, 409);
    let v2 = fixture("heartbeat-v2.json").to_string();
    let (status, body) = http(addr, "POST", "/api/v1/heartbeat", Some(INGEST), &v2);
    assert_eq!(status, 400);
    assert!(body.contains("version"), "{body}");
    let bad = fixture("register-request-v1-unknown-field.json").to_string();
    let (status, body) = http(addr, "POST", "/api/v1/register", Some(INGEST), &bad);
    assert_eq!(status, 400);
    assert!(body.contains("field"), "{body}");

    assert_eq!(http(addr, "GET", "/api/v1/fleet", Some(INGEST), "").0, 401);
    assert_eq!(
        http(addr, "GET", "/api/v1/targets", Some(INGEST), "").0,
        401
    );
    let (status, body) = http(addr, "GET", "/api/v1/fleet", Some(VIEWER), "");
    assert_eq!(status, 200, "{body}");
    let view: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(view["groups"][0]["group"], "site-a", "{body}");
    let (status, body) = http(addr, "GET", "/api/v1/targets", Some(VIEWER), "");
    assert_eq!(status, 200, "{body}");
    let targets: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        targets[0]["targets"][0], "exporter-01.example:9199",
        "{body}"
    );
    assert_eq!(targets[0]["labels"]["group"], "site-a", "{body}");
    assert_eq!(
        targets[0]["labels"]["member"], "6f1c2a9e-3b7d-4c1e-9a0f-2d5e8b7c4a13",
        "{body}"
    );
}

#[test]
fn a_second_instance_on_the_same_state_dir_exits_73() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let config = format!("{LOOPBACK}state_dir = \"{}\"\n", state.display());
    let mut first = start_in(dir, &config, &[]);
    assert!(first.addr().is_some(), "{}", first.stderr);
    let deadline = Instant::now() + WAIT;
    while !state.join("fleet.json").exists() {
        assert!(Instant::now() < deadline, "the lease key is saved at start");
        std::thread::sleep(Duration::from_millis(20));
    }
    let (code, stderr) = start(&config, &[]).exit();
    assert_eq!(code, 73, "{stderr}");

    // SIGTERM: a clean exit with a final save holding the member.
    let addr = first.addr.unwrap();
    let register = fixture("register-request-v1.json").to_string();
    assert_eq!(
        http(addr, "POST", "/api/v1/register", None, &register).0,
        200
    );
    let pid = first.child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let (code, stderr) = first.exit();
    assert_eq!(code, 0, "{stderr}");
    let saved = std::fs::read_to_string(state.join("fleet.json")).unwrap();
    assert!(
        saved.contains("6f1c2a9e-3b7d-4c1e-9a0f-2d5e8b7c4a13"),
        "{saved}"
    );
}
