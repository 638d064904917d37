//! The other direction of [`Script`](super::Script): responses → bytes in the same layout, so
//! seed inputs can be built from recorded agents (`examples/snmp_walk_seeds.rs`).

use upsight_proto::snmp::{Oid, Value};

use super::{COUNT_EXTENDED, GEN_ERR, MAX_ABSOLUTE_ARCS, NO_SUCH_NAME};

/// Most varbinds one response can carry in the layout.
const MAX_VARBINDS: usize = COUNT_EXTENDED as usize + u8::MAX as usize;

/// Builds one input: the setup byte, then responses.
#[derive(Debug, Clone)]
pub struct Writer {
    bytes: Vec<u8>,
}

impl Writer {
    /// An input starting with `setup` (see the `snmp_walk` target).
    pub fn new(setup: u8) -> Self {
        Self { bytes: vec![setup] }
    }

    /// The input.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// Appends one response to a request for `asked`. `error_status` is 0, `noSuchName` or
    /// `genErr`; varbinds past the layout's 286 are left out, strings are cut to 255 bytes and
    /// OIDs to 34 arcs.
    pub fn response(&mut self, asked: &[Oid], error_status: u32, varbinds: &[(Oid, Value)]) {
        let status = match error_status {
            NO_SUCH_NAME => 6,
            GEN_ERR => 7,
            _ => 0,
        };
        let varbinds = &varbinds[..varbinds.len().min(MAX_VARBINDS)];
        let count = varbinds.len();
        if count < usize::from(COUNT_EXTENDED) {
            self.bytes.push((count as u8) << 3 | status);
        } else {
            self.bytes.push(COUNT_EXTENDED << 3 | status);
            self.bytes.push((count - usize::from(COUNT_EXTENDED)) as u8);
        }
        for (slot, (oid, value)) in varbinds.iter().enumerate() {
            self.oid(asked.get(slot % asked.len().max(1)), oid);
            self.value(asked.first(), value);
        }
    }

    /// `oid` relative to `base` when it is at most three arcs below it or below its parent,
    /// else absolute.
    fn oid(&mut self, base: Option<&Oid>, oid: &Oid) {
        let arcs = oid.arcs();
        let relative = base.and_then(|base| {
            let base = base.arcs();
            let parent = &base[..base.len().saturating_sub(1)];
            [(base, 0_u8), (parent, 0x10)]
                .into_iter()
                .find(|(prefix, _)| arcs.starts_with(prefix) && arcs.len() - prefix.len() <= 3)
                .map(|(prefix, pop)| (prefix.len(), pop))
        });
        let tail = match relative {
            Some((kept, pop)) => {
                let tail = &arcs[kept..];
                self.bytes.push(pop | (tail.len() as u8) << 2);
                tail
            }
            None => {
                let head = arcs.len().min(usize::from(MAX_ABSOLUTE_ARCS - 1));
                let tail = &arcs[head..arcs.len().min(head + 3)];
                self.bytes.push(3 | (tail.len() as u8) << 2);
                self.bytes.push(head as u8);
                for &arc in &arcs[..head] {
                    self.number(u64::from(arc));
                }
                tail
            }
        };
        for &arc in tail {
            self.number(u64::from(arc));
        }
    }

    fn value(&mut self, asked: Option<&Oid>, value: &Value) {
        let (tag, number) = match value {
            Value::Integer(v) => (0, Some(*v as u64)),
            Value::OctetString(_) => (1, None),
            Value::Null => (2, None),
            Value::Oid(_) => (3, None),
            Value::IpAddress(_) => (4, None),
            Value::Counter32(v) => (5, Some(u64::from(*v))),
            Value::Gauge32(v) => (6, Some(u64::from(*v))),
            Value::TimeTicks(v) => (7, Some(u64::from(*v))),
            Value::Opaque(_) => (8, None),
            Value::Counter64(v) => (9, Some(*v)),
            Value::NoSuchObject => (10, None),
            Value::NoSuchInstance => (11, None),
            Value::EndOfMibView => (12, None),
        };
        self.bytes.push(tag);
        if let Some(n) = number {
            self.number(n);
        }
        match value {
            Value::OctetString(bytes) | Value::Opaque(bytes) => {
                let bytes = &bytes[..bytes.len().min(usize::from(u8::MAX))];
                self.bytes.push(bytes.len() as u8);
                self.bytes.extend_from_slice(bytes);
            }
            Value::Oid(oid) => self.oid(asked, oid),
            Value::IpAddress(address) => self.bytes.extend_from_slice(address),
            _ => {}
        }
    }

    /// The shortest form [`Script::number`](super::Script::number) reads back as `n`.
    fn number(&mut self, n: u64) {
        match n {
            0..0x80 => self.bytes.push(n as u8),
            0x80..0x4000 => self
                .bytes
                .extend_from_slice(&[0x80 | (n >> 8) as u8, n as u8]),
            0x4000..=0xFFFF_FFFF => {
                self.bytes.push(0xC0);
                self.bytes.extend_from_slice(&(n as u32).to_be_bytes());
            }
            _ => {
                self.bytes.push(0xE0);
                self.bytes.extend_from_slice(&n.to_be_bytes());
            }
        }
    }
}
