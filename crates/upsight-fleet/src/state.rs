//! `FleetState`: the plane's state file (members, per-group number counters, the lease key),
//! persisted through `upsight_store::Store`.
//!
//! What is *not* in it, on purpose: leases in clear (only [`LeaseKey`] HMAC digests), peer
//! addresses (conflict detection keeps them in memory only, design.md §4.3), counters (self
//! metrics restart at zero, as Prometheus expects).

use std::collections::BTreeMap;

use serde_json::Value;
use upsight_model::{DeviceSummaryV1, GroupName, MemberId};
use upsight_store::MigrationError;

use crate::lease::LeaseDigest;
use crate::registry::LastPeer;
use crate::{ConfigError, LeaseKey, RandomError, Registry, RegistryConfig};

/// The fleet plane's persisted state: schema `"upsight-fleet"`, version 2.
///
/// Versions: 1 (first release); 2 adds `registered_unix` to every member (migrated from 1
/// as its `last_seen_unix`), the clean-stop marker, and no longer keeps device summaries.
///
/// Load it with `Store::<FleetState>::open`, turn it into a live [`Registry`] with
/// [`FleetState::into_registry`], and save [`FleetState::of`] the registry (a copy taken under
/// the caller's lock, written outside it).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetState {
    /// The key lease digests are made with; absent only before the first start.
    lease_key: Option<LeaseKey>,
    /// Members and number counters, by group.
    groups: BTreeMap<GroupName, GroupRecord>,
    /// Whether this file was written by the final save of a clean stop (SIGTERM). Periodic
    /// saves write `false`; a plane that loads `false` (or a version-1 file) moves every
    /// group's counter [`UNCLEAN_NUMBER_GAP`] ahead.
    #[serde(default)]
    stopped_cleanly: bool,
}

/// How far each group's number counter moves ahead after an unclean stop (kill -9, power
/// loss): numbers handed out after the last save are lost with the crash, so the counter is
/// moved past any of them. One group would have to admit more than this many new members
/// within one flush window (1 s) for a number to come back.
pub const UNCLEAN_NUMBER_GAP: u32 = 1000;

/// One group: its members and the next member number it hands out.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GroupRecord {
    /// The number the next new identity gets: only ever grows, survives removals, so numbers
    /// are never reused.
    pub(crate) next_number: u32,
    /// The members, by identity.
    pub(crate) members: BTreeMap<MemberId, MemberRecord>,
}

/// One member as the plane remembers it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MemberRecord {
    /// Its number in the group, from 1.
    pub(crate) number: u32,
    /// `HMAC-SHA256(lease_key, lease)` of its current lease.
    pub(crate) lease_digest: LeaseDigest,
    /// When the identity first got its number, seconds since the Unix epoch (version 2; a
    /// member migrated from version 1 has its last-seen time here, the best then known).
    pub(crate) registered_unix: u64,
    /// Its last registration or heartbeat, seconds since the Unix epoch.
    pub(crate) last_seen_unix: u64,
    /// The exporter version it last reported.
    pub(crate) software_version: String,
    /// Where Prometheus can scrape it, if it said.
    pub(crate) scrape_target: Option<String>,
    /// The device summaries of its latest heartbeat. Not saved: they are about now, and the
    /// member's next heartbeat (within one interval) brings them back; the file stays small
    /// (about 300 bytes a member) whatever the members report.
    #[serde(skip)]
    pub(crate) devices: Vec<DeviceSummaryV1>,
    /// Where and when its lease was last proven, for conflict detection. Not saved: addresses
    /// stay in memory (design.md §4.3).
    #[serde(skip)]
    pub(crate) peer: LastPeer,
}

/// Why a loaded state cannot become a registry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetupError {
    /// The registry configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The first start could not generate the lease key.
    #[error(transparent)]
    Random(#[from] RandomError),
}

impl MemberRecord {
    /// A copy without the device summaries.
    fn without_devices(&self) -> Self {
        Self {
            number: self.number,
            lease_digest: self.lease_digest.clone(),
            registered_unix: self.registered_unix,
            last_seen_unix: self.last_seen_unix,
            software_version: self.software_version.clone(),
            scrape_target: self.scrape_target.clone(),
            devices: Vec::new(),
            peer: None,
        }
    }
}

impl GroupRecord {
    pub(crate) fn new() -> Self {
        Self {
            next_number: 1,
            members: BTreeMap::new(),
        }
    }
}

impl FleetState {
    /// The state to save for `registry` and `key`.
    ///
    /// Device summaries are left out (they are not saved), so the copy taken under the lock
    /// costs only what is written.
    pub fn of(registry: &Registry, key: &LeaseKey) -> Self {
        let groups = registry
            .groups()
            .iter()
            .map(|(name, group)| {
                let members = group
                    .members
                    .iter()
                    .map(|(identity, m)| (identity.clone(), m.without_devices()))
                    .collect();
                let record = GroupRecord {
                    next_number: group.next_number,
                    members,
                };
                (name.clone(), record)
            })
            .collect();
        Self {
            lease_key: Some(key.clone()),
            groups,
            stopped_cleanly: false,
        }
    }

    /// This state marked as written by the final save of a clean stop.
    #[must_use]
    pub fn stopped_cleanly(mut self) -> Self {
        self.stopped_cleanly = true;
        self
    }

    /// Whether the file was written by a clean stop; `false` means the next start moves the
    /// counters ahead (see [`UNCLEAN_NUMBER_GAP`]).
    pub fn was_stopped_cleanly(&self) -> bool {
        self.stopped_cleanly
    }

    /// The live registry and lease key; on the first start (no key yet) a fresh key is
    /// generated, and the caller saves the state before answering any registration.
    ///
    /// A hand-edited file whose counter is not above every number in its group gets the
    /// counter raised, and a file not written by a clean stop gets every counter moved
    /// [`UNCLEAN_NUMBER_GAP`] ahead, so numbers are still never reused.
    pub fn into_registry(self, config: RegistryConfig) -> Result<(Registry, LeaseKey), SetupError> {
        let key = match self.lease_key {
            Some(key) => key,
            None => LeaseKey::generate()?,
        };
        let mut groups = self.groups;
        let gap = if self.stopped_cleanly {
            0
        } else {
            UNCLEAN_NUMBER_GAP
        };
        for group in groups.values_mut() {
            let highest = group.members.values().map(|m| m.number).max().unwrap_or(0);
            group.next_number = group.next_number.max(highest.saturating_add(1)).max(1);
            group.next_number = group.next_number.saturating_add(gap);
        }
        Ok((Registry::with_groups(config, groups)?, key))
    }

    /// Whether the state holds a lease key (false only before the first start).
    pub fn has_lease_key(&self) -> bool {
        self.lease_key.is_some()
    }
}

impl upsight_store::Schema for FleetState {
    const NAME: &'static str = "upsight-fleet";
    const VERSION: u32 = 2;

    fn migrate(from: u32, data: Value) -> Result<Value, MigrationError> {
        match from {
            1 => v1_to_v2(data),
            _ => Err(MigrationError::Unsupported { from }),
        }
    }
}

/// Version 1 → 2: every member gets `registered_unix` = its `last_seen_unix` and loses its
/// `devices` (no longer kept). Anything else is left as it is (the typed load that follows
/// checks it).
fn v1_to_v2(mut data: Value) -> Result<Value, MigrationError> {
    let invalid = |what: &str| MigrationError::Invalid {
        from: 1,
        detail: what.to_owned(),
    };
    let groups = data
        .get_mut("groups")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| invalid("no groups object"))?;
    for (name, group) in groups.iter_mut() {
        let members = group
            .get_mut("members")
            .and_then(Value::as_object_mut)
            .ok_or_else(|| invalid(&format!("group {name:?} has no members object")))?;
        for (identity, member) in members.iter_mut() {
            let record = member
                .as_object_mut()
                .ok_or_else(|| invalid(&format!("member {name}/{identity} is not an object")))?;
            let seen = record.get("last_seen_unix").cloned().ok_or_else(|| {
                invalid(&format!("member {name}/{identity} has no last_seen_unix"))
            })?;
            record.insert("registered_unix".to_owned(), seen);
            record.remove("devices");
        }
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};
    use std::time::{Duration, SystemTime};

    use super::*;

    #[test]
    fn a_lagging_counter_is_raised_on_load() {
        let key = LeaseKey::from_bytes([3; 32]);
        let mut registry = Registry::try_new(RegistryConfig::default()).unwrap();
        let request: upsight_model::RegisterRequestV1 = serde_json::from_str(include_str!(
            "../../upsight-model/tests/fixtures/heartbeat/register-request-v1.json"
        ))
        .unwrap();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600);
        let peer = IpAddr::V4(Ipv4Addr::LOCALHOST);
        registry.register(&request, peer, now, &key).unwrap();
        let mut state = FleetState::of(&registry, &key).stopped_cleanly();
        for group in state.groups.values_mut() {
            group.next_number = 0;
        }
        let (registry, _) = state
            .clone()
            .into_registry(RegistryConfig::default())
            .unwrap();
        assert!(registry.groups().values().all(|g| g.next_number == 2));
        state.stopped_cleanly = false;
        let (registry, _) = state.into_registry(RegistryConfig::default()).unwrap();
        assert!(
            registry
                .groups()
                .values()
                .all(|g| g.next_number == 2 + UNCLEAN_NUMBER_GAP)
        );
    }

    #[test]
    fn far_future_last_seen_does_not_panic() {
        let json = r#"{"lease_key":null,"groups":{"g":{"next_number":2,"members":{"m":{
            "number":1,"lease_digest":"0000000000000000000000000000000000000000000000000000000000000000",
            "registered_unix":0,"last_seen_unix":18446744073709551615,"software_version":"0.1.0",
            "scrape_target":null}}}}}"#;
        let state: FleetState = serde_json::from_str(json).unwrap();
        let (registry, _) = state.into_registry(RegistryConfig::default()).unwrap();
        let view = registry.fleet(SystemTime::UNIX_EPOCH);
        assert_eq!(view.totals.members_up, 1);
    }
}
