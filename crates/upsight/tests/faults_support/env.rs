//! Where the peers are, whether they are required, and small process and file helpers.

use super::*;

pub(super) const UPSD: &[&str] = &["/lib/nut/upsd", "/usr/lib/nut/upsd", "/usr/sbin/upsd"];
pub(super) const DUMMY: &[&str] = &["/lib/nut/dummy-ups", "/usr/lib/nut/dummy-ups"];
/// Where Debian's `faketime` package puts the preload library.
pub(super) const FAKETIME: &[&str] = &[
    "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
    "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
    "/usr/lib/faketime/libfaketime.so.1",
];

/// Whether a missing peer fails the run (`scripts/test` sets `UPSIGHT_REQUIRE_PEERS=1`).
pub(crate) fn peers_required() -> bool {
    std::env::var("UPSIGHT_REQUIRE_PEERS").is_ok_and(|v| v == "1")
}

/// A peer is missing: fails under `scripts/test`, else says so loudly.
pub(crate) fn missing(what: &str) {
    assert!(
        !peers_required(),
        "{what} (UPSIGHT_REQUIRE_PEERS=1: scripts/test must provide it)"
    );
    eprintln!("SKIPPED (peer missing, not under scripts/test): {what}");
}

pub(super) fn first_existing(candidates: &[&str]) -> Option<PathBuf> {
    candidates.iter().map(PathBuf::from).find(|p| p.exists())
}

/// The libfaketime preload library, if installed.
pub(crate) fn faketime_library() -> Option<PathBuf> {
    first_existing(FAKETIME)
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

pub(crate) fn write_file(path: &Path, text: &str) {
    std::fs::File::create(path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
}

pub(crate) fn signal(pid: u32, signal: &str) {
    let _ = Command::new("kill")
        .args([signal, &pid.to_string()])
        .status();
}
