//! A scripted SNMP agent for the `snmp_walk` target: fuzz bytes become a sequence of responses,
//! each an error-status and a list of varbinds.
//!
//! OIDs are mostly built relative to what was asked or to an OID of the profile's plan, plus a
//! few arcs, so the fuzzer walks inside the MIB columns instead of having to guess 12-arc OIDs.
//! An exhausted script reads as zeros, so every prefix of an input is a complete run.
//!
//! Layout of one response: a header byte (`h & 7`: 0-5 answer normally, 6 `noSuchName`,
//! 7 `genErr`; `h >> 3`: 0-30 varbinds, 31 means 31 plus the next byte), then per varbind an
//! OID and a value:
//!
//! - OID byte `o`: base `o & 3` (0 the OID asked in this varbind's slot, 1 the plan's OID picked
//!   by the next byte, 2 the previous varbind's OID, 3 a count byte `% 32` and that many arcs);
//!   bit 4 drops the base's last arc; then `(o >> 2) & 3` more arcs. Arcs are
//!   [numbers](Script::number).
//! - value byte `t % 13`: Integer, OctetString (length byte, bytes), Null, OID (as
//!   above, asked = the first OID asked), IpAddress (4 bytes), Counter32, Gauge32, TimeTicks,
//!   Opaque (as OctetString), Counter64, noSuchObject, noSuchInstance, endOfMibView.
//!
//! [`writer`] encodes responses in this layout (the seed generator uses it).

mod writer;

use upsight_proto::snmp::{Oid, Value};

pub use writer::Writer;

/// RFC 3416 error-status `noSuchName` (v1: past the end of the MIB).
pub const NO_SUCH_NAME: u32 = 2;
/// RFC 3416 error-status `genErr`.
pub const GEN_ERR: u32 = 5;

/// Most arcs of an absolute OID (base 3).
const MAX_ABSOLUTE_ARCS: u8 = 32;
/// The varbind count in a header that says "and the next byte adds more".
const COUNT_EXTENDED: u8 = 31;

/// One response as the exporter's source hands it on: error-status and varbinds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// 0, [`NO_SUCH_NAME`] or [`GEN_ERR`].
    pub error_status: u32,
    /// The varbinds, in wire order.
    pub varbinds: Vec<(Oid, Value)>,
}

/// The fuzz input, read front to back.
#[derive(Debug)]
pub struct Script<'a> {
    data: &'a [u8],
}

impl<'a> Script<'a> {
    /// A script over `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Self { data }
    }

    /// Whether every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The next byte, 0 once exhausted.
    pub fn byte(&mut self) -> u8 {
        let Some((&first, rest)) = self.data.split_first() else {
            return 0;
        };
        self.data = rest;
        first
    }

    fn bytes(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.data.split_at(n.min(self.data.len()));
        self.data = rest;
        head
    }

    /// A number up to 64 bits, short for small values: `b < 0x80` is `b`; `0x80..0xC0` adds one
    /// byte (14 bits); `0xC0..0xE0` is the next 4 bytes, `0xE0..` the next 8 (big-endian).
    pub fn number(&mut self) -> u64 {
        let b = self.byte();
        let wide = |bytes: &[u8]| bytes.iter().fold(0_u64, |n, &b| n << 8 | u64::from(b));
        match b {
            0x00..0x80 => u64::from(b),
            0x80..0xC0 => u64::from(b & 0x3F) << 8 | u64::from(self.byte()),
            0xC0..0xE0 => wide(self.bytes(4)),
            _ => wide(self.bytes(8)),
        }
    }

    fn number_u32(&mut self) -> u32 {
        // Wide numbers keep their low bits: 0xC0 + ff ff ff ff is u32::MAX.
        self.number() as u32
    }

    /// The next response to a request for `asked`, with `known` (the plan's OIDs) to pick bases
    /// from; `None` once the script is exhausted (the agent went silent).
    pub fn response(&mut self, asked: &[Oid], known: &[Oid]) -> Option<Response> {
        if self.is_empty() {
            return None;
        }
        let header = self.byte();
        let error_status = match header & 7 {
            6 => NO_SUCH_NAME,
            7 => GEN_ERR,
            _ => 0,
        };
        let mut count = usize::from(header >> 3);
        if header >> 3 == COUNT_EXTENDED {
            count += usize::from(self.byte());
        }
        let mut varbinds: Vec<(Oid, Value)> = Vec::with_capacity(count);
        for slot in 0..count {
            let previous = varbinds.last().map(|(oid, _)| oid);
            let oid = self.oid(asked.get(slot % asked.len().max(1)), previous, known);
            let value = self.value(asked, known);
            varbinds.push((oid, value));
        }
        Some(Response {
            error_status,
            varbinds,
        })
    }

    fn oid(&mut self, asked: Option<&Oid>, previous: Option<&Oid>, known: &[Oid]) -> Oid {
        let spec = self.byte();
        let base = match spec & 3 {
            0 => asked.cloned(),
            1 => {
                let pick = usize::from(self.byte());
                known.get(pick % known.len().max(1)).cloned()
            }
            2 => previous.cloned(),
            _ => {
                let len = self.byte() % MAX_ABSOLUTE_ARCS;
                Some(Oid::new((0..len).map(|_| self.number_u32()).collect()))
            }
        };
        let mut arcs = base.map(|oid| oid.arcs().to_vec()).unwrap_or_default();
        if spec & 0x10 != 0 {
            arcs.pop();
        }
        for _ in 0..(spec >> 2) & 3 {
            arcs.push(self.number_u32());
        }
        Oid::new(arcs)
    }

    fn value(&mut self, asked: &[Oid], known: &[Oid]) -> Value {
        match self.byte() % 13 {
            0 => Value::Integer(self.number() as i64),
            1 => Value::OctetString(self.string()),
            2 => Value::Null,
            3 => Value::Oid(self.oid(asked.first(), None, known)),
            4 => {
                let mut address = [0; 4];
                for (slot, &b) in address.iter_mut().zip(self.bytes(4)) {
                    *slot = b;
                }
                Value::IpAddress(address)
            }
            5 => Value::Counter32(self.number_u32()),
            6 => Value::Gauge32(self.number_u32()),
            7 => Value::TimeTicks(self.number_u32()),
            8 => Value::Opaque(self.string()),
            9 => Value::Counter64(self.number()),
            10 => Value::NoSuchObject,
            11 => Value::NoSuchInstance,
            _ => Value::EndOfMibView,
        }
    }

    fn string(&mut self) -> Vec<u8> {
        let len = usize::from(self.byte());
        self.bytes(len).to_vec()
    }
}
