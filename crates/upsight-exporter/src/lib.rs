//! The upsight site exporter: polls local UPS hardware in the background and serves the latest
//! snapshot as PII-free Prometheus metrics.
//!
//! Data flow: [`source`] (sockets, deadlines, reconnects) → [`mapping`] (pure, table-driven
//! wire → SI units) → [`poller`] (one task per source, publishes an immutable
//! [`upsight_model::Snapshot`]) → [`exposition`], [`http`] and the [`fleet`] heartbeat client
//! (readers that never wait on hardware).

pub mod alert;
pub mod api;
pub mod config;
pub mod dashboard;
pub mod exposition;
pub mod fleet;
pub mod http;
pub mod mapping;
pub mod metrics;
pub mod poller;
pub mod source;
pub mod supervisor;
pub mod tracker;

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub use config::{Config, ConfigError, ConfigErrors};
pub use poller::SnapshotHub;
use tracker::ExporterState;
pub use tracker::Tracker;
use upsight_store::{Store, StoreError};

/// What the exporter remembers: the tracker, and with a state directory the locked state file
/// it is saved to.
#[derive(Debug)]
pub struct State {
    tracker: Tracker,
    store: Option<Arc<Store<ExporterState>>>,
}

/// Name of the exporter's state file in `state_dir` (`exporter.json`, lock `exporter.lock`).
pub const STATE_NAME: &str = "exporter";

/// Opens the state: with `state_dir`, locks and loads the state file (a second exporter on the
/// same directory, a corrupt file or one from a newer version is refused, the file untouched;
/// [`StoreError::exit_code`] is 73); without, an empty in-memory state.
pub fn open_state(config: &Config) -> Result<State, StoreError> {
    let Some(dir) = &config.state_dir else {
        return Ok(State {
            tracker: Tracker::new(ExporterState::default(), config.interval),
            store: None,
        });
    };
    let (store, mut state) = Store::<ExporterState>::open(dir, STATE_NAME)?;
    tracker::seal::open(&mut state, config.state_key.as_deref()).map_err(|e| {
        StoreError::Sealed {
            path: store.path().to_path_buf(),
            detail: e.to_string(),
        }
    })?;
    if let Some(from) = store.migrated_from() {
        tracing::info!(
            from,
            "State file migrated; it is rewritten on the next save."
        );
    }
    Ok(State {
        tracker: Tracker::new(state, config.interval),
        store: Some(Arc::new(store)),
    })
}

/// Runs the exporter until `shutdown` completes, with the state from [`open_state`] (an error
/// opening it is returned as an I/O error; the binary calls [`open_state`] itself to map it to
/// exit code 73).
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let state = open_state(&config).map_err(|e| std::io::Error::other(e.to_string()))?;
    run_with_state(config, state, listener, shutdown).await
}

/// Runs the exporter until `shutdown` completes: one poller task per configured source, the
/// state saver, the heartbeat client when `[fleet]` is configured, and the HTTP server on
/// `listener`. Returns once every task has stopped (the state is saved one last time).
pub async fn run_with_state(
    config: Config,
    state: State,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let State { tracker, store } = state;
    let cancel = CancellationToken::new();
    let names = (0..config.nut.len())
        .map(|i| format!("nut[{i}]"))
        .chain((0..config.snmp.len()).map(|i| format!("snmp[{i}]")))
        .collect();
    let hub = SnapshotHub::new(names);
    let poll_now = Arc::new(tokio::sync::Notify::new());
    let mut tasks = JoinSet::new();
    let config = Arc::new(config);
    let supervisor = supervisor::Supervisor::new(
        Arc::clone(&config),
        hub.clone(),
        tracker.clone(),
        Arc::clone(&poll_now),
        cancel.clone(),
    );
    // Built before any task starts: a client that cannot be built is a startup error.
    let fleet = match &config.fleet {
        Some(settings) => {
            let heartbeater = fleet::Heartbeater::try_new(
                settings.clone(),
                hub.clone(),
                tracker.clone(),
                store.is_some(),
            )
            .map_err(std::io::Error::other)?;
            let status = heartbeater.status();
            tasks.spawn(heartbeater.run(cancel.clone()));
            Some(status)
        }
        None => None,
    };
    let alerts = match tracker.alerts_override() {
        None => config.alerts.clone(),
        Some(raw) => {
            let mut errors = Vec::new();
            match raw.validate(&mut |path, message| errors.push(format!("{path}: {message}"))) {
                Some(alerts) => alerts,
                None => {
                    tracing::error!(errors = %errors.join("; "), "The alert configuration set through the API no longer validates; using the file's.");
                    config.alerts.clone()
                }
            }
        }
    };
    let alerter = alert::AlertSwitch::start(alerts, cancel.clone());
    tracker.set_alerter(alerter.clone());
    let sink = config.analytics.as_ref().map(|settings| {
        let sink = upsight_analytics::Sink::new(settings.clone());
        tracker.set_analytics(sink.clone());
        tasks.spawn(sink.clone().run(cancel.clone()));
        (sink, settings.capacity_rows)
    });
    supervisor.start(&mut tasks);
    let mut saver = None;
    if let Some(store) = store {
        saver = Some(tokio::spawn(tracker::flush::run(
            tracker.clone(),
            store,
            config.state_key.clone(),
            cancel.clone(),
        )));
    }
    let listen = listener.local_addr()?;
    let mut state = http::AppState::new(hub, tracker, &config, Arc::clone(&poll_now), supervisor)
        .with_alerter(alerter);
    if let Some(status) = fleet {
        state = state.with_fleet(status);
    }
    if let Some((sink, capacity)) = sink {
        state = state.with_analytics(sink, capacity);
    }
    let (app, security) = http::router(state, &config, listen);
    let limits = config.http.limits;
    tasks.spawn(upsight_http::serve(
        listener,
        app,
        limits,
        security,
        cancel.clone().cancelled_owned(),
    ));
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
    if let Some(saver) = saver {
        // The final save runs after the pollers stopped, so it holds their last polls.
        let _ = saver.await;
    }
    Ok(())
}
