//! Fuzz target `snmp_message`: a hostile SNMP peer. The input is one UDP datagram for
//! [`decode_message`], which must not panic; a message it accepts must respect the caps and
//! survive a round trip, `decode(encode(m)) == m`.
//!
//! The decoder is lenient where real agents are sloppy (long-form lengths with leading zeros,
//! unsigned values without their 0x00 pad), so re-encoding may change the bytes and even grow
//! them past the message cap; only the value has to come back.

#![no_main]

use libfuzzer_sys::fuzz_target;
use upsight_proto::snmp::ber::{
    BerError, MAX_MESSAGE_BYTES, MAX_VARBINDS, decode_message, encode_message, is_encodable,
};

fuzz_target!(|data: &[u8]| {
    let Ok(message) = decode_message(data) else {
        return;
    };
    assert!(data.len() <= MAX_MESSAGE_BYTES);
    assert!(message.pdu.varbinds.len() <= MAX_VARBINDS);
    assert!(
        message
            .pdu
            .varbinds
            .iter()
            .all(|(oid, _)| is_encodable(oid))
    );
    let mut wire = Vec::new();
    encode_message(&message, &mut wire);
    if wire.len() > MAX_MESSAGE_BYTES {
        assert!(matches!(
            decode_message(&wire),
            Err(BerError::MessageTooLarge { .. })
        ));
        return;
    }
    match decode_message(&wire) {
        Ok(again) => assert_eq!(again, message, "re-encoded as {wire:02x?}"),
        Err(e) => panic!("{message:?} re-encoded as {wire:02x?} fails with {e}"),
    }
});
