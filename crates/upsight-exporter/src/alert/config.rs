//! The `[alerts]` section: targets, filters, cooldowns and the SSRF allowlist, as written
//! (`RawAlerts`) and validated (`AlertConfig`). Validation does no network I/O; the DNS check
//! runs at startup in [`AlertConfig::check_targets`] and again at every send.

use std::collections::{BTreeSet, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::{Certificate, Url};
use serde::Deserialize;
use upsight_model::{EventKind, Severity};

use super::ssrf::{Allowlist, Guard};
use crate::config::{ConfigError, ConfigErrors, Secret};

/// `[alerts]` as written (`deny_unknown_fields`: a typo is an error).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAlerts {
    /// `[[alerts.targets]]` entries.
    #[serde(default)]
    pub targets: Vec<RawTarget>,
    /// Non-public addresses (CIDR or single address) and exact host names the SSRF guard lets
    /// through, e.g. `["10.0.0.0/8", "ntfy.lan"]`.
    #[serde(default)]
    pub allow_private: Vec<String>,
    /// Least time between two test alerts (the admin test endpoint answers 429 before).
    #[serde(default, with = "humantime_serde")]
    pub test_cooldown: Option<Duration>,
}

/// One `[[alerts.targets]]` entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTarget {
    /// Unique name: the `target` label and the admin API's key.
    pub name: String,
    /// `webhook`, `ntfy`, `gotify`, `slack` or `discord`.
    pub kind: String,
    /// `https://` URL (ntfy: the topic URL; gotify: the server's base URL).
    pub url: String,
    /// Bearer token (webhook, ntfy) or application token (gotify); prefer `token_file`.
    #[serde(default, deserialize_with = "secret")]
    pub token: Option<Secret>,
    /// File holding the token.
    pub token_file: Option<PathBuf>,
    /// `info`, `warning` (default) or `critical`.
    pub min_severity: Option<String>,
    /// Event kinds to send; default every kind of severity at least `min_severity`.
    pub events: Option<Vec<String>>,
    /// Least time between two alerts for one (device, event kind); default 5m.
    #[serde(default, with = "humantime_serde")]
    pub cooldown: Option<Duration>,
    /// Send the clearing event (e.g. `on_line` after `on_battery`); default true.
    pub recovery: Option<bool>,
    /// Fixed priority: ntfy 1-5, gotify 0-10 (default: from the severity).
    pub priority: Option<i64>,
    /// ntfy tags (emoji short codes or words).
    pub tags: Option<Vec<String>>,
    /// PEM bundle of the CAs to trust instead of the system store (a private CA).
    pub ca_file: Option<PathBuf>,
}

fn secret<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Secret>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.map(Secret::new))
}

/// Which API a target speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    /// Our JSON (`{"device","event","severity","at","message","seq"}`).
    Webhook,
    /// ntfy: text body, `Title`/`Priority`/`Tags` headers.
    Ntfy,
    /// Gotify: `POST /message` with an application token.
    Gotify,
    /// Slack-compatible incoming webhook (`{"text"}`).
    Slack,
    /// Discord webhook (`{"content"}`).
    Discord,
}

impl TargetKind {
    const ALL: [(&'static str, Self); 5] = [
        ("webhook", Self::Webhook),
        ("ntfy", Self::Ntfy),
        ("gotify", Self::Gotify),
        ("slack", Self::Slack),
        ("discord", Self::Discord),
    ];

    /// The configuration name.
    pub fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, k)| *k == self)
            .map_or("webhook", |(name, _)| name)
    }
}

/// Trusted CAs for one target, parsed from its `ca_file`.
#[derive(Clone)]
pub struct CaBundle(pub Vec<Certificate>);

impl fmt::Debug for CaBundle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CaBundle({} certificates)", self.0.len())
    }
}

/// A validated target.
#[derive(Clone)]
pub struct Target {
    /// Unique name.
    pub name: String,
    /// API spoken.
    pub kind: TargetKind,
    /// Where requests go (gotify: already ending in `/message`). Its path and query may hold
    /// a secret (Slack, Discord): show it with [`Target::redacted_url`] only.
    pub url: Url,
    /// Token, if any.
    pub token: Option<Secret>,
    /// Least severity sent (explicit `events` are checked against it).
    pub min_severity: Severity,
    /// Kinds sent.
    pub events: BTreeSet<EventKind>,
    /// Per (device, event kind) cooldown.
    pub cooldown: Duration,
    /// Whether clearing events of alerted conditions are sent.
    pub has_recovery: bool,
    /// Fixed priority (ntfy, gotify).
    pub priority: Option<u8>,
    /// ntfy tags.
    pub tags: Vec<String>,
    /// Trust only these CAs; `None`: the system store.
    pub ca: Option<CaBundle>,
}

impl Target {
    /// `https://host:port/…`: the URL without path or query, for logs and the settings page.
    pub fn redacted_url(&self) -> String {
        let host = self.url.host_str().unwrap_or_default();
        match self.url.port() {
            Some(port) => format!("{}://{host}:{port}/…", self.url.scheme()),
            None => format!("{}://{host}/…", self.url.scheme()),
        }
    }
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("url", &self.redacted_url())
            .field("token", &self.token)
            .field("min_severity", &self.min_severity)
            .field("events", &self.events)
            .field("cooldown", &self.cooldown)
            .field("has_recovery", &self.has_recovery)
            .field("priority", &self.priority)
            .field("tags", &self.tags)
            .field("ca", &self.ca)
            .finish()
    }
}

/// Validated `[alerts]`.
#[derive(Debug, Clone)]
pub struct AlertConfig {
    /// Targets, in file order.
    pub targets: Vec<Target>,
    /// What the SSRF guard lets through.
    pub allow: Allowlist,
    /// Least time between two test alerts.
    pub test_cooldown: Duration,
}

/// Default per (device, event kind) cooldown.
pub const DEFAULT_COOLDOWN: Duration = Duration::from_secs(300);
/// Default least time between two test alerts.
pub const DEFAULT_TEST_COOLDOWN: Duration = Duration::from_secs(10);
/// Deadline for resolving a target's host.
pub const DNS_TIMEOUT: Duration = Duration::from_secs(3);
const MAX_COOLDOWN: Duration = Duration::from_secs(86_400);

impl RawAlerts {
    /// Checks every value; errors go to `err` with paths like `alerts.targets[1].url`.
    /// Reads `token_file` and `ca_file`; does no network I/O.
    pub fn validate(self, err: &mut dyn FnMut(String, String)) -> Option<AlertConfig> {
        let mut failed = false;
        let mut fail = |path: String, message: String| {
            failed = true;
            err(path, message);
        };
        let mut allow = Allowlist::default();
        for (i, entry) in self.allow_private.iter().enumerate() {
            if let Err(m) = allow.add(entry) {
                fail(format!("alerts.allow_private[{i}]"), m);
            }
        }
        let test_cooldown = self.test_cooldown.unwrap_or(DEFAULT_TEST_COOLDOWN);
        if test_cooldown > Duration::from_secs(3600) {
            let shown = humantime::format_duration(test_cooldown);
            fail(
                "alerts.test_cooldown".into(),
                format!("{shown} is out of range (0s to 1h)"),
            );
        }
        let mut names = HashSet::new();
        let mut targets = Vec::new();
        for (i, raw) in self.targets.into_iter().enumerate() {
            if let Some(t) = raw.validate(i, &mut names, &mut fail) {
                targets.push(t);
            }
        }
        (!failed).then_some(AlertConfig {
            targets,
            allow,
            test_cooldown,
        })
    }
}

impl RawTarget {
    fn validate(
        self,
        i: usize,
        names: &mut HashSet<String>,
        fail: &mut dyn FnMut(String, String),
    ) -> Option<Target> {
        let at = |key: &str| format!("alerts.targets[{i}].{key}");
        let mut ok = true;
        let mut fail = |path: String, message: String| {
            ok = false;
            fail(path, message);
        };
        if !is_label(&self.name) {
            fail(at("name"), format!("{:?} must be 1-64 ASCII letters, digits, '_', '-' or '.'", self.name));
        } else if !names.insert(self.name.clone()) {
            fail(at("name"), format!("target name {:?} is used twice", self.name));
        }
        let kind = TargetKind::ALL.iter().find(|(n, _)| *n == self.kind).map(|(_, k)| *k);
        if kind.is_none() {
            fail(at("kind"), format!("{:?} is not one of webhook, ntfy, gotify, slack, discord", self.kind));
        }
        let url = parse_url(&self.url, kind).map_err(|m| fail(at("url"), m)).ok();
        let token = match (self.token, &self.token_file) {
            (Some(_), Some(_)) => {
                fail(at("token"), "set token or token_file, not both".into());
                None
            }
            (Some(t), None) => Some(t),
            (None, Some(path)) => read_token(path).map_err(|m| fail(at("token_file"), m)).ok(),
            (None, None) => None,
        };
        if let Some(t) = &token
            && !t.expose().bytes().all(|b| b.is_ascii_graphic())
        {
            fail(at("token"), "must be non-empty printable ASCII without spaces".into());
        }
        match (kind, token.is_some()) {
            (Some(TargetKind::Gotify), false) => fail(at("token"), "gotify needs token or token_file (an application token)".into()),
            (Some(k @ (TargetKind::Slack | TargetKind::Discord)), true) => fail(at("token"), format!("{} takes no token: its webhook URL carries it", k.as_str())),
            _ => {}
        }
        let min_severity = match self.min_severity.as_deref() {
            None => Severity::Warning,
            Some(s) => Severity::ALL.into_iter().find(|v| v.as_str() == s).unwrap_or_else(|| {
                fail(at("min_severity"), format!("{s:?} is not one of info, warning, critical"));
                Severity::Warning
            }),
        };
        let events = match &self.events {
            None => EventKind::ALL.into_iter().filter(|k| k.severity() >= min_severity).collect(),
            Some(list) if list.is_empty() => {
                fail(at("events"), "empty list: omit events to send every kind of at least min_severity".into());
                BTreeSet::new()
            }
            Some(list) => parse_events(list, min_severity, &at, &mut fail),
        };
        let cooldown = self.cooldown.unwrap_or(DEFAULT_COOLDOWN);
        if cooldown > MAX_COOLDOWN {
            fail(at("cooldown"), format!("{} is out of range (0s to 24h)", humantime::format_duration(cooldown)));
        }
        let priority = self.priority.and_then(|p| {
            let range = match kind {
                Some(TargetKind::Ntfy) => 1..=5,
                Some(TargetKind::Gotify) => 0..=10,
                _ => {
                    fail(at("priority"), "only ntfy and gotify targets take a priority".into());
                    return None;
                }
            };
            let fits = range.contains(&p);
            if !fits {
                fail(at("priority"), format!("{p} is out of range ({}-{})", range.start(), range.end()));
            }
            u8::try_from(p).ok().filter(|_| fits)
        });
        let tags = self.tags.unwrap_or_default();
        if !tags.is_empty() && kind != Some(TargetKind::Ntfy) {
            fail(at("tags"), "only ntfy targets take tags".into());
        }
        for (j, tag) in tags.iter().enumerate() {
            if tag.is_empty() || !tag.bytes().all(|b| b.is_ascii_graphic() && b != b',') {
                fail(format!("alerts.targets[{i}].tags[{j}]"), format!("{tag:?} must be printable ASCII without ',' or spaces"));
            }
        }
        let ca = self.ca_file.as_deref().and_then(|p| read_ca(p).map_err(|m| fail(at("ca_file"), m)).ok());
        if !ok {
            return None;
        }
        Some(Target {
            name: self.name,
            kind: kind?,
            url: url?,
            token,
            min_severity,
            events,
            cooldown,
            has_recovery: self.recovery.unwrap_or(true),
            priority,
            tags,
            ca,
        })
    }
}

fn parse_events(
    list: &[String],
    min: Severity,
    at: &dyn Fn(&str) -> String,
    fail: &mut dyn FnMut(String, String),
) -> BTreeSet<EventKind> {
    let mut out = BTreeSet::new();
    for (j, name) in list.iter().enumerate() {
        let path = format!("{}[{j}]", at("events"));
        match name.parse::<EventKind>() {
            Err(e) => fail(path, e.to_string()),
            Ok(k) if k.severity() < min => fail(
                path,
                format!("{name:?} has severity {}, below min_severity {min}", k.severity()),
            ),
            Ok(k) => {
                out.insert(k);
            }
        }
    }
    out
}

fn is_label(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

fn parse_url(text: &str, kind: Option<TargetKind>) -> Result<Url, String> {
    // The URL may carry a secret (Slack, Discord): errors never echo it.
    let mut url = Url::parse(text).map_err(|e| format!("is not a valid URL: {e}"))?;
    match url.scheme() {
        "https" => {}
        "http" => return Err("alert targets must use https".into()),
        other => return Err(format!("scheme {other:?} refused: alert targets must use https")),
    }
    if url.host().is_none() {
        return Err("has no host".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry credentials: use token or token_file".into());
    }
    url.set_fragment(None);
    if kind == Some(TargetKind::Gotify) && !url.path().ends_with("/message") {
        let mut segments = url
            .path_segments_mut()
            .map_err(|()| "cannot be a base URL".to_owned())?;
        segments.pop_if_empty().push("message");
    }
    Ok(url)
}

fn read_token(path: &Path) -> Result<Secret, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let value = text.trim_end_matches(['\n', '\r']);
    if value.is_empty() {
        return Err(format!("{} is empty", path.display()));
    }
    Ok(Secret::new(value.to_owned()))
}

fn read_ca(path: &Path) -> Result<CaBundle, String> {
    let pem = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let certs = Certificate::from_pem_bundle(&pem)
        .map_err(|e| format!("{}: not a PEM certificate bundle: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{} holds no PEM certificate", path.display()));
    }
    Ok(CaBundle(certs))
}

impl AlertConfig {
    /// The SSRF guard for these targets.
    pub fn guard(&self) -> Guard {
        Guard::new(self.allow.clone(), DNS_TIMEOUT)
    }

    /// Startup check: resolves every target and refuses non-public addresses that are not
    /// allow-listed, and checks each target's TLS settings build. A resolution failure is
    /// only logged (DNS may be down at boot; every send checks again).
    pub async fn check_targets(&self) -> Result<(), ConfigErrors> {
        let guard = self.guard();
        let mut errors = Vec::new();
        for (i, target) in self.targets.iter().enumerate() {
            let path = |key: &str| format!("alerts.targets[{i}].{key}");
            match guard.check(&target.url).await {
                Ok(checked) => {
                    if let Err(e) = super::client::build(target, &checked) {
                        errors.push(ConfigError {
                            path: path("ca_file"),
                            message: format!("TLS setup failed: {}", super::client::describe(&e)),
                        });
                    }
                }
                Err(e) if e.is_refusal() => errors.push(ConfigError {
                    path: path("url"),
                    message: e.to_string(),
                }),
                Err(e) => {
                    tracing::warn!(target = %target.name, error = %e, "Alert target does not resolve now; it is checked again at every send.");
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ConfigErrors(errors))
        }
    }
}
