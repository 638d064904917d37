//! The upsight site exporter: polls local UPS hardware in the background and serves the latest
//! snapshot as PII-free Prometheus metrics.
//!
//! Data flow: [`source`] (sockets, deadlines, reconnects) → [`mapping`] (pure, table-driven
//! wire → SI units) → [`poller`] (one task per source, publishes an immutable
//! [`upsight_model::Snapshot`]) → [`exposition`] and [`http`] (readers that never wait on
//! hardware).

pub mod config;
pub mod exposition;
pub mod http;
pub mod mapping;
pub mod metrics;
pub mod poller;
pub mod source;

use std::future::Future;

use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub use config::{Config, ConfigError, ConfigErrors};
pub use poller::SnapshotHub;

/// Runs the exporter until `shutdown` completes: one poller task per configured source and the
/// HTTP server on `listener`. Returns once every task has stopped.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let cancel = CancellationToken::new();
    let names = (0..config.nut.len())
        .map(|i| format!("nut[{i}]"))
        .chain((0..config.snmp.len()).map(|i| format!("snmp[{i}]")))
        .collect();
    let hub = SnapshotHub::new(names);
    let mut tasks = JoinSet::new();
    for (index, server) in config.nut.iter().enumerate() {
        let source = source::nut::NutSource::new(server.clone());
        let poller = poller::Poller::new(index, hub.clone(), config.interval, server.poll_timeout)
            .with_prefix(server.prefix.clone());
        tasks.spawn(poller.run(source, cancel.clone()));
    }
    for (i, device) in config.snmp.iter().enumerate() {
        let source = source::snmp::SnmpSource::new(device.clone());
        let poller = poller::Poller::new(
            config.nut.len() + i,
            hub.clone(),
            config.interval,
            device.poll_timeout,
        )
        .with_kind(upsight_model::Source::Snmp);
        tasks.spawn(poller.run(source, cancel.clone()));
    }
    let app = http::router(http::AppState::new(hub));
    let server_cancel = cancel.clone();
    tasks.spawn(async move {
        let serve =
            axum::serve(listener, app).with_graceful_shutdown(server_cancel.cancelled_owned());
        if let Err(error) = serve.await {
            tracing::error!(%error, "HTTP server failed.");
        }
    });
    shutdown.await;
    tracing::info!("Shutting down.");
    cancel.cancel();
    let drain = async { while tasks.join_next().await.is_some() {} };
    if tokio::time::timeout(std::time::Duration::from_secs(5), drain)
        .await
        .is_err()
    {
        tracing::warn!("Tasks did not stop within 5 s; aborting them.");
    }
    Ok(())
}
