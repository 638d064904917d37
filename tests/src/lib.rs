//! Shared helpers for the whole-system tests: real peers started on loopback (NUT upsd with
//! dummy-ups, snmpsim, Prometheus), the exporter run in-process, and a scrape parser.
//!
//! A test that needs a peer calls [`peers::require`]: under `scripts/test`
//! (`UPSIGHT_REQUIRE_PEERS=1`) a missing peer fails the test; elsewhere it is skipped with a
//! loud message on stderr, never silently.

pub mod alertmanager;
pub mod bench;
pub mod browser;
pub mod clickhouse;
pub mod demo;
pub mod exporter;
pub mod fleet;
pub mod fleet_plane;
pub mod peers;
pub mod prometheus;
pub mod scrape;
pub mod snmp_expected;
pub mod snmpsim;
pub mod upsd;

/// The real-device corpus directory (`UPSIGHT_DEVICE_CORPUS`), if set and present.
pub fn device_corpus() -> Option<std::path::PathBuf> {
    let dir = std::path::PathBuf::from(std::env::var_os("UPSIGHT_DEVICE_CORPUS")?);
    dir.is_dir().then_some(dir)
}

/// A free TCP port on 127.0.0.1 (bound and released; the peer binds it next).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind an ephemeral port on 127.0.0.1")
}

/// Writes `bytes` to `path` (created or truncated).
pub fn write_file(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    std::fs::File::create(path)?.write_all(bytes)?;
    Ok(())
}

/// Whether this process runs as root (peers then need a process user).
pub fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}
