//! Splits a byte stream into lines with a hard cap, so a hostile server cannot grow memory.

use super::{Limits, ParseError};

/// Accumulates received bytes and hands out complete lines (without `\n` or `\r\n`).
///
/// Memory is bounded: once the bytes after the last terminator exceed
/// [`Limits::max_line_bytes`], [`LineBuffer::next_line`] fails with
/// [`ParseError::LineTooLong`] and the caller is expected to drop the connection.
#[derive(Debug)]
pub struct LineBuffer {
    buf: Vec<u8>,
    start: usize,
    limits: Limits,
}

impl LineBuffer {
    /// An empty buffer with the given caps.
    pub fn new(limits: Limits) -> Self {
        Self {
            buf: Vec::with_capacity(16 * 1024),
            start: 0,
            limits,
        }
    }

    /// Appends received bytes. Consumed lines are compacted away first.
    pub fn extend(&mut self, bytes: &[u8]) {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete line, `Ok(None)` when more input is needed.
    pub fn next_line(&mut self) -> Result<Option<&[u8]>, ParseError> {
        let pending = &self.buf[self.start..];
        let limit = self.limits.max_line_bytes;
        let Some(pos) = pending.iter().position(|&b| b == b'\n') else {
            // One byte of slack: it may be the `\r` of a `\r\n` terminator still in flight.
            if pending.len() > limit + 1 {
                return Err(ParseError::LineTooLong {
                    limit: self.limits.max_line_bytes,
                });
            }
            return Ok(None);
        };
        let begin = self.start;
        let mut line = &pending[..pos];
        if let [rest @ .., b'\r'] = line {
            line = rest;
        }
        if line.len() > limit {
            return Err(ParseError::LineTooLong { limit });
        }
        self.start = begin + pos + 1;
        Ok(Some(&self.buf[begin..begin + line.len()]))
    }

    /// Bytes received but not yet returned as a line.
    pub fn pending(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Forgets everything buffered (after a reconnect).
    pub fn clear(&mut self) {
        self.buf.clear();
        self.start = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[&[u8]], limits: Limits) -> Result<Vec<Vec<u8>>, ParseError> {
        let mut buf = LineBuffer::new(limits);
        let mut out = Vec::new();
        for chunk in input {
            buf.extend(chunk);
            while let Some(line) = buf.next_line()? {
                out.push(line.to_vec());
            }
        }
        Ok(out)
    }

    #[test]
    fn splits_across_chunks_and_strips_crlf() {
        let got = lines(&[b"OK\r\nVAR a b \"", b"1\"\nEND"], Limits::default()).unwrap();
        assert_eq!(got, vec![b"OK".to_vec(), b"VAR a b \"1\"".to_vec()]);
    }

    #[test]
    fn long_line_without_terminator_is_an_error() {
        let limits = Limits {
            max_line_bytes: 16,
            ..Limits::default()
        };
        // 17 bytes may still end in `\r\n`; 18 cannot fit.
        assert_eq!(
            lines(&[&[b'x'; 17]], limits).unwrap(),
            Vec::<Vec<u8>>::new()
        );
        let err = lines(&[&[b'x'; 18]], limits).unwrap_err();
        assert_eq!(err, ParseError::LineTooLong { limit: 16 });
    }

    #[test]
    fn long_line_with_terminator_is_an_error() {
        let limits = Limits {
            max_line_bytes: 4,
            ..Limits::default()
        };
        let err = lines(&[b"12345\n"], limits).unwrap_err();
        assert_eq!(err, ParseError::LineTooLong { limit: 4 });
        assert_eq!(lines(&[b"1234\n"], limits).unwrap(), vec![b"1234".to_vec()]);
        // The terminator does not count, `\r\n` included.
        assert_eq!(
            lines(&[b"1234\r", b"\n"], limits).unwrap(),
            vec![b"1234".to_vec()]
        );
    }

    #[test]
    fn memory_stays_bounded_for_a_megabyte_line() {
        let mut buf = LineBuffer::new(Limits::default());
        let chunk = [b'A'; 4096];
        let mut failed = false;
        for _ in 0..256 {
            buf.extend(&chunk);
            if buf.next_line().is_err() {
                failed = true;
                break;
            }
        }
        assert!(failed);
        assert!(buf.pending() <= Limits::default().max_line_bytes + chunk.len());
    }
}
