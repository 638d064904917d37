//! Answers one request PDU from a device's objects, the way an agent does (RFC 3416 for v2c,
//! RFC 1157 and RFC 3584 for v1), and encodes the answer within the size cap. No socket here.

use std::collections::BTreeMap;
use std::ops::Bound;

use upsight_proto::snmp::ber::{Message, Pdu, PduKind, Version, encode_message};
use upsight_proto::snmp::{Oid, Value};

use super::MAX_RESPONSE_BYTES;

/// A device's objects in walk order.
pub(super) type Mib = BTreeMap<Oid, Value>;

// error-status values (RFC 1157 §4.1.1, RFC 3416 §3).
const TOO_BIG: i64 = 1;
const NO_SUCH_NAME: i64 = 2;
const BAD_VALUE: i64 = 3;
const WRONG_TYPE: i64 = 7;
const NO_CREATION: i64 = 11;

/// The response to `request`, or `None` for what an agent drops: a v1 GetBulk (RFC 3584
/// §4.1) and PDUs that are not requests.
pub(super) fn respond(
    mib: &mut Mib,
    version: Version,
    request: &Pdu,
    max_varbinds: usize,
) -> Option<Pdu> {
    let is_bulk = request.kind == PduKind::GetBulk;
    if !is_bulk && request.varbinds.len() > max_varbinds {
        return Some(too_big(version, request));
    }
    Some(match (request.kind, version) {
        (PduKind::Get, _) => get(mib, version, request),
        (PduKind::GetNext, _) => get_next(mib, version, request),
        (PduKind::GetBulk, Version::V2c) => get_bulk(mib, request, max_varbinds),
        (PduKind::Set, _) => set(mib, version, request),
        _ => return None,
    })
}

/// The encoded response, shortened (GetBulk) or replaced by tooBig when it exceeds
/// [`MAX_RESPONSE_BYTES`]; `None` if even that does not fit (RFC 3416 §4.2.1: drop it).
pub(super) fn encode_within_limit(request: &Message, response: Pdu) -> Option<Vec<u8>> {
    let mut message = Message {
        version: request.version,
        community: request.community.clone(),
        pdu: response,
    };
    let mut wire = encode(&message);
    // Each pass strictly shortens the varbind list, so this ends.
    while wire.len() > MAX_RESPONSE_BYTES && request.pdu.kind == PduKind::GetBulk {
        let count = message.pdu.varbinds.len();
        if count == 0 {
            return None;
        }
        let fitting = count * MAX_RESPONSE_BYTES / wire.len();
        message.pdu.varbinds.truncate(fitting.min(count - 1));
        wire = encode(&message);
    }
    if wire.len() > MAX_RESPONSE_BYTES {
        message.pdu = too_big(request.version, &request.pdu);
        wire = encode(&message);
    }
    (wire.len() <= MAX_RESPONSE_BYTES).then_some(wire)
}

fn encode(message: &Message) -> Vec<u8> {
    let mut wire = Vec::new();
    encode_message(message, &mut wire);
    wire
}

fn get(mib: &Mib, version: Version, request: &Pdu) -> Pdu {
    let mut varbinds = Vec::with_capacity(request.varbinds.len());
    for (i, (oid, _)) in request.varbinds.iter().enumerate() {
        match mib.get(oid).filter(|v| is_visible(version, v)) {
            Some(value) => varbinds.push((oid.clone(), value.clone())),
            None if version == Version::V1 => return error(request, NO_SUCH_NAME, i),
            None => varbinds.push((oid.clone(), missing(mib, oid))),
        }
    }
    response(request, varbinds)
}

fn get_next(mib: &Mib, version: Version, request: &Pdu) -> Pdu {
    let mut varbinds = Vec::with_capacity(request.varbinds.len());
    for (i, (oid, _)) in request.varbinds.iter().enumerate() {
        match next_after(mib, version, oid) {
            Some((next, value)) => varbinds.push((next.clone(), value.clone())),
            None if version == Version::V1 => return error(request, NO_SUCH_NAME, i),
            None => varbinds.push((oid.clone(), Value::EndOfMibView)),
        }
    }
    response(request, varbinds)
}

/// RFC 3416 §4.2.3. Columns that run off the end keep answering endOfMibView for the
/// remaining repetitions, as snmpsim does; the list stops at `max_varbinds`.
fn get_bulk(mib: &Mib, request: &Pdu, max_varbinds: usize) -> Pdu {
    let count = request.varbinds.len();
    let non_repeaters = usize::try_from(request.non_repeaters().max(0)).unwrap_or(count);
    let (once, repeated) = request.varbinds.split_at(non_repeaters.min(count));
    let repetitions = usize::try_from(request.max_repetitions().max(0)).unwrap_or(usize::MAX);
    let mut varbinds = Vec::new();
    for (oid, _) in once.iter().take(max_varbinds) {
        varbinds.push(next_or_end(mib, oid));
    }
    let mut cursors: Vec<Oid> = repeated.iter().map(|(oid, _)| oid.clone()).collect();
    // `repetitions` may be 2^31: the varbind cap, not the repetition count, bounds the work.
    if !cursors.is_empty() {
        'rows: for _ in 0..repetitions {
            for cursor in &mut cursors {
                if varbinds.len() >= max_varbinds {
                    break 'rows;
                }
                let (oid, value) = next_or_end(mib, cursor);
                cursor.clone_from(&oid);
                varbinds.push((oid, value));
            }
        }
    }
    response(request, varbinds)
}

/// All-or-nothing (RFC 3416 §4.2.5): every varbind must name an existing object and keep its
/// type. v1 has no wrongType or noCreation, so it gets badValue and noSuchName (RFC 3584
/// §4.4).
fn set(mib: &mut Mib, version: Version, request: &Pdu) -> Pdu {
    let is_v1 = version == Version::V1;
    for (i, (oid, value)) in request.varbinds.iter().enumerate() {
        let Some(current) = mib.get(oid) else {
            return error(request, if is_v1 { NO_SUCH_NAME } else { NO_CREATION }, i);
        };
        let is_same_type = std::mem::discriminant(current) == std::mem::discriminant(value);
        if !is_same_type || value.is_exception() {
            return error(request, if is_v1 { BAD_VALUE } else { WRONG_TYPE }, i);
        }
    }
    for (oid, value) in &request.varbinds {
        mib.insert(oid.clone(), value.clone());
    }
    response(request, request.varbinds.clone())
}

/// v1 cannot carry Counter64 or the v2c exceptions (RFC 3584 §4.2.2.1): such objects are
/// invisible to v1 requests.
fn is_visible(version: Version, value: &Value) -> bool {
    version == Version::V2c || !(matches!(value, Value::Counter64(_)) || value.is_exception())
}

fn next_after<'m>(mib: &'m Mib, version: Version, oid: &Oid) -> Option<(&'m Oid, &'m Value)> {
    mib.range((Bound::Excluded(oid), Bound::Unbounded))
        .find(|(_, value)| is_visible(version, value))
}

fn next_or_end(mib: &Mib, oid: &Oid) -> (Oid, Value) {
    match next_after(mib, Version::V2c, oid) {
        Some((next, value)) => (next.clone(), value.clone()),
        None => (oid.clone(), Value::EndOfMibView),
    }
}

/// Without a MIB the agent cannot know object boundaries, so: noSuchInstance when a
/// recorded OID of the same length differs only in the last arc (`sysName.5` next to
/// `sysName.0`), noSuchObject otherwise.
fn missing(mib: &Mib, oid: &Oid) -> Value {
    let Some((_, parent)) = oid.arcs().split_last() else {
        return Value::NoSuchObject;
    };
    let parent = Oid::from(parent);
    let has_sibling = mib
        .range(&parent..)
        .take_while(|(key, _)| key.starts_with(&parent))
        .any(|(key, _)| key.len() == oid.len());
    if has_sibling {
        Value::NoSuchInstance
    } else {
        Value::NoSuchObject
    }
}

fn response(request: &Pdu, varbinds: Vec<(Oid, Value)>) -> Pdu {
    Pdu {
        kind: PduKind::Response,
        request_id: request.request_id,
        error_status: 0,
        error_index: 0,
        varbinds,
    }
}

/// An error response echoing the request's varbinds; `position` is 0-based.
fn error(request: &Pdu, status: i64, position: usize) -> Pdu {
    Pdu {
        error_status: status,
        error_index: i64::try_from(position + 1).unwrap_or(i64::MAX),
        ..response(request, request.varbinds.clone())
    }
}

/// tooBig: v1 echoes the request's varbinds (RFC 1157 §4.1.2), v2c sends none (RFC 3416
/// §4.2.1).
fn too_big(version: Version, request: &Pdu) -> Pdu {
    let varbinds = match version {
        Version::V1 => request.varbinds.clone(),
        Version::V2c => Vec::new(),
    };
    Pdu {
        error_status: TOO_BIG,
        ..response(request, varbinds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oid(text: &str) -> Oid {
        text.parse().unwrap()
    }

    fn mib() -> Mib {
        [
            ("1.3.6.1.2.1.1.1.0", Value::OctetString(b"descr".to_vec())),
            ("1.3.6.1.2.1.1.5.0", Value::OctetString(b"name".to_vec())),
            ("1.3.6.1.2.1.31.1.1.1.6.1", Value::Counter64(7)),
            ("1.3.6.1.2.1.33.1.2.4.0", Value::Integer(100)),
        ]
        .into_iter()
        .map(|(o, v)| (oid(o), v))
        .collect()
    }

    #[test]
    fn missing_objects_and_instances() {
        let mib = mib();
        assert_eq!(
            missing(&mib, &oid("1.3.6.1.2.1.1.5.1")),
            Value::NoSuchInstance
        );
        assert_eq!(missing(&mib, &oid("1.3.6.1.2.1.1.99")), Value::NoSuchObject);
        assert_eq!(
            missing(&mib, &oid("1.3.6.1.4.1.318.1.1.1.1.1.1.0")),
            Value::NoSuchObject
        );
    }

    #[test]
    fn v1_does_not_see_counter64() {
        let mut mib = mib();
        let get = Pdu::request(PduKind::Get, 1, [oid("1.3.6.1.2.1.31.1.1.1.6.1")]);
        let answer = respond(&mut mib, Version::V1, &get, 64).unwrap();
        assert_eq!((answer.error_status, answer.error_index), (NO_SUCH_NAME, 1));
        let next = Pdu::request(PduKind::GetNext, 1, [oid("1.3.6.1.2.1.1.5.0")]);
        let answer = respond(&mut mib, Version::V1, &next, 64).unwrap();
        assert_eq!(answer.varbinds[0].0, oid("1.3.6.1.2.1.33.1.2.4.0"));
        let answer = respond(&mut mib, Version::V2c, &next, 64).unwrap();
        assert_eq!(answer.varbinds[0].1, Value::Counter64(7));
    }

    #[test]
    fn huge_max_repetitions_without_repeaters_is_cheap() {
        let mut mib = mib();
        let bulk = Pdu::get_bulk(1, 1, i64::from(i32::MAX), [oid("1.3")]);
        let answer = respond(&mut mib, Version::V2c, &bulk, 64).unwrap();
        assert_eq!(answer.varbinds.len(), 1);
        let bulk = Pdu::get_bulk(1, -5, i64::from(i32::MAX), [oid("1.3")]);
        let answer = respond(&mut mib, Version::V2c, &bulk, 64).unwrap();
        assert_eq!(answer.varbinds.len(), 64);
        assert_eq!(
            answer.varbinds[63],
            (oid("1.3.6.1.2.1.33.1.2.4.0"), Value::EndOfMibView)
        );
    }

    #[test]
    fn requests_an_agent_drops() {
        let mut mib = mib();
        let bulk = Pdu::get_bulk(1, 0, 5, [oid("1.3")]);
        assert_eq!(respond(&mut mib, Version::V1, &bulk, 64), None);
        let mut response = Pdu::request(PduKind::Response, 1, [oid("1.3")]);
        assert_eq!(respond(&mut mib, Version::V2c, &response, 64), None);
        response.kind = PduKind::Trap;
        assert_eq!(respond(&mut mib, Version::V2c, &response, 64), None);
    }

    #[test]
    fn oversized_bulk_responses_are_shortened() {
        let mut mib = Mib::new();
        for i in 0..10 {
            mib.insert(
                oid("1.3.6.1.4.1.99999").child(i),
                Value::OctetString(vec![b'x'; 20_000]),
            );
        }
        let request = Message {
            version: Version::V2c,
            community: b"c".to_vec(),
            pdu: Pdu::get_bulk(1, 0, 10, [oid("1.3")]),
        };
        let answer = respond(&mut mib, Version::V2c, &request.pdu, 64).unwrap();
        assert_eq!(answer.varbinds.len(), 10);
        let wire = encode_within_limit(&request, answer).unwrap();
        let decoded = upsight_proto::snmp::ber::decode_message(&wire).unwrap();
        assert!(wire.len() <= MAX_RESPONSE_BYTES);
        assert_eq!(
            (decoded.pdu.error_status, decoded.pdu.varbinds.len()),
            (0, 3)
        );
    }
}
