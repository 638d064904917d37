//! `upsight demo` as a user runs it: the release or debug binary of the workspace (see
//! [`crate::fleet_plane::binary`]) with no inherited `UPSIGHT_*` variable but those given,
//! its `NAME VALUE` lines read from stdout. Killed on drop.

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context as _;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

/// A running demo and what it printed.
#[derive(Debug)]
pub struct Demo {
    _child: Child,
    /// `(name, value)` lines in the order printed.
    pub lines: Vec<(String, String)>,
}

impl Demo {
    /// Starts `upsight demo ARGS…` with `env`, reading `lines` lines (12, or 13 with
    /// `--analytics-url`) within 30 s.
    pub async fn start(args: &[&str], env: &[(&str, &str)], lines: usize) -> anyhow::Result<Self> {
        let mut command = Command::new(crate::fleet_plane::binary()?);
        command
            .arg("demo")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("UPSIGHT_") {
                command.env_remove(key);
            }
        }
        command.envs(env.iter().copied());
        let mut child = command.spawn().context("starting upsight demo")?;
        let mut reader = BufReader::new(child.stdout.take().context("stdout")?).lines();
        let mut printed = Vec::new();
        while printed.len() < lines {
            let line = tokio::time::timeout(Duration::from_secs(30), reader.next_line())
                .await
                .context("demo output within 30 s")??
                .context("the demo stopped")?;
            let (name, value) = line.split_once(' ').context("a NAME VALUE line")?;
            printed.push((name.to_owned(), value.to_owned()));
        }
        Ok(Self {
            _child: child,
            lines: printed,
        })
    }

    /// The value printed for `name`.
    pub fn value(&self, name: &str) -> anyhow::Result<&str> {
        self.lines
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .with_context(|| format!("the demo printed no {name} line"))
    }

    /// The address of the `http://` URL printed for `name`.
    pub fn addr(&self, name: &str) -> anyhow::Result<SocketAddr> {
        let url = self.value(name)?;
        let addr: SocketAddr = url.trim_start_matches("http://").parse()?;
        anyhow::ensure!(addr.ip().is_loopback(), "{name} is not on loopback: {url}");
        Ok(addr)
    }
}
