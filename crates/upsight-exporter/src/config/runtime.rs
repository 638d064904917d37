//! Devices added, changed and removed at runtime through the API (admin). They are validated
//! exactly like the file's sections, kept in the state file and polled like any other source;
//! the configuration file is never rewritten.

use std::collections::HashSet;

use super::raw::RawNutServer;
use super::snmp::RawSnmpDevice;
use super::{Config, ConfigError, ConfigErrors, NutServer, SnmpDevice};
use upsight_model::UpsName;

/// A device as the API receives it: a name and exactly one of `nut` or `snmp`, each with the
/// keys of the file's `[[nut]]` / `[[snmp]]` sections.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct RuntimeDevice {
    /// Name of the entry (for SNMP, the device's `ups` label); taken from the path on PUT.
    #[serde(default)]
    pub name: String,
    /// A NUT server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nut: Option<RawNutServer>,
    /// An SNMP agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snmp: Option<RawSnmpDevice>,
}

/// A validated runtime source.
#[derive(Debug, Clone)]
pub enum RuntimeSource {
    /// Polled like a `[[nut]]` section.
    Nut(NutServer),
    /// Polled like an `[[snmp]]` section.
    Snmp(SnmpDevice),
}

impl Config {
    /// Every device label the file itself defines (SNMP names, explicit NUT UPS names with
    /// their prefix) and every runtime entry name in `others`: a new entry must use none.
    pub fn file_names(&self) -> HashSet<String> {
        let mut names: HashSet<String> = self.snmp.iter().map(|d| d.name.to_string()).collect();
        for server in &self.nut {
            for ups in server.ups.iter().flatten() {
                names.insert(format!("{}{ups}", server.prefix));
            }
        }
        names
    }

    /// Validates `device` like a file section; `taken` are names already in use.
    pub fn validate_runtime(
        &self,
        device: RuntimeDevice,
        taken: &HashSet<String>,
    ) -> Result<RuntimeSource, ConfigErrors> {
        let mut errors = Vec::new();
        let mut err = |path: String, message: String| {
            // Paths name the body's keys (`snmp.community`), not a file index.
            let path = path
                .replacen("snmp[0]", "snmp", 1)
                .replacen("nut[0]", "nut", 1);
            errors.push(ConfigError { path, message });
        };
        if let Err(e) = device.name.parse::<UpsName>() {
            err("name".into(), e.to_string());
        } else if taken.contains(&device.name) {
            err(
                "name".into(),
                format!("{:?} is already in use", device.name),
            );
        }
        let mut seen = taken.clone();
        let source = match (device.nut, device.snmp) {
            (Some(nut), None) => nut
                .validate(0, self.interval, &mut seen, &mut err)
                .map(RuntimeSource::Nut),
            (None, Some(mut snmp)) => {
                if snmp.name.is_empty() {
                    snmp.name.clone_from(&device.name);
                } else if snmp.name != device.name {
                    err(
                        "snmp.name".into(),
                        format!("{:?} differs from name {:?}", snmp.name, device.name),
                    );
                }
                // The name was checked against `taken` above; let the section check the rest.
                seen.remove(&device.name);
                snmp.validate(0, self.interval, &mut seen, &mut err)
                    .map(RuntimeSource::Snmp)
            }
            _ => {
                err("nut".into(), "give exactly one of `nut` or `snmp`".into());
                None
            }
        };
        match source {
            Some(source) if errors.is_empty() => Ok(source),
            _ => Err(ConfigErrors(errors)),
        }
    }
}
