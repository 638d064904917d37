//! A simulated SNMP v1/v2c agent: serves `.snmprec` recordings over UDP, one device per
//! community string (as snmpsim does: community = device name), with per-device faults and a
//! power-outage switch for whichever UPS MIB a recording carries.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use upsight_proto::snmp::snmprec::parse_snmprec;
//! use upsight_sim::snmp::{SnmpAgent, demo_snmp_devices};
//! let mut agent = SnmpAgent::new();
//! for (community, bytes) in demo_snmp_devices() {
//!     agent = agent.with_device(community, parse_snmprec(bytes)?);
//! }
//! let handle = agent.bind("127.0.0.1:0").await?;
//! println!("snmpbulkwalk -v2c -c closet-apc {} .1", handle.local_addr());
//! handle.set_on_battery("closet-apc", true);
//! # Ok(()) }
//! ```

mod battery;
mod demo;
mod responder;
mod transport;

use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use upsight_proto::snmp::snmprec::Recording;
use upsight_proto::snmp::{Oid, Value};

pub use demo::{agent as demo_agent, demo_snmp_devices, outage_loop as demo_outage_loop};

/// Response varbinds allowed by default (GETBULK is cut there; larger GET/SET are tooBig).
pub const DEFAULT_MAX_VARBINDS: usize = 64;

/// Largest response sent: bigger ones become tooBig (GETBULK is shortened instead).
pub const MAX_RESPONSE_BYTES: usize = 65_000;

/// A per-device (per-community) misbehaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnmpFault {
    /// Requests are dropped (an agent that is down or firewalled).
    Silent,
    /// Each response is sent this long after the request (other devices are not held up).
    Late(Duration),
    /// Responses carry request-id + 1 (a broken agent a manager must not believe).
    WrongRequestId,
    /// Responses are random bytes that are not BER.
    Garbage,
}

/// Builder: the devices to serve and the agent's limits.
#[derive(Debug)]
pub struct SnmpAgent {
    devices: Vec<(String, Recording)>,
    max_varbinds: usize,
    shutdown: Option<CancellationToken>,
}

impl Default for SnmpAgent {
    fn default() -> Self {
        Self {
            devices: Vec::new(),
            max_varbinds: DEFAULT_MAX_VARBINDS,
            shutdown: None,
        }
    }
}

impl SnmpAgent {
    /// An agent with no devices.
    pub fn new() -> Self {
        Self::default()
    }

    /// Serves `recording` to requests with community `community`.
    pub fn with_device(mut self, community: &str, recording: Recording) -> Self {
        self.devices.push((community.to_owned(), recording));
        self
    }

    /// Caps the varbinds in one response (at least 1).
    pub fn with_max_varbinds(mut self, max_varbinds: usize) -> Self {
        self.max_varbinds = max_varbinds.max(1);
        self
    }

    /// Also stops when `shutdown` is cancelled (the agent always stops when the last
    /// [`SnmpHandle`] clone is dropped).
    pub fn with_shutdown(mut self, shutdown: CancellationToken) -> Self {
        self.shutdown = Some(shutdown);
        self
    }

    /// Binds a UDP socket on `addr` and starts answering. A community given twice is refused.
    pub async fn bind(self, addr: &str) -> io::Result<SnmpHandle> {
        let mut devices = BTreeMap::new();
        for (community, recording) in self.devices {
            let device = AgentDevice {
                mib: recording.entries.into_iter().collect(),
                fault: None,
                on_battery_since: None,
            };
            if devices
                .insert(community.clone().into_bytes(), device)
                .is_some()
            {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("community {community:?} given twice"),
                ));
            }
        }
        let socket = UdpSocket::bind(addr).await?;
        let addr = socket.local_addr()?;
        let shared = Arc::new(Shared {
            devices: Mutex::new(devices),
            max_varbinds: self.max_varbinds,
            requests_received: AtomicU64::new(0),
            responses_sent: AtomicU64::new(0),
        });
        let cancel = self
            .shutdown
            .map_or_else(CancellationToken::new, |parent| parent.child_token());
        let mut tasks = JoinSet::new();
        tasks.spawn(transport::serve(
            socket,
            Arc::clone(&shared),
            cancel.clone(),
        ));
        Ok(SnmpHandle {
            addr,
            shared,
            running: Arc::new(Running {
                cancel,
                _tasks: Mutex::new(tasks),
            }),
        })
    }
}

/// A running agent. Clones share it; it stops when the last clone is dropped or on
/// [`SnmpHandle::shutdown`]. Devices are named by their community string.
#[derive(Debug, Clone)]
pub struct SnmpHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    running: Arc<Running>,
}

impl SnmpHandle {
    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Sets (or adds) one object of a device. Returns false for an unknown device.
    pub fn set_value(&self, device: &str, oid: Oid, value: Value) -> bool {
        self.with_device(device, |d| {
            d.mib.insert(oid, value);
        })
        .is_some()
    }

    /// A device's current value of `oid`.
    pub fn value(&self, device: &str, oid: &Oid) -> Option<Value> {
        self.with_device(device, |d| d.mib.get(oid).cloned())
            .flatten()
    }

    /// Sets or clears a device's fault. Returns false for an unknown device.
    pub fn set_fault(&self, device: &str, fault: Option<SnmpFault>) -> bool {
        self.with_device(device, |d| d.fault = fault).is_some()
    }

    /// Puts a device on battery or back on mains by flipping the power-source objects its
    /// recording has (UPS-MIB, APC PowerNet, CyberPower, Eaton XUPS); time-on-battery
    /// objects then count up while it stays on battery. Returns how many objects changed,
    /// or `None` for an unknown device.
    pub fn set_on_battery(&self, device: &str, is_on_battery: bool) -> Option<usize> {
        let now = Instant::now();
        self.with_device(device, |d| battery::set_on_battery(d, is_on_battery, now))
    }

    /// Datagrams received so far (all devices, including ones that were not answered).
    pub fn requests_received(&self) -> u64 {
        self.shared.requests_received.load(Ordering::Relaxed)
    }

    /// Datagrams sent so far (including wrong-id and garbage responses).
    pub fn responses_sent(&self) -> u64 {
        self.shared.responses_sent.load(Ordering::Relaxed)
    }

    /// Stops answering (for every clone).
    pub fn shutdown(&self) {
        self.running.cancel.cancel();
    }

    fn with_device<T>(&self, device: &str, f: impl FnOnce(&mut AgentDevice) -> T) -> Option<T> {
        lock(&self.shared.devices).get_mut(device.as_bytes()).map(f)
    }
}

/// Keeps the serving task alive while any handle does.
#[derive(Debug)]
struct Running {
    cancel: CancellationToken,
    _tasks: Mutex<JoinSet<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// What the socket task and the handles share.
#[derive(Debug)]
struct Shared {
    devices: Mutex<BTreeMap<Vec<u8>, AgentDevice>>,
    max_varbinds: usize,
    requests_received: AtomicU64,
    responses_sent: AtomicU64,
}

/// One served device: its objects in walk order and its injected state.
#[derive(Debug)]
struct AgentDevice {
    mib: BTreeMap<Oid, Value>,
    fault: Option<SnmpFault>,
    on_battery_since: Option<Instant>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
