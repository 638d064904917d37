//! The measured loops: N sequential polls by our source, N scrapes of snmp_exporter, each
//! with its wall times, CPU time and relay traffic.

use std::time::{Duration, Instant};

use upsight_e2e::scrape;
use upsight_exporter::source::Source as _;

use crate::case::{Case, first_values};
use crate::cpu::cpu_time;
use crate::exporter::{SnmpExporter, check_scrape};
use crate::relay::{Relay, Traffic};

/// What a measured loop gives.
#[derive(Debug, Default)]
pub(crate) struct Measured {
    pub(crate) walls: Vec<Duration>,
    pub(crate) cpu: Duration,
    pub(crate) traffic: Traffic,
    pub(crate) failures: usize,
    pub(crate) first_failure: Option<String>,
    /// snmp_exporter's own `snmp_scrape_duration_seconds` and `snmp_scrape_packets_sent`.
    pub(crate) self_reported: Vec<(f64, f64)>,
}

impl Measured {
    fn fail(&mut self, why: String) {
        self.failures += 1;
        self.first_failure.get_or_insert(why);
    }
}

/// `polls` sequential polls by our warm source; CPU is this process's except the relay thread.
pub(crate) async fn measure_ours(
    case: &mut Case,
    polls: usize,
    relay: &Relay,
    relay_tid: u32,
) -> anyhow::Result<Measured> {
    let mut m = Measured {
        walls: Vec::with_capacity(polls),
        ..Measured::default()
    };
    let traffic0 = relay.traffic();
    let cpu0 = cpu_time("self", Some(relay_tid))?;
    for _ in 0..polls {
        let start = Instant::now();
        let result = case.source.poll().await;
        m.walls.push(start.elapsed());
        match first_values(result) {
            Ok(values) if !values.is_empty() => {}
            Ok(_) => m.fail("no varbinds".to_owned()),
            Err(e) => m.fail(e),
        }
    }
    m.cpu = cpu_time("self", Some(relay_tid))?.saturating_sub(cpu0);
    m.traffic = relay.traffic().since(&traffic0);
    Ok(m)
}

/// `polls` sequential scrapes of snmp_exporter; CPU is the snmp_exporter process's.
pub(crate) async fn measure_theirs(
    case: &Case,
    polls: usize,
    exporter: &SnmpExporter,
    relay: &Relay,
) -> anyhow::Result<Measured> {
    let path = format!("/snmp?module={}&target={}", case.module_name, relay.addr);
    let pid = exporter.child.id().to_string();
    let mut m = Measured {
        walls: Vec::with_capacity(polls),
        ..Measured::default()
    };
    let traffic0 = relay.traffic();
    let cpu0 = cpu_time(&pid, None)?;
    for _ in 0..polls {
        let start = Instant::now();
        let response = scrape::get(exporter.addr, &path).await;
        m.walls.push(start.elapsed());
        match check_scrape(response, &case.metric_names) {
            Ok(own) => m.self_reported.extend(own),
            Err(e) => m.fail(e),
        }
    }
    m.cpu = cpu_time(&pid, None)?.saturating_sub(cpu0);
    m.traffic = relay.traffic().since(&traffic0);
    Ok(m)
}
