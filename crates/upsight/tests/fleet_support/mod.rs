//! Shared by the `upsight fleet` test binaries: start the real plane with a config file and
//! environment, wait for its listen address or exit code, and speak HTTP/1.1 to it.

#![allow(dead_code)] // each test binary uses a different part

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_upsight");
pub(crate) const INGEST: &str = "ingest-token-0123456789abcdef0123456789";
pub(crate) const VIEWER: &str = "viewer-token-0123456789abcdef0123456789";
pub(crate) const WAIT: Duration = Duration::from_secs(15);
pub(crate) const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../upsight-model/tests/fixtures/heartbeat"
);

/// A running (or exited) plane with its stderr lines.
pub(crate) struct Plane {
    pub(crate) child: Child,
    lines: mpsc::Receiver<String>,
    pub(crate) stderr: String,
    pub(crate) addr: Option<SocketAddr>,
    pub(crate) dir: tempfile::TempDir,
}

impl Drop for Plane {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn start(config: &str, env: &[(&str, &str)]) -> Plane {
    let dir = tempfile::tempdir().unwrap();
    start_in(dir, config, env)
}

pub(crate) fn start_in(dir: tempfile::TempDir, config: &str, env: &[(&str, &str)]) -> Plane {
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
        dir,
    }
}

impl Plane {
    /// The address it listens on, once it logged it; `None` if it exited first.
    pub(crate) fn addr(&mut self) -> Option<SocketAddr> {
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
    pub(crate) fn exit(&mut self) -> (i32, String) {
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
pub(crate) fn http(
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

pub(crate) fn fixture(name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(format!("{FIXTURES}/{name}")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// A parsed HTTP/1.1 response.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    /// Header names lower-cased.
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl Reply {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Panics unless the security headers of `upsight-http` are all present.
    pub(crate) fn assert_hardened(&self) {
        for name in [
            "content-security-policy",
            "x-frame-options",
            "x-content-type-options",
            "referrer-policy",
            "permissions-policy",
        ] {
            assert!(
                self.header(name).is_some(),
                "{} without {name}: {:?}",
                self.status,
                self.headers
            );
        }
        assert!(self.header("server").is_none(), "no version banner");
    }
}

/// Sends `head` (request line and headers, without the blank line) and `body` as is; reads
/// the whole response (the request should say `Connection: close`).
pub(crate) fn raw(addr: SocketAddr, head: &str, body: &[u8]) -> Reply {
    try_raw(addr, head, body).unwrap()
}

/// [`raw`], with a connection or read failure as an error instead of a panic.
pub(crate) fn try_raw(addr: SocketAddr, head: &str, body: &[u8]) -> std::io::Result<Reply> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.write_all(head.as_bytes())?;
    stream.write_all(b"\r\n\r\n")?;
    // The server may answer (413) and close before reading everything: ignore write errors.
    let _ = stream.write_all(body);
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.get(9..12))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status line in {text:?}")))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Ok(Reply {
        status,
        headers,
        body: body.to_owned(),
    })
}

/// A request with optional bearer token and extra header lines, `Content-Length` framed.
pub(crate) fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    extra: &[&str],
    body: &str,
) -> Reply {
    try_send(addr, method, path, token, extra, body).unwrap()
}

/// [`send`], with a connection failure as an error instead of a panic.
pub(crate) fn try_send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    extra: &[&str],
    body: &str,
) -> std::io::Result<Reply> {
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}",
        body.len()
    );
    if let Some(token) = token {
        head.push_str(&format!("\r\nAuthorization: Bearer {token}"));
    }
    for line in extra {
        head.push_str("\r\n");
        head.push_str(line);
    }
    try_raw(addr, &head, body.as_bytes())
}

/// A registration request for `identity` in `group`, as JSON text.
pub(crate) fn registration(group: &str, identity: &str, lease: Option<&str>) -> String {
    let mut request = fixture("register-request-v1.json");
    request["group"] = group.into();
    request["identity"] = identity.into();
    request["lease"] = lease.map_or(serde_json::Value::Null, Into::into);
    request.to_string()
}

/// A heartbeat (the golden fixture's devices) for `identity` in `group` with `lease`.
pub(crate) fn heartbeat(group: &str, identity: &str, lease: &str) -> String {
    let mut hb = fixture("heartbeat-v1.json");
    hb["group"] = group.into();
    hb["identity"] = identity.into();
    hb["lease"] = lease.into();
    hb.to_string()
}

/// Registers and returns the lease, panicking unless the answer is 200.
pub(crate) fn register(addr: SocketAddr, group: &str, identity: &str) -> String {
    let reply = send(
        addr,
        "POST",
        "/api/v1/register",
        Some(INGEST),
        &[],
        &registration(group, identity, None),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let answer: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    answer["lease"].as_str().unwrap().to_owned()
}
