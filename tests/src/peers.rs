//! Finding real peers, and the rule for when one is missing.

use std::path::{Path, PathBuf};

/// Whether the run requires every real peer (`scripts/test` sets `UPSIGHT_REQUIRE_PEERS=1`).
pub fn are_required() -> bool {
    std::env::var("UPSIGHT_REQUIRE_PEERS").is_ok_and(|v| v == "1")
}

/// Returns the first existing path among `candidates`. When none exists: panics if peers are
/// required, else prints a loud SKIP line and returns `None`.
pub fn require(peer: &str, candidates: &[&str]) -> Option<PathBuf> {
    if let Some(found) = candidates.iter().map(Path::new).find(|p| p.exists()) {
        return Some(found.to_path_buf());
    }
    let message =
        format!("real peer {peer} not found (looked for {candidates:?}); scripts/test installs it");
    assert!(!are_required(), "{message}");
    eprintln!("SKIPPED (peer missing, not under scripts/test): {message}");
    None
}

/// A program on PATH, resolved to its full path.
pub fn which(program: &str) -> Option<String> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
        .map(|p| p.display().to_string())
}
