//! A validated alert target: the API it speaks, where it is, its filters and its trust roots.

use std::collections::BTreeSet;
use std::fmt;
use std::time::Duration;

use reqwest::{Certificate, Url};
use upsight_model::{EventKind, Severity};

use crate::config::Secret;

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
    pub(super) const ALL: [(&'static str, Self); 5] = [
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
