//! Shared fixtures: a generated PKI, an HTTPS receiver, a connection trap, alerter config
//! and lifecycle helpers, and a raw HTTP client for the exporter's own server.

use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use upsight_exporter::alert::{AlertConfig, Alerter, FailReason, Outcome, RawAlerts};
use upsight_model::{Event, EventKind};

// === PKI ===

/// A CA and a server configuration for 127.0.0.1 and localhost signed by it.
pub(crate) struct Pki {
    pub(crate) ca_file: tempfile::NamedTempFile,
    pub(crate) server: Arc<rustls::ServerConfig>,
}

pub(crate) fn pki() -> Pki {
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
pub(crate) struct Received {
    pub(crate) request_line: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Received {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// A minimal HTTPS/1.1 receiver on 127.0.0.1 answering every request with `reply` (a full
/// status line and headers, e.g. a redirect).
pub(crate) struct Receiver {
    pub(crate) port: u16,
    pub(crate) requests: mpsc::UnboundedReceiver<Received>,
}

pub(crate) const OK: &str = "HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";

pub(crate) async fn receiver(pki: &Pki, reply: String) -> Receiver {
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

pub(crate) async fn read_request(
    stream: &mut (impl tokio::io::AsyncRead + Unpin),
) -> Option<Received> {
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

pub(crate) async fn next(rx: &mut Receiver) -> Received {
    tokio::time::timeout(Duration::from_secs(10), rx.requests.recv())
        .await
        .expect("no request within 10 s")
        .unwrap()
}

// === Trap ===

/// A listening socket nobody accepts on: connections pile up in its backlog.
pub(crate) struct Trap(std::net::TcpListener);

impl Trap {
    pub(crate) fn new() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        Self(listener)
    }

    pub(crate) fn port(&self) -> u16 {
        self.0.local_addr().unwrap().port()
    }

    pub(crate) fn assert_untouched(&self) {
        match self.0.accept() {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            other => panic!("something connected to the trap: {other:?}"),
        }
    }
}

// === Alerter ===

pub(crate) fn config(text: &str) -> AlertConfig {
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

pub(crate) fn webhook(url: &str, allow: &str, ca: &Pki) -> String {
    format!(
        "[alerts]\nallow_private = [{allow}]\n[[alerts.targets]]\nname = \"hook\"\nkind = \"webhook\"\n\
         url = \"{url}\"\nca_file = {:?}\n",
        ca.ca_file.path()
    )
}

/// The alerter with its worker running; dropping the token's guard stops it.
pub(crate) fn start(config: AlertConfig) -> (Alerter, tokio_util::sync::DropGuard) {
    let (alerter, worker) = Alerter::new(config);
    let cancel = CancellationToken::new();
    tokio::spawn(worker.run(cancel.clone()));
    (alerter, cancel.drop_guard())
}

pub(crate) fn event(kind: EventKind, seq: u64) -> Event {
    Event {
        device: "rack".parse().unwrap(),
        kind,
        at: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        detail: None,
        seq,
    }
}

pub(crate) fn count(alerter: &Alerter, outcome: Outcome) -> u64 {
    alerter
        .deliveries()
        .iter()
        .filter(|(_, o, _)| *o == outcome)
        .map(|(_, _, c)| c)
        .sum()
}

/// Waits (bounded) until the worker has finished `n` deliveries, then returns the failure
/// reasons seen.
pub(crate) async fn settled(alerter: &Alerter, n: u64) -> Vec<FailReason> {
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

// === HTTP ===

/// GET `path` from a loopback HTTP server, with a bearer token; returns status and body.
pub(crate) async fn http_get(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    token: &str,
) -> (u16, String) {
    http_send(addr, method, path, token, "").await
}

/// Like [`http_get`], with a JSON body.
pub(crate) async fn http_send(
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
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
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
