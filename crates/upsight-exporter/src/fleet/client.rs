//! The plane's two ingest endpoints over HTTP: one client (rustls, no redirects, no proxy, a
//! deadline per request), every answer classified into a [`Failure`] with a [`Reason`], and the
//! registration answer read with a size cap and checked against the contract. The token is
//! only ever written into the `Authorization` header, which is marked sensitive.

use std::time::Duration;

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use reqwest::{Response, Url, redirect};
use upsight_model::{HeartbeatV1, RegisterRequestV1, RegisterResponseV1};

use super::Reason;
use crate::config::fleet::FleetSettings;

/// The most bytes of a registration answer read: a hostile or broken plane cannot make the
/// exporter buffer more (the real answer is about 200 bytes).
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;
/// Path of the registration endpoint under the plane's base URL.
pub const REGISTER_PATH: &str = "api/v1/register";
/// Path of the heartbeat endpoint under the plane's base URL.
pub const HEARTBEAT_PATH: &str = "api/v1/heartbeat";

/// Why the client could not be built (startup only).
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The HTTP client (TLS setup) could not be built.
    #[error("cannot build the fleet HTTP client: {0}")]
    Client(String),
    /// The base URL does not take the endpoint paths.
    #[error("cannot form the fleet endpoint URLs from {url}: {detail}")]
    Url {
        /// The base URL.
        url: String,
        /// What went wrong.
        detail: String,
    },
}

/// A failed request: the reason (a label), how long the plane asked to wait (429), and a
/// description for the log that never holds the token or the lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The `reason` label.
    pub reason: Reason,
    /// `Retry-After` of a 429, in seconds.
    pub retry_after: Option<Duration>,
    /// For the log line.
    pub detail: String,
}

impl Failure {
    fn new(reason: Reason, detail: impl Into<String>) -> Self {
        Self {
            reason,
            retry_after: None,
            detail: detail.into(),
        }
    }
}

/// Sends registrations and heartbeats to one plane.
#[derive(Debug)]
pub struct Client {
    http: reqwest::Client,
    register: Url,
    heartbeat: Url,
    auth: HeaderValue,
    timeout: Duration,
}

impl Client {
    /// A client for the plane in `settings`, with its token and deadline.
    pub fn try_new(settings: &FleetSettings) -> Result<Self, BuildError> {
        ensure_crypto_provider();
        let join = |path: &str| {
            settings.url.join(path).map_err(|e| BuildError::Url {
                url: settings.url.to_string(),
                detail: e.to_string(),
            })
        };
        let register = join(REGISTER_PATH)?;
        let heartbeat = join(HEARTBEAT_PATH)?;
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", settings.token.expose()))
            .map_err(|_| BuildError::Client("the token is not a valid header value".into()))?;
        auth.set_sensitive(true);
        let http = reqwest::Client::builder()
            .redirect(redirect::Policy::none())
            .no_proxy()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .user_agent(concat!("upsight/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| BuildError::Client(crate::alert::client::describe(e)))?;
        Ok(Self {
            http,
            register,
            heartbeat,
            auth,
            timeout: settings.timeout,
        })
    }

    /// `POST /api/v1/register`: the plane's answer, read with [`MAX_RESPONSE_BYTES`] and
    /// validated, or why not.
    pub async fn send_register(
        &self,
        request: &RegisterRequestV1,
    ) -> Result<RegisterResponseV1, Failure> {
        let work = async {
            let response = self.post(&self.register, request).await?;
            let status = response.status();
            if !status.is_success() {
                return Err(failure_of(&response));
            }
            let body = read_capped(response, MAX_RESPONSE_BYTES).await?;
            let answer: RegisterResponseV1 = serde_json::from_slice(&body).map_err(|e| {
                Failure::new(
                    Reason::InvalidResponse,
                    format!("registration answer is not the contract's JSON: {e}"),
                )
            })?;
            answer.validate().map_err(|e| {
                Failure::new(
                    Reason::InvalidResponse,
                    format!("registration answer breaks the contract: {e}"),
                )
            })?;
            Ok(answer)
        };
        self.deadline(work).await
    }

    /// `POST /api/v1/heartbeat`: `Ok` on any 2xx (the plane answers 204). The body of the
    /// answer is never read.
    pub async fn send_heartbeat(&self, heartbeat: &HeartbeatV1) -> Result<(), Failure> {
        let work = async {
            let response = self.post(&self.heartbeat, heartbeat).await?;
            if response.status().is_success() {
                Ok(())
            } else {
                Err(failure_of(&response))
            }
        };
        self.deadline(work).await
    }

    async fn post(&self, url: &Url, document: &impl serde::Serialize) -> Result<Response, Failure> {
        let body = serde_json::to_vec(document)
            .map_err(|e| Failure::new(Reason::InvalidResponse, format!("cannot encode: {e}")))?;
        self.http
            .post(url.clone())
            .header(AUTHORIZATION, self.auth.clone())
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "application/json")
            .body(body)
            .send()
            .await
            .map_err(transport)
    }

    /// reqwest's own timeout covers the whole exchange; this one also bounds anything it
    /// might not (and is the same value, so whichever fires first reports a timeout).
    async fn deadline<T>(
        &self,
        work: impl Future<Output = Result<T, Failure>>,
    ) -> Result<T, Failure> {
        tokio::time::timeout(self.timeout, work)
            .await
            .unwrap_or_else(|_| {
                Err(Failure::new(
                    Reason::Timeout,
                    "no answer within the deadline",
                ))
            })
    }
}

/// The failure a non-2xx answer means (pure on the status and `Retry-After`).
pub fn classify_status(status: u16, retry_after: Option<&str>) -> Failure {
    let reason = match status {
        401 => Reason::Unauthorized,
        400 | 403 => Reason::Refused,
        404 => Reason::UnknownMember,
        409 => Reason::LeaseMismatch,
        429 => Reason::RateLimited,
        _ => Reason::HttpStatus,
    };
    Failure {
        reason,
        retry_after: (status == 429)
            .then(|| retry_after.and_then(parse_retry_after))
            .flatten(),
        detail: format!("the plane answered {status}"),
    }
}

/// `Retry-After` in delay-seconds form (what the plane sends); an HTTP date is not used.
pub fn parse_retry_after(text: &str) -> Option<Duration> {
    text.trim().parse::<u64>().ok().map(Duration::from_secs)
}

fn failure_of(response: &Response) -> Failure {
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok());
    classify_status(response.status().as_u16(), retry_after)
}

/// Reads the body, refusing one announced or found to be larger than `cap` without reading
/// further.
async fn read_capped(mut response: Response, cap: usize) -> Result<Vec<u8>, Failure> {
    let too_large = |n: String| {
        Failure::new(
            Reason::InvalidResponse,
            format!("registration answer of {n} bytes is larger than {cap}"),
        )
    };
    if let Some(len) = response.content_length()
        && len > cap as u64
    {
        return Err(too_large(len.to_string()));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport)? {
        if body.len() + chunk.len() > cap {
            return Err(too_large(format!("more than {}", body.len())));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn transport(e: reqwest::Error) -> Failure {
    let reason = if e.is_timeout() {
        Reason::Timeout
    } else {
        Reason::Connect
    };
    Failure::new(reason, crate::alert::client::describe(e))
}

/// reqwest with `rustls-no-provider` panics without a process-wide provider; the binary
/// installs ring at startup, and this covers library users and tests. Installing fails only
/// when one is already installed, which is what we want.
fn ensure_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_reasons() {
        let cases = [
            (401, Reason::Unauthorized),
            (400, Reason::Refused),
            (403, Reason::Refused),
            (404, Reason::UnknownMember),
            (409, Reason::LeaseMismatch),
            (429, Reason::RateLimited),
            (500, Reason::HttpStatus),
            (302, Reason::HttpStatus),
        ];
        for (status, reason) in cases {
            assert_eq!(classify_status(status, None).reason, reason, "{status}");
        }
        let limited = classify_status(429, Some(" 7 "));
        assert_eq!(limited.retry_after, Some(Duration::from_secs(7)));
        assert_eq!(limited.detail, "the plane answered 429");
        assert_eq!(classify_status(503, Some("7")).retry_after, None);
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }

    #[test]
    fn endpoints_hang_off_the_base_url() {
        let settings = FleetSettings {
            url: "https://fleet.example.net:9956".parse().unwrap(),
            group: "g".parse().unwrap(),
            identity: None,
            token: crate::config::Secret::new("t".repeat(32)),
            scrape_target: None,
            timeout: Duration::from_secs(5),
        };
        let client = Client::try_new(&settings).unwrap();
        assert_eq!(
            client.register.as_str(),
            "https://fleet.example.net:9956/api/v1/register"
        );
        assert_eq!(
            client.heartbeat.as_str(),
            "https://fleet.example.net:9956/api/v1/heartbeat"
        );
        assert!(!format!("{client:?}").contains("tttt"), "{client:?}");
    }
}
