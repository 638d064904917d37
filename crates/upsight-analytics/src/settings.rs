//! Where the ClickHouse server is and how to reach it.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// The database the tables live in when none is configured.
pub const DEFAULT_DATABASE: &str = "upsight";
/// Deadline for one query or insert when none is configured.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// A ClickHouse password. `Debug` and `Display` print `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Wraps a value.
    pub fn new(value: String) -> Self {
        Self(value)
    }

    /// The value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// A validated connection to ClickHouse's HTTP interface. `Debug` never shows the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `http://host:8123` or `https://host:8443`, without credentials, query or fragment.
    pub url: String,
    /// The database holding upsight's tables (created by the exporter when missing).
    pub database: String,
    /// User name (ClickHouse's `default` when absent).
    pub user: Option<String>,
    /// Password.
    pub password: Option<Password>,
    /// PEM file with the CA certificates that sign the server's certificate (https only);
    /// absent: the Mozilla roots.
    pub ca_file: Option<PathBuf>,
    /// Deadline for one query or insert.
    pub timeout: Duration,
}

impl Settings {
    /// Settings for `url` with the default database and timeout, no credentials.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            database: DEFAULT_DATABASE.to_owned(),
            user: None,
            password: None,
            ca_file: None,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// Checks a ClickHouse URL: `http` or `https`, a host, no user info, query or fragment (the
/// password belongs in `password_file`, where it is never logged). Returns a message naming
/// what is wrong.
pub fn check_url(text: &str) -> Result<(), String> {
    let (scheme, rest) = text.split_once("://").ok_or_else(|| {
        format!("{text:?} is not a URL: expected http://host:8123 or https://host:8443")
    })?;
    if scheme != "http" && scheme != "https" {
        return Err(format!(
            "scheme {scheme:?} is not supported: use http or https"
        ));
    }
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.is_empty() {
        return Err("the URL has no host".into());
    }
    if authority.contains('@') {
        return Err("the URL carries credentials: set user and password_file instead".into());
    }
    if rest.contains('?') || rest.contains('#') {
        return Err("the URL has a query or fragment: set database instead".into());
    }
    if rest.trim_end_matches('/').contains('/') {
        return Err("the URL has a path: give the server's base URL".into());
    }
    Ok(())
}

/// Checks a database name: ASCII letters, digits and `_`, not starting with a digit, at most
/// 64 bytes (it is written into DDL, so nothing that needs quoting is accepted).
pub fn check_database(text: &str) -> Result<(), String> {
    let valid = !text.is_empty()
        && text.len() <= 64
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !text.as_bytes()[0].is_ascii_digit();
    if valid {
        Ok(())
    } else {
        Err(format!(
            "{text:?} is not a database name: use 1 to 64 ASCII letters, digits or _, not starting with a digit"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked() {
        assert!(check_url("http://127.0.0.1:8123").is_ok());
        assert!(check_url("https://ch.example.net:8443/").is_ok());
        assert!(check_url("ftp://x").unwrap_err().contains("ftp"));
        assert!(
            check_url("http://u:p@x:8123")
                .unwrap_err()
                .contains("credentials")
        );
        assert!(
            check_url("http://x:8123/?database=a")
                .unwrap_err()
                .contains("query")
        );
        assert!(check_url("http://x:8123/db").unwrap_err().contains("path"));
        assert!(check_url("x:8123").unwrap_err().contains("not a URL"));
        assert!(check_url("http:///").unwrap_err().contains("no host"));
    }

    #[test]
    fn database_names_are_checked() {
        assert!(check_database("upsight").is_ok());
        assert!(check_database("ups_2").is_ok());
        for bad in ["", "1ups", "ups-x", "ups`; DROP", &"a".repeat(65)] {
            assert!(check_database(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn debug_hides_the_password() {
        let mut settings = Settings::new("http://127.0.0.1:8123");
        settings.password = Some(Password::new("hunter2-marker".into()));
        assert!(!format!("{settings:?}").contains("hunter2"));
    }
}
