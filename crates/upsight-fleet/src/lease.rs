//! Lease secrets: generating them, and keeping only their HMAC-SHA256 digests.
//!
//! A lease is 256 random bits, sent to the member once (hex, 64 characters) and never stored:
//! the plane keeps `HMAC-SHA256(key, lease)` under a [`LeaseKey`] of its own, so a leaked state
//! file or backup holds nothing a member could present. Digests are compared in constant time.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The plane's secret for lease digests: 32 random bytes, generated once and kept in the state
/// file (hex). `Debug` prints `<redacted>`.
#[derive(Clone)]
pub struct LeaseKey {
    bytes: [u8; 32],
    /// HMAC-SHA256 keyed with `bytes`, nothing hashed yet: every digest starts from a copy, so
    /// the two key blocks are hashed once per key rather than once per lease.
    keyed: Hmac<Sha256>,
}

/// The operating system's random source failed (no lease or key can be made).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the operating system's random source failed: {0}")]
pub struct RandomError(getrandom::Error);

/// The HMAC-SHA256 digest of a lease under a [`LeaseKey`]: what the registry stores.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct LeaseDigest([u8; 32]);

// === impl LeaseKey ===

impl LeaseKey {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> Result<Self, RandomError> {
        random_bytes().map(Self::from_bytes)
    }

    /// A key with the given bytes (tests and fixtures; production keys come from
    /// [`LeaseKey::generate`]).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        let keyed =
            Hmac::<Sha256>::new_from_slice(&bytes).expect("HMAC accepts keys of any length");
        Self { bytes, keyed }
    }

    /// The digest of `lease` under this key.
    pub(crate) fn digest(&self, lease: &str) -> LeaseDigest {
        let mut mac = self.keyed.clone();
        mac.update(lease.as_bytes());
        LeaseDigest(mac.finalize().into_bytes().into())
    }
}

impl PartialEq for LeaseKey {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl Eq for LeaseKey {}

impl fmt::Debug for LeaseKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LeaseKey(<redacted>)")
    }
}

impl serde::Serialize for LeaseKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&encode_hex(&self.bytes))
    }
}

impl<'de> serde::Deserialize<'de> for LeaseKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize_32(d, "lease key").map(Self::from_bytes)
    }
}

// === impl LeaseDigest ===

impl LeaseDigest {
    /// Whether `self` and `other` are equal, in time independent of where they differ (so a
    /// forger learns nothing from response timing).
    pub(crate) fn ct_eq(&self, other: &Self) -> bool {
        let diff = self
            .0
            .iter()
            .zip(&other.0)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        std::hint::black_box(diff) == 0
    }
}

impl fmt::Debug for LeaseDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LeaseDigest({})", encode_hex(&self.0))
    }
}

impl serde::Serialize for LeaseDigest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&encode_hex(&self.0))
    }
}

impl<'de> serde::Deserialize<'de> for LeaseDigest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize_32(d, "lease digest").map(Self)
    }
}

// === leases ===

/// A fresh lease: 256 random bits as 64 lowercase hex characters (valid for the contract's
/// 1–128 visible ASCII characters).
pub(crate) fn generate_lease() -> Result<String, RandomError> {
    random_bytes().map(|bytes| encode_hex(&bytes))
}

fn random_bytes() -> Result<[u8; 32], RandomError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(RandomError)?;
    Ok(bytes)
}

fn encode_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|b| [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 0x0f)]])
        .map(char::from)
        .collect()
}

fn decode_hex_32(s: &str) -> Option<[u8; 32]> {
    let digits = s.as_bytes();
    if digits.len() != 64 {
        return None;
    }
    let nibble = |c: u8| {
        char::from(c)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    };
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        *byte = (nibble(pair[0])? << 4) | nibble(pair[1])?;
    }
    Some(out)
}

/// Deserializes 64 hex digits; the error never echoes the value (it may be a secret).
fn deserialize_32<'de, D: serde::Deserializer<'de>>(
    d: D,
    what: &str,
) -> Result<[u8; 32], D::Error> {
    let s = <String as serde::Deserialize>::deserialize(d)?;
    decode_hex_32(&s).ok_or_else(|| {
        serde::de::Error::custom(format_args!(
            "{what}: expected 64 hex digits, got {} characters",
            s.len()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leases_are_random_hex() {
        let a = generate_lease().unwrap();
        let b = generate_lease().unwrap();
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
        assert_eq!(decode_hex_32(&a).map(|x| encode_hex(&x)), Some(a));
    }

    #[test]
    fn digests_depend_on_key_and_lease() {
        let k1 = LeaseKey::from_bytes([1; 32]);
        let k2 = LeaseKey::from_bytes([2; 32]);
        assert!(k1.digest("l").ct_eq(&k1.digest("l")));
        assert!(!k1.digest("l").ct_eq(&k1.digest("m")));
        assert!(!k1.digest("l").ct_eq(&k2.digest("l")));
    }

    #[test]
    fn key_is_redacted_and_round_trips() {
        let key = LeaseKey::generate().unwrap();
        assert_eq!(format!("{key:?}"), "LeaseKey(<redacted>)");
        let json = serde_json::to_string(&key).unwrap();
        assert_eq!(serde_json::from_str::<LeaseKey>(&json).unwrap(), key);
        for bad in ["\"zz\"", "\"\"", &format!("\"{}\"", "g".repeat(64))] {
            let e = serde_json::from_str::<LeaseKey>(bad)
                .unwrap_err()
                .to_string();
            assert!(e.contains("expected 64 hex digits"), "{e}");
        }
    }
}
