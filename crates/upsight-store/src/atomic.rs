//! Atomic file replacement: write a temp file in the same directory, `sync_all` it, rename it
//! over the target, fsync the directory. A reader (or a crash) sees the old bytes or the new
//! bytes, never a mix.

use std::ffi::OsString;
use std::fs::{self, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Distinguishes temp files of concurrent saves within one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// The prefix of every temp file for `target`: `<file name>.tmp-`.
pub(crate) fn temp_prefix(target: &Path) -> OsString {
    let mut prefix = target.file_name().unwrap_or_default().to_owned();
    prefix.push(".tmp-");
    prefix
}

/// Replaces `target` (in `dir`) with `bytes`, durably.
///
/// On an error before the rename, the temp file is removed and `target` is untouched. An error
/// from the final directory sync means the new bytes are in place but may not survive a power
/// loss.
pub(crate) fn replace(dir: &Path, target: &Path, bytes: &[u8]) -> io::Result<()> {
    replace_via(dir, target, target, bytes)
}

/// [`replace`], with the temp file named after `temp_owner` instead of `target`, so that
/// [`remove_stale_temps`] for `temp_owner` also finds it.
pub(crate) fn replace_via(
    dir: &Path,
    temp_owner: &Path,
    target: &Path,
    bytes: &[u8],
) -> io::Result<()> {
    let mut name = temp_prefix(temp_owner);
    name.push(format!(
        "{}-{}",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let temp = dir.join(name);
    if let Err(e) = write_then_rename(&temp, target, bytes) {
        // Best effort: the temp file may never have been created.
        let _ = fs::remove_file(&temp);
        return Err(e);
    }
    sync_dir(dir)
}

fn write_then_rename(temp: &Path, target: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(temp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    fs::rename(temp, target)
}

/// Makes a rename or create in `dir` durable. A no-op where directories cannot be opened.
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Removes temp files left in `dir` by a save that crashed before its rename. Only safe while
/// holding the store lock (no other writer can be mid-save). Best effort: a file that cannot be
/// removed is left for the next open; returns what was removed.
pub(crate) fn remove_stale_temps(dir: &Path, target: &Path) -> Vec<PathBuf> {
    let prefix = temp_prefix(target);
    let prefix = prefix.as_encoded_bytes();
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|entry| entry.file_name().as_encoded_bytes().starts_with(prefix))
        .filter(|entry| entry.file_type().is_ok_and(|t| t.is_file()))
        .map(|entry| entry.path())
        .filter(|path| fs::remove_file(path).is_ok())
        .collect()
}
