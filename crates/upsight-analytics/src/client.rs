//! Builds the ClickHouse client from [`Settings`]: HTTP(S) over rustls (ring), LZ4 on the
//! wire, credentials sent as headers, an optional custom CA.

use std::sync::Arc;

use clickhouse::Client;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use crate::settings::Settings;

/// ClickHouse's own idle keep-alive is 3 s; ours closes first.
const POOL_IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// Why the analytical path could not do something. Messages never carry a credential.
#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    /// The settings cannot be turned into a client (a CA file that cannot be read).
    #[error("analytics settings: {0}")]
    Settings(String),
    /// The server did not answer within the deadline.
    #[error("ClickHouse did not answer within {0:?}")]
    Timeout(std::time::Duration),
    /// The request failed (network, server error, data format).
    #[error("ClickHouse: {0}")]
    ClickHouse(#[from] clickhouse::error::Error),
}

impl AnalyticsError {
    /// Whether the server could not be reached at all (as opposed to answering with an
    /// error): the sink keeps the batch and waits instead of counting an attempt.
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            Self::Timeout(_) | Self::ClickHouse(clickhouse::error::Error::Network(_))
        )
    }

    /// ClickHouse's error code, when the server answered with an error (`Code: N, …` before
    /// 19.x, `Code: N. DB::Exception: …` after).
    pub fn server_code(&self) -> Option<u32> {
        let Self::ClickHouse(clickhouse::error::Error::BadResponse(text)) = self else {
            return None;
        };
        let rest = text.trim_start().strip_prefix("Code: ")?;
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    }

    /// The error for logs and 5xx details: a server's error text can quote the query or the
    /// row it refused (a serial number, a location), so only its code is kept; the full text
    /// is logged at DEBUG.
    pub fn summary(&self) -> String {
        match self.server_code() {
            Some(code) => {
                tracing::debug!(error = %self, "ClickHouse error text.");
                format!("ClickHouse answered with error code {code}")
            }
            None => self.to_string(),
        }
    }

    /// Whether the server refused because of its own state rather than the data: credentials
    /// or grants, overload, memory, too many parts, a read-only table, a missing table or
    /// database. Such a batch is held and retried, never given up.
    pub fn is_server_state(&self) -> bool {
        self.is_missing_schema()
            || matches!(
                self.server_code(),
                Some(
                    159 | 164
                        | 192
                        | 193
                        | 194
                        | 195
                        | 202
                        | 203
                        | 209
                        | 210
                        | 241
                        | 242
                        | 252
                        | 425
                        | 497
                        | 516
                )
            )
    }

    /// Whether the server lacks upsight's database or a table (`UNKNOWN_TABLE`,
    /// `UNKNOWN_DATABASE`): the schema is applied again.
    pub fn is_missing_schema(&self) -> bool {
        matches!(self.server_code(), Some(60 | 81))
    }
}

/// A client for `settings`. Validation of row types against the server's schema is switched
/// on later, where the server supports it ([`crate::schema::Features`]).
pub fn connect(settings: &Settings) -> Result<Client, AnalyticsError> {
    if settings.password.is_some() && is_cleartext_remote(&settings.url) {
        tracing::warn!(url = %settings.url, "The ClickHouse password crosses the network in clear text: use an https URL.");
    }
    let client = match &settings.ca_file {
        None => Client::default(),
        Some(path) => {
            let mut roots = RootCertStore::empty();
            let certificates = CertificateDer::pem_file_iter(path).map_err(|e| {
                AnalyticsError::Settings(format!("ca_file {}: {e}", path.display()))
            })?;
            for certificate in certificates {
                let certificate = certificate.map_err(|e| {
                    AnalyticsError::Settings(format!("ca_file {}: {e}", path.display()))
                })?;
                roots.add(certificate).map_err(|e| {
                    AnalyticsError::Settings(format!("ca_file {}: {e}", path.display()))
                })?;
            }
            if roots.is_empty() {
                return Err(AnalyticsError::Settings(format!(
                    "ca_file {}: no certificate in it",
                    path.display()
                )));
            }
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let tls = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|e| AnalyticsError::Settings(e.to_string()))?
                .with_root_certificates(roots)
                .with_no_client_auth();
            let mut http = HttpConnector::new();
            http.enforce_http(false);
            let connector = hyper_rustls::HttpsConnectorBuilder::new()
                .with_tls_config(tls)
                .https_or_http()
                .enable_http1()
                .wrap_connector(http);
            let hyper = HyperClient::builder(TokioExecutor::new())
                .pool_idle_timeout(POOL_IDLE_TIMEOUT)
                .build(connector);
            Client::with_http_client(hyper)
        }
    };
    let mut client = client
        .with_url(settings.url.trim_end_matches('/'))
        .with_validation(false);
    if let Some(user) = &settings.user {
        client = client.with_user(user);
    }
    if let Some(password) = &settings.password {
        client = client.with_password(password.expose());
    }
    Ok(client)
}

/// Whether `url` is plain `http` to a host other than loopback.
fn is_cleartext_remote(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split('/').next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    let is_loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    !is_loopback
}

/// Reads the CA certificates of a PEM file; the message names the file and what is wrong.
pub(crate) fn load_roots(path: &std::path::Path) -> Result<RootCertStore, String> {
    let fail = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let mut roots = RootCertStore::empty();
    for certificate in CertificateDer::pem_file_iter(path).map_err(|e| fail(&e))? {
        roots
            .add(certificate.map_err(|e| fail(&e))?)
            .map_err(|e| fail(&e))?;
    }
    if roots.is_empty() {
        return Err(fail(&"no PEM certificate in it"));
    }
    Ok(roots)
}

/// Runs `future` with the settings' deadline.
pub(crate) async fn within<T>(
    timeout: std::time::Duration,
    future: impl Future<Output = Result<T, clickhouse::error::Error>>,
) -> Result<T, AnalyticsError> {
    match tokio::time::timeout(timeout, future).await {
        Ok(result) => Ok(result?),
        Err(_) => Err(AnalyticsError::Timeout(timeout)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleartext_remote_urls_are_recognised() {
        for url in ["http://ch.example.net:8123", "http://10.0.0.5:8123/"] {
            assert!(is_cleartext_remote(url), "{url}");
        }
        for url in [
            "http://127.0.0.1:8123",
            "http://localhost:8123",
            "http://[::1]:8123",
            "https://ch.example.net:8443",
        ] {
            assert!(!is_cleartext_remote(url), "{url}");
        }
    }

    #[test]
    fn server_codes_are_read_from_old_and_new_error_texts() {
        let old = AnalyticsError::ClickHouse(clickhouse::error::Error::BadResponse(
            "Code: 60, e.displayText() = DB::Exception: Table x.readings doesn't exist".into(),
        ));
        assert_eq!(old.server_code(), Some(60));
        assert!(old.is_missing_schema() && old.is_server_state());
        assert!(!old.summary().contains("readings"));
        let new = AnalyticsError::ClickHouse(clickhouse::error::Error::BadResponse(
            "Code: 27. DB::Exception: Cannot parse input: 'SERIAL-X' (CANNOT_PARSE_INPUT)".into(),
        ));
        assert_eq!(new.server_code(), Some(27));
        assert!(!new.is_server_state());
        assert_eq!(new.summary(), "ClickHouse answered with error code 27");
        let auth = AnalyticsError::ClickHouse(clickhouse::error::Error::BadResponse(
            "Code: 516. DB::Exception: upsight: Authentication failed".into(),
        ));
        assert!(auth.is_server_state());
        assert!(AnalyticsError::Timeout(std::time::Duration::from_secs(1)).is_unreachable());
    }
}
