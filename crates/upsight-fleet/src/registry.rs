//! `Registry`: the fleet's members by `(group, identity)`, their numbers, leases, latest
//! summaries and health. Pure: no I/O, no clock (every call takes `now`).
//!
//! # Rules
//!
//! - **Numbers.** Per group, from 1, handed to new identities in order; stable for an identity
//!   for as long as it is registered; never reused, because the group's counter only grows and
//!   outlives removals (a removed identity that comes back is new and gets a new number).
//! - **Leases.** Every successful registration returns a fresh 256-bit lease and replaces the
//!   stored digest (rotation). A known identity must prove itself with its current lease; one
//!   that presents *no* lease may reclaim its number only once the member is down (its last
//!   sign of life is older than the TTL): this is "reclaim on reconnect" for an exporter that
//!   lost its state file, without letting anyone take over a live member. A *wrong* lease is
//!   always refused (409); an exporter refused that way may drop its lease and register again,
//!   which succeeds once the member it collides with has been down for a TTL.
//! - **Groups.** The group is part of the key: a heartbeat naming another group than the
//!   member registered in is an unknown member (404), and the exporter re-registers there
//!   (new number in the new group; the old entry goes down and can be pruned).
//! - **Conflicts.** A request for a known identity from another address than the one that last
//!   proved its lease, within one TTL of that proof, counts one identity conflict, whether it
//!   succeeds (two exporters sharing identity and lease) or is refused (a second exporter
//!   without the lease). A member whose address changes counts one too.

mod peer;
mod read;

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use upsight_model::{GroupName, HeartbeatV1, MemberId, RegisterRequestV1, RegisterResponseV1};

use crate::lease::generate_lease;
use crate::state::{GroupRecord, MemberRecord};
use crate::{ConfigError, HeartbeatError, LeaseKey, MemberHealth, RegisterError, RegistryConfig};
pub(crate) use peer::LastPeer;
use peer::PeerLog;

/// The fleet registry. See the module docs for the rules; persist it with
/// [`FleetState`](crate::FleetState).
///
/// ```
/// use std::net::{IpAddr, Ipv4Addr};
/// use std::time::{Duration, SystemTime};
/// use upsight_fleet::{LeaseKey, Registry, RegistryConfig};
/// use upsight_model::RegisterRequestV1;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let key = LeaseKey::generate()?;
/// let mut registry = Registry::try_new(RegistryConfig::default())?;
/// let request: RegisterRequestV1 = serde_json::from_str(
///     r#"{"version":1,"identity":"a","group":"site-a","software_version":"0.1.0",
///         "scrape_target":null,"lease":null}"#,
/// )?;
/// let peer = IpAddr::V4(Ipv4Addr::LOCALHOST);
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600);
/// let first = registry.register(&request, peer, now, &key)?;
/// assert_eq!((first.response.member_number, first.is_new), (1, true));
/// # Ok(())
/// # }
/// ```
pub struct Registry {
    config: RegistryConfig,
    /// `config.heartbeat_interval` and `config.ttl` in wire seconds (validated).
    wire: (u32, u32),
    groups: BTreeMap<GroupName, GroupRecord>,
    members: usize,
    peers: PeerLog,
}

/// A successful registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// The answer for the exporter (carries the new lease in clear: send it, never log it).
    pub response: RegisterResponseV1,
    /// Whether the identity was new (it got a new number).
    pub is_new: bool,
    /// Whether the request counted as an identity conflict (log it).
    pub is_conflict: bool,
    /// The `scrape_target` the request gave and the registry did not keep because
    /// [`RegistryConfig::is_listed_target`] refused it (log it).
    pub dropped_target: Option<String>,
}

/// An accepted heartbeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeartbeatOutcome {
    /// The member's number in its group.
    pub member_number: u32,
    /// Whether the heartbeat counted as an identity conflict (log it).
    pub is_conflict: bool,
}

impl Registry {
    /// An empty registry, if `config` is valid.
    pub fn try_new(config: RegistryConfig) -> Result<Self, ConfigError> {
        Self::with_groups(config, BTreeMap::new())
    }

    pub(crate) fn with_groups(
        config: RegistryConfig,
        groups: BTreeMap<GroupName, GroupRecord>,
    ) -> Result<Self, ConfigError> {
        let wire = config.wire_seconds()?;
        let members = groups.values().map(|g| g.members.len()).sum();
        Ok(Self {
            config,
            wire,
            groups,
            members,
            peers: PeerLog::default(),
        })
    }

    pub(crate) fn groups(&self) -> &BTreeMap<GroupName, GroupRecord> {
        &self.groups
    }

    /// Registers `request` (already validated) from `peer`; see the module docs for when a
    /// known identity is accepted.
    ///
    /// # Errors
    ///
    /// [`RegisterError::LeaseMismatch`] (409), [`RegisterError::Full`] and
    /// [`RegisterError::NumbersExhausted`] (403), [`RegisterError::Random`] (500). A refused
    /// registration changes nothing but the conflict counter.
    pub fn register(
        &mut self,
        request: &RegisterRequestV1,
        peer: IpAddr,
        now: SystemTime,
        key: &LeaseKey,
    ) -> Result<Registration, RegisterError> {
        let (group, identity) = (&request.group, &request.identity);
        let ttl = self.config.ttl;
        let health = self.member_health(group, identity, now);
        let lease = generate_lease()?;
        let digest = key.digest(&lease);
        let (number, is_new, is_conflict) = if let Some(health) = health {
            let record = record_mut(&mut self.groups, group, identity)
                .expect("health was found for this member");
            let is_proven = match &request.lease {
                Some(presented) => key.digest(presented).ct_eq(&record.lease_digest),
                None => health == MemberHealth::Down,
            };
            let number = record.number;
            let is_conflict = self
                .peers
                .observe(&mut record.peer, peer, now, (ttl, is_proven));
            if !is_proven {
                return Err(RegisterError::LeaseMismatch {
                    group: group.clone(),
                    identity: identity.clone(),
                    is_conflict,
                });
            }
            (number, false, is_conflict)
        } else {
            (self.admit(group)?, true, false)
        };
        if is_new {
            self.members += 1;
        }
        let (scrape_target, dropped_target) = match &request.scrape_target {
            Some(t) if !self.config.is_listed_target(t, peer) => (None, Some(t.clone())),
            other => (other.clone(), None),
        };
        let previous = record_mut(&mut self.groups, group, identity);
        let (registered_unix, devices) = previous.map_or_else(
            || (unix_seconds(now), Vec::new()),
            |r| (r.registered_unix, std::mem::take(&mut r.devices)),
        );
        let record = MemberRecord {
            number,
            lease_digest: digest,
            registered_unix,
            last_seen_unix: unix_seconds(now),
            software_version: request.software_version.clone(),
            scrape_target,
            devices,
            // A new member, or a known one that just proved its lease from here.
            peer: Some((peer, now)),
        };
        self.groups
            .entry(group.clone())
            .or_insert_with(GroupRecord::new)
            .members
            .insert(identity.clone(), record);
        let (heartbeat_interval_seconds, ttl_seconds) = self.wire;
        Ok(Registration {
            response: RegisterResponseV1 {
                member_number: number,
                lease,
                heartbeat_interval_seconds,
                ttl_seconds,
            },
            is_new,
            is_conflict,
            dropped_target,
        })
    }

    /// The next number for a new member of `group`, if the registry has room.
    fn admit(&mut self, group: &GroupName) -> Result<u32, RegisterError> {
        if self.members >= self.config.max_members {
            return Err(RegisterError::Full {
                max: self.config.max_members,
            });
        }
        let record = self
            .groups
            .entry(group.clone())
            .or_insert_with(GroupRecord::new);
        let number = record.next_number;
        record.next_number =
            number
                .checked_add(1)
                .ok_or_else(|| RegisterError::NumbersExhausted {
                    group: group.clone(),
                })?;
        Ok(number)
    }

    /// Accepts `hb` (already validated) from `peer`: takes its devices and marks the member
    /// seen at `now`.
    ///
    /// The devices are swapped rather than copied: on success `hb.devices` holds the member's
    /// previous summaries, so a caller holding a lock can free them after releasing it.
    ///
    /// # Errors
    ///
    /// [`HeartbeatError::UnknownMember`] (404) for an identity not registered in `hb.group`,
    /// [`HeartbeatError::LeaseMismatch`] (409) for a lease that is not the current one; `hb`
    /// is left as it was.
    pub fn heartbeat(
        &mut self,
        hb: &mut HeartbeatV1,
        peer: IpAddr,
        now: SystemTime,
        key: &LeaseKey,
    ) -> Result<HeartbeatOutcome, HeartbeatError> {
        let ttl = self.config.ttl;
        let Some(record) = record_mut(&mut self.groups, &hb.group, &hb.identity) else {
            return Err(HeartbeatError::UnknownMember {
                group: hb.group.clone(),
                identity: hb.identity.clone(),
            });
        };
        let is_proven = key.digest(&hb.lease).ct_eq(&record.lease_digest);
        if is_proven {
            record.last_seen_unix = unix_seconds(now);
            record.software_version.clone_from(&hb.software_version);
            std::mem::swap(&mut record.devices, &mut hb.devices);
        }
        let member_number = record.number;
        let is_conflict = self
            .peers
            .observe(&mut record.peer, peer, now, (ttl, is_proven));
        if !is_proven {
            return Err(HeartbeatError::LeaseMismatch {
                group: hb.group.clone(),
                identity: hb.identity.clone(),
                is_conflict,
            });
        }
        Ok(HeartbeatOutcome {
            member_number,
            is_conflict,
        })
    }

    /// Forgets a member (operator action). Its number is not reused; if the identity comes
    /// back it is new. Whether it was registered.
    pub fn remove(&mut self, group: &GroupName, identity: &MemberId) -> bool {
        let removed = self
            .groups
            .get_mut(group)
            .and_then(|g| g.members.remove(identity))
            .is_some();
        if removed {
            self.members -= 1;
        }
        removed
    }

    /// Forgets every member not heard from for longer than `retention` and the TTL (only down
    /// members go). Returns how many.
    pub fn prune(&mut self, now: SystemTime, retention: Duration) -> usize {
        let limit = retention.max(self.config.ttl);
        let expired: Vec<(GroupName, MemberId)> = self
            .groups
            .iter()
            .flat_map(|(g, group)| group.members.iter().map(move |(id, m)| (g, id, m)))
            .filter(|(_, _, m)| age(now, m.last_seen_unix) > limit)
            .map(|(g, id, _)| (g.clone(), id.clone()))
            .collect();
        for (group, identity) in &expired {
            self.remove(group, identity);
        }
        expired.len()
    }

    /// The health of a member, if registered.
    pub fn member_health(
        &self,
        group: &GroupName,
        identity: &MemberId,
        now: SystemTime,
    ) -> Option<MemberHealth> {
        let record = self.groups.get(group)?.members.get(identity)?;
        Some(self.health_of(record, now))
    }

    /// How many members are registered.
    pub fn len(&self) -> usize {
        self.members
    }

    /// Whether no member is registered.
    pub fn is_empty(&self) -> bool {
        self.members == 0
    }

    /// Identity conflicts counted since start (`upsight_fleet_identity_conflicts_total`).
    pub fn conflicts_total(&self) -> u64 {
        self.peers.conflicts_total()
    }

    /// The configuration.
    pub fn config(&self) -> &RegistryConfig {
        &self.config
    }

    pub(super) fn health_of(&self, record: &MemberRecord, now: SystemTime) -> MemberHealth {
        MemberHealth::of(age(now, record.last_seen_unix), &self.config)
    }
}

/// A member's record in `groups` (a free function, so the caller may borrow other fields of
/// the registry meanwhile).
fn record_mut<'a>(
    groups: &'a mut BTreeMap<GroupName, GroupRecord>,
    group: &GroupName,
    identity: &MemberId,
) -> Option<&'a mut MemberRecord> {
    groups.get_mut(group)?.members.get_mut(identity)
}

impl fmt::Debug for Registry {
    /// Counts only: members and peer addresses stay out of logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("config", &self.config)
            .field("groups", &self.groups.len())
            .field("members", &self.members)
            .field("conflicts_total", &self.peers.conflicts_total())
            .finish_non_exhaustive()
    }
}

/// Seconds since the Unix epoch (0 before it).
fn unix_seconds(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// How long before `now` the Unix second `then` was; zero if it is in the future (a clock
/// step back never makes a member look older).
fn age(now: SystemTime, then: u64) -> Duration {
    SystemTime::UNIX_EPOCH
        .checked_add(Duration::from_secs(then))
        .and_then(|then| now.duration_since(then).ok())
        .unwrap_or(Duration::ZERO)
}
