//! One case of the comparison: a recording and an SNMP version, with our source warmed up on
//! it and the snmp_exporter module generated from that source's plan.

use std::net::SocketAddr;

use anyhow::Context as _;
use upsight_e2e::snmpsim;
use upsight_exporter::config::Config;
use upsight_exporter::source::snmp::SnmpSource;
use upsight_exporter::source::{DevicePoll, PollError, RawDevice, Source};
use upsight_proto::snmp::{Oid, Value};

use crate::module::{module_metrics, module_yaml};

/// SNMP version of one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Version {
    V2c,
    V3,
}

impl Version {
    /// How the table names this version.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::V2c => "v2c",
            Self::V3 => "v3 authPriv SHA/AES",
        }
    }
}

/// One (recording, version): our warmed-up source and the snmp_exporter module for it.
pub(crate) struct Case {
    pub(crate) recording: String,
    pub(crate) version: Version,
    pub(crate) source: SnmpSource,
    pub(crate) module: String,
    pub(crate) module_name: String,
    pub(crate) metric_names: Vec<String>,
    pub(crate) scalars: usize,
    pub(crate) columns: usize,
}

/// Our source for `recording` through the relay at `relay`, after its first poll (profile
/// detection, v3 engine discovery), and the snmp_exporter module generated from its plan.
pub(crate) async fn warm_case(
    recording: &str,
    version: Version,
    relay: SocketAddr,
) -> anyhow::Result<Case> {
    let (user, _, auth_key, _, priv_key) = snmpsim::V3_USERS[0];
    let security = match version {
        Version::V2c => format!("community = \"{recording}\""),
        Version::V3 => format!(
            "version = \"3\"\nusername = \"{user}\"\nauth_protocol = \"SHA\"\n\
             auth_password = \"{auth_key}\"\npriv_protocol = \"AES\"\n\
             priv_password = \"{priv_key}\"\ncontext = \"{recording}\""
        ),
    };
    let auth = match version {
        Version::V2c => format!("  version: 2\n  auth:\n    community: {recording}\n"),
        Version::V3 => format!(
            "  version: 3\n  auth:\n    username: {user}\n    security_level: authPriv\n    \
             password: {auth_key}\n    auth_protocol: SHA\n    priv_protocol: AES\n    \
             priv_password: {priv_key}\n    context_name: {recording}\n"
        ),
    };
    let text =
        format!("interval = \"5s\"\n[[snmp]]\nname = \"dev\"\naddress = \"{relay}\"\n{security}\n");
    let config = Config::parse(&text, &|_| None).map_err(|e| anyhow::anyhow!("config: {e}"))?;
    let device = config
        .snmp
        .first()
        .context("config has no [[snmp]] device")?
        .clone();
    let mut source = SnmpSource::new(device.clone());
    let values = first_values(source.poll().await).map_err(|e| {
        anyhow::anyhow!("{recording} {}: warm-up poll failed: {e}", version.label())
    })?;
    let profile = source
        .profile()
        .context("no profile after a successful poll")?;
    let plan = profile.plan();
    let metrics = module_metrics(&plan, &values);
    let module_name = format!("{}_{version:?}", recording.replace('-', "_")).to_lowercase();
    eprintln!(
        "==> {recording} {}: profile {}, {} scalars, {} columns, {} varbinds",
        version.label(),
        profile.id,
        plan.scalars.len(),
        plan.columns.len(),
        values.len()
    );
    Ok(Case {
        recording: recording.to_owned(),
        version,
        source,
        module: module_yaml(&module_name, &auth, &device, &plan, &metrics),
        module_name,
        metric_names: metrics.into_iter().map(|m| m.name).collect(),
        scalars: plan.scalars.len(),
        columns: plan.columns.len(),
    })
}

/// The varbinds of the one device in a poll result, or why there are none.
pub(crate) fn first_values(
    result: Result<Vec<DevicePoll>, PollError>,
) -> Result<Vec<(Oid, Value)>, String> {
    let polls = result.map_err(|e| format!("source error: {e}"))?;
    let device = polls.into_iter().next().ok_or("no device in the poll")?;
    match device.result {
        Ok(RawDevice::Snmp { values, .. }) => Ok(values),
        Ok(RawDevice::Nut(_)) => Err("a NUT result from the SNMP source".to_owned()),
        Err(e) => Err(format!("device error: {e}")),
    }
}
