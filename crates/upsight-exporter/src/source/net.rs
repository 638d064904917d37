//! The one place that opens TCP connections: always with a deadline, TCP_NODELAY on.

use std::io;
use std::time::Duration;

use tokio::net::TcpStream;

/// Resolves `host:port` and connects to the first address that answers, within `timeout`
/// overall. Sets TCP_NODELAY (each request is one write; never wait for Nagle).
pub async fn connect(host: &str, port: u16, timeout: Duration) -> io::Result<TcpStream> {
    let attempt = async {
        let mut last = io::Error::new(io::ErrorKind::NotFound, format!("{host} did not resolve"));
        for addr in tokio::net::lookup_host((host, port)).await? {
            #[allow(clippy::disallowed_methods)] // this is the deadline-carrying wrapper
            match TcpStream::connect(addr).await {
                Ok(stream) => {
                    stream.set_nodelay(true)?;
                    return Ok(stream);
                }
                Err(e) => last = e,
            }
        }
        Err(last)
    };
    tokio::time::timeout(timeout, attempt).await.map_err(|_| {
        io::Error::new(
            io::ErrorKind::TimedOut,
            format!("connect timed out after {timeout:?}"),
        )
    })?
}

/// Re-arms TCP_QUICKACK before a read (Linux), so the kernel acknowledges each segment at
/// once. upsd sends every line of a LIST reply in its own segment; without this, delayed ACKs
/// stall each multi-line reply by ~40 ms (reference/nut-performance.md). Elsewhere a no-op.
pub fn rearm_quickack(stream: &TcpStream) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        // Best effort: a failure only costs latency, never correctness.
        let _ = socket2::SockRef::from(stream).set_tcp_quickack(true);
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let _ = stream;
}
