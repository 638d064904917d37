//! `ups.status` tokens as a fixed, documented flag set plus the unknown tokens kept verbatim.

use std::fmt;

/// A status flag. The known set is fixed (it is a metric label set); anything else a driver
/// sends is kept in [`StatusFlag::Other`] rather than dropped (NUT `new-drivers.txt`: clients
/// must accept any token).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StatusFlag {
    /// On line (mains present).
    Ol,
    /// On battery.
    Ob,
    /// Low battery.
    Lb,
    /// High battery.
    Hb,
    /// Replace battery.
    Rb,
    /// Charging.
    Chrg,
    /// Discharging.
    Dischrg,
    /// On bypass: no battery protection.
    Bypass,
    /// Runtime calibration in progress.
    Cal,
    /// Output off.
    Off,
    /// Overloaded.
    Over,
    /// Trimming (buck) the input voltage.
    Trim,
    /// Boosting the input voltage.
    Boost,
    /// Forced shutdown in progress.
    Fsd,
    /// An alarm is active (`ups.alarm`).
    Alarm,
    /// High-efficiency (ECO) mode.
    Eco,
    /// Test in progress.
    Test,
    /// Any other token, as sent.
    Other(String),
}

impl StatusFlag {
    /// The fixed set of known flags, in documentation order.
    pub const KNOWN: [StatusFlag; 17] = [
        Self::Ol,
        Self::Ob,
        Self::Lb,
        Self::Hb,
        Self::Rb,
        Self::Chrg,
        Self::Dischrg,
        Self::Bypass,
        Self::Cal,
        Self::Off,
        Self::Over,
        Self::Trim,
        Self::Boost,
        Self::Fsd,
        Self::Alarm,
        Self::Eco,
        Self::Test,
    ];

    /// Decodes one token. Case-sensitive, as upsd sends them.
    pub fn parse(token: &str) -> Self {
        Self::KNOWN
            .iter()
            .find(|f| f.as_str() == token)
            .cloned()
            .unwrap_or_else(|| Self::Other(token.to_owned()))
    }

    /// The token as NUT spells it.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Ol => "OL",
            Self::Ob => "OB",
            Self::Lb => "LB",
            Self::Hb => "HB",
            Self::Rb => "RB",
            Self::Chrg => "CHRG",
            Self::Dischrg => "DISCHRG",
            Self::Bypass => "BYPASS",
            Self::Cal => "CAL",
            Self::Off => "OFF",
            Self::Over => "OVER",
            Self::Trim => "TRIM",
            Self::Boost => "BOOST",
            Self::Fsd => "FSD",
            Self::Alarm => "ALARM",
            Self::Eco => "ECO",
            Self::Test => "TEST",
            Self::Other(token) => token,
        }
    }
}

impl fmt::Display for StatusFlag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parsed `ups.status`: the set of flags present.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Status {
    flags: Vec<StatusFlag>,
}

/// upsd's placeholder before a driver's first data.
const WAIT: &str = "WAIT";

impl Status {
    /// Parses a space-separated token list; empty tokens are ignored, duplicates collapsed,
    /// unknown tokens kept. `WAIT` is not a flag: see [`Status::is_waiting`].
    pub fn parse(text: &str) -> Self {
        let mut flags: Vec<StatusFlag> = Vec::new();
        for token in text.split_whitespace().filter(|t| *t != WAIT) {
            let flag = StatusFlag::parse(token);
            if !flags.contains(&flag) {
                flags.push(flag);
            }
        }
        Self { flags }
    }

    /// Whether `text` is upsd's `WAIT` placeholder (no data from the driver yet).
    pub fn is_waiting(text: &str) -> bool {
        text.split_whitespace().any(|t| t == WAIT)
    }

    /// Builds a status from flags.
    pub fn from_flags(flags: impl IntoIterator<Item = StatusFlag>) -> Self {
        let mut status = Self::default();
        for flag in flags {
            if !status.flags.contains(&flag) {
                status.flags.push(flag);
            }
        }
        status
    }

    /// Whether `flag` is set.
    pub fn has(&self, flag: &StatusFlag) -> bool {
        self.flags.contains(flag)
    }

    /// All flags, in the order received.
    pub fn flags(&self) -> &[StatusFlag] {
        &self.flags
    }

    /// Tokens outside the known set.
    pub fn others(&self) -> impl Iterator<Item = &str> {
        self.flags.iter().filter_map(|f| match f {
            StatusFlag::Other(t) => Some(t.as_str()),
            _ => None,
        })
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, flag) in self.flags.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(flag.as_str())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fsd_prefix_unknown_tokens_and_whitespace() {
        let s = Status::parse("FSD  OL CHRG HE OL");
        assert_eq!(
            s.flags(),
            &[
                StatusFlag::Fsd,
                StatusFlag::Ol,
                StatusFlag::Chrg,
                StatusFlag::Other("HE".into())
            ]
        );
        assert_eq!(s.others().collect::<Vec<_>>(), ["HE"]);
        assert_eq!(s.to_string(), "FSD OL CHRG HE");
    }

    #[test]
    fn empty_and_wait() {
        assert!(Status::parse("").flags().is_empty());
        assert!(Status::is_waiting("WAIT"));
        assert!(!Status::is_waiting("OL"));
        assert!(Status::parse("WAIT").flags().is_empty());
    }

    #[test]
    fn every_known_flag_round_trips() {
        for flag in StatusFlag::KNOWN {
            assert_eq!(StatusFlag::parse(flag.as_str()), flag);
        }
        assert_eq!(StatusFlag::parse("ol"), StatusFlag::Other("ol".into()));
    }
}
