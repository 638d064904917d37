//! `MemberId` and `GroupName`: the identifiers of a fleet member, valid by construction.

use std::fmt;
use std::str::FromStr;

use super::{ContractError, Excerpt, Field};

/// The most characters of a [`MemberId`] or [`GroupName`].
const MAX_ID_LEN: usize = 64;

/// The alphabet of identifiers, in words (for errors).
const ID_ALPHABET: &str = "ASCII letters, digits, '_', '.' and '-'";

/// Checks `s` against the identifier rule: 1 to 64 characters of `A-Z a-z 0-9 _ . -`.
fn parse_id(field: Field, s: &str) -> Result<String, ContractError> {
    check_id(field, s)?;
    Ok(s.to_owned())
}

/// Whether `s` is a valid identifier for `field`.
fn check_id(field: Field, s: &str) -> Result<(), ContractError> {
    if s.is_empty() {
        return Err(ContractError::Empty { field });
    }
    let len = s.chars().count();
    if len > MAX_ID_LEN {
        return Err(ContractError::TooLong {
            field,
            len,
            max: MAX_ID_LEN,
        });
    }
    if !s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
    {
        return Err(ContractError::BadCharacter {
            field,
            value: Excerpt::new(s),
            allowed: ID_ALPHABET,
        });
    }
    Ok(())
}

/// The identity of one exporter in the fleet (the `identity` field): a UUID the exporter
/// generated and persisted, or an id set in its configuration. 1 to 64 characters of ASCII
/// letters, digits, `_`, `.` and `-`.
///
/// Not derived from a host name, address or serial number (design.md §4.3, the no-PII
/// invariant): an explicit id is the operator's choice.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct MemberId(String);

impl MemberId {
    /// The most characters.
    pub const MAX_LEN: usize = MAX_ID_LEN;

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for MemberId {
    type Err = ContractError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_id(Field::top("identity"), s).map(Self)
    }
}

impl fmt::Display for MemberId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for MemberId {
    /// Like [`FromStr`], keeping the deserialized string rather than copying it.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        check_id(Field::top("identity"), &s).map_err(serde::de::Error::custom)?;
        Ok(Self(s))
    }
}

/// The site or group a member belongs to (the `group` field; member numbers are stable per
/// group). 1 to 64 characters of ASCII letters, digits, `_`, `.` and `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct GroupName(String);

impl GroupName {
    /// The most characters.
    pub const MAX_LEN: usize = MAX_ID_LEN;

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for GroupName {
    type Err = ContractError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_id(Field::top("group"), s).map(Self)
    }
}

impl fmt::Display for GroupName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for GroupName {
    /// Like [`FromStr`], keeping the deserialized string rather than copying it.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        check_id(Field::top("group"), &s).map_err(serde::de::Error::custom)?;
        Ok(Self(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_and_invalid() {
        for ok in [
            "6f1c2a9e-3b7d-4c1e-9a0f-2d5e8b7c4a13",
            "exporter_01.rack-a",
            &"x".repeat(64),
        ] {
            assert_eq!(ok.parse::<MemberId>().unwrap().as_str(), ok);
            assert_eq!(ok.parse::<GroupName>().unwrap().to_string(), ok);
        }
        assert_eq!(
            "".parse::<MemberId>(),
            Err(ContractError::Empty {
                field: Field::top("identity")
            })
        );
        assert_eq!(
            "y".repeat(65).parse::<GroupName>(),
            Err(ContractError::TooLong {
                field: Field::top("group"),
                len: 65,
                max: 64
            })
        );
        for bad in ["a b", "a/b", "ü", "a:b", "a\nb", "host@example"] {
            assert!(
                matches!(
                    bad.parse::<MemberId>(),
                    Err(ContractError::BadCharacter { .. })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn errors_are_escaped() {
        let e = "a\nb".parse::<MemberId>().unwrap_err().to_string();
        assert_eq!(
            e,
            "identity = \"a\\nb\": may only contain ASCII letters, digits, '_', '.' and '-'"
        );
    }
}
