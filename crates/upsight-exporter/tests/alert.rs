//! Alert delivery against a local HTTPS receiver whose certificate comes from a CA generated
//! here (the alerter's only trust root, via `ca_file`): bodies as sent, SSRF refusals at
//! startup and at send time with no connection made, and redirects not followed.
//!
//! "No connection" is proven with a trap: a listening socket nobody accepts on. A TCP
//! handshake completes in the kernel before the client's connect returns, so once the
//! delivery has failed, any connection attempt would be waiting in the trap's backlog; a
//! non-blocking accept that finds nothing proves there was none.

#![allow(clippy::unwrap_used)] // test helpers may panic: a panic is a test failure

use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use upsight_exporter::alert::{
    AlertConfig, Alerter, FailReason, Notice, Outcome, RawAlerts, TestError, build_request, client,
};
use upsight_model::{Event, EventKind};

// === PKI ===

/// A CA and a server configuration for 127.0.0.1 and localhost signed by it.
struct Pki {
    ca_file: tempfile::NamedTempFile,
    server: Arc<rustls::ServerConfig>,
}

fn pki() -> Pki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "upsight test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone()], key)
        .unwrap();
    let mut ca_file = tempfile::NamedTempFile::new().unwrap();
    ca_file.write_all(ca.pem().as_bytes()).unwrap();
    Pki {
        ca_file,
        server: Arc::new(server),
    }
}

// === Receiver ===

/// One request as the receiver read it.
#[derive(Debug)]
struct Received {
    request_line: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// A minimal HTTPS/1.1 receiver on 127.0.0.1 answering every request with `reply` (a full
/// status line and headers, e.g. a redirect).
struct Receiver {
    port: u16,
    requests: mpsc::UnboundedReceiver<Received>,
}

const OK: &str = "HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";

async fn receiver(pki: &Pki, reply: String) -> Receiver {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let acceptor = TlsAcceptor::from(pki.server.clone());
    let (tx, requests) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        for _ in 0..16 {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, tx, reply) = (acceptor.clone(), tx.clone(), reply.clone());
            tokio::spawn(async move {
                let serve = async {
                    let mut tls = acceptor.accept(tcp).await.ok()?;
                    let received = read_request(&mut tls).await?;
                    tls.write_all(reply.as_bytes()).await.ok()?;
                    tls.shutdown().await.ok()?;
                    tx.send(received).ok()
                };
                let _ = tokio::time::timeout(Duration::from_secs(10), serve).await;
            });
        }
    });
    Receiver { port, requests }
}

async fn read_request(stream: &mut (impl tokio::io::AsyncRead + Unpin)) -> Option<Received> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        if buf.len() > 64 * 1024 {
            return None;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8(buf[..head_end].to_vec()).ok()?;
    let mut lines = head.split("\r\n");
    let request_line = lines.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length.min(64 * 1024) {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Received {
        request_line,
        headers,
        body,
    })
}

async fn next(rx: &mut Receiver) -> Received {
    tokio::time::timeout(Duration::from_secs(10), rx.requests.recv())
        .await
        .expect("no request within 10 s")
        .unwrap()
}

// === Trap ===

/// A listening socket nobody accepts on: connections pile up in its backlog.
struct Trap(std::net::TcpListener);

impl Trap {
    fn new() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        Self(listener)
    }

    fn port(&self) -> u16 {
        self.0.local_addr().unwrap().port()
    }

    fn assert_untouched(&self) {
        match self.0.accept() {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            other => panic!("something connected to the trap: {other:?}"),
        }
    }
}

// === Alerter ===

fn config(text: &str) -> AlertConfig {
    #[derive(serde::Deserialize)]
    struct File {
        alerts: RawAlerts,
    }
    let file: File = toml::from_str(text).unwrap();
    let mut errors = Vec::new();
    let config = file
        .alerts
        .validate(&mut |p, m| errors.push(format!("{p}: {m}")));
    config.unwrap_or_else(|| panic!("{errors:?}"))
}

fn webhook(url: &str, allow: &str, ca: &Pki) -> String {
    format!(
        "[alerts]\nallow_private = [{allow}]\n[[alerts.targets]]\nname = \"hook\"\nkind = \"webhook\"\n\
         url = \"{url}\"\nca_file = {:?}\n",
        ca.ca_file.path()
    )
}

/// The alerter with its worker running; dropping the token's guard stops it.
fn start(config: AlertConfig) -> (Alerter, tokio_util::sync::DropGuard) {
    let (alerter, worker) = Alerter::new(config);
    let cancel = CancellationToken::new();
    tokio::spawn(worker.run(cancel.clone()));
    (alerter, cancel.drop_guard())
}

fn event(kind: EventKind, seq: u64) -> Event {
    Event {
        device: "rack".parse().unwrap(),
        kind,
        at: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        detail: None,
        seq,
    }
}

fn count(alerter: &Alerter, outcome: Outcome) -> u64 {
    alerter
        .deliveries()
        .iter()
        .filter(|(_, o, _)| *o == outcome)
        .map(|(_, _, c)| c)
        .sum()
}

/// Waits (bounded) until the worker has finished `n` deliveries, then returns the failure
/// reasons seen.
async fn settled(alerter: &Alerter, n: u64) -> Vec<FailReason> {
    for _ in 0..2000 {
        if count(alerter, Outcome::Sent) + count(alerter, Outcome::Failed) >= n {
            return alerter
                .failures()
                .into_iter()
                .filter(|(_, _, c)| *c > 0)
                .map(|(_, r, _)| r)
                .collect();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{n} deliveries did not finish within 20 s");
}

// === Tests ===

#[tokio::test]
async fn on_battery_and_on_line_are_delivered_as_json() {
    let pki = pki();
    let mut rx = receiver(&pki, OK.into()).await;
    let url = format!("https://127.0.0.1:{}/hook?key=k1", rx.port);
    let text = webhook(&url, "\"127.0.0.1\"", &pki) + "token = \"bearer-token-1\"\n";
    let config = config(&text);
    config.check_targets().await.unwrap();
    let (alerter, _stop) = start(config);

    alerter.notify(&event(EventKind::OnBattery, 1));
    let got = next(&mut rx).await;
    assert_eq!(got.request_line, "POST /hook?key=k1 HTTP/1.1");
    assert_eq!(got.header("content-type"), Some("application/json"));
    assert_eq!(got.header("authorization"), Some("Bearer bearer-token-1"));
    assert!(got.header("user-agent").unwrap().starts_with("upsight/"));
    assert_eq!(
        got.json(),
        json!({"device": "rack", "event": "on_battery", "severity": "warning",
               "at": "2023-11-14T22:13:20Z", "message": "rack: on battery", "seq": 1})
    );

    // The recovery notice: on_line is info (below the default min_severity) but clears the
    // on_battery this target was told about.
    alerter.notify(&event(EventKind::OnLine, 2));
    let got = next(&mut rx).await;
    assert_eq!(
        got.json(),
        json!({"device": "rack", "event": "on_line", "severity": "info",
               "at": "2023-11-14T22:13:20Z", "message": "rack: on line", "seq": 2})
    );
    assert_eq!(settled(&alerter, 2).await, []);
    assert_eq!(count(&alerter, Outcome::Sent), 2);

    // The test alert, then its cooldown.
    let now = Instant::now();
    alerter.test(Some("hook"), now).unwrap();
    assert_eq!(next(&mut rx).await.json()["event"], "test");
    assert!(matches!(
        alerter.test(None, now + Duration::from_secs(1)),
        Err(TestError::TooSoon { .. })
    ));
    assert_eq!(settled(&alerter, 3).await, []);
}

#[tokio::test]
async fn an_allow_listed_host_name_is_pinned_and_delivered() {
    let pki = pki();
    let mut rx = receiver(&pki, OK.into()).await;
    let url = format!("https://localhost:{}/", rx.port);
    let config = config(&webhook(&url, "\"localhost\"", &pki));
    config.check_targets().await.unwrap();
    let (alerter, _stop) = start(config);
    alerter.notify(&event(EventKind::LowBattery, 3));
    assert_eq!(next(&mut rx).await.json()["event"], "low_battery");
    assert_eq!(settled(&alerter, 1).await, []);
}

/// Each case is refused by the startup check and again at send time, with no connection.
#[tokio::test]
async fn non_public_targets_are_refused_without_connecting() {
    let pki = pki();
    let trap = Trap::new();
    let port = trap.port();
    let cases = [
        // Loopback is refused unless allow-listed.
        (format!("https://127.0.0.1:{port}/"), "loopback"),
        (format!("https://[::ffff:127.0.0.1]:{port}/"), "loopback"),
        // A host name is judged by what it resolves to (/etc/hosts: 127.0.0.1).
        (format!("https://localhost:{port}/"), "loopback"),
        // The cloud metadata address: an address literal, so no lookup either.
        (
            "https://169.254.169.254/latest/meta-data/".to_owned(),
            "link-local",
        ),
        ("https://[::ffff:169.254.169.254]/".to_owned(), "link-local"),
        ("https://10.0.0.1/".to_owned(), "private"),
    ];
    for (url, class) in cases {
        let config = config(&webhook(&url, "", &pki));
        let errors = config.check_targets().await.unwrap_err().0;
        assert_eq!(errors.len(), 1, "{url}");
        assert_eq!(errors[0].path, "alerts.targets[0].url");
        assert!(errors[0].message.contains(class), "{url}: {}", errors[0]);

        let started = Instant::now();
        let (alerter, _stop) = start(config);
        alerter.notify(&event(EventKind::OnBattery, 1));
        assert_eq!(
            settled(&alerter, 1).await,
            [FailReason::RefusedAddress],
            "{url}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{url}: refused without waiting on I/O"
        );
        trap.assert_untouched();
    }
}

#[tokio::test]
async fn http_is_a_config_error_and_refused_at_send_time() {
    let pki = pki();
    let trap = Trap::new();
    let url = format!("http://127.0.0.1:{}/", trap.port());
    let text = webhook(&url, "\"127.0.0.1\"", &pki);
    #[derive(serde::Deserialize)]
    struct File {
        alerts: RawAlerts,
    }
    let file: File = toml::from_str(&text).unwrap();
    let mut errors = Vec::new();
    assert!(
        file.alerts
            .validate(&mut |p, m| errors.push((p, m)))
            .is_none()
    );
    assert_eq!(
        errors,
        [(
            "alerts.targets[0].url".to_owned(),
            "alert targets must use https".to_owned()
        )]
    );

    // A target that skipped validation (say, changed at runtime) is still refused at send.
    let https = format!("https://127.0.0.1:{}/", trap.port());
    let mut config = config(&webhook(&https, "\"127.0.0.1\"", &pki));
    config.targets[0].url = url.parse().unwrap();
    let (alerter, _stop) = start(config);
    alerter.notify(&event(EventKind::OnBattery, 1));
    assert_eq!(settled(&alerter, 1).await, [FailReason::RefusedAddress]);
    trap.assert_untouched();
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let pki = pki();
    let trap = Trap::new();
    let reply = format!(
        "HTTP/1.1 302 Found\r\nlocation: https://127.0.0.1:{}/\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        trap.port()
    );
    let mut rx = receiver(&pki, reply).await;
    let url = format!("https://127.0.0.1:{}/", rx.port);
    let (alerter, _stop) = start(config(&webhook(&url, "\"127.0.0.1\"", &pki)));
    alerter.notify(&event(EventKind::OnBattery, 1));
    assert_eq!(next(&mut rx).await.json()["event"], "on_battery");
    assert_eq!(settled(&alerter, 1).await, [FailReason::HttpStatus]);
    trap.assert_untouched();
}

#[tokio::test]
async fn a_certificate_from_another_ca_fails_as_tls() {
    let server_pki = pki();
    let other = pki();
    let rx = receiver(&server_pki, OK.into()).await;
    let url = format!("https://127.0.0.1:{}/", rx.port);
    let (alerter, _stop) = start(config(&webhook(&url, "\"127.0.0.1\"", &other)));
    alerter.notify(&event(EventKind::OnBattery, 1));
    assert_eq!(settled(&alerter, 1).await, [FailReason::Tls]);
}

#[tokio::test]
async fn a_closed_port_fails_as_connect() {
    let pki = pki();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("https://127.0.0.1:{port}/");
    let (alerter, _stop) = start(config(&webhook(&url, "\"127.0.0.1\"", &pki)));
    alerter.notify(&event(EventKind::OnBattery, 1));
    assert_eq!(settled(&alerter, 1).await, [FailReason::Connect]);
}

/// The failure description goes to the log: it must not carry the URL's path or query.
#[tokio::test]
async fn failure_details_never_show_the_url() {
    let server_pki = pki();
    let other = pki();
    let rx = receiver(&server_pki, OK.into()).await;
    let url = format!(
        "https://127.0.0.1:{}/services/PATHSECRET?token=QUERYSECRET",
        rx.port
    );
    let config = config(&webhook(&url, "\"127.0.0.1\"", &other));
    let target = &config.targets[0];
    let notice = Notice::test(&target.name, SystemTime::now());
    let request = build_request(target, &notice);
    let failure = client::send(&config.guard(), target, request)
        .await
        .unwrap_err();
    assert_eq!(failure.reason, FailReason::Tls);
    assert!(failure.detail.contains("certificate"), "{}", failure.detail);
    assert!(!failure.detail.contains("SECRET"), "{}", failure.detail);
}

// === The whole exporter ===

/// GET `path` from a loopback HTTP server, with a bearer token; returns status and body.
async fn http_get(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    token: &str,
) -> (u16, String) {
    http_send(addr, method, path, token, "").await
}

/// Like [`http_get`], with a JSON body.
async fn http_send(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    token: &str,
    body: &str,
) -> (u16, String) {
    use tokio::io::AsyncReadExt;
    #[allow(clippy::disallowed_methods)] // loopback, inside a timeout
    let connect = tokio::net::TcpStream::connect(addr);
    let mut stream = tokio::time::timeout(Duration::from_secs(5), connect)
        .await
        .unwrap()
        .unwrap();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut raw))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .unwrap_or_default()
        .parse()
        .unwrap_or(0);
    (status, text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_exporter_alerts_on_battery_and_power_restored_over_https() {
    let pki = pki();
    let mut rx = receiver(&pki, OK.to_owned()).await;
    let device = upsight_sim::Device::parse("ups.status: OL\nbattery.charge: 100\n").unwrap();
    let sim = upsight_sim::Simulator::new()
        .with_device("rack".into(), device)
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    let admin = "admin-token-for-the-alert-test-0123456789";
    let text = format!(
        "interval = \"200ms\"\n[http]\nadmin_token = \"{admin}\"\nviewer_token = \"{admin}x\"\n\
         [[nut]]\naddress = \"{}\"\n{}",
        sim.addr(),
        webhook(
            &format!("https://127.0.0.1:{}/hook?k=secret", rx.port),
            "\"127.0.0.1\"",
            &pki
        )
    );
    let mut config = upsight_exporter::Config::parse(&text, &|_| None).unwrap();
    config.alerts.check_targets().await.unwrap();
    config.http.rate_limit =
        upsight_http::RateLimitConfig::try_new(Duration::from_millis(1), 10_000, 100).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = CancellationToken::new();
    let cancel = stop.clone();
    let task = tokio::spawn(upsight_exporter::run(config, listener, async move {
        cancel.cancelled().await;
    }));
    // The first poll sets the baseline (no event): flip only once the device is up.
    for _ in 0..100 {
        let (_, metrics) = http_get(addr, "GET", "/metrics", "").await;
        if metrics.contains("ups_up{ups=\"rack\"} 1") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(sim.set_var("rack", "ups.status", "OB DISCHRG"));
    let on_battery = next(&mut rx).await;
    assert_eq!(
        on_battery.json()["event"],
        "on_battery",
        "{:?}",
        on_battery.json()
    );
    assert_eq!(on_battery.json()["device"], "rack");
    assert!(sim.set_var("rack", "ups.status", "OL"));
    let on_line = next(&mut rx).await;
    assert_eq!(on_line.json()["event"], "on_line");
    let (status, metrics) = http_get(addr, "GET", "/metrics", "").await;
    assert_eq!(status, 200);
    assert!(
        metrics.contains("upsight_alert_deliveries_total{target=\"hook\",outcome=\"sent\"} 2"),
        "{metrics}"
    );
    let (status, body) = http_get(addr, "POST", "/api/v1/alerts/test", admin).await;
    assert_eq!(status, 202, "{body}");
    let test = next(&mut rx).await;
    assert!(test.body.len() > 2);
    let (status, body) = http_get(addr, "POST", "/api/v1/alerts/test", admin).await;
    assert_eq!(
        status, 429,
        "the test endpoint has its own cooldown: {body}"
    );
    assert!(body.to_ascii_lowercase().contains("retry-after:"), "{body}");
    let (status, body) = http_get(addr, "GET", "/api/v1/alerts", admin).await;
    assert_eq!(status, 200);
    assert!(
        !body.contains("secret"),
        "the URL's query is withheld: {body}"
    );
    stop.cancel();
    let _ = task.await;
}
