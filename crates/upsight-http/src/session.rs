//! Browser sessions: a bounded in-memory store of random session ids, each remembering the
//! role it was opened with, and the `upsight_session` cookie that carries the id.
//!
//! Ids are 256 bits from the OS random source, hex-encoded. Sessions expire after an idle
//! timeout and after an absolute lifetime (design §9); logout removes them server-side. The
//! store holds at most `capacity` sessions; opening one more evicts the oldest. Lookups go
//! through a `HashMap` (SipHash with a random key); with 256-bit ids a timing side channel on
//! the lookup cannot narrow a guess usefully.

mod login;
mod redirect;
mod urlencoded;

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::http::header::COOKIE;
use axum::http::{HeaderMap, HeaderValue};
use tokio::time::Instant;

pub(crate) use self::login::{exchange_query_token, login, logout};
pub use self::redirect::{UnsafeRedirect, parse_next};

use crate::Role;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "upsight_session";

/// Length of a session id: 32 random bytes, hex-encoded.
const ID_HEX_LEN: usize = 64;

/// Session limits and cookie flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionConfig {
    /// Most sessions held at once; the oldest is evicted beyond it (at least 1).
    pub capacity: usize,
    /// A session unused for this long expires.
    pub idle_timeout: Duration,
    /// A session expires this long after login, however active.
    pub max_lifetime: Duration,
    /// Adds `Secure` to the cookie; set when served over TLS (directly or by a proxy).
    pub is_cookie_secure: bool,
}

impl Default for SessionConfig {
    /// 1024 sessions, 1 h idle, 12 h absolute, no `Secure` (plain HTTP by default).
    fn default() -> Self {
        Self {
            capacity: 1024,
            idle_timeout: Duration::from_secs(3600),
            max_lifetime: Duration::from_secs(12 * 3600),
            is_cookie_secure: false,
        }
    }
}

/// The OS random source failed; no session can be opened safely.
#[derive(Debug, Clone, thiserror::Error)]
#[error("no randomness for a session id: {0}")]
pub struct SessionError(String);

/// A session id. A bearer secret like a token: `Debug` prints `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionId(String);

impl SessionId {
    fn random() -> Result<Self, SessionError> {
        let mut bytes = [0u8; ID_HEX_LEN / 2];
        getrandom::fill(&mut bytes).map_err(|e| SessionError(e.to_string()))?;
        Ok(Self(bytes.iter().map(|b| format!("{b:02x}")).collect()))
    }

    /// The id as sent in the cookie.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[derive(Debug)]
struct Entry {
    role: Role,
    opened: Instant,
    last_seen: Instant,
}

#[derive(Debug, Default)]
struct Sessions {
    by_id: HashMap<String, Entry>,
    /// Ids in opening order; may hold ids already removed (compacted when it grows).
    order: VecDeque<String>,
}

/// The session store; cheap to clone (shared).
#[derive(Debug, Clone)]
pub struct SessionStore {
    config: SessionConfig,
    inner: Arc<Mutex<Sessions>>,
}

impl SessionStore {
    /// An empty store.
    pub fn new(config: SessionConfig) -> Self {
        let config = SessionConfig {
            capacity: config.capacity.max(1),
            ..config
        };
        Self {
            config,
            inner: Arc::default(),
        }
    }

    /// The effective configuration.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// Opens a session for `role`, evicting the oldest one if the store is full.
    pub fn open(&self, role: Role, now: Instant) -> Result<SessionId, SessionError> {
        let id = SessionId::random()?;
        let mut s = self.lock();
        while s.by_id.len() >= self.config.capacity {
            let Some(oldest) = s.order.pop_front() else {
                break;
            };
            s.by_id.remove(&oldest);
        }
        if s.order.len() > 2 * self.config.capacity {
            let Sessions { by_id, order } = &mut *s;
            order.retain(|id| by_id.contains_key(id));
        }
        let entry = Entry {
            role,
            opened: now,
            last_seen: now,
        };
        s.by_id.insert(id.0.clone(), entry);
        s.order.push_back(id.0.clone());
        Ok(id)
    }

    /// The role of a live session, refreshing its idle timer; expired sessions are removed.
    pub fn role_of(&self, id: &str, now: Instant) -> Option<Role> {
        let mut s = self.lock();
        let entry = s.by_id.get_mut(id)?;
        let is_expired = now.saturating_duration_since(entry.last_seen) >= self.config.idle_timeout
            || now.saturating_duration_since(entry.opened) >= self.config.max_lifetime;
        if is_expired {
            s.by_id.remove(id);
            return None;
        }
        entry.last_seen = now;
        Some(entry.role)
    }

    /// Ends a session; `true` if it existed.
    pub fn revoke(&self, id: &str) -> bool {
        self.lock().by_id.remove(id).is_some()
    }

    /// Number of sessions held (live or not yet noticed as expired).
    pub fn len(&self) -> usize {
        self.lock().by_id.len()
    }

    /// Whether no session is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Sessions> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// `Set-Cookie` value opening a session.
pub fn render_cookie(id: &SessionId, is_secure: bool) -> HeaderValue {
    let secure = if is_secure { "; Secure" } else { "" };
    let value = format!(
        "{SESSION_COOKIE}={}; HttpOnly; SameSite=Strict; Path=/{secure}",
        id.as_str()
    );
    HeaderValue::from_str(&value).expect("hex id and fixed attributes are valid header text")
}

/// `Set-Cookie` value deleting the session cookie.
pub fn render_clear_cookie(is_secure: bool) -> HeaderValue {
    let secure = if is_secure { "; Secure" } else { "" };
    let value = format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0{secure}");
    HeaderValue::from_str(&value).expect("fixed attributes are valid header text")
}

/// The session id from the `Cookie` headers, if one is present and well-formed.
pub fn parse_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, id)| id)
        .filter(|id| id.len() == ID_HEX_LEN && id.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(capacity: usize) -> SessionStore {
        SessionStore::new(SessionConfig {
            capacity,
            idle_timeout: Duration::from_secs(60),
            max_lifetime: Duration::from_secs(600),
            is_cookie_secure: false,
        })
    }

    #[test]
    fn ids_are_256_bit_hex_and_distinct() {
        let a = SessionId::random().unwrap();
        let b = SessionId::random().unwrap();
        assert_eq!(a.as_str().len(), 64);
        assert!(a.as_str().bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
        assert_eq!(format!("{a:?}"), "<redacted>");
    }

    #[test]
    fn sessions_remember_the_role_and_expire() {
        let store = store(8);
        let t0 = Instant::now();
        let admin = store.open(Role::Admin, t0).unwrap();
        assert_eq!(store.role_of(admin.as_str(), t0), Some(Role::Admin));
        let idle = t0 + Duration::from_secs(59);
        assert_eq!(store.role_of(admin.as_str(), idle), Some(Role::Admin));
        let after_idle = idle + Duration::from_secs(60);
        assert_eq!(store.role_of(admin.as_str(), after_idle), None);
        assert!(store.is_empty(), "expired sessions are removed");

        let viewer = store.open(Role::Viewer, t0).unwrap();
        for minute in 1..10 {
            let t = t0 + Duration::from_secs(minute * 59);
            assert_eq!(store.role_of(viewer.as_str(), t), Some(Role::Viewer));
        }
        let past_lifetime = t0 + Duration::from_secs(600);
        assert_eq!(
            store.role_of(viewer.as_str(), past_lifetime),
            None,
            "absolute expiry"
        );
    }

    #[test]
    fn the_store_is_bounded_and_evicts_the_oldest() {
        let store = store(3);
        let t0 = Instant::now();
        let ids: Vec<_> = (0..5)
            .map(|_| store.open(Role::Viewer, t0).unwrap())
            .collect();
        assert_eq!(store.len(), 3);
        assert_eq!(store.role_of(ids[0].as_str(), t0), None);
        assert_eq!(store.role_of(ids[1].as_str(), t0), None);
        assert_eq!(store.role_of(ids[4].as_str(), t0), Some(Role::Viewer));
        for _ in 0..100 {
            let id = store.open(Role::Viewer, t0).unwrap();
            assert!(store.revoke(id.as_str()));
        }
        assert!(
            store.lock().order.len() <= 2 * 3 + 1,
            "order queue is compacted"
        );
    }

    #[test]
    fn cookies_render_and_parse() {
        let id = SessionId("ab".repeat(32));
        let cookie = render_cookie(&id, true);
        assert_eq!(
            cookie,
            format!(
                "upsight_session={}; HttpOnly; SameSite=Strict; Path=/; Secure",
                id.0
            )
        );
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, HeaderValue::from_static("theme=dark"));
        let sent = format!("a=1; upsight_session={}", id.0);
        headers.append(COOKIE, HeaderValue::from_str(&sent).unwrap());
        assert_eq!(parse_cookie(&headers), Some(id.as_str()));
        let mut bad = HeaderMap::new();
        bad.insert(COOKIE, HeaderValue::from_static("upsight_session=xyz"));
        assert_eq!(parse_cookie(&bad), None);
        assert!(
            render_clear_cookie(false)
                .to_str()
                .unwrap()
                .contains("Max-Age=0")
        );
    }
}
