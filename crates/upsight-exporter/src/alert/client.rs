//! The HTTPS client for one send: built per request, pinned to the addresses the SSRF guard
//! checked, with no redirects, no proxy, no other DNS and a total deadline.

use std::error::Error as _;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Name, Resolve, Resolving};
use reqwest::redirect;

use super::provider::Request;
use super::ssrf::{Checked, Guard, GuardError};
use super::target::Target;

/// Deadline for one whole request (connect, TLS, send, response head).
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a delivery failed: the `reason` label, a fixed set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FailReason {
    /// The SSRF guard refused the URL; no connection was made.
    RefusedAddress,
    /// The host did not resolve.
    Dns,
    /// TCP connection failed (or another transport error).
    Connect,
    /// The deadline passed.
    Timeout,
    /// The receiver answered with a non-2xx status (redirects included: they are not followed).
    HttpStatus,
    /// TLS handshake or certificate verification failed.
    Tls,
}

impl FailReason {
    /// Every reason, in label order.
    pub const ALL: [FailReason; 6] = [
        Self::RefusedAddress,
        Self::Dns,
        Self::Connect,
        Self::Timeout,
        Self::HttpStatus,
        Self::Tls,
    ];

    /// The `reason` label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RefusedAddress => "refused_address",
            Self::Dns => "dns",
            Self::Connect => "connect",
            Self::Timeout => "timeout",
            Self::HttpStatus => "http_status",
            Self::Tls => "tls",
        }
    }
}

impl fmt::Display for FailReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failed delivery: the reason and a description that never contains the URL's path or
/// query, nor a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The label.
    pub reason: FailReason,
    /// For the log line.
    pub detail: String,
}

impl From<GuardError> for Failure {
    fn from(e: GuardError) -> Self {
        let reason = if e.is_refusal() {
            FailReason::RefusedAddress
        } else {
            FailReason::Dns
        };
        Self {
            reason,
            detail: e.to_string(),
        }
    }
}

/// Checks the URL with `guard` (refusing before any connection), then sends `request` to the
/// checked addresses only. `Ok` carries the 2xx status.
pub async fn send(guard: &Guard, target: &Target, request: Request) -> Result<u16, Failure> {
    let checked = guard.check(&request.url).await?;
    let client = build(target, &checked).map_err(classify)?;
    let response = client
        .request(request.method, request.url)
        .headers(request.headers)
        .body(request.body)
        .send()
        .await
        .map_err(classify)?;
    // The body is never read: only the status matters, and its size is the receiver's.
    let status = response.status();
    if status.is_success() {
        Ok(status.as_u16())
    } else {
        Err(Failure {
            reason: FailReason::HttpStatus,
            detail: format!("receiver answered {status}"),
        })
    }
}

/// A client that reaches `checked.host` only at `checked.addrs` and resolves nothing else.
pub fn build(target: &Target, checked: &Checked) -> Result<reqwest::Client, reqwest::Error> {
    ensure_crypto_provider();
    let mut builder = reqwest::Client::builder()
        .https_only(true)
        .redirect(redirect::Policy::none())
        .no_proxy()
        .timeout(SEND_TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .user_agent(concat!("upsight/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(Arc::new(NoResolve));
    if checked.is_name {
        builder = builder.resolve_to_addrs(&checked.host, &checked.addrs);
    }
    if let Some(ca) = &target.ca {
        builder = builder.tls_certs_only(ca.0.iter().cloned());
    }
    builder.build()
}

/// reqwest with `rustls-no-provider` panics without a process-wide provider; the binary
/// installs ring at startup, and this covers library users and tests. Installing fails only
/// when one is already installed, which is what we want.
fn ensure_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// Every name a send may reach is pinned with `resolve_to_addrs`; any other lookup (there
/// should be none: redirects are off) fails instead of bypassing the guard.
#[derive(Debug)]
struct NoResolve;

impl Resolve for NoResolve {
    fn resolve(&self, name: Name) -> Resolving {
        let message = format!("{} was not checked by the SSRF guard", name.as_str());
        Box::pin(std::future::ready(Err(message.into())))
    }
}

fn classify(e: reqwest::Error) -> Failure {
    let e = e.without_url();
    let reason = if has_tls_error(&e) {
        FailReason::Tls
    } else if e.is_timeout() {
        FailReason::Timeout
    } else if e.is_dns() {
        FailReason::Dns
    } else {
        FailReason::Connect
    };
    Failure {
        reason,
        detail: describe(e),
    }
}

/// The error and its causes on one line, without the URL (it may carry a secret).
pub fn describe(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

/// rustls errors arrive wrapped in `io::Error`s (hyper-rustls wraps tokio-rustls's
/// `io::Error` in another), whose `source()` skips the wrapped error, so each layer is
/// unwrapped by hand.
fn has_tls_error(e: &reqwest::Error) -> bool {
    let mut source = e.source();
    while let Some(cause) = source {
        if is_tls(cause) {
            return true;
        }
        source = cause.source();
    }
    false
}

fn is_tls(mut err: &(dyn std::error::Error + 'static)) -> bool {
    loop {
        if err.is::<rustls::Error>() {
            return true;
        }
        match err
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            Some(inner) => err = inner,
            None => return false,
        }
    }
}
