//! A minimal WebDriver client for driving real headless Chromium through chromedriver on
//! loopback: start chromedriver on a free port, open a session with a fresh profile, navigate,
//! find elements by CSS selector, read text, click, type, run a script, take a screenshot and
//! read the browser console log. Just the W3C endpoints the dashboard test needs, plus
//! chromedriver's `POST /session/{id}/se/log` for the console. The HTTP exchange is its own
//! (read by `Content-Length`) rather than `scrape::request`.
//!
//! Chromium runs with networking outside loopback disabled (`--host-resolver-rules` maps every
//! other name to nothing) and without background services. Dropping the [`Driver`] asks
//! chromedriver to shut down (which quits every browser it started) and then kills it.

use std::future::Future;
use std::io::{Read as _, Write as _};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use serde_json::{Value, json};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// Where Debian's `chromium` package puts the browser.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// Where Debian's `chromium-driver` package puts chromedriver.
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The W3C key of an element reference in JSON.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A running chromedriver; shut down and killed on drop.
#[derive(Debug)]
pub struct Driver {
    addr: SocketAddr,
    child: Child,
    dir: tempfile::TempDir,
}

impl Driver {
    /// Starts `chromedriver` on a free loopback port and waits (≤ 10 s) until it is ready.
    pub async fn start(chromedriver: &Path) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let port = crate::free_port();
        let child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .arg(format!(
                "--log-path={}",
                dir.path().join("chromedriver.log").display()
            ))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", chromedriver.display()))?;
        let driver = Self {
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            child,
            dir,
        };
        wait_until(Duration::from_secs(10), "chromedriver ready", || async {
            let status = command(driver.addr, "GET", "/status", None).await;
            Ok(status
                .ok()
                .and_then(|v| v["ready"].as_bool().filter(|r| *r)))
        })
        .await?;
        Ok(driver)
    }

    /// chromedriver's own log (for a failure message).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("chromedriver.log")).unwrap_or_default()
    }

    /// Opens a session of headless `chromium` (window 1280×900, console log at level ALL).
    pub async fn session(&self, chromium: &Path) -> anyhow::Result<Session> {
        let profile = tempfile::tempdir()?;
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            "--window-size=1280,900",
        ]
        .map(str::to_owned)
        .into_iter()
        .chain([format!("--user-data-dir={}", profile.path().display())])
        .collect::<Vec<_>>();
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium, "args": args },
            "goog:loggingPrefs": { "browser": "ALL" },
        }}});
        let value = command(self.addr, "POST", "/session", Some(&capabilities)).await?;
        let id = value["sessionId"]
            .as_str()
            .ok_or_else(|| anyhow!("no sessionId in {value}"))?
            .to_owned();
        Ok(Session {
            addr: self.addr,
            id,
            _profile: profile,
        })
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // `/shutdown` quits the browsers of every session first; then make sure.
        let _ = shutdown(self.addr);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A blocking `GET /shutdown` (drop cannot await), bounded by short timeouts.
fn shutdown(addr: SocketAddr) -> std::io::Result<()> {
    let limit = Duration::from_secs(2);
    let mut stream = std::net::TcpStream::connect_timeout(&addr, limit)?;
    stream.set_read_timeout(Some(limit))?;
    stream.write_all(
        format!("GET /shutdown HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )?;
    let mut sink = Vec::new();
    let _ = stream.read_to_end(&mut sink);
    Ok(())
}

/// Sends one WebDriver command and returns its `value`, or the WebDriver error as an error.
async fn command(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> anyhow::Result<Value> {
    let text = body.map(Value::to_string).unwrap_or_default();
    let (status, response) = exchange(addr, method, path, &text).await?;
    let mut parsed: Value = serde_json::from_str(&response)
        .with_context(|| format!("{method} {path}: not JSON: {response}"))?;
    if status != 200 {
        let error = &parsed["value"];
        bail!(
            "{method} {path}: {status} {}: {}",
            error["error"],
            error["message"]
        );
    }
    Ok(parsed["value"].take())
}

/// One HTTP/1.1 exchange with chromedriver, 30 s deadline. The body is read by its
/// `Content-Length`: chromedriver 156 answers `Connection: close` but keeps the socket open, so
/// reading to EOF (as `scrape::request` does) would wait for the deadline.
async fn exchange(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: &str,
) -> anyhow::Result<(u16, String)> {
    assert!(addr.ip().is_loopback(), "tests only talk to loopback");
    let work = async {
        #[allow(clippy::disallowed_methods)] // wrapped in a timeout below
        let mut stream = tokio::net::TcpStream::connect(addr).await?;
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(body.as_bytes()).await?;
        let mut raw = Vec::new();
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            if let Some(end) = find_head_end(&raw) {
                let head = String::from_utf8_lossy(&raw[..end]).to_string();
                let length = content_length(&head)?;
                if raw.len() >= end + 4 + length {
                    let status = head.split(' ').nth(1).unwrap_or_default().parse()?;
                    let body = String::from_utf8_lossy(&raw[end + 4..end + 4 + length]);
                    return Ok((status, body.into_owned()));
                }
            }
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                bail!("{method} {path}: connection closed mid-response");
            }
            raw.extend_from_slice(&chunk[..n]);
        }
    };
    tokio::time::timeout(Duration::from_secs(30), work)
        .await
        .with_context(|| format!("{method} {path}: no answer in 30 s"))?
}

fn find_head_end(raw: &[u8]) -> Option<usize> {
    raw.windows(4).position(|w| w == b"\r\n\r\n")
}

fn content_length(head: &str) -> anyhow::Result<usize> {
    let value = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .map(|(_, v)| v.trim())
        .ok_or_else(|| anyhow!("no Content-Length in {head:?}"))?;
    Ok(value.parse()?)
}

/// A found element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element(String);

/// One browser console entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// `SEVERE`, `WARNING`, `INFO`, `DEBUG`.
    pub level: String,
    /// The message (for a CSP violation, the refused resource and the directive).
    pub message: String,
}

/// A browser session; call [`Session::quit`] at the end (the driver's drop is the fallback).
#[derive(Debug)]
pub struct Session {
    addr: SocketAddr,
    id: String,
    _profile: tempfile::TempDir,
}

impl Session {
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        let path = format!("/session/{}{path}", self.id);
        command(self.addr, method, &path, body.as_ref()).await
    }

    /// Navigates to `url` and waits for the page to load.
    pub async fn goto(&self, url: &str) -> anyhow::Result<()> {
        self.call("POST", "/url", Some(json!({ "url": url })))
            .await
            .map(drop)
    }

    /// The current URL.
    pub async fn url(&self) -> anyhow::Result<String> {
        let value = self.call("GET", "/url", None).await?;
        value
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("url: {value}"))
    }

    /// Every element matching the CSS `selector` (possibly none).
    pub async fn find_all(&self, selector: &str) -> anyhow::Result<Vec<Element>> {
        let body = json!({ "using": "css selector", "value": selector });
        let value = self.call("POST", "/elements", Some(body)).await?;
        let list = value
            .as_array()
            .ok_or_else(|| anyhow!("elements: {value}"))?;
        list.iter()
            .map(|e| {
                e[ELEMENT_KEY]
                    .as_str()
                    .map(|id| Element(id.to_owned()))
                    .ok_or_else(|| anyhow!("element: {e}"))
            })
            .collect()
    }

    /// The first element matching `selector`, or an error naming it.
    pub async fn find(&self, selector: &str) -> anyhow::Result<Element> {
        let all = self.find_all(selector).await?;
        all.into_iter()
            .next()
            .ok_or_else(|| anyhow!("no element matches {selector:?}"))
    }

    /// The rendered text of `element`.
    pub async fn text(&self, element: &Element) -> anyhow::Result<String> {
        let value = self
            .call("GET", &format!("/element/{}/text", element.0), None)
            .await?;
        Ok(value.as_str().unwrap_or_default().to_owned())
    }

    /// Clicks `element`.
    pub async fn click(&self, element: &Element) -> anyhow::Result<()> {
        let path = format!("/element/{}/click", element.0);
        self.call("POST", &path, Some(json!({}))).await.map(drop)
    }

    /// Types `text` into `element`.
    pub async fn type_text(&self, element: &Element, text: &str) -> anyhow::Result<()> {
        let path = format!("/element/{}/value", element.0);
        self.call("POST", &path, Some(json!({ "text": text })))
            .await
            .map(drop)
    }

    /// Runs `script` (a function body; `return` gives the value) in the page.
    pub async fn execute(&self, script: &str) -> anyhow::Result<Value> {
        let body = json!({ "script": script, "args": [] });
        self.call("POST", "/execute/sync", Some(body)).await
    }

    /// Scrolls `element` to the top of the viewport.
    pub async fn scroll_into_view(&self, element: &Element) -> anyhow::Result<()> {
        let body = json!({
            "script": "arguments[0].scrollIntoView({block: 'start'}); return true;",
            "args": [{ ELEMENT_KEY: element.0 }],
        });
        self.call("POST", "/execute/sync", Some(body))
            .await
            .map(drop)
    }

    /// A PNG screenshot of the viewport.
    pub async fn screenshot(&self) -> anyhow::Result<Vec<u8>> {
        let value = self.call("GET", "/screenshot", None).await?;
        let encoded = value
            .as_str()
            .ok_or_else(|| anyhow!("screenshot: {value}"))?;
        decode_base64(encoded)
    }

    /// Browser console entries since the previous call.
    pub async fn browser_log(&self) -> anyhow::Result<Vec<LogEntry>> {
        let value = self
            .call("POST", "/se/log", Some(json!({ "type": "browser" })))
            .await?;
        let list = value.as_array().cloned().unwrap_or_default();
        Ok(list
            .iter()
            .map(|e| LogEntry {
                level: e["level"].as_str().unwrap_or_default().to_owned(),
                message: e["message"].as_str().unwrap_or_default().to_owned(),
            })
            .collect())
    }

    /// Ends the session (the browser quits).
    pub async fn quit(self) -> anyhow::Result<()> {
        command(self.addr, "DELETE", &format!("/session/{}", self.id), None)
            .await
            .map(drop)
    }
}

/// Calls `probe` every 100 ms until it returns `Some`, for at most `limit`.
pub async fn wait_until<T, F, Fut>(limit: Duration, what: &str, mut probe: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<Option<T>>>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if let Some(found) = probe().await? {
            return Ok(found);
        }
        if tokio::time::Instant::now() >= deadline {
            bail!("timed out after {limit:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Standard base64 (RFC 4648 §4, padding optional, whitespace ignored).
pub fn decode_base64(text: &str) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
    {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => bail!("invalid base64 byte {c:#04x}"),
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_known_vectors() {
        for (text, bytes) in [
            ("", &b""[..]),
            ("Zg==", b"f"),
            ("Zm8=", b"fo"),
            ("Zm9v", b"foo"),
            ("Zm9vYmFy", b"foobar"),
            ("iVBORw0KGgo=", b"\x89PNG\r\n\x1a\n"),
        ] {
            assert_eq!(decode_base64(text).unwrap(), bytes, "{text}");
        }
        assert!(decode_base64("a*b").is_err());
    }
}
