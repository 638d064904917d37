//! The exporter's audit log as an operator reads it: one line per admin request that passed the
//! token gate, with the client address, method, path and status, refused ones at WARN, and
//! never a secret from a body. Real binary, loopback only.

#![allow(clippy::unwrap_used)] // test helpers may panic: a panic is a test failure

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_upsight");
const ADMIN: &str = "audit-test-admin-token-0123456789abcdef";

fn send(addr: SocketAddr, method: &str, path: &str, body: &str) -> Option<u16> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_millis(300)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {ADMIN}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).ok()?;
    let mut reply = String::new();
    s.read_to_string(&mut reply).ok()?;
    reply.split(' ').nth(1)?.parse().ok()
}

#[test]
fn every_admin_request_is_one_audit_line_with_who_what_and_outcome_and_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let config = dir.path().join("exporter.toml");
    // The NUT server is a closed port: the device is down, which does not matter here.
    std::fs::File::create(&config)
        .unwrap()
        .write_all(
            format!(
                "listen = \"{addr}\"\n[http]\nadmin_token = \"{ADMIN}\"\n\
                 [[nut]]\naddress = \"127.0.0.1:9\"\n"
            )
            .as_bytes(),
        )
        .unwrap();
    let log = dir.path().join("stderr");
    let mut child = Command::new(BIN)
        .args(["exporter", "--config"])
        .arg(&config)
        .env_remove("UPSIGHT_LISTEN")
        .env_remove("UPSIGHT_ADMIN_TOKEN")
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while send(addr, "GET", "/healthz", "").is_none() {
        assert!(Instant::now() < deadline, "the exporter did not come up");
        std::thread::sleep(Duration::from_millis(20));
    }

    let secret = "community-that-must-not-be-logged";
    let with_file =
        r#"{"name":"f","snmp":{"address":"127.0.0.1:9","community_file":"/etc/passwd"}}"#;
    let inline =
        format!(r#"{{"name":"s","snmp":{{"address":"127.0.0.1:9","community":"{secret}"}}}}"#);
    let plain = r#"{"name":"added","nut":{"address":"127.0.0.1:9"}}"#;
    let answers = [
        send(addr, "POST", "/api/v1/poll", ""),
        send(addr, "POST", "/api/v1/devices", with_file),
        send(addr, "POST", "/api/v1/devices", &inline),
        send(addr, "POST", "/api/v1/devices", plain),
        send(addr, "DELETE", "/api/v1/devices/nope", ""),
        send(addr, "DELETE", "/api/v1/devices/added", ""),
    ];
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(
        answers,
        [
            Some(202),
            Some(422),
            Some(422),
            Some(201),
            Some(404),
            Some(204)
        ]
    );

    let text = std::fs::read_to_string(&log).unwrap();
    let audit: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("Admin action"))
        .collect();
    assert_eq!(audit.len(), 6, "one line per admin request:\n{text}");
    let expect = [
        ("INFO", "Admin action.", "POST", "/api/v1/poll", 202),
        (
            "WARN",
            "Admin action refused.",
            "POST",
            "/api/v1/devices",
            422,
        ),
        (
            "WARN",
            "Admin action refused.",
            "POST",
            "/api/v1/devices",
            422,
        ),
        ("INFO", "Admin action.", "POST", "/api/v1/devices", 201),
        (
            "WARN",
            "Admin action refused.",
            "DELETE",
            "/api/v1/devices/nope",
            404,
        ),
        (
            "INFO",
            "Admin action.",
            "DELETE",
            "/api/v1/devices/added",
            204,
        ),
    ];
    for (line, (level, message, method, path, status)) in audit.iter().zip(expect) {
        for part in [
            level.to_owned(),
            message.to_owned(),
            "client_ip=\"127.0.0.1\"".to_owned(),
            format!("method={method}"),
            format!("path=\"{path}\""),
            format!("status={status}"),
        ] {
            assert!(line.contains(&part), "{part} missing in: {line}");
        }
    }
    assert!(
        !text.contains(secret),
        "a secret from a body was logged:\n{text}"
    );
    assert!(!text.contains("/etc/passwd"), "a body was logged:\n{text}");
}
