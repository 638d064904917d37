//! Dashboard and API access: the viewer, admin and metrics tokens (comma lists for rotation,
//! inline or `*_file`, or the `UPSIGHT_*_TOKEN` variables), trusted proxies, CORS origins,
//! allowed hosts and the connection limits.

use std::path::PathBuf;
use std::time::Duration;

use upsight_http::settings::ConnectionKeys;
use upsight_http::{AllowedHosts, Cidr, Limits, RateLimitConfig, TokenSet, settings};

use super::raw::read_secret;

/// The `[http]`-level keys as written (top level of the file).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHttp {
    /// Viewer tokens (dashboard and read API), comma-separated.
    pub viewer_token: Option<String>,
    /// File holding the viewer tokens.
    pub viewer_token_file: Option<PathBuf>,
    /// Admin tokens (writes), comma-separated.
    pub admin_token: Option<String>,
    /// File holding the admin tokens.
    pub admin_token_file: Option<PathBuf>,
    /// Metrics tokens (gate `/metrics`), comma-separated.
    pub metrics_token: Option<String>,
    /// File holding the metrics tokens.
    pub metrics_token_file: Option<PathBuf>,
    /// Reverse proxies whose `X-Forwarded-For` is believed (CIDRs).
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    /// Browser origins allowed to call the API cross-origin.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Requests a minute one client address may make (every path), before auth.
    pub rate_limit_per_minute: Option<u32>,
    /// Requests a client may make in a burst above the rate.
    pub rate_limit_burst: Option<u32>,
    /// Mark session cookies `Secure` (set when browsers reach the exporter through HTTPS,
    /// e.g. a TLS reverse proxy).
    #[serde(default)]
    pub secure_cookies: bool,
    /// Host names requests may name besides the loopback names (DNS-rebinding check).
    #[serde(default)]
    pub allowed_hosts: Vec<String>,
    /// Most connections open at once.
    pub max_connections: Option<usize>,
    /// Longest wait for a request head, e.g. `"10s"`.
    #[serde(default, with = "humantime_serde")]
    pub header_read_timeout: Option<Duration>,
    /// Largest request head, in bytes.
    pub max_header_bytes: Option<usize>,
}

/// Default requests a minute per client: a dashboard refreshing every few seconds and several
/// Prometheus servers scraping stay well inside it.
pub const DEFAULT_RATE_PER_MINUTE: u32 = 240;
/// Default burst.
pub const DEFAULT_BURST: u32 = 60;

/// Validated access settings. `Debug` shows token counts only.
#[derive(Debug, Clone, Default)]
pub struct HttpSettings {
    /// Viewer tokens.
    pub viewer: Option<TokenSet>,
    /// Admin tokens.
    pub admin: Option<TokenSet>,
    /// Metrics tokens.
    pub metrics: Option<TokenSet>,
    /// Trusted proxies.
    pub trusted_proxies: Vec<Cidr>,
    /// CORS allowlist.
    pub allowed_origins: Vec<String>,
    /// Per-client rate limit.
    pub rate_limit: RateLimitConfig,
    /// Session cookies carry `Secure`.
    pub is_cookie_secure: bool,
    /// Hosts requests may name besides the loopback names.
    pub allowed_hosts: AllowedHosts,
    /// Body, time and connection limits (the connection keys applied over the defaults).
    pub limits: Limits,
}

impl RawHttp {
    /// Applies `UPSIGHT_{VIEWER,ADMIN,METRICS}_TOKEN(_FILE)`; a variable wins over the file.
    pub fn apply_env(&mut self, env: &dyn Fn(&str) -> Option<String>) {
        let pairs: [(&str, &mut Option<String>, &mut Option<PathBuf>); 3] = [
            (
                "VIEWER",
                &mut self.viewer_token,
                &mut self.viewer_token_file,
            ),
            ("ADMIN", &mut self.admin_token, &mut self.admin_token_file),
            (
                "METRICS",
                &mut self.metrics_token,
                &mut self.metrics_token_file,
            ),
        ];
        for (role, inline, file) in pairs {
            if let Some(value) = env(&format!("UPSIGHT_{role}_TOKEN")) {
                *inline = Some(value);
                *file = None;
            } else if let Some(path) = env(&format!("UPSIGHT_{role}_TOKEN_FILE")) {
                *inline = None;
                *file = Some(PathBuf::from(path));
            }
        }
    }

    /// Checks the tokens (at least 32 characters each), proxies and origins.
    pub fn validate(self, err: &mut dyn FnMut(String, String)) -> HttpSettings {
        let mut tokens = |key: &str, inline: Option<String>, file: Option<PathBuf>| {
            let text = match (inline, file) {
                (Some(_), Some(_)) => {
                    err(key.to_owned(), format!("set {key} or {key}_file, not both"));
                    return None;
                }
                (Some(text), None) => text,
                (None, Some(path)) => match read_secret(&path) {
                    Ok(secret) => secret.expose().to_owned(),
                    Err(message) => {
                        err(format!("{key}_file"), message);
                        return None;
                    }
                },
                (None, None) => return None,
            };
            // The message names the problem (length, character), never the value.
            TokenSet::parse_list(&text)
                .map_err(|e| err(key.to_owned(), e.to_string()))
                .ok()
        };
        let viewer = tokens("viewer_token", self.viewer_token, self.viewer_token_file);
        let admin = tokens("admin_token", self.admin_token, self.admin_token_file);
        let metrics = tokens("metrics_token", self.metrics_token, self.metrics_token_file);
        let trusted_proxies = settings::trusted_proxies(&self.trusted_proxies, err);
        let _ = settings::allowed_origins(&self.allowed_origins, err);
        let rate_limit = settings::per_minute(
            "rate_limit",
            self.rate_limit_per_minute
                .unwrap_or(DEFAULT_RATE_PER_MINUTE),
            self.rate_limit_burst.unwrap_or(DEFAULT_BURST),
            10_000,
            err,
        );
        let allowed_hosts = settings::allowed_hosts(&self.allowed_hosts, err);
        let connections = ConnectionKeys {
            max_connections: self.max_connections,
            header_read_timeout: self.header_read_timeout,
            max_header_bytes: self.max_header_bytes,
        };
        let limits = settings::connection_limits(Limits::default(), connections, err);
        HttpSettings {
            viewer,
            admin,
            metrics,
            trusted_proxies,
            allowed_origins: self.allowed_origins,
            rate_limit,
            is_cookie_secure: self.secure_cookies,
            allowed_hosts,
            limits,
        }
    }
}
