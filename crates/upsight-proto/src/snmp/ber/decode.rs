//! The decoding half of the SNMP BER codec: bounds-checked readers over the input and the
//! message grammar on top of them.

use super::{
    BerError, COUNTER32, COUNTER64, END_OF_MIB_VIEW, GAUGE32, INTEGER, IP_ADDRESS,
    MAX_MESSAGE_BYTES, MAX_VARBINDS, Message, NO_SUCH_INSTANCE, NO_SUCH_OBJECT, NULL,
    OBJECT_IDENTIFIER, OCTET_STRING, OPAQUE, Pdu, PduKind, SEQUENCE, TIME_TICKS, Version,
};
use crate::snmp::oid::MAX_ARCS;
use crate::snmp::{Oid, Value};

/// Decodes one whole message; bytes after it are an error.
pub fn decode_message(bytes: &[u8]) -> Result<Message, BerError> {
    if bytes.len() > MAX_MESSAGE_BYTES {
        return Err(BerError::MessageTooLarge {
            length: bytes.len(),
        });
    }
    let mut top = Reader::new(bytes);
    let message = top.expect(SEQUENCE, "a message SEQUENCE (0x30)")?;
    top.finish()?;
    let mut fields = message.reader();
    let version = fields.expect(INTEGER, "the version INTEGER (0x02)")?;
    let version = match decode_i64(&version)? {
        0 => Version::V1,
        1 => Version::V2c,
        other => return Err(BerError::UnsupportedVersion(other)),
    };
    let community = fields.expect(OCTET_STRING, "the community OCTET STRING (0x04)")?;
    let pdu = decode_pdu(&mut fields)?;
    fields.finish()?;
    Ok(Message {
        version,
        community: community.content.to_vec(),
        pdu,
    })
}

fn decode_pdu(fields: &mut Reader<'_>) -> Result<Pdu, BerError> {
    let offset = fields.pos;
    let tag = fields.peek()?;
    let Some(kind) = PduKind::from_tag(tag) else {
        return Err(BerError::BadTag {
            offset,
            tag,
            expected: "a PDU (0xa0-0xa3, 0xa5-0xa8)",
        });
    };
    let mut body = fields.tlv()?.reader();
    let id = body.expect(INTEGER, "the request-id INTEGER (0x02)")?;
    let request_id = decode_i64(&id)?;
    let request_id = i32::try_from(request_id).map_err(|_| BerError::OutOfRange {
        offset: id.offset,
        type_name: "request-id",
        value: i128::from(request_id),
    })?;
    let error_status = decode_i64(&body.expect(INTEGER, "the error-status INTEGER (0x02)")?)?;
    let error_index = decode_i64(&body.expect(INTEGER, "the error-index INTEGER (0x02)")?)?;
    let list = body.expect(SEQUENCE, "the varbind list SEQUENCE (0x30)")?;
    body.finish()?;
    Ok(Pdu {
        kind,
        request_id,
        error_status,
        error_index,
        varbinds: decode_varbinds(list.reader())?,
    })
}

fn decode_varbinds(mut items: Reader<'_>) -> Result<Vec<(Oid, Value)>, BerError> {
    let mut varbinds = Vec::new();
    while !items.is_empty() {
        if varbinds.len() == MAX_VARBINDS {
            return Err(BerError::TooManyVarbinds { offset: items.pos });
        }
        let mut varbind = items
            .expect(SEQUENCE, "a varbind SEQUENCE (0x30)")?
            .reader();
        let name = varbind.expect(OBJECT_IDENTIFIER, "a varbind name OID (0x06)")?;
        let oid = decode_oid(&name)?;
        let value = decode_value(&varbind.tlv()?)?;
        varbind.finish()?;
        varbinds.push((oid, value));
    }
    Ok(varbinds)
}

fn decode_value(tlv: &Tlv<'_>) -> Result<Value, BerError> {
    Ok(match tlv.tag {
        INTEGER => Value::Integer(decode_i64(tlv)?),
        OCTET_STRING => Value::OctetString(tlv.content.to_vec()),
        NULL => tlv.empty("NULL", Value::Null)?,
        OBJECT_IDENTIFIER => Value::Oid(decode_oid(tlv)?),
        IP_ADDRESS => Value::IpAddress(
            tlv.content
                .try_into()
                .map_err(|_| tlv.bad_length("IpAddress"))?,
        ),
        COUNTER32 => Value::Counter32(decode_u32(tlv, "Counter32")?),
        GAUGE32 => Value::Gauge32(decode_u32(tlv, "Gauge32")?),
        TIME_TICKS => Value::TimeTicks(decode_u32(tlv, "TimeTicks")?),
        OPAQUE => Value::Opaque(tlv.content.to_vec()),
        COUNTER64 => Value::Counter64(decode_u64(tlv, "Counter64")?),
        NO_SUCH_OBJECT => tlv.empty("noSuchObject", Value::NoSuchObject)?,
        NO_SUCH_INSTANCE => tlv.empty("noSuchInstance", Value::NoSuchInstance)?,
        END_OF_MIB_VIEW => tlv.empty("endOfMibView", Value::EndOfMibView)?,
        tag => {
            return Err(BerError::BadTag {
                offset: tlv.offset,
                tag,
                expected: "a varbind value",
            });
        }
    })
}

/// Two's complement, at most 8 bytes (X.690 §8.3).
fn decode_i64(tlv: &Tlv<'_>) -> Result<i64, BerError> {
    let content = tlv.content;
    let Some(first) = content.first() else {
        return Err(tlv.bad_length("INTEGER"));
    };
    if content.len() > 8 {
        return Err(BerError::IntegerTooLong {
            offset: tlv.offset,
            length: content.len(),
        });
    }
    let sign = if first & 0x80 == 0 { 0 } else { -1 };
    Ok(content
        .iter()
        .fold(sign, |acc, &b| (acc << 8) | i64::from(b)))
}

/// The unsigned application types. Agents that forget the 0x00 pad (Counter32 4294967295 as
/// `ff ff ff ff`) are read as they meant it, so the content is taken as a magnitude.
fn decode_u64(tlv: &Tlv<'_>, type_name: &'static str) -> Result<u64, BerError> {
    let content = tlv.content;
    if content.is_empty() {
        return Err(tlv.bad_length(type_name));
    }
    if content.len() > 9 {
        return Err(BerError::IntegerTooLong {
            offset: tlv.offset,
            length: content.len(),
        });
    }
    let value = content
        .iter()
        .fold(0u128, |acc, &b| (acc << 8) | u128::from(b));
    u64::try_from(value).map_err(|_| BerError::OutOfRange {
        offset: tlv.offset,
        type_name,
        // At most 9 bytes, so it fits.
        value: i128::try_from(value).unwrap_or(i128::MAX),
    })
}

fn decode_u32(tlv: &Tlv<'_>, type_name: &'static str) -> Result<u32, BerError> {
    let value = decode_u64(tlv, type_name)?;
    u32::try_from(value).map_err(|_| BerError::OutOfRange {
        offset: tlv.offset,
        type_name,
        value: i128::from(value),
    })
}

/// X.690 §8.19: base-128 subidentifiers, the first one packing the first two arcs.
fn decode_oid(tlv: &Tlv<'_>) -> Result<Oid, BerError> {
    if tlv.content.is_empty() {
        return Err(tlv.bad_length("OBJECT IDENTIFIER"));
    }
    let base = tlv.content_offset;
    let mut arcs = Vec::new();
    let mut value = 0u64;
    let mut start = base;
    for (i, &byte) in tlv.content.iter().enumerate() {
        // The first subidentifier is 40 * x + y, so it may exceed 2^32-1 by up to 80.
        let limit = u64::from(u32::MAX) + if arcs.is_empty() { 80 } else { 0 };
        value = (value << 7) | u64::from(byte & 0x7f);
        if value > limit {
            return Err(BerError::ArcOverflow { offset: start });
        }
        if byte & 0x80 != 0 {
            continue;
        }
        if arcs.len() >= MAX_ARCS {
            return Err(BerError::OidTooLong { offset: start });
        }
        if arcs.is_empty() {
            let (first, second) = match value {
                0..40 => (0, value),
                40..80 => (1, value - 40),
                _ => (2, value - 80),
            };
            arcs.push(first);
            value = second;
        }
        arcs.push(u32::try_from(value).map_err(|_| BerError::ArcOverflow { offset: start })?);
        value = 0;
        start = base + i + 1;
    }
    if start != base + tlv.content.len() {
        return Err(BerError::Truncated {
            offset: base + tlv.content.len(),
        });
    }
    Ok(Oid::new(arcs))
}

/// A cursor over `input[pos..end]`; offsets stay absolute for error messages.
#[derive(Debug, Clone, Copy)]
struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
    end: usize,
}

/// One tag-length-value element.
#[derive(Debug, Clone, Copy)]
struct Tlv<'a> {
    input: &'a [u8],
    tag: u8,
    /// Offset of the tag.
    offset: usize,
    content: &'a [u8],
    content_offset: usize,
}

impl<'a> Reader<'a> {
    fn new(input: &'a [u8]) -> Self {
        Self {
            input,
            pos: 0,
            end: input.len(),
        }
    }

    fn is_empty(&self) -> bool {
        self.pos >= self.end
    }

    fn peek(&self) -> Result<u8, BerError> {
        self.input
            .get(self.pos..self.end)
            .and_then(<[u8]>::first)
            .copied()
            .ok_or(BerError::Truncated { offset: self.pos })
    }

    fn byte(&mut self) -> Result<u8, BerError> {
        let byte = self.peek()?;
        self.pos += 1;
        Ok(byte)
    }

    fn tlv(&mut self) -> Result<Tlv<'a>, BerError> {
        let offset = self.pos;
        let tag = self.byte()?;
        let length_offset = self.pos;
        let length = match self.byte()? {
            short @ 0..0x80 => u64::from(short),
            0x80 => {
                return Err(BerError::IndefiniteLength {
                    offset: length_offset,
                });
            }
            long => {
                let octets = long & 0x7f;
                if octets > 4 {
                    return Err(BerError::LengthTooLong {
                        offset: length_offset,
                        octets,
                    });
                }
                let mut length = 0u64;
                for _ in 0..octets {
                    length = (length << 8) | u64::from(self.byte()?);
                }
                length
            }
        };
        let remaining = self.end - self.pos;
        let content_end = usize::try_from(length)
            .ok()
            .filter(|&n| n <= remaining)
            .map(|n| self.pos + n)
            .ok_or(BerError::LengthBeyondInput {
                offset: length_offset,
                length,
                remaining,
            })?;
        let content_offset = self.pos;
        let content = self
            .input
            .get(content_offset..content_end)
            .ok_or(BerError::Truncated { offset: self.end })?;
        self.pos = content_end;
        Ok(Tlv {
            input: self.input,
            tag,
            offset,
            content,
            content_offset,
        })
    }

    /// The next element, which must have `tag`; the tag is checked before the length.
    fn expect(&mut self, tag: u8, expected: &'static str) -> Result<Tlv<'a>, BerError> {
        let found = self.peek()?;
        if found != tag {
            return Err(BerError::BadTag {
                offset: self.pos,
                tag: found,
                expected,
            });
        }
        self.tlv()
    }

    fn finish(&self) -> Result<(), BerError> {
        if self.is_empty() {
            return Ok(());
        }
        Err(BerError::TrailingBytes {
            offset: self.pos,
            count: self.end - self.pos,
        })
    }
}

impl<'a> Tlv<'a> {
    fn reader(&self) -> Reader<'a> {
        Reader {
            input: self.input,
            pos: self.content_offset,
            end: self.content_offset + self.content.len(),
        }
    }

    fn bad_length(&self, type_name: &'static str) -> BerError {
        BerError::BadLength {
            offset: self.offset,
            type_name,
            length: self.content.len(),
        }
    }

    /// `value` if the element has no content (NULL and the v2c exceptions).
    fn empty(&self, type_name: &'static str, value: Value) -> Result<Value, BerError> {
        if self.content.is_empty() {
            Ok(value)
        } else {
            Err(self.bad_length(type_name))
        }
    }
}
