//! Exporter configuration: TOML file, then `UPSIGHT_*` environment overrides, then validation
//! into typed values. Unknown keys are errors; every error names the key path and the value.

pub mod analytics;
pub mod fleet;
pub mod http;
mod raw;
#[doc(hidden)]
pub mod reference;
pub mod runtime;
mod secret;
pub mod snmp;
pub mod view;

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use upsight_model::UpsName;

pub(crate) use raw::read_secret;
pub use raw::{RawConfig, RawNutServer};
pub use runtime::{RuntimeDevice, RuntimeSource};
pub use secret::{RawSecret, Secret};
pub use snmp::{AuthProtocol, PrivProtocol, SnmpDevice, SnmpSecurity, Usm};

/// Default NUT port (IANA).
pub const NUT_PORT: u16 = 3493;

/// Validated exporter configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// HTTP listen address.
    pub listen: SocketAddr,
    /// Poll interval for every source.
    pub interval: Duration,
    /// NUT servers to poll.
    pub nut: Vec<NutServer>,
    /// SNMP agents to poll (one UPS each).
    pub snmp: Vec<SnmpDevice>,
    /// Directory of the state file; `None` keeps events, outages and energy in memory only.
    pub state_dir: Option<PathBuf>,
    /// Where the state key was read from (shown in the configuration view).
    pub state_key_file: Option<PathBuf>,
    /// Seals secrets added through the API in the state file; `None`: the API refuses them.
    pub state_key: Option<std::sync::Arc<crate::tracker::seal::StateKey>>,
    /// Price of one kWh for energy cost, if set.
    pub price_per_kwh: Option<f64>,
    /// Dashboard and API access.
    pub http: http::HttpSettings,
    /// Alert targets.
    pub alerts: crate::alert::AlertConfig,
    /// The fleet control plane to heartbeat to, if any.
    pub fleet: Option<fleet::FleetSettings>,
    /// The ClickHouse sink, if configured.
    pub analytics: Option<upsight_analytics::SinkConfig>,
}

/// One upsd server.
#[derive(Debug, Clone)]
pub struct NutServer {
    /// Host name or address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Explicit UPS list; `None` means discovery with `LIST UPS` on every poll.
    pub ups: Option<Vec<UpsName>>,
    /// Prepended to every UPS name of this server to form the `ups` label.
    pub prefix: String,
    /// Optional `USERNAME`.
    pub username: Option<String>,
    /// Optional `PASSWORD`.
    pub password: Option<Secret>,
    /// Deadline for establishing the TCP connection.
    pub connect_timeout: Duration,
    /// Deadline for each read while a reply is expected.
    pub read_timeout: Duration,
    /// Deadline for a whole poll of this server.
    pub poll_timeout: Duration,
}

impl NutServer {
    /// `host:port` for logs and diagnostics (never a metric: addresses are PII).
    pub fn endpoint(&self) -> String {
        endpoint(&self.host, self.port)
    }
}

/// `host:port`, with brackets around an IPv6 address.
pub(crate) fn endpoint(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// One configuration problem: where, and what is wrong with the value found there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Key path, e.g. `nut[1].port`, or the environment variable name.
    pub path: String,
    /// What is wrong, including the offending value.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Every problem found in a configuration, so a user fixes them all in one go.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl ConfigErrors {
    fn one(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self(vec![ConfigError {
            path: path.into(),
            message: message.into(),
        }])
    }
}

impl Config {
    /// Reads `path`, applies environment overrides from `env` and validates.
    ///
    /// `env` is injected (normally `|k| std::env::var(k).ok()`) so tests never touch the
    /// process environment.
    pub fn load(path: &Path, env: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigErrors> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigErrors::one(path.display().to_string(), format!("cannot read file: {e}"))
        })?;
        Self::parse(&text, env)
    }

    /// Parses TOML text, applies environment overrides and validates.
    pub fn parse(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigErrors> {
        let mut raw: RawConfig = toml::from_str(text).map_err(|e| {
            let message = e.message().to_owned();
            let at = e.span().map(|s| line_of(text, s.start)).unwrap_or_default();
            ConfigErrors::one(format!("config file{at}"), message)
        })?;
        raw.apply_env(env)?;
        raw.validate()
    }
}

fn line_of(text: &str, offset: usize) -> String {
    let line = text[..offset.min(text.len())].matches('\n').count() + 1;
    format!(" line {line}")
}

#[cfg(test)]
mod tests;
