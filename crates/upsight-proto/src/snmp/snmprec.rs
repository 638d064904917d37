//! The snmpsim `.snmprec` recording format: one `OID|TAG|VALUE` record per line, the way
//! snmpsim serves device walks and LibreNMS and snmpsim-data ship them.
//!
//! Input is bytes, not text: recordings in the wild have CRLF line ends and non-UTF-8 string
//! values. Tags are the BER tag numbers in decimal (`2` INTEGER, `4` OCTET STRING, `64`
//! IpAddress…); an `x` suffix on a string-like tag (`4x`, `64x`, `68x`) means the value is
//! hex. A variation-module tag (`TAG:module|params`) is understood for `writecache`, whose
//! `value=` parameter is the initial value; other modules and unknown tags are reported as
//! skipped rather than failing the whole file.

use std::borrow::Cow;
use std::net::Ipv4Addr;
use std::num::IntErrorKind;
use std::str::FromStr;

use super::ber::is_encodable;
use super::{Oid, Value};

/// A parsed recording.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recording {
    /// Every served record in walk order (sorted by OID). Of records with the same OID, the
    /// first in the file is kept, as snmpsim does.
    pub entries: Vec<(Oid, Value)>,
    /// Well-formed records that cannot be served statically, in file order.
    pub skipped: Vec<SkippedLine>,
}

/// A record left out of [`Recording::entries`], and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedLine {
    /// 1-based line number.
    pub line: usize,
    /// Why it was skipped (unknown tag, unsupported variation module…).
    pub reason: String,
}

/// A record that is malformed (bad OID, number out of range, bad hex…).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct SnmprecError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong, quoting the offending text.
    pub message: String,
}

/// Parses a whole recording. Blank lines and lines starting with `#` are ignored.
pub fn parse_snmprec(text: &[u8]) -> Result<Recording, SnmprecError> {
    let mut recording = Recording::default();
    for (index, raw) in text.split(|&b| b == b'\n').enumerate() {
        let line = index + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let trimmed = raw.trim_ascii();
        if trimmed.is_empty() || trimmed.starts_with(b"#") {
            continue;
        }
        match parse_record(raw) {
            Ok(Record::Entry(oid, value)) => recording.entries.push((oid, value)),
            Ok(Record::Skipped(reason)) => recording.skipped.push(SkippedLine { line, reason }),
            Err(message) => return Err(SnmprecError { line, message }),
        }
    }
    // A stable sort keeps duplicates in file order, so `dedup_by` keeps the first.
    recording.entries.sort_by(|a, b| a.0.cmp(&b.0));
    recording
        .entries
        .dedup_by(|later, earlier| later.0 == earlier.0);
    Ok(recording)
}

enum Record {
    Entry(Oid, Value),
    Skipped(String),
}

fn parse_record(raw: &[u8]) -> Result<Record, String> {
    let mut fields = raw.splitn(3, |&b| b == b'|');
    let (Some(oid), Some(tag), Some(value)) = (fields.next(), fields.next(), fields.next()) else {
        return Err(format!("expected OID|TAG|VALUE, got {}", shown(raw)));
    };
    let oid = parse_oid(oid)?;
    let Ok(tag) = std::str::from_utf8(tag) else {
        return Ok(Record::Skipped(format!("unknown tag {}", shown(tag))));
    };
    let (tag, module) = match tag.split_once(':') {
        Some((tag, module)) => (tag, Some(module)),
        None => (tag, None),
    };
    let value = match module {
        None => value,
        Some("writecache") => match writecache_value(value) {
            Some(value) => value,
            None => {
                return Ok(Record::Skipped(format!(
                    "writecache record without a value= parameter: {}",
                    shown(value)
                )));
            }
        },
        Some(other) => {
            return Ok(Record::Skipped(format!(
                "variation module {other:?} is not supported"
            )));
        }
    };
    Ok(match parse_value(tag, value)? {
        Some(value) => Record::Entry(oid, value),
        None => Record::Skipped(format!("unknown tag {tag:?}")),
    })
}

/// `Ok(None)` for a tag this format does not define (or `x` on a tag that is not a string).
fn parse_value(tag: &str, value: &[u8]) -> Result<Option<Value>, String> {
    let (base, is_hex) = match tag.strip_suffix('x') {
        Some(base) => (base, true),
        None => (tag, false),
    };
    let bytes = || -> Result<Cow<'_, [u8]>, String> {
        if is_hex {
            decode_hex(value).map(Cow::Owned)
        } else {
            Ok(Cow::Borrowed(value))
        }
    };
    Ok(Some(match (base, is_hex) {
        ("2", false) => Value::Integer(i64::from(parse_number::<i32>(value, "Integer32")?)),
        ("4", _) => Value::OctetString(bytes()?.into_owned()),
        ("5", false) => Value::Null,
        ("6", false) => Value::Oid(parse_oid(value)?),
        ("64", false) => Value::IpAddress(parse_ip(value)?),
        ("64", true) => Value::IpAddress(
            bytes()?
                .as_ref()
                .try_into()
                .map_err(|_| format!("IpAddress {} is not 4 bytes", shown(value)))?,
        ),
        ("65", false) => Value::Counter32(parse_number(value, "Counter32")?),
        ("66", false) => Value::Gauge32(parse_number(value, "Gauge32")?),
        ("67", false) => Value::TimeTicks(parse_number(value, "TimeTicks")?),
        ("68", _) => Value::Opaque(bytes()?.into_owned()),
        ("70", false) => Value::Counter64(parse_number(value, "Counter64")?),
        _ => return Ok(None),
    }))
}

/// snmpsim's writecache parameters are `key=value` pairs separated by commas.
fn writecache_value(params: &[u8]) -> Option<&[u8]> {
    params
        .split(|&b| b == b',')
        .find_map(|param| param.trim_ascii_start().strip_prefix(b"value="))
}

fn parse_oid(text: &[u8]) -> Result<Oid, String> {
    let oid = std::str::from_utf8(text)
        .ok()
        .and_then(|t| Oid::from_str(t).ok())
        .ok_or_else(|| format!("bad OID {}", shown(text)))?;
    if !is_encodable(&oid) {
        return Err(format!("OID {oid} cannot be encoded in BER"));
    }
    Ok(oid)
}

fn parse_number<T: FromStr<Err = std::num::ParseIntError>>(
    text: &[u8],
    type_name: &str,
) -> Result<T, String> {
    let parsed = std::str::from_utf8(text)
        .map_err(|_| None)
        .and_then(|t| t.trim().parse::<T>().map_err(|e| Some(*e.kind())));
    parsed.map_err(|kind| match kind {
        Some(IntErrorKind::PosOverflow | IntErrorKind::NegOverflow) => {
            format!("{type_name} value {} is out of range", shown(text))
        }
        _ => format!("{type_name} value {} is not a number", shown(text)),
    })
}

fn parse_ip(text: &[u8]) -> Result<[u8; 4], String> {
    std::str::from_utf8(text)
        .ok()
        .and_then(|t| t.trim().parse::<Ipv4Addr>().ok())
        .map(|ip| ip.octets())
        .ok_or_else(|| format!("IpAddress {} is not a dotted quad", shown(text)))
}

fn decode_hex(text: &[u8]) -> Result<Vec<u8>, String> {
    let digits = text.trim_ascii();
    let bad = || format!("bad hex string {}", shown(text));
    if !digits.len().is_multiple_of(2) {
        return Err(bad());
    }
    digits
        .chunks_exact(2)
        .map(|pair| {
            let high = char::from(pair[0]).to_digit(16);
            let low = char::from(pair[1]).to_digit(16);
            match (high, low) {
                // Two hex digits make a byte; `to_digit(16)` is below 16.
                (Some(h), Some(l)) => u8::try_from(h * 16 + l).map_err(|_| bad()),
                _ => Err(bad()),
            }
        })
        .collect()
}

/// The offending text for a message: lossy UTF-8, quoted, cut at 64 characters.
fn shown(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    match text.char_indices().nth(64) {
        Some((cut, _)) => format!("{:?}…", &text[..cut]),
        None => format!("{text:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oid(text: &str) -> Oid {
        text.parse().unwrap()
    }

    fn entries(text: &[u8]) -> Vec<(Oid, Value)> {
        let recording = parse_snmprec(text).unwrap();
        assert_eq!(recording.skipped, []);
        recording.entries
    }

    fn error(text: &[u8]) -> String {
        parse_snmprec(text).unwrap_err().to_string()
    }

    #[test]
    fn parses_every_tag() {
        let text = b"1.3.6.1.2.1.1.1.0|4|APC Web/SNMP Management Card\n\
            1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.318.1.3.2.12\n\
            1.3.6.1.2.1.1.3.0|67|165328680\n\
            1.3.6.1.2.1.1.4.0|4x|61646d696e\n\
            1.3.6.1.2.1.1.7.0|2|-72\n\
            1.3.6.1.2.1.1.8.0|5|\n\
            1.3.6.1.2.1.4.20.1.1.127.0.0.1|64|127.0.0.1\n\
            1.3.6.1.2.1.4.20.1.3.127.0.0.1|64x|ffffff00\n\
            1.3.6.1.2.1.2.2.1.10.1|65|4294967295\n\
            1.3.6.1.2.1.2.2.1.5.1|66|1000000000\n\
            1.3.6.1.2.1.31.1.1.1.6.1|70|18446744073709551615\n\
            1.3.6.1.4.1.2021.10.1.6.1|68x|9f780442f60000\n\
            1.3.6.1.4.1.2021.10.1.6.2|68|raw\n";
        let expected = vec![
            (
                oid("1.3.6.1.2.1.1.1.0"),
                Value::OctetString(b"APC Web/SNMP Management Card".to_vec()),
            ),
            (
                oid("1.3.6.1.2.1.1.2.0"),
                Value::Oid(oid("1.3.6.1.4.1.318.1.3.2.12")),
            ),
            (oid("1.3.6.1.2.1.1.3.0"), Value::TimeTicks(165_328_680)),
            (
                oid("1.3.6.1.2.1.1.4.0"),
                Value::OctetString(b"admin".to_vec()),
            ),
            (oid("1.3.6.1.2.1.1.7.0"), Value::Integer(-72)),
            (oid("1.3.6.1.2.1.1.8.0"), Value::Null),
            (oid("1.3.6.1.2.1.2.2.1.5.1"), Value::Gauge32(1_000_000_000)),
            (oid("1.3.6.1.2.1.2.2.1.10.1"), Value::Counter32(u32::MAX)),
            (
                oid("1.3.6.1.2.1.4.20.1.1.127.0.0.1"),
                Value::IpAddress([127, 0, 0, 1]),
            ),
            (
                oid("1.3.6.1.2.1.4.20.1.3.127.0.0.1"),
                Value::IpAddress([255, 255, 255, 0]),
            ),
            (oid("1.3.6.1.2.1.31.1.1.1.6.1"), Value::Counter64(u64::MAX)),
            (
                oid("1.3.6.1.4.1.2021.10.1.6.1"),
                Value::Opaque(vec![0x9f, 0x78, 0x04, 0x42, 0xf6, 0, 0]),
            ),
            (
                oid("1.3.6.1.4.1.2021.10.1.6.2"),
                Value::Opaque(b"raw".to_vec()),
            ),
        ];
        assert_eq!(entries(text), expected);
    }

    #[test]
    fn sorts_in_walk_order_and_keeps_the_first_duplicate() {
        let text = b"1.3.6.1.2.1.1.10.0|2|10\n1.3.6.1.2.1.1.9.0|2|9\n1.3.6.1.2.1.1.9.0|2|99\n";
        assert_eq!(
            entries(text),
            [
                (oid("1.3.6.1.2.1.1.9.0"), Value::Integer(9)),
                (oid("1.3.6.1.2.1.1.10.0"), Value::Integer(10)),
            ]
        );
    }

    #[test]
    fn comments_blank_lines_crlf_and_raw_bytes() {
        let text = b"#EAST EA9080 UPS\r\n\r\n   \n1.3.6.1.2.1.1.5.0|4|My UPS\r\n\
            1.3.6.1.2.1.88.1.4.2.1.3.6|4|\x80\r\n1.3.6.1.2.1.1.6.0|4|a|b\n";
        assert_eq!(
            entries(text),
            [
                (
                    oid("1.3.6.1.2.1.1.5.0"),
                    Value::OctetString(b"My UPS".to_vec())
                ),
                (
                    oid("1.3.6.1.2.1.1.6.0"),
                    Value::OctetString(b"a|b".to_vec())
                ),
                (
                    oid("1.3.6.1.2.1.88.1.4.2.1.3.6"),
                    Value::OctetString(vec![0x80])
                ),
            ]
        );
        assert_eq!(entries(b""), []);
    }

    #[test]
    fn writecache_records_serve_their_value() {
        let text = b"1.3.6.1.4.1.850.1.1.3.4.3.1.1.1.12.1|2:writecache|value=3\n\
            1.3.6.1.4.1.318.1.1.4.4.2.1.4.1|4:writecache|value=IBM Server 1 PS1\n\
            1.3.6.1.4.1.318.1.1.4.4.2.1.4.2|4x:writecache|value=4142\n";
        assert_eq!(
            entries(text),
            [
                (
                    oid("1.3.6.1.4.1.318.1.1.4.4.2.1.4.1"),
                    Value::OctetString(b"IBM Server 1 PS1".to_vec())
                ),
                (
                    oid("1.3.6.1.4.1.318.1.1.4.4.2.1.4.2"),
                    Value::OctetString(b"AB".to_vec())
                ),
                (
                    oid("1.3.6.1.4.1.850.1.1.3.4.3.1.1.1.12.1"),
                    Value::Integer(3)
                ),
            ]
        );
    }

    #[test]
    fn skips_other_modules_and_unknown_tags() {
        let text = b"1.3.6.1.2.1.1.1.0|4|ok\n\
            1.3.6.1.4.1.318.1.1.26.9.2.3.1.5.1|2:numeric|min=1,max=2,wrap=1,initial=2\n\
            1.3.6.1.2.1.1.2.0|99|what\n\
            1.3.6.1.2.1.1.3.0|2x|00\n\
            1.3.6.1.2.1.1.4.0|4:writecache|initial=3\n";
        let recording = parse_snmprec(text).unwrap();
        assert_eq!(recording.entries.len(), 1);
        let skipped: Vec<(usize, &str)> = recording
            .skipped
            .iter()
            .map(|s| (s.line, s.reason.as_str()))
            .collect();
        assert_eq!(
            skipped,
            [
                (2, "variation module \"numeric\" is not supported"),
                (3, "unknown tag \"99\""),
                (4, "unknown tag \"2x\""),
                (
                    5,
                    "writecache record without a value= parameter: \"initial=3\""
                ),
            ]
        );
    }

    #[test]
    fn errors_name_the_line_and_the_text() {
        let cases: &[(&[u8], &str)] = &[
            (
                b"1.3.6.1|2|2147483648",
                "line 1: Integer32 value \"2147483648\" is out of range",
            ),
            (
                b"1.3.6.1|2|-2147483649",
                "line 1: Integer32 value \"-2147483649\" is out of range",
            ),
            (
                b"#c\n1.3.6.1|65|4294967296",
                "line 2: Counter32 value \"4294967296\" is out of range",
            ),
            (
                b"1.3.6.1|66|-1",
                "line 1: Gauge32 value \"-1\" is not a number",
            ),
            (
                b"1.3.6.1|67|12s",
                "line 1: TimeTicks value \"12s\" is not a number",
            ),
            (
                b"1.3.6.1|70|18446744073709551616",
                "line 1: Counter64 value \"18446744073709551616\" is out of range",
            ),
            (b"1.3.x.1|2|1", "line 1: bad OID \"1.3.x.1\""),
            (b"1.3.6.1|6|1.3.\xff", "line 1: bad OID \"1.3.\u{fffd}\""),
            (b"1|2|1", "line 1: OID 1 cannot be encoded in BER"),
            (
                b"1.3.6.1|2",
                "line 1: expected OID|TAG|VALUE, got \"1.3.6.1|2\"",
            ),
            (b"1.3.6.1|4x|abc", "line 1: bad hex string \"abc\""),
            (b"1.3.6.1|4x|zz", "line 1: bad hex string \"zz\""),
            (
                b"1.3.6.1|64|10.0.0",
                "line 1: IpAddress \"10.0.0\" is not a dotted quad",
            ),
            (
                b"1.3.6.1|64x|0a00",
                "line 1: IpAddress \"0a00\" is not 4 bytes",
            ),
        ];
        for (text, message) in cases {
            assert_eq!(error(text), *message);
        }
        let long = [&b"1.3.6.1|2|"[..], &[b'9'; 100]].concat();
        assert!(error(&long).ends_with("\"… is out of range"));
    }
}
