//! A real Alertmanager (the distribution's `prometheus-alertmanager`) on 127.0.0.1, clustering
//! off (its default would listen on 0.0.0.0:9094), and a loopback webhook receiver that
//! records every notification it is sent.

use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::{peers, scrape};

/// A running Alertmanager; killed on drop.
#[derive(Debug)]
pub struct Alertmanager {
    dir: tempfile::TempDir,
    child: Child,
    /// Its HTTP address.
    pub addr: std::net::SocketAddr,
}

impl Alertmanager {
    /// Starts Alertmanager with the configuration `config` (YAML). `None` when the peer is
    /// missing outside scripts/test.
    pub async fn start(config: &str) -> anyhow::Result<Option<Self>> {
        let found = peers::which("prometheus-alertmanager");
        let candidates: Vec<&str> = found
            .as_deref()
            .into_iter()
            .chain(["/usr/bin/prometheus-alertmanager", "/usr/bin/alertmanager"])
            .collect();
        let Some(bin) = peers::require("prometheus-alertmanager", &candidates) else {
            return Ok(None);
        };
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("alertmanager.yml");
        crate::write_file(&path, config.as_bytes())?;
        let port = crate::free_port();
        let child = Command::new(bin)
            .arg(format!("--config.file={}", path.display()))
            .arg(format!(
                "--storage.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--cluster.listen-address=")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("log"))?)
            .spawn()?;
        let me = Self {
            dir,
            child,
            addr: format!("127.0.0.1:{port}").parse()?,
        };
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while tokio::time::Instant::now() < deadline {
            if scrape::get(me.addr, "/-/ready")
                .await
                .is_ok_and(|r| r.status == 200)
            {
                return Ok(Some(me));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        anyhow::bail!("alertmanager not ready: {}", me.log())
    }

    /// `GET /api/v2/alerts` (active, silenced and inhibited alerts) as JSON.
    pub async fn alerts(&self) -> anyhow::Result<serde_json::Value> {
        let response = scrape::get(self.addr, "/api/v2/alerts").await?;
        anyhow::ensure!(
            response.status == 200,
            "{}: {}",
            response.status,
            response.body
        );
        Ok(serde_json::from_str(&response.body)?)
    }

    /// Alertmanager's log, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A webhook receiver on 127.0.0.1 that answers 200 and keeps every request body.
#[derive(Debug, Clone)]
pub struct Webhook {
    /// Where it listens.
    pub addr: std::net::SocketAddr,
    bodies: Arc<Mutex<Vec<serde_json::Value>>>,
}

impl Webhook {
    /// Starts the receiver; it serves at most 1 000 requests, then stops by itself.
    pub async fn start() -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&bodies);
        tokio::spawn(async move {
            for _ in 0..1000 {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                let sink = Arc::clone(&sink);
                tokio::spawn(async move {
                    let read = async {
                        let mut buf = Vec::new();
                        let mut chunk = [0u8; 8192];
                        loop {
                            let n = stream.read(&mut chunk).await.ok()?;
                            if n == 0 {
                                return None;
                            }
                            buf.extend_from_slice(&chunk[..n]);
                            let text = String::from_utf8_lossy(&buf);
                            let Some((head, body)) = text.split_once("\r\n\r\n") else {
                                continue;
                            };
                            let length: usize = head
                                .lines()
                                .find_map(|l| {
                                    let (name, value) = l.split_once(':')?;
                                    name.eq_ignore_ascii_case("content-length")
                                        .then(|| value.trim().parse().ok())?
                                })
                                .unwrap_or(0);
                            if body.len() >= length {
                                let value = serde_json::from_str(&body[..length]).ok()?;
                                sink.lock()
                                    .unwrap_or_else(PoisonError::into_inner)
                                    .push(value);
                                let reply = "HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
                                stream.write_all(reply.as_bytes()).await.ok()?;
                                return Some(());
                            }
                        }
                    };
                    let _ = tokio::time::timeout(Duration::from_secs(10), read).await;
                });
            }
        });
        Ok(Self { addr, bodies })
    }

    /// Every notification received so far.
    pub fn received(&self) -> Vec<serde_json::Value> {
        self.bodies
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}
