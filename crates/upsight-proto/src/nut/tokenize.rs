//! Splits one NUT line into words: spaces separate words, double quotes group them, and a
//! backslash makes the next byte literal (upsd escapes `\`, `"` and `#` inside quotes).

use std::borrow::Cow;

use super::{ParseError, excerpt};

/// One word of a line. Borrowed from the line unless an escape had to be removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word<'a> {
    bytes: Cow<'a, [u8]>,
    quoted: bool,
}

impl<'a> Word<'a> {
    fn empty() -> Self {
        Self {
            bytes: Cow::Borrowed(&[]),
            quoted: false,
        }
    }

    /// The word's bytes with quotes and escapes removed.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Whether the word was (at least partly) double-quoted on the wire.
    pub fn is_quoted(&self) -> bool {
        self.quoted
    }

    /// The word as text; bytes that are not UTF-8 become U+FFFD (device firmware sends them).
    pub fn to_text(&self) -> String {
        text(&self.bytes)
    }

    /// Whether the word equals an ASCII keyword exactly (protocol keywords are case-sensitive).
    pub fn is(&self, keyword: &str) -> bool {
        !self.quoted && *self.bytes == *keyword.as_bytes()
    }
}

/// `bytes` as text; bytes that are not UTF-8 become U+FFFD.
pub(crate) fn text(bytes: &[u8]) -> String {
    // Two of these per list line: `from_utf8` is the cheaper check for the usual valid
    // word, the lossy walk is kept for the rare invalid one.
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// Splits `line` (without its terminator) into words.
///
/// `""` yields an empty word, so an empty value is never confused with a missing one.
pub fn tokenize(line: &[u8]) -> Result<Vec<Word<'_>>, ParseError> {
    let mut words = Vec::with_capacity(4);
    let mut i = 0;
    while let Some(word) = next_word(line, &mut i)? {
        words.push(word);
    }
    Ok(words)
}

/// Most words a line has in the decoder's hot path (`VAR <ups> <name> "<value>"`).
const FEW: usize = 4;

/// A line's words, kept on the stack when there are at most [`FEW`]: a list reply is
/// thousands of such lines, and a heap `Vec` per line is an allocation and a free each.
#[derive(Debug)]
pub(crate) enum Words<'a> {
    /// Up to [`FEW`] words: the first `len` of the array.
    Few([Word<'a>; FEW], usize),
    /// More.
    Many(Vec<Word<'a>>),
}

impl<'a> Words<'a> {
    /// Splits `line` as [`tokenize`] does.
    pub(crate) fn split(line: &'a [u8]) -> Result<Self, ParseError> {
        let mut few: [Word<'a>; FEW] = std::array::from_fn(|_| Word::empty());
        let mut len = 0;
        let mut i = 0;
        while let Some(word) = next_word(line, &mut i)? {
            if len == FEW {
                return Ok(Self::Many(tokenize(line)?));
            }
            few[len] = word;
            len += 1;
        }
        Ok(Self::Few(few, len))
    }

    /// The words in order.
    pub(crate) fn as_slice(&self) -> &[Word<'a>] {
        match self {
            Self::Few(words, len) => &words[..*len],
            Self::Many(words) => words,
        }
    }
}

/// The word at or after `*i`, moving `*i` past it; `None` at the end of the line.
fn next_word<'a>(line: &'a [u8], i: &mut usize) -> Result<Option<Word<'a>>, ParseError> {
    while line.get(*i).is_some_and(|&b| b == b' ' || b == b'\t') {
        *i += 1;
    }
    if *i >= line.len() {
        return Ok(None);
    }
    let (word, next) = scan_word(line, *i)?;
    *i = next;
    Ok(Some(word))
}

/// Scans the word starting at `start`; returns it and the index after it.
fn scan_word(line: &[u8], start: usize) -> Result<(Word<'_>, usize), ParseError> {
    // Fast path: a plain word or a quoted word without escapes borrows from the line.
    let quoted = line[start] == b'"';
    let body = if quoted { start + 1 } else { start };
    let end = line[body..]
        .iter()
        .position(|&b| b == b'\\' || b == b'"' || (!quoted && (b == b' ' || b == b'\t')))
        .map_or(line.len(), |p| body + p);
    if quoted && line.get(end) == Some(&b'"') && is_boundary(line, end + 1) {
        let bytes = Cow::Borrowed(&line[body..end]);
        return Ok((
            Word {
                bytes,
                quoted: true,
            },
            end + 1,
        ));
    }
    if !quoted && !matches!(line.get(end), Some(b'\\' | b'"')) {
        return Ok((
            Word {
                bytes: Cow::Borrowed(&line[body..end]),
                quoted: false,
            },
            end,
        ));
    }
    scan_word_slow(line, start)
}

fn is_boundary(line: &[u8], i: usize) -> bool {
    matches!(line.get(i), None | Some(b' ' | b'\t'))
}

/// General case: escapes, and quotes that open or close inside a word.
fn scan_word_slow(line: &[u8], start: usize) -> Result<(Word<'_>, usize), ParseError> {
    let mut out = Vec::new();
    let mut in_quotes = false;
    let mut was_quoted = false;
    let mut i = start;
    while i < line.len() {
        match line[i] {
            b'\\' => {
                let Some(&next) = line.get(i + 1) else {
                    return Err(ParseError::DanglingEscape {
                        line: excerpt(line),
                    });
                };
                out.push(next);
                i += 2;
                continue;
            }
            b'"' => {
                in_quotes = !in_quotes;
                was_quoted = true;
            }
            b' ' | b'\t' if !in_quotes => break,
            b => out.push(b),
        }
        i += 1;
    }
    if in_quotes {
        return Err(ParseError::UnterminatedQuote {
            line: excerpt(line),
        });
    }
    Ok((
        Word {
            bytes: Cow::Owned(out),
            quoted: was_quoted,
        },
        i,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        tokenize(line.as_bytes())
            .unwrap()
            .iter()
            .map(Word::to_text)
            .collect()
    }

    #[test]
    fn table() {
        let cases: &[(&str, &[&str])] = &[
            (
                "VAR ups1 ups.status \"OL\"",
                &["VAR", "ups1", "ups.status", "OL"],
            ),
            ("VAR u v \"\"", &["VAR", "u", "v", ""]),
            (
                r#"VAR u v "a \"quoted\" word""#,
                &["VAR", "u", "v", "a \"quoted\" word"],
            ),
            (
                r#"VAR u v "back\\slash""#,
                &["VAR", "u", "v", "back\\slash"],
            ),
            (
                r#"VAR u v "hash \# sign""#,
                &["VAR", "u", "v", "hash # sign"],
            ),
            (
                "VAR u v \"two  spaces \"",
                &["VAR", "u", "v", "two  spaces "],
            ),
            (
                "  leading   and trailing  ",
                &["leading", "and", "trailing"],
            ),
            ("ab\"c d\"ef", &["abc def"]),
            ("tab\tsep", &["tab", "sep"]),
            ("", &[]),
        ];
        for (line, want) in cases {
            assert_eq!(words(line), *want, "line {line:?}");
        }
    }

    #[test]
    fn empty_quoted_word_is_kept() {
        let got = tokenize(b"\"\"").unwrap();
        assert_eq!(got.len(), 1);
        assert!(got[0].as_bytes().is_empty());
        assert!(got[0].is_quoted());
    }

    #[test]
    fn non_utf8_bytes_survive_as_bytes() {
        let got = tokenize(b"VAR u v \"caf\xe9\"").unwrap();
        assert_eq!(got[3].as_bytes(), b"caf\xe9");
        assert_eq!(got[3].to_text(), "caf\u{fffd}");
    }

    #[test]
    fn unterminated_quote_and_dangling_escape_are_errors() {
        assert!(matches!(
            tokenize(b"VAR u v \"open"),
            Err(ParseError::UnterminatedQuote { .. })
        ));
        assert!(matches!(
            tokenize(b"VAR u v \\"),
            Err(ParseError::DanglingEscape { .. })
        ));
        assert!(matches!(
            tokenize(b"\"a\\"),
            Err(ParseError::DanglingEscape { .. })
        ));
    }

    #[test]
    fn keyword_match_is_exact_and_unquoted() {
        let got = tokenize(b"BEGIN \"BEGIN\" begin").unwrap();
        assert!(got[0].is("BEGIN"));
        assert!(!got[1].is("BEGIN"));
        assert!(!got[2].is("BEGIN"));
    }
}
