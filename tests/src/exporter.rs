//! Runs the exporter in-process on 127.0.0.1 with a TOML config, for the length of a test.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use upsight_exporter::Config;

use crate::scrape::{self, Samples};

/// A running exporter; stops when dropped.
#[derive(Debug)]
pub struct Exporter {
    /// HTTP address.
    pub addr: SocketAddr,
    cancel: CancellationToken,
    task: Option<JoinHandle<()>>,
}

impl Exporter {
    /// Starts an exporter with `config` (TOML; `listen` is forced to 127.0.0.1:0).
    pub async fn start(config: &str) -> anyhow::Result<Self> {
        Self::start_on(config, "127.0.0.1:0").await
    }

    /// Starts an exporter listening on `bind` (e.g. `0.0.0.0:0` to test the public-bind policy;
    /// tests still connect through 127.0.0.1).
    pub async fn start_on(config: &str, bind: &str) -> anyhow::Result<Self> {
        let mut config = Config::parse(config, &|_| None).map_err(|e| anyhow::anyhow!("{e}"))?;
        // Tests scrape every 100 ms from one address: far above the default per-client limit.
        config.http.rate_limit =
            upsight_http::RateLimitConfig::try_new(Duration::from_millis(1), 10_000, 1_000)?;
        let listener = TcpListener::bind(bind).await?;
        let port = listener.local_addr()?.port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let cancel = CancellationToken::new();
        let stop = cancel.clone();
        let task = tokio::spawn(async move {
            let _ = upsight_exporter::run(config, listener, stop.cancelled_owned()).await;
        });
        Ok(Self {
            addr,
            cancel,
            task: Some(task),
        })
    }

    /// One scrape of /metrics, parsed.
    pub async fn scrape(&self) -> anyhow::Result<Samples> {
        scrape::metrics(self.addr).await
    }

    /// Scrapes until `check` holds, every 100 ms, for at most `limit`. Returns the last scrape.
    pub async fn wait_for(
        &self,
        limit: Duration,
        what: &str,
        check: impl Fn(&Samples) -> bool,
    ) -> anyhow::Result<Samples> {
        scrape::wait_for_metrics(self.addr, limit, what, check, String::new).await
    }

    /// Stops the exporter and waits for it.
    pub async fn stop(mut self) {
        self.cancel.cancel();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Exporter {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}
