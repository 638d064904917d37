//! The small tmpfs the exporter keeps its state on.

use super::*;

/// A tmpfs mounted by the test; unmounted on drop, lazily if still busy.
#[derive(Debug)]
pub(crate) struct Mount {
    pub(crate) path: PathBuf,
}

impl Mount {
    /// Mounts a tmpfs of `size` (like `2m`) on the existing directory `path`.
    pub(crate) fn tmpfs(path: &Path, size: &str) -> Result<Self, String> {
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(path)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "mount -t tmpfs on {} failed ({}): {}",
                path.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(Self {
            path: path.to_path_buf(),
        })
    }

    /// Writes `name` until the file system is full; the bytes written.
    pub(crate) fn fill(&self, name: &str) -> u64 {
        let mut file = std::fs::File::create(self.path.join(name)).unwrap();
        let chunk = vec![0x5a_u8; 64 * 1024];
        let mut written = 0u64;
        // A 2 MiB tmpfs holds at most 32 chunks; the bound only guards against a mount that
        // never fills.
        for _ in 0..4096 {
            match file.write_all(&chunk) {
                Ok(()) => written += chunk.len() as u64,
                Err(e) if e.kind() == std::io::ErrorKind::StorageFull => return written,
                Err(e) => panic!("filling {}: {e}", self.path.display()),
            }
        }
        panic!("{} never filled up", self.path.display());
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let unmounted = Command::new("umount")
            .arg(&self.path)
            .status()
            .is_ok_and(|s| s.success());
        if !unmounted {
            let _ = Command::new("umount").arg("-l").arg(&self.path).status();
        }
    }
}
