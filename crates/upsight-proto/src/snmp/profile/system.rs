//! SNMPv2-MIB system group (RFC 3418 `1.3.6.1.2.1.1`): what every agent says about itself,
//! read on every poll whatever the profile.

use super::table::{Absent, Conv, Scalar};

/// sysObjectID.0: the vendor's product OID, which picks the profile.
pub(crate) const SYS_OBJECT_ID: &str = "1.3.6.1.2.1.1.2.0";

/// The system group in request order: sysDescr, sysObjectID, sysUpTime, sysContact, sysName,
/// sysLocation.
pub(crate) const OIDS: &[&str] = &[
    "1.3.6.1.2.1.1.1.0",
    SYS_OBJECT_ID,
    "1.3.6.1.2.1.1.3.0",
    "1.3.6.1.2.1.1.4.0",
    "1.3.6.1.2.1.1.5.0",
    "1.3.6.1.2.1.1.6.0",
];

/// The system objects that become variables. sysUpTime is `TimeTicks`, so it arrives in seconds.
pub(crate) const SCALARS: &[Scalar] = &[
    Scalar::text("1.3.6.1.2.1.1.1.0", "device.description"),
    Scalar::num(
        "1.3.6.1.2.1.1.3.0",
        "device.uptime",
        Conv::Unit,
        Absent::Never,
    ),
    Scalar::text("1.3.6.1.2.1.1.4.0", "device.contact"),
    Scalar::text("1.3.6.1.2.1.1.5.0", "device.sysname"),
    Scalar::text("1.3.6.1.2.1.1.6.0", "device.location"),
];
