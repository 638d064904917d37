//! The server loop over real loopback sockets: the connection cap, the header-read timeout
//! (silent, trickling and idle kept-alive connections), the head size cap, the write-stall
//! deadline, `ConnectInfo`, and graceful shutdown. Timeouts are short (a few hundred ms) and
//! every wait is bounded; nothing asserts on elapsed time.
#![allow(clippy::unwrap_used)] // test helpers may panic: a panic is a test failure
#![allow(
    clippy::disallowed_methods,
    reason = "test clients on loopback, each connect and read bounded by a timeout"
)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::ConnectInfo;
use axum::routing::get;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use upsight_http::{
    Credentials, DropReason, Exposure, Hardening, HttpConfig, Limits, RateLimitConfig,
    SecurityCounters,
};

/// Every wait of these tests ends after this, whatever the server does.
const BOUND: Duration = Duration::from_secs(10);
const BIG: usize = 64 * 1024 * 1024;

struct Server {
    addr: SocketAddr,
    counters: Arc<SecurityCounters>,
    release: Arc<Notify>,
    entered: Arc<Notify>,
    stop: CancellationToken,
    task: JoinHandle<()>,
}

async fn start(limits: Limits) -> Server {
    let release = Arc::new(Notify::new());
    let entered = Arc::new(Notify::new());
    let (r, e) = (Arc::clone(&release), Arc::clone(&entered));
    let routes = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/peer",
            get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.to_string() }),
        )
        .route("/big", get(|| async { Bytes::from(vec![b'x'; BIG]) }))
        .route(
            "/wait",
            get(move || async move {
                e.notify_one();
                r.notified().await;
                "done"
            }),
        );
    let mut config = HttpConfig::new(Credentials::default(), Exposure::Loopback);
    config.rate_limit = RateLimitConfig::try_new(Duration::from_millis(1), 10_000, 100).unwrap();
    config.limits = limits;
    let hardening = Hardening::new(config).open(routes);
    let counters = hardening.counters();
    let app = hardening.build();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = CancellationToken::new();
    let shutdown = stop.clone().cancelled_owned();
    let task = tokio::spawn(upsight_http::serve(
        listener,
        app,
        limits,
        Arc::clone(&counters),
        shutdown,
    ));
    Server {
        addr,
        counters,
        release,
        entered,
        stop,
        task,
    }
}

fn limits(header_read_timeout: Duration) -> Limits {
    Limits {
        header_read_timeout,
        ..Limits::default()
    }
}

async fn connect(addr: SocketAddr) -> TcpStream {
    tokio::time::timeout(BOUND, TcpStream::connect(addr))
        .await
        .unwrap()
        .unwrap()
}

/// Reads until the server closes (or resets) the connection; what arrived before that.
async fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
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
        .expect("the server closes the connection");
    got
}

/// One request on a fresh `Connection: close` connection; the whole answer.
async fn get_once(addr: SocketAddr, path: &str) -> String {
    let mut stream = connect(addr).await;
    let head = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    // A connection over the cap may be closed before the request is written.
    let _ = stream.write_all(head.as_bytes()).await;
    String::from_utf8_lossy(&read_until_closed(&mut stream).await).into_owned()
}

/// Reads one `Content-Length` answer from a kept-alive connection.
async fn read_response(stream: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let read = async {
        loop {
            let n = stream.read(&mut buf).await.unwrap();
            assert!(n > 0, "closed before the answer");
            got.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&got);
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let len = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length: "))
                    .and_then(|v| v.parse::<usize>().ok())
                    .unwrap();
                if body.len() >= len {
                    return text.into_owned();
                }
            }
        }
    };
    tokio::time::timeout(BOUND, read).await.unwrap()
}

/// Waits (bounded) until the counter for `reason` reaches `at_least`.
async fn counted(counters: &SecurityCounters, reason: DropReason, at_least: u64) -> u64 {
    let wait = async {
        while counters.dropped(reason) < at_least {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let _ = tokio::time::timeout(BOUND, wait).await;
    counters.dropped(reason)
}

#[tokio::test]
async fn a_silent_connection_is_closed_while_others_are_served() {
    let server = start(limits(Duration::from_millis(300))).await;
    let mut silent = connect(server.addr).await;
    let answer = get_once(server.addr, "/healthz").await;
    assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
    assert!(read_until_closed(&mut silent).await.is_empty());
    assert_eq!(
        counted(&server.counters, DropReason::HeaderTimeout, 1).await,
        1
    );
}

#[tokio::test]
async fn a_trickled_head_is_cut_off_at_the_header_timeout() {
    let server = start(limits(Duration::from_millis(300))).await;
    let mut slow = connect(server.addr).await;
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .unwrap();
    let trickle = async {
        // One header byte every 50 ms: the head would take 2 s; the server must not wait.
        for b in b"X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n" {
            if slow.write_all(&[*b]).await.is_err() {
                return true;
            }
            let mut probe = [0u8; 64];
            let closed = tokio::time::timeout(Duration::from_millis(50), slow.peek(&mut probe));
            if let Ok(Ok(0) | Err(_)) = closed.await {
                return true;
            }
        }
        false
    };
    let was_cut = tokio::time::timeout(BOUND, trickle).await.unwrap();
    assert!(was_cut, "the server waited for the whole trickled head");
    assert!(read_until_closed(&mut slow).await.is_empty(), "no answer");
    assert_eq!(
        counted(&server.counters, DropReason::HeaderTimeout, 1).await,
        1
    );
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed_without_counting_it() {
    let server = start(limits(Duration::from_millis(300))).await;
    let mut stream = connect(server.addr).await;
    for _ in 0..2 {
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .await
            .unwrap();
        let answer = read_response(&mut stream).await;
        assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
    }
    assert!(read_until_closed(&mut stream).await.is_empty());
    let answer = get_once(server.addr, "/healthz").await;
    assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
    assert_eq!(server.counters.dropped(DropReason::HeaderTimeout), 0);
}

#[tokio::test]
async fn connections_over_the_cap_are_closed_at_once_and_counted() {
    let server = start(Limits {
        max_connections: 4,
        ..limits(Duration::from_secs(30))
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..4 {
        let mut stream = connect(server.addr).await;
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .await
            .unwrap();
        read_response(&mut stream).await;
        held.push(stream);
    }
    for _ in 0..3 {
        let answer = get_once(server.addr, "/healthz").await;
        assert!(answer.is_empty(), "over the cap: {answer}");
    }
    assert_eq!(counted(&server.counters, DropReason::OverCap, 3).await, 3);
    drop(held.pop());
    let served = async {
        loop {
            let answer = get_once(server.addr, "/healthz").await;
            if answer.starts_with("HTTP/1.1 200 ") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(BOUND, served)
        .await
        .expect("a freed slot serves a new client");
}

#[tokio::test]
async fn an_oversized_head_or_url_is_431_and_closed() {
    let server = start(Limits {
        max_header_bytes: 8192,
        ..Limits::default()
    })
    .await;
    let big_header = format!("X-Big: {}", "a".repeat(20_000));
    let many: Vec<String> = (0..150).map(|i| format!("X-H{i}: v")).collect();
    let long_url = format!("/healthz?{}", "q".repeat(20_000));
    for (path, extra) in [
        ("/healthz", big_header.as_str()),
        ("/healthz", many.join("\r\n").as_str()),
        (long_url.as_str(), "X-Ok: 1"),
    ] {
        let mut stream = connect(server.addr).await;
        let head = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}\r\n\r\n");
        // The server may close while we are still writing: that is an answer too.
        let _ = stream.write_all(head.as_bytes()).await;
        let answer = String::from_utf8_lossy(&read_until_closed(&mut stream).await).into_owned();
        assert!(answer.starts_with("HTTP/1.1 431 "), "{answer}");
    }
    assert_eq!(
        counted(&server.counters, DropReason::HeadTooLarge, 3).await,
        3
    );
    let fits = format!("X-Fits: {}", "a".repeat(6000));
    let mut stream = connect(server.addr).await;
    let head = format!("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n{fits}\r\n\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    assert!(
        read_response(&mut stream)
            .await
            .starts_with("HTTP/1.1 200 ")
    );
}

#[tokio::test]
async fn a_client_that_stops_reading_is_dropped() {
    let server = start(limits(Duration::from_millis(300))).await;
    let mut stream = connect(server.addr).await;
    stream
        .write_all(b"GET /big HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(
        counted(&server.counters, DropReason::WriteStall, 1).await,
        1
    );
    let got = read_until_closed(&mut stream).await;
    assert!(got.len() < BIG, "the whole body was sent: {}", got.len());
}

#[tokio::test]
async fn every_request_carries_its_peer_address() {
    let server = start(Limits::default()).await;
    let mut stream = connect(server.addr).await;
    let local = stream.local_addr().unwrap();
    stream
        .write_all(b"GET /peer HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let answer = String::from_utf8_lossy(&read_until_closed(&mut stream).await).into_owned();
    assert!(answer.ends_with(&local.to_string()), "{answer}");
}

#[tokio::test]
async fn shutdown_lets_the_in_flight_request_finish_and_stops_accepting() {
    let server = start(Limits::default()).await;
    let mut idle = connect(server.addr).await;
    let mut busy = connect(server.addr).await;
    busy.write_all(b"GET /wait HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    tokio::time::timeout(BOUND, server.entered.notified())
        .await
        .unwrap();
    server.stop.cancel();
    assert!(read_until_closed(&mut idle).await.is_empty(), "idle closed");
    server.release.notify_one();
    let answer = String::from_utf8_lossy(&read_until_closed(&mut busy).await).into_owned();
    assert!(
        answer.starts_with("HTTP/1.1 200 ") && answer.ends_with("done"),
        "{answer}"
    );
    tokio::time::timeout(BOUND, server.task)
        .await
        .unwrap()
        .unwrap();
    let refused = tokio::time::timeout(BOUND, TcpStream::connect(server.addr)).await;
    assert!(matches!(refused, Ok(Err(_))), "the listener is closed");
}
