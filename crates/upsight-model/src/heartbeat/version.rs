//! The `"version"` field every request carries, and a probe that reads only that field.

use std::fmt;

use super::ContractError;

/// The `"version"` field of a contract document: serialized as the number `N`, and
/// deserializing anything else fails with [`ContractError::UnsupportedVersion`]. A
/// zero-sized marker: a `HeartbeatV1` cannot hold another version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Version<const N: u32>;

impl<const N: u32> Version<N> {
    /// The version number.
    pub const NUMBER: u32 = N;
}

impl<const N: u32> fmt::Display for Version<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{N}")
    }
}

impl<const N: u32> serde::Serialize for Version<N> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(N)
    }
}

impl<'de, const N: u32> serde::Deserialize<'de> for Version<N> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let version = u64::deserialize(d)?;
        if version == u64::from(N) {
            Ok(Self)
        } else {
            Err(serde::de::Error::custom(
                ContractError::UnsupportedVersion {
                    version,
                    expected: N,
                },
            ))
        }
    }
}

/// Only the `"version"` of a contract document; every other field is ignored.
///
/// The plane deserializes a body as this first, so a document of another version is answered
/// with a 400 naming the version (`unsupported contract version 2: this endpoint accepts
/// version 1`) rather than with whatever field of the new shape happens to fail first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
pub struct ContractVersion {
    /// The version the sender speaks.
    pub version: u64,
}

impl ContractVersion {
    /// Whether the document is of version `expected`.
    pub fn require(self, expected: u32) -> Result<(), ContractError> {
        if self.version == u64::from(expected) {
            Ok(())
        } else {
            Err(ContractError::UnsupportedVersion {
                version: self.version,
                expected,
            })
        }
    }
}
