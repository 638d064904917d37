//! Stage one of an alert target: its `[[alerts.targets]]` entry as written, and the checks
//! that turn it into a [`Target`] (reading `token_file` and `ca_file`; no network I/O).

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::{Certificate, Url};
use serde::Deserialize;
use upsight_model::{EventKind, Severity};

use super::target::{CaBundle, Target, TargetKind};
use crate::config::Secret;

/// Default per (device, event kind) cooldown.
pub const DEFAULT_COOLDOWN: Duration = Duration::from_secs(300);
const MAX_COOLDOWN: Duration = Duration::from_secs(86_400);

/// One `[[alerts.targets]]` entry as written.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawTarget {
    /// Unique name: the `target` label and the admin API's key.
    pub name: String,
    /// `webhook`, `ntfy`, `gotify`, `slack` or `discord`.
    pub kind: String,
    /// `https://` URL (ntfy: the topic URL; gotify: the server's base URL).
    pub url: String,
    /// Bearer token (webhook, ntfy) or application token (gotify); prefer `token_file`.
    #[serde(default)]
    pub token: Option<crate::config::RawSecret>,
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

/// Collects one target's errors under `alerts.targets[i]`.
struct Check<'a> {
    i: usize,
    ok: bool,
    err: &'a mut dyn FnMut(String, String),
}

impl Check<'_> {
    fn path(&self, key: &str) -> String {
        format!("alerts.targets[{}].{key}", self.i)
    }

    fn fail(&mut self, key: &str, message: String) {
        let path = self.path(key);
        self.ok = false;
        (self.err)(path, message);
    }
}

impl RawTarget {
    /// Checks the entry; errors go to `err` with paths like `alerts.targets[1].url`.
    pub(super) fn validate(
        self,
        i: usize,
        names: &mut HashSet<String>,
        err: &mut dyn FnMut(String, String),
    ) -> Option<Target> {
        let mut c = Check { i, ok: true, err };
        check_name(&self.name, names, &mut c);
        let kind = TargetKind::ALL
            .iter()
            .find(|(n, _)| *n == self.kind)
            .map(|(_, k)| *k);
        if kind.is_none() {
            let shown = &self.kind;
            c.fail(
                "kind",
                format!("{shown:?} is not one of webhook, ntfy, gotify, slack, discord"),
            );
        }
        let url = parse_url(&self.url, kind)
            .map_err(|m| c.fail("url", m))
            .ok();
        let token = pick_token(
            self.token.map(|t| Secret::new(t.0)),
            self.token_file.as_deref(),
            kind,
            &mut c,
        );
        let (min_severity, events) =
            pick_events(self.min_severity.as_deref(), self.events.as_deref(), &mut c);
        let cooldown = self.cooldown.unwrap_or(DEFAULT_COOLDOWN);
        if cooldown > MAX_COOLDOWN {
            let shown = humantime::format_duration(cooldown);
            c.fail("cooldown", format!("{shown} is out of range (0s to 24h)"));
        }
        let priority = self.priority.and_then(|p| check_priority(p, kind, &mut c));
        let tags = self.tags.unwrap_or_default();
        check_tags(&tags, kind, &mut c);
        let ca = self
            .ca_file
            .as_deref()
            .and_then(|p| read_ca(p).map_err(|m| c.fail("ca_file", m)).ok());
        if !c.ok {
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

fn check_name(name: &str, names: &mut HashSet<String>, c: &mut Check<'_>) {
    if !is_label(name) {
        c.fail(
            "name",
            format!("{name:?} must be 1-64 ASCII letters, digits, '_', '-' or '.'"),
        );
    } else if !names.insert(name.to_owned()) {
        c.fail("name", format!("target name {name:?} is used twice"));
    }
}

fn pick_token(
    inline: Option<Secret>,
    file: Option<&Path>,
    kind: Option<TargetKind>,
    c: &mut Check<'_>,
) -> Option<Secret> {
    let token = match (inline, file) {
        (Some(_), Some(_)) => {
            c.fail("token", "set token or token_file, not both".into());
            None
        }
        (Some(t), None) => Some(t),
        (None, Some(path)) => crate::config::read_secret(path)
            .map_err(|m| c.fail("token_file", m))
            .ok(),
        (None, None) => None,
    };
    if token
        .as_ref()
        .is_some_and(|t| !t.expose().bytes().all(|b| b.is_ascii_graphic()))
    {
        c.fail(
            "token",
            "must be non-empty printable ASCII without spaces".into(),
        );
    }
    match (kind, token.is_some()) {
        (Some(TargetKind::Gotify), false) => c.fail(
            "token",
            "gotify needs token or token_file (an application token)".into(),
        ),
        (Some(k @ (TargetKind::Slack | TargetKind::Discord)), true) => c.fail(
            "token",
            format!("{} takes no token: its webhook URL carries it", k.as_str()),
        ),
        _ => {}
    }
    token
}

/// `min_severity` and the enabled kinds: the explicit list (each at least `min_severity`) or
/// every kind of at least `min_severity`.
fn pick_events(
    min: Option<&str>,
    list: Option<&[String]>,
    c: &mut Check<'_>,
) -> (Severity, BTreeSet<EventKind>) {
    let min = match min {
        None => Severity::Warning,
        Some(s) => Severity::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .unwrap_or_else(|| {
                c.fail(
                    "min_severity",
                    format!("{s:?} is not one of info, warning, critical"),
                );
                Severity::Warning
            }),
    };
    let Some(list) = list else {
        return (
            min,
            EventKind::ALL
                .into_iter()
                .filter(|k| k.severity() >= min)
                .collect(),
        );
    };
    if list.is_empty() {
        c.fail(
            "events",
            "empty list: omit events to send every kind of at least min_severity".into(),
        );
    }
    let mut out = BTreeSet::new();
    for (j, name) in list.iter().enumerate() {
        let key = format!("events[{j}]");
        match name.parse::<EventKind>() {
            Err(e) => c.fail(&key, e.to_string()),
            Ok(k) if k.severity() < min => {
                c.fail(
                    &key,
                    format!(
                        "{name:?} has severity {}, below min_severity {min}",
                        k.severity()
                    ),
                );
            }
            Ok(k) => {
                out.insert(k);
            }
        }
    }
    (min, out)
}

fn check_priority(p: i64, kind: Option<TargetKind>, c: &mut Check<'_>) -> Option<u8> {
    let range = match kind {
        Some(TargetKind::Ntfy) => 1..=5,
        Some(TargetKind::Gotify) => 0..=10,
        _ => {
            c.fail(
                "priority",
                "only ntfy and gotify targets take a priority".into(),
            );
            return None;
        }
    };
    if !range.contains(&p) {
        c.fail(
            "priority",
            format!("{p} is out of range ({}-{})", range.start(), range.end()),
        );
        return None;
    }
    u8::try_from(p).ok()
}

fn check_tags(tags: &[String], kind: Option<TargetKind>, c: &mut Check<'_>) {
    if !tags.is_empty() && kind != Some(TargetKind::Ntfy) {
        c.fail("tags", "only ntfy targets take tags".into());
    }
    for (j, tag) in tags.iter().enumerate() {
        if tag.is_empty() || !tag.bytes().all(|b| b.is_ascii_graphic() && b != b',') {
            c.fail(
                &format!("tags[{j}]"),
                format!("{tag:?} must be printable ASCII without ',' or spaces"),
            );
        }
    }
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
        other => {
            return Err(format!(
                "scheme {other:?} refused: alert targets must use https"
            ));
        }
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

fn read_ca(path: &Path) -> Result<CaBundle, String> {
    let pem = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let certs = Certificate::from_pem_bundle(&pem)
        .map_err(|e| format!("{}: not a PEM certificate bundle: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{} holds no PEM certificate", path.display()));
    }
    Ok(CaBundle(certs))
}
