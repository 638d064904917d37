//! Hostile HTTP clients against the real `upsight exporter` and `upsight fleet` binaries on
//! 127.0.0.1: slowloris, thousands of idle connections, oversized heads and URLs, path
//! traversal on the static assets, header and log injection, huge and malformed tokens, JSON
//! bombs and deep nesting on every POST/PUT route, non-UTF-8 bytes everywhere, and DNS
//! rebinding. Each attack asserts the exact answer (a status, or a closed connection), that
//! the process is still alive and answers a normal client, and where memory is at stake the
//! server's RSS from `/proc/<pid>/status` against a stated bound. The numbers are printed on
//! stderr (`cargo test -- --nocapture` shows them).
//!
//! The binaries are the workspace's `target/<profile>/upsight` (see
//! [`upsight_e2e::fleet_plane::binary`]): run `cargo build -p upsight` first when running this
//! file alone. Loopback only; every wait is bounded; nothing asserts on elapsed time.

#![allow(clippy::unwrap_used)] // test helpers may panic: a panic is a test failure
#![allow(
    clippy::disallowed_methods,
    reason = "test clients on loopback, every connect and read inside a timeout"
)]

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio::task::JoinSet;
use upsight_sim::{Device, SimHandle, Simulator};

const VIEWER: &str = "viewer-token-0123456789abcdefghijklmnop";
const ADMIN: &str = "admin-token-0123456789abcdefghijklmnopqr";
const INGEST: &str = "ingest-token-0123456789abcdefghijklmnopq";

/// Every wait ends after this, whatever the server does.
const BOUND: Duration = Duration::from_secs(10);

/// RSS growth allowed while 2 000 idle connections are held (about 32 KiB each).
const IDLE_RSS_BOUND_KIB: u64 = 64 * 1024;
/// RSS growth allowed after the oversized-head, token and JSON-bomb floods.
const FLOOD_RSS_BOUND_KIB: u64 = 64 * 1024;

// === the servers ===

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Exporter,
    Fleet,
}

impl Role {
    const BOTH: [Self; 2] = [Self::Exporter, Self::Fleet];

    fn name(self) -> &'static str {
        match self {
            Self::Exporter => "exporter",
            Self::Fleet => "fleet",
        }
    }
}

/// A running `upsight exporter` or `upsight fleet`, killed on drop.
struct Server {
    role: Role,
    addr: SocketAddr,
    child: Child,
    log: Arc<Mutex<Vec<u8>>>,
    _dir: tempfile::TempDir,
    _sim: Option<SimHandle>,
}

async fn sim() -> SimHandle {
    let device =
        Device::parse("ups.status: OL\nbattery.charge: 100\nbattery.runtime: 1800\n").unwrap();
    Simulator::new()
        .with_device("rack".into(), device)
        .bind("127.0.0.1:0")
        .await
        .unwrap()
}

/// Starts `role` with text logs (no colour) at DEBUG for the HTTP layer, a lifted rate limit
/// and `extra` lines in `[http]`.
async fn start(role: Role, extra: &str) -> Server {
    let limits = "rate_limit_per_minute = 60000\nrate_limit_burst = 10000\n";
    let (config, sim) = match role {
        Role::Exporter => {
            let sim = sim().await;
            let config = format!(
                "listen = \"127.0.0.1:0\"\ninterval = \"1s\"\n[http]\nviewer_token = \"{VIEWER}\"\n\
                 admin_token = \"{ADMIN}\"\n{limits}{extra}\n[[nut]]\naddress = \"{}\"\n",
                sim.addr()
            );
            (config, Some(sim))
        }
        Role::Fleet => (
            format!(
                "listen = \"127.0.0.1:0\"\n[tokens]\ningest = \"{INGEST}\"\nviewer = \"{VIEWER}\"\n\
                 [http]\n{limits}{extra}\n"
            ),
            None,
        ),
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    upsight_e2e::write_file(&path, config.as_bytes()).unwrap();
    let mut command = Command::new(upsight_e2e::fleet_plane::binary().unwrap());
    command
        .args(["--log-format", "text", role.name(), "--config"])
        .arg(&path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("UPSIGHT_") {
            command.env_remove(key);
        }
    }
    command
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "info,upsight_http=debug");
    let mut child = command.spawn().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&log);
    tokio::spawn(async move {
        let mut buf = [0u8; 8192];
        while let Ok(n @ 1..) = stderr.read(&mut buf).await {
            lock(&sink).extend_from_slice(&buf[..n]);
        }
    });
    let started = match role {
        Role::Exporter => "Exporter started.",
        Role::Fleet => "Fleet plane started.",
    };
    let addr = wait_for(&log, |text| {
        let line = text.lines().find(|l| l.contains(started))?;
        let rest = line.split("listen=").nth(1)?;
        rest.split_whitespace().next()?.parse::<SocketAddr>().ok()
    })
    .await;
    let Some(addr) = addr else {
        panic!("{} did not start:\n{}", role.name(), text(&log));
    };
    Server {
        role,
        addr,
        child,
        log,
        _dir: dir,
        _sim: sim,
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn text(log: &Mutex<Vec<u8>>) -> String {
    String::from_utf8_lossy(&lock(log)).into_owned()
}

/// Polls the log until `find` returns something (bounded).
async fn wait_for<T>(log: &Mutex<Vec<u8>>, find: impl Fn(&str) -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + BOUND;
    while Instant::now() < deadline {
        if let Some(found) = find(&text(log)) {
            return Some(found);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

impl Server {
    fn pid(&self) -> u32 {
        self.child.id().unwrap()
    }

    /// Resident set size, KiB.
    fn rss_kib(&self) -> u64 {
        proc_status(self.pid(), "VmRSS:")
    }

    /// Open file descriptors (the listener, the connections, a few files).
    fn open_fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid()))
            .map(Iterator::count)
            .unwrap_or(0)
    }

    /// The request bytes of `method target` with `Host`, `Connection: close`, `headers` as
    /// given (raw bytes), and a `Content-Length` body when `body` is not empty or the method
    /// sends one.
    fn request(
        &self,
        method: &str,
        target: &[u8],
        headers: &[(&str, &[u8])],
        body: &[u8],
    ) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(method.as_bytes());
        out.push(b' ');
        out.extend_from_slice(target);
        out.extend_from_slice(b" HTTP/1.1\r\n");
        if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
            out.extend_from_slice(format!("Host: {}\r\n", self.addr).as_bytes());
        }
        out.extend_from_slice(b"Connection: close\r\n");
        for (name, value) in headers {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value);
            out.extend_from_slice(b"\r\n");
        }
        if !body.is_empty() || matches!(method, "POST" | "PUT") {
            out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(body);
        out
    }

    async fn send(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &[u8])],
        body: &[u8],
    ) -> Reply {
        raw(
            self.addr,
            &self.request(method, target.as_bytes(), headers, body),
        )
        .await
    }

    async fn get(&self, target: &str) -> Reply {
        self.send("GET", target, &[], b"").await
    }

    /// `GET /metrics` (with the viewer token the plane requires) and the value of `series`.
    async fn metric(&self, series: &str) -> f64 {
        let auth = format!("Bearer {VIEWER}");
        let reply = self
            .send(
                "GET",
                "/metrics",
                &[("Authorization", auth.as_bytes())],
                b"",
            )
            .await;
        assert_eq!(
            reply.status,
            Some(200),
            "{}: /metrics {reply:?}",
            self.role.name()
        );
        reply
            .body
            .lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("no {series} in:\n{}", reply.body))
    }

    fn surface(&self) -> &'static str {
        self.role.name()
    }

    async fn dropped(&self, reason: &str) -> f64 {
        let surface = self.surface();
        self.metric(&format!(
            "upsight_http_connections_dropped_total{{surface=\"{surface}\",reason=\"{reason}\"}}"
        ))
        .await
    }

    /// Alive, `/healthz` answers 200 to a normal client, and nothing panicked.
    async fn assert_serving(&mut self, after: &str) {
        let reply = self.get("/healthz").await;
        assert_eq!(
            reply.status,
            Some(200),
            "{} after {after}: {reply:?}",
            self.role.name()
        );
        assert!(
            self.child.try_wait().unwrap().is_none(),
            "{} exited",
            self.role.name()
        );
        let log = text(&self.log);
        assert!(
            !log.contains("panicked"),
            "{} panicked after {after}:\n{log}",
            self.role.name()
        );
    }
}

fn proc_status(pid: u32, key: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap()
}

/// Our own soft limit on open files.
fn open_file_limit() -> u64 {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap();
    limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|v| v.parse().ok())
        .unwrap()
}

// === raw HTTP ===

/// What came back: a status line (or none: the connection was closed first), the head and
/// the body.
#[derive(Debug)]
struct Reply {
    status: Option<u16>,
    head: String,
    body: String,
}

async fn connect(addr: SocketAddr) -> TcpStream {
    assert!(addr.ip().is_loopback());
    tokio::time::timeout(BOUND, TcpStream::connect(addr))
        .await
        .unwrap()
        .unwrap()
}

/// Sends `bytes` on a fresh connection and reads until the server closes it. A server that
/// answers and closes before reading everything (431, 413) is fine: write errors are ignored.
async fn raw(addr: SocketAddr, bytes: &[u8]) -> Reply {
    let mut stream = connect(addr).await;
    let _ = stream.write_all(bytes).await;
    let mut got = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let read = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(BOUND, read)
        .await
        .expect("the server answers or closes within the bound");
    let text = String::from_utf8_lossy(&got).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .strip_prefix("HTTP/1.1 ")
        .and_then(|s| s.get(..3))
        .and_then(|s| s.parse().ok());
    Reply {
        status,
        head: head.to_owned(),
        body: body.to_owned(),
    }
}

/// Whether the server closes `stream` (EOF or reset) within `within`, and what it sent first.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> Option<usize> {
    let mut sent = 0;
    let mut buf = [0u8; 4096];
    let read = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return sent,
                Ok(n) => sent += n,
            }
        }
    };
    tokio::time::timeout(within, read).await.ok()
}

// === slowloris ===

#[tokio::test]
async fn slowloris_clients_are_cut_off_while_a_normal_client_is_served() {
    let mut runs = JoinSet::new();
    for role in Role::BOTH {
        runs.spawn(slowloris(role));
    }
    while let Some(run) = runs.join_next().await {
        run.unwrap();
    }
}

async fn slowloris(role: Role) {
    const SLOW: usize = 20;
    let mut server = start(role, "header_read_timeout = \"1s\"").await;
    let started = Instant::now();
    let mut slow = JoinSet::new();
    for i in 0..SLOW {
        let addr = server.addr;
        slow.spawn(async move {
            let mut stream = connect(addr).await;
            let head = format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nX-Slow-{i}: ");
            stream.write_all(head.as_bytes()).await.unwrap();
            // One byte every 100 ms, forever: the head never completes on its own.
            let trickle = async {
                loop {
                    if stream.write_all(b"a").await.is_err() {
                        return 0;
                    }
                    if let Some(sent) = closed_within(&mut stream, Duration::from_millis(100)).await
                    {
                        return sent;
                    }
                }
            };
            let sent = tokio::time::timeout(BOUND, trickle)
                .await
                .expect("a trickling client is cut off");
            (sent, Instant::now())
        });
    }
    let mut answered = Vec::new();
    for _ in 0..5 {
        let reply = server.get("/healthz").await;
        assert_eq!(
            reply.status,
            Some(200),
            "{}: normal client {reply:?}",
            role.name()
        );
        answered.push(Instant::now());
    }
    let mut cut = Vec::new();
    while let Some(done) = slow.join_next().await {
        let (sent, at) = done.unwrap();
        assert_eq!(sent, 0, "{}: a slow client got an answer", role.name());
        cut.push(at);
    }
    let first_cut = cut.iter().min().unwrap();
    assert!(
        answered[0] < *first_cut,
        "{}: the normal client was answered only after the slow ones were cut",
        role.name()
    );
    let timeouts = server.dropped("header_timeout").await;
    assert!(
        timeouts >= SLOW as f64,
        "{}: header_timeout {timeouts}",
        role.name()
    );
    eprintln!(
        "{}: slowloris x{SLOW}: all cut after {:?}..{:?} with no answer; 5 normal GETs answered \
         within {:?}; header_timeout counter {timeouts}",
        role.name(),
        first_cut.duration_since(started),
        cut.iter().max().unwrap().duration_since(started),
        answered[4].duration_since(started),
    );
    server.assert_serving("slowloris").await;
}

// === idle connections ===

#[tokio::test]
async fn thousands_of_idle_connections_are_held_bounded_and_closed() {
    let limit = open_file_limit();
    assert!(
        limit >= 6000,
        "this test holds about 4 600 sockets; raise the open-file limit (now {limit})"
    );
    let mut runs = JoinSet::new();
    for role in Role::BOTH {
        runs.spawn(idle_connections(role));
    }
    while let Some(run) = runs.join_next().await {
        run.unwrap();
    }
}

/// Opens `n` connections that send nothing, in batches the listen backlog can hold (the
/// kernel may cap it at 128: a connection beyond a full accept queue looks established to the
/// client but never reaches the server), waiting after each batch until the server holds it.
async fn open_idle(server: &Server, n: usize) -> Vec<TcpStream> {
    const BATCH: usize = 100;
    let base = server.open_fds();
    let mut opened = Vec::with_capacity(n);
    while opened.len() < n {
        let mut connects = JoinSet::new();
        for _ in 0..BATCH.min(n - opened.len()) {
            connects.spawn(connect(server.addr));
        }
        while let Some(stream) = connects.join_next().await {
            opened.push(stream.unwrap());
        }
        // A few descriptors of earlier requests (or of a NUT poll) may come and go meanwhile.
        let held = async {
            while server.open_fds() + 3 < base + opened.len() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        if tokio::time::timeout(BOUND, held).await.is_err() {
            panic!(
                "{}: the server holds {} descriptors, {base} before {} connections; log:\n{}",
                server.role.name(),
                server.open_fds(),
                opened.len(),
                text(&server.log)
            );
        }
    }
    opened
}

/// Opens `n` more connections in small batches and tells which the server closed at once.
async fn open_beyond_cap(server: &Server, n: usize) -> (Vec<TcpStream>, usize) {
    const BATCH: usize = 50;
    let mut kept = Vec::new();
    let mut refused = 0;
    let mut done = 0;
    while done < n {
        let mut probes = JoinSet::new();
        for _ in 0..BATCH.min(n - done) {
            let addr = server.addr;
            probes.spawn(async move {
                let mut stream = connect(addr).await;
                // Generous for a busy machine; the held connections stay open far longer.
                let closed = closed_within(&mut stream, Duration::from_secs(2)).await;
                (stream, closed == Some(0))
            });
        }
        while let Some(probe) = probes.join_next().await {
            let (stream, is_closed) = probe.unwrap();
            refused += usize::from(is_closed);
            kept.push(stream);
            done += 1;
        }
    }
    (kept, refused)
}

async fn idle_connections(role: Role) {
    const IDLE: usize = 2000;
    const CAP: usize = 2100;
    const EXTRA: usize = 300;
    // Long enough that no held connection times out before the cap has been probed.
    let extra = format!("max_connections = {CAP}\nheader_read_timeout = \"20s\"");
    let mut server = start(role, &extra).await;
    for _ in 0..3 {
        server.get("/healthz").await;
    }
    let fds_before = server.open_fds();
    let rss_before = server.rss_kib();
    let mut idle = open_idle(&server, IDLE).await;
    let reply = server.get("/healthz").await;
    assert_eq!(
        reply.status,
        Some(200),
        "{}: with {IDLE} idle: {reply:?}",
        role.name()
    );
    let rss_held = server.rss_kib();
    let fds_held = server.open_fds();

    let (extra, refused) = open_beyond_cap(&server, EXTRA).await;
    let fits = CAP - IDLE;
    assert!(
        (EXTRA - fits - 5..=EXTRA - fits).contains(&refused),
        "{}: {refused} of {EXTRA} connections beyond {IDLE} closed at once (cap {CAP})",
        role.name()
    );
    let fds_at_cap = server.open_fds();
    assert!(
        fds_at_cap <= fds_before + CAP,
        "{}: {fds_at_cap} open fds at the cap",
        role.name()
    );
    drop(extra);

    // The header-read timeout (20 s after each accept) closes every idle connection; a sample
    // is enough to see it.
    let closed = async {
        for stream in idle.iter_mut().step_by(97) {
            let closed = closed_within(stream, Duration::from_secs(30)).await;
            assert_eq!(
                closed,
                Some(0),
                "an idle connection got an answer or stayed open"
            );
        }
    };
    tokio::time::timeout(Duration::from_secs(30), closed)
        .await
        .expect("idle connections are closed after the header-read timeout");
    drop(idle);
    let released = async {
        while server.open_fds() > fds_before + 5 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    if tokio::time::timeout(BOUND, released).await.is_err() {
        panic!(
            "{}: the server holds {} descriptors, {fds_before} before the attack",
            role.name(),
            server.open_fds()
        );
    }
    let over_cap = server.dropped("over_cap").await;
    assert!(
        over_cap >= refused as f64,
        "{}: over_cap {over_cap}",
        role.name()
    );
    let timeouts = server.dropped("header_timeout").await;
    assert!(
        timeouts >= IDLE as f64,
        "{}: header_timeout {timeouts}",
        role.name()
    );
    let rss_after = server.rss_kib();
    let growth = rss_held.saturating_sub(rss_before);
    eprintln!(
        "{}: {IDLE} idle connections held (fds {fds_before} -> {fds_held}), /healthz answered; \
         RSS {rss_before} KiB -> {rss_held} KiB held (+{growth} KiB, {} B per connection) -> \
         {rss_after} KiB after; {refused} of {EXTRA} extra closed at once (cap {CAP}, fds at \
         cap {fds_at_cap}); counters over_cap {over_cap}, header_timeout {timeouts}",
        role.name(),
        growth * 1024 / IDLE as u64,
    );
    assert!(
        growth < IDLE_RSS_BOUND_KIB,
        "{}: RSS grew {growth} KiB with {IDLE} idle connections",
        role.name()
    );
    server.assert_serving("idle connections").await;
}

// === oversized heads, URLs and tokens ===

#[tokio::test]
async fn oversized_heads_urls_and_tokens_get_431_without_memory_growth() {
    for role in Role::BOTH {
        let mut server = start(role, "").await;
        server.get("/healthz").await;
        let rss_before = server.rss_kib();
        let kib = |n: usize| vec![b'a'; n * 1024];
        let long_url = format!("/healthz?q={}", "u".repeat(20 * 1024));
        let huge_url = format!("/{}", "u".repeat(70 * 1024));
        let many: Vec<(String, Vec<u8>)> = (0..150)
            .map(|i| (format!("X-H{i}"), b"v".to_vec()))
            .collect();
        let many: Vec<(&str, &[u8])> = many
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_slice()))
            .collect();
        let bearer_mib = [b"Bearer ".as_slice(), &kib(1024)].concat();
        let must_431: [(&str, Vec<u8>); 4] = [
            (
                "a 20 KiB header",
                server.request("GET", b"/healthz", &[("X-Big", &kib(20))], b""),
            ),
            (
                "a 20 KiB URL",
                server.request("GET", long_url.as_bytes(), &[], b""),
            ),
            (
                "a 70 KiB URL",
                server.request("GET", huge_url.as_bytes(), &[], b""),
            ),
            (
                "150 headers",
                server.request("GET", b"/healthz", &many, b""),
            ),
        ];
        for (what, bytes) in &must_431 {
            let reply = raw(server.addr, bytes).await;
            assert_eq!(reply.status, Some(431), "{} {what}: {reply:?}", role.name());
        }
        // A megabyte: the server answers 431 and closes while we are still writing; the
        // answer may be lost to the reset, so a closed connection is fine too.
        let flood: [(&str, Vec<u8>); 2] = [
            (
                "a 1 MiB header",
                server.request("GET", b"/healthz", &[("X-Big", &kib(1024))], b""),
            ),
            (
                "a 1 MiB bearer token",
                server.request("GET", b"/metrics", &[("Authorization", &bearer_mib)], b""),
            ),
        ];
        let mut outcomes = Vec::new();
        for round in 0..20 {
            let (what, bytes) = &flood[round % 2];
            let reply = raw(server.addr, bytes).await;
            assert!(
                matches!(reply.status, Some(431) | None),
                "{} {what}: {reply:?}",
                role.name()
            );
            outcomes.push(reply.status);
        }
        let answered = outcomes.iter().filter(|s| s.is_some()).count();
        let counted = server.dropped("head_too_large").await;
        assert!(
            counted >= 4.0 + answered as f64,
            "{}: head_too_large {counted}",
            role.name()
        );
        let rss_after = server.rss_kib();
        eprintln!(
            "{}: 20/70 KiB URL, 20 KiB header, 150 headers: 431; 20 x 1 MiB header or token: \
             {answered} x 431, {} x closed before the answer was read; head_too_large {counted}; \
             RSS {rss_before} -> {rss_after} KiB",
            role.name(),
            outcomes.len() - answered
        );
        assert!(
            rss_after.saturating_sub(rss_before) < FLOOD_RSS_BOUND_KIB,
            "{}: RSS {rss_before} -> {rss_after} KiB",
            role.name()
        );
        server.assert_serving("oversized heads").await;
    }
}

// === path traversal ===

#[tokio::test]
async fn path_traversal_on_static_assets_never_serves_a_file() {
    let targets: [&[u8]; 14] = [
        b"/assets/../../etc/passwd",
        b"/assets/../../../../../../etc/passwd",
        b"/assets/%2e%2e/%2e%2e/etc/passwd",
        b"/assets/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        b"/assets/..%2f..%2f..%2fetc%2fpasswd",
        b"/assets/%252e%252e%252f%252e%252e%252fetc%252fpasswd",
        b"/assets/..%5c..%5c..%5cetc%5cpasswd",
        b"/assets/..\\..\\..\\etc\\passwd",
        b"/assets/app.css/../../../etc/passwd",
        b"/assets/....//....//etc/passwd",
        b"/assets/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd",
        b"/assets/app.css%00../../etc/passwd",
        b"/..%2f..%2fetc%2fpasswd",
        b"http://127.0.0.1/../../etc/passwd",
    ];
    for role in Role::BOTH {
        let mut server = start(role, "").await;
        let css = server.get("/assets/app.css").await;
        assert_eq!(css.status, Some(200), "{}: the asset itself", role.name());
        let mut seen = Vec::new();
        for target in targets {
            let reply = raw(server.addr, &server.request("GET", target, &[], b"")).await;
            let shown = String::from_utf8_lossy(target);
            let status = reply.status.unwrap_or(0);
            assert!(
                matches!(status, 400 | 404),
                "{} {shown}: {reply:?}",
                role.name()
            );
            assert!(
                !reply.body.contains("root:") && !reply.body.contains("/bin/"),
                "{} {shown}: file content in {reply:?}",
                role.name()
            );
            seen.push(status);
        }
        eprintln!("{}: traversal attempts answered {seen:?}", role.name());
        server.assert_serving("path traversal").await;
    }
}

// === header and log injection ===

#[tokio::test]
async fn header_and_log_injection_stays_on_one_escaped_line() {
    for role in Role::BOTH {
        let mut server = start(role, "").await;
        let gated: &[u8] = match role {
            Role::Exporter => b"/api/v1/devices/x%0d%0aINJECTED-PATH%1b%5b31m",
            Role::Fleet => b"/api/v1/groups/x%0d%0aINJECTED-PATH%1b%5b31m",
        };
        let c1 = "\u{9b}31mINJECTED-C1".as_bytes();
        let cases: Vec<(&str, Vec<u8>, u16)> = vec![
            (
                "CR in the request line",
                b"GET /healthz\rINJECTED HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
                400,
            ),
            (
                "LF in the path",
                b"GET /a\nINJECTED: 1 HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
                400,
            ),
            (
                "ESC in the path",
                server.request("GET", b"/healthz\x1b[2J", &[], b""),
                400,
            ),
            (
                "encoded CRLF and ESC on a gated path",
                server.request("GET", gated, &[], b""),
                401,
            ),
            (
                "ESC in User-Agent",
                server.request(
                    "GET",
                    b"/healthz",
                    &[("User-Agent", b"x\x1b[31mINJECTED")],
                    b"",
                ),
                400,
            ),
            (
                "CR in User-Agent",
                server.request("GET", b"/healthz", &[("User-Agent", b"x\rINJECTED")], b""),
                400,
            ),
            (
                "C1 in User-Agent",
                server.request("GET", gated, &[("User-Agent", c1)], b""),
                401,
            ),
            (
                "ESC in X-Forwarded-For",
                server.request(
                    "GET",
                    b"/healthz",
                    &[("X-Forwarded-For", b"1.2.3.4\x1b[2J")],
                    b"",
                ),
                400,
            ),
            (
                "C1 in X-Forwarded-For",
                server.request("GET", gated, &[("X-Forwarded-For", c1)], b""),
                401,
            ),
            (
                "C1 and a marker in Host",
                server.request("GET", b"/healthz", &[("Host", c1)], b""),
                421,
            ),
        ];
        for (what, bytes, want) in &cases {
            let reply = raw(server.addr, bytes).await;
            assert_eq!(
                reply.status,
                Some(*want),
                "{} {what}: {reply:?}",
                role.name()
            );
        }
        let found = wait_for(&server.log, |log| {
            let path = log
                .lines()
                .any(|l| l.contains("Authentication failed.") && l.contains("INJECTED-PATH"));
            let host = log
                .lines()
                .any(|l| l.contains("Misdirected request refused.") && l.contains("INJECTED-C1"));
            (path && host).then_some(())
        })
        .await;
        let bytes = lock(&server.log).clone();
        let log = String::from_utf8_lossy(&bytes);
        assert!(
            found.is_some(),
            "{}: the injected text never reached the log:\n{log}",
            role.name()
        );
        assert!(
            !bytes.contains(&0x1b),
            "{}: raw ESC in the log:\n{log}",
            role.name()
        );
        assert!(
            !log.contains('\u{9b}') && !log.contains('\r'),
            "{}: C1 or CR in the log",
            role.name()
        );
        for line in log.lines() {
            let is_log_line = line.len() > 20
                && line.as_bytes()[..4].iter().all(u8::is_ascii_digit)
                && line.as_bytes()[4] == b'-';
            assert!(
                is_log_line,
                "{}: a line that is not a log line: {line:?}",
                role.name()
            );
        }
        let marked: Vec<&str> = log.lines().filter(|l| l.contains("INJECTED")).collect();
        eprintln!(
            "{}: injection attempts answered as expected; log lines holding the markers:",
            role.name()
        );
        for line in &marked {
            eprintln!("    {line}");
        }
        server.assert_serving("injection").await;
    }
}

// === tokens ===

#[tokio::test]
async fn huge_and_malformed_tokens_get_one_constant_401_and_the_scheme_is_case_insensitive() {
    for role in Role::BOTH {
        let mut server = start(role, "").await;
        let (method, target, good) = match role {
            Role::Exporter => ("GET", "/api/v1/devices", VIEWER),
            Role::Fleet => ("POST", "/api/v1/register", INGEST),
        };
        // A registration for the plane (a new identity each time), nothing for the exporter.
        let body = |identity: &str| match role {
            Role::Exporter => Vec::new(),
            Role::Fleet => serde_json::json!({
                "version": 1, "identity": identity, "group": "site-a",
                "software_version": "0.1.0", "scrape_target": null, "lease": null,
            })
            .to_string()
            .into_bytes(),
        };
        let rss_before = server.rss_kib();
        let wrong_last = format!("{}X", &good[..good.len() - 1]);
        let long = "t".repeat(600);
        let longer = "t".repeat(10 * 1024);
        let unicode = "ü".repeat(40);
        let mut bad: Vec<(&str, Vec<u8>)> = vec![
            (
                "the last byte wrong",
                format!("Bearer {wrong_last}").into_bytes(),
            ),
            ("a prefix", format!("Bearer {}", &good[..20]).into_bytes()),
            (
                "the token twice",
                format!("Bearer {good}{good}").into_bytes(),
            ),
            ("600 bytes", format!("Bearer {long}").into_bytes()),
            ("10 KiB", format!("Bearer {longer}").into_bytes()),
            ("non-ASCII UTF-8", format!("Bearer {unicode}").into_bytes()),
            (
                "bytes that are not UTF-8",
                [b"Bearer ".as_slice(), &[0xff, 0xfe, 0x80, 0xc3, 0x28]].concat(),
            ),
            ("no token", b"Bearer".to_vec()),
            ("another scheme", format!("Basic {good}").into_bytes()),
            ("no scheme", good.as_bytes().to_vec()),
            (
                "a comma list",
                format!("Bearer {good}, Bearer {good}").into_bytes(),
            ),
        ];
        bad.push(("an empty value", Vec::new()));
        let mut first: Option<(String, String)> = None;
        for (what, value) in &bad {
            let reply = server
                .send(method, target, &[("Authorization", value)], &body("exp-0"))
                .await;
            assert_eq!(reply.status, Some(401), "{} {what}: {reply:?}", role.name());
            let challenge = reply
                .head
                .lines()
                .find(|l| l.to_ascii_lowercase().starts_with("www-authenticate:"))
                .map(str::to_owned)
                .unwrap_or_default();
            let shape = (challenge, reply.body.clone());
            match &first {
                None => first = Some(shape),
                Some(expected) => assert_eq!(
                    &shape,
                    expected,
                    "{} {what}: a different refusal",
                    role.name()
                ),
            }
        }
        let nul = server
            .send(
                method,
                target,
                &[("Authorization", b"Bearer \0abc")],
                &body("exp-0"),
            )
            .await;
        assert_eq!(
            nul.status,
            Some(400),
            "{} NUL in the token: {nul:?}",
            role.name()
        );
        for (i, scheme) in ["Bearer", "bearer", "BEARER", "bEaReR"]
            .into_iter()
            .enumerate()
        {
            let value = format!("{scheme} {good}");
            let body = body(&format!("exp-{}", i + 1));
            let reply = server
                .send(
                    method,
                    target,
                    &[("Authorization", value.as_bytes())],
                    &body,
                )
                .await;
            assert_eq!(
                reply.status,
                Some(200),
                "{} scheme {scheme}: {reply:?}",
                role.name()
            );
        }
        let refused = server
            .metric(&format!(
                "upsight_http_auth_failures_total{{surface=\"{}\"}}",
                server.surface()
            ))
            .await;
        assert!(
            refused >= bad.len() as f64,
            "{}: auth failures {refused}",
            role.name()
        );
        let (challenge, body_text) = first.unwrap();
        eprintln!(
            "{}: {} malformed or wrong tokens: all 401, one refusal ({challenge:?}, {body_text}); \
             NUL 400; Bearer/bearer/BEARER/bEaReR accepted; auth failures counted {refused}; \
             RSS {rss_before} -> {} KiB",
            role.name(),
            bad.len(),
            server.rss_kib()
        );
        server.assert_serving("tokens").await;
    }
}

// === JSON bombs ===

/// Names of the bombs a route may accept: JSON objects (`POST /api/v1/poll` takes any).
const WIDE_OBJECT: &str = "an object holding a wide array of empty arrays";
const OUT_OF_RANGE: &str = "a number out of range";

/// Bodies sized to fit under `cap`: deep arrays and objects past serde_json's nesting limit, a
/// wide array of empty arrays (the most values per byte), the same inside an object (parsed
/// in full by a route that takes any object), a long string, a number out of range, bytes
/// that are not UTF-8, and one byte over the cap.
fn bombs(cap: usize) -> Vec<(&'static str, Vec<u8>, u16)> {
    let fill = cap - 1024;
    let wide = |open: &[u8], close: &[u8]| {
        let mut b = open.to_vec();
        while b.len() < fill {
            b.extend_from_slice(b"[],");
        }
        b.extend_from_slice(b"[]");
        b.extend_from_slice(close);
        b
    };
    vec![
        (
            "100 000 nested arrays",
            "[".repeat(100_000).into_bytes(),
            400,
        ),
        ("deep objects", "{\"a\":".repeat(fill / 5).into_bytes(), 400),
        ("a wide array of empty arrays", wide(b"[", b"]"), 400),
        (WIDE_OBJECT, wide(b"{\"a\":[", b"]}"), 400),
        (
            "a long string",
            format!("\"{}\"", "s".repeat(fill)).into_bytes(),
            400,
        ),
        (OUT_OF_RANGE, b"{\"name\": 1e999999}".to_vec(), 400),
        (
            "bytes that are not UTF-8",
            [b"{\"name\": \"".as_slice(), &[0xff, 0xfe], b"\"}"].concat(),
            400,
        ),
        ("over the body cap", vec![b'['; cap + 1], 413),
    ]
}

#[tokio::test]
async fn json_bombs_and_deep_nesting_get_400_or_413_with_bounded_memory() {
    for role in Role::BOTH {
        let mut server = start(role, "").await;
        let (routes, token, cap): (&[(&str, &str)], &str, usize) = match role {
            Role::Exporter => (
                &[
                    ("POST", "/api/v1/devices"),
                    ("PUT", "/api/v1/devices/rack2"),
                    ("PUT", "/api/v1/alerts"),
                    ("POST", "/api/v1/poll"),
                    ("POST", "/api/v1/alerts/test"),
                ],
                ADMIN,
                1024 * 1024,
            ),
            Role::Fleet => (
                &[("POST", "/api/v1/register"), ("POST", "/api/v1/heartbeat")],
                INGEST,
                256 * 1024,
            ),
        };
        server.get("/healthz").await;
        let rss_before = server.rss_kib();
        let auth = format!("Bearer {token}");
        let mut slowest = Duration::ZERO;
        let mut statuses = Vec::new();
        for (method, path) in routes {
            for (what, body, want) in bombs(cap) {
                // The poll route takes any object and only scans it: a number out of f64
                // range is still valid JSON grammar there.
                let is_any_object =
                    *path == "/api/v1/poll" && matches!(what, WIDE_OBJECT | OUT_OF_RANGE);
                let want = if is_any_object { 202 } else { want };
                // Four at once: what one request may cost, times a little concurrency.
                let mut sends = JoinSet::new();
                let bytes = Arc::new(server.request(
                    method,
                    path.as_bytes(),
                    &[
                        ("Authorization", auth.as_bytes()),
                        ("Content-Type", b"application/json"),
                    ],
                    &body,
                ));
                for _ in 0..4 {
                    let (addr, bytes) = (server.addr, Arc::clone(&bytes));
                    sends.spawn(async move {
                        let sent = Instant::now();
                        let reply = raw(addr, &bytes).await;
                        (reply, sent.elapsed())
                    });
                }
                while let Some(done) = sends.join_next().await {
                    let (reply, took) = done.unwrap();
                    assert_eq!(
                        reply.status,
                        Some(want),
                        "{} {method} {path} {what}: {reply:?}",
                        role.name()
                    );
                    slowest = slowest.max(took);
                }
                statuses.push(want);
            }
        }
        let rss_after = server.rss_kib();
        let hwm = proc_status(server.pid(), "VmHWM:");
        let poll = match role {
            Role::Exporter => "; 202 for the two valid objects on /api/v1/poll",
            Role::Fleet => "",
        };
        eprintln!(
            "{}: {} bombs x {} routes x 4 concurrent: every one 400 (413 over the {cap} B \
             cap{poll}); slowest answer {slowest:?}; RSS {rss_before} -> {rss_after} KiB (peak \
             {hwm} KiB)",
            role.name(),
            statuses.len() / routes.len(),
            routes.len(),
        );
        assert!(
            rss_after.saturating_sub(rss_before) < FLOOD_RSS_BOUND_KIB,
            "{}: RSS {rss_before} -> {rss_after} KiB",
            role.name()
        );
        server.assert_serving("JSON bombs").await;
    }
}

// === non-UTF-8 ===

#[tokio::test]
async fn non_utf8_bytes_in_path_query_headers_and_body_get_4xx() {
    for role in Role::BOTH {
        let mut server = start(role, "").await;
        let viewer = format!("Bearer {VIEWER}");
        let v: &[u8] = viewer.as_bytes();
        let (param_path, json_route, json_token): (&[u8], &str, String) = match role {
            Role::Exporter => (
                b"/api/v1/devices/%ff%fe",
                "/api/v1/devices",
                format!("Bearer {ADMIN}"),
            ),
            Role::Fleet => (
                b"/api/v1/groups/%ff%fe",
                "/api/v1/register",
                format!("Bearer {INGEST}"),
            ),
        };
        let mut cases: Vec<(&str, Vec<u8>, u16)> = vec![
            (
                "raw 0xFF in the path",
                server.request("GET", b"/healthz\xff", &[], b""),
                400,
            ),
            (
                "raw 0xFF in the query",
                server.request("GET", b"/healthz?x=\xff", &[], b""),
                400,
            ),
            (
                "encoded 0xFF in a path parameter",
                server.request("GET", param_path, &[("Authorization", v)], b""),
                400,
            ),
            (
                "0xFF in Host",
                server.request("GET", b"/healthz", &[("Host", b"\xff\xfe")], b""),
                421,
            ),
            (
                "0xFF in the token",
                server.request(
                    "GET",
                    b"/api/v1/openapi.json",
                    &[("Authorization", b"Bearer \xff\xfe")],
                    b"",
                ),
                401,
            ),
            (
                "0xFF in the session cookie",
                server.request(
                    "GET",
                    b"/api/v1/openapi.json",
                    &[("Cookie", b"upsight_session=\xff\xfe")],
                    b"",
                ),
                401,
            ),
            (
                "0xFF in Content-Length",
                server.request("GET", b"/healthz", &[("Content-Length", b"\xff")], b""),
                400,
            ),
            (
                "0xFF in the login form's Content-Type",
                server.request("POST", b"/login", &[("Content-Type", b"\xff")], b"token=x"),
                415,
            ),
            (
                "0xFF in the login form",
                server.request(
                    "POST",
                    b"/login",
                    &[("Content-Type", b"application/x-www-form-urlencoded")],
                    b"token=\xff\xfe",
                ),
                400,
            ),
            (
                "0xFF in a JSON body",
                server.request(
                    "POST",
                    json_route.as_bytes(),
                    &[("Authorization", json_token.as_bytes())],
                    b"{\"name\": \"\xff\xfe\"}",
                ),
                400,
            ),
        ];
        if role == Role::Exporter {
            // The only query parameter either role validates: the events filter.
            let events = server.request(
                "GET",
                b"/api/v1/events?device=%ff%fe",
                &[("Authorization", v)],
                b"",
            );
            cases.push(("encoded 0xFF in a query parameter", events, 400));
        }
        let mut seen = Vec::new();
        for (what, bytes, want) in &cases {
            let reply = raw(server.addr, bytes).await;
            assert_eq!(
                reply.status,
                Some(*want),
                "{} {what}: {reply:?}",
                role.name()
            );
            seen.push((*what, *want));
        }
        // Headers nothing reads, and a query parameter only used as a cache key (decoded with
        // replacement characters), are ignored, not fatal.
        let ignored = server
            .send(
                "GET",
                "/healthz",
                &[
                    ("X-Junk", b"\xff\xfe\x80"),
                    ("X-Forwarded-For", b"\xff\xfe"),
                    ("User-Agent", b"\xc3\x28"),
                ],
                b"",
            )
            .await;
        assert_eq!(
            ignored.status,
            Some(200),
            "{}: ignored headers {ignored:?}",
            role.name()
        );
        let asset = server.get("/assets/app.css?v=%ff%fe").await;
        assert_eq!(
            asset.status,
            Some(200),
            "{}: asset version {asset:?}",
            role.name()
        );
        eprintln!(
            "{}: non-UTF-8 cases answered {seen:?}; unread headers and the asset's ?v= ignored (200)",
            role.name()
        );
        server.assert_serving("non-UTF-8").await;
    }
}

// === DNS rebinding ===

#[tokio::test]
async fn dns_rebinding_against_the_loopback_bind_gets_421() {
    for role in Role::BOTH {
        let mut server = start(role, "").await;
        let port = server.addr.port();
        let evil = format!("evil.example:{port}");
        let cases: Vec<(String, Vec<u8>, u16)> = vec![
            (
                evil.clone(),
                server.request("GET", b"/healthz", &[("Host", evil.as_bytes())], b""),
                421,
            ),
            (
                "absolute form".into(),
                server.request("GET", format!("http://{evil}/healthz").as_bytes(), &[], b""),
                421,
            ),
            (
                "two Host headers".into(),
                server.request(
                    "GET",
                    b"/healthz",
                    &[("Host", b"localhost"), ("Host", b"localhost")],
                    b"",
                ),
                421,
            ),
            (
                format!("localhost:{port}"),
                server.request(
                    "GET",
                    b"/healthz",
                    &[("Host", format!("localhost:{port}").as_bytes())],
                    b"",
                ),
                200,
            ),
            (
                format!("[::1]:{port}"),
                server.request(
                    "GET",
                    b"/healthz",
                    &[("Host", format!("[::1]:{port}").as_bytes())],
                    b"",
                ),
                200,
            ),
            (
                format!("127.0.0.1:{port}"),
                server.request("GET", b"/healthz", &[], b""),
                200,
            ),
        ];
        for (what, bytes, want) in &cases {
            let reply = raw(server.addr, bytes).await;
            assert_eq!(
                reply.status,
                Some(*want),
                "{} Host {what}: {reply:?}",
                role.name()
            );
            if *want == 421 {
                assert_eq!(reply.body, "{\"error\":\"misdirected request\"}");
                assert!(reply.head.contains("x-frame-options: DENY"), "{reply:?}");
            }
        }
        let counted = server
            .metric(&format!(
                "upsight_http_misdirected_total{{surface=\"{}\"}}",
                server.surface()
            ))
            .await;
        assert_eq!(counted, 3.0, "{}", role.name());
        server.assert_serving("rebinding").await;
    }
}
