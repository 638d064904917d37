//! BER codec for SNMP v1 and v2c messages (RFC 1157, RFC 3416; encoding rules from X.690).
//!
//! [`decode_message`] never panics and never trusts a length field before checking it against
//! the bytes that are really there, so a hostile datagram costs at most its own size in memory.
//! [`encode_message`] writes the definite, minimal form every agent and manager accepts. The
//! simulator's agent and the fuzz target use it; the exporter talks SNMP through `snmp2`.
//!
//! Nesting is fixed by the message grammar (message, PDU, varbind list, varbind, value), so the
//! decoder has no recursion to bound; its caps are the message size and the varbind count.

use super::oid::MAX_ARCS;
use super::{Oid, Value};

mod decode;
mod encode;

pub use decode::decode_message;
pub use encode::encode_message;

/// Largest message accepted or worth sending: the UDP length field is 16 bits.
pub const MAX_MESSAGE_BYTES: usize = 65_535;

/// Most varbinds accepted in one PDU.
pub const MAX_VARBINDS: usize = 1_000;

const INTEGER: u8 = 0x02;
const OCTET_STRING: u8 = 0x04;
const NULL: u8 = 0x05;
const OBJECT_IDENTIFIER: u8 = 0x06;
const SEQUENCE: u8 = 0x30;
const IP_ADDRESS: u8 = 0x40;
const COUNTER32: u8 = 0x41;
const GAUGE32: u8 = 0x42;
const TIME_TICKS: u8 = 0x43;
const OPAQUE: u8 = 0x44;
const COUNTER64: u8 = 0x46;
const NO_SUCH_OBJECT: u8 = 0x80;
const NO_SUCH_INSTANCE: u8 = 0x81;
const END_OF_MIB_VIEW: u8 = 0x82;

/// Protocol version of a community-based message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// SNMPv1 (`version` 0 on the wire).
    V1,
    /// SNMPv2c (`version` 1 on the wire).
    V2c,
}

impl Version {
    fn wire(self) -> i64 {
        match self {
            Self::V1 => 0,
            Self::V2c => 1,
        }
    }
}

/// The PDU types of RFC 1157 and RFC 3416 that share the request/response layout. The v1
/// Trap-PDU (0xA4) has a different layout and is refused as a bad tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PduKind {
    /// GetRequest (0xA0).
    Get,
    /// GetNextRequest (0xA1).
    GetNext,
    /// Response, GetResponse in v1 (0xA2).
    Response,
    /// SetRequest (0xA3).
    Set,
    /// GetBulkRequest, v2c only (0xA5).
    GetBulk,
    /// SNMPv2-Trap (0xA7).
    Trap,
    /// InformRequest (0xA6).
    Inform,
    /// Report (0xA8).
    Report,
}

impl PduKind {
    /// The context-specific constructed tag of this PDU type.
    pub fn tag(self) -> u8 {
        match self {
            Self::Get => 0xA0,
            Self::GetNext => 0xA1,
            Self::Response => 0xA2,
            Self::Set => 0xA3,
            Self::GetBulk => 0xA5,
            Self::Inform => 0xA6,
            Self::Trap => 0xA7,
            Self::Report => 0xA8,
        }
    }

    /// The PDU type for `tag`, if it is one of the eight above.
    pub fn from_tag(tag: u8) -> Option<Self> {
        Some(match tag {
            0xA0 => Self::Get,
            0xA1 => Self::GetNext,
            0xA2 => Self::Response,
            0xA3 => Self::Set,
            0xA5 => Self::GetBulk,
            0xA6 => Self::Inform,
            0xA7 => Self::Trap,
            0xA8 => Self::Report,
            _ => return None,
        })
    }
}

/// One PDU. For [`PduKind::GetBulk`] the two error fields carry non-repeaters and
/// max-repetitions (RFC 3416 §3); read them through [`Pdu::non_repeaters`] and
/// [`Pdu::max_repetitions`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pdu {
    /// The PDU type.
    pub kind: PduKind,
    /// Matches a response to its request.
    pub request_id: i32,
    /// `error-status` (0 noError, 1 tooBig, 2 noSuchName…); non-repeaters in a GetBulk.
    pub error_status: i64,
    /// `error-index` (1-based varbind, 0 for none); max-repetitions in a GetBulk.
    pub error_index: i64,
    /// Variable bindings in wire order. Requests carry [`Value::Null`].
    pub varbinds: Vec<(Oid, Value)>,
}

impl Pdu {
    /// A request of `kind` for `oids`, each bound to NULL, with both error fields zero.
    pub fn request(kind: PduKind, request_id: i32, oids: impl IntoIterator<Item = Oid>) -> Self {
        Self {
            kind,
            request_id,
            error_status: 0,
            error_index: 0,
            varbinds: oids.into_iter().map(|oid| (oid, Value::Null)).collect(),
        }
    }

    /// A GetBulk request: the first `non_repeaters` OIDs are fetched once, the others
    /// `max_repetitions` times each.
    pub fn get_bulk(
        request_id: i32,
        non_repeaters: i64,
        max_repetitions: i64,
        oids: impl IntoIterator<Item = Oid>,
    ) -> Self {
        Self {
            error_status: non_repeaters,
            error_index: max_repetitions,
            ..Self::request(PduKind::GetBulk, request_id, oids)
        }
    }

    /// GetBulk: how many leading varbinds are answered once, like GETNEXT (the `error_status`
    /// field on the wire). Meaningless for other kinds.
    pub fn non_repeaters(&self) -> i64 {
        self.error_status
    }

    /// GetBulk: how many successors to return for each remaining varbind (the `error_index`
    /// field on the wire). Meaningless for other kinds.
    pub fn max_repetitions(&self) -> i64 {
        self.error_index
    }
}

/// A community-based (v1/v2c) SNMP message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Protocol version.
    pub version: Version,
    /// Community string: raw bytes, not necessarily UTF-8.
    pub community: Vec<u8>,
    /// The PDU.
    pub pdu: Pdu,
}

/// Why bytes are not an SNMP v1/v2c message. Offsets count from the start of the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BerError {
    /// The input (or the enclosing element) ends inside a tag, a length or an OID arc.
    #[error("input truncated at offset {offset}")]
    Truncated {
        /// Where the missing byte should be.
        offset: usize,
    },
    /// A length field claims more bytes than remain in the enclosing element.
    #[error("length {length} at offset {offset} exceeds the {remaining} bytes that remain")]
    LengthBeyondInput {
        /// Offset of the length field.
        offset: usize,
        /// The claimed length.
        length: u64,
        /// Bytes actually left.
        remaining: usize,
    },
    /// The indefinite length form (0x80), which SNMP does not allow.
    #[error("indefinite length at offset {offset}")]
    IndefiniteLength {
        /// Offset of the length field.
        offset: usize,
    },
    /// A long-form length field of more than 4 octets.
    #[error("length field of {octets} octets at offset {offset} is too long")]
    LengthTooLong {
        /// Offset of the length field.
        offset: usize,
        /// How many length octets it announced.
        octets: u8,
    },
    /// An integer wider than 64 bits (or 64 bits plus a zero pad for unsigned types).
    #[error("integer of {length} bytes at offset {offset} is too long")]
    IntegerTooLong {
        /// Offset of the integer's tag.
        offset: usize,
        /// Its content length.
        length: usize,
    },
    /// An element whose length is impossible for its type (empty INTEGER, NULL with content,
    /// IpAddress not 4 bytes, empty OID).
    #[error("{type_name} at offset {offset} has invalid length {length}")]
    BadLength {
        /// Offset of the element's tag.
        offset: usize,
        /// The ASN.1 type.
        type_name: &'static str,
        /// Its content length.
        length: usize,
    },
    /// A number outside its type's range (Counter32 above 2^32-1, request-id outside i32).
    #[error("{type_name} {value} at offset {offset} is out of range")]
    OutOfRange {
        /// Offset of the element's tag.
        offset: usize,
        /// The type or field.
        type_name: &'static str,
        /// The decoded number.
        value: i128,
    },
    /// A tag other than the grammar allows here.
    #[error("unexpected tag 0x{tag:02x} at offset {offset}, expected {expected}")]
    BadTag {
        /// Offset of the tag.
        offset: usize,
        /// The tag found.
        tag: u8,
        /// What the grammar allows here.
        expected: &'static str,
    },
    /// An object identifier with more than 128 arcs (RFC 3416 §4.1).
    #[error("object identifier at offset {offset} has more than 128 arcs")]
    OidTooLong {
        /// Offset of the first arc beyond the limit.
        offset: usize,
    },
    /// An object identifier arc above 2^32-1.
    #[error("object identifier arc at offset {offset} does not fit in 32 bits")]
    ArcOverflow {
        /// Offset of the arc's first byte.
        offset: usize,
    },
    /// A message larger than [`MAX_MESSAGE_BYTES`].
    #[error("message of {length} bytes exceeds the 65535-byte cap")]
    MessageTooLarge {
        /// The message's size.
        length: usize,
    },
    /// A PDU with more than [`MAX_VARBINDS`] varbinds.
    #[error("varbind at offset {offset} is beyond the 1000-varbind cap")]
    TooManyVarbinds {
        /// Offset of the first varbind over the cap.
        offset: usize,
    },
    /// Bytes after the end of an element that should end there.
    #[error("{count} trailing bytes at offset {offset}")]
    TrailingBytes {
        /// Offset of the first extra byte.
        offset: usize,
        /// How many extra bytes.
        count: usize,
    },
    /// A `version` other than 0 (v1) or 1 (v2c); v3 (3) is not community-based.
    #[error("unsupported SNMP version {0}")]
    UnsupportedVersion(i64),
}

/// Whether X.690 can carry `oid`: at least two arcs, the first 0, 1 or 2, the second below
/// 40 under 0 and 1, and at most 128 arcs. [`encode_message`] writes other OIDs too, but they
/// decode differently (the first two arcs share one subidentifier, `40 * x + y`).
pub fn is_encodable(oid: &Oid) -> bool {
    let shape = match oid.arcs() {
        [0 | 1, second, ..] => *second < 40,
        [2, _, ..] => true,
        _ => false,
    };
    shape && oid.len() <= MAX_ARCS
}

#[cfg(test)]
mod tests {
    use super::encode::{write_bytes, write_subidentifier, write_value};
    use super::*;
    use proptest::prelude::*;

    fn oid(text: &str) -> Oid {
        text.parse().unwrap()
    }

    fn encode(msg: &Message) -> Vec<u8> {
        let mut out = Vec::new();
        encode_message(msg, &mut out);
        out
    }

    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        write_bytes(&mut out, tag, content);
        out
    }

    /// A v2c GET message around raw varbind-list content (for errors deep inside).
    fn with_varbinds(list_content: &[u8]) -> Vec<u8> {
        let pdu = [
            &[0x02, 0x01, 0x01, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00][..],
            &tlv(SEQUENCE, list_content),
        ]
        .concat();
        let body = [
            &[0x02, 0x01, 0x01][..],
            &tlv(OCTET_STRING, b"public"),
            &tlv(0xA0, &pdu),
        ]
        .concat();
        tlv(SEQUENCE, &body)
    }

    fn varbind_with_value(value: &[u8]) -> Vec<u8> {
        let mut content = tlv(OBJECT_IDENTIFIER, &[0x2b, 0x06]);
        content.extend_from_slice(value);
        with_varbinds(&tlv(SEQUENCE, &content))
    }

    fn message(pdu: Pdu) -> Message {
        Message {
            version: Version::V2c,
            community: b"public".to_vec(),
            pdu,
        }
    }

    #[test]
    fn encodes_a_v2c_get_worked_out_by_hand() {
        let msg = message(Pdu::request(PduKind::Get, 1, [oid("1.3.6.1.2.1.1.2.0")]));
        #[rustfmt::skip]
        let wire = [
            0x30, 0x26,                                     // message, 38 bytes
            0x02, 0x01, 0x01,                               // version 1 = v2c
            0x04, 0x06, b'p', b'u', b'b', b'l', b'i', b'c', // community
            0xa0, 0x19,                                     // GetRequest, 25 bytes
            0x02, 0x01, 0x01,                               // request-id 1
            0x02, 0x01, 0x00,                               // error-status
            0x02, 0x01, 0x00,                               // error-index
            0x30, 0x0e,                                     // varbind list
            0x30, 0x0c,                                     // varbind
            0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x02, 0x00,
            0x05, 0x00,                                     // NULL
        ];
        assert_eq!(encode(&msg), wire);
        assert_eq!(decode_message(&wire).unwrap(), msg);
    }

    #[test]
    fn encodes_values_in_their_minimal_form() {
        let cases: &[(Value, &[u8])] = &[
            (Value::Integer(0), &[0x02, 0x01, 0x00]),
            (Value::Integer(127), &[0x02, 0x01, 0x7f]),
            (Value::Integer(128), &[0x02, 0x02, 0x00, 0x80]),
            (Value::Integer(256), &[0x02, 0x02, 0x01, 0x00]),
            (Value::Integer(-1), &[0x02, 0x01, 0xff]),
            (Value::Integer(-128), &[0x02, 0x01, 0x80]),
            (Value::Integer(-129), &[0x02, 0x02, 0xff, 0x7f]),
            (
                Value::Integer(i64::MIN),
                &[0x02, 0x08, 0x80, 0, 0, 0, 0, 0, 0, 0],
            ),
            (Value::Gauge32(0), &[0x42, 0x01, 0x00]),
            (Value::TimeTicks(128), &[0x43, 0x02, 0x00, 0x80]),
            (
                Value::Counter32(u32::MAX),
                &[0x41, 0x05, 0x00, 0xff, 0xff, 0xff, 0xff],
            ),
            (
                Value::Counter64(u64::MAX),
                &[
                    0x46, 0x09, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                ],
            ),
            (
                Value::IpAddress([192, 0, 2, 1]),
                &[0x40, 0x04, 192, 0, 2, 1],
            ),
            (Value::Null, &[0x05, 0x00]),
            (Value::NoSuchObject, &[0x80, 0x00]),
            (Value::NoSuchInstance, &[0x81, 0x00]),
            (Value::EndOfMibView, &[0x82, 0x00]),
            // X.690 §8.19.5 example: {2 999 3}.
            (Value::Oid(oid("2.999.3")), &[0x06, 0x03, 0x88, 0x37, 0x03]),
            (
                Value::OctetString(b"ab".to_vec()),
                &[0x04, 0x02, b'a', b'b'],
            ),
            (Value::Opaque(vec![0x9f]), &[0x44, 0x01, 0x9f]),
        ];
        for (value, wire) in cases {
            let mut out = Vec::new();
            write_value(&mut out, value);
            assert_eq!(&out, wire, "{value:?}");
            let decoded = decode_message(&varbind_with_value(wire)).unwrap();
            assert_eq!(&decoded.pdu.varbinds[0].1, value);
        }
    }

    #[test]
    fn long_form_lengths() {
        let mut out = Vec::new();
        write_bytes(&mut out, OCTET_STRING, &[7; 200]);
        assert_eq!(out[..3], [0x04, 0x81, 0xc8]);
        out.clear();
        write_bytes(&mut out, OCTET_STRING, &[7; 300]);
        assert_eq!(out[..4], [0x04, 0x82, 0x01, 0x2c]);
        // Non-minimal long forms are valid BER and accepted.
        let padded = varbind_with_value(&[0x04, 0x82, 0x00, 0x01, b'x']);
        let decoded = decode_message(&padded).unwrap();
        assert_eq!(decoded.pdu.varbinds[0].1, Value::OctetString(b"x".to_vec()));
    }

    #[test]
    fn round_trips_every_value_type_and_pdu_kind() {
        let values = vec![
            Value::Integer(-2_147_483_648),
            Value::OctetString(vec![0, 0xff, b'A']),
            Value::Null,
            Value::Oid(oid("1.3.6.1.4.1.318.1.3.2.12")),
            Value::IpAddress([10, 0, 0, 1]),
            Value::Counter32(3_000_000_000),
            Value::Gauge32(42),
            Value::TimeTicks(123_456),
            Value::Opaque(vec![0x9f, 0x78, 0x04, 0x42, 0xf6, 0x00, 0x00]),
            Value::Counter64(10_466_408_956),
            Value::NoSuchObject,
            Value::NoSuchInstance,
            Value::EndOfMibView,
        ];
        let kinds = [
            PduKind::Get,
            PduKind::GetNext,
            PduKind::Response,
            PduKind::Set,
            PduKind::GetBulk,
            PduKind::Trap,
            PduKind::Inform,
            PduKind::Report,
        ];
        for (i, kind) in kinds.into_iter().enumerate() {
            assert_eq!(PduKind::from_tag(kind.tag()), Some(kind));
            let varbinds = values
                .iter()
                .enumerate()
                .map(|(j, v)| (oid("1.3.6.1.2.1.33.1").child(j as u32), v.clone()))
                .collect();
            let msg = Message {
                version: if i % 2 == 0 {
                    Version::V1
                } else {
                    Version::V2c
                },
                community: b"closet-apc".to_vec(),
                pdu: Pdu {
                    kind,
                    request_id: i32::MIN + i as i32,
                    error_status: 2,
                    error_index: 13,
                    varbinds,
                },
            };
            assert_eq!(decode_message(&encode(&msg)).unwrap(), msg);
        }
    }

    #[test]
    fn get_bulk_fields_are_the_error_fields() {
        let pdu = Pdu::get_bulk(7, 1, 25, [oid("1.3.6.1.2.1.1"), oid("1.3.6.1.2.1.2")]);
        assert_eq!((pdu.non_repeaters(), pdu.max_repetitions()), (1, 25));
        assert_eq!((pdu.error_status, pdu.error_index), (1, 25));
        let wire = encode(&message(pdu.clone()));
        assert_eq!(wire[13], 0xa5);
        assert_eq!(decode_message(&wire).unwrap().pdu, pdu);
    }

    #[test]
    fn reads_unsigned_values_without_their_zero_pad() {
        let msg = decode_message(&varbind_with_value(&[0x41, 0x04, 0xff, 0xff, 0xff, 0xff]));
        assert_eq!(msg.unwrap().pdu.varbinds[0].1, Value::Counter32(u32::MAX));
    }

    #[test]
    fn oid_encodability() {
        assert!(is_encodable(&oid("1.3.6.1")));
        assert!(is_encodable(&oid("0.39")));
        assert!(is_encodable(&oid("2.4294967295")));
        assert!(!is_encodable(&oid("1")));
        assert!(!is_encodable(&oid("1.40")));
        assert!(!is_encodable(&oid("3.1")));
        assert!(!is_encodable(&Oid::new(vec![1; 129])));
        let big = oid("2.4294967295.4294967295");
        let msg = message(Pdu::request(PduKind::Get, 0, [big]));
        assert_eq!(decode_message(&encode(&msg)).unwrap(), msg);
    }

    fn error(bytes: &[u8]) -> BerError {
        decode_message(bytes).unwrap_err()
    }

    #[test]
    fn framing_errors_name_the_offset() {
        assert_eq!(error(&[]), BerError::Truncated { offset: 0 });
        assert_eq!(error(&[0x30]), BerError::Truncated { offset: 1 });
        assert_eq!(
            error(&[0x30, 0x82, 0x01]),
            BerError::Truncated { offset: 3 }
        );
        let e = error(&[0x30, 0x05, 0x02, 0x01]);
        assert_eq!(
            e,
            BerError::LengthBeyondInput {
                offset: 1,
                length: 5,
                remaining: 2
            }
        );
        assert_eq!(
            e.to_string(),
            "length 5 at offset 1 exceeds the 2 bytes that remain"
        );
        // A huge claimed length is refused before anything is allocated.
        assert!(matches!(
            error(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]),
            BerError::LengthBeyondInput {
                length: 0xffff_ffff,
                ..
            }
        ));
        assert_eq!(
            error(&[0x30, 0x80, 0x00, 0x00]),
            BerError::IndefiniteLength { offset: 1 }
        );
        assert_eq!(
            error(&[0x30, 0x85, 0, 0, 0, 0, 1]),
            BerError::LengthTooLong {
                offset: 1,
                octets: 5
            }
        );
        let mut good = encode(&message(Pdu::request(PduKind::Get, 1, [oid("1.3")])));
        good.push(0);
        let e = error(&good);
        assert_eq!(
            e,
            BerError::TrailingBytes {
                offset: good.len() - 1,
                count: 1
            }
        );
        assert_eq!(
            e.to_string(),
            format!("1 trailing bytes at offset {}", good.len() - 1)
        );
        let big = vec![0x30; MAX_MESSAGE_BYTES + 1];
        assert_eq!(
            error(&big).to_string(),
            "message of 65536 bytes exceeds the 65535-byte cap"
        );
    }

    #[test]
    fn tag_errors_say_which_tag_and_what_was_expected() {
        let e = error(&[0x31, 0x00]);
        assert_eq!(
            e.to_string(),
            "unexpected tag 0x31 at offset 0, expected a message SEQUENCE (0x30)"
        );
        let mut trap_v1 = encode(&message(Pdu::request(PduKind::Get, 1, [])));
        trap_v1[13] = 0xa4;
        assert_eq!(
            error(&trap_v1),
            BerError::BadTag {
                offset: 13,
                tag: 0xa4,
                expected: "a PDU (0xa0-0xa3, 0xa5-0xa8)"
            }
        );
        let e = error(&varbind_with_value(&[0x47, 0x00]));
        assert!(matches!(
            e,
            BerError::BadTag {
                tag: 0x47,
                expected: "a varbind value",
                ..
            }
        ));
        let e = error(&with_varbinds(&tlv(SEQUENCE, &[0x05, 0x00, 0x05, 0x00])));
        assert!(matches!(
            e,
            BerError::BadTag {
                tag: 0x05,
                expected: "a varbind name OID (0x06)",
                ..
            }
        ));
    }

    #[test]
    fn integer_errors() {
        let e = error(&[0x30, 0x0b, 0x02, 0x09, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            e,
            BerError::IntegerTooLong {
                offset: 2,
                length: 9
            }
        );
        assert_eq!(e.to_string(), "integer of 9 bytes at offset 2 is too long");
        let e = error(&varbind_with_value(&[
            0x46, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
        ]));
        assert!(matches!(e, BerError::IntegerTooLong { length: 10, .. }));
        let e = error(&varbind_with_value(&[0x41, 0x05, 0x01, 0, 0, 0, 0]));
        assert!(matches!(
            e,
            BerError::OutOfRange {
                type_name: "Counter32",
                value: 4_294_967_296,
                ..
            }
        ));
        assert!(e.to_string().starts_with("Counter32 4294967296 at offset"));
        let e = error(&varbind_with_value(&[
            0x46, 0x09, 0x01, 0, 0, 0, 0, 0, 0, 0, 0,
        ]));
        assert!(matches!(
            e,
            BerError::OutOfRange {
                type_name: "Counter64",
                ..
            }
        ));
        let mut wire = encode(&message(Pdu::request(PduKind::Get, 1, [])));
        // request-id 0x01 -> 0x80000000 needs 5 bytes; rebuild by hand.
        wire.splice(15..18, [0x02, 0x05, 0x00, 0x80, 0x00, 0x00, 0x00]);
        wire[1] += 4;
        wire[14] += 4;
        assert_eq!(
            error(&wire),
            BerError::OutOfRange {
                offset: 15,
                type_name: "request-id",
                value: 2_147_483_648
            }
        );
        let e = error(&varbind_with_value(&[0x02, 0x00]));
        assert_eq!(
            e.to_string(),
            format!("INTEGER at offset {} has invalid length 0", e_offset(&e))
        );
    }

    fn e_offset(e: &BerError) -> usize {
        match e {
            BerError::BadLength { offset, .. } => *offset,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn length_errors_for_fixed_size_types() {
        let cases: &[(&[u8], &str)] = &[
            (&[0x05, 0x01, 0x00], "NULL"),
            (&[0x40, 0x03, 1, 2, 3], "IpAddress"),
            (&[0x80, 0x01, 0x00], "noSuchObject"),
            (&[0x81, 0x01, 0x00], "noSuchInstance"),
            (&[0x82, 0x01, 0x00], "endOfMibView"),
            (&[0x06, 0x00], "OBJECT IDENTIFIER"),
            (&[0x43, 0x00], "TimeTicks"),
        ];
        for (wire, name) in cases {
            let e = error(&varbind_with_value(wire));
            assert!(
                matches!(e, BerError::BadLength { type_name, .. } if type_name == *name),
                "{e:?}"
            );
        }
    }

    #[test]
    fn oid_errors() {
        // 2^32 as a non-first arc: 0x90 0x80 0x80 0x80 0x00.
        let e = error(&varbind_with_value(&tlv(
            0x06,
            &[0x2b, 0x90, 0x80, 0x80, 0x80, 0x00],
        )));
        assert!(matches!(e, BerError::ArcOverflow { .. }), "{e:?}");
        assert!(e.to_string().ends_with("does not fit in 32 bits"));
        // A first subidentifier of 2^32 + 80 is 2.(2^32): too big as well.
        let first = 4_294_967_296u64 + 80;
        let mut out = Vec::new();
        write_subidentifier(&mut out, first);
        let e = error(&varbind_with_value(&tlv(0x06, &out)));
        assert!(matches!(e, BerError::ArcOverflow { .. }), "{e:?}");
        // Continuation bit on the last byte.
        let e = error(&varbind_with_value(&tlv(0x06, &[0x2b, 0x86])));
        assert!(matches!(e, BerError::Truncated { .. }), "{e:?}");
        // 129 arcs: 1.3 then 127 more.
        let long = [&[0x2b][..], &[0x01; 127]].concat();
        let e = error(&varbind_with_value(&tlv(0x06, &long)));
        assert!(matches!(e, BerError::OidTooLong { .. }), "{e:?}");
        assert!(e.to_string().ends_with("has more than 128 arcs"));
        let ok = [&[0x2b][..], &[0x01; 126]].concat();
        let msg = decode_message(&varbind_with_value(&tlv(0x06, &ok))).unwrap();
        assert_eq!(
            msg.pdu.varbinds[0].1,
            Value::Oid(Oid::new([&[1, 3][..], &[1; 126]].concat()))
        );
    }

    #[test]
    fn varbind_cap_and_structure() {
        let oids = |n| (0..n).map(|i| oid("1.3").child(i));
        let at_cap = message(Pdu::request(PduKind::GetNext, 1, oids(MAX_VARBINDS as u32)));
        assert_eq!(decode_message(&encode(&at_cap)).unwrap(), at_cap);
        let over = message(Pdu::request(
            PduKind::GetNext,
            1,
            oids(MAX_VARBINDS as u32 + 1),
        ));
        let e = error(&encode(&over));
        assert!(matches!(e, BerError::TooManyVarbinds { .. }), "{e:?}");
        assert!(e.to_string().contains("beyond the 1000-varbind cap"));
        let three = [tlv(0x06, &[0x2b]), tlv(0x05, &[]), tlv(0x05, &[])].concat();
        let e = error(&with_varbinds(&tlv(SEQUENCE, &three)));
        assert!(
            matches!(e, BerError::TrailingBytes { count: 2, .. }),
            "{e:?}"
        );
    }

    #[test]
    fn versions() {
        let mut v3 = encode(&message(Pdu::request(PduKind::Get, 1, [])));
        v3[4] = 3;
        assert_eq!(error(&v3), BerError::UnsupportedVersion(3));
        assert_eq!(error(&v3).to_string(), "unsupported SNMP version 3");
        v3[4] = 0;
        assert_eq!(decode_message(&v3).unwrap().version, Version::V1);
    }

    fn arb_oid() -> impl Strategy<Value = Oid> {
        let head = prop_oneof![
            (0u32..2, 0u32..40).prop_map(|(x, y)| vec![x, y]),
            any::<u32>().prop_map(|y| vec![2, y]),
        ];
        (head, proptest::collection::vec(any::<u32>(), 0..20))
            .prop_map(|(head, tail)| Oid::new([head, tail].concat()))
    }

    fn arb_value() -> impl Strategy<Value = Value> {
        let bytes = || proptest::collection::vec(any::<u8>(), 0..300);
        prop_oneof![
            any::<i64>().prop_map(Value::Integer),
            bytes().prop_map(Value::OctetString),
            Just(Value::Null),
            arb_oid().prop_map(Value::Oid),
            any::<[u8; 4]>().prop_map(Value::IpAddress),
            any::<u32>().prop_map(Value::Counter32),
            any::<u32>().prop_map(Value::Gauge32),
            any::<u32>().prop_map(Value::TimeTicks),
            bytes().prop_map(Value::Opaque),
            any::<u64>().prop_map(Value::Counter64),
            Just(Value::NoSuchObject),
            Just(Value::NoSuchInstance),
            Just(Value::EndOfMibView),
        ]
    }

    fn arb_message() -> impl Strategy<Value = Message> {
        let kind = prop_oneof![
            Just(PduKind::Get),
            Just(PduKind::GetNext),
            Just(PduKind::Response),
            Just(PduKind::Set),
            Just(PduKind::GetBulk),
            Just(PduKind::Trap),
            Just(PduKind::Inform),
            Just(PduKind::Report),
        ];
        (
            any::<bool>(),
            proptest::collection::vec(any::<u8>(), 0..40),
            kind,
            any::<i32>(),
            any::<i64>(),
            any::<i64>(),
            proptest::collection::vec((arb_oid(), arb_value()), 0..30),
        )
            .prop_map(
                |(v1, community, kind, request_id, error_status, error_index, varbinds)| Message {
                    version: if v1 { Version::V1 } else { Version::V2c },
                    community,
                    pdu: Pdu {
                        kind,
                        request_id,
                        error_status,
                        error_index,
                        varbinds,
                    },
                },
            )
    }

    proptest! {
        #[test]
        fn decode_inverts_encode(msg in arb_message()) {
            let wire = encode(&msg);
            prop_assert_eq!(decode_message(&wire), Ok(msg));
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            if let Ok(msg) = decode_message(&bytes) {
                prop_assert_eq!(decode_message(&encode(&msg)), Ok(msg));
            }
        }

        #[test]
        fn mangled_messages_never_panic(
            msg in arb_message(),
            at in any::<usize>(),
            byte in any::<u8>(),
        ) {
            let mut wire = encode(&msg);
            let at = at % wire.len();
            wire[at] = byte;
            if let Ok(msg) = decode_message(&wire) {
                prop_assert_eq!(decode_message(&encode(&msg)), Ok(msg));
            }
            let _ = decode_message(&wire[..at]);
        }
    }
}
