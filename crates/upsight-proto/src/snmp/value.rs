//! Typed SNMP values (SMIv2 application types and the v2c exceptions).

use super::Oid;

/// One varbind value as the agent sent it. Conversions are by ASN.1 type (a `TimeTicks` is
/// hundredths of a second whatever the object is called), so the type is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// INTEGER / Integer32.
    Integer(i64),
    /// OCTET STRING (DisplayString, bit strings, MAC addresses): raw bytes, maybe not UTF-8.
    OctetString(Vec<u8>),
    /// NULL (what a request carries).
    Null,
    /// OBJECT IDENTIFIER.
    Oid(Oid),
    /// IpAddress.
    IpAddress([u8; 4]),
    /// Counter32.
    Counter32(u32),
    /// Gauge32 / Unsigned32.
    Gauge32(u32),
    /// TimeTicks: hundredths of a second.
    TimeTicks(u32),
    /// Opaque.
    Opaque(Vec<u8>),
    /// Counter64.
    Counter64(u64),
    /// v2c exception: the object does not exist.
    NoSuchObject,
    /// v2c exception: the object exists but not this instance.
    NoSuchInstance,
    /// v2c exception: nothing follows this OID.
    EndOfMibView,
}

impl Value {
    /// Whether this is one of the v2c exceptions (no value).
    pub fn is_exception(&self) -> bool {
        matches!(
            self,
            Self::NoSuchObject | Self::NoSuchInstance | Self::EndOfMibView
        )
    }

    /// The value as an integer, for the numeric types.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Self::Integer(v) => Some(v),
            Self::Counter32(v) | Self::Gauge32(v) | Self::TimeTicks(v) => Some(i64::from(v)),
            Self::Counter64(v) => i64::try_from(v).ok(),
            _ => None,
        }
    }

    /// The value as text: strings decoded leniently (invalid UTF-8 replaced, trailing NULs
    /// and surrounding whitespace removed), numbers in decimal, OIDs dotted.
    pub fn as_text(&self) -> Option<String> {
        match self {
            Self::OctetString(bytes) => {
                let text = String::from_utf8_lossy(bytes);
                Some(text.trim_end_matches('\0').trim().to_owned())
            }
            Self::Oid(oid) => Some(oid.to_string()),
            Self::IpAddress(a) => Some(format!("{}.{}.{}.{}", a[0], a[1], a[2], a[3])),
            other => other.as_i64().map(|v| v.to_string()),
        }
    }

    /// Short type name for diagnostics (`Integer`, `TimeTicks`…).
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Integer(_) => "Integer",
            Self::OctetString(_) => "OctetString",
            Self::Null => "Null",
            Self::Oid(_) => "ObjectIdentifier",
            Self::IpAddress(_) => "IpAddress",
            Self::Counter32(_) => "Counter32",
            Self::Gauge32(_) => "Gauge32",
            Self::TimeTicks(_) => "TimeTicks",
            Self::Opaque(_) => "Opaque",
            Self::Counter64(_) => "Counter64",
            Self::NoSuchObject => "noSuchObject",
            Self::NoSuchInstance => "noSuchInstance",
            Self::EndOfMibView => "endOfMibView",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_text() {
        assert_eq!(Value::TimeTicks(123_400).as_i64(), Some(123_400));
        assert_eq!(Value::Counter64(u64::MAX).as_i64(), None);
        assert_eq!(
            Value::OctetString(b"APC \0\0".to_vec())
                .as_text()
                .as_deref(),
            Some("APC")
        );
        assert_eq!(
            Value::OctetString(vec![0x41, 0xff]).as_text().as_deref(),
            Some("A\u{fffd}")
        );
        assert_eq!(Value::NoSuchObject.as_text(), None);
        assert!(Value::EndOfMibView.is_exception());
    }
}
