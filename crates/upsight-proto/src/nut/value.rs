//! Numeric values as NUT drivers really send them.

/// Parses a NUT numeric value: optional sign, digits, an optional fraction after `.` or `,`
/// (comma decimals occur in the wild, even in the spec's own `battery.voltage.low` example).
///
/// Leading zeros are fine (`"023.4"`). Exponents, thousands separators, `inf`/`nan`, hex and
/// anything else return `None`: such values are kept as text, never guessed at.
pub fn parse_number(text: &str) -> Option<f64> {
    let text = text.trim();
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (int, frac) = match digits.find(['.', ',']) {
        Some(pos) => (&digits[..pos], Some(&digits[pos + 1..])),
        None => (digits, None),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let valid = all_digits(int)
        && frac.is_none_or(all_digits)
        && (!int.is_empty() || frac.is_some_and(|f| !f.is_empty()));
    if !valid {
        return None;
    }
    if frac.is_some() && digits.contains(',') {
        text.replacen(',', ".", 1).parse().ok()
    } else {
        text.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases: &[(&str, Option<f64>)] = &[
            ("100", Some(100.0)),
            ("023.4", Some(23.4)),
            ("21,52", Some(21.52)),
            ("-1", Some(-1.0)),
            ("+5", Some(5.0)),
            (" 230.0 ", Some(230.0)),
            (".5", Some(0.5)),
            ("5.", Some(5.0)),
            ("0764", Some(764.0)),
            ("09ae", None),
            ("1e5", None),
            ("inf", None),
            ("NaN", None),
            ("1,000.5", None),
            ("", None),
            ("-", None),
            (".", None),
            ("enabled", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse_number(text), *want, "{text:?}");
        }
    }
}
