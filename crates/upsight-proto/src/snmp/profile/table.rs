//! The row types the MIB tables are written in: plain `const` data that says which OID becomes
//! which NUT variable, in which unit, and which raw values mean "not there".

/// How a raw number becomes a value in NUT units. A `TimeTicks` value ignores this: it is always
/// hundredths of a second and becomes seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Conv {
    /// Text, taken as the agent sent it (trimmed; empty means absent).
    Text,
    /// Already in the NUT unit.
    Unit,
    /// Tenths of the NUT unit (0.1 V, 0.1 Hz, 0.1 A, 0.1 %, 0.1 °C).
    Tenths,
    /// Minutes; NUT wants seconds.
    Minutes,
    /// Hundredths of the NUT unit (0.01 Hz; only where a [`Quirk`] says so).
    Hundredths,
    /// A nominal frequency the RFC puts in tenths of a hertz, which several agents send in
    /// whole hertz (Eaton 93E, Huawei UPS5000 send `50`): a raw value below 100 is already
    /// hertz (no UPS is rated for 5 or 6 Hz), anything else is tenths.
    NominalHertz,
}

/// A vendor that fills a standard tree in other units than the standard says, recognised by
/// an identity object's text (e.g. upsIdentManufacturer `HUAWEI`). Each override names a
/// scalar OID or a column root and the unit that vendor really uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Quirk {
    pub(crate) ident_oid: &'static str,
    pub(crate) ident_prefix: &'static str,
    pub(crate) units: &'static [(&'static str, Conv)],
}

/// Raw values that mean "the agent does not know", checked before any scaling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Absent {
    /// Every value is a reading.
    Never,
    /// These exact raw values are sentinels (APC 255 °C, −1 "unsupported").
    Is(&'static [i64]),
    /// Any negative raw value is a sentinel or a reason code (APC efficiency, counts).
    Negative,
}

impl Absent {
    /// Whether `raw` is a sentinel under this rule.
    pub(crate) fn is_sentinel(self, raw: i64) -> bool {
        match self {
            Self::Never => false,
            Self::Is(values) => values.contains(&raw),
            Self::Negative => raw < 0,
        }
    }
}

/// One scalar object (OID with its `.0`) and the variable it feeds. Several rows may feed one
/// variable: the first row in table order that has a value wins, so preferred objects
/// (HighPrec before Adv before Basic) come first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Scalar {
    pub(crate) oid: &'static str,
    pub(crate) var: &'static str,
    pub(crate) conv: Conv,
    pub(crate) absent: Absent,
}

impl Scalar {
    /// A text object.
    pub(crate) const fn text(oid: &'static str, var: &'static str) -> Self {
        Self::num(oid, var, Conv::Text, Absent::Never)
    }

    /// A numeric object with its unit and sentinels.
    pub(crate) const fn num(
        oid: &'static str,
        var: &'static str,
        conv: Conv,
        absent: Absent,
    ) -> Self {
        Self {
            oid,
            var,
            conv,
            absent,
        }
    }
}

/// What a column adds up to over all its rows, whatever the row count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Total {
    /// The sum of the rows (`ups.realpower` from per-line watts).
    Sum(&'static str),
    /// The largest row (`ups.load` from per-line percent load).
    Max(&'static str),
}

/// One column of a per-line table (UPS-MIB input/output/bypass, XUPS input/output/bypass).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Column {
    /// The column OID; rows come back as `root.line` (some agents send `root.line.0`).
    pub(crate) root: &'static str,
    /// The whole-device name used when the table has exactly one row; when it has several and
    /// `each` is `None`, the lowest line feeds it (NUT has no per-phase input frequency).
    pub(crate) one: Option<&'static str>,
    /// The per-line name with `{n}` for the line number, used when there are several rows.
    pub(crate) each: Option<&'static str>,
    pub(crate) total: Option<Total>,
    pub(crate) conv: Conv,
    pub(crate) absent: Absent,
}

impl Column {
    /// A column named `one` for a single row and `each` per line.
    pub(crate) const fn new(
        root: &'static str,
        one: &'static str,
        each: &'static str,
        conv: Conv,
    ) -> Self {
        Self {
            root,
            one: Some(one),
            each: Some(each),
            total: None,
            conv,
            absent: Absent::Never,
        }
    }

    /// A column with one whole-device name, fed by the lowest line when there are several.
    pub(crate) const fn first_line(root: &'static str, one: &'static str, conv: Conv) -> Self {
        Self {
            each: None,
            ..Self::new(root, one, one, conv)
        }
    }

    /// A column with per-line names only (its whole-device meaning is a [`Total`]).
    pub(crate) const fn per_line(root: &'static str, each: &'static str, conv: Conv) -> Self {
        Self {
            one: None,
            ..Self::new(root, each, each, conv)
        }
    }

    /// The same column with a whole-device total as well.
    pub(crate) const fn with_total(self, total: Total) -> Self {
        Self {
            total: Some(total),
            ..self
        }
    }
}

/// A per-line table: its columns and the scalar that says how many lines are real.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Lines {
    /// `upsInputNumLines` and friends: rows above this count are ignored (some agents walk
    /// three zeroed rows for a single-phase unit), and 0 means no rows at all.
    pub(crate) count: Option<&'static str>,
    pub(crate) columns: &'static [Column],
}

/// A `ups.status` token, declared in the order NUT-style status strings list them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Flag {
    Off,
    Ol,
    Ob,
    Bypass,
    Lb,
    Rb,
    Chrg,
    Dischrg,
    Over,
    Trim,
    Boost,
    Eco,
    Cal,
    Test,
    Alarm,
}

impl Flag {
    /// The NUT token.
    pub(crate) fn token(self) -> &'static str {
        match self {
            Self::Off => "OFF",
            Self::Ol => "OL",
            Self::Ob => "OB",
            Self::Bypass => "BYPASS",
            Self::Lb => "LB",
            Self::Rb => "RB",
            Self::Chrg => "CHRG",
            Self::Dischrg => "DISCHRG",
            Self::Over => "OVER",
            Self::Trim => "TRIM",
            Self::Boost => "BOOST",
            Self::Eco => "ECO",
            Self::Cal => "CAL",
            Self::Test => "TEST",
            Self::Alarm => "ALARM",
        }
    }
}

/// Where `ups.status` tokens come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StatusSource {
    /// An enumerated scalar: each listed value adds its tokens; unlisted values add nothing.
    Enum {
        oid: &'static str,
        map: &'static [(i64, &'static [Flag])],
    },
    /// A text scalar of `0`/`1` characters, flag 1 leftmost (APC upsBasicStateOutputState).
    Bits {
        oid: &'static str,
        map: &'static [(usize, &'static [Flag])],
    },
    /// An alarm table column whose values are OIDs naming the alarm (`known.K`): listed `K`s
    /// add their tokens, `quiet` ones add nothing (events, not conditions), anything else ALARM.
    Alarms {
        column: &'static str,
        known: &'static str,
        map: &'static [(u32, &'static [Flag])],
        quiet: &'static [u32],
    },
}

impl StatusSource {
    /// The OID read for this source: a scalar for `Enum`/`Bits`, a column root for `Alarms`.
    pub(crate) fn oid(&self) -> &'static str {
        match *self {
            Self::Enum { oid, .. } | Self::Bits { oid, .. } => oid,
            Self::Alarms { column, .. } => column,
        }
    }
}

/// Everything one MIB contributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Mib {
    pub(crate) scalars: &'static [Scalar],
    pub(crate) lines: &'static [Lines],
    pub(crate) status: &'static [StatusSource],
    /// Identity and status objects: if none of them answers, this MIB is not there.
    pub(crate) presence: &'static [&'static str],
    /// Vendors known to use other units in this MIB.
    pub(crate) quirks: &'static [Quirk],
}

impl Mib {
    /// Every OID string in this MIB's tables, for the "all parse" test.
    #[cfg(test)]
    pub(crate) fn oid_strings(&self) -> impl Iterator<Item = &'static str> + '_ {
        let scalars = self.scalars.iter().map(|s| s.oid);
        let counts = self.lines.iter().filter_map(|l| l.count);
        let columns = self
            .lines
            .iter()
            .flat_map(|l| l.columns.iter().map(|c| c.root));
        let status = self.status.iter().flat_map(|s| {
            let known = match *s {
                StatusSource::Alarms { known, .. } => Some(known),
                _ => None,
            };
            std::iter::once(s.oid()).chain(known)
        });
        scalars
            .chain(counts)
            .chain(columns)
            .chain(status)
            .chain(self.presence.iter().copied())
    }
}
