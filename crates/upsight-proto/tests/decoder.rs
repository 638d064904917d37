//! Decoder behaviour on every edge case of nut-protocol §4.2–4.4, fed from captured replies.

use upsight_proto::nut::{
    Decoder, ErrorCode, Expect, Limits, LineBuffer, ParseError, Reply, Request, ServerError,
    UpsEntry, Variable,
};

/// Feeds `input` through a line buffer and one decoder per request, in order.
fn decode_all(
    requests: &[Request<'_>],
    input: &[u8],
    limits: Limits,
) -> Vec<Result<Reply, ParseError>> {
    let mut lines = LineBuffer::new(limits);
    lines.extend(input);
    let mut out = Vec::new();
    for req in requests {
        let mut dec = Decoder::new(req.expect(), limits);
        let result = loop {
            match lines.next_line() {
                Err(e) => break Err(e),
                Ok(None) => break Err(dec.truncated()),
                Ok(Some(line)) => match dec.push_line(line) {
                    Err(e) => break Err(e),
                    Ok(Some(reply)) => break Ok(reply),
                    Ok(None) => {}
                },
            }
        };
        let failed = result.is_err();
        out.push(result);
        if failed {
            break;
        }
    }
    out
}

fn one(req: Request<'_>, input: &[u8]) -> Result<Reply, ParseError> {
    decode_all(&[req], input, Limits::default()).remove(0)
}

fn var(name: &str, value: &str) -> Variable {
    Variable {
        name: name.into(),
        value: value.into(),
    }
}

#[test]
fn list_var_in_upsd_wire_form() {
    let input = include_bytes!("fixtures/nut/list-var-apc.txt");
    let Reply::VarList { ups, vars } = one(Request::ListVar { ups: "apc" }, input).unwrap() else {
        panic!("not a var list");
    };
    assert_eq!(ups, "apc");
    assert_eq!(vars.len(), 14);
    assert!(vars.contains(&var("battery.charge", "100")));
    assert!(vars.contains(&var("ups.status", "OL")));
    assert!(vars.contains(&var("ups.firmware", "938.a2 .I")));
}

#[test]
fn escapes_empty_values_and_odd_statuses() {
    let input = b"BEGIN LIST VAR u\n\
        VAR u device.description \"rack \\\"A\\\" \\\\ shelf \\# 2\"\n\
        VAR u ups.alarm \"\"\n\
        VAR u ups.status \"FSD OL\"\n\
        VAR u battery.voltage.low \"21,52\"\n\
        VAR u ups.vendorid \"0764\"\n\
        VAR u ups.mfr \"Caf\xe9\"\n\
        END LIST VAR u\n";
    let Reply::VarList { vars, .. } = one(Request::ListVar { ups: "u" }, input).unwrap() else {
        panic!("not a var list");
    };
    assert_eq!(vars[0].value, "rack \"A\" \\ shelf # 2");
    assert_eq!(vars[1].value, "");
    assert_eq!(vars[2].value, "FSD OL");
    assert_eq!(vars[3].value, "21,52");
    assert_eq!(vars[4].value, "0764");
    assert_eq!(vars[5].value, "Caf\u{fffd}");
}

#[test]
fn err_line_replaces_a_list_block_and_the_next_reply_still_decodes() {
    let input = b"ERR DATA-STALE\nBEGIN LIST VAR b\nVAR b ups.status \"WAIT\"\nEND LIST VAR b\nERR DRIVER-NOT-CONNECTED\nERR UNKNOWN-UPS\n";
    let reqs = [
        Request::ListVar { ups: "a" },
        Request::ListVar { ups: "b" },
        Request::ListVar { ups: "c" },
        Request::ListVar { ups: "d" },
    ];
    let got = decode_all(&reqs, input, Limits::default());
    let err = |code| {
        Ok(Reply::Error(ServerError {
            code,
            detail: String::new(),
        }))
    };
    assert_eq!(got[0], err(ErrorCode::DataStale));
    assert_eq!(
        got[1],
        Ok(Reply::VarList {
            ups: "b".into(),
            vars: vec![var("ups.status", "WAIT")]
        })
    );
    assert_eq!(got[2], err(ErrorCode::DriverNotConnected));
    assert_eq!(got[3], err(ErrorCode::UnknownUps));
}

#[test]
fn list_ups_get_var_list_cmd_ver_netver_ok() {
    let got = one(
        Request::ListUps,
        b"BEGIN LIST UPS\nUPS ups1 \"Description unavailable\"\nUPS ups2 \"\"\nEND LIST UPS\n",
    );
    assert_eq!(
        got.unwrap(),
        Reply::UpsList(vec![
            UpsEntry {
                name: "ups1".into(),
                description: "Description unavailable".into()
            },
            UpsEntry {
                name: "ups2".into(),
                description: String::new()
            },
        ])
    );
    let got = one(Request::ListUps, b"BEGIN LIST UPS\nEND LIST UPS\n");
    assert_eq!(got.unwrap(), Reply::UpsList(Vec::new()));
    let got = one(
        Request::GetVar {
            ups: "u",
            var: "ups.status",
        },
        b"VAR u ups.status \"OB LB\"\n",
    );
    assert_eq!(
        got.unwrap(),
        Reply::Var {
            ups: "u".into(),
            var: var("ups.status", "OB LB")
        }
    );
    let got = one(
        Request::GetVar { ups: "u", var: "x" },
        b"ERR VAR-NOT-SUPPORTED\n",
    );
    assert!(matches!(
        got.unwrap(),
        Reply::Error(ServerError {
            code: ErrorCode::VarNotSupported,
            ..
        })
    ));
    let got = one(
        Request::ListCmd { ups: "u" },
        b"BEGIN LIST CMD u\nCMD u load.off\nCMD u beeper.mute\nEND LIST CMD u\n",
    );
    assert_eq!(
        got.unwrap(),
        Reply::CmdList {
            ups: "u".into(),
            commands: vec!["load.off".into(), "beeper.mute".into()]
        }
    );
    let got = one(
        Request::Ver,
        b"Network UPS Tools upsd 2.8.0 - https://www.networkupstools.org/\n",
    );
    assert_eq!(
        got.unwrap(),
        Reply::Text("Network UPS Tools upsd 2.8.0 - https://www.networkupstools.org/".into())
    );
    assert_eq!(
        one(Request::NetVer, b"1.3\n").unwrap(),
        Reply::Text("1.3".into())
    );
    assert_eq!(
        one(Request::Logout, b"OK Goodbye\n").unwrap(),
        Reply::Ok("Goodbye".into())
    );
    assert_eq!(
        one(Request::Username("x"), b"OK\n").unwrap(),
        Reply::Ok(String::new())
    );
    let got = one(Request::Password("x"), b"ERR ALREADY-SET-PASSWORD\n").unwrap();
    assert!(matches!(
        got,
        Reply::Error(ServerError {
            code: ErrorCode::AlreadySetPassword,
            ..
        })
    ));
    let got = one(Request::Ver, b"ERR ACCESS-DENIED extra words\n").unwrap();
    assert_eq!(
        got,
        Reply::Error(ServerError {
            code: ErrorCode::AccessDenied,
            detail: "extra words".into()
        })
    );
}

#[test]
fn unknown_error_code_is_kept() {
    let got = one(Request::ListVar { ups: "u" }, b"ERR FLUX-CAPACITOR\n").unwrap();
    assert_eq!(
        got,
        Reply::Error(ServerError {
            code: ErrorCode::Other("FLUX-CAPACITOR".into()),
            detail: String::new()
        })
    );
}

#[test]
fn connection_closed_mid_list_is_truncated() {
    let got = one(
        Request::ListVar { ups: "u" },
        b"BEGIN LIST VAR u\nVAR u a \"1\"\n",
    );
    assert_eq!(
        got,
        Err(ParseError::Truncated {
            expected: "LIST VAR u reply".into()
        })
    );
    let got = one(
        Request::ListVar { ups: "u" },
        b"BEGIN LIST VAR u\nVAR u a \"1",
    );
    assert!(matches!(got, Err(ParseError::Truncated { .. })));
}

#[test]
fn wrong_ups_wrong_header_and_garbage_are_unexpected() {
    let cases: &[&[u8]] = &[
        b"BEGIN LIST VAR other\n",
        b"BEGIN LIST VAR u\nVAR other a \"1\"\n",
        b"BEGIN LIST VAR u\nEND LIST VAR other\n",
        b"BEGIN LIST VAR u\nERR DATA-STALE\n",
        b"\x00\xff\xfegarbage\n",
        b"\n",
        b"VAR u a \"1\"\n",
    ];
    for input in cases {
        let got = one(Request::ListVar { ups: "u" }, input);
        assert!(
            matches!(got, Err(ParseError::UnexpectedLine { .. })),
            "{input:?} gave {got:?}"
        );
    }
    let got = one(
        Request::ListVar { ups: "u" },
        b"BEGIN LIST VAR u\nVAR u a \"open\n",
    );
    assert!(matches!(got, Err(ParseError::UnterminatedQuote { .. })));
}

#[test]
fn endless_list_hits_the_list_cap() {
    let limits = Limits {
        max_list_entries: 100,
        ..Limits::default()
    };
    let mut input = b"BEGIN LIST VAR u\n".to_vec();
    for i in 0..1000 {
        input.extend_from_slice(format!("VAR u v{i} \"x\"\n").as_bytes());
    }
    let got = decode_all(&[Request::ListVar { ups: "u" }], &input, limits).remove(0);
    assert_eq!(got, Err(ParseError::ListTooLong { limit: 100 }));
}

#[test]
fn one_mebibyte_line_is_refused() {
    let mut input = b"BEGIN LIST VAR u\nVAR u a \"".to_vec();
    input.extend(std::iter::repeat_n(b'x', 1 << 20));
    input.extend_from_slice(b"\"\nEND LIST VAR u\n");
    let got = one(Request::ListVar { ups: "u" }, &input);
    assert_eq!(
        got,
        Err(ParseError::LineTooLong {
            limit: Limits::default().max_line_bytes
        })
    );
}

#[test]
fn text_expectation_accepts_any_line_but_errors() {
    let got = Decoder::new(Expect::Text, Limits::default()).push_line(b"\xff odd \"");
    assert_eq!(got.unwrap(), Some(Reply::Text("\u{fffd} odd \"".into())));
}
