//! `ContractError`: why a contract document is invalid, naming the field and the bad value.

use std::fmt;

/// Where a bad value sits in a contract document, e.g. `software_version` or
/// `devices[3].charge_ratio`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Field {
    device: Option<usize>,
    name: &'static str,
}

impl Field {
    /// A top-level field.
    pub const fn top(name: &'static str) -> Self {
        Self { device: None, name }
    }

    /// A field of the device summary at `index` in `devices`.
    pub const fn device(index: usize, name: &'static str) -> Self {
        Self {
            device: Some(index),
            name,
        }
    }

    /// The field's JSON name (`charge_ratio`).
    pub fn name(self) -> &'static str {
        self.name
    }

    /// Index into `devices`, for a device summary field.
    pub fn device_index(self) -> Option<usize> {
        self.device
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.device {
            Some(i) => write!(f, "devices[{i}].{}", self.name),
            None => f.write_str(self.name),
        }
    }
}

/// The start of an offending value, safe to echo in an error: at most
/// [`Excerpt::MAX_CHARS`] characters, displayed quoted and escaped (so control characters
/// cannot forge log lines), with `…` when cut.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excerpt {
    text: String,
    is_truncated: bool,
}

impl Excerpt {
    /// The most characters of a value an error repeats.
    pub const MAX_CHARS: usize = 64;

    /// The first [`Excerpt::MAX_CHARS`] characters of `value`.
    pub fn new(value: &str) -> Self {
        match value.char_indices().nth(Self::MAX_CHARS) {
            Some((cut, _)) => Self {
                text: value[..cut].to_owned(),
                is_truncated: true,
            },
            None => Self {
                text: value.to_owned(),
                is_truncated: false,
            },
        }
    }

    /// The kept characters, unescaped.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the value was longer than what is kept.
    pub fn is_truncated(&self) -> bool {
        self.is_truncated
    }
}

impl fmt::Display for Excerpt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.text)?;
        if self.is_truncated {
            f.write_str("…")?;
        }
        Ok(())
    }
}

/// Why a register request, register response or heartbeat breaks the contract.
///
/// Every variant names the [`Field`] and, except for leases (credentials, never echoed), the
/// offending value; text is cut to an [`Excerpt`]. The plane answers 400 with this message.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ContractError {
    /// The document's `"version"` is not the one the receiving type implements.
    #[error("unsupported contract version {version}: this endpoint accepts version {expected}")]
    UnsupportedVersion {
        /// The version sent.
        version: u64,
        /// The version expected.
        expected: u32,
    },
    /// A required text field is empty.
    #[error("{field} is empty")]
    Empty {
        /// Where.
        field: Field,
    },
    /// A text field is longer than its bound.
    #[error("{field} is {len} characters long, longer than {max}")]
    TooLong {
        /// Where.
        field: Field,
        /// Its length in characters.
        len: usize,
        /// The bound.
        max: usize,
    },
    /// A text field contains a character outside its alphabet.
    #[error("{field} = {value}: may only contain {allowed}")]
    BadCharacter {
        /// Where.
        field: Field,
        /// The value.
        value: Excerpt,
        /// The alphabet, in words.
        allowed: &'static str,
    },
    /// A lease is not 1 to 128 visible ASCII characters. The value is a credential and is
    /// never repeated.
    #[error(
        "{field} is not a lease the plane issues ({len} characters; expected 1 to 128 visible ASCII characters)"
    )]
    BadLease {
        /// Where.
        field: Field,
        /// Its length in characters.
        len: usize,
    },
    /// A scrape target is not `host:port`.
    #[error("{field} = {value}: {reason}")]
    BadScrapeTarget {
        /// Where.
        field: Field,
        /// The value.
        value: Excerpt,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A device source is neither `nut` nor `snmp`.
    #[error("{field} = {value}: expected \"nut\" or \"snmp\"")]
    UnknownSource {
        /// Where.
        field: Field,
        /// The value.
        value: Excerpt,
    },
    /// A list has more entries than its bound.
    #[error("{field} has {count} entries, more than {max}")]
    TooMany {
        /// Where.
        field: Field,
        /// Entries sent.
        count: usize,
        /// The bound.
        max: usize,
    },
    /// A status token outside the version-1 flag set (unknown tokens are dropped by the
    /// sender, never forwarded).
    #[error("{field} = {value}: not a version 1 status flag")]
    UnknownStatusToken {
        /// Where.
        field: Field,
        /// The token.
        value: Excerpt,
    },
    /// A value that must be unique in its list appears twice.
    #[error("{field} = {value}: listed more than once")]
    Duplicate {
        /// Where.
        field: Field,
        /// The repeated value.
        value: Excerpt,
    },
    /// A number is not finite or outside its range.
    #[error("{field} = {value}: out of range {min}..={max}")]
    OutOfRange {
        /// Where.
        field: Field,
        /// The value.
        value: f64,
        /// Smallest allowed.
        min: f64,
        /// Largest allowed.
        max: f64,
    },
    /// An integer is outside its range.
    #[error("{field} = {value}: out of range {min}..={max}")]
    IntegerOutOfRange {
        /// Where.
        field: Field,
        /// The value.
        value: u64,
        /// Smallest allowed.
        min: u64,
        /// Largest allowed.
        max: u64,
    },
}
