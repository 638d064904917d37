//! A NUT server simulator: serves `upsc`-format `.dev` files and `.seq` scenarios over the real
//! NUT network protocol, and injects faults on demand. Used by `upsight demo`, `upsight sim`
//! and the tests.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use upsight_sim::{Device, Simulator};
//! let device = Device::parse("ups.status: OL\nbattery.charge: 100\n")?;
//! let sim = Simulator::new().with_device("ups1".parse()?, device).bind("127.0.0.1:0").await?;
//! println!("NUT simulator on {}", sim.addr());
//! # Ok(()) }
//! ```

pub mod demo;
mod devfile;
mod server;
pub mod snmp;
mod world;

pub use devfile::{DevFileError, Device, Scenario, Step};
pub use server::{SimHandle, Simulator};
pub use snmp::{SnmpAgent, SnmpFault, SnmpHandle};
pub use world::{Fault, ServerFault};
