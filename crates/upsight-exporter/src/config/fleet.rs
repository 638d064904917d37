//! `[fleet]`: where the heartbeat client registers (design.md §4.7): the plane's base URL, the
//! group, an optional fixed identity, the plane's ingest token and the request deadline.

use std::path::PathBuf;
use std::time::Duration;

use reqwest::Url;
use upsight_model::{GroupName, MemberId, RegisterRequestV1, Version};

use super::raw::read_secret;
use super::secret::{RawSecret, Secret};

/// Deadline for one register or heartbeat request when `timeout` is not set.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
const MIN_TIMEOUT: Duration = Duration::from_secs(1);
const MAX_TIMEOUT: Duration = Duration::from_secs(60);

/// The environment variable holding the ingest token (wins over `token` and `token_file`).
pub const TOKEN_ENV: &str = "UPSIGHT_HEARTBEAT_TOKEN";
/// The environment variable naming a file with the ingest token.
pub const TOKEN_FILE_ENV: &str = "UPSIGHT_HEARTBEAT_TOKEN_FILE";
/// The environment variable holding the plane's base URL (wins over `url`; creates the
/// section when the file has none).
pub const URL_ENV: &str = "UPSIGHT_HEARTBEAT_URL";

/// The `[fleet]` section as written.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFleet {
    /// The plane's base URL (`https://fleet.example.net:9956`); required.
    pub url: Option<String>,
    /// The group this exporter belongs to; required.
    pub group: Option<String>,
    /// A fixed identity; absent: generated once and kept in the state file.
    pub identity: Option<String>,
    /// The plane's ingest token (prefer `token_file`).
    pub token: Option<RawSecret>,
    /// File holding the ingest token.
    pub token_file: Option<PathBuf>,
    /// `host:port` the plane offers to Prometheus (http_sd) for this exporter.
    pub scrape_target: Option<String>,
    /// Deadline for one request.
    #[serde(default, with = "humantime_serde")]
    pub timeout: Option<Duration>,
}

/// The validated `[fleet]` section. `Debug` never shows the token.
#[derive(Debug, Clone)]
pub struct FleetSettings {
    /// The plane's base URL: `http` or `https`, a host, an optional port, path `/`.
    pub url: Url,
    /// The group.
    pub group: GroupName,
    /// The configured identity, if any.
    pub identity: Option<MemberId>,
    /// The ingest token, sent as `Authorization: Bearer`.
    pub token: Secret,
    /// Sent at registration when set.
    pub scrape_target: Option<String>,
    /// Deadline for one whole request (connect, send, answer).
    pub timeout: Duration,
}

impl RawFleet {
    /// Applies `UPSIGHT_HEARTBEAT_URL` and `UPSIGHT_HEARTBEAT_TOKEN(_FILE)` (design.md §3); a
    /// variable wins over the file.
    pub fn apply_env(&mut self, env: &dyn Fn(&str) -> Option<String>) {
        if let Some(url) = env(URL_ENV) {
            self.url = Some(url);
        }
        if let Some(value) = env(TOKEN_ENV) {
            self.token = Some(RawSecret(value));
            self.token_file = None;
        } else if let Some(path) = env(TOKEN_FILE_ENV) {
            self.token = None;
            self.token_file = Some(PathBuf::from(path));
        }
    }

    /// Checks every key; `err` receives `(key, message)` with the key relative to `[fleet]`.
    pub fn validate(self, err: &mut dyn FnMut(String, String)) -> Option<FleetSettings> {
        let mut failed = false;
        let mut fail = |key: &str, message: String| {
            failed = true;
            err(key.to_owned(), message);
        };
        let url = match self.url.as_deref() {
            None => {
                fail(
                    "url",
                    "is required: the plane's base URL, like https://fleet.example.net:9956".into(),
                );
                None
            }
            Some(text) => parse_base_url(text).map_err(|m| fail("url", m)).ok(),
        };
        let group = match self.group.as_deref() {
            None => {
                fail(
                    "group",
                    "is required: the group this exporter belongs to".into(),
                );
                None
            }
            Some(text) => text
                .parse::<GroupName>()
                .map_err(|e| fail("group", e.to_string()))
                .ok(),
        };
        let identity = self.identity.as_deref().and_then(|text| {
            text.parse::<MemberId>()
                .map_err(|e| fail("identity", e.to_string()))
                .ok()
        });
        let token = match (self.token, self.token_file) {
            (Some(_), Some(_)) => {
                fail("token", "set token or token_file, not both".into());
                None
            }
            (None, None) => {
                fail(
                    "token",
                    format!(
                        "the plane's ingest token is required: set token, token_file or {TOKEN_ENV}"
                    ),
                );
                None
            }
            (Some(raw), None) => check_token(Secret::new(raw.0))
                .map_err(|m| fail("token", m))
                .ok(),
            (None, Some(path)) => read_secret(&path)
                .and_then(check_token)
                .map_err(|m| fail("token_file", m))
                .ok(),
        };
        if let Some(target) = &self.scrape_target
            && let Err(m) = check_scrape_target(target)
        {
            fail("scrape_target", m);
        }
        let timeout = self.timeout.unwrap_or(DEFAULT_TIMEOUT);
        if !(MIN_TIMEOUT..=MAX_TIMEOUT).contains(&timeout) {
            fail(
                "timeout",
                format!(
                    "{} is out of range (1s to 60s)",
                    humantime::format_duration(timeout)
                ),
            );
        }
        if failed {
            return None;
        }
        Some(FleetSettings {
            url: url?,
            group: group?,
            identity,
            token: token?,
            scrape_target: self.scrape_target,
            timeout,
        })
    }
}

/// A base URL: `http` or `https`, a host, no user info, no path beyond `/`, no query or
/// fragment. A text with `@` is never echoed (it may carry a password).
fn parse_base_url(text: &str) -> Result<Url, String> {
    let shown = if text.contains('@') {
        "the URL (not shown: it contains '@')".to_owned()
    } else {
        format!("{text:?}")
    };
    let url = Url::parse(text).map_err(|e| format!("{shown} is not a URL: {e}"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "{shown} carries user info: the token goes in token or token_file"
        ));
    }
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("{shown}: the scheme must be http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("{shown} has no host"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "{shown} has a path, query or fragment: give the plane's base URL, like \
             https://fleet.example.net:9956"
        ));
    }
    Ok(url)
}

/// The token rules every upsight token follows (32 to 512 visible ASCII characters), plus no
/// comma: the plane reads its tokens as a comma list, so a value with one is a list, not the
/// one token a member sends. The value is never echoed.
fn check_token(token: Secret) -> Result<Secret, String> {
    upsight_http::Token::try_new(token.expose()).map_err(|e| e.to_string())?;
    if token.expose().contains(',') {
        return Err("contains ',': give the one token this exporter sends, not a list".into());
    }
    Ok(token)
}

/// `host:port`, checked exactly as the plane checks the registration's `scrape_target`.
fn check_scrape_target(target: &str) -> Result<(), String> {
    let probe = RegisterRequestV1 {
        version: Version,
        identity: "probe".parse().map_err(|e| format!("{e}"))?,
        group: "probe".parse().map_err(|e| format!("{e}"))?,
        software_version: "0".into(),
        scrape_target: Some(target.to_owned()),
        lease: None,
    };
    probe.validate().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::super::{Config, ConfigErrors};

    const TOKEN: &str = "ingest-token-0123456789abcdef0123456789";
    const DEVICE: &str = "[[nut]]\naddress = \"127.0.0.1\"\n";

    fn parse_with(
        fleet: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigErrors> {
        Config::parse(&format!("{DEVICE}[fleet]\n{fleet}"), env)
    }

    fn parse(fleet: &str) -> Result<Config, ConfigErrors> {
        parse_with(fleet, &|_| None)
    }

    fn errors(fleet: &str) -> Vec<String> {
        parse(fleet)
            .unwrap_err()
            .0
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn a_minimal_section_gets_the_documented_defaults() {
        let text = format!(
            "url = \"https://fleet.example.net:9956\"\ngroup = \"site-a\"\ntoken = \"{TOKEN}\"\n"
        );
        let config = parse(&text).unwrap();
        let fleet = config.fleet.unwrap();
        assert_eq!(fleet.url.as_str(), "https://fleet.example.net:9956/");
        assert_eq!(fleet.group.as_str(), "site-a");
        assert_eq!(fleet.identity, None);
        assert_eq!(fleet.token.expose(), TOKEN);
        assert_eq!(fleet.scrape_target, None);
        assert_eq!(fleet.timeout, super::DEFAULT_TIMEOUT);
        assert!(parse("").is_err(), "an empty [fleet] section is an error");
        assert!(Config::parse(DEVICE, &|_| None).unwrap().fleet.is_none());
    }

    #[test]
    fn every_key_is_read() {
        let text = format!(
            "url = \"http://127.0.0.1:9956/\"\ngroup = \"g\"\nidentity = \"rack-7\"\n\
             token = \"{TOKEN}\"\nscrape_target = \"exporter-7.example:9955\"\ntimeout = \"2s\"\n"
        );
        let fleet = parse(&text).unwrap().fleet.unwrap();
        assert_eq!(fleet.identity.unwrap().as_str(), "rack-7");
        assert_eq!(
            fleet.scrape_target.as_deref(),
            Some("exporter-7.example:9955")
        );
        assert_eq!(fleet.timeout, std::time::Duration::from_secs(2));
    }

    #[test]
    fn every_error_names_its_path() {
        let cases = [
            ("group = \"g\"\n", "fleet.url: is required"),
            (
                "url = \"ftp://h\"\n",
                "fleet.url: \"ftp://h\": the scheme must be http or https",
            ),
            (
                "url = \"not a url\"\n",
                "fleet.url: \"not a url\" is not a URL",
            ),
            (
                "url = \"https://h/fleet\"\n",
                "fleet.url: \"https://h/fleet\" has a path",
            ),
            (
                "url = \"https://h/?x=1\"\n",
                "has a path, query or fragment",
            ),
            (
                "url = \"https://u:pw@h/\"\n",
                "fleet.url: the URL (not shown: it contains '@') carries user info",
            ),
            ("url = \"https://h\"\n", "fleet.group: is required"),
            (
                "group = \"a b\"\n",
                "fleet.group: group = \"a b\": may only contain",
            ),
            ("identity = \"\"\n", "fleet.identity: identity is empty"),
            (
                "scrape_target = \"http://h:1\"\n",
                "fleet.scrape_target: scrape_target = \"http://h:1\": has a scheme",
            ),
            (
                "scrape_target = \"h\"\n",
                "fleet.scrape_target: scrape_target = \"h\": has no port",
            ),
            (
                "timeout = \"500ms\"\n",
                "fleet.timeout: 500ms is out of range (1s to 60s)",
            ),
            (
                "timeout = \"2m\"\n",
                "fleet.timeout: 2m is out of range (1s to 60s)",
            ),
            (
                "url = \"https://h\"\n",
                "fleet.token: the plane's ingest token is required",
            ),
            (
                "token = \"short\"\n",
                "fleet.token: token is 5 characters long, at least 32",
            ),
            (
                "token = \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"\n",
                "fleet.token: contains ','",
            ),
            (
                "token_file = \"/does/not/exist\"\n",
                "fleet.token_file: cannot read /does/not/exist",
            ),
        ];
        for (section, want) in cases {
            let found = errors(section);
            assert!(
                found.iter().any(|e| e.contains(want)),
                "{section:?}: {found:?} lacks {want:?}"
            );
        }
        let both = format!("token = \"{TOKEN}\"\ntoken_file = \"/x\"\n");
        assert!(
            errors(&both)
                .iter()
                .any(|e| e == "fleet.token: set token or token_file, not both")
        );
        let typo = parse("url = \"https://h\"\ngroop = \"g\"\n")
            .unwrap_err()
            .to_string();
        assert!(typo.contains("unknown field `groop`"), "{typo}");
    }

    #[test]
    fn the_token_never_shows() {
        let secret = "s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t";
        let text = format!("url = \"https://h\"\ngroup = \"g\"\ntoken = \"{secret}\"\n");
        let config = parse(&text).unwrap();
        assert!(!format!("{config:?}").contains("s3cr3t"));
        let view = super::super::view::masked(&config).to_string();
        assert!(!view.contains("s3cr3t"), "{view}");
        assert!(view.contains("\"token\":\"***\""), "{view}");
        let bad = format!("group = \"g\"\ntoken = \"{secret} x\"\n");
        let all = parse(&bad).unwrap_err();
        assert!(!format!("{all} {all:?}").contains("s3cr3t"), "{all}");
    }

    #[test]
    fn the_token_comes_from_a_file_or_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ingest");
        std::fs::File::create(&path)
            .and_then(|mut f| std::io::Write::write_all(&mut f, format!("{TOKEN}\n").as_bytes()))
            .unwrap();
        let text = format!(
            "url = \"https://h\"\ngroup = \"g\"\ntoken_file = \"{}\"\n",
            path.display()
        );
        assert_eq!(parse(&text).unwrap().fleet.unwrap().token.expose(), TOKEN);
        let other = "env-token-0123456789abcdef0123456789abcdef";
        let env = |k: &str| (k == super::TOKEN_ENV).then(|| other.to_owned());
        let fleet = parse_with(&text, &env).unwrap().fleet.unwrap();
        assert_eq!(
            fleet.token.expose(),
            other,
            "the variable wins over the file"
        );
        let path_text = path.display().to_string();
        let env = |k: &str| (k == super::TOKEN_FILE_ENV).then(|| path_text.clone());
        let inline = format!("url = \"https://h\"\ngroup = \"g\"\ntoken = \"{other}\"\n");
        let fleet = parse_with(&inline, &env).unwrap().fleet.unwrap();
        assert_eq!(
            fleet.token.expose(),
            TOKEN,
            "the file variable wins over the inline token"
        );
        let env = |k: &str| (k == super::TOKEN_ENV).then(|| other.to_owned());
        let config = Config::parse(DEVICE, &env).unwrap();
        assert!(
            config.fleet.is_none(),
            "the token variable alone does not join a fleet"
        );
        let env = |k: &str| match k {
            super::URL_ENV => Some("https://fleet.example.net:9956".to_owned()),
            super::TOKEN_ENV => Some(other.to_owned()),
            _ => None,
        };
        let errors = Config::parse(DEVICE, &env).unwrap_err().to_string();
        assert!(errors.contains("fleet.group: is required"), "{errors}");
        let with_group = format!("{DEVICE}\n[fleet]\ngroup = \"g\"\n");
        let fleet = Config::parse(&with_group, &env).unwrap().fleet.unwrap();
        assert_eq!(fleet.url.as_str(), "https://fleet.example.net:9956/");
        assert_eq!(fleet.token.expose(), other);
    }
}
