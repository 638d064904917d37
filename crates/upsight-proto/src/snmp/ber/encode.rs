//! The encoding half of the SNMP BER codec: definite lengths, minimal integers.

use super::{
    COUNTER32, COUNTER64, END_OF_MIB_VIEW, GAUGE32, INTEGER, IP_ADDRESS, Message, NO_SUCH_INSTANCE,
    NO_SUCH_OBJECT, NULL, OBJECT_IDENTIFIER, OCTET_STRING, OPAQUE, SEQUENCE, TIME_TICKS,
};
use crate::snmp::{Oid, Value};

/// Appends the BER encoding of `msg` to `out`. Messages larger than [`MAX_MESSAGE_BYTES`] are
/// written all the same; a sender checks the size.
///
/// [`MAX_MESSAGE_BYTES`]: super::MAX_MESSAGE_BYTES
pub fn encode_message(msg: &Message, out: &mut Vec<u8>) {
    write_tlv(out, SEQUENCE, |out| {
        write_signed(out, INTEGER, msg.version.wire());
        write_bytes(out, OCTET_STRING, &msg.community);
        write_tlv(out, msg.pdu.kind.tag(), |out| {
            write_signed(out, INTEGER, i64::from(msg.pdu.request_id));
            write_signed(out, INTEGER, msg.pdu.error_status);
            write_signed(out, INTEGER, msg.pdu.error_index);
            write_tlv(out, SEQUENCE, |out| {
                for (oid, value) in &msg.pdu.varbinds {
                    write_tlv(out, SEQUENCE, |out| {
                        write_oid(out, oid);
                        write_value(out, value);
                    });
                }
            });
        });
    });
}

pub(super) fn write_value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Integer(v) => write_signed(out, INTEGER, *v),
        Value::OctetString(bytes) => write_bytes(out, OCTET_STRING, bytes),
        Value::Null => write_bytes(out, NULL, &[]),
        Value::Oid(oid) => write_oid(out, oid),
        Value::IpAddress(octets) => write_bytes(out, IP_ADDRESS, octets),
        Value::Counter32(v) => write_unsigned(out, COUNTER32, u64::from(*v)),
        Value::Gauge32(v) => write_unsigned(out, GAUGE32, u64::from(*v)),
        Value::TimeTicks(v) => write_unsigned(out, TIME_TICKS, u64::from(*v)),
        Value::Opaque(bytes) => write_bytes(out, OPAQUE, bytes),
        Value::Counter64(v) => write_unsigned(out, COUNTER64, *v),
        Value::NoSuchObject => write_bytes(out, NO_SUCH_OBJECT, &[]),
        Value::NoSuchInstance => write_bytes(out, NO_SUCH_INSTANCE, &[]),
        Value::EndOfMibView => write_bytes(out, END_OF_MIB_VIEW, &[]),
    }
}

/// Writes `tag`, then whatever `body` writes, then slots the definite length in between.
fn write_tlv(out: &mut Vec<u8>, tag: u8, body: impl FnOnce(&mut Vec<u8>)) {
    out.push(tag);
    let start = out.len();
    body(out);
    let length = out.len() - start;
    // usize -> u64 is lossless on every supported target.
    let bytes = (length as u64).to_be_bytes();
    let mut header = Vec::with_capacity(9);
    if length < 0x80 {
        header.push(bytes[7]);
    } else {
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        header.push(0x80 | (8 - skip) as u8);
        header.extend_from_slice(&bytes[skip..]);
    }
    out.splice(start..start, header);
}

pub(super) fn write_bytes(out: &mut Vec<u8>, tag: u8, bytes: &[u8]) {
    write_tlv(out, tag, |out| out.extend_from_slice(bytes));
}

/// Minimal two's complement: drop a leading byte while it only repeats the sign bit.
fn write_signed(out: &mut Vec<u8>, tag: u8, value: i64) {
    let bytes = value.to_be_bytes();
    let redundant = bytes
        .windows(2)
        .take_while(|pair| {
            matches!(pair, [0x00, next] if next & 0x80 == 0)
                || matches!(pair, [0xff, next] if next & 0x80 != 0)
        })
        .count();
    write_bytes(out, tag, &bytes[redundant..]);
}

/// Unsigned types are INTEGERs on the wire too, so a set top bit needs a 0x00 pad.
fn write_unsigned(out: &mut Vec<u8>, tag: u8, value: u64) {
    let bytes = value.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count().min(7);
    let digits = &bytes[skip..];
    write_tlv(out, tag, |out| {
        if digits.first().is_some_and(|b| b & 0x80 != 0) {
            out.push(0x00);
        }
        out.extend_from_slice(digits);
    });
}

fn write_oid(out: &mut Vec<u8>, oid: &Oid) {
    let arcs = oid.arcs();
    let (first, rest) = match arcs {
        [] => (0, arcs),
        [x] => (u64::from(*x) * 40, &[][..]),
        [x, y, rest @ ..] => (u64::from(*x) * 40 + u64::from(*y), rest),
    };
    write_tlv(out, OBJECT_IDENTIFIER, |out| {
        write_subidentifier(out, first);
        for arc in rest {
            write_subidentifier(out, u64::from(*arc));
        }
    });
}

pub(super) fn write_subidentifier(out: &mut Vec<u8>, value: u64) {
    let groups = (1..10).take_while(|i| value >> (7 * i) != 0).count();
    for i in (0..=groups).rev() {
        let more = if i == 0 { 0 } else { 0x80 };
        out.push(((value >> (7 * i)) & 0x7f) as u8 | more);
    }
}
