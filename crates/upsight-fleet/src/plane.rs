//! `Plane`: what every handler shares (the registry under its lock, the lease key, the ingest
//! tokens), with the reads the API and the UI make.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use std::hash::RandomState;

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};
use tokio::sync::Notify;

use upsight_http::{KeyedLimiter, RateLimitConfig, SecurityCounters, TokenSet};
use upsight_model::{GroupName, MemberId};

use crate::ingest::MemberLimiter;
use crate::metrics::PlaneMetrics;
use crate::{FleetState, FleetView, GroupDetail, LeaseKey, MemberView, Registry};

/// Shared by every handler.
#[derive(Debug)]
pub(crate) struct Plane {
    pub(crate) registry: Mutex<Registry>,
    pub(crate) key: LeaseKey,
    pub(crate) ingest: Option<TokenSet>,
    pub(crate) changed: Notify,
    pub(crate) is_ready: AtomicBool,
    /// A heartbeat was accepted since the last save (saved every `SEEN_SAVE_PERIOD`).
    pub(crate) seen: AtomicBool,
    /// Counters for `/metrics`.
    pub(crate) metrics: PlaneMetrics,
    /// Whether the state is saved to a file (the save metrics are shown).
    pub(crate) is_persistent: bool,
    /// Per client IP, charged only by refused ingest tokens.
    pub(crate) ingest_failures: KeyedLimiter<IpAddr>,
    /// The hardening stack's security counters (set once the router is built).
    pub(crate) security: OnceLock<Arc<SecurityCounters>>,
    /// Seeds the per-member limiter keys.
    pub(crate) limit_hasher: RandomState,
    /// Per member on heartbeats.
    pub(crate) heartbeat_limit: MemberLimiter,
}

impl Plane {
    /// A plane serving `registry`, not ready yet.
    pub(crate) fn new(
        registry: Registry,
        key: LeaseKey,
        ingest: Option<TokenSet>,
        heartbeat_limit: RateLimitConfig,
        ingest_failures: RateLimitConfig,
        is_persistent: bool,
    ) -> Self {
        Self {
            registry: Mutex::new(registry),
            key,
            ingest,
            changed: Notify::new(),
            is_ready: AtomicBool::new(false),
            seen: AtomicBool::new(false),
            metrics: PlaneMetrics::default(),
            is_persistent,
            limit_hasher: RandomState::new(),
            heartbeat_limit: MemberLimiter::new(heartbeat_limit),
            ingest_failures: KeyedLimiter::new(ingest_failures),
            security: OnceLock::new(),
        }
    }

    /// The security counters (a fresh, unexported set before the router is built).
    pub(crate) fn security(&self) -> Arc<SecurityCounters> {
        Arc::clone(self.security.get_or_init(Arc::default))
    }

    pub(crate) fn registry(&self) -> MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn snapshot(&self) -> FleetState {
        FleetState::of(&self.registry(), &self.key)
    }

    /// Whether the state has loaded (`/readyz`).
    pub(crate) fn is_ready(&self) -> bool {
        self.is_ready.load(Ordering::Acquire)
    }

    /// The whole fleet now.
    pub(crate) fn fleet(&self) -> FleetView {
        self.registry().fleet(SystemTime::now())
    }

    /// One group with its members now, if it has any.
    pub(crate) fn group(&self, group: &GroupName) -> Option<GroupDetail> {
        self.registry().group(group, SystemTime::now())
    }

    /// One member in detail now, if registered.
    pub(crate) fn member(&self, group: &GroupName, identity: &MemberId) -> Option<MemberView> {
        self.registry().member(group, identity, SystemTime::now())
    }
}
