//! The counting TCP relay between `NutSource` and a peer, on 127.0.0.1 and on a thread of its
//! own: it counts client→server bursts (client data after server data, or the first), bytes
//! each way, and keeps the last burst's bytes (the exact request of the last exchange).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use upsight_exporter::source::net;

/// Deadline for the relay's connect to the peer.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Read buffer per direction: a whole pipelined request of 1 000 UPSes (17 KiB) fits, so one
/// client write is read as one burst.
const BUFFER: usize = 256 * 1024;

/// What the relay has forwarded so far.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Traffic {
    /// Client→server bursts.
    pub(crate) bursts: u64,
    /// Bytes client→server.
    pub(crate) up: u64,
    /// Bytes server→client.
    pub(crate) down: u64,
}

impl Traffic {
    /// What was forwarded after `earlier`.
    pub(crate) fn since(self, earlier: Self) -> Self {
        Self {
            bursts: self.bursts - earlier.bursts,
            up: self.up - earlier.up,
            down: self.down - earlier.down,
        }
    }
}

#[derive(Debug, Default)]
struct Counters {
    bursts: AtomicU64,
    up: AtomicU64,
    down: AtomicU64,
    last_burst: Mutex<Vec<u8>>,
}

impl Counters {
    /// Counts client bytes; a new burst starts the captured request afresh.
    fn record_up(&self, bytes: &[u8], is_new_burst: bool) {
        if let Ok(mut last) = self.last_burst.lock() {
            if is_new_burst {
                last.clear();
            }
            last.extend_from_slice(bytes);
        }
        if is_new_burst {
            self.bursts.fetch_add(1, Ordering::SeqCst);
        }
        self.up.fetch_add(bytes.len() as u64, Ordering::SeqCst);
    }
}

/// A relay in front of one peer; stops and joins its thread on drop.
#[derive(Debug)]
pub(crate) struct Relay {
    /// Where clients connect.
    pub(crate) addr: SocketAddr,
    counters: Arc<Counters>,
    cancel: CancellationToken,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Relay {
    /// Binds 127.0.0.1:0 and relays every connection to `peer`.
    pub(crate) fn start(peer: SocketAddr) -> anyhow::Result<Self> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let counters = Arc::new(Counters::default());
        let cancel = CancellationToken::new();
        let (shared, stop) = (Arc::clone(&counters), cancel.clone());
        let thread = std::thread::Builder::new()
            .name("tcp-relay".to_owned())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                match runtime {
                    Ok(rt) => rt.block_on(accept_loop(listener, peer, shared, stop)),
                    Err(e) => eprintln!("relay runtime: {e}"),
                }
            })?;
        Ok(Self {
            addr,
            counters,
            cancel,
            thread: Some(thread),
        })
    }

    /// The counters now.
    pub(crate) fn traffic(&self) -> Traffic {
        let c = &self.counters;
        Traffic {
            bursts: c.bursts.load(Ordering::SeqCst),
            up: c.up.load(Ordering::SeqCst),
            down: c.down.load(Ordering::SeqCst),
        }
    }

    /// The bytes of the last client→server burst.
    pub(crate) fn last_burst(&self) -> Vec<u8> {
        self.counters
            .last_burst
            .lock()
            .map(|b| b.clone())
            .unwrap_or_default()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.cancel.cancel();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn accept_loop(
    listener: std::net::TcpListener,
    peer: SocketAddr,
    counters: Arc<Counters>,
    cancel: CancellationToken,
) {
    let Ok(listener) = TcpListener::from_std(listener) else {
        return eprintln!("relay: cannot register its listener");
    };
    let mut tasks = tokio::task::JoinSet::new();
    loop {
        let accepted = tokio::select! {
            () = cancel.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let Ok((client, _)) = accepted else { continue };
        let (counters, cancel) = (Arc::clone(&counters), cancel.clone());
        tasks.spawn(async move {
            if let Err(e) = relay(client, peer, &counters, &cancel).await {
                eprintln!("relay: connection ended: {e:#}");
            }
        });
        while tasks.try_join_next().is_some() {}
    }
    tasks.abort_all();
    while tasks.join_next().await.is_some() {}
}

/// Forwards both ways until either side closes or the relay is cancelled.
async fn relay(
    mut client: TcpStream,
    peer: SocketAddr,
    counters: &Counters,
    cancel: &CancellationToken,
) -> anyhow::Result<()> {
    client.set_nodelay(true)?;
    let mut server = net::connect(&peer.ip().to_string(), peer.port(), CONNECT_TIMEOUT)
        .await
        .context("relay connect")?;
    let (mut up_buf, mut down_buf) = (vec![0u8; BUFFER], vec![0u8; BUFFER]);
    let mut last_was_client = false;
    loop {
        // The relay is upsd's client: without QUICKACK its delayed ACKs would stall upsd's
        // line-per-segment replies (not timed here, but it keeps the counting pass short).
        net::rearm_quickack(&server);
        net::rearm_quickack(&client);
        tokio::select! {
            () = cancel.cancelled() => return Ok(()),
            read = client.read(&mut up_buf) => {
                let n = read?;
                if n == 0 {
                    return Ok(());
                }
                counters.record_up(&up_buf[..n], !last_was_client);
                last_was_client = true;
                server.write_all(&up_buf[..n]).await?;
            }
            read = server.read(&mut down_buf) => {
                let n = read?;
                if n == 0 {
                    return Ok(());
                }
                last_was_client = false;
                counters.down.fetch_add(n as u64, Ordering::SeqCst);
                client.write_all(&down_buf[..n]).await?;
            }
        }
    }
}
