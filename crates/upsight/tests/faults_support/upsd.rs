//! A real upsd with one dummy-ups driver and a connection cap, other NUT clients, and a TCP relay the test can cut.

use super::*;

/// A real upsd 2.8 with one dummy-ups driver, listening on 127.0.0.1 and capped at
/// `client_slots` client connections (`MAXCONN` counts the driver socket too). Killed on drop.
#[derive(Debug)]
pub(crate) struct Upsd {
    dir: tempfile::TempDir,
    pub(crate) addr: SocketAddr,
    ups: String,
    upsd_bin: PathBuf,
    dummy_bin: PathBuf,
    upsd: Option<Child>,
    driver: Option<Child>,
}

impl Upsd {
    /// `None` when upsd or dummy-ups is not installed (and peers are not required).
    pub(crate) fn start(ups: &str, dev: &str, client_slots: u32) -> Option<Self> {
        let (Some(upsd_bin), Some(dummy_bin)) = (first_existing(UPSD), first_existing(DUMMY))
        else {
            missing(&format!(
                "real peer upsd + dummy-ups (looked for {UPSD:?}, {DUMMY:?})"
            ));
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("state")).unwrap();
        let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
        // upsd 2.8 mainloop: driver sockets, then clients, then the listening socket share
        // MAXCONN poll slots; with one driver, `1 + n` lets n clients in and then stops
        // accepting (newcomers wait in the listen backlog, unanswered).
        let conf = format!(
            "LISTEN 127.0.0.1 {}\nMAXAGE 15\nMAXCONN {}\n",
            addr.port(),
            1 + client_slots
        );
        write_file(&root.join("upsd.conf"), &conf);
        write_file(&root.join("nut.conf"), "MODE=standalone\n");
        write_file(&root.join("upsd.users"), "[admin]\n  password = s3cret\n");
        write_file(&root.join(format!("{ups}.dev")), dev);
        let ups_conf =
            format!("[{ups}]\n  driver = dummy-ups\n  port = {ups}.dev\n  desc = \"{ups}\"\n");
        write_file(&root.join("ups.conf"), &ups_conf);
        let mut me = Self {
            dir,
            addr,
            ups: ups.to_owned(),
            upsd_bin,
            dummy_bin,
            upsd: None,
            driver: None,
        };
        me.restart_driver();
        let socket = me.dir.path().join(format!("state/dummy-ups-{ups}"));
        let deadline = Instant::now() + Duration::from_secs(20);
        while !socket.exists() {
            assert!(
                Instant::now() < deadline,
                "dummy-ups created no socket: {}",
                me.log("driver.log.err")
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let upsd_bin = me.upsd_bin.clone();
        me.upsd = Some(me.spawn(&upsd_bin, &["-F"], "upsd.log"));
        me.wait_ready(Duration::from_secs(30));
        Some(me)
    }

    fn spawn(&self, bin: &Path, args: &[&str], log: &str) -> Child {
        let root = self.dir.path();
        let mut command = Command::new(bin);
        command
            .args(args)
            .env("NUT_CONFPATH", root)
            .env("NUT_STATEPATH", root.join("state"))
            .env("NUT_ALTPIDPATH", root.join("state"))
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(root.join(log)).unwrap())
            .stderr(std::fs::File::create(root.join(format!("{log}.err"))).unwrap());
        // As root, NUT drops to user `nut`, which cannot read this private directory.
        let is_root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
        if is_root {
            command.args(["-u", "root"]);
        }
        command.spawn().unwrap()
    }

    /// Kills the driver (SIGKILL): upsd then answers `DRIVER-NOT-CONNECTED` (or `WAIT`).
    pub(crate) fn kill_driver(&mut self) {
        if let Some(mut child) = self.driver.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the driver (again); upsd reconnects to its socket by itself.
    pub(crate) fn restart_driver(&mut self) {
        let dummy = self.dummy_bin.clone();
        let ups = self.ups.clone();
        self.driver = Some(self.spawn(&dummy, &["-a", &ups, "-F"], "driver.log"));
    }

    /// Waits until `LIST VAR` answers with data that is not `WAIT`.
    fn wait_ready(&self, limit: Duration) {
        let deadline = Instant::now() + limit;
        let mut last = String::new();
        while Instant::now() < deadline {
            last = self.ask(&format!("LIST VAR {}\n", self.ups), Duration::from_secs(2));
            if last.contains("END LIST VAR") && !last.contains("\"WAIT\"") {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "upsd not ready after {limit:?}: {last:?}; upsd: {}; driver: {}",
            self.log("upsd.log.err"),
            self.log("driver.log.err")
        );
    }

    /// Sends `commands` and `LOGOUT` on a fresh connection; what came back before the close.
    fn ask(&self, commands: &str, limit: Duration) -> String {
        let Ok(mut s) = TcpStream::connect_timeout(&self.addr, limit) else {
            return String::new();
        };
        let _ = s.set_read_timeout(Some(limit));
        let _ = s.write_all(format!("{commands}LOGOUT\n").as_bytes());
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out
    }

    pub(crate) fn log(&self, file: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(file)).unwrap_or_default()
    }
}

impl Drop for Upsd {
    fn drop(&mut self) {
        for child in [self.driver.as_mut(), self.upsd.as_mut()]
            .into_iter()
            .flatten()
        {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Another NUT client (a second upsmon, an operator's upsc) holding a connection to upsd.
#[derive(Debug)]
pub(crate) struct NutClient {
    stream: BufReader<TcpStream>,
}

impl NutClient {
    /// Connects and sends `VER` at once; the answer is read by [`NutClient::answer`].
    pub(crate) fn connect(addr: SocketAddr) -> Self {
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).unwrap();
        stream.write_all(b"VER\n").unwrap();
        Self {
            stream: BufReader::new(stream),
        }
    }

    /// The answer to `VER` if upsd sends one within `limit`.
    pub(crate) fn answer(&mut self, limit: Duration) -> Option<String> {
        self.stream.get_ref().set_read_timeout(Some(limit)).ok()?;
        let mut line = String::new();
        match self.stream.read_line(&mut line) {
            Ok(n) if n > 0 => Some(line.trim_end().to_owned()),
            _ => None,
        }
    }
}

// === impl Relay ===

/// A TCP relay in front of `upstream`: each accepted connection gets its own upstream
/// connection; [`Relay::cut`] drops every current pair at once (a network blip).
#[derive(Debug)]
pub(crate) struct Relay {
    pub(crate) addr: SocketAddr,
    cut: tokio::sync::watch::Sender<u64>,
}

impl Relay {
    pub(crate) fn start(runtime: &tokio::runtime::Runtime, upstream: SocketAddr) -> Self {
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let (cut, _) = tokio::sync::watch::channel(0u64);
        let cuts = cut.clone();
        runtime.spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                tokio::spawn(relay(client, upstream, cuts.subscribe()));
            }
        });
        Self { addr, cut }
    }

    /// Closes every relayed connection (both sides) now.
    pub(crate) fn cut(&self) {
        self.cut.send_modify(|n| *n += 1);
    }
}

pub(super) async fn relay(
    mut client: tokio::net::TcpStream,
    upstream: SocketAddr,
    mut cut: tokio::sync::watch::Receiver<u64>,
) {
    #[allow(clippy::disallowed_methods)] // bounded by the timeout around it
    let connect = tokio::net::TcpStream::connect(upstream);
    let Ok(Ok(mut server)) = tokio::time::timeout(Duration::from_secs(2), connect).await else {
        return;
    };
    let (mut client_read, mut client_write) = client.split();
    let (mut server_read, mut server_write) = server.split();
    // Whichever side ends first (or a cut) closes both: no half-open pair is left behind.
    tokio::select! {
        _ = tokio::io::copy(&mut client_read, &mut server_write) => {}
        _ = tokio::io::copy(&mut server_read, &mut client_write) => {}
        _ = cut.changed() => {}
    }
}
