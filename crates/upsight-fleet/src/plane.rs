//! `Plane`: what every handler shares (the registry under its lock, the lease key, the ingest
//! tokens), with the reads the API and the UI make.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use tokio::sync::Notify;
use upsight_http::{ApiError, TokenSet};
use upsight_model::{GroupName, MemberId};

use crate::{FleetState, FleetView, GroupDetail, LeaseKey, MemberView, Registry};

/// Shared by every handler.
#[derive(Debug)]
pub(crate) struct Plane {
    pub(crate) registry: Mutex<Registry>,
    pub(crate) key: LeaseKey,
    pub(crate) ingest: Option<TokenSet>,
    pub(crate) changed: Notify,
    pub(crate) is_ready: AtomicBool,
}

impl Plane {
    pub(crate) fn registry(&self) -> MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn snapshot(&self) -> FleetState {
        FleetState::of(&self.registry(), &self.key)
    }

    /// 401 unless the request carries an ingest token (open when none is configured).
    pub(crate) fn check_ingest(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        let Some(tokens) = &self.ingest else {
            return Ok(());
        };
        let presented = headers
            .get(AUTHORIZATION)
            .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "));
        match presented {
            Some(token) if tokens.matches(token) => Ok(()),
            _ => Err(ApiError::Unauthorized),
        }
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
