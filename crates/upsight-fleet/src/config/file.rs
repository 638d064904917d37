//! `FleetConfig`: the plane's TOML file plus the `UPSIGHT_FLEET_*` variables, validated.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use upsight_http::settings::ConnectionKeys;
use upsight_http::{
    AllowedHosts, Cidr, CorsPolicy, Exposure, Limits, RateLimitConfig, TokenSet, settings,
};

use super::RegistryConfig;

/// Where the plane listens without `listen` or `UPSIGHT_FLEET_LISTEN`.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9956";

/// The file's keys as written.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    listen: Option<String>,
    state_dir: Option<PathBuf>,
    #[serde(default)]
    tokens: RawTokens,
    #[serde(default, with = "humantime_serde")]
    heartbeat_interval: Option<Duration>,
    #[serde(default, with = "humantime_serde")]
    ttl: Option<Duration>,
    max_members: Option<usize>,
    #[serde(default)]
    discovery_networks: Vec<String>,
    #[serde(default)]
    discovery_hosts: Vec<String>,
    #[serde(default)]
    http: RawHttp,
    /// `[analytics]`: the ClickHouse the exporters write to, for the analytical reads.
    analytics: Option<upsight_analytics::RawConnection>,
}

/// `[http]`: client addresses, browsers and rate limits.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHttp {
    #[serde(default)]
    trusted_proxies: Vec<String>,
    #[serde(default)]
    allowed_origins: Vec<String>,
    rate_limit_per_minute: Option<u32>,
    rate_limit_burst: Option<u32>,
    heartbeat_limit_per_minute: Option<u32>,
    heartbeat_limit_burst: Option<u32>,
    #[serde(default)]
    secure_cookies: bool,
    #[serde(default)]
    allowed_hosts: Vec<String>,
    max_connections: Option<usize>,
    #[serde(default, with = "humantime_serde")]
    header_read_timeout: Option<Duration>,
    max_header_bytes: Option<usize>,
}

/// Per client IP on register, reads and the UI: a few people refreshing the UI, and a whole
/// site of exporters registering after a power cut, stay inside it.
pub const DEFAULT_RATE_PER_MINUTE: u32 = 240;
/// Burst of the per-IP limit.
pub const DEFAULT_BURST: u32 = 60;
/// Per member on heartbeats: 30 a minute is 7.5 times the default interval's rate.
pub const DEFAULT_HEARTBEATS_PER_MINUTE: u32 = 30;
/// Burst of the per-member heartbeat limit.
pub const DEFAULT_HEARTBEAT_BURST: u32 = 10;
/// The most client addresses the per-IP limiter tracks.
const MAX_TRACKED_CLIENTS: usize = 10_000;

/// `[tokens]`: comma lists (rotation), inline or from a file.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTokens {
    ingest: Option<String>,
    ingest_file: Option<PathBuf>,
    viewer: Option<String>,
    viewer_file: Option<PathBuf>,
    shared: Option<String>,
    shared_file: Option<PathBuf>,
}

/// The validated plane configuration. `Debug` shows token counts only.
#[derive(Debug, Clone)]
pub struct FleetConfig {
    /// Listen address.
    pub listen: SocketAddr,
    /// Directory of the state file; `None` keeps the registry in memory only.
    pub state_dir: Option<PathBuf>,
    /// Effective ingest tokens (`ingest`, else `shared`).
    pub ingest: Option<TokenSet>,
    /// Effective viewer tokens (`viewer`, else `shared`).
    pub viewer: Option<TokenSet>,
    /// Registry timing and capacity.
    pub registry: RegistryConfig,
    /// `UPSIGHT_FLEET_INSECURE=1`: a public bind without tokens is allowed (testing only).
    pub is_insecure: bool,
    /// `[http]`: proxies, CORS, rate limits, cookies.
    pub http: PlaneHttp,
    /// `[analytics]`: where the analytical reads go; `None` answers them 404.
    pub analytics: Option<upsight_analytics::Settings>,
}

/// The validated `[http]` section.
#[derive(Debug, Clone)]
pub struct PlaneHttp {
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<Cidr>,
    /// Origins allowed to call the read API from a browser.
    pub cors: CorsPolicy,
    /// Per client IP on everything but heartbeats, before auth.
    pub rate_limit: RateLimitConfig,
    /// Per member (group and identity) on heartbeats; tracks up to `max_members` members.
    pub heartbeat_limit: RateLimitConfig,
    /// Session cookies carry `Secure` (the UI is reached over HTTPS).
    pub is_cookie_secure: bool,
    /// Hosts requests may name besides the loopback names (the DNS-rebinding check).
    pub allowed_hosts: AllowedHosts,
    /// Connection limits (and the defaults of the other request limits).
    pub limits: Limits,
}

/// Every problem found in a configuration, each as `path: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<String>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, line) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            f.write_str(line)?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl FleetConfig {
    /// Reads and validates `path`, applying the environment through `env`.
    ///
    /// # Errors
    ///
    /// Every problem found, each as `path: message`.
    pub fn load(path: &Path, env: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigErrors> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigErrors(vec![format!("{}: {e}", path.display())]))?;
        Self::parse(&text, env)
    }

    /// Parses and validates TOML `text`, applying the environment through `env`.
    ///
    /// # Errors
    ///
    /// Every problem found, each as `path: message`.
    pub fn parse(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigErrors> {
        let mut raw: RawConfig = toml::from_str(text).map_err(|e| {
            let line = e.message().trim().to_owned();
            ConfigErrors(vec![format!("(file): {line}")])
        })?;
        raw.apply_env(env);
        let mut errors = Vec::new();
        let mut err = |path: &str, message: String| errors.push(format!("{path}: {message}"));
        let listen_text = raw.listen.as_deref().unwrap_or(DEFAULT_LISTEN);
        let listen = listen_text
            .parse::<SocketAddr>()
            .map_err(|e| err("listen", format!("{listen_text:?}: {e}")))
            .ok();
        let t = raw.tokens;
        let ingest = tokens(&mut err, "tokens.ingest", t.ingest, t.ingest_file);
        let viewer = tokens(&mut err, "tokens.viewer", t.viewer, t.viewer_file);
        let shared = tokens(&mut err, "tokens.shared", t.shared, t.shared_file);
        let defaults = RegistryConfig::default();
        let registry = RegistryConfig {
            heartbeat_interval: raw
                .heartbeat_interval
                .unwrap_or(defaults.heartbeat_interval),
            ttl: raw.ttl.unwrap_or(defaults.ttl),
            max_members: raw.max_members.unwrap_or(defaults.max_members),
            low_runtime: defaults.low_runtime,
            discovery_networks: raw
                .discovery_networks
                .iter()
                .filter_map(|text| {
                    text.parse::<Cidr>()
                        .map_err(|e| err("discovery_networks", format!("{text:?}: {e}")))
                        .ok()
                })
                .collect(),
            discovery_hosts: raw
                .discovery_hosts
                .iter()
                .filter_map(|host| {
                    let valid = !host.is_empty()
                        && host.len() <= 253
                        && host
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
                    if valid {
                        Some(host.to_ascii_lowercase())
                    } else {
                        err(
                            "discovery_hosts",
                            format!("{host:?} is not a host name (letters, digits, '-', '.')"),
                        );
                        None
                    }
                })
                .collect(),
        };
        if let Err(e) = registry.wire_seconds() {
            let path = match e {
                super::ConfigError::BadInterval(_) => "heartbeat_interval",
                super::ConfigError::BadTtl { .. } => "ttl",
                super::ConfigError::NoMembers => "max_members",
            };
            err(path, e.to_string());
        }
        let http = raw.http.validate(registry.max_members.max(1), &mut err);
        let analytics = raw.analytics.and_then(|connection| {
            connection.validate(&mut |key, message| err(&format!("analytics.{key}"), message))
        });
        let is_insecure = match env("UPSIGHT_FLEET_INSECURE").as_deref() {
            None | Some("" | "0") => false,
            Some("1") => true,
            Some(other) => {
                err(
                    "UPSIGHT_FLEET_INSECURE",
                    format!("{other:?}: must be 1 or unset"),
                );
                false
            }
        };
        match listen {
            Some(listen) if errors.is_empty() => Ok(Self {
                listen,
                state_dir: raw.state_dir,
                ingest: ingest.or_else(|| shared.clone()),
                viewer: viewer.or(shared),
                registry,
                is_insecure,
                http,
                analytics,
            }),
            _ => Err(ConfigErrors(errors)),
        }
    }

    /// The refusal for a non-loopback `listen` without both effective tokens, naming exactly
    /// what to set; `None` when the bind is acceptable. Ignores [`FleetConfig::is_insecure`].
    pub fn bind_refusal(&self) -> Option<String> {
        if Exposure::of(self.listen) == Exposure::Loopback {
            return None;
        }
        let missing = match (self.ingest.is_some(), self.viewer.is_some()) {
            (true, true) => return None,
            (false, false) => {
                "UPSIGHT_FLEET_INGEST_TOKEN and UPSIGHT_FLEET_VIEWER_TOKEN \
                 (or UPSIGHT_FLEET_TOKEN for both)"
            }
            (false, true) => "UPSIGHT_FLEET_INGEST_TOKEN (or UPSIGHT_FLEET_TOKEN for both)",
            (true, false) => "UPSIGHT_FLEET_VIEWER_TOKEN (or UPSIGHT_FLEET_TOKEN for both)",
        };
        Some(format!(
            "refusing to listen on {} without tokens: set {missing}, \
             or UPSIGHT_FLEET_INSECURE=1 for testing",
            self.listen
        ))
    }
}

impl RawHttp {
    fn validate(self, members: usize, err: &mut dyn FnMut(&str, String)) -> PlaneHttp {
        let mut http_err = |key: String, message: String| err(&format!("http.{key}"), message);
        PlaneHttp {
            trusted_proxies: settings::trusted_proxies(&self.trusted_proxies, &mut http_err),
            cors: settings::allowed_origins(&self.allowed_origins, &mut http_err),
            rate_limit: settings::per_minute(
                "rate_limit",
                self.rate_limit_per_minute
                    .unwrap_or(DEFAULT_RATE_PER_MINUTE),
                self.rate_limit_burst.unwrap_or(DEFAULT_BURST),
                MAX_TRACKED_CLIENTS,
                &mut http_err,
            ),
            heartbeat_limit: settings::per_minute(
                "heartbeat_limit",
                self.heartbeat_limit_per_minute
                    .unwrap_or(DEFAULT_HEARTBEATS_PER_MINUTE),
                self.heartbeat_limit_burst
                    .unwrap_or(DEFAULT_HEARTBEAT_BURST),
                members,
                &mut http_err,
            ),
            is_cookie_secure: self.secure_cookies,
            allowed_hosts: settings::allowed_hosts(&self.allowed_hosts, &mut http_err),
            limits: settings::connection_limits(
                Limits::default(),
                ConnectionKeys {
                    max_connections: self.max_connections,
                    header_read_timeout: self.header_read_timeout,
                    max_header_bytes: self.max_header_bytes,
                },
                &mut http_err,
            ),
        }
    }
}

impl RawConfig {
    /// `UPSIGHT_FLEET_LISTEN`, `_STATE_DIR`, `_{INGEST,VIEWER}_TOKEN(_FILE)` and
    /// `UPSIGHT_FLEET_TOKEN(_FILE)` (shared); a variable wins over the file, and an inline
    /// variable over a `_FILE` one.
    fn apply_env(&mut self, env: &dyn Fn(&str) -> Option<String>) {
        if let Some(listen) = env("UPSIGHT_FLEET_LISTEN") {
            self.listen = Some(listen);
        }
        if let Some(dir) = env("UPSIGHT_FLEET_STATE_DIR") {
            self.state_dir = Some(PathBuf::from(dir));
        }
        if self.analytics.is_none() && env(upsight_analytics::connection::URL_ENV).is_some() {
            self.analytics = Some(upsight_analytics::RawConnection::default());
        }
        if let Some(analytics) = &mut self.analytics {
            analytics.apply_env(env);
        }
        let t = &mut self.tokens;
        let pairs: [(&str, &mut Option<String>, &mut Option<PathBuf>); 3] = [
            (
                "UPSIGHT_FLEET_INGEST_TOKEN",
                &mut t.ingest,
                &mut t.ingest_file,
            ),
            (
                "UPSIGHT_FLEET_VIEWER_TOKEN",
                &mut t.viewer,
                &mut t.viewer_file,
            ),
            ("UPSIGHT_FLEET_TOKEN", &mut t.shared, &mut t.shared_file),
        ];
        for (name, inline, file) in pairs {
            if let Some(value) = env(name) {
                *inline = Some(value);
                *file = None;
            } else if let Some(path) = env(&format!("{name}_FILE")) {
                *inline = None;
                *file = Some(PathBuf::from(path));
            }
        }
    }
}

/// One token list from `inline` or `file` (not both); the message never shows a value.
fn tokens(
    err: &mut dyn FnMut(&str, String),
    key: &str,
    inline: Option<String>,
    file: Option<PathBuf>,
) -> Option<TokenSet> {
    let text = match (inline, file) {
        (Some(_), Some(_)) => {
            err(key, format!("set {key} or {key}_file, not both"));
            return None;
        }
        (Some(text), None) => text,
        (None, Some(path)) => match read_secret(&path) {
            Ok(text) => text,
            Err(message) => {
                err(&format!("{key}_file"), message);
                return None;
            }
        },
        (None, None) => return None,
    };
    TokenSet::parse_list(&text)
        .map_err(|e| err(key, e.to_string()))
        .ok()
}

fn read_secret(path: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let value = text.trim_end_matches(['\n', '\r']);
    if value.is_empty() {
        return Err(format!("{} is empty", path.display()));
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const INGEST: &str = "ingest-token-0123456789abcdef0123456789";
    const VIEWER: &str = "viewer-token-0123456789abcdef0123456789";

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn defaults_are_loopback_in_memory() {
        let config = FleetConfig::parse("", &no_env).unwrap();
        assert_eq!(config.listen.to_string(), DEFAULT_LISTEN);
        assert!(config.state_dir.is_none() && config.ingest.is_none());
        assert_eq!(config.registry, RegistryConfig::default());
        assert_eq!(config.bind_refusal(), None);
    }

    #[test]
    fn shared_is_the_fallback_for_both() {
        let text = format!("listen = \"0.0.0.0:9956\"\n[tokens]\nshared = \"{INGEST}\"\n");
        let config = FleetConfig::parse(&text, &no_env).unwrap();
        assert!(config.ingest.is_some() && config.viewer.is_some());
        assert_eq!(config.bind_refusal(), None);
    }

    #[test]
    fn public_bind_names_what_is_missing() {
        let env = |k: &str| (k == "UPSIGHT_FLEET_INGEST_TOKEN").then(|| INGEST.to_owned());
        let config = FleetConfig::parse("listen = \"0.0.0.0:9956\"", &env).unwrap();
        let refusal = config.bind_refusal().unwrap();
        assert!(refusal.contains("UPSIGHT_FLEET_VIEWER_TOKEN"), "{refusal}");
        assert!(!refusal.contains("UPSIGHT_FLEET_INGEST_TOKEN"), "{refusal}");
        let config = FleetConfig::parse("listen = \"0.0.0.0:9956\"", &no_env).unwrap();
        let refusal = config.bind_refusal().unwrap();
        assert!(refusal.starts_with("refusing to listen on 0.0.0.0:9956 without tokens"));
    }

    #[test]
    fn env_overrides_the_file() {
        let env = |k: &str| match k {
            "UPSIGHT_FLEET_LISTEN" => Some("127.0.0.2:1".to_owned()),
            "UPSIGHT_FLEET_VIEWER_TOKEN" => Some(VIEWER.to_owned()),
            "UPSIGHT_FLEET_INSECURE" => Some("1".to_owned()),
            _ => None,
        };
        let text = "listen = \"0.0.0.0:1\"\n[tokens]\nviewer = \"short\"\n";
        let config = FleetConfig::parse(text, &env).unwrap();
        assert_eq!(config.listen.to_string(), "127.0.0.2:1");
        assert!(config.viewer.is_some() && config.is_insecure);
    }

    #[test]
    fn http_section_is_validated_under_its_path() {
        let text = "[http]\ntrusted_proxies = [\"10.0.0.0/8\", \"bad\"]\n\
                    allowed_origins = [\"*\"]\nrate_limit_per_minute = 0\n\
                    heartbeat_limit_burst = 0\nallowed_hosts = [\"a:1\"]\n\
                    max_connections = 0\nheader_read_timeout = \"10m\"\n\
                    max_header_bytes = 2000000\n";
        let all = FleetConfig::parse(text, &no_env).unwrap_err().to_string();
        for path in [
            "http.trusted_proxies[1]: ",
            "http.allowed_origins: ",
            "http.rate_limit_per_minute: ",
            "http.heartbeat_limit_burst: ",
            "http.allowed_hosts: ",
            "http.max_connections: ",
            "http.header_read_timeout: ",
            "http.max_header_bytes: ",
        ] {
            assert!(all.contains(path), "{path} missing in:\n{all}");
        }
        let defaults = FleetConfig::parse("", &no_env).unwrap().http;
        assert_eq!(defaults.limits, upsight_http::Limits::default());
        assert!(defaults.allowed_hosts.is_empty());
        let text = "max_members = 7\n[http]\ntrusted_proxies = [\"10.0.0.0/8\"]\n\
                    heartbeat_limit_per_minute = 6\nsecure_cookies = true\n\
                    allowed_hosts = [\"fleet.example.net\"]\nmax_connections = 9000\n\
                    header_read_timeout = \"5s\"\nmax_header_bytes = 32768\n";
        let config = FleetConfig::parse(text, &no_env).unwrap();
        assert_eq!(config.http.limits.max_connections, 9000);
        assert_eq!(
            config.http.limits.header_read_timeout,
            Duration::from_secs(5)
        );
        assert_eq!(config.http.limits.max_header_bytes, 32768);
        assert_eq!(
            config.http.allowed_hosts.iter().collect::<Vec<_>>(),
            ["fleet.example.net"]
        );
        assert_eq!(config.http.trusted_proxies.len(), 1);
        assert_eq!(config.http.heartbeat_limit.max_clients(), 7);
        assert!(config.http.is_cookie_secure);
        let unknown = FleetConfig::parse("[http]\nrate = 1\n", &no_env).unwrap_err();
        assert!(unknown.to_string().contains("rate"), "{unknown}");
    }

    #[test]
    fn errors_name_their_path() {
        let text = "listen = \"nope\"\nttl = \"5s\"\n[tokens]\ningest = \"short\"\n";
        let errors = FleetConfig::parse(text, &no_env).unwrap_err();
        let all = errors.to_string();
        for path in ["listen: ", "ttl: ", "tokens.ingest: "] {
            assert!(all.contains(path), "{all}");
        }
        let unknown = FleetConfig::parse("colour = 1", &no_env).unwrap_err();
        assert!(unknown.to_string().contains("colour"), "{unknown}");
    }

    #[test]
    fn analytics_reads_take_the_connection_keys_and_env() {
        let config = FleetConfig::parse(
            "[analytics]\nurl = \"http://127.0.0.1:8123\"\ndatabase = \"ups\"\n",
            &no_env,
        )
        .unwrap();
        let analytics = config.analytics.unwrap();
        assert_eq!(
            (analytics.url.as_str(), analytics.database.as_str()),
            ("http://127.0.0.1:8123", "ups")
        );
        assert!(FleetConfig::parse("", &no_env).unwrap().analytics.is_none());
        let env = |k: &str| (k == "UPSIGHT_ANALYTICS_URL").then(|| "http://ch:8123".to_owned());
        assert_eq!(
            FleetConfig::parse("", &env).unwrap().analytics.unwrap().url,
            "http://ch:8123"
        );
        // The sink's keys belong to the exporter.
        let err = FleetConfig::parse(
            "[analytics]\nurl = \"http://ch:8123\"\nqueue_rows = 5\n",
            &no_env,
        )
        .unwrap_err();
        assert!(err.to_string().contains("queue_rows"), "{err}");
        let err = FleetConfig::parse("[analytics]\nurl = \"ftp://ch\"\n", &no_env).unwrap_err();
        assert!(err.to_string().starts_with("analytics.url: "), "{err}");
    }
}
