//! The profile tables as documentation rows (for the generated metrics reference).

use super::Profile;
use super::table::{Absent, Column, Conv, Mib, Scalar, StatusSource, Total};

/// One row of a profile's tables, described for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowDoc {
    /// The object: a scalar with its `.0`, or a column root followed by `.N` (the line).
    pub oid: String,
    /// The NUT variable(s) it feeds.
    pub vars: String,
    /// How the raw value becomes the NUT unit, and which raw values mean "absent".
    pub conversion: String,
}

impl Profile {
    /// This profile's own rows (without the UPS-MIB underneath a vendor profile), in table order.
    pub fn describe(&self) -> Vec<RowDoc> {
        describe_mib(self.mib)
    }

    /// Whether the RFC 1628 UPS-MIB is read under this profile for what it lacks.
    pub fn has_ups_mib_fallback(&self) -> bool {
        self.fallback.is_some()
    }

    /// sysObjectID prefixes that select this profile.
    pub fn sys_object_ids(&self) -> &'static [&'static str] {
        self.sys_object_ids
    }

    /// Vendors whose units differ from the MIB's, recognised by an identity prefix, with the
    /// objects affected: `(identity prefix, [(oid, conversion)])`.
    pub fn quirks(&self) -> Vec<(&'static str, Vec<(String, String)>)> {
        self.mib
            .quirks
            .iter()
            .map(|q| {
                let units = q
                    .units
                    .iter()
                    .map(|(oid, conv)| ((*oid).to_owned(), conv_text(*conv).to_owned()))
                    .collect();
                (q.ident_prefix, units)
            })
            .collect()
    }
}

fn describe_mib(mib: &Mib) -> Vec<RowDoc> {
    let mut rows: Vec<RowDoc> = mib.scalars.iter().map(scalar).collect();
    for lines in mib.lines {
        if let Some(count) = lines.count {
            rows.push(RowDoc {
                oid: count.to_owned(),
                vars: "(number of lines: rows above it are ignored)".to_owned(),
                conversion: "count".to_owned(),
            });
        }
        rows.extend(lines.columns.iter().map(column));
    }
    rows.extend(mib.status.iter().map(status));
    rows
}

fn scalar(row: &Scalar) -> RowDoc {
    RowDoc {
        oid: row.oid.to_owned(),
        vars: format!("`{}`", row.var),
        conversion: with_absent(conv_text(row.conv), row.absent),
    }
}

fn column(c: &Column) -> RowDoc {
    let mut names = Vec::new();
    match (c.one, c.each) {
        (Some(one), Some(each)) => names.push(format!("`{one}` (one line), `{each}`")),
        (Some(one), None) => names.push(format!("`{one}` (line 1)")),
        (None, Some(each)) => names.push(format!("`{each}`")),
        (None, None) => {}
    }
    match c.total {
        Some(Total::Sum(name)) => names.push(format!("`{name}` (sum of lines)")),
        Some(Total::Max(name)) => names.push(format!("`{name}` (largest line)")),
        None => {}
    }
    RowDoc {
        oid: format!("{}.N", c.root),
        vars: names.join(", "),
        conversion: with_absent(conv_text(c.conv), c.absent),
    }
}

fn status(source: &StatusSource) -> RowDoc {
    let (oid, conversion) = match *source {
        StatusSource::Enum { oid, map } => {
            let values: Vec<String> = map
                .iter()
                .map(|(v, flags)| format!("{v}→{}", tokens(flags)))
                .collect();
            (oid.to_owned(), format!("enum: {}", values.join(", ")))
        }
        StatusSource::Bits { oid, map } => {
            let values: Vec<String> = map
                .iter()
                .map(|(bit, flags)| format!("flag {bit}→{}", tokens(flags)))
                .collect();
            (oid.to_owned(), format!("0/1 string: {}", values.join(", ")))
        }
        StatusSource::Alarms {
            column, known, map, ..
        } => {
            let values: Vec<String> = map
                .iter()
                .map(|(k, flags)| format!("{known}.{k}→{}", tokens(flags)))
                .collect();
            (
                format!("{column}.N"),
                format!(
                    "alarm rows naming {}; other alarms → ALARM",
                    values.join(", ")
                ),
            )
        }
    };
    RowDoc {
        oid,
        vars: "`ups.status`".to_owned(),
        conversion,
    }
}

fn tokens(flags: &[super::table::Flag]) -> String {
    flags
        .iter()
        .map(|f| f.token())
        .collect::<Vec<_>>()
        .join(" ")
}

fn conv_text(conv: Conv) -> &'static str {
    match conv {
        Conv::Text => "text",
        Conv::Unit => "as sent",
        Conv::Tenths => "÷ 10",
        Conv::Minutes => "minutes × 60",
        Conv::Hundredths => "÷ 100",
        Conv::NominalHertz => "÷ 10 (a value below 100 is whole hertz)",
    }
}

fn with_absent(text: &str, absent: Absent) -> String {
    match absent {
        Absent::Never => text.to_owned(),
        Absent::Negative => format!("{text}; negative = absent"),
        Absent::Is(values) => {
            let values: Vec<String> = values.iter().map(i64::to_string).collect();
            format!("{text}; {} = absent", values.join(", "))
        }
    }
}
