//! Shared by the harness-less benches: the release binary they drive, and a process's memory.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

/// The release `upsight` next to the running bench (`target/release/`), or `UPSIGHT_BIN`.
pub fn upsight_bin() -> anyhow::Result<PathBuf> {
    let bin = match std::env::var_os("UPSIGHT_BIN") {
        Some(path) => PathBuf::from(path),
        None => std::env::current_exe()?
            .parent()
            .and_then(Path::parent)
            .context("the bench binary has no target directory")?
            .join("upsight"),
    };
    anyhow::ensure!(
        bin.is_file(),
        "{} is missing: run `cargo build --release --locked` first (or set UPSIGHT_BIN)",
        bin.display()
    );
    Ok(bin)
}

/// `VmRSS` and `VmHWM` of process `pid`, in bytes.
pub fn memory(pid: u32) -> anyhow::Result<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let field = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|kb| kb.parse::<u64>().ok())
            .map(|kb| kb * 1024)
            .with_context(|| format!("no {key} in /proc/{pid}/status"))
    };
    Ok((field("VmRSS:")?, field("VmHWM:")?))
}

/// The first SIGINT or SIGTERM (never, if the handlers cannot be installed): a bench selects on
/// it so that an interrupted run drops its servers and temporary directories.
pub async fn stopped() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    }
}
