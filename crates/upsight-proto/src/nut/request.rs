//! Requests a client sends, and their wire encoding (one line each).

use super::decoder::Expect;
use super::keyword as kw;

/// A request this client knows how to send and decode the reply of.
///
/// There is deliberately no `LOGIN`: an exporter that logs in counts as an upsmon client and
/// delays the primary's shutdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request<'a> {
    /// `LIST UPS`: the UPSes this upsd serves.
    ListUps,
    /// `LIST VAR <ups>`: every variable of one UPS.
    ListVar {
        /// UPS name.
        ups: &'a str,
    },
    /// `GET VAR <ups> <var>`: one variable.
    GetVar {
        /// UPS name.
        ups: &'a str,
        /// Variable name.
        var: &'a str,
    },
    /// `LIST CMD <ups>`: the instant commands of one UPS.
    ListCmd {
        /// UPS name.
        ups: &'a str,
    },
    /// `VER`: free-text server version.
    Ver,
    /// `NETVER`: protocol version.
    NetVer,
    /// `USERNAME <name>`.
    Username(&'a str),
    /// `PASSWORD <secret>`.
    Password(&'a str),
    /// `LOGOUT`: polite disconnect.
    Logout,
}

/// Why a request could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// A UPS or variable name that cannot be sent as one unquoted word.
    #[error(
        "invalid {what} {value:?}: must be non-empty printable ASCII without spaces, quotes or backslashes"
    )]
    InvalidName {
        /// Which argument.
        what: &'static str,
        /// The offending value.
        value: String,
    },
    /// A value that contains a line break, which no quoting can carry.
    #[error("{what} contains a line break")]
    LineBreak {
        /// Which argument (never the value: it may be a secret).
        what: &'static str,
    },
}

impl Request<'_> {
    /// Appends the request line, terminated by `\n`, to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let mut push = |parts: &[&str]| {
            out.extend_from_slice(parts.join(" ").as_bytes());
            out.push(b'\n');
        };
        match *self {
            Self::ListUps => push(&[kw::LIST, kw::UPS]),
            Self::ListVar { ups } => push(&[kw::LIST, kw::VAR, name("UPS name", ups)?]),
            Self::GetVar { ups, var } => {
                push(&[
                    kw::GET,
                    kw::VAR,
                    name("UPS name", ups)?,
                    name("variable name", var)?,
                ]);
            }
            Self::ListCmd { ups } => push(&[kw::LIST, kw::CMD, name("UPS name", ups)?]),
            Self::Ver => push(&[kw::VER]),
            Self::NetVer => push(&[kw::NETVER]),
            Self::Username(user) => push(&[kw::USERNAME, &quote("username", user)?]),
            Self::Password(secret) => push(&[kw::PASSWORD, &quote("password", secret)?]),
            Self::Logout => push(&[kw::LOGOUT]),
        }
        Ok(())
    }

    /// The shape of the reply this request gets.
    pub fn expect(&self) -> Expect {
        match *self {
            Self::ListUps => Expect::UpsList,
            Self::ListVar { ups } => Expect::VarList {
                ups: ups.to_owned(),
            },
            Self::GetVar { ups, var } => Expect::Var {
                ups: ups.to_owned(),
                var: var.to_owned(),
            },
            Self::ListCmd { ups } => Expect::CmdList {
                ups: ups.to_owned(),
            },
            Self::Ver | Self::NetVer => Expect::Text,
            Self::Username(_) | Self::Password(_) | Self::Logout => Expect::Ok,
        }
    }
}

/// Checks that `value` is a valid unquoted NUT name (UPS or variable).
pub(crate) fn name<'a>(what: &'static str, value: &'a str) -> Result<&'a str, EncodeError> {
    let ok = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'"' | b'\\' | b'#'));
    if ok {
        Ok(value)
    } else {
        Err(EncodeError::InvalidName {
            what,
            value: value.to_owned(),
        })
    }
}

/// Quotes `value` with the backslash escapes upsd uses (`\`, `"`, `#`).
pub(crate) fn quote(what: &'static str, value: &str) -> Result<String, EncodeError> {
    if value.contains(['\n', '\r']) {
        return Err(EncodeError::LineBreak { what });
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if matches!(c, '\\' | '"' | '#') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(req: Request<'_>) -> Result<String, EncodeError> {
        let mut out = Vec::new();
        req.encode(&mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn table() {
        let cases: &[(Request<'_>, &str)] = &[
            (Request::ListUps, "LIST UPS\n"),
            (Request::ListVar { ups: "ups1" }, "LIST VAR ups1\n"),
            (
                Request::GetVar {
                    ups: "u",
                    var: "ups.status",
                },
                "GET VAR u ups.status\n",
            ),
            (Request::ListCmd { ups: "u" }, "LIST CMD u\n"),
            (Request::Ver, "VER\n"),
            (Request::NetVer, "NETVER\n"),
            (Request::Username("mon"), "USERNAME \"mon\"\n"),
            (
                Request::Password(r#"p"a\s#s"#),
                "PASSWORD \"p\\\"a\\\\s\\#s\"\n",
            ),
            (Request::Logout, "LOGOUT\n"),
        ];
        for (req, want) in cases {
            assert_eq!(encode(*req).unwrap(), *want);
        }
    }

    #[test]
    fn bad_names_and_line_breaks_are_refused() {
        for bad in ["", "a b", "a\"b", "a\nb", "a\\b", "é"] {
            assert!(matches!(
                encode(Request::ListVar { ups: bad }),
                Err(EncodeError::InvalidName { .. })
            ));
        }
        let err = encode(Request::Password("x\ny")).unwrap_err();
        assert_eq!(err, EncodeError::LineBreak { what: "password" });
        assert!(
            !err.to_string().contains('x'),
            "the secret must not be in the message"
        );
    }
}
