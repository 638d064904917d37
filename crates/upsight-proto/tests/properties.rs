//! Property tests for the NUT codec: no input panics the tokenizer, [`LineBuffer`] or
//! [`Decoder`], whatever the chunking; `decode(encode_reply(x)) == x` for valid replies;
//! encoded requests tokenize back to their words; and a [`LineBuffer`] stays within its cap.
//!
//! Case counts are kept small so the file runs in a few seconds in a debug build; the
//! `nut_reply` fuzz target (`crates/upsight-proto/fuzz/`) explores the same surface for longer.

use proptest::collection::vec;
use proptest::prelude::*;
use upsight_proto::nut::{
    Decoder, EncodeError, ErrorCode, Expect, Limits, LineBuffer, ParseError, Reply, Request,
    ServerError, UpsEntry, Variable, encode_reply, tokenize,
};

/// Cases per property unless `PROPTEST_CASES` asks for more (a longer local or nightly run).
fn config() -> ProptestConfig {
    let default = ProptestConfig::default();
    let is_overridden = std::env::var_os("PROPTEST_CASES").is_some();
    ProptestConfig {
        cases: if is_overridden { default.cases } else { 256 },
        ..default
    }
}

// === Harness ===

/// Splits `data` into consecutive chunks whose sizes cycle through `sizes` (each ≥ 1).
fn chunks<'a>(data: &'a [u8], sizes: &[usize]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    for size in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (head, tail) = rest.split_at((*size).min(rest.len()));
        out.push(head);
        rest = tail;
    }
    out
}

/// A pipelined client: one decoder per reply, with expectations cycling through `expects`.
///
/// It keeps going after errors (a fresh decoder after a decode error, a cleared buffer after
/// an over-long line) so that one bad line does not hide the rest of the input from the
/// properties, and it checks the codec's invariants on every step.
fn decode_stream(
    chunks: &[&[u8]],
    expects: &[Expect],
    limits: Limits,
) -> Vec<Result<Reply, ParseError>> {
    let mut lines = LineBuffer::new(limits);
    let mut results = Vec::new();
    let mut expect = &expects[0];
    let mut decoder = Decoder::new(expect.clone(), limits);
    let mut is_started = false;
    for chunk in chunks {
        lines.extend(chunk);
        loop {
            let outcome = match lines.next_line() {
                Ok(None) => break,
                Ok(Some(line)) => {
                    assert!(line.len() <= limits.max_line_bytes, "line over the cap");
                    assert!(!line.contains(&b'\n'), "terminator leaked into a line");
                    is_started = true;
                    match decoder.push_line(line) {
                        Ok(None) => continue,
                        Ok(Some(reply)) => {
                            check_reply(&reply, expect, limits);
                            let again = decoder.push_line(b"OK");
                            assert!(again.is_err(), "decoder accepted a line after completing");
                            Ok(reply)
                        }
                        Err(e) => Err(e),
                    }
                }
                Err(e) => {
                    // The stream position is lost: drop it, as a client drops the connection.
                    lines.clear();
                    Err(e)
                }
            };
            results.push(outcome);
            expect = &expects[results.len() % expects.len()];
            decoder = Decoder::new(expect.clone(), limits);
            is_started = false;
        }
    }
    if is_started {
        results.push(Err(decoder.truncated()));
    }
    results
}

/// Invariants every decoded reply holds, whatever the input.
fn check_reply(reply: &Reply, expect: &Expect, limits: Limits) {
    let len = match reply {
        Reply::UpsList(entries) => entries.len(),
        Reply::VarList { vars, .. } => vars.len(),
        Reply::CmdList { commands, .. } => commands.len(),
        Reply::Var { .. } | Reply::Text(_) | Reply::Ok(_) | Reply::Error(_) => 0,
    };
    assert!(
        len <= limits.max_list_entries,
        "list of {len} entries over the cap"
    );
    let shape_fits = match (reply, expect) {
        (Reply::Error(_), _) | (Reply::UpsList(_), Expect::UpsList) => true,
        (Reply::Text(_), Expect::Text) | (Reply::Ok(_), Expect::Ok) => true,
        (Reply::VarList { ups, .. }, Expect::VarList { ups: want }) => ups == want,
        (Reply::CmdList { ups, .. }, Expect::CmdList { ups: want }) => ups == want,
        (Reply::Var { ups, var }, Expect::Var { ups: u, var: v }) => ups == u && &var.name == v,
        _ => false,
    };
    assert!(shape_fits, "{reply:?} does not answer {expect:?}");
}

// === Strategies ===

fn name() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_.-]{1,20}"
}

/// Any Unicode text without line breaks, biased towards the bytes the quoting must escape.
fn value() -> impl Strategy<Value = String> {
    let ch = prop_oneof![
        6 => any::<char>().prop_filter("no line breaks", |c| !matches!(c, '\n' | '\r')),
        1 => prop::sample::select(vec!['"', '\\', '#', ' ', '\t', '\u{fffd}']),
    ];
    vec(ch, 0..32).prop_map(String::from_iter)
}

/// Free-text detail of `OK`/`ERR`: words separated by single spaces, as upsd sends it.
fn detail() -> impl Strategy<Value = String> {
    vec(name(), 0..4).prop_map(|words| words.join(" "))
}

fn error_code() -> impl Strategy<Value = ErrorCode> {
    let known: Vec<ErrorCode> = ErrorCode::known().cloned().collect();
    prop_oneof![
        prop::sample::select(known),
        "[A-Z][A-Z-]{0,20}"
            .prop_filter("not a known code", |c| matches!(
                ErrorCode::parse(c),
                ErrorCode::Other(_)
            ))
            .prop_map(ErrorCode::Other),
    ]
}

/// Expectations with short names, so arbitrary input matches list headers now and then.
fn expect() -> impl Strategy<Value = Expect> {
    let ups = || prop_oneof![Just("u".to_owned()), "[a-z0-9]{1,3}"];
    prop_oneof![
        Just(Expect::UpsList),
        ups().prop_map(|ups| Expect::VarList { ups }),
        (ups(), prop_oneof![Just("ups.status".to_owned()), name()])
            .prop_map(|(ups, var)| Expect::Var { ups, var }),
        ups().prop_map(|ups| Expect::CmdList { ups }),
        Just(Expect::Text),
        Just(Expect::Ok),
    ]
}

/// A valid reply and the expectation of the request it answers.
fn reply_and_expect() -> impl Strategy<Value = (Reply, Expect)> {
    let variable = || (name(), value()).prop_map(|(name, value)| Variable { name, value });
    let entry = (name(), value()).prop_map(|(name, description)| UpsEntry { name, description });
    prop_oneof![
        vec(entry, 0..8).prop_map(|e| (Reply::UpsList(e), Expect::UpsList)),
        (name(), vec(variable(), 0..8)).prop_map(|(ups, vars)| {
            (
                Reply::VarList {
                    ups: ups.clone(),
                    vars,
                },
                Expect::VarList { ups },
            )
        }),
        (name(), variable()).prop_map(|(ups, var)| {
            let expect = Expect::Var {
                ups: ups.clone(),
                var: var.name.clone(),
            };
            (Reply::Var { ups, var }, expect)
        }),
        (name(), vec(name(), 0..8)).prop_map(|(ups, commands)| {
            (
                Reply::CmdList {
                    ups: ups.clone(),
                    commands,
                },
                Expect::CmdList { ups },
            )
        }),
        detail().prop_map(|d| (Reply::Ok(d), Expect::Ok)),
        value()
            .prop_filter("an ERR line is an error, not text", |t| !t
                .starts_with("ERR "))
            .prop_map(|t| (Reply::Text(t), Expect::Text)),
        (error_code(), detail(), expect()).prop_map(|(code, detail, expect)| {
            (Reply::Error(ServerError { code, detail }), expect)
        }),
    ]
}

/// Arbitrary bytes spliced with protocol fragments, so the decoders get past their first line.
fn wire_bytes() -> impl Strategy<Value = Vec<u8>> {
    let fragment = prop_oneof![
        3 => vec(any::<u8>(), 0..8),
        4 => prop::sample::select(vec![
            &b"BEGIN LIST VAR u\n"[..], b"END LIST VAR u\n", b"BEGIN LIST UPS\n", b"END LIST UPS\n",
            b"BEGIN LIST CMD u\n", b"END LIST CMD u\n", b"VAR u ups.status \"OL\"\n",
            b"UPS u \"d\"\n", b"CMD u beeper.mute\n", b"ERR DATA-STALE\n", b"OK\n", b"\r\n",
            b"\"", b"\\", b" ", b"\t", b"\n", b"\xff", b"VAR u ", b"ERR ",
        ])
        .prop_map(<[u8]>::to_vec),
    ];
    vec(fragment, 0..48).prop_map(|parts| parts.concat())
}

fn chunk_sizes() -> impl Strategy<Value = Vec<usize>> {
    vec(prop_oneof![1usize..4, 1usize..64, 64usize..600], 1..8)
}

fn small_limits() -> impl Strategy<Value = Limits> {
    (1usize..96, 0usize..6).prop_map(|(max_line_bytes, max_list_entries)| Limits {
        max_line_bytes,
        max_list_entries,
    })
}

// === (a) no panics ===

proptest! {
    #![proptest_config(config())]

    #[test]
    fn tokenizer_never_panics_and_never_grows_the_line(line in vec(any::<u8>(), 0..128)) {
        if let Ok(words) = tokenize(&line) {
            let total: usize = words.iter().map(|w| w.as_bytes().len()).sum();
            prop_assert!(total <= line.len());
        }
    }

    #[test]
    fn tokenizer_never_panics_on_protocol_fragments(line in wire_bytes()) {
        let _ = tokenize(&line);
    }

    #[test]
    fn decoders_never_panic_on_any_chunking(
        data in prop_oneof![wire_bytes(), vec(any::<u8>(), 0..512)],
        sizes in chunk_sizes(),
        expects in vec(expect(), 1..4),
        limits in prop_oneof![Just(Limits::default()), small_limits()],
    ) {
        decode_stream(&chunks(&data, &sizes), &expects, limits);
    }

    #[test]
    fn chunking_does_not_change_the_result(
        data in wire_bytes(),
        sizes in chunk_sizes(),
        expects in vec(expect(), 1..4),
    ) {
        let limits = Limits::default();
        let whole = decode_stream(&[&data], &expects, limits);
        prop_assert_eq!(decode_stream(&chunks(&data, &sizes), &expects, limits), whole);
    }
}

// === (b) round trips ===

proptest! {
    #![proptest_config(config())]

    #[test]
    fn encoded_replies_decode_to_themselves(
        pairs in vec(reply_and_expect(), 1..5),
        sizes in chunk_sizes(),
    ) {
        let mut wire = Vec::new();
        for (reply, _) in &pairs {
            encode_reply(reply, &mut wire).expect("valid reply encodes");
        }
        let expects: Vec<Expect> = pairs.iter().map(|(_, e)| e.clone()).collect();
        let got = decode_stream(&chunks(&wire, &sizes), &expects, Limits::default());
        let want: Vec<Result<Reply, ParseError>> = pairs.into_iter().map(|(r, _)| Ok(r)).collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn encoded_reply_is_whole_lines_or_an_error(
        (reply, _) in reply_and_expect(),
        text in vec(prop_oneof![Just('\n'), Just('\r'), any::<char>()], 0..8),
    ) {
        // Any free text may carry a line break: the encoder must refuse it, never emit a
        // second line that the peer would read as the next reply.
        let text = String::from_iter(text);
        let reply = match reply {
            Reply::Ok(_) => Reply::Ok(text),
            Reply::Text(_) => Reply::Text(text),
            Reply::Error(e) => Reply::Error(ServerError { detail: text, ..e }),
            Reply::Var { ups, var } => Reply::Var { ups, var: Variable { value: text, ..var } },
            other => other,
        };
        let mut wire = b"previous\n".to_vec();
        match encode_reply(&reply, &mut wire) {
            Ok(()) => {
                let lines = wire.iter().filter(|&&b| b == b'\n').count() - 1;
                prop_assert_eq!(lines, wire_lines(&reply));
                prop_assert!(!wire[b"previous\n".len()..].contains(&b'\r'));
            }
            Err(e) => prop_assert!(matches!(e, EncodeError::LineBreak { .. }), "{e:?}"),
        }
    }

    #[test]
    fn encoded_requests_tokenize_to_their_words(
        kind in 0u8..9,
        ups in prop_oneof![name(), value()],
        var in name(),
        secret in value(),
    ) {
        let req = match kind {
            0 => Request::ListUps,
            1 => Request::ListVar { ups: &ups },
            2 => Request::GetVar { ups: &ups, var: &var },
            3 => Request::ListCmd { ups: &ups },
            4 => Request::Ver,
            5 => Request::NetVer,
            6 => Request::Username(&secret),
            7 => Request::Password(&secret),
            _ => Request::Logout,
        };
        let want: Vec<&str> = match req {
            Request::ListUps => vec!["LIST", "UPS"],
            Request::ListVar { ups } => vec!["LIST", "VAR", ups],
            Request::GetVar { ups, var } => vec!["GET", "VAR", ups, var],
            Request::ListCmd { ups } => vec!["LIST", "CMD", ups],
            Request::Ver => vec!["VER"],
            Request::NetVer => vec!["NETVER"],
            Request::Username(s) => vec!["USERNAME", s],
            Request::Password(s) => vec!["PASSWORD", s],
            Request::Logout => vec!["LOGOUT"],
        };
        let mut wire = Vec::new();
        match req.encode(&mut wire) {
            Ok(()) => {
                let line = wire.strip_suffix(b"\n").expect("one terminated line");
                prop_assert!(!line.contains(&b'\n'));
                let words = tokenize(line).expect("encoded request tokenizes");
                let got: Vec<&[u8]> = words.iter().map(|w| w.as_bytes()).collect();
                let want: Vec<&[u8]> = want.iter().map(|w| w.as_bytes()).collect();
                prop_assert_eq!(got, want);
            }
            // Only an argument the wire cannot carry as one word may be refused.
            Err(EncodeError::InvalidName { value, .. }) => prop_assert_eq!(value, ups),
            Err(e) => prop_assert!(false, "valid request refused: {e}"),
        }
    }
}

/// How many lines the wire form of `reply` takes.
fn wire_lines(reply: &Reply) -> usize {
    match reply {
        Reply::UpsList(entries) => entries.len() + 2,
        Reply::VarList { vars, .. } => vars.len() + 2,
        Reply::CmdList { commands, .. } => commands.len() + 2,
        Reply::Var { .. } | Reply::Text(_) | Reply::Ok(_) | Reply::Error(_) => 1,
    }
}

// === (c) memory bound ===

/// Mostly non-terminator bytes, so lines often outgrow small caps.
fn sparse_lines() -> impl Strategy<Value = u8> {
    prop_oneof![40 => any::<u8>().prop_map(|b| b | 0x80), 1 => Just(b'\n')]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn line_buffer_pending_stays_under_the_cap(
        data in vec(sparse_lines(), 0..2048),
        sizes in chunk_sizes(),
        max_line_bytes in 1usize..256,
    ) {
        let limits = Limits { max_line_bytes, ..Limits::default() };
        let mut lines = LineBuffer::new(limits);
        'feed: for chunk in chunks(&data, &sizes) {
            lines.extend(chunk);
            prop_assert!(lines.pending() <= max_line_bytes + 1 + chunk.len());
            loop {
                match lines.next_line() {
                    Ok(Some(line)) => prop_assert!(line.len() <= max_line_bytes),
                    Ok(None) => break,
                    Err(_) => break 'feed,
                }
                prop_assert!(lines.pending() <= max_line_bytes + 1 + chunk.len());
            }
            let left = lines.pending();
            prop_assert!(left <= max_line_bytes + 1, "Ok(None) left {} bytes", left); // +1: a `\r` in flight
        }
    }
}
