//! Object identifiers: dotted arcs, ordered the way SNMP orders them (arc by arc).

use std::fmt;
use std::str::FromStr;

/// An object identifier. `Ord` is the SNMP lexicographic order, so a sorted list of OIDs is a
/// walk order and "increasing" means what GETNEXT promises.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Oid(Vec<u32>);

/// Why text is not an OID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseOidError {
    /// Nothing to parse.
    #[error("empty object identifier")]
    Empty,
    /// An arc that is not a number up to 2^32-1.
    #[error("bad arc {arc:?} in object identifier {text:?}")]
    BadArc {
        /// The offending arc.
        arc: String,
        /// The whole text.
        text: String,
    },
    /// More arcs than SNMP allows (128).
    #[error("object identifier has {0} arcs, more than 128")]
    TooLong(usize),
}

/// SNMP limits an OID to 128 sub-identifiers (RFC 3416 §4.1).
pub const MAX_ARCS: usize = 128;

impl Oid {
    /// An OID from its arcs.
    pub fn new(arcs: Vec<u32>) -> Self {
        Self(arcs)
    }

    /// The arcs.
    pub fn arcs(&self) -> &[u32] {
        &self.0
    }

    /// Whether `self` is `prefix` or lies under it.
    pub fn starts_with(&self, prefix: &Oid) -> bool {
        self.0.starts_with(&prefix.0)
    }

    /// The arcs after `prefix`, if `self` lies strictly under it.
    pub fn suffix_after(&self, prefix: &Oid) -> Option<&[u32]> {
        (self.0.len() > prefix.0.len() && self.starts_with(prefix))
            .then(|| &self.0[prefix.0.len()..])
    }

    /// `self` with `arc` appended.
    pub fn child(&self, arc: u32) -> Oid {
        let mut arcs = self.0.clone();
        arcs.push(arc);
        Oid(arcs)
    }

    /// Number of arcs.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no arcs.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromStr for Oid {
    type Err = ParseOidError;

    /// Parses `1.3.6.1.2.1.33.1.2.4.0`, with or without a leading dot.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let body = text.trim().strip_prefix('.').unwrap_or(text.trim());
        if body.is_empty() {
            return Err(ParseOidError::Empty);
        }
        let arcs = body
            .split('.')
            .map(|arc| {
                if arc.is_empty() || !arc.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(ParseOidError::BadArc {
                        arc: arc.to_owned(),
                        text: text.to_owned(),
                    });
                }
                arc.parse::<u32>().map_err(|_| ParseOidError::BadArc {
                    arc: arc.to_owned(),
                    text: text.to_owned(),
                })
            })
            .collect::<Result<Vec<u32>, _>>()?;
        if arcs.len() > MAX_ARCS {
            return Err(ParseOidError::TooLong(arcs.len()));
        }
        Ok(Oid(arcs))
    }
}

impl fmt::Display for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, arc) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{arc}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Oid({self})")
    }
}

impl From<&[u32]> for Oid {
    fn from(arcs: &[u32]) -> Self {
        Oid(arcs.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_with_and_without_leading_dot() {
        let a: Oid = ".1.3.6.1.2.1.33".parse().unwrap();
        let b: Oid = "1.3.6.1.2.1.33".parse().unwrap();
        assert_eq!(a, b);
        assert_eq!(a.to_string(), "1.3.6.1.2.1.33");
    }

    #[test]
    fn rejects_bad_text_naming_it() {
        assert_eq!("".parse::<Oid>(), Err(ParseOidError::Empty));
        let err = "1.3.x.4".parse::<Oid>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "bad arc \"x\" in object identifier \"1.3.x.4\""
        );
        assert!("1..3".parse::<Oid>().is_err());
        assert!("1.3.99999999999".parse::<Oid>().is_err());
        assert!("1.-3".parse::<Oid>().is_err());
        let long = vec!["1"; 129].join(".");
        assert_eq!(long.parse::<Oid>(), Err(ParseOidError::TooLong(129)));
    }

    #[test]
    fn orders_arc_by_arc_like_getnext() {
        let o = |s: &str| s.parse::<Oid>().unwrap();
        assert!(o("1.3.6.1.2") < o("1.3.6.1.2.0"));
        assert!(o("1.3.6.1.2.9") < o("1.3.6.1.2.10"));
        assert!(o("1.3.6.1.3") > o("1.3.6.1.2.99.1"));
    }

    #[test]
    fn prefixes_and_suffixes() {
        let root: Oid = "1.3.6.1.2.1.33.1.4.4.1.2".parse().unwrap();
        let row = root.child(3);
        assert!(row.starts_with(&root));
        assert_eq!(row.suffix_after(&root), Some(&[3][..]));
        assert_eq!(root.suffix_after(&root), None);
        assert!(!root.starts_with(&row));
    }
}
