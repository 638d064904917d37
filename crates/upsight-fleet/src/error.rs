//! The registry's refusals, each with the HTTP status the plane answers.

use upsight_model::{GroupName, MemberId};

use crate::RandomError;

/// Why a registration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegisterError {
    /// The identity is known and the request does not prove it: a wrong lease, or no lease
    /// while the member is still up or stale (409). `is_conflict` says the request came from
    /// another address than the member's within one TTL (a duplicate identity).
    #[error("member {identity} in group {group}: lease does not match")]
    LeaseMismatch {
        /// The member's group.
        group: GroupName,
        /// The member's identity.
        identity: MemberId,
        /// Whether this counted as an identity conflict.
        is_conflict: bool,
    },
    /// The registry holds `max_members` members already (403).
    #[error("registry full: {max} members")]
    Full {
        /// The configured cap.
        max: usize,
    },
    /// The group has handed out every member number there is (403).
    #[error("group {group}: no member numbers left")]
    NumbersExhausted {
        /// The group.
        group: GroupName,
    },
    /// No lease could be generated (500).
    #[error(transparent)]
    Random(#[from] RandomError),
}

/// Why a heartbeat was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeartbeatError {
    /// No member with this identity in this group (404): the exporter registers again. A
    /// heartbeat naming another group than the member registered in lands here too, so
    /// the exporter re-registers into the group it now reports.
    #[error("member {identity} in group {group}: unknown")]
    UnknownMember {
        /// The group the heartbeat named.
        group: GroupName,
        /// The identity the heartbeat named.
        identity: MemberId,
    },
    /// The lease is not the member's current one (409). `is_conflict` as in
    /// [`RegisterError::LeaseMismatch`].
    #[error("member {identity} in group {group}: lease does not match")]
    LeaseMismatch {
        /// The member's group.
        group: GroupName,
        /// The member's identity.
        identity: MemberId,
        /// Whether this counted as an identity conflict.
        is_conflict: bool,
    },
}

impl RegisterError {
    /// The HTTP status the plane answers with.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::LeaseMismatch { .. } => 409,
            Self::Full { .. } | Self::NumbersExhausted { .. } => 403,
            Self::Random(_) => 500,
        }
    }
}

impl HeartbeatError {
    /// The HTTP status the plane answers with.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::UnknownMember { .. } => 404,
            Self::LeaseMismatch { .. } => 409,
        }
    }
}
