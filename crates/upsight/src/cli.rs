//! Command-line surface (clap) and process-level setup: exit codes and logging.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Success.
pub(crate) const EX_OK: u8 = 0;
/// Bad usage or configuration (EX_USAGE).
pub(crate) const EX_USAGE: u8 = 64;
/// Internal error (EX_SOFTWARE).
pub(crate) const EX_SOFTWARE: u8 = 70;
/// The state file cannot be locked, read or trusted (EX_CANTCREAT).
pub(crate) const EX_CANTCREAT: u8 = 73;
/// Temporary failure, e.g. the listen address is in use (EX_TEMPFAIL).
pub(crate) const EX_TEMPFAIL: u8 = 75;

use upsight_exporter::exposition::LONG_VERSION;

/// Watches uninterruptible power supplies.
#[derive(Debug, Parser)]
#[command(name = "upsight", version = LONG_VERSION, long_version = LONG_VERSION)]
pub(crate) struct Cli {
    /// Log format on stderr.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true)]
    pub(crate) log_format: LogFormat,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Log line format.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The roles.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the site exporter.
    Exporter {
        /// Configuration file (TOML).
        #[arg(long)]
        config: PathBuf,
    },
    /// Run the fleet control plane (registration, heartbeats, read API).
    Fleet {
        /// Configuration file (TOML).
        #[arg(long)]
        config: PathBuf,
    },
    /// Validate a configuration file and print every error with its path.
    CheckConfig {
        /// Configuration file (TOML).
        file: PathBuf,
    },
    /// Run the NUT simulator alone, serving `.dev` and `.seq` files (or the demo devices).
    Sim {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:3493")]
        listen: SocketAddr,
        /// Device files; each is served under its file name without extension.
        files: Vec<PathBuf>,
    },
    /// Check that a local upsight answers: GET the URL's /healthz (for container HEALTHCHECKs
    /// and probes, without curl or a shell). Exit 0 when it answers 200, else 1.
    Healthcheck {
        /// The server's `http://` base URL or its `/healthz` URL.
        #[arg(
            long,
            env = "UPSIGHT_HEALTHCHECK_URL",
            default_value = "http://127.0.0.1:9955"
        )]
        url: String,
        /// How long to wait for the answer.
        #[arg(long, default_value = "3s", value_parser = humantime::parse_duration)]
        timeout: std::time::Duration,
    },
    /// Run everything on loopback with simulated UPSes and print the URLs.
    Demo {
        /// Also write every reading, event, outage and device identity to this ClickHouse
        /// (HTTP interface); credentials from `UPSIGHT_ANALYTICS_USER` and
        /// `UPSIGHT_ANALYTICS_PASSWORD(_FILE)`.
        #[arg(long, env = "UPSIGHT_ANALYTICS_URL")]
        analytics_url: Option<String>,
    },
}

/// Installs the tracing subscriber: stderr, `RUST_LOG` filter (default `info`).
pub(crate) fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colour only for a person at a terminal: a log file or journald gets plain text.
    let is_terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(is_terminal && std::env::var_os("NO_COLOR").is_none())
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}
