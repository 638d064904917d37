//! One keep-alive HTTP/1.1 connection from a chosen loopback source address (hyper's
//! connection-level client: no pool, no URL parsing per request), and `/readyz` polling.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use axum::body::Bytes;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use axum::http::{HeaderValue, Method, Request, StatusCode};
use http_body_util::{BodyExt as _, Empty, Full};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpSocket;
use tokio::task::JoinHandle;

/// Deadline for a connect and for one request/response.
const IO_TIMEOUT: Duration = Duration::from_secs(15);

/// One open connection; its driver task is aborted on drop.
#[derive(Debug)]
pub(crate) struct Conn {
    sender: http1::SendRequest<Full<Bytes>>,
    host: HeaderValue,
    bearer: HeaderValue,
    driver: JoinHandle<()>,
}

impl Conn {
    /// Connects to `server` from `source` (any 127/8 address; the plane keys its per-IP limit
    /// and its duplicate-identity check by it), sending `token` as the bearer on every request.
    pub(crate) async fn open(
        server: SocketAddr,
        source: IpAddr,
        token: &str,
    ) -> anyhow::Result<Self> {
        let socket = TcpSocket::new_v4()?;
        socket.bind(SocketAddr::new(source, 0))?;
        let stream = tokio::time::timeout(IO_TIMEOUT, socket.connect(server))
            .await
            .context("connect timed out")?
            .with_context(|| format!("connect {server} from {source}"))?;
        stream.set_nodelay(true)?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
        let driver = tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(Self {
            sender,
            host: HeaderValue::from_str(&server.to_string())?,
            bearer: HeaderValue::from_str(&format!("Bearer {token}"))?,
            driver,
        })
    }

    /// `POST path` with a JSON `body`: the status and the whole response body.
    pub(crate) async fn post(
        &mut self,
        path: &'static str,
        body: Bytes,
    ) -> anyhow::Result<(StatusCode, Bytes)> {
        let request = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(HOST, self.host.clone())
            .header(AUTHORIZATION, self.bearer.clone())
            .header(CONTENT_TYPE, "application/json")
            .body(Full::new(body))?;
        tokio::time::timeout(IO_TIMEOUT, async {
            self.sender.ready().await?;
            let response = self.sender.send_request(request).await?;
            let status = response.status();
            let bytes = response.into_body().collect().await?.to_bytes();
            Ok((status, bytes))
        })
        .await
        .with_context(|| format!("POST {path} timed out"))?
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

/// Opens `n` connections to `server`, the `i`-th from [`source_ip`]`(i)`.
pub(crate) async fn open_all(
    server: SocketAddr,
    n: usize,
    token: &str,
) -> anyhow::Result<Vec<Conn>> {
    let mut conns = Vec::with_capacity(n);
    for i in 0..n {
        conns.push(Conn::open(server, source_ip(i), token).await?);
    }
    Ok(conns)
}

/// The loopback source address of connection `i`: 127.0.2.1, 127.0.2.2, …
pub(crate) fn source_ip(i: usize) -> IpAddr {
    let i = u8::try_from(i + 1).expect("at most 255 connections");
    IpAddr::from([127, 0, 2, i])
}

/// One `GET path` on a fresh connection: the status, or an error when nothing answers.
async fn get_status(server: SocketAddr, path: &str) -> anyhow::Result<StatusCode> {
    let socket = TcpSocket::new_v4()?;
    let stream = tokio::time::timeout(IO_TIMEOUT, socket.connect(server)).await??;
    let (mut sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
    let driver = tokio::spawn(async move {
        let _ = connection.await;
    });
    let request = Request::get(path)
        .header(HOST, server.to_string())
        .body(Empty::<Bytes>::new())?;
    let status = tokio::time::timeout(IO_TIMEOUT, sender.send_request(request))
        .await??
        .status();
    driver.abort();
    Ok(status)
}

/// Polls `GET /readyz` every `pause` until it answers 200 or `deadline` passes: the time from
/// `started` to the first 200.
pub(crate) async fn wait_ready(
    server: SocketAddr,
    started: Instant,
    pause: Duration,
    deadline: Duration,
) -> anyhow::Result<Duration> {
    while started.elapsed() < deadline {
        if let Ok(StatusCode::OK) = get_status(server, "/readyz").await {
            return Ok(started.elapsed());
        }
        tokio::time::sleep(pause).await;
    }
    anyhow::bail!("{server} not ready after {deadline:?}")
}
