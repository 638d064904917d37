//! Peers and probes for the fault-injection test: a small tmpfs, a real upsd with one
//! dummy-ups driver and a connection cap, a TCP relay whose connections the test can cut, the
//! real fleet plane, raw HTTP/1.1 with a deadline, the scrape parser, and the sampler that
//! watches the exporter's answers, freshness, RSS and descriptors phase by phase.

mod env;
mod http;
mod logs;
mod mount;
pub(crate) mod nut_phases;
mod plane;
pub(crate) mod rig;
mod sampler;
mod upsd;

use std::fmt::Write as _;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub(crate) use env::*;
pub(crate) use http::*;
pub(crate) use logs::*;
pub(crate) use mount::*;
pub(crate) use plane::*;
pub(crate) use sampler::*;
pub(crate) use upsd::*;
