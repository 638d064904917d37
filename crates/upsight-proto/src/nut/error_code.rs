//! The `ERR <CODE>` vocabulary of upsd (`server/neterr.h`, `docs/net-protocol.txt`).

use std::fmt;

/// An error code sent by upsd. Unknown codes are kept verbatim in [`ErrorCode::Other`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[allow(missing_docs)] // each variant is the code of the same name, in CamelCase
pub enum ErrorCode {
    AccessDenied,
    UnknownUps,
    VarNotSupported,
    CmdNotSupported,
    InvalidArgument,
    InstcmdFailed,
    SetFailed,
    Readonly,
    TooLong,
    FeatureNotSupported,
    FeatureNotConfigured,
    AlreadySslMode,
    DriverNotConnected,
    DataStale,
    AlreadyLoggedIn,
    InvalidPassword,
    AlreadySetPassword,
    InvalidUsername,
    AlreadySetUsername,
    UsernameRequired,
    PasswordRequired,
    UnknownCommand,
    InvalidValue,
    VarUnknown,
    UnknownType,
    UnknownInstcmd,
    MissingArgument,
    PasswordIncorrect,
    /// A code this client does not know; kept as sent.
    Other(String),
}

const TABLE: &[(ErrorCode, &str)] = &[
    (ErrorCode::AccessDenied, "ACCESS-DENIED"),
    (ErrorCode::UnknownUps, "UNKNOWN-UPS"),
    (ErrorCode::VarNotSupported, "VAR-NOT-SUPPORTED"),
    (ErrorCode::CmdNotSupported, "CMD-NOT-SUPPORTED"),
    (ErrorCode::InvalidArgument, "INVALID-ARGUMENT"),
    (ErrorCode::InstcmdFailed, "INSTCMD-FAILED"),
    (ErrorCode::SetFailed, "SET-FAILED"),
    (ErrorCode::Readonly, "READONLY"),
    (ErrorCode::TooLong, "TOO-LONG"),
    (ErrorCode::FeatureNotSupported, "FEATURE-NOT-SUPPORTED"),
    (ErrorCode::FeatureNotConfigured, "FEATURE-NOT-CONFIGURED"),
    (ErrorCode::AlreadySslMode, "ALREADY-SSL-MODE"),
    (ErrorCode::DriverNotConnected, "DRIVER-NOT-CONNECTED"),
    (ErrorCode::DataStale, "DATA-STALE"),
    (ErrorCode::AlreadyLoggedIn, "ALREADY-LOGGED-IN"),
    (ErrorCode::InvalidPassword, "INVALID-PASSWORD"),
    (ErrorCode::AlreadySetPassword, "ALREADY-SET-PASSWORD"),
    (ErrorCode::InvalidUsername, "INVALID-USERNAME"),
    (ErrorCode::AlreadySetUsername, "ALREADY-SET-USERNAME"),
    (ErrorCode::UsernameRequired, "USERNAME-REQUIRED"),
    (ErrorCode::PasswordRequired, "PASSWORD-REQUIRED"),
    (ErrorCode::UnknownCommand, "UNKNOWN-COMMAND"),
    (ErrorCode::InvalidValue, "INVALID-VALUE"),
    (ErrorCode::VarUnknown, "VAR-UNKNOWN"),
    (ErrorCode::UnknownType, "UNKNOWN-TYPE"),
    (ErrorCode::UnknownInstcmd, "UNKNOWN-INSTCMD"),
    (ErrorCode::MissingArgument, "MISSING-ARGUMENT"),
    (ErrorCode::PasswordIncorrect, "PASSWORD-INCORRECT"),
];

impl ErrorCode {
    /// Decodes a wire code; never fails (unknown codes become [`ErrorCode::Other`]).
    pub fn parse(code: &str) -> Self {
        TABLE
            .iter()
            .find(|(_, wire)| *wire == code)
            .map_or_else(|| Self::Other(code.to_owned()), |(known, _)| known.clone())
    }

    /// The wire spelling.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Other(code) => code,
            known => TABLE
                .iter()
                .find(|(k, _)| k == known)
                .map_or("UNKNOWN", |(_, wire)| wire),
        }
    }

    /// Every known code, for tests and documentation.
    pub fn known() -> impl Iterator<Item = &'static ErrorCode> {
        TABLE.iter().map(|(code, _)| code)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_code_round_trips() {
        for code in ErrorCode::known() {
            assert_eq!(&ErrorCode::parse(code.as_str()), code);
        }
        assert_eq!(ErrorCode::known().count(), 28);
    }

    #[test]
    fn unknown_code_is_kept() {
        let code = ErrorCode::parse("SHINY-NEW-ERROR");
        assert_eq!(code, ErrorCode::Other("SHINY-NEW-ERROR".into()));
        assert_eq!(code.to_string(), "SHINY-NEW-ERROR");
    }
}
