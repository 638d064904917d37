//! What the exporter remembers about its fleet membership across restarts (in the state file,
//! mode 0600): the identity it generated, and the lease of its registration with the plane,
//! group and identity it was issued for. Pure: the caller supplies randomness.

use std::fmt;

use upsight_model::{GroupName, MemberId};

/// The `fleet` entry of the exporter's state file.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Membership {
    /// The identity generated when `fleet.identity` is not configured, kept so the plane sees
    /// the same member after a restart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated_identity: Option<MemberId>,
    /// The current registration's lease; `None` before the first registration and after the
    /// plane refused it (409).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease: Option<LeaseRecord>,
}

/// A lease and what it was issued for. `Debug` prints the lease as `<redacted>`.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LeaseRecord {
    /// The plane's base URL as configured (normalized, e.g. `https://fleet.example.net/`).
    pub url: String,
    /// The group registered in.
    pub group: GroupName,
    /// The identity registered as.
    pub identity: MemberId,
    /// The member number the plane gave.
    pub member_number: u32,
    /// The opaque lease, presented in every heartbeat and when registering again.
    pub lease: String,
}

impl fmt::Debug for LeaseRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LeaseRecord")
            .field("url", &self.url)
            .field("group", &self.group)
            .field("identity", &self.identity)
            .field("member_number", &self.member_number)
            .field("lease", &"<redacted>")
            .finish()
    }
}

impl Membership {
    /// The lease issued by the plane at `url` for `identity` in `group`. A lease for another
    /// plane, group or identity (the configuration changed) is never presented.
    pub fn lease_for(&self, url: &str, group: &GroupName, identity: &MemberId) -> Option<&str> {
        self.lease
            .as_ref()
            .filter(|l| l.url == url && l.group == *group && l.identity == *identity)
            .map(|l| l.lease.as_str())
    }
}

/// The identity to register with: the configured one, else the remembered generated one, else
/// a new one from `random` (`exp-` and 16 hex digits). `true` when it was just generated.
pub fn resolve_identity(
    configured: Option<&MemberId>,
    remembered: Option<&MemberId>,
    random: u64,
) -> (MemberId, bool) {
    if let Some(id) = configured.or(remembered) {
        return (id.clone(), false);
    }
    (generate_identity(random), true)
}

/// `exp-` and `random` as 16 lower-case hex digits: 20 characters of the identity alphabet.
pub fn generate_identity(random: u64) -> MemberId {
    format!("exp-{random:016x}")
        .parse()
        .expect("`exp-` and 16 hex digits are 20 characters of the identity alphabet")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> MemberId {
        s.parse().unwrap()
    }

    #[test]
    fn identities_are_configured_remembered_or_generated() {
        let (got, is_new) = resolve_identity(Some(&id("rack-7")), Some(&id("exp-1")), 5);
        assert_eq!((got.as_str(), is_new), ("rack-7", false));
        let (got, is_new) = resolve_identity(None, Some(&id("exp-1")), 5);
        assert_eq!((got.as_str(), is_new), ("exp-1", false));
        let (got, is_new) = resolve_identity(None, None, 0xdead_beef);
        assert_eq!((got.as_str(), is_new), ("exp-00000000deadbeef", true));
        assert_eq!(generate_identity(u64::MAX).as_str(), "exp-ffffffffffffffff");
    }

    #[test]
    fn a_lease_is_presented_only_to_the_plane_group_and_identity_it_came_from() {
        let record = LeaseRecord {
            url: "https://a.example/".into(),
            group: "g".parse().unwrap(),
            identity: id("exp-1"),
            member_number: 3,
            lease: "s3cr3t-lease".into(),
        };
        let m = Membership {
            generated_identity: None,
            lease: Some(record),
        };
        let g = "g".parse().unwrap();
        assert_eq!(
            m.lease_for("https://a.example/", &g, &id("exp-1")),
            Some("s3cr3t-lease")
        );
        assert_eq!(m.lease_for("https://b.example/", &g, &id("exp-1")), None);
        assert_eq!(
            m.lease_for("https://a.example/", &"h".parse().unwrap(), &id("exp-1")),
            None
        );
        assert_eq!(m.lease_for("https://a.example/", &g, &id("exp-2")), None);
        assert!(!format!("{m:?}").contains("s3cr3t"), "{m:?}");
    }

    #[test]
    fn the_state_entry_round_trips_and_defaults() {
        let m = Membership {
            generated_identity: Some(id("exp-00000000deadbeef")),
            lease: None,
        };
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(json, r#"{"generated_identity":"exp-00000000deadbeef"}"#);
        assert_eq!(serde_json::from_str::<Membership>(&json).unwrap(), m);
        assert_eq!(
            serde_json::from_str::<Membership>("{}").unwrap(),
            Membership::default()
        );
    }
}
