//! The heartbeat wire contract: the only thing the exporter and the fleet control plane share
//! (house-style §2; design.md §4.7 and §5). Both sides test against the golden JSON fixtures in
//! `crates/upsight-model/tests/fixtures/heartbeat/`. The rules (versioning, bounds, no PII)
//! are documented on [`HeartbeatV1`].

mod device;
mod error;
mod id;
mod register;
mod version;

use std::collections::HashSet;
use std::fmt;
use std::time::{Duration, SystemTime};

use crate::name::UpsName;
use crate::snapshot::Snapshot;

pub use device::DeviceSummaryV1;
pub use error::{ContractError, Excerpt, Field};
pub use id::{GroupName, MemberId};
pub use register::{RegisterRequestV1, RegisterResponseV1};
pub use version::{ContractVersion, Version};

/// What an exporter reports every interval: `POST /api/v1/heartbeat`, answered with 204 (404:
/// unknown member, register again; 409: lease mismatch).
///
/// # The contract
///
/// Three documents make the whole contract between the roles: [`RegisterRequestV1`] →
/// [`RegisterResponseV1`], then `HeartbeatV1` every `heartbeat_interval_seconds`. Golden
/// fixtures for each live in `crates/upsight-model/tests/fixtures/heartbeat/`.
///
/// **Versioning.** Requests carry `"version": 1` ([`Version`]). Version 1 is frozen: a field
/// added, removed, renamed or re-typed, or a new status token, is a version 2 with new types
/// (`HeartbeatV2`, …) and `"version": 2`, served next to version 1 for as long as exporters
/// speak it. Requests refuse unknown fields, so a typo or a newer shape is a 400 rather than
/// silently lost data; the plane reads the body as [`ContractVersion`] first and answers
/// anything but 1 with a 400 naming the version. Responses accept unknown fields, so the plane
/// may add to its answers without breaking older exporters.
///
/// **Validation.** Types guarantee what they can ([`MemberId`], [`GroupName`], `UpsName`);
/// [`HeartbeatV1::validate`] checks the rest and the plane calls it after deserializing:
/// `software_version` at most 32 characters of `0-9 A-Z a-z . + -`, the lease 1 to 128 visible
/// ASCII characters, at most [`HeartbeatV1::MAX_DEVICES`] devices with unique names, status
/// tokens from [`DeviceSummaryV1::STATUS_TOKENS`], and numbers finite and in range. Errors
/// ([`ContractError`]) name the field and the value, cut to 64 characters.
///
/// **No PII** (design.md §4.3): a heartbeat carries identifiers the operator chose (identity,
/// group, device names), the software version, counters, known status flags and measured
/// values. Never a serial number, location, contact, description, MAC or IP address, host
/// name, user name or other free text; [`HeartbeatV1::from_snapshot`] has no way to copy them.
///
/// `Debug` prints the lease as `<redacted>`.
#[derive(Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeartbeatV1 {
    /// Always `1`.
    pub version: Version<1>,
    /// Who is reporting.
    pub identity: MemberId,
    /// The lease from [`RegisterResponseV1`].
    pub lease: String,
    /// The member's group.
    pub group: GroupName,
    /// The exporter's version (semver), at most 32 characters of `0-9 A-Z a-z . + -`.
    pub software_version: String,
    /// How long the exporter has been running.
    pub uptime_seconds: u64,
    /// When the heartbeat was built, seconds since the Unix epoch.
    pub sent_at_unix: u64,
    /// One summary per device, at most [`HeartbeatV1::MAX_DEVICES`], names unique.
    pub devices: Vec<DeviceSummaryV1>,
}

impl HeartbeatV1 {
    /// The most devices one heartbeat carries; an exporter with more reports the first ones
    /// by name.
    pub const MAX_DEVICES: usize = 256;
    /// The most characters of `software_version`.
    pub const MAX_SOFTWARE_VERSION_LEN: usize = 32;

    /// The heartbeat for `snapshot` as of `now` (pure: the caller reads the clock).
    ///
    /// Keeps the first [`HeartbeatV1::MAX_DEVICES`] devices in snapshot order (by name) and
    /// the first of any repeated name; summarizes each as [`DeviceSummaryV1`] documents (known
    /// flags only, values rounded and bounded, nothing identifying). `last_transfer` says when
    /// a device last went on battery. The result validates if `lease` and `software_version`
    /// do; times before the epoch read as absent (`sent_at_unix`: 0).
    #[expect(
        clippy::too_many_arguments,
        reason = "one argument per header field of the wire document; a builder would only rename them"
    )]
    pub fn from_snapshot(
        identity: MemberId,
        lease: String,
        group: GroupName,
        software_version: String,
        uptime: Duration,
        now: SystemTime,
        snapshot: &Snapshot,
        last_transfer: impl Fn(&UpsName) -> Option<SystemTime>,
    ) -> Self {
        let mut seen = HashSet::new();
        let devices = snapshot
            .devices
            .iter()
            .filter(|d| seen.insert(&d.name))
            .take(Self::MAX_DEVICES)
            .map(|d| DeviceSummaryV1::of(d, last_transfer(&d.name)))
            .collect();
        Self {
            version: Version,
            identity,
            lease,
            group,
            software_version,
            uptime_seconds: uptime.as_secs(),
            sent_at_unix: unix_seconds(now).unwrap_or(0),
            devices,
        }
    }

    /// Checks every bound the types do not: the plane calls this after deserializing.
    pub fn validate(&self) -> Result<(), ContractError> {
        check_lease(Field::top("lease"), &self.lease)?;
        check_software_version(&self.software_version)?;
        if self.devices.len() > Self::MAX_DEVICES {
            return Err(ContractError::TooMany {
                field: Field::top("devices"),
                count: self.devices.len(),
                max: Self::MAX_DEVICES,
            });
        }
        // A few devices are compared pairwise: no allocation, and fewer steps than hashing.
        let mut names =
            (self.devices.len() > FEW_DEVICES).then(|| HashSet::with_capacity(self.devices.len()));
        for (i, device) in self.devices.iter().enumerate() {
            device.validate(i)?;
            let is_repeated = match &mut names {
                Some(names) => !names.insert(&device.name),
                None => self.devices[..i].iter().any(|d| d.name == device.name),
            };
            if is_repeated {
                return Err(ContractError::Duplicate {
                    field: Field::device(i, "name"),
                    value: Excerpt::new(device.name.as_str()),
                });
            }
        }
        Ok(())
    }
}

impl fmt::Debug for HeartbeatV1 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HeartbeatV1")
            .field("version", &self.version)
            .field("identity", &self.identity)
            .field("lease", &"<redacted>")
            .field("group", &self.group)
            .field("software_version", &self.software_version)
            .field("uptime_seconds", &self.uptime_seconds)
            .field("sent_at_unix", &self.sent_at_unix)
            .field("devices", &self.devices)
            .finish()
    }
}

/// Up to this many devices, [`HeartbeatV1::validate`] finds repeated names without a set.
const FEW_DEVICES: usize = 16;

/// Seconds since the Unix epoch; `None` before it.
fn unix_seconds(t: SystemTime) -> Option<u64> {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .ok()
        .map(|d| d.as_secs())
}

/// A lease: 1 to 128 visible ASCII characters. Never echoed: it is a credential.
fn check_lease(field: Field, lease: &str) -> Result<(), ContractError> {
    let len = lease.chars().count();
    let is_valid = (1..=RegisterResponseV1::MAX_LEASE_LEN).contains(&len)
        && lease.bytes().all(|b| b.is_ascii_graphic());
    if is_valid {
        Ok(())
    } else {
        Err(ContractError::BadLease { field, len })
    }
}

/// A software version: 1 to 32 characters of `0-9 A-Z a-z . + -` (semver's alphabet).
fn check_software_version(version: &str) -> Result<(), ContractError> {
    let field = Field::top("software_version");
    if version.is_empty() {
        return Err(ContractError::Empty { field });
    }
    let len = version.chars().count();
    if len > HeartbeatV1::MAX_SOFTWARE_VERSION_LEN {
        return Err(ContractError::TooLong {
            field,
            len,
            max: HeartbeatV1::MAX_SOFTWARE_VERSION_LEN,
        });
    }
    if !version
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'-'))
    {
        return Err(ContractError::BadCharacter {
            field,
            value: Excerpt::new(version),
            allowed: "ASCII letters, digits, '.', '+' and '-'",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leases() {
        let field = Field::top("lease");
        assert_eq!(check_lease(field, "Zm9vYmFy_-.~+/="), Ok(()));
        assert_eq!(check_lease(field, &"a".repeat(128)), Ok(()));
        for (bad, len) in [("", 0), ("a b", 3), ("é", 1), ("a\n", 2)] {
            assert_eq!(
                check_lease(field, bad),
                Err(ContractError::BadLease { field, len })
            );
        }
        let long = "s3cr3t".repeat(30);
        let e = check_lease(field, &long).unwrap_err().to_string();
        assert!(!e.contains("s3cr3t"), "{e}");
    }

    #[test]
    fn software_versions() {
        assert_eq!(check_software_version("0.1.0"), Ok(()));
        assert_eq!(check_software_version("1.2.3-rc.1+g0a1b2c3"), Ok(()));
        assert!(matches!(
            check_software_version(""),
            Err(ContractError::Empty { .. })
        ));
        assert!(matches!(
            check_software_version(&"1".repeat(33)),
            Err(ContractError::TooLong { len: 33, .. })
        ));
        assert_eq!(
            check_software_version("1.0 (host alice)")
                .unwrap_err()
                .to_string(),
            "software_version = \"1.0 (host alice)\": may only contain ASCII letters, digits, '.', '+' and '-'"
        );
    }
}
