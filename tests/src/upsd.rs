//! A real NUT `upsd` with one `dummy-ups` driver per device, in a private directory on
//! 127.0.0.1 and an ephemeral port (what `shared/reference/recipes/nut-sim.sh` does by hand).
//!
//! Quirks handled (reference/real-peers.md §1): Debian's `/sbin/upsd` is a wrapper, so
//! `/lib/nut/upsd` is run; as root both drop to user `nut` unless given `-u root`; drivers must
//! have created their sockets before upsd starts; every device first reports `WAIT`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::peers;

const UPSD: &[&str] = &["/lib/nut/upsd", "/usr/lib/nut/upsd", "/usr/sbin/upsd"];
const DUMMY: &[&str] = &["/lib/nut/dummy-ups", "/usr/lib/nut/dummy-ups"];

/// A running upsd and its drivers; everything is killed on drop.
#[derive(Debug)]
pub struct Upsd {
    dir: tempfile::TempDir,
    port: u16,
    upsd_bin: PathBuf,
    dummy_bin: PathBuf,
    upsd: Option<Child>,
    drivers: Vec<(String, Option<Child>)>,
}

/// A device to serve: a name and the `.dev`/`.seq` text.
#[derive(Debug, Clone)]
pub struct DeviceFile {
    /// ups.conf section name.
    pub name: String,
    /// File contents.
    pub text: String,
    /// `dev` or `seq`.
    pub extension: &'static str,
}

impl Upsd {
    /// Starts upsd (MAXAGE `max_age_s`) serving `devices`, waiting until each device answers
    /// `LIST VAR` with data (not `WAIT`). `None` when the peer is missing outside scripts/test.
    pub async fn start(devices: &[DeviceFile], max_age_s: u32) -> anyhow::Result<Option<Self>> {
        let Some(me) = Self::spawn(devices, max_age_s)? else {
            return Ok(None);
        };
        for d in devices {
            me.wait_ready(&d.name, Duration::from_secs(30)).await?;
        }
        Ok(Some(me))
    }

    /// Like [`Upsd::start`], but returns once upsd listens: devices may still answer `WAIT`
    /// or `ERR VAR-NOT-SUPPORTED`. Blocks the thread (each wait is bounded). For callers that
    /// check readiness of many devices at once (one `wait_ready` connection per device costs
    /// a delayed-ACK stall each).
    pub fn spawn(devices: &[DeviceFile], max_age_s: u32) -> anyhow::Result<Option<Self>> {
        let (Some(upsd_bin), Some(dummy_bin)) = (
            peers::require("nut-server (upsd)", UPSD),
            peers::require("nut-server (dummy-ups)", DUMMY),
        ) else {
            return Ok(None);
        };
        let dir = tempfile::tempdir()?;
        let port = crate::free_port();
        let root = dir.path();
        std::fs::create_dir_all(root.join("state"))?;
        write(root, "nut.conf", "MODE=standalone\n")?;
        write(
            root,
            "upsd.conf",
            &format!("LISTEN 127.0.0.1 {port}\nMAXAGE {max_age_s}\n"),
        )?;
        write(
            root,
            "upsd.users",
            "[admin]\n  password = s3cret\n  actions = SET\n  instcmds = ALL\n",
        )?;
        let mut ups_conf = String::new();
        for d in devices {
            let file = format!("{}.{}", d.name, d.extension);
            write(root, &file, &d.text)?;
            ups_conf.push_str(&format!(
                "[{}]\n  driver = dummy-ups\n  port = {file}\n  desc = \"{}\"\n",
                d.name, d.name
            ));
        }
        write(root, "ups.conf", &ups_conf)?;
        let mut me = Self {
            dir,
            port,
            upsd_bin,
            dummy_bin,
            upsd: None,
            drivers: Vec::new(),
        };
        for d in devices {
            let child = me.spawn_driver(&d.name)?;
            me.drivers.push((d.name.clone(), Some(child)));
        }
        for d in devices {
            let socket = me
                .dir
                .path()
                .join("state")
                .join(format!("dummy-ups-{}", d.name));
            wait_until(Duration::from_secs(20), || socket.exists()).map_err(|_| {
                anyhow::anyhow!(
                    "driver for {} created no socket: {}",
                    d.name,
                    me.log(&format!("drv-{}.log", d.name))
                )
            })?;
        }
        me.start_upsd()?;
        Ok(Some(me))
    }

    /// `127.0.0.1:port`.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The TCP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Process ids of upsd and of every running driver.
    pub fn pids(&self) -> Vec<u32> {
        self.upsd
            .iter()
            .chain(self.drivers.iter().filter_map(|(_, c)| c.as_ref()))
            .map(Child::id)
            .collect()
    }

    fn command(&self, bin: &Path, args: &[&str], log: &str) -> anyhow::Result<Child> {
        let root = self.dir.path();
        let mut cmd = Command::new(bin);
        cmd.args(args)
            .env("NUT_CONFPATH", root)
            .env("NUT_STATEPATH", root.join("state"))
            .env("NUT_ALTPIDPATH", root.join("state"))
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(root.join(log))?)
            .stderr(std::fs::File::create(root.join(format!("{log}.err")))?);
        if crate::is_root() {
            cmd.args(["-u", "root"]);
        }
        Ok(cmd.spawn()?)
    }

    fn spawn_driver(&self, name: &str) -> anyhow::Result<Child> {
        let dummy = self.dummy_bin.clone();
        self.command(&dummy, &["-a", name, "-F"], &format!("drv-{name}.log"))
    }

    /// Starts (or restarts) upsd on the same port.
    pub fn start_upsd(&mut self) -> anyhow::Result<()> {
        let upsd = self.upsd_bin.clone();
        self.upsd = Some(self.command(&upsd, &["-F"], "upsd.log")?);
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], self.port));
        let connects =
            || std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok();
        wait_until(Duration::from_secs(20), connects).map_err(|_| {
            anyhow::anyhow!(
                "upsd did not listen on {addr}: {}",
                self.log("upsd.log.err")
            )
        })
    }

    /// Kills upsd (SIGKILL); drivers keep running.
    pub fn kill_upsd(&mut self) {
        if let Some(mut child) = self.upsd.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kills one driver (upsd then answers `DRIVER-NOT-CONNECTED` for it).
    pub fn kill_driver(&mut self, name: &str) {
        let slot = self
            .drivers
            .iter_mut()
            .find(|(n, _)| n == name)
            .map(|(_, c)| c);
        if let Some(mut child) = slot.and_then(Option::take) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Restarts a killed driver.
    pub fn restart_driver(&mut self, name: &str) -> anyhow::Result<()> {
        let child = self.spawn_driver(name)?;
        if let Some((_, slot)) = self.drivers.iter_mut().find(|(n, _)| n == name) {
            *slot = Some(child);
        }
        Ok(())
    }

    /// Sends SIGSTOP (`true`) or SIGCONT (`false`) to a driver: a stopped driver goes stale
    /// after MAXAGE.
    pub fn pause_driver(&self, name: &str, pause: bool) -> anyhow::Result<()> {
        let pid = self
            .drivers
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, c)| c.as_ref().map(Child::id))
            .ok_or_else(|| anyhow::anyhow!("no driver {name}"))?;
        let signal = if pause { "-STOP" } else { "-CONT" };
        let status = Command::new("kill")
            .args([signal, &pid.to_string()])
            .status()?;
        anyhow::ensure!(status.success(), "kill {signal} {pid} failed");
        Ok(())
    }

    /// Waits until `LIST VAR name` answers with a list whose status is not `WAIT`.
    pub async fn wait_ready(&self, name: &str, limit: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + limit;
        let mut last = String::new();
        while Instant::now() < deadline {
            last = self
                .raw(&format!("LIST VAR {name}\n"))
                .await
                .unwrap_or_default();
            if last.starts_with("BEGIN LIST VAR")
                && last.contains("END LIST VAR")
                && !last.contains("\"WAIT\"")
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        anyhow::bail!(
            "{name} not ready after {limit:?}: {last:?}; driver log: {}",
            self.log(&format!("drv-{name}.log.err"))
        )
    }

    /// Sends raw command lines and returns everything upsd answered before LOGOUT closed it.
    pub async fn raw(&self, commands: &str) -> anyhow::Result<String> {
        let addr = format!("127.0.0.1:{}", self.port);
        let work = async {
            #[allow(clippy::disallowed_methods)] // wrapped in a timeout below
            let mut s = tokio::net::TcpStream::connect(&addr).await?;
            s.write_all(format!("{commands}LOGOUT\n").as_bytes())
                .await?;
            let mut out = Vec::new();
            s.read_to_end(&mut out).await?;
            anyhow::Ok(String::from_utf8_lossy(&out).into_owned())
        };
        tokio::time::timeout(Duration::from_secs(5), work).await?
    }

    fn log(&self, file: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(file)).unwrap_or_default()
    }
}

impl Drop for Upsd {
    fn drop(&mut self) {
        for (_, child) in &mut self.drivers {
            if let Some(child) = child.as_mut() {
                let _ = Command::new("kill")
                    .args(["-CONT", &child.id().to_string()])
                    .status();
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        self.kill_upsd();
    }
}

fn write(dir: &Path, name: &str, text: &str) -> anyhow::Result<()> {
    crate::write_file(&dir.join(name), text.as_bytes())
}

fn wait_until(limit: Duration, mut check: impl FnMut() -> bool) -> Result<(), ()> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if check() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(())
}
