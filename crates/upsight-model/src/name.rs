//! `UpsName`: the device label, valid by construction.

use std::fmt;
use std::str::FromStr;

/// A device name: the value of the `ups` label, unique per exporter.
///
/// NUT names (ups.conf section names) are at most 64 bytes of ASCII letters, digits and
/// `_ - .`; the same rule keeps label values tame for every source.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct UpsName(String);

/// Why a string is not a valid [`UpsName`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// Empty.
    #[error("device name is empty")]
    Empty,
    /// Longer than 64 bytes.
    #[error("device name {0:?} is longer than 64 bytes")]
    TooLong(String),
    /// Contains a character outside `A-Z a-z 0-9 _ - .`.
    #[error("device name {0:?} may only contain ASCII letters, digits, '_', '-' and '.'")]
    BadCharacter(String),
}

impl FromStr for UpsName {
    type Err = NameError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        check(s)?;
        Ok(Self(s.to_owned()))
    }
}

impl TryFrom<String> for UpsName {
    type Error = NameError;

    /// Like [`FromStr`], keeping the string rather than copying it.
    fn try_from(s: String) -> Result<Self, Self::Error> {
        check(&s)?;
        Ok(Self(s))
    }
}

/// Whether `s` is a valid name.
fn check(s: &str) -> Result<(), NameError> {
    if s.is_empty() {
        return Err(NameError::Empty);
    }
    if s.len() > 64 {
        return Err(NameError::TooLong(s.to_owned()));
    }
    if !s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
    {
        return Err(NameError::BadCharacter(s.to_owned()));
    }
    Ok(())
}

impl UpsName {
    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UpsName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for UpsName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::try_from(String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_and_invalid() {
        for ok in ["ups1", "rack-2.left_A", &"x".repeat(64)] {
            assert_eq!(ok.parse::<UpsName>().unwrap().as_str(), ok);
        }
        assert_eq!("".parse::<UpsName>(), Err(NameError::Empty));
        assert!(matches!(
            "x".repeat(65).parse::<UpsName>(),
            Err(NameError::TooLong(_))
        ));
        for bad in ["a b", "a\"b", "ü", "a{b}", "a\nb"] {
            assert!(
                matches!(bad.parse::<UpsName>(), Err(NameError::BadCharacter(_))),
                "{bad:?}"
            );
        }
    }
}
