//! `upsight healthcheck`: one `GET /healthz` over plain HTTP with a deadline, so a container's
//! `HEALTHCHECK` or a probe needs neither curl nor a shell. Exit 0 on 200, 1 otherwise (what
//! Docker expects), with the reason on stderr.

use std::io::Write as _;
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// The largest answer read (a `/healthz` answer is a few bytes).
const MAX_ANSWER: u64 = 64 * 1024;

/// Checks `url` within `timeout`; the exit code.
pub(crate) async fn run(url: &str, timeout: Duration) -> u8 {
    match tokio::time::timeout(timeout, check(url)).await {
        Ok(Ok(())) => 0,
        Ok(Err(reason)) => unhealthy(url, &reason),
        Err(_) => unhealthy(url, &format!("no answer within {timeout:?}")),
    }
}

fn unhealthy(url: &str, reason: &str) -> u8 {
    let _ = writeln!(std::io::stderr(), "unhealthy: {url}: {reason}");
    1
}

/// `host:port` and path of an `http://` URL; a base URL gets `/healthz`.
fn target(url: &str) -> Result<(String, String), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or("only http:// URLs are supported (the check runs next to the server)")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if authority.is_empty() || authority.contains('@') {
        return Err("the URL needs a host and no credentials".into());
    }
    let authority = if authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        && !authority.ends_with(']')
    {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    let path = if path == "/" { "/healthz" } else { path };
    Ok((authority, path.to_owned()))
}

async fn check(url: &str) -> Result<(), String> {
    let (authority, path) = target(url)?;
    #[allow(clippy::disallowed_methods)] // bounded by the caller's timeout
    let mut stream = tokio::net::TcpStream::connect(&authority)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: upsight-healthcheck\r\nConnection: close\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| format!("send: {e}"))?;
    let mut answer = Vec::new();
    stream
        .take(MAX_ANSWER)
        .read_to_end(&mut answer)
        .await
        .map_err(|e| format!("read: {e}"))?;
    let status_line = answer.split(|b| *b == b'\n').next().unwrap_or_default();
    let status = String::from_utf8_lossy(status_line);
    match status.split_whitespace().nth(1) {
        Some("200") => Ok(()),
        Some(code) => Err(format!("answered HTTP {code}")),
        None => Err("not an HTTP answer".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_become_an_authority_and_a_path() {
        let t = |u: &str| target(u).unwrap();
        assert_eq!(
            t("http://127.0.0.1:9955"),
            ("127.0.0.1:9955".into(), "/healthz".into())
        );
        assert_eq!(
            t("http://127.0.0.1:9956/"),
            ("127.0.0.1:9956".into(), "/healthz".into())
        );
        assert_eq!(
            t("http://localhost/readyz"),
            ("localhost:80".into(), "/readyz".into())
        );
        assert_eq!(
            t("http://[::1]:9955/healthz"),
            ("[::1]:9955".into(), "/healthz".into())
        );
        assert!(target("https://x:1").unwrap_err().contains("http://"));
        assert!(target("http://u:p@x:1").is_err());
        assert!(target("http://").is_err());
    }
}
