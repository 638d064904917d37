//! Stage one of configuration: the TOML shape, with defaults, before validation.

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Duration;

use upsight_model::UpsName;

use super::analytics::RawAnalytics;
use super::fleet::RawFleet;
use super::http::RawHttp;
use super::secret::RawSecret;
use super::snmp::RawSnmpDevice;
use super::{Config, ConfigError, ConfigErrors, NUT_PORT, NutServer, Secret};

/// The configuration file as written (`deny_unknown_fields`: a typo is an error).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// HTTP listen address (`UPSIGHT_LISTEN`).
    #[serde(default = "default_listen")]
    pub listen: String,
    /// Poll interval (`UPSIGHT_INTERVAL`), e.g. `"5s"`.
    #[serde(default = "default_interval", with = "humantime_serde")]
    pub interval: Duration,
    /// `[[nut]]` sections.
    #[serde(default)]
    pub nut: Vec<RawNutServer>,
    /// `[[snmp]]` sections.
    #[serde(default)]
    pub snmp: Vec<RawSnmpDevice>,
    /// Directory of the state file (`UPSIGHT_STATE_DIR`); absent: events, outages and energy
    /// are kept in memory only.
    pub state_dir: Option<PathBuf>,
    /// File holding the 256-bit key (64 hex digits) that seals secrets added through the API
    /// in the state file (`UPSIGHT_STATE_KEY_FILE`); absent: the API refuses inline secrets.
    pub state_key_file: Option<PathBuf>,
    /// Price of one kWh, for energy cost in the API (any currency).
    pub price_per_kwh: Option<f64>,
    /// `[http]`: dashboard and API access.
    #[serde(default)]
    pub http: RawHttp,
    /// `[alerts]`: where events are sent.
    #[serde(default)]
    pub alerts: Option<crate::alert::RawAlerts>,
    /// `[fleet]`: the control plane this exporter heartbeats to; absent: none.
    #[serde(default)]
    pub fleet: Option<RawFleet>,
    /// `[analytics]`: the ClickHouse sink; absent: none.
    #[serde(default)]
    pub analytics: Option<RawAnalytics>,
}

/// One `[[nut]]` section as written.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawNutServer {
    /// `host`, `host:port` or `[v6]:port`.
    pub address: String,
    /// Explicit UPS names; absent means `LIST UPS` discovery.
    pub ups: Option<Vec<String>>,
    /// Prefix for the `ups` label.
    #[serde(default)]
    pub prefix: String,
    /// Optional NUT username.
    pub username: Option<String>,
    /// Optional NUT password (prefer `password_file`).
    pub password: Option<RawSecret>,
    /// File holding the NUT password.
    pub password_file: Option<PathBuf>,
    /// TCP connect deadline.
    #[serde(default, with = "humantime_serde")]
    pub connect_timeout: Option<Duration>,
    /// Per-read deadline.
    #[serde(default, with = "humantime_serde")]
    pub read_timeout: Option<Duration>,
    /// Whole-poll deadline (at most `interval`).
    #[serde(default, with = "humantime_serde")]
    pub poll_timeout: Option<Duration>,
}

fn default_listen() -> String {
    "0.0.0.0:9955".to_owned()
}

fn default_interval() -> Duration {
    Duration::from_secs(5)
}

const MIN_INTERVAL: Duration = Duration::from_millis(100);
const MAX_INTERVAL: Duration = Duration::from_secs(3600);
const DEFAULT_IO_TIMEOUT: Duration = Duration::from_secs(2);

impl RawConfig {
    /// Applies the public `UPSIGHT_*` overrides (design.md §3).
    pub fn apply_env(&mut self, env: &dyn Fn(&str) -> Option<String>) -> Result<(), ConfigErrors> {
        if let Some(listen) = env("UPSIGHT_LISTEN") {
            self.listen = listen;
        }
        self.http.apply_env(env);
        if self.fleet.is_none() && env(super::fleet::URL_ENV).is_some() {
            self.fleet = Some(RawFleet::default());
        }
        if let Some(fleet) = &mut self.fleet {
            fleet.apply_env(env);
        }
        if self.analytics.is_none() && RawAnalytics::is_requested_by_env(env) {
            self.analytics = Some(RawAnalytics::default());
        }
        if let Some(analytics) = &mut self.analytics {
            analytics.apply_env(env);
        }
        if let Some(dir) = env("UPSIGHT_STATE_DIR") {
            self.state_dir = Some(PathBuf::from(dir));
        }
        if let Some(path) = env("UPSIGHT_STATE_KEY_FILE") {
            self.state_key_file = Some(PathBuf::from(path));
        }
        if let Some(text) = env("UPSIGHT_INTERVAL") {
            self.interval = humantime::parse_duration(&text).map_err(|e| {
                ConfigErrors::one(
                    "UPSIGHT_INTERVAL",
                    format!("{text:?} is not a duration: {e}"),
                )
            })?;
        }
        Ok(())
    }

    /// Stage two: checks every value and produces a [`Config`], or every error found.
    pub fn validate(self) -> Result<Config, ConfigErrors> {
        let mut errors = Vec::new();
        let mut err = |path: String, message: String| errors.push(ConfigError { path, message });
        let listen = self.listen.parse().map_err(|_| {
            err(
                "listen".into(),
                format!("{:?} is not an address like 0.0.0.0:9955", self.listen),
            );
        });
        if !(MIN_INTERVAL..=MAX_INTERVAL).contains(&self.interval) {
            err(
                "interval".into(),
                format!(
                    "{} is out of range (100ms to 1h)",
                    humantime::format_duration(self.interval)
                ),
            );
        }
        if self.nut.is_empty() && self.snmp.is_empty() {
            err(
                "nut".into(),
                "no devices configured: add a [[nut]] or [[snmp]] section".into(),
            );
        }
        let mut nut = Vec::new();
        let mut seen = HashSet::new();
        for (i, raw) in self.nut.into_iter().enumerate() {
            if let Some(server) = raw.validate(i, self.interval, &mut seen, &mut err) {
                nut.push(server);
            }
        }
        if self
            .price_per_kwh
            .is_some_and(|p| !p.is_finite() || p < 0.0)
        {
            err(
                "price_per_kwh".into(),
                format!(
                    "{:?} must be a number of 0 or more",
                    self.price_per_kwh.unwrap_or_default()
                ),
            );
        }
        if self
            .state_dir
            .as_ref()
            .is_some_and(|d| d.as_os_str().is_empty())
        {
            err(
                "state_dir".into(),
                "is empty: omit it to keep state in memory only".into(),
            );
        }
        let state_key = self.state_key_file.as_deref().and_then(|path| {
            crate::tracker::seal::StateKey::from_file(path)
                .map(std::sync::Arc::new)
                .map_err(|m| err("state_key_file".into(), m))
                .ok()
        });
        let http = self.http.validate(&mut |path, message| {
            err(format!("http.{path}"), message);
        });
        let alerts = match self.alerts {
            Some(raw) => raw.validate(&mut err),
            None => Some(crate::alert::AlertConfig::default()),
        };
        let fleet_group = self.fleet.as_ref().and_then(|f| f.group.clone());
        let fleet = self
            .fleet
            .map(|raw| raw.validate(&mut |key, message| err(format!("fleet.{key}"), message)));
        let analytics = self.analytics.map(|raw| {
            raw.validate(fleet_group.as_deref(), &mut |key, message| {
                err(format!("analytics.{key}"), message);
            })
        });
        let mut snmp = Vec::new();
        for (i, raw) in self.snmp.into_iter().enumerate() {
            if let Some(device) = raw.validate(i, self.interval, &mut seen, &mut err) {
                snmp.push(device);
            }
        }
        match listen {
            Ok(listen) if errors.is_empty() => Ok(Config {
                listen,
                interval: self.interval,
                nut,
                snmp,
                state_dir: self.state_dir,
                state_key_file: self.state_key_file,
                state_key,
                price_per_kwh: self.price_per_kwh,
                http,
                alerts: alerts.unwrap_or_default(),
                fleet: fleet.flatten(),
                analytics: analytics.flatten(),
            }),
            _ => Err(ConfigErrors(errors)),
        }
    }
}

impl RawNutServer {
    pub(super) fn validate(
        self,
        i: usize,
        interval: Duration,
        seen: &mut HashSet<String>,
        err: &mut dyn FnMut(String, String),
    ) -> Option<NutServer> {
        let at = |key: &str| format!("nut[{i}].{key}");
        let mut failed = false;
        let mut fail = |path: String, message: String| {
            failed = true;
            err(path, message);
        };
        let (host, port) = parse_host_port(&self.address, NUT_PORT)
            .map_err(|m| fail(at("address"), format!("{:?}: {m}", self.address)))
            .unwrap_or_default();
        if self.ups.as_ref().is_some_and(Vec::is_empty) {
            fail(
                at("ups"),
                "empty list: omit `ups` to discover devices with LIST UPS".into(),
            );
        }
        let ups = self.ups.map(|names| {
            let mut out = Vec::new();
            for (j, name) in names.iter().enumerate() {
                let path = format!("nut[{i}].ups[{j}]");
                match name.parse::<UpsName>() {
                    Err(e) => fail(path, e.to_string()),
                    Ok(n) => match format!("{}{n}", self.prefix).parse::<UpsName>() {
                        Err(e) => fail(at("prefix"), e.to_string()),
                        Ok(label) if !seen.insert(label.to_string()) => {
                            fail(
                                path,
                                format!("device name {:?} is used twice", label.as_str()),
                            );
                        }
                        Ok(_) => out.push(n),
                    },
                }
            }
            out
        });
        if !self.prefix.is_empty() && self.prefix.parse::<UpsName>().is_err() {
            fail(
                at("prefix"),
                format!(
                    "{:?} may only contain ASCII letters, digits, '_', '-' and '.'",
                    self.prefix
                ),
            );
        }
        let has_password = self.password.is_some() || self.password_file.is_some();
        let password = match (self.password, self.password_file) {
            (Some(_), Some(_)) => {
                fail(
                    at("password"),
                    "set password or password_file, not both".into(),
                );
                None
            }
            (Some(p), None) => Some(Secret::new(p.0)),
            (None, Some(path)) => read_secret(&path)
                .map_err(|m| fail(at("password_file"), m))
                .ok(),
            (None, None) => None,
        };
        if has_password && self.username.is_none() {
            fail(at("username"), "a password needs a username".into());
        }
        if self.username.is_some() && !has_password {
            fail(
                at("password"),
                "a username needs a password (both are sent, or neither)".into(),
            );
        }
        if self
            .username
            .as_deref()
            .is_some_and(|u| u.is_empty() || u.contains(['\n', '\r']))
        {
            fail(at("username"), "must be non-empty and on one line".into());
        }
        if password
            .as_ref()
            .is_some_and(|p| p.expose().contains(['\n', '\r']))
        {
            fail(
                at("password"),
                "contains a line break, which NUT cannot carry".into(),
            );
        }
        let poll_timeout = self.poll_timeout.unwrap_or(interval.mul_f64(0.8));
        if let Err(m) = check_within(poll_timeout, interval, "the interval") {
            fail(at("poll_timeout"), m);
        }
        let io_default = DEFAULT_IO_TIMEOUT.min(poll_timeout);
        let connect_timeout = self.connect_timeout.unwrap_or(io_default);
        let read_timeout = self.read_timeout.unwrap_or(io_default);
        for (key, value) in [
            ("connect_timeout", connect_timeout),
            ("read_timeout", read_timeout),
        ] {
            if let Err(m) = check_within(value, poll_timeout, "poll_timeout") {
                fail(at(key), m);
            }
        }
        (!failed).then_some(NutServer {
            host,
            port,
            ups,
            prefix: self.prefix,
            username: self.username,
            password,
            connect_timeout,
            read_timeout,
            poll_timeout,
        })
    }
}

/// `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address; `default_port` when the
/// text has none.
pub(super) fn parse_host_port(text: &str, default_port: u16) -> Result<(String, u16), String> {
    let port = |p: &str| {
        p.parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or(format!("port {p:?} is out of range (1-65535)"))
    };
    if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or("missing ']'")?;
        return match after.strip_prefix(':') {
            Some(p) => Ok((host.to_owned(), port(p)?)),
            None if after.is_empty() => Ok((host.to_owned(), default_port)),
            None => Err("unexpected text after ']'".into()),
        };
    }
    match text.matches(':').count() {
        0 if !text.is_empty() => Ok((text.to_owned(), default_port)),
        1 => {
            let (host, p) = text.split_once(':').ok_or("missing port")?;
            if host.is_empty() {
                return Err("missing host".into());
            }
            Ok((host.to_owned(), port(p)?))
        }
        0 => Err("empty address".into()),
        _ => Ok((text.to_owned(), default_port)),
    }
    .and_then(|(h, p)| {
        if h.chars().any(|c| c.is_whitespace() || c.is_control()) {
            Err("host contains whitespace".into())
        } else {
            Ok((h, p))
        }
    })
}

/// A timeout must be above 0 and at most `limit` (named `what` in the message).
pub(super) fn check_within(value: Duration, limit: Duration, what: &str) -> Result<(), String> {
    if value.is_zero() || value > limit {
        let shown = humantime::format_duration(value);
        return Err(format!("{shown} must be above 0 and at most {what}"));
    }
    Ok(())
}

/// Reads a secret file: trailing line breaks stripped, an empty file refused.
pub(crate) fn read_secret(path: &std::path::Path) -> Result<Secret, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let value = text.trim_end_matches(['\n', '\r']);
    if value.is_empty() {
        return Err(format!("{} is empty", path.display()));
    }
    Ok(Secret::new(value.to_owned()))
}
