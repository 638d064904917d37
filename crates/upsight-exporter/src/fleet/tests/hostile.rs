//! A hostile plane on a raw socket: it answers a registration with an endless chunked body.
//! The client must stop reading at the cap and say so, instead of buffering or timing out.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{Client, Reason, RegisterRequestV1, SOFTWARE_VERSION, Version, WAIT, settings};

#[tokio::test]
async fn an_endless_answer_is_cut_at_the_cap() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        read_request(&mut stream).await;
        let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                    transfer-encoding: chunked\r\n\r\n";
        stream.write_all(head.as_bytes()).await.unwrap();
        let chunk = format!("2000\r\n{}\r\n", "x".repeat(0x2000));
        let mut sent = 0usize;
        // Stops when the client hangs up, or at 64 MiB if it never does.
        while sent < 64 << 20 && stream.write_all(chunk.as_bytes()).await.is_ok() {
            sent += 0x2000;
        }
        sent
    });
    let client =
        Client::try_new(&settings(&format!("http://{addr}"), Duration::from_secs(5))).unwrap();
    let request = RegisterRequestV1 {
        version: Version,
        identity: "rack-7".parse().unwrap(),
        group: "g".parse().unwrap(),
        software_version: SOFTWARE_VERSION.into(),
        scrape_target: None,
        lease: None,
    };
    let failure = client.send_register(&request).await.unwrap_err();
    assert_eq!(failure.reason, Reason::InvalidResponse, "{failure:?}");
    assert!(failure.detail.contains("larger than 65536"), "{failure:?}");
    drop(client);
    let sent = tokio::time::timeout(WAIT, server).await.unwrap().unwrap();
    assert!(
        sent < 64 << 20,
        "the client hung up instead of reading on ({sent} bytes)"
    );
}

/// Reads one request (head, then a `content-length` body) so the answer follows it.
async fn read_request(stream: &mut tokio::net::TcpStream) {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1024];
    loop {
        let n = stream.read(&mut byte).await.unwrap();
        assert!(n > 0, "the client hung up before its request");
        buf.extend_from_slice(&byte[..n]);
        let text = String::from_utf8_lossy(&buf).to_lowercase();
        let Some(end) = text.find("\r\n\r\n") else {
            continue;
        };
        let len: usize = text
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .map_or(0, |v| v.trim().parse().unwrap());
        if buf.len() >= end + 4 + len {
            return;
        }
    }
}
