//! `upsight demo`: everything on loopback in one process: three sites of simulated UPSes (NUT
//! and SNMP), one exporter per site, and a fleet control plane the exporters join. Site a has
//! a UPS in an outage loop, site b is in an outage the whole time, site c is quiet.

use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use upsight_exporter::Config;
use upsight_sim::demo::{SITE_B, SITE_C, site_simulator};

use crate::cli::{EX_OK, EX_SOFTWARE, EX_TEMPFAIL};
use crate::commands::{Failure, bind, print_lines, shutdown_signal};

/// How often the demo exporters heartbeat (the plane's interval), and its TTL.
const HEARTBEAT: &str = "heartbeat_interval = \"5s\"\nttl = \"15s\"\n";

/// The tokens the demo generates.
struct Tokens {
    viewer: String,
    admin: String,
    ingest: String,
    fleet_viewer: String,
}

/// The environment the demo's configurations see: only the ClickHouse credentials.
fn analytics_env(key: &str) -> Option<String> {
    key.starts_with("UPSIGHT_ANALYTICS_")
        .then(|| std::env::var(key).ok())
        .flatten()
}

pub(crate) async fn demo(analytics_url: Option<String>) -> Result<u8, Failure> {
    let start_failed = |what: &str, e: std::io::Error| {
        (EX_TEMPFAIL, anyhow::anyhow!("cannot start the {what}: {e}"))
    };
    let tokens = Tokens {
        viewer: demo_token()?,
        admin: demo_token()?,
        ingest: demo_token()?,
        fleet_viewer: demo_token()?,
    };
    let stop = CancellationToken::new();
    let sim_a = upsight_sim::demo::simulator()
        .bind("127.0.0.1:0")
        .await
        .map_err(|e| start_failed("NUT simulator", e))?;
    let sim_b = site_simulator(SITE_B)
        .bind("127.0.0.1:0")
        .await
        .map_err(|e| start_failed("site-b simulator", e))?;
    let sim_c = site_simulator(SITE_C)
        .bind("127.0.0.1:0")
        .await
        .map_err(|e| start_failed("site-c simulator", e))?;
    let agent = upsight_sim::snmp::demo_agent()
        .with_shutdown(stop.clone())
        .bind("127.0.0.1:0")
        .await
        .map_err(|e| start_failed("SNMP simulator", e))?;
    let snmp = agent.local_addr();

    let plane_listener = bind("127.0.0.1:0").await?;
    let plane = local(&plane_listener)?;
    // With --analytics-url every exporter writes to ClickHouse (site = its group) and the
    // plane reads from it; the URL is also the section's, so the env only adds credentials.
    let analytics = analytics_url
        .as_deref()
        .map_or(String::new(), |url| format!("[analytics]\nurl = {url:?}\n"));
    let fleet_text = format!(
        "listen = \"{plane}\"\n{HEARTBEAT}[tokens]\ningest = \"{}\"\nviewer = \"{}\"\n{analytics}",
        tokens.ingest, tokens.fleet_viewer
    );
    let fleet_config =
        upsight_fleet::FleetConfig::parse(&fleet_text, &analytics_env).map_err(|e| {
            (
                EX_SOFTWARE,
                anyhow::anyhow!("demo fleet configuration: {e}"),
            )
        })?;
    let loaded = upsight_fleet::open_state(&fleet_config)
        .map_err(|e| (EX_SOFTWARE, anyhow::Error::new(e)))?;
    let mut tasks = tokio::task::JoinSet::new();
    let shutdown = stop.clone();
    tasks.spawn(async move {
        upsight_fleet::run(
            fleet_config,
            loaded,
            plane_listener,
            shutdown.cancelled_owned(),
        )
        .await
        .map_err(|e| anyhow::anyhow!("fleet plane failed: {e}"))
    });

    let mut site_a = String::new();
    for (community, _) in upsight_sim::snmp::demo_snmp_devices() {
        site_a.push_str(&format!(
            "[[snmp]]\nname = \"{community}\"\naddress = \"{snmp}\"\ncommunity = \"{community}\"\n"
        ));
    }
    let sites = [
        ("site-a", sim_a.addr(), site_a),
        ("site-b", sim_b.addr(), String::new()),
        ("site-c", sim_c.addr(), String::new()),
    ];
    let mut exporters = Vec::new();
    for (site, nut, extra) in sites {
        let listener = bind("127.0.0.1:0").await?;
        let addr = local(&listener)?;
        let text = format!(
            "listen = \"{addr}\"\ninterval = \"2s\"\n\
             [http]\nviewer_token = \"{}\"\nadmin_token = \"{}\"\n\
             [fleet]\nurl = \"http://{plane}\"\ngroup = \"{site}\"\nidentity = \"{site}-exporter\"\n\
             token = \"{}\"\nscrape_target = \"{addr}\"\n\
             {analytics}[[nut]]\naddress = \"{nut}\"\n{extra}",
            tokens.viewer, tokens.admin, tokens.ingest
        );
        let config = Config::parse(&text, &analytics_env).map_err(|e| {
            (
                EX_SOFTWARE,
                anyhow::anyhow!("demo configuration for {site}: {e}"),
            )
        })?;
        let shutdown = stop.clone();
        tasks.spawn(async move {
            upsight_exporter::run(config, listener, shutdown.cancelled_owned())
                .await
                .map_err(|e| anyhow::anyhow!("exporter for {site} failed: {e}"))
        });
        exporters.push(addr);
    }
    let [a, b, c] = [exporters[0], exporters[1], exporters[2]];
    let mut lines = vec![
        ("nut-simulator", format!("nut://{}", sim_a.addr())),
        ("snmp-simulator", format!("snmp://{snmp}")),
        ("exporter-site-a", format!("http://{a}")),
        ("metrics", format!("http://{a}/metrics")),
        ("dashboard", format!("http://{a}/?token={}", tokens.viewer)),
        ("exporter-site-b", format!("http://{b}")),
        ("exporter-site-c", format!("http://{c}")),
        ("fleet", format!("http://{plane}")),
        (
            "fleet-dashboard",
            format!("http://{plane}/?token={}", tokens.fleet_viewer),
        ),
        ("viewer-token", tokens.viewer.clone()),
        ("admin-token", tokens.admin.clone()),
        ("fleet-viewer-token", tokens.fleet_viewer.clone()),
    ];
    if let Some(url) = &analytics_url {
        lines.push(("analytics", url.clone()));
    }
    print_lines(&lines);
    tracing::info!(
        "Demo running: three sites join the fleet plane. Site a: 'branch' (NUT) loses mains \
         power about every 90 seconds, 'closet-apc' (SNMP) for 20 seconds every 2 minutes. \
         Site b: 'warehouse' is on battery with little runtime left. Ctrl-C stops."
    );
    let outages = tokio::spawn(upsight_sim::snmp::demo_outage_loop(
        agent,
        "closet-apc",
        Duration::from_secs(120),
        Duration::from_secs(20),
        stop.clone(),
    ));
    // Until a signal, or until one of the servers stops on its own (an error).
    let early = tokio::select! {
        () = shutdown_signal() => None,
        done = tasks.join_next() => done,
    };
    stop.cancel();
    let _ = outages.await;
    let mut failure = early.and_then(flatten);
    while let Some(done) = tasks.join_next().await {
        failure = failure.or_else(|| flatten(done));
    }
    drop((sim_a, sim_b, sim_c));
    match failure {
        Some(error) => Err((EX_SOFTWARE, error)),
        None => Ok(EX_OK),
    }
}

/// The error of a finished server task, if it failed or panicked.
fn flatten(
    done: Result<Result<(), anyhow::Error>, tokio::task::JoinError>,
) -> Option<anyhow::Error> {
    match done {
        Ok(Ok(())) => None,
        Ok(Err(error)) => Some(error),
        Err(error) => Some(anyhow::anyhow!("a demo server task failed: {error}")),
    }
}

fn local(listener: &TcpListener) -> Result<std::net::SocketAddr, Failure> {
    listener
        .local_addr()
        .map_err(|e| (EX_SOFTWARE, anyhow::Error::new(e)))
}

/// A fresh random token for the demo: 32 random bytes, hex (64 characters).
fn demo_token() -> Result<String, Failure> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| {
        (
            EX_SOFTWARE,
            anyhow::anyhow!("no randomness for the demo tokens: {e}"),
        )
    })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
