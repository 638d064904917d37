//! The ceiling: this bench re-executed as a server that answers `GET /metrics` with bytes held
//! in memory (the exporter's own exposition, read once from a file) through the same HTTP
//! stack as the exporter: `upsight-http`'s hardening layers with `/metrics` in the metrics
//! group, a loopback bind, the per-client limit lifted as in the exporter's bench
//! configuration, `upsight_http::serve` with the default limits, and the binary's two-worker
//! runtime. What the exporter does beyond this server is its own work per scrape.

use std::io::Read as _;
use std::path::Path;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::header;
use axum::routing::get;
use tokio::net::TcpListener;
use upsight_exporter::exposition::CONTENT_TYPE;
use upsight_http::{Credentials, Exposure, Hardening, HttpConfig, Limits, RateLimitConfig};

/// The flag that makes this bench binary the ceiling server; the file to serve follows.
pub(crate) const CEILING_FLAG: &str = "--ceiling-server";

/// Serves `body` on an ephemeral 127.0.0.1 port, printing `listening ADDR` first, until stdin
/// closes.
pub(crate) fn serve(body: &Path) -> anyhow::Result<()> {
    let body = Bytes::from(std::fs::read(body)?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        println!("listening {addr}");
        let metrics = Router::new().route(
            "/metrics",
            get(move || {
                let body = body.clone();
                async move { ([(header::CONTENT_TYPE, CONTENT_TYPE)], body) }
            }),
        );
        let mut http = HttpConfig::new(Credentials::default(), Exposure::of(addr));
        // As the exporter's `rate_limit_per_minute = 60000`, `rate_limit_burst = 100000`.
        http.rate_limit = RateLimitConfig::try_new(Duration::from_millis(1), 100_000, 10_000)?;
        let hardening = Hardening::new(http).metrics(metrics);
        let counters = hardening.counters();
        let app = hardening.build();
        let stdin_closed = async {
            let _ = tokio::task::spawn_blocking(|| {
                let mut sink = Vec::new();
                std::io::stdin().read_to_end(&mut sink)
            })
            .await;
        };
        upsight_http::serve(listener, app, Limits::default(), counters, stdin_closed).await;
        anyhow::Ok(())
    })
}
