//! A minimal HTTP/1.1 GET for loopback tests and a parser for the text exposition, so tests can
//! assert on series (`name{labels} value`).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Status, headers (lower-cased names) and body of a response.
#[derive(Debug)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// Body text.
    pub body: String,
}

impl Response {
    /// First header value by (lower-case) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// GETs `path` from `addr` (loopback) with a 10 s deadline.
pub async fn get(addr: SocketAddr, path: &str) -> anyhow::Result<Response> {
    assert!(addr.ip().is_loopback(), "tests only talk to loopback");
    let work = async {
        #[allow(clippy::disallowed_methods)] // wrapped in a timeout below
        let mut stream = tokio::net::TcpStream::connect(addr).await?;
        let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await?;
        parse_response(&raw)
    };
    tokio::time::timeout(Duration::from_secs(10), work).await?
}

/// How a test request carries its body.
#[derive(Debug, Clone, Copy)]
pub enum Body<'a> {
    /// No body.
    Empty,
    /// With `Content-Length`.
    Sized(&'a [u8]),
    /// `Transfer-Encoding: chunked`, in chunks of 64 KiB, no length announced.
    Chunked(&'a [u8]),
}

/// Sends one request to `addr` (loopback) and reads the response, 10 s deadline. `headers` are
/// sent as given. A server that answers before the whole body is read (413) is fine: write
/// errors after the head are ignored and the response is read.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Body<'_>,
) -> anyhow::Result<Response> {
    assert!(addr.ip().is_loopback(), "tests only talk to loopback");
    let work = async {
        #[allow(clippy::disallowed_methods)] // wrapped in a timeout below
        let mut stream = tokio::net::TcpStream::connect(addr).await?;
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        match body {
            Body::Empty => head.push_str("Content-Length: 0\r\n"),
            Body::Sized(b) => head.push_str(&format!("Content-Length: {}\r\n", b.len())),
            Body::Chunked(_) => head.push_str("Transfer-Encoding: chunked\r\n"),
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).await?;
        let _ = match body {
            Body::Empty => Ok(()),
            Body::Sized(b) => stream.write_all(b).await,
            Body::Chunked(b) => write_chunks(&mut stream, b).await,
        };
        let mut raw = Vec::new();
        let _ = stream.read_to_end(&mut raw).await;
        parse_response(&raw)
    };
    tokio::time::timeout(Duration::from_secs(10), work).await?
}

async fn write_chunks(stream: &mut tokio::net::TcpStream, body: &[u8]) -> std::io::Result<()> {
    for chunk in body.chunks(64 * 1024) {
        stream
            .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
            .await?;
        stream.write_all(chunk).await?;
        stream.write_all(b"\r\n").await?;
    }
    stream.write_all(b"0\r\n\r\n").await
}

fn parse_response(raw: &[u8]) -> anyhow::Result<Response> {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| anyhow::anyhow!("no header end"))?;
    let mut lines = head.lines();
    let status_line = lines.next().unwrap_or_default();
    let status = status_line.split(' ').nth(1).unwrap_or_default().parse()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_owned()
    };
    Ok(Response {
        status,
        headers,
        body,
    })
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// Samples of an exposition: `name{sorted labels}` → value.
#[derive(Debug, Default, Clone)]
pub struct Samples(pub BTreeMap<String, f64>);

impl Samples {
    /// Parses the sample lines of a text exposition (comments skipped).
    pub fn parse(text: &str) -> Self {
        let mut map = BTreeMap::new();
        for line in text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            let Some((series, value)) = line.rsplit_once(' ') else {
                continue;
            };
            let Ok(value) = value.parse::<f64>() else {
                continue;
            };
            map.insert(normalise(series), value);
        }
        Self(map)
    }

    /// The value of `name` with exactly `labels` (order-insensitive).
    pub fn get(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        self.0.get(&key(name, labels)).copied()
    }

    /// Every series of a metric name.
    pub fn series(&self, name: &str) -> Vec<(&str, f64)> {
        self.0
            .iter()
            .filter(|(k, _)| k.split('{').next() == Some(name))
            .map(|(k, v)| (k.as_str(), *v))
            .collect()
    }
}

/// Canonical series key: `name{a="1",b="2"}` with labels sorted.
pub fn key(name: &str, labels: &[(&str, &str)]) -> String {
    let mut labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    labels.sort();
    if labels.is_empty() {
        name.to_owned()
    } else {
        format!("{name}{{{}}}", labels.join(","))
    }
}

fn normalise(series: &str) -> String {
    let Some((name, rest)) = series.split_once('{') else {
        return series.to_owned();
    };
    let inner = rest.trim_end_matches('}');
    let mut labels: Vec<&str> = split_labels(inner);
    labels.sort_unstable();
    if labels.is_empty() {
        name.to_owned()
    } else {
        format!("{name}{{{}}}", labels.join(","))
    }
}

/// Splits `a="x",b="y,z"` on commas outside quotes.
fn split_labels(inner: &str) -> Vec<&str> {
    let (mut out, mut start, mut quoted, mut escaped) = (Vec::new(), 0, false, false);
    for (i, c) in inner.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => {
                out.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < inner.len() {
        out.push(&inner[start..]);
    }
    out
}

/// One scrape of `addr`'s `/metrics`, parsed; an error unless it answers 200.
pub async fn metrics(addr: SocketAddr) -> anyhow::Result<Samples> {
    let response = get(addr, "/metrics").await?;
    anyhow::ensure!(
        response.status == 200,
        "scrape answered {}",
        response.status
    );
    Ok(Samples::parse(&response.body))
}

/// Scrapes `addr` every 100 ms until `check` holds, for at most `limit`; the last scrape. The
/// timeout error names `what` and ends with `context()` (e.g. the process's stderr).
pub async fn wait_for_metrics(
    addr: SocketAddr,
    limit: Duration,
    what: &str,
    check: impl Fn(&Samples) -> bool,
    context: impl Fn() -> String,
) -> anyhow::Result<Samples> {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let samples = metrics(addr).await?;
        if check(&samples) {
            return Ok(samples);
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "timed out after {limit:?} waiting for {what}{}",
            context()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
