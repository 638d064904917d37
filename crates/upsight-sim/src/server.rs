//! The simulator's TCP server: accepts connections on loopback (or any address the caller
//! binds) and answers NUT commands from the shared world.

mod session;

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinSet;

use crate::devfile::{Device, Scenario};
use crate::world::{Fault, ServerFault, SimDevice, World};

/// Builder: the devices to serve.
#[derive(Debug, Default)]
pub struct Simulator {
    devices: Vec<(String, String, Scenario)>,
}

impl Simulator {
    /// An empty simulator.
    pub fn new() -> Self {
        Self::default()
    }

    /// Serves a static device.
    pub fn with_device(self, name: String, device: Device) -> Self {
        let scenario = Scenario {
            steps: vec![crate::Step {
                set: device.vars,
                hold: Duration::ZERO,
            }],
        };
        self.with_scenario(name, scenario)
    }

    /// Serves a device that plays `scenario` in a loop.
    pub fn with_scenario(mut self, name: String, scenario: Scenario) -> Self {
        let description = format!("upsight simulated {name}");
        self.devices.push((name, description, scenario));
        self
    }

    /// Sets the `LIST UPS` description of the most recently added device.
    pub fn described(mut self, description: &str) -> Self {
        if let Some(last) = self.devices.last_mut() {
            last.1 = description.to_owned();
        }
        self
    }

    /// Binds `addr` and starts serving. Everything stops when the handle is dropped.
    pub async fn bind(self, addr: &str) -> io::Result<SimHandle> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let world = Arc::new(Mutex::new(World::default()));
        let mut tasks = JoinSet::new();
        {
            let mut w = lock(&world);
            for (name, description, scenario) in self.devices {
                let mut vars = std::collections::BTreeMap::new();
                if let Some(first) = scenario.steps.first() {
                    vars.extend(first.set.iter().cloned());
                }
                w.devices.insert(
                    name.clone(),
                    SimDevice {
                        description,
                        vars,
                        fault: None,
                    },
                );
                if scenario.is_dynamic() {
                    tasks.spawn(play(Arc::clone(&world), name, scenario));
                }
            }
        }
        tasks.spawn(session::accept_loop(listener, Arc::clone(&world)));
        Ok(SimHandle {
            addr,
            world,
            _tasks: tasks,
        })
    }
}

/// A running simulator. Dropping it stops the server and every scenario.
#[derive(Debug)]
pub struct SimHandle {
    addr: SocketAddr,
    world: Arc<Mutex<World>>,
    _tasks: JoinSet<()>,
}

impl SimHandle {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Sets or clears a device fault. Returns false for an unknown device.
    pub fn set_fault(&self, device: &str, fault: Option<Fault>) -> bool {
        let mut w = lock(&self.world);
        w.devices.get_mut(device).map(|d| d.fault = fault).is_some()
    }

    /// Sets or clears the server-wide fault.
    pub fn set_server_fault(&self, fault: Option<ServerFault>) {
        lock(&self.world).server_fault = fault;
    }

    /// Sets one variable of a device. Returns false for an unknown device.
    pub fn set_var(&self, device: &str, var: &str, value: &str) -> bool {
        let mut w = lock(&self.world);
        w.devices
            .get_mut(device)
            .map(|d| d.vars.insert(var.to_owned(), value.to_owned()))
            .is_some()
    }

    /// A device's current value of `var`.
    pub fn var(&self, device: &str, var: &str) -> Option<String> {
        lock(&self.world)
            .devices
            .get(device)?
            .vars
            .get(var)
            .cloned()
    }

    /// Commands answered so far, over all connections.
    pub fn commands_answered(&self) -> u64 {
        lock(&self.world).commands
    }

    /// Reads with at least one byte, over all connections: a client that pipelines every
    /// request of a poll in one write causes one per poll.
    pub fn batches_received(&self) -> u64 {
        lock(&self.world).batches
    }

    /// Connections accepted so far.
    pub fn connections_accepted(&self) -> u64 {
        lock(&self.world).connections
    }
}

pub(crate) fn lock(world: &Mutex<World>) -> std::sync::MutexGuard<'_, World> {
    world.lock().unwrap_or_else(|e| e.into_inner())
}

/// Plays a scenario forever (until the handle drops its task set).
async fn play(world: Arc<Mutex<World>>, name: String, scenario: Scenario) {
    loop {
        for step in &scenario.steps {
            if let Some(device) = lock(&world).devices.get_mut(&name) {
                device.vars.extend(step.set.iter().cloned());
            }
            // A zero hold would spin; dummy-ups sleeps 1 s between loops, so do we.
            tokio::time::sleep(step.hold.max(Duration::from_millis(100))).await;
        }
    }
}
