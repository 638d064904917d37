//! The connection keys as written (`[analytics]` in both roles' files), the public
//! environment overrides, and their validation into [`Settings`].

use std::path::PathBuf;
use std::time::Duration;

use crate::settings::{
    DEFAULT_DATABASE, DEFAULT_TIMEOUT, Password, Settings, check_database, check_url,
};

/// `UPSIGHT_ANALYTICS_URL`: the server's URL (wins over `url`; creates the section).
pub const URL_ENV: &str = "UPSIGHT_ANALYTICS_URL";
/// `UPSIGHT_ANALYTICS_USER`.
pub const USER_ENV: &str = "UPSIGHT_ANALYTICS_USER";
/// `UPSIGHT_ANALYTICS_PASSWORD`.
pub const PASSWORD_ENV: &str = "UPSIGHT_ANALYTICS_PASSWORD";
/// `UPSIGHT_ANALYTICS_PASSWORD_FILE`.
pub const PASSWORD_FILE_ENV: &str = "UPSIGHT_ANALYTICS_PASSWORD_FILE";

const MIN_TIMEOUT: Duration = Duration::from_secs(1);
const MAX_TIMEOUT: Duration = Duration::from_secs(300);

/// The connection keys as written, before validation. `Debug` never shows the password.
#[derive(Default, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConnection {
    /// `http://host:8123` or `https://host:8443`; required.
    pub url: Option<String>,
    /// Database name (default `upsight`).
    pub database: Option<String>,
    /// User name.
    pub user: Option<String>,
    /// Password (prefer `password_file`).
    pub password: Option<String>,
    /// File holding the password.
    pub password_file: Option<PathBuf>,
    /// PEM CA bundle for an https server with a private CA.
    pub ca_file: Option<PathBuf>,
    /// Deadline for one query or insert (default 10 s).
    #[serde(default, with = "humantime_serde")]
    pub timeout: Option<Duration>,
}

impl std::fmt::Debug for RawConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawConnection")
            .field("url", &self.url)
            .field("database", &self.database)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("password_file", &self.password_file)
            .field("ca_file", &self.ca_file)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl RawConnection {
    /// Applies `UPSIGHT_ANALYTICS_URL`, `_USER` and `_PASSWORD(_FILE)` (design.md §3); a
    /// variable wins over the file.
    pub fn apply_env(&mut self, env: &dyn Fn(&str) -> Option<String>) {
        if let Some(url) = env(URL_ENV) {
            self.url = Some(url);
        }
        if let Some(user) = env(USER_ENV) {
            self.user = Some(user);
        }
        if let Some(password) = env(PASSWORD_ENV) {
            self.password = Some(password);
            self.password_file = None;
        } else if let Some(path) = env(PASSWORD_FILE_ENV) {
            self.password = None;
            self.password_file = Some(PathBuf::from(path));
        }
    }

    /// Checks every key; `err` receives `(key, message)` relative to the section.
    pub fn validate(self, err: &mut dyn FnMut(String, String)) -> Option<Settings> {
        let mut failed = false;
        let mut fail = |key: &str, message: String| {
            failed = true;
            err(key.to_owned(), message);
        };
        let url = match self.url {
            None => {
                fail(
                    "url",
                    format!(
                        "is required: ClickHouse's HTTP URL, like http://127.0.0.1:8123 (or set {URL_ENV})"
                    ),
                );
                String::new()
            }
            Some(url) => {
                if let Err(message) = check_url(&url) {
                    fail("url", message);
                }
                url
            }
        };
        let database = self.database.unwrap_or_else(|| DEFAULT_DATABASE.to_owned());
        if let Err(message) = check_database(&database) {
            fail("database", message);
        }
        if self
            .user
            .as_deref()
            .is_some_and(|u| u.is_empty() || u.chars().any(char::is_control))
        {
            fail(
                "user",
                "must be a non-empty name without control characters".into(),
            );
        }
        let password = match (self.password, self.password_file) {
            (Some(_), Some(_)) => {
                fail("password", "set password or password_file, not both".into());
                None
            }
            (Some(value), None) => Some(Password::new(value)),
            (None, Some(path)) => match read_password(&path) {
                Ok(password) => Some(password),
                Err(message) => {
                    fail("password_file", message);
                    None
                }
            },
            (None, None) => None,
        };
        if let Some(path) = &self.ca_file {
            if !url.starts_with("https://") {
                fail("ca_file", "is only used with an https url".into());
            } else if let Err(message) = crate::client::load_roots(path) {
                fail("ca_file", message);
            }
        }
        let timeout = self.timeout.unwrap_or(DEFAULT_TIMEOUT);
        if !(MIN_TIMEOUT..=MAX_TIMEOUT).contains(&timeout) {
            fail("timeout", format!("{timeout:?} is out of range (1s to 5m)"));
        }
        (!failed).then_some(Settings {
            url,
            database,
            user: self.user,
            password,
            ca_file: self.ca_file,
            timeout,
        })
    }
}

fn read_password(path: &std::path::Path) -> Result<Password, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let value = text.trim_end_matches(['\n', '\r']);
    if value.is_empty() {
        return Err(format!("{} is empty", path.display()));
    }
    Ok(Password::new(value.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(raw: RawConnection) -> Vec<String> {
        let mut out = Vec::new();
        let settings = raw.validate(&mut |k, m| out.push(format!("{k}: {m}")));
        assert_eq!(settings.is_none(), !out.is_empty());
        out
    }

    #[test]
    fn env_wins_and_the_password_file_is_read() {
        let dir = std::env::temp_dir().join(format!("upsight-analytics-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("pw");
        std::io::Write::write_all(&mut std::fs::File::create(&file).unwrap(), b"s3cret\n").unwrap();
        let mut raw = RawConnection {
            url: Some("http://file:8123".into()),
            password: Some("from-file".into()),
            ..RawConnection::default()
        };
        let path = file.display().to_string();
        raw.apply_env(&|k| match k {
            URL_ENV => Some("http://127.0.0.1:8123".into()),
            USER_ENV => Some("ups".into()),
            PASSWORD_FILE_ENV => Some(path.clone()),
            _ => None,
        });
        let settings = raw.validate(&mut |k, m| panic!("{k}: {m}")).unwrap();
        assert_eq!(settings.url, "http://127.0.0.1:8123");
        assert_eq!(settings.user.as_deref(), Some("ups"));
        assert_eq!(settings.password.unwrap().expose(), "s3cret");
        assert_eq!(settings.database, "upsight");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn every_bad_key_is_named() {
        let found = errors(RawConnection {
            url: Some("http://u:p@x".into()),
            database: Some("a;b".into()),
            password: Some("x".into()),
            password_file: Some("/nonexistent".into()),
            ca_file: Some("/nonexistent".into()),
            timeout: Some(Duration::from_millis(10)),
            ..RawConnection::default()
        });
        for key in ["url:", "database:", "password:", "ca_file:", "timeout:"] {
            assert!(
                found.iter().any(|e| e.starts_with(key)),
                "{key} in {found:?}"
            );
        }
        assert!(errors(RawConnection::default())[0].starts_with("url: is required"));
    }

    #[test]
    fn debug_hides_the_password() {
        let raw = RawConnection {
            password: Some("marker-pw".into()),
            ..RawConnection::default()
        };
        assert!(!format!("{raw:?}").contains("marker-pw"));
    }
}
