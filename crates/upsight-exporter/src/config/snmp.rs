//! `[[snmp]]` sections: one SNMP agent (one UPS) each, v1, v2c or v3 USM.

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Duration;

use upsight_model::UpsName;

use super::Secret;
pub use usm::{AuthProtocol, PrivProtocol, Usm};

mod usm;
use super::raw::{check_within, parse_host_port, read_secret};
use super::secret::RawSecret;

/// Default SNMP agent port.
pub const SNMP_PORT: u16 = 161;

/// One `[[snmp]]` section as written.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawSnmpDevice {
    /// The `ups` label of this device (for a device added through the API, its name).
    #[serde(default)]
    pub name: String,
    /// `host`, `host:port` or `[v6]:port` (default port 161).
    pub address: String,
    /// `"1"`, `"2c"` or `"3"`.
    #[serde(default = "default_version")]
    pub version: String,
    /// v1/v2c community.
    pub community: Option<RawSecret>,
    /// File holding the community.
    pub community_file: Option<PathBuf>,
    /// v3 user name.
    pub username: Option<String>,
    /// v3 `noAuthNoPriv`, `authNoPriv` or `authPriv` (default `authPriv`).
    pub security_level: Option<String>,
    /// v3 authentication protocol (default SHA).
    pub auth_protocol: Option<String>,
    /// v3 authentication passphrase.
    pub auth_password: Option<RawSecret>,
    /// File holding the authentication passphrase.
    pub auth_password_file: Option<PathBuf>,
    /// v3 privacy protocol (default AES, i.e. AES-128).
    pub priv_protocol: Option<String>,
    /// v3 privacy passphrase.
    pub priv_password: Option<RawSecret>,
    /// File holding the privacy passphrase.
    pub priv_password_file: Option<PathBuf>,
    /// v3 context name.
    pub context: Option<String>,
    /// MIB profile: `auto` (default), `ups-mib`, `apc`, `eaton-xups`, `cyberpower`.
    pub profile: Option<String>,
    /// Deadline for one request (each retry gets a fresh one).
    #[serde(default, with = "humantime_serde")]
    pub timeout: Option<Duration>,
    /// Retries after a timed-out request.
    pub retries: Option<u32>,
    /// GETBULK max-repetitions.
    pub max_repetitions: Option<u32>,
    /// Most OIDs in one GET.
    pub max_varbinds: Option<usize>,
    /// Deadline for a whole poll of this device (at most `interval`).
    #[serde(default, with = "humantime_serde")]
    pub poll_timeout: Option<Duration>,
}

fn default_version() -> String {
    "2c".to_owned()
}

/// A validated SNMP device.
#[derive(Debug, Clone)]
pub struct SnmpDevice {
    /// `ups` label.
    pub name: UpsName,
    /// Host name or address.
    pub host: String,
    /// UDP port.
    pub port: u16,
    /// Protocol version and credentials.
    pub security: SnmpSecurity,
    /// Fixed MIB profile id, or `None` to detect it from sysObjectID.
    pub profile: Option<&'static str>,
    /// Deadline for one request.
    pub timeout: Duration,
    /// Retries after a timed-out request.
    pub retries: u32,
    /// GETBULK max-repetitions.
    pub max_repetitions: u32,
    /// Most OIDs in one GET.
    pub max_varbinds: usize,
    /// Deadline for a whole poll.
    pub poll_timeout: Duration,
}

impl SnmpDevice {
    /// `host:port` for logs at DEBUG (addresses are PII: never a metric).
    pub fn endpoint(&self) -> String {
        super::endpoint(&self.host, self.port)
    }
}

/// Version and credentials. `Debug` never shows a secret.
#[derive(Debug, Clone)]
pub enum SnmpSecurity {
    /// SNMPv1 with a community.
    V1 {
        /// Community string.
        community: Secret,
    },
    /// SNMPv2c with a community.
    V2c {
        /// Community string.
        community: Secret,
    },
    /// SNMPv3 USM.
    V3(Usm),
}

/// Profile ids `profile` accepts (besides `auto`).
pub const PROFILE_IDS: [&str; 4] = ["ups-mib", "apc", "eaton-xups", "cyberpower"];

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1);
const DEFAULT_RETRIES: u32 = 2;
const DEFAULT_MAX_REPETITIONS: u32 = 10;
const DEFAULT_MAX_VARBINDS: usize = 32;
/// USM passphrases shorter than this are refused by net-snmp and most agents.
const MIN_PASSPHRASE: usize = 8;

/// Where a secret came from: inline, a file, or not given.
fn pick_secret(
    inline: Option<String>,
    file: Option<PathBuf>,
    key: &str,
    at: &dyn Fn(&str) -> String,
    fail: &mut dyn FnMut(String, String),
) -> Option<Secret> {
    match (inline, file) {
        (Some(_), Some(_)) => {
            fail(at(key), format!("set {key} or {key}_file, not both"));
            None
        }
        (Some(v), None) if v.is_empty() => {
            fail(at(key), "is empty".into());
            None
        }
        (Some(v), None) => Some(Secret::new(v)),
        (None, Some(path)) => read_secret(&path)
            .map_err(|m| fail(at(&format!("{key}_file")), m))
            .ok(),
        (None, None) => None,
    }
}

impl RawSnmpDevice {
    /// Checks the section; errors go to `err` with paths like `snmp[0].auth_protocol`.
    pub(super) fn validate(
        self,
        i: usize,
        interval: Duration,
        seen: &mut HashSet<String>,
        err: &mut dyn FnMut(String, String),
    ) -> Option<SnmpDevice> {
        let at = |key: &str| format!("snmp[{i}].{key}");
        let mut failed = false;
        let mut fail = |path: String, message: String| {
            failed = true;
            err(path, message);
        };
        let name = match self.name.parse::<UpsName>() {
            Ok(n) if !seen.insert(n.to_string()) => {
                fail(
                    at("name"),
                    format!("device name {:?} is used twice", n.as_str()),
                );
                None
            }
            Ok(n) => Some(n),
            Err(e) => {
                fail(at("name"), e.to_string());
                None
            }
        };
        let (host, port) = parse_host_port(&self.address, SNMP_PORT)
            .map_err(|m| fail(at("address"), format!("{:?}: {m}", self.address)))
            .unwrap_or_default();
        let community = pick_secret(
            self.community.clone().map(|s| s.0),
            self.community_file.clone(),
            "community",
            &at,
            &mut fail,
        );
        let v3_keys = [
            ("username", self.username.is_some()),
            ("security_level", self.security_level.is_some()),
            ("auth_protocol", self.auth_protocol.is_some()),
            (
                "auth_password",
                self.auth_password.is_some() || self.auth_password_file.is_some(),
            ),
            ("priv_protocol", self.priv_protocol.is_some()),
            (
                "priv_password",
                self.priv_password.is_some() || self.priv_password_file.is_some(),
            ),
            ("context", self.context.is_some()),
        ];
        let security = match self.version.trim() {
            v @ ("1" | "2c" | "2") => {
                for (key, is_set) in v3_keys {
                    if is_set {
                        fail(
                            at(key),
                            format!("is an SNMPv3 setting, but version is {v:?}"),
                        );
                    }
                }
                match community {
                    None => {
                        fail(
                            at("community"),
                            format!("SNMP version {v:?} needs community or community_file"),
                        );
                        None
                    }
                    Some(community) if v == "1" => Some(SnmpSecurity::V1 { community }),
                    Some(community) => Some(SnmpSecurity::V2c { community }),
                }
            }
            "3" => self.validate_usm(community.is_some(), &at, &mut fail),
            other => {
                fail(
                    at("version"),
                    format!("{other:?} is not one of \"1\", \"2c\", \"3\""),
                );
                None
            }
        };
        let profile = match self.profile.as_deref().map(str::trim) {
            None | Some("auto") => None,
            Some(p) => match PROFILE_IDS.iter().find(|id| **id == p) {
                Some(id) => Some(*id),
                None => {
                    fail(
                        at("profile"),
                        format!("{p:?} is not one of auto, {}", PROFILE_IDS.join(", ")),
                    );
                    None
                }
            },
        };
        let poll_timeout = self.poll_timeout.unwrap_or(interval.mul_f64(0.8));
        if let Err(m) = check_within(poll_timeout, interval, "the interval") {
            fail(at("poll_timeout"), m);
        }
        let timeout = self.timeout.unwrap_or(DEFAULT_TIMEOUT.min(poll_timeout));
        if let Err(m) = check_within(timeout, poll_timeout, "poll_timeout") {
            fail(at("timeout"), m);
        }
        let retries = self.retries.unwrap_or(DEFAULT_RETRIES);
        if retries > 10 {
            fail(at("retries"), format!("{retries} is out of range (0-10)"));
        }
        let max_repetitions = self.max_repetitions.unwrap_or(DEFAULT_MAX_REPETITIONS);
        if !(1..=100).contains(&max_repetitions) {
            fail(
                at("max_repetitions"),
                format!("{max_repetitions} is out of range (1-100)"),
            );
        }
        let max_varbinds = self.max_varbinds.unwrap_or(DEFAULT_MAX_VARBINDS);
        if !(1..=128).contains(&max_varbinds) {
            fail(
                at("max_varbinds"),
                format!("{max_varbinds} is out of range (1-128)"),
            );
        }
        if failed {
            return None;
        }
        Some(SnmpDevice {
            name: name?,
            host,
            port,
            security: security?,
            profile,
            timeout,
            retries,
            max_repetitions,
            max_varbinds,
            poll_timeout,
        })
    }
}
