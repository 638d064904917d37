//! The timed part: `NutSource::poll()` on a warm connection, interleaved with the raw-socket
//! lower bound (the same request bytes in one write, QUICKACK re-armed before each read,
//! reading until the known reply size is in, no parsing), plus the wire count through the
//! relay.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use upsight_exporter::Config;
use upsight_exporter::source::nut::NutSource;
use upsight_exporter::source::{Source, net};
use upsight_proto::nut::Request;

use crate::cpu;
use crate::relay::{Relay, Traffic};

/// Deadline for connects and for each read of the raw client.
const IO_TIMEOUT: Duration = Duration::from_secs(5);
/// A reply larger than this is a broken peer; bounds the raw client's read loop.
const MAX_REPLY: usize = 64 << 20;
/// The raw client's read buffer (loopback segments are up to 64 KiB).
const RAW_CHUNK: usize = 64 * 1024;
/// Steady-state polls counted through the relay.
const RELAY_POLLS: usize = 20;

/// Samples of one row, in the same run.
#[derive(Debug)]
pub(crate) struct Timing {
    pub(crate) exporter: Vec<Duration>,
    pub(crate) raw: Vec<Duration>,
    /// On-CPU time of this process (every thread) over each exporter poll.
    pub(crate) exporter_cpu: Vec<Duration>,
    /// The same over each raw cycle.
    pub(crate) raw_cpu: Vec<Duration>,
    /// Times the raw reply size changed between cycles (then learned again).
    pub(crate) raw_resyncs: usize,
    /// The UPSes in `LIST UPS` order.
    pub(crate) known: Vec<String>,
    /// The request bytes of one poll, encoded with `upsight_proto`.
    pub(crate) request: Vec<u8>,
}

/// Exchanges and bytes per poll, on the wire.
#[derive(Debug)]
pub(crate) struct Wire {
    /// Exchanges of the first (discovering) poll on a fresh connection.
    pub(crate) first_poll: u64,
    /// Per steady-state poll.
    pub(crate) polls: Vec<Traffic>,
    /// The request bytes of one steady-state poll, as captured by the relay.
    pub(crate) request: Vec<u8>,
}

/// A `NutSource` in discovery mode (the default config: no `ups` list) for `addr`.
pub(crate) fn source(addr: SocketAddr) -> anyhow::Result<NutSource> {
    let text = format!("[[nut]]\naddress = \"{addr}\"\n");
    let config = Config::parse(&text, &|_| None).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    Ok(NutSource::new(config.nut[0].clone()))
}

/// One poll that must return `n` devices, all with data; returns the time it took.
async fn poll_checked(source: &mut NutSource, n: usize) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let polls = source.poll().await;
    let took = started.elapsed();
    let polls = polls.map_err(|e| anyhow::anyhow!("poll failed: {e}"))?;
    let ok = polls.iter().filter(|p| p.result.is_ok()).count();
    anyhow::ensure!(
        polls.len() == n && ok == n,
        "poll returned {} devices, {ok} with data; {n} expected",
        polls.len()
    );
    // Dropped here, after the clock stopped: the poller hands the values on to mapping.
    drop(polls);
    Ok(took)
}

/// Counts the wire through `relay` (in front of the peer): a fresh source's first poll, then
/// [`RELAY_POLLS`] steady-state polls.
pub(crate) async fn wire(relay: &Relay, n: usize) -> anyhow::Result<Wire> {
    let mut source = source(relay.addr)?;
    let before = relay.traffic();
    poll_checked(&mut source, n).await?;
    let first_poll = relay.traffic().since(before).bursts;
    poll_checked(&mut source, n).await?;
    let mut polls = Vec::with_capacity(RELAY_POLLS);
    for _ in 0..RELAY_POLLS {
        let before = relay.traffic();
        poll_checked(&mut source, n).await?;
        polls.push(relay.traffic().since(before));
    }
    Ok(Wire {
        first_poll,
        polls,
        request: relay.last_burst(),
    })
}

/// The bytes `NutSource` writes per steady-state poll in discovery mode: `LIST UPS`, then
/// `LIST VAR` for every UPS it knows, in `LIST UPS` order.
pub(crate) fn encode_poll(known: &[String]) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    Request::ListUps.encode(&mut out)?;
    for ups in known {
        Request::ListVar { ups }.encode(&mut out)?;
    }
    Ok(out)
}

/// `warmup` untimed rounds, then `iterations` rounds of one exporter poll and one raw cycle,
/// alternating which goes first, so drift on the shared machine hits both alike.
pub(crate) async fn timing(
    peer: SocketAddr,
    n: usize,
    warmup: usize,
    iterations: usize,
) -> anyhow::Result<Timing> {
    let mut source = source(peer)?;
    poll_checked(&mut source, n).await?;
    let known = source.known_devices();
    let request = encode_poll(&known)?;
    let last = known.last().context("no device discovered")?;
    let marker = format!("END LIST VAR {last}\n");
    let mut raw = RawClient::connect(peer, request.clone(), marker).await?;
    let mut timing = Timing {
        exporter: Vec::with_capacity(iterations),
        raw: Vec::with_capacity(iterations),
        exporter_cpu: Vec::with_capacity(iterations),
        raw_cpu: Vec::with_capacity(iterations),
        raw_resyncs: 0,
        known,
        request,
    };
    let overhead = cpu_overhead()?;
    for i in 0..warmup + iterations {
        let is_timed = i >= warmup;
        for is_exporter in [i % 2 == 0, i % 2 == 1] {
            let cpu_before = cpu::cpu_time("self", None)?;
            let wall = if is_exporter {
                poll_checked(&mut source, n).await?
            } else {
                raw.cycle().await?
            };
            let cpu = cpu::cpu_time("self", None)?.saturating_sub(cpu_before + overhead);
            if is_timed && is_exporter {
                timing.exporter.push(wall);
                timing.exporter_cpu.push(cpu);
            } else if is_timed {
                timing.raw.push(wall);
                timing.raw_cpu.push(cpu);
            }
        }
    }
    timing.raw_resyncs = raw.resyncs;
    Ok(timing)
}

/// What reading the CPU clocks itself costs (a directory listing and a file per thread),
/// measured back to back; taken off every CPU sample.
fn cpu_overhead() -> anyhow::Result<Duration> {
    let mut samples = Vec::with_capacity(21);
    for _ in 0..21 {
        let before = cpu::cpu_time("self", None)?;
        samples.push(cpu::cpu_time("self", None)?.saturating_sub(before));
    }
    samples.sort();
    Ok(samples[samples.len() / 2])
}

/// The lower bound: a socket, the request bytes, and a byte count.
struct RawClient {
    stream: TcpStream,
    request: Vec<u8>,
    /// The reply's last line; only it ends the reply.
    marker: Vec<u8>,
    /// Reply bytes per cycle, learned from the first cycle.
    expected: usize,
    chunk: Vec<u8>,
    tail: Vec<u8>,
    resyncs: usize,
}

impl RawClient {
    async fn connect(peer: SocketAddr, request: Vec<u8>, marker: String) -> anyhow::Result<Self> {
        let stream = net::connect(&peer.ip().to_string(), peer.port(), IO_TIMEOUT).await?;
        let mut me = Self {
            stream,
            request,
            marker: marker.into_bytes(),
            expected: usize::MAX,
            chunk: vec![0; RAW_CHUNK],
            tail: Vec::new(),
            resyncs: 0,
        };
        // Learn the size: read up to the last END line.
        me.cycle().await?;
        me.resyncs = 0;
        Ok(me)
    }

    /// One cycle: write the whole request, read until the learned byte count is in (the
    /// learning cycle reads to the last UPS's `END LIST VAR` line). Once the count is in, the
    /// reply's last bytes must be that line; if not, the reply grew: read on to the line, and
    /// learn the new count (counted as a resync).
    async fn cycle(&mut self) -> anyhow::Result<Duration> {
        let started = Instant::now();
        self.stream.write_all(&self.request).await?;
        let mut got = 0;
        self.tail.clear();
        loop {
            net::rearm_quickack(&self.stream);
            let read = tokio::time::timeout(IO_TIMEOUT, self.stream.read(&mut self.chunk)).await;
            let n = read.with_context(|| {
                format!("raw client: {got} of {} reply bytes in time", self.expected)
            })??;
            anyhow::ensure!(n > 0, "peer closed the connection mid-reply");
            got += n;
            keep_tail(&mut self.tail, &self.chunk[..n], self.marker.len());
            let is_learning = self.expected == usize::MAX;
            if (got >= self.expected || is_learning) && self.tail.ends_with(&self.marker) {
                break;
            }
            anyhow::ensure!(got < MAX_REPLY, "reply exceeds {MAX_REPLY} bytes");
        }
        let took = started.elapsed();
        if got != self.expected {
            self.resyncs += 1;
            self.expected = got;
        }
        Ok(took)
    }
}

/// Keeps the last `keep` bytes of the stream in `tail`.
fn keep_tail(tail: &mut Vec<u8>, bytes: &[u8], keep: usize) {
    if bytes.len() >= keep {
        tail.clear();
        tail.extend_from_slice(&bytes[bytes.len() - keep..]);
    } else {
        tail.extend_from_slice(bytes);
        let excess = tail.len().saturating_sub(keep);
        tail.drain(..excess);
    }
}
