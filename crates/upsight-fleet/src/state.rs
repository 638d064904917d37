//! `FleetState`: the plane's state file (members, per-group number counters, the lease key),
//! persisted through `upsight_store::Store`.
//!
//! What is *not* in it, on purpose: leases in clear (only [`LeaseKey`] HMAC digests), peer
//! addresses (conflict detection keeps them in memory only, design.md §4.3), counters (self
//! metrics restart at zero, as Prometheus expects).

use std::collections::BTreeMap;

use upsight_model::{DeviceSummaryV1, GroupName, MemberId};

use crate::lease::LeaseDigest;
use crate::{ConfigError, LeaseKey, RandomError, Registry, RegistryConfig};

/// The fleet plane's persisted state: schema `"upsight-fleet"`, version 1.
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
}

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
    /// Its last registration or heartbeat, seconds since the Unix epoch.
    pub(crate) last_seen_unix: u64,
    /// The exporter version it last reported.
    pub(crate) software_version: String,
    /// Where Prometheus can scrape it, if it said.
    pub(crate) scrape_target: Option<String>,
    /// The device summaries of its latest heartbeat.
    pub(crate) devices: Vec<DeviceSummaryV1>,
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
    pub fn of(registry: &Registry, key: &LeaseKey) -> Self {
        Self {
            lease_key: Some(key.clone()),
            groups: registry.groups().clone(),
        }
    }

    /// The live registry and lease key; on the first start (no key yet) a fresh key is
    /// generated, and the caller saves the state before answering any registration.
    ///
    /// A hand-edited file whose counter is not above every number in its group gets the
    /// counter raised, so numbers are still never reused.
    pub fn into_registry(self, config: RegistryConfig) -> Result<(Registry, LeaseKey), SetupError> {
        let key = match self.lease_key {
            Some(key) => key,
            None => LeaseKey::generate()?,
        };
        let mut groups = self.groups;
        for group in groups.values_mut() {
            let highest = group.members.values().map(|m| m.number).max().unwrap_or(0);
            group.next_number = group.next_number.max(highest.saturating_add(1)).max(1);
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
    const VERSION: u32 = 1;
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
        let mut state = FleetState::of(&registry, &key);
        for group in state.groups.values_mut() {
            group.next_number = 0;
        }
        let (registry, _) = state.into_registry(RegistryConfig::default()).unwrap();
        assert!(registry.groups().values().all(|g| g.next_number == 2));
    }

    #[test]
    fn far_future_last_seen_does_not_panic() {
        let json = r#"{"lease_key":null,"groups":{"g":{"next_number":2,"members":{"m":{
            "number":1,"lease_digest":"0000000000000000000000000000000000000000000000000000000000000000",
            "last_seen_unix":18446744073709551615,"software_version":"0.1.0",
            "scrape_target":null,"devices":[]}}}}}"#;
        let state: FleetState = serde_json::from_str(json).unwrap();
        let (registry, _) = state.into_registry(RegistryConfig::default()).unwrap();
        let view = registry.fleet(SystemTime::UNIX_EPOCH);
        assert_eq!(view.totals.members_up, 1);
    }
}
