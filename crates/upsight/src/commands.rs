//! What each subcommand does: load and validate, bind, run until a signal, map to an exit code.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use tokio::net::TcpListener;
use upsight_exporter::Config;
use upsight_sim::{Scenario, Simulator};

use crate::cli::{Command, EX_CANTCREAT, EX_OK, EX_SOFTWARE, EX_TEMPFAIL, EX_USAGE};

/// Runs one subcommand and returns the process exit code.
pub(crate) async fn dispatch(command: Command) -> u8 {
    let result = match command {
        Command::Exporter { config } => exporter(&config).await,
        Command::Fleet { config } => fleet(&config).await,
        Command::CheckConfig { file } => Ok(check_config(&file)),
        Command::Sim { listen, files } => sim(&listen.to_string(), &files).await,
        Command::Demo { analytics_url } => crate::demo::demo(analytics_url).await,
        Command::Healthcheck { url, timeout } => Ok(crate::healthcheck::run(&url, timeout).await),
    };
    result.unwrap_or_else(|(code, error)| {
        tracing::error!("{error:#}");
        code
    })
}

pub(crate) type Failure = (u8, anyhow::Error);

fn env_lookup(key: &str) -> Option<String> {
    std::env::var(key).ok()
}

fn load(path: &Path) -> Result<Config, Failure> {
    Config::load(path, &env_lookup).map_err(|errors| {
        (
            EX_USAGE,
            anyhow::anyhow!("invalid configuration {}:\n{errors}", path.display()),
        )
    })
}

pub(crate) async fn bind(addr: &str) -> Result<TcpListener, Failure> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| (EX_TEMPFAIL, anyhow::anyhow!("cannot listen on {addr}: {e}")))
}

async fn exporter(path: &Path) -> Result<u8, Failure> {
    let config = load(path)?;
    if let Err(errors) = config.alerts.check_targets().await {
        return Err((
            EX_USAGE,
            anyhow::anyhow!("alert targets refused:\n{errors}"),
        ));
    }
    let state = upsight_exporter::open_state(&config).map_err(|e| {
        let code = u8::try_from(e.exit_code()).unwrap_or(EX_CANTCREAT);
        (code, anyhow::Error::new(e))
    })?;
    if config.state_dir.is_none() {
        tracing::info!("No state_dir: events, outages and energy are kept in memory only.");
    }
    let listener = bind(&config.listen.to_string()).await?;
    // The bound address: with port 0 in `listen`, the port the system chose.
    let local = listener
        .local_addr()
        .map_err(|e| (EX_SOFTWARE, anyhow::Error::new(e)))?;
    tracing::info!(
        listen = %local,
        nut_servers = config.nut.len(),
        snmp_devices = config.snmp.len(),
        "Exporter started."
    );
    upsight_exporter::run_with_state(config, state, listener, shutdown_signal())
        .await
        .map_err(|e| (EX_SOFTWARE, anyhow::anyhow!("exporter failed: {e}")))?;
    Ok(EX_OK)
}

async fn fleet(path: &Path) -> Result<u8, Failure> {
    let config = upsight_fleet::FleetConfig::load(path, &env_lookup).map_err(|errors| {
        (
            EX_USAGE,
            anyhow::anyhow!("invalid configuration {}:\n{errors}", path.display()),
        )
    })?;
    if let Some(refusal) = config.bind_refusal() {
        if !config.is_insecure {
            return Err((EX_USAGE, anyhow::anyhow!("{refusal}")));
        }
        tracing::warn!(
            listen = %config.listen,
            "UPSIGHT_FLEET_INSECURE=1: serving on a non-loopback address without both tokens; \
             anyone who can reach it can register members or read the fleet. Testing only."
        );
    }
    let state = upsight_fleet::open_state(&config).map_err(|e| {
        let code = u8::try_from(e.exit_code()).unwrap_or(EX_CANTCREAT);
        (code, anyhow::Error::new(e))
    })?;
    if config.state_dir.is_none() {
        tracing::info!("No state_dir: members are kept in memory only.");
    }
    let listener = bind(&config.listen.to_string()).await?;
    let local = listener
        .local_addr()
        .map_err(|e| (EX_SOFTWARE, anyhow::Error::new(e)))?;
    tracing::info!(listen = %local, "Fleet plane started.");
    upsight_fleet::run(config, state, listener, shutdown_signal())
        .await
        .map_err(|e| (EX_SOFTWARE, anyhow::anyhow!("fleet plane failed: {e}")))?;
    Ok(EX_OK)
}

fn check_config(path: &Path) -> u8 {
    let mut out = std::io::stdout().lock();
    match Config::load(path, &env_lookup) {
        Ok(config) => {
            let _ = writeln!(
                out,
                "{}: ok ({} NUT server(s), {} SNMP device(s))",
                path.display(),
                config.nut.len(),
                config.snmp.len()
            );
            EX_OK
        }
        Err(errors) => {
            for error in &errors.0 {
                let _ = writeln!(out, "{}: {error}", path.display());
            }
            EX_USAGE
        }
    }
}

async fn sim(listen: &str, files: &[PathBuf]) -> Result<u8, Failure> {
    let mut simulator = Simulator::new();
    if files.is_empty() {
        simulator = upsight_sim::demo::simulator();
    }
    let mut names = std::collections::HashSet::new();
    for file in files {
        let text = std::fs::read_to_string(file).map_err(|e| {
            (
                EX_USAGE,
                anyhow::anyhow!("cannot read {}: {e}", file.display()),
            )
        })?;
        let scenario = Scenario::parse(&text)
            .map_err(|e| (EX_USAGE, anyhow::anyhow!("{}: {e}", file.display())))?;
        let name = device_name(file).ok_or_else(|| {
            (
                EX_USAGE,
                anyhow::anyhow!("{}: file name is not a usable UPS name", file.display()),
            )
        })?;
        if !names.insert(name.clone()) {
            let error = anyhow::anyhow!("{}: a second file named {name:?}", file.display());
            return Err((EX_USAGE, error));
        }
        simulator = simulator.with_scenario(name, scenario);
    }
    let handle = simulator.bind(listen).await.map_err(|e| {
        (
            EX_TEMPFAIL,
            anyhow::anyhow!("cannot listen on {listen}: {e}"),
        )
    })?;
    print_lines(&[("nut-simulator", format!("nut://{}", handle.addr()))]);
    shutdown_signal().await;
    Ok(EX_OK)
}

/// `Eaton__5PX__snmp-ups.dev` → `Eaton__5PX__snmp-ups` (invalid characters become `_`).
fn device_name(file: &Path) -> Option<String> {
    let stem = file.file_stem()?.to_str()?;
    let name: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    (!name.is_empty()).then_some(name)
}

/// Prints `NAME URL` lines on stdout (a contract: scripts read them).
pub(crate) fn print_lines(lines: &[(&str, String)]) {
    let mut out = std::io::stdout().lock();
    for (name, url) in lines {
        let _ = writeln!(out, "{name} {url}");
    }
    let _ = out.flush();
}

/// Completes on SIGINT or SIGTERM.
pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
