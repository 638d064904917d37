//! The binary as a user runs it: exit codes, `--version`, `check-config`, `sim` and `demo`.

#![allow(clippy::unwrap_used)] // test helpers may panic: a panic is a test failure

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_upsight");

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .env_remove("UPSIGHT_LISTEN")
        .output()
        .unwrap();
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    (
        out.status.code().unwrap_or(-1),
        text(out.stdout),
        text(out.stderr),
    )
}

fn file(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::io::Write::write_all(&mut std::fs::File::create(&path).unwrap(), text.as_bytes()).unwrap();
    path.display().to_string()
}

#[test]
fn version_names_version_revision_and_target() {
    let (code, out, _) = run(&["--version"]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with(&format!("upsight {} (revision ", env!("CARGO_PKG_VERSION"))),
        "{out}"
    );
    assert!(out.contains(", target "), "{out}");
}

#[test]
fn check_config_exits_0_or_64_and_prints_every_error_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let good = file(&dir, "good.toml", "[[nut]]\naddress = \"127.0.0.1:3493\"\n");
    let (code, out, _) = run(&["check-config", &good]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("ok (1 NUT server(s), 0 SNMP device(s))"));
    let bad = file(
        &dir,
        "bad.toml",
        "interval = \"0s\"\n[[nut]]\naddress = \"h:0\"\nups = [\"a b\"]\n",
    );
    let (code, out, _) = run(&["check-config", &bad]);
    assert_eq!(code, 64);
    for want in [
        "interval: 0s is out of range",
        "nut[0].address: \"h:0\"",
        "nut[0].ups[0]",
    ] {
        assert!(out.contains(want), "missing {want:?} in {out}");
    }
    let (code, _, err) = run(&["exporter", "--config", &bad]);
    assert_eq!(code, 64, "the exporter refuses to start: {err}");
    let (code, _, err) = run(&["exporter", "--config", "/does/not/exist.toml"]);
    assert_eq!(code, 64);
    assert!(err.contains("cannot read file"), "{err}");
}

#[test]
fn bad_usage_exits_64_and_help_exits_0() {
    assert_eq!(run(&["no-such-command"]).0, 64);
    assert_eq!(run(&["exporter"]).0, 64, "missing --config");
    let (code, out, _) = run(&["--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("check-config"));
}

#[test]
fn sim_rejects_two_files_with_the_same_device_name() {
    let dir = tempfile::tempdir().unwrap();
    let a = file(&dir, "ups.dev", "ups.status: OL\n");
    std::fs::create_dir(dir.path().join("other")).unwrap();
    let b = file(&dir, "other/ups.dev", "ups.status: OB\n");
    let (code, _, err) = run(&["sim", "--listen", "127.0.0.1:0", &a, &b]);
    assert_eq!(code, 64);
    assert!(err.contains("a second file named \"ups\""), "{err}");
}

#[test]
fn sim_rejects_a_bad_device_file_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = file(&dir, "bad.dev", "ups.status: OL\nthis line has no colon\n");
    let (code, _, err) = run(&["sim", "--listen", "127.0.0.1:0", &bad]);
    assert_eq!(code, 64);
    assert!(err.contains("line 2: expected `name: value`"), "{err}");
}

/// Starts the binary and collects the `NAME URL` lines it prints first.
fn start(args: &[&str], lines: usize) -> (Child, Vec<(String, String)>) {
    let mut child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut out = Vec::new();
    for _ in 0..lines {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let (name, url) = line.trim().split_once(' ').unwrap();
        out.push((name.to_owned(), url.to_owned()));
    }
    (child, out)
}

fn http_get(url: &str, path: &str) -> String {
    let addr: std::net::SocketAddr = url.trim_start_matches("http://").parse().unwrap();
    assert!(addr.ip().is_loopback());
    let mut s = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    std::io::Write::write_all(&mut s, req.as_bytes()).unwrap();
    let mut body = String::new();
    s.read_to_string(&mut body).unwrap();
    body
}

fn http_get_with(url: &str, path: &str, token: &str) -> String {
    let addr: std::net::SocketAddr = url.trim_start_matches("http://").parse().unwrap();
    assert!(addr.ip().is_loopback());
    let mut s = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    );
    std::io::Write::write_all(&mut s, req.as_bytes()).unwrap();
    let mut body = String::new();
    s.read_to_string(&mut body).unwrap();
    body
}

#[test]
fn demo_prints_its_urls_and_serves_every_demo_device() {
    let (mut child, lines) = start(&["demo"], 12);
    let names: Vec<&str> = lines.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "nut-simulator",
            "snmp-simulator",
            "exporter-site-a",
            "metrics",
            "dashboard",
            "exporter-site-b",
            "exporter-site-c",
            "fleet",
            "fleet-dashboard",
            "viewer-token",
            "admin-token",
            "fleet-viewer-token"
        ]
    );
    let exporter = &lines[2].1;
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut body = String::new();
    while Instant::now() < deadline {
        body = http_get(exporter, "/metrics");
        let up = [
            "office",
            "rack",
            "branch",
            "datacenter",
            "closet-apc",
            "plant-3phase",
        ]
        .iter()
        .all(|u| body.contains(&format!("ups_up{{ups=\"{u}\"}} 1")));
        if up {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    // The three sites joined the plane; site b is in an outage.
    let fleet = &lines[7].1;
    let token = &lines[11].1;
    let mut view = serde_json::Value::Null;
    while Instant::now() < deadline {
        let reply = http_get_with(fleet, "/api/v1/fleet", token);
        let json = reply.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        view = serde_json::from_str(json).unwrap_or(serde_json::Value::Null);
        if view["totals"]["members_up"] == 3 && view["totals"]["upses"] == 9 {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    // `upsight healthcheck` (the containers' HEALTHCHECK): 0 for a live exporter and plane,
    // 1 for a path that is not 200 and for a closed port.
    let check = |url: &str| {
        Command::new(BIN)
            .args(["healthcheck", "--url", url])
            .env_remove("UPSIGHT_HEALTHCHECK_URL")
            .output()
            .unwrap()
    };
    assert_eq!(check(exporter).status.code(), Some(0));
    assert_eq!(check(fleet).status.code(), Some(0));
    let missing = check(&format!("{exporter}/no-such-page"));
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("HTTP 404"));
    let closed = check("http://127.0.0.1:9");
    assert_eq!(closed.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&closed.stderr).contains("connect"));
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(view["totals"]["members_up"], 3, "{view}");
    let groups: Vec<&str> = view["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["group"].as_str().unwrap())
        .collect();
    assert_eq!(groups, ["site-a", "site-b", "site-c"]);
    assert_eq!(view["groups"][1]["totals"]["upses_on_battery"], 1, "{view}");
    assert_eq!(
        view["groups"][1]["totals"]["upses_low_runtime"], 1,
        "{view}"
    );
    assert!(
        body.contains("ups_up{ups=\"branch\"} 1"),
        "demo devices not up:\n{body}"
    );
    assert!(body.contains("ups_input_voltage_volts{ups=\"datacenter\",phase=\"L1-N\"}"));
    assert!(body.contains("ups_output_voltage_volts{ups=\"plant-3phase\",phase=\"L2-N\"}"));
    assert!(
        body.lines().any(|l| l.starts_with("ups_info{")
            && l.contains("ups=\"closet-apc\"")
            && l.contains("source=\"snmp\"")),
        "the SNMP demo device is exported as source=\"snmp\""
    );
    for identity in [
        "DEMO0FFICE0001",
        "AS0000000042",
        "it@example.invalid",
        "Office closet",
    ] {
        assert!(
            !body.contains(identity),
            "demo identity {identity:?} never reaches /metrics"
        );
    }
}
