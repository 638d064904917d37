//! A real ClickHouse server (the distribution's `clickhouse-server`, 18.16 on Debian
//! bookworm) in a private directory, HTTP and native ports on 127.0.0.1. It can be stopped and
//! started again on the same ports and data, to test outages.
//!
//! Quirks handled (reference/real-peers.md §5): the config's root element is `<yandex>`, an
//! XML comment must not contain a double hyphen, and the server needs its directories made.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::{peers, scrape};

/// The user with a password the server is configured with.
pub const USER: &str = "upsight";
/// Its password.
pub const PASSWORD: &str = "analytics-pass-0123456789";

/// A running (or stopped) ClickHouse; killed on drop.
#[derive(Debug)]
pub struct ClickHouse {
    dir: tempfile::TempDir,
    bin: PathBuf,
    child: Option<Child>,
    /// HTTP interface address.
    pub addr: std::net::SocketAddr,
}

impl ClickHouse {
    /// Starts a server and waits until `/ping` answers. `None` when the peer is missing
    /// outside scripts/test.
    pub async fn start() -> anyhow::Result<Option<Self>> {
        let found = peers::which("clickhouse-server");
        let candidates: Vec<&str> = found
            .as_deref()
            .into_iter()
            .chain(["/usr/bin/clickhouse-server", "/usr/sbin/clickhouse-server"])
            .collect();
        let Some(bin) = peers::require("clickhouse-server", &candidates) else {
            return Ok(None);
        };
        let dir = tempfile::tempdir()?;
        let root = dir.path();
        for sub in ["data", "tmp", "user_files", "format_schemas"] {
            std::fs::create_dir_all(root.join(sub))?;
        }
        let http = crate::free_port();
        let native = crate::free_port();
        let path = root.display();
        let config = format!(
            "<?xml version=\"1.0\"?>\n<yandex>\n\
             <logger><level>warning</level><console>1</console></logger>\n\
             <http_port>{http}</http_port><tcp_port>{native}</tcp_port>\n\
             <listen_host>127.0.0.1</listen_host>\n\
             <max_connections>128</max_connections><keep_alive_timeout>3</keep_alive_timeout>\n\
             <max_concurrent_queries>50</max_concurrent_queries>\n\
             <mark_cache_size>67108864</mark_cache_size>\n\
             <path>{path}/data/</path><tmp_path>{path}/tmp/</tmp_path>\n\
             <user_files_path>{path}/user_files/</user_files_path>\n\
             <format_schema_path>{path}/format_schemas/</format_schema_path>\n\
             <users_config>{path}/users.xml</users_config>\n\
             <default_profile>default</default_profile><default_database>default</default_database>\n\
             <timezone>UTC</timezone>\n</yandex>\n"
        );
        crate::write_file(&root.join("config.xml"), config.as_bytes())?;
        let users = format!(
            "<?xml version=\"1.0\"?>\n<yandex>\n\
             <profiles><default><max_memory_usage>1000000000</max_memory_usage></default></profiles>\n\
             <users>\n\
             <default><password></password><networks><ip>127.0.0.1</ip></networks>\
             <profile>default</profile><quota>default</quota></default>\n\
             <{USER}><password>{PASSWORD}</password><networks><ip>127.0.0.1</ip></networks>\
             <profile>default</profile><quota>default</quota></{USER}>\n\
             </users>\n\
             <quotas><default><interval><duration>3600</duration><queries>0</queries>\
             <errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows>\
             <execution_time>0</execution_time></interval></default></quotas>\n</yandex>\n"
        );
        crate::write_file(&root.join("users.xml"), users.as_bytes())?;
        let mut me = Self {
            dir,
            bin,
            child: None,
            addr: format!("127.0.0.1:{http}").parse()?,
        };
        me.resume().await?;
        Ok(Some(me))
    }

    /// Its HTTP URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Starts the server again (after [`ClickHouse::stop`]) on the same ports and data.
    pub async fn resume(&mut self) -> anyhow::Result<()> {
        let root = self.dir.path();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(root.join("log"))?;
        let child = Command::new(&self.bin)
            .arg(format!(
                "--config-file={}",
                root.join("config.xml").display()
            ))
            .current_dir(root)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        self.child = Some(child);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while tokio::time::Instant::now() < deadline {
            if scrape::get(self.addr, "/ping")
                .await
                .is_ok_and(|r| r.status == 200)
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        anyhow::bail!("clickhouse-server not ready: {}", self.log())
    }

    /// Kills the server (the data stays).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Runs `sql` as the passwordless `default` user; returns the body (TabSeparated) or the
    /// server's error.
    pub async fn query(&self, sql: &str) -> anyhow::Result<String> {
        let response = scrape::request(
            self.addr,
            "POST",
            "/",
            &[],
            scrape::Body::Sized(sql.as_bytes()),
        )
        .await?;
        anyhow::ensure!(
            response.status == 200,
            "{sql}: HTTP {}: {}",
            response.status,
            response.body
        );
        Ok(response.body)
    }

    /// The server's log, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }
}

impl Drop for ClickHouse {
    fn drop(&mut self) {
        self.stop();
    }
}
