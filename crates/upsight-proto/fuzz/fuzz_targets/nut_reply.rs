//! Fuzz target `nut_reply`: a hostile upsd. The input is a byte stream fed in chunks through a
//! [`LineBuffer`] and a sequence of [`Decoder`]s, as a pipelining client would, and it checks
//! the codec's invariants: no panic, lines within the cap, lists within the cap, a finished
//! decoder refuses more lines, and a decoded reply that can be re-encoded decodes to itself.
//!
//! The first byte picks the expectation (`b % 6`, so ASCII `'0'`..`'5'` in the seed corpus
//! mean UpsList, VarList, Var, CmdList, Text, Ok) and the chunk size; the rest is the stream.

#![no_main]

use libfuzzer_sys::fuzz_target;
use upsight_proto::nut::{Decoder, Expect, Limits, LineBuffer, ParseError, Reply, encode_reply};

/// Small caps, so the fuzzer reaches both limits quickly.
const LIMITS: Limits = Limits {
    max_line_bytes: 512,
    max_list_entries: 32,
};

fn expect(selector: u8) -> Expect {
    let ups = "u".to_owned();
    match selector % 6 {
        0 => Expect::UpsList,
        1 => Expect::VarList { ups },
        2 => Expect::Var {
            ups,
            var: "ups.status".to_owned(),
        },
        3 => Expect::CmdList { ups },
        4 => Expect::Text,
        _ => Expect::Ok,
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, stream)) = data.split_first() else {
        return;
    };
    let chunk_size = 1 + usize::from(first / 6) % 32;
    let mut lines = LineBuffer::new(LIMITS);
    let mut decoder = Decoder::new(expect(first), LIMITS);
    for chunk in stream.chunks(chunk_size) {
        lines.extend(chunk);
        loop {
            match lines.next_line() {
                Ok(None) => {
                    assert!(lines.pending() <= LIMITS.max_line_bytes + 1); // +1: a `\r` in flight
                    break;
                }
                Err(ParseError::LineTooLong { .. }) => {
                    assert!(lines.pending() <= LIMITS.max_line_bytes + 1 + chunk.len());
                    lines.clear();
                    decoder = Decoder::new(expect(first), LIMITS);
                    break;
                }
                Err(other) => panic!("line buffer gave {other:?}"),
                Ok(Some(line)) => {
                    assert!(line.len() <= LIMITS.max_line_bytes && !line.contains(&b'\n'));
                    match decoder.push_line(line) {
                        Ok(None) => continue,
                        Ok(Some(reply)) => {
                            assert!(decoder.push_line(b"OK").is_err());
                            check(&reply, &expect(first));
                        }
                        Err(_) => {}
                    }
                    decoder = Decoder::new(expect(first), LIMITS);
                }
            }
        }
    }
});

fn check(reply: &Reply, expect: &Expect) {
    let len = match reply {
        Reply::UpsList(entries) => entries.len(),
        Reply::VarList { ups, vars } => {
            assert_eq!(ups, "u");
            vars.len()
        }
        Reply::CmdList { ups, commands } => {
            assert_eq!(ups, "u");
            commands.len()
        }
        Reply::Var { ups, var } => {
            assert!(ups == "u" && var.name == "ups.status");
            0
        }
        Reply::Text(_) | Reply::Ok(_) | Reply::Error(_) => 0,
    };
    assert!(len <= LIMITS.max_list_entries);
    // `OK`/`ERR` detail is free text that upsd never quotes, so only structured replies are
    // guaranteed to survive a re-encode (names that cannot be one word are refused instead).
    if matches!(reply, Reply::Text(_) | Reply::Ok(_) | Reply::Error(_)) {
        return;
    }
    let mut wire = Vec::new();
    if encode_reply(reply, &mut wire).is_err() {
        return;
    }
    let mut lines = LineBuffer::new(Limits::default());
    lines.extend(&wire);
    let mut decoder = Decoder::new(expect.clone(), Limits::default());
    while let Ok(Some(line)) = lines.next_line() {
        match decoder.push_line(line) {
            Ok(None) => {}
            Ok(Some(again)) => {
                assert_eq!(&again, reply);
                return;
            }
            Err(e) => panic!("re-encoded {reply:?} as {wire:?}, which fails with {e:?}"),
        }
    }
    panic!("re-encoded {reply:?} as {wire:?}, which ends early");
}
