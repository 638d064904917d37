//! Replies from upsd as values, and their wire encoding (used by the simulator and tests).

use super::error_code::ErrorCode;
use super::keyword as kw;
use super::request::{EncodeError, name, quote};

/// One entry of `LIST UPS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpsEntry {
    /// UPS name as configured in ups.conf.
    pub name: String,
    /// Free-text description (identity data: never a metric).
    pub description: String,
}

/// One variable of `LIST VAR` or `GET VAR`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variable {
    /// Variable name, e.g. `battery.charge`.
    pub name: String,
    /// Value as sent, unescaped; non-UTF-8 bytes replaced by U+FFFD.
    pub value: String,
}

/// An `ERR <CODE> [detail]` reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("server error {code}{}", if detail.is_empty() { String::new() } else { format!(" ({detail})") })]
pub struct ServerError {
    /// The error code.
    pub code: ErrorCode,
    /// Anything after the code (rare).
    pub detail: String,
}

/// A complete reply to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// `BEGIN LIST UPS` … `END LIST UPS`.
    UpsList(Vec<UpsEntry>),
    /// `BEGIN LIST VAR <ups>` … `END LIST VAR <ups>`.
    VarList {
        /// The UPS the block is about.
        ups: String,
        /// Its variables, in the order sent.
        vars: Vec<Variable>,
    },
    /// `VAR <ups> <var> "<value>"` (reply to `GET VAR`).
    Var {
        /// UPS name.
        ups: String,
        /// The variable.
        var: Variable,
    },
    /// `BEGIN LIST CMD <ups>` … `END LIST CMD <ups>`.
    CmdList {
        /// UPS name.
        ups: String,
        /// Instant command names.
        commands: Vec<String>,
    },
    /// A free-text line (reply to `VER` or `NETVER`).
    Text(String),
    /// `OK [detail]`.
    Ok(String),
    /// `ERR <CODE> [detail]`, possibly in place of a whole list block.
    Error(ServerError),
}

/// Appends the wire form of `reply` to `out`, as upsd would send it.
pub fn encode_reply(reply: &Reply, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    let mut line = |parts: &[&str]| {
        out.extend_from_slice(parts.join(" ").as_bytes());
        out.push(b'\n');
    };
    match reply {
        Reply::UpsList(entries) => {
            line(&[kw::BEGIN, kw::LIST, kw::UPS]);
            for e in entries {
                line(&[
                    kw::UPS,
                    name("UPS name", &e.name)?,
                    &quote("description", &e.description)?,
                ]);
            }
            line(&[kw::END, kw::LIST, kw::UPS]);
        }
        Reply::VarList { ups, vars } => {
            let ups = name("UPS name", ups)?;
            line(&[kw::BEGIN, kw::LIST, kw::VAR, ups]);
            for v in vars {
                line(&[
                    kw::VAR,
                    ups,
                    name("variable name", &v.name)?,
                    &quote("value", &v.value)?,
                ]);
            }
            line(&[kw::END, kw::LIST, kw::VAR, ups]);
        }
        Reply::Var { ups, var } => {
            let (ups, var_name) = (name("UPS name", ups)?, name("variable name", &var.name)?);
            line(&[kw::VAR, ups, var_name, &quote("value", &var.value)?]);
        }
        Reply::CmdList { ups, commands } => {
            let ups = name("UPS name", ups)?;
            line(&[kw::BEGIN, kw::LIST, kw::CMD, ups]);
            for c in commands {
                line(&[kw::CMD, ups, name("command name", c)?]);
            }
            line(&[kw::END, kw::LIST, kw::CMD, ups]);
        }
        Reply::Text(text) => line(&[one_line("text", text)?]),
        Reply::Ok(detail) => line(&[kw::OK, one_line("detail", detail)?].map(str::trim_end)),
        Reply::Error(err) => {
            let code = name("error code", err.code.as_str())?;
            line(&[kw::ERR, code, one_line("detail", &err.detail)?]);
        }
    }
    // `OK` and `ERR` without detail must not end in a space.
    if matches!(reply, Reply::Ok(_) | Reply::Error(_)) && out.ends_with(b" \n") {
        out.truncate(out.len() - 2);
        out.push(b'\n');
    }
    Ok(())
}

/// Free text sent unquoted: a line break in it would end the reply early and desynchronise
/// every reply after it, so it is refused like a line break in a quoted value.
fn one_line<'a>(what: &'static str, text: &'a str) -> Result<&'a str, EncodeError> {
    if text.contains(['\n', '\r']) {
        Err(EncodeError::LineBreak { what })
    } else {
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Regression (found by `tests/properties.rs`): an `OK`/`ERR` detail with a line break was
    // written raw, so one reply became two lines on the wire.
    #[test]
    fn line_break_in_free_text_is_refused() {
        let error = |detail: &str| {
            Reply::Error(ServerError {
                code: ErrorCode::AccessDenied,
                detail: detail.into(),
            })
        };
        let cases = [
            (error("\n"), "detail"),
            (error("a\rb"), "detail"),
            (Reply::Ok("x\nERR DATA-STALE".into()), "detail"),
            (Reply::Ok("x\n".into()), "detail"),
            (Reply::Text("1.3\r".into()), "text"),
        ];
        for (reply, what) in cases {
            let mut out = Vec::new();
            assert_eq!(
                encode_reply(&reply, &mut out),
                Err(EncodeError::LineBreak { what })
            );
            assert!(out.is_empty(), "{reply:?} wrote {out:?}");
        }
        let mut out = Vec::new();
        encode_reply(&error("extra words"), &mut out).unwrap();
        assert_eq!(out, b"ERR ACCESS-DENIED extra words\n");
    }
}
