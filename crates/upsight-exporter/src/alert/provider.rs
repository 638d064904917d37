//! What each target kind sends for a notice: pure functions from (target, notice) to the HTTP
//! request (method, URL, headers, body), testable without I/O.

use std::fmt;
use std::time::SystemTime;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Url};
use serde_json::json;
use upsight_model::{Event, Severity};

use super::target::{Target, TargetKind};

/// One alert, in the words every provider shares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Device name (`upsight` for a test alert).
    pub device: String,
    /// Event kind name (`test` for a test alert).
    pub event: &'static str,
    /// Severity.
    pub severity: Severity,
    /// When it happened (the sample's time).
    pub at: SystemTime,
    /// Short line: `rack: on battery`.
    pub title: String,
    /// One human line: the title plus the event's detail, if any.
    pub message: String,
    /// The device's event sequence number (0 for a test alert).
    pub seq: u64,
}

impl Notice {
    /// The notice for a device event.
    pub fn from_event(event: &Event) -> Self {
        let title = format!(
            "{}: {}",
            event.device,
            event.kind.as_str().replace('_', " ")
        );
        let message = match event.detail.as_deref().map(one_line) {
            Some(detail) if !detail.is_empty() => format!("{title} ({detail})"),
            _ => title.clone(),
        };
        Self {
            device: event.device.to_string(),
            event: event.kind.as_str(),
            severity: event.severity(),
            at: event.at,
            title,
            message,
            seq: event.seq,
        }
    }

    /// The synthetic notice the admin test endpoint sends to `target`.
    pub fn test(target: &str, at: SystemTime) -> Self {
        let title = "upsight: test alert".to_owned();
        Self {
            device: "upsight".into(),
            event: "test",
            severity: Severity::Info,
            at,
            message: format!("{title} for target {target}"),
            title,
            seq: 0,
        }
    }

    /// `at` as RFC 3339 UTC, whole seconds.
    pub fn at_rfc3339(&self) -> String {
        humantime::format_rfc3339_seconds(self.at).to_string()
    }
}

/// Control characters (line breaks included) become spaces: every provider shows one line.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// An HTTP request to send. `Debug` hides the URL's path and query and marks secret headers
/// sensitive.
#[derive(Clone)]
pub struct Request {
    /// Always `POST` today.
    pub method: Method,
    /// Full URL.
    pub url: Url,
    /// Headers, secrets marked sensitive.
    pub headers: HeaderMap,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("host", &self.url.host_str())
            .field("headers", &self.headers)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// The request `target` sends for `notice`.
pub fn build_request(target: &Target, notice: &Notice) -> Request {
    let mut headers = HeaderMap::new();
    let body = match target.kind {
        TargetKind::Webhook => json_body(
            &mut headers,
            &json!({
                "device": notice.device,
                "event": notice.event,
                "severity": notice.severity.as_str(),
                "at": notice.at_rfc3339(),
                "message": notice.message,
                "seq": notice.seq,
            }),
        ),
        TargetKind::Ntfy => {
            headers.insert(CONTENT_TYPE, text("text/plain; charset=utf-8"));
            headers.insert(HeaderName::from_static("title"), text(&notice.title));
            let priority = target.priority.unwrap_or(match notice.severity {
                Severity::Info => 3,
                Severity::Warning => 4,
                Severity::Critical => 5,
            });
            headers.insert(
                HeaderName::from_static("priority"),
                text(&priority.to_string()),
            );
            let mut tags = target.tags.clone();
            tags.push(notice.event.to_owned());
            headers.insert(HeaderName::from_static("tags"), text(&tags.join(",")));
            notice.message.clone().into_bytes()
        }
        TargetKind::Gotify => json_body(
            &mut headers,
            &json!({
                "title": notice.title,
                "message": notice.message,
                "priority": target.priority.unwrap_or(match notice.severity {
                    Severity::Info => 2,
                    Severity::Warning => 5,
                    Severity::Critical => 8,
                }),
            }),
        ),
        TargetKind::Slack => json_body(&mut headers, &json!({ "text": notice.message })),
        TargetKind::Discord => json_body(&mut headers, &json!({ "content": notice.message })),
    };
    if let Some(token) = &target.token {
        let (name, value) = match target.kind {
            TargetKind::Gotify => (
                HeaderName::from_static("x-gotify-key"),
                token.expose().to_owned(),
            ),
            _ => (AUTHORIZATION, format!("Bearer {}", token.expose())),
        };
        let mut value = text(&value);
        value.set_sensitive(true);
        headers.insert(name, value);
    }
    Request {
        method: Method::POST,
        url: target.url.clone(),
        headers,
        body,
    }
}

fn json_body(headers: &mut HeaderMap, value: &serde_json::Value) -> Vec<u8> {
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    value.to_string().into_bytes()
}

/// A header value; anything outside visible ASCII and space becomes `?` (header values
/// cannot carry it, and a line break would split the header).
fn text(value: &str) -> HeaderValue {
    let clean: String = value
        .chars()
        .map(|c| {
            if c == ' ' || c.is_ascii_graphic() {
                c
            } else {
                '?'
            }
        })
        .collect();
    HeaderValue::from_str(&clean).unwrap_or(HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::time::Duration;

    use upsight_model::EventKind;

    use super::*;
    use crate::config::Secret;

    fn target(kind: TargetKind, url: &str, token: Option<&str>) -> Target {
        Target {
            name: "t".into(),
            kind,
            url: Url::parse(url).unwrap(),
            token: token.map(|t| Secret::new(t.into())),
            min_severity: Severity::Warning,
            events: BTreeSet::new(),
            cooldown: Duration::ZERO,
            has_recovery: true,
            priority: None,
            tags: Vec::new(),
            ca: None,
        }
    }

    fn event(kind: EventKind, detail: Option<&str>) -> Event {
        Event {
            device: "rack".parse().unwrap(),
            kind,
            at: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
            detail: detail.map(Into::into),
            seq: 7,
        }
    }

    fn header<'a>(r: &'a Request, name: &str) -> Option<&'a str> {
        r.headers.get(name).map(|v| v.to_str().unwrap())
    }

    fn json(r: &Request) -> serde_json::Value {
        serde_json::from_slice(&r.body).unwrap()
    }

    #[test]
    fn notice_words() {
        let n = Notice::from_event(&event(EventKind::OnBattery, None));
        assert_eq!(n.title, "rack: on battery");
        assert_eq!(n.message, "rack: on battery");
        assert_eq!(n.at_rfc3339(), "2023-11-14T22:13:20Z");
        let n = Notice::from_event(&event(EventKind::LowBattery, Some("OB\nLB\r")));
        assert_eq!(n.message, "rack: low battery (OB LB)");
        assert_eq!(n.severity, Severity::Critical);
        let t = Notice::test("ops", SystemTime::UNIX_EPOCH);
        assert_eq!((t.event, t.seq, t.device.as_str()), ("test", 0, "upsight"));
    }

    #[test]
    fn webhook_sends_our_json() {
        let t = target(TargetKind::Webhook, "https://h.example/hook?k=v", None);
        let r = build_request(&t, &Notice::from_event(&event(EventKind::OnBattery, None)));
        assert_eq!(r.method, Method::POST);
        assert_eq!(r.url.as_str(), "https://h.example/hook?k=v");
        assert_eq!(header(&r, "content-type"), Some("application/json"));
        assert_eq!(header(&r, "authorization"), None);
        assert_eq!(
            json(&r),
            json!({"device": "rack", "event": "on_battery", "severity": "warning",
                   "at": "2023-11-14T22:13:20Z", "message": "rack: on battery", "seq": 7})
        );
        let t = target(TargetKind::Webhook, "https://h.example/", Some("tok"));
        let r = build_request(&t, &Notice::from_event(&event(EventKind::OnLine, None)));
        assert_eq!(header(&r, "authorization"), Some("Bearer tok"));
        assert!(r.headers["authorization"].is_sensitive());
    }

    #[test]
    fn ntfy_sends_text_with_headers() {
        let mut t = target(TargetKind::Ntfy, "https://ntfy.example/ups", Some("tk_1"));
        let notice = Notice::from_event(&event(EventKind::LowBattery, Some("OB LB")));
        let r = build_request(&t, &notice);
        assert_eq!(r.body, b"rack: low battery (OB LB)");
        assert_eq!(header(&r, "title"), Some("rack: low battery"));
        assert_eq!(header(&r, "priority"), Some("5"));
        assert_eq!(header(&r, "tags"), Some("low_battery"));
        assert_eq!(header(&r, "authorization"), Some("Bearer tk_1"));
        assert!(format!("{r:?}").contains("Sensitive"));
        t.priority = Some(2);
        t.tags = vec!["warning".into(), "ups".into()];
        t.token = None;
        let r = build_request(&t, &notice);
        assert_eq!(header(&r, "priority"), Some("2"));
        assert_eq!(header(&r, "tags"), Some("warning,ups,low_battery"));
        assert_eq!(header(&r, "authorization"), None);
        let info = Notice::from_event(&event(EventKind::OnLine, None));
        t.priority = None;
        assert_eq!(header(&build_request(&t, &info), "priority"), Some("3"));
    }

    #[test]
    fn gotify_sends_json_with_key() {
        let mut t = target(
            TargetKind::Gotify,
            "https://g.example/message",
            Some("AppTok"),
        );
        let r = build_request(&t, &Notice::from_event(&event(EventKind::OnBattery, None)));
        assert_eq!(header(&r, "x-gotify-key"), Some("AppTok"));
        assert!(r.headers["x-gotify-key"].is_sensitive());
        assert_eq!(header(&r, "authorization"), None);
        assert_eq!(
            json(&r),
            json!({"title": "rack: on battery", "message": "rack: on battery", "priority": 5})
        );
        t.priority = Some(9);
        let r = build_request(&t, &Notice::from_event(&event(EventKind::OnLine, None)));
        assert_eq!(json(&r)["priority"], 9);
    }

    #[test]
    fn slack_and_discord_send_one_line() {
        let notice = Notice::from_event(&event(EventKind::Overload, None));
        let r = build_request(
            &target(TargetKind::Slack, "https://hooks.example/s/T/B/X", None),
            &notice,
        );
        assert_eq!(json(&r), json!({"text": "rack: overload"}));
        assert_eq!(header(&r, "content-type"), Some("application/json"));
        let r = build_request(
            &target(
                TargetKind::Discord,
                "https://d.example/api/webhooks/1/x",
                None,
            ),
            &notice,
        );
        assert_eq!(json(&r), json!({"content": "rack: overload"}));
        assert!(
            !format!("{r:?}").contains("webhooks"),
            "Debug shows no path"
        );
    }

    #[test]
    fn header_values_are_sanitized() {
        assert_eq!(text("a\r\nb é").to_str().unwrap(), "a??b ?");
    }
}
