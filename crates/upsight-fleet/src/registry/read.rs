//! The registry's read side: fleet and group totals, member detail, http_sd targets.

use std::collections::BTreeMap;
use std::time::SystemTime;

use upsight_model::{GroupName, MemberId};

use super::Registry;
use crate::{FleetView, GroupDetail, GroupView, MemberRow, MemberView, Target, Totals};

impl Registry {
    /// The whole fleet as of `now`.
    pub fn fleet(&self, now: SystemTime) -> FleetView {
        let mut view = FleetView::default();
        for (group, record) in &self.groups {
            let mut totals = Totals::default();
            for member in record.members.values() {
                totals.add(
                    self.health_of(member, now),
                    &member.devices,
                    self.config.low_runtime,
                );
            }
            view.totals.merge(&totals);
            view.groups.push(GroupView {
                group: group.clone(),
                totals,
            });
        }
        view
    }

    /// One group with a row per member (by number) as of `now`, if it has members.
    pub fn group(&self, group: &GroupName, now: SystemTime) -> Option<GroupDetail> {
        let record = self.groups.get(group).filter(|g| !g.members.is_empty())?;
        let mut detail = GroupDetail {
            group: group.clone(),
            totals: Totals::default(),
            members: Vec::with_capacity(record.members.len()),
        };
        for (identity, member) in &record.members {
            let health = self.health_of(member, now);
            let mut totals = Totals::default();
            totals.add(health, &member.devices, self.config.low_runtime);
            detail.totals.merge(&totals);
            detail.members.push(MemberRow {
                identity: identity.clone(),
                member_number: member.number,
                health,
                last_seen_unix: member.last_seen_unix,
                software_version: member.software_version.clone(),
                totals,
            });
        }
        detail.members.sort_by_key(|m| m.member_number);
        Some(detail)
    }

    /// One member in detail as of `now`, if registered.
    pub fn member(
        &self,
        group: &GroupName,
        identity: &MemberId,
        now: SystemTime,
    ) -> Option<MemberView> {
        let record = self.groups.get(group)?.members.get(identity)?;
        Some(MemberView {
            group: group.clone(),
            identity: identity.clone(),
            member_number: record.number,
            health: self.health_of(record, now),
            registered_unix: record.registered_unix,
            last_seen_unix: record.last_seen_unix,
            software_version: record.software_version.clone(),
            scrape_target: record.scrape_target.clone(),
            devices: record.devices.clone(),
        })
    }

    /// The Prometheus http_sd targets: every member that gave a scrape target, by group and
    /// number.
    pub fn targets(&self) -> Vec<Target> {
        let mut targets: Vec<Target> = self
            .groups
            .iter()
            .flat_map(|(group, record)| {
                record.members.iter().filter_map(move |(identity, m)| {
                    Some(Target {
                        group: group.clone(),
                        identity: identity.clone(),
                        member_number: m.number,
                        scrape_target: m.scrape_target.clone()?,
                    })
                })
            })
            .collect();
        targets.sort_by(|a, b| (&a.group, a.member_number).cmp(&(&b.group, b.member_number)));
        targets
    }

    /// The numbers of `group`'s members, by identity.
    pub fn numbers(&self, group: &GroupName) -> BTreeMap<MemberId, u32> {
        self.groups
            .get(group)
            .map(|g| {
                g.members
                    .iter()
                    .map(|(id, m)| (id.clone(), m.number))
                    .collect()
            })
            .unwrap_or_default()
    }
}
