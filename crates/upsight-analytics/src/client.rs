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
}

/// A client for `settings`. Validation of row types against the server's schema is switched
/// on later, where the server supports it ([`crate::schema::Features`]).
pub fn connect(settings: &Settings) -> Result<Client, AnalyticsError> {
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
