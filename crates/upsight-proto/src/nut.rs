//! The NUT network protocol (upsd, TCP 3493) as a sans-IO codec.
//!
//! Layers, each pure: [`LineBuffer`] splits a byte stream into capped lines, [`tokenize`] turns
//! one line into words (quotes and backslash escapes), [`Decoder`] assembles the reply to one
//! request (including `BEGIN/END LIST` blocks and an `ERR` line in place of a block), and
//! [`Request::encode`] / [`encode_reply`] write the wire form. Spec: NUT `docs/net-protocol.txt`
//! and RFC 9271.

mod decoder;
mod error_code;
pub mod keyword;
mod line;
mod reply;
mod request;
mod tokenize;
mod value;

pub use decoder::{Decoder, Expect};
pub use error_code::ErrorCode;
pub use line::LineBuffer;
pub use reply::{Reply, ServerError, UpsEntry, Variable, encode_reply};
pub use request::{EncodeError, Request};
pub use tokenize::{Word, tokenize};
pub use value::parse_number;

/// Defensive caps on what a server may send. upsd stores values of at most 256 bytes
/// (`ST_MAX_VALUE_LEN`, escaped), so a few KiB per line is generous; the list cap bounds the
/// memory an endless `LIST` can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest accepted line in bytes, excluding the line terminator.
    pub max_line_bytes: usize,
    /// Most entries accepted in one `LIST` block.
    pub max_list_entries: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_line_bytes: 8 * 1024,
            max_list_entries: 10_000,
        }
    }
}

/// Why a server's bytes could not be understood. Every variant names what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// A line grew past [`Limits::max_line_bytes`] without a terminator.
    #[error("line longer than {limit} bytes")]
    LineTooLong {
        /// The cap that was exceeded.
        limit: usize,
    },
    /// A `LIST` block grew past [`Limits::max_list_entries`].
    #[error("list longer than {limit} entries")]
    ListTooLong {
        /// The cap that was exceeded.
        limit: usize,
    },
    /// A double quote was opened and the line ended before it was closed.
    #[error("unterminated quote in line {line:?}")]
    UnterminatedQuote {
        /// The offending line (lossy UTF-8, truncated).
        line: String,
    },
    /// The line ended right after a backslash.
    #[error("dangling backslash at end of line {line:?}")]
    DanglingEscape {
        /// The offending line (lossy UTF-8, truncated).
        line: String,
    },
    /// The line does not fit the reply expected at this point.
    #[error("expected {expected}, got {got:?}")]
    UnexpectedLine {
        /// What the decoder was waiting for.
        expected: String,
        /// The line received (lossy UTF-8, truncated).
        got: String,
    },
    /// The stream ended before the reply was complete (connection closed mid-list).
    #[error("connection closed while waiting for {expected}")]
    Truncated {
        /// What the decoder was waiting for.
        expected: String,
    },
}

/// Lossy, truncated rendering of untrusted bytes for error messages.
pub(crate) fn excerpt(bytes: &[u8]) -> String {
    const MAX: usize = 120;
    let cut = &bytes[..bytes.len().min(MAX)];
    let mut text = String::from_utf8_lossy(cut).into_owned();
    if bytes.len() > MAX {
        text.push('…');
    }
    text
}
