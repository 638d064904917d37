//! Read views of the registry: member health, fleet and group totals, member detail, and
//! Prometheus http_sd targets. Plain values, built by [`Registry`](crate::Registry) as of a
//! given `now`, serializable for the read API.

use std::time::Duration;

use upsight_model::{DeviceSummaryV1, GroupName, MemberId};

use crate::RegistryConfig;

/// A member's health from the age of its last heartbeat (or registration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MemberHealth {
    /// Heard from within 1.5 heartbeat intervals.
    Up,
    /// Late, but within the TTL.
    Stale,
    /// Not heard from for longer than the TTL.
    Down,
}

impl MemberHealth {
    /// The health of a member whose last heartbeat is `age` old.
    pub fn of(age: Duration, config: &RegistryConfig) -> Self {
        if age <= config.up_within() {
            Self::Up
        } else if age <= config.ttl {
            Self::Stale
        } else {
            Self::Down
        }
    }

    /// The health of one device of a member in health `self`, from its latest summary: down
    /// if the member is down or the device reported neither up nor stale; stale if the device
    /// reported stale or the member is late; up otherwise.
    pub fn of_device(self, device: &DeviceSummaryV1) -> Self {
        match (self, device.is_up, device.is_stale) {
            (Self::Down, ..) | (_, false, false) => Self::Down,
            (_, _, true) | (Self::Stale, ..) => Self::Stale,
            (Self::Up, true, false) => Self::Up,
        }
    }
}

/// Counts over a set of members and their devices.
///
/// `upses_on_battery` (status `OB`) and `upses_low_runtime` (runtime below
/// [`RegistryConfig::low_runtime`]) count devices that reported a fresh reading in their
/// member's latest heartbeat, unless the member is down: a down member's last report says
/// nothing about now, so its devices count only as down.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Totals {
    /// Members.
    pub members: usize,
    /// Members up.
    pub members_up: usize,
    /// Members stale.
    pub members_stale: usize,
    /// Members down.
    pub members_down: usize,
    /// Devices (UPSes) reported by all members.
    pub upses: usize,
    /// Devices on battery.
    pub upses_on_battery: usize,
    /// Devices with low runtime left.
    pub upses_low_runtime: usize,
    /// Devices whose data is stale (see [`MemberHealth::of_device`]).
    pub upses_stale: usize,
    /// Devices down (see [`MemberHealth::of_device`]).
    pub upses_down: usize,
}

impl Totals {
    /// Adds one member in `health` with `devices`.
    pub(crate) fn add(
        &mut self,
        health: MemberHealth,
        devices: &[DeviceSummaryV1],
        low_runtime: Duration,
    ) {
        self.members += 1;
        *match health {
            MemberHealth::Up => &mut self.members_up,
            MemberHealth::Stale => &mut self.members_stale,
            MemberHealth::Down => &mut self.members_down,
        } += 1;
        let low = low_runtime.as_secs_f64();
        for device in devices {
            self.upses += 1;
            match health.of_device(device) {
                MemberHealth::Down => {
                    self.upses_down += 1;
                    continue;
                }
                MemberHealth::Stale => self.upses_stale += 1,
                MemberHealth::Up => {}
            }
            if !device.is_up {
                continue;
            }
            if device.status.iter().any(|s| s == "OB") {
                self.upses_on_battery += 1;
            }
            if device.runtime_seconds.is_some_and(|r| r < low) {
                self.upses_low_runtime += 1;
            }
        }
    }

    /// Adds `other` into `self`.
    pub(crate) fn merge(&mut self, other: &Self) {
        self.members += other.members;
        self.members_up += other.members_up;
        self.members_stale += other.members_stale;
        self.members_down += other.members_down;
        self.upses += other.upses;
        self.upses_on_battery += other.upses_on_battery;
        self.upses_low_runtime += other.upses_low_runtime;
        self.upses_stale += other.upses_stale;
        self.upses_down += other.upses_down;
    }
}

/// The whole fleet: totals, then one entry per group (by name).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct FleetView {
    /// Totals over every group.
    pub totals: Totals,
    /// Per-group totals, ordered by group name.
    pub groups: Vec<GroupView>,
}

/// One group's totals.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct GroupView {
    /// The group.
    pub group: GroupName,
    /// Its totals.
    pub totals: Totals,
}

/// One group in detail: its totals and one row per member.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct GroupDetail {
    /// The group.
    pub group: GroupName,
    /// Its totals.
    pub totals: Totals,
    /// Its members, by member number.
    pub members: Vec<MemberRow>,
}

/// One member as a row of its group: identity, health and its devices' counts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MemberRow {
    /// Its identity.
    pub identity: MemberId,
    /// Its number in the group.
    pub member_number: u32,
    /// Its health now.
    pub health: MemberHealth,
    /// Its last registration or heartbeat, seconds since the Unix epoch.
    pub last_seen_unix: u64,
    /// The exporter version it last reported.
    pub software_version: String,
    /// Counts over this one member (its `members*` fields are 0 or 1).
    pub totals: Totals,
}

/// One member in detail.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MemberView {
    /// Its group.
    pub group: GroupName,
    /// Its identity.
    pub identity: MemberId,
    /// Its number in the group.
    pub member_number: u32,
    /// Its health now.
    pub health: MemberHealth,
    /// When the identity first got its number, seconds since the Unix epoch.
    pub registered_unix: u64,
    /// Its last registration or heartbeat, seconds since the Unix epoch.
    pub last_seen_unix: u64,
    /// The exporter version it last reported.
    pub software_version: String,
    /// Where Prometheus can scrape it, if it said.
    pub scrape_target: Option<String>,
    /// Its devices as of its latest heartbeat.
    pub devices: Vec<DeviceSummaryV1>,
}

/// One Prometheus http_sd target: a member that gave a scrape target.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Target {
    /// Its group.
    pub group: GroupName,
    /// Its identity.
    pub identity: MemberId,
    /// Its number in the group.
    pub member_number: u32,
    /// `host:port` to scrape.
    pub scrape_target: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_health_follows_member_and_report() {
        let golden: upsight_model::HeartbeatV1 = serde_json::from_str(include_str!(
            "../../upsight-model/tests/fixtures/heartbeat/heartbeat-v1.json"
        ))
        .unwrap();
        let mut device = golden.devices[1].clone();
        use MemberHealth::{Down, Stale, Up};
        for (up, stale, member, want) in [
            (true, false, Up, Up),
            (true, false, Stale, Stale),
            (true, false, Down, Down),
            (false, true, Up, Stale),
            (false, false, Up, Down),
            (false, false, Stale, Down),
        ] {
            device.is_up = up;
            device.is_stale = stale;
            assert_eq!(member.of_device(&device), want, "{up} {stale} {member:?}");
        }
    }

    #[test]
    fn health_serializes_lowercase() {
        assert_eq!(
            serde_json::to_string(&MemberHealth::Stale).unwrap(),
            "\"stale\""
        );
    }
}
