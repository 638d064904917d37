//! The real fleet plane.

use super::*;

/// The plane's ingest token (the exporter's `[fleet] token`).
pub(crate) const INGEST: &str = "faults-ingest-token-0123456789abcdef012345";
pub(super) const VIEWER: &str = "faults-viewer-token-0123456789abcdef012345";
pub(super) const BIN: &str = env!("CARGO_BIN_EXE_upsight");

/// The real `upsight fleet` plane on a fixed port, its state in `dir/state` (so a restart
/// keeps its members), heartbeats every second. Killed on drop.
#[derive(Debug)]
pub(crate) struct Plane {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
}

impl Plane {
    pub(crate) fn start(port: u16, dir: &Path) -> Self {
        let mut plane = Self {
            child: None,
            port,
            dir: dir.to_path_buf(),
        };
        plane.restart();
        plane
    }

    /// Starts it (again) on the same port and state, and waits until `/healthz` answers.
    pub(crate) fn restart(&mut self) {
        let config = self.dir.join("fleet.toml");
        let text = format!(
            "listen = \"127.0.0.1:{}\"\nstate_dir = \"{}\"\nheartbeat_interval = \"1s\"\n\
             ttl = \"3s\"\n[tokens]\ningest = \"{INGEST}\"\nviewer = \"{VIEWER}\"\n\
             [http]\nheartbeat_limit_per_minute = 6000\nheartbeat_limit_burst = 100\n",
            self.port,
            self.dir.join("state").display()
        );
        write_file(&config, &text);
        let mut command = Command::new(BIN);
        command
            .args(["fleet", "--config"])
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(self.dir.join("fleet.log")).unwrap());
        for (key, _) in std::env::vars() {
            if key.starts_with("UPSIGHT_") {
                command.env_remove(key);
            }
        }
        self.child = Some(command.spawn().unwrap());
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let deadline = Instant::now() + Duration::from_secs(15);
        while !get(addr, "/healthz", Duration::from_secs(2)).is_ok_and(|r| r.0 == 200) {
            let log = std::fs::read_to_string(self.dir.join("fleet.log")).unwrap_or_default();
            assert!(
                Instant::now() < deadline,
                "the plane did not come up: {log}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `kill -9`.
    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Plane {
    fn drop(&mut self) {
        self.kill();
    }
}
