//! The counting UDP relay between each client and the snmpsim agent: packets and bytes per
//! client on the wire, both directions, on a thread whose CPU time is not counted as ours.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use tokio::net::UdpSocket;
use tokio_util::sync::CancellationToken;

/// A relay that hears nothing from its client for this long stops (it bounds the relay loop;
/// a whole run takes a few minutes).
const RELAY_IDLE: Duration = Duration::from_secs(3600);
/// Largest UDP datagram.
const MAX_DATAGRAM: usize = 65_535;

/// Datagrams and payload bytes a relay forwarded, each way.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Traffic {
    to_agent: (u64, u64),
    to_client: (u64, u64),
}

impl Traffic {
    /// Datagrams, both directions.
    pub(crate) fn packets(&self) -> u64 {
        self.to_agent.0 + self.to_client.0
    }

    /// Payload bytes, both directions.
    pub(crate) fn bytes(&self) -> u64 {
        self.to_agent.1 + self.to_client.1
    }

    /// What was forwarded after `earlier` was read.
    pub(crate) fn since(&self, earlier: &Self) -> Self {
        Self {
            to_agent: (
                self.to_agent.0 - earlier.to_agent.0,
                self.to_agent.1 - earlier.to_agent.1,
            ),
            to_client: (
                self.to_client.0 - earlier.to_client.0,
                self.to_client.1 - earlier.to_client.1,
            ),
        }
    }
}

#[derive(Debug, Default)]
struct Counters {
    to_agent_packets: AtomicU64,
    to_agent_bytes: AtomicU64,
    to_client_packets: AtomicU64,
    to_client_bytes: AtomicU64,
}

/// One client's relay: the address the client sends to, and its counters.
#[derive(Debug)]
pub(crate) struct Relay {
    pub(crate) addr: SocketAddr,
    counters: Arc<Counters>,
}

impl Relay {
    /// What this relay has forwarded so far.
    pub(crate) fn traffic(&self) -> Traffic {
        let c = &self.counters;
        Traffic {
            to_agent: (
                c.to_agent_packets.load(Ordering::Relaxed),
                c.to_agent_bytes.load(Ordering::Relaxed),
            ),
            to_client: (
                c.to_client_packets.load(Ordering::Relaxed),
                c.to_client_bytes.load(Ordering::Relaxed),
            ),
        }
    }
}

/// Two relays (ours, snmp_exporter's) on a thread of their own with its own runtime, so their
/// CPU time can be taken out of ours (`/proc/self/task/TID/stat`).
#[derive(Debug)]
pub(crate) struct RelayThread {
    pub(crate) relays: [Relay; 2],
    pub(crate) tid: u32,
    cancel: CancellationToken,
    thread: std::thread::JoinHandle<()>,
}

impl RelayThread {
    /// Binds both relays in front of `agent` and starts their thread.
    pub(crate) fn start(agent: SocketAddr) -> anyhow::Result<Self> {
        let mut sockets = Vec::new();
        let mut relays = Vec::new();
        for _ in 0..2 {
            let front = std::net::UdpSocket::bind("127.0.0.1:0")?;
            let back = std::net::UdpSocket::bind("127.0.0.1:0")?;
            back.connect(agent)?;
            front.set_nonblocking(true)?;
            back.set_nonblocking(true)?;
            let counters = Arc::new(Counters::default());
            relays.push(Relay {
                addr: front.local_addr()?,
                counters: Arc::clone(&counters),
            });
            sockets.push((front, back, counters));
        }
        let cancel = CancellationToken::new();
        let stop = cancel.clone();
        let (tid_tx, tid_rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("udp-relay".to_owned())
            .spawn(move || {
                let _ = tid_tx.send(thread_id());
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => return eprintln!("relay runtime: {e}"),
                };
                rt.block_on(async move {
                    let mut tasks = tokio::task::JoinSet::new();
                    for (front, back, counters) in sockets {
                        let stop = stop.clone();
                        tasks.spawn(async move {
                            let (Ok(front), Ok(back)) =
                                (UdpSocket::from_std(front), UdpSocket::from_std(back))
                            else {
                                return eprintln!("relay: cannot register its sockets");
                            };
                            if let Err(e) = relay(&front, &back, &counters, &stop).await {
                                eprintln!("relay stopped: {e}");
                            }
                        });
                    }
                    while tasks.join_next().await.is_some() {}
                });
            })?;
        let tid = tid_rx
            .recv_timeout(Duration::from_secs(5))
            .context("relay thread did not start")??;
        let [ours, theirs]: [Relay; 2] = relays
            .try_into()
            .map_err(|_| anyhow::anyhow!("two relays expected"))?;
        Ok(Self {
            relays: [ours, theirs],
            tid,
            cancel,
            thread,
        })
    }

    /// Stops both relays and joins their thread.
    pub(crate) fn stop(self) {
        self.cancel.cancel();
        let _ = self.thread.join();
    }
}

/// The calling thread's kernel id, from `/proc/thread-self` (a link to `PID/task/TID`).
fn thread_id() -> anyhow::Result<u32> {
    let link = std::fs::read_link("/proc/thread-self")?;
    let tid = link
        .file_name()
        .and_then(|s| s.to_str())
        .context("odd /proc/thread-self")?;
    Ok(tid.parse()?)
}

/// Forwards client → agent and agent → client, counting both ways, until cancelled or the
/// client has been silent for `RELAY_IDLE`. Answers go to the client that sent last: clients
/// poll one at a time, and snmp_exporter uses a fresh UDP socket (port) per scrape.
async fn relay(
    front: &UdpSocket,
    back: &UdpSocket,
    counters: &Counters,
    cancel: &CancellationToken,
) -> io::Result<()> {
    let mut from_client = vec![0u8; MAX_DATAGRAM];
    let mut from_agent = vec![0u8; MAX_DATAGRAM];
    let mut client: Option<SocketAddr> = None;
    loop {
        tokio::select! {
            () = cancel.cancelled() => return Ok(()),
            received = recv_from_client(front, &mut from_client) => {
                let Some((n, peer)) = received? else {
                    return Ok(()); // idle: the run is over or stuck
                };
                client = Some(peer);
                back.send(&from_client[..n]).await?;
                counters.to_agent_packets.fetch_add(1, Ordering::Relaxed);
                counters.to_agent_bytes.fetch_add(n as u64, Ordering::Relaxed);
            }
            received = back.recv(&mut from_agent) => {
                let n = received?;
                if let Some(peer) = client {
                    front.send_to(&from_agent[..n], peer).await?;
                    counters.to_client_packets.fetch_add(1, Ordering::Relaxed);
                    counters.to_client_bytes.fetch_add(n as u64, Ordering::Relaxed);
                }
            }
        }
    }
}

/// The client's next datagram and its address, or `None` after `RELAY_IDLE` of silence. A
/// relay has to learn where to send the agent's answers, so it needs `recv_from`, which the
/// workspace bans unwrapped; the deadline here is the one the ban asks for.
#[allow(clippy::disallowed_methods)]
async fn recv_from_client(
    socket: &UdpSocket,
    buf: &mut [u8],
) -> io::Result<Option<(usize, SocketAddr)>> {
    match tokio::time::timeout(RELAY_IDLE, socket.recv_from(buf)).await {
        Ok(received) => received.map(Some),
        Err(_) => Ok(None),
    }
}
