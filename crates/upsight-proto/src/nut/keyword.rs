//! Protocol keywords of the NUT network protocol, defined once (NUT `docs/net-protocol.txt`).

/// Start of a list block: `BEGIN LIST <kind> [args]`.
pub const BEGIN: &str = "BEGIN";
/// End of a list block: `END LIST <kind> [args]`.
pub const END: &str = "END";
/// Second word of `BEGIN`/`END` lines and the list command.
pub const LIST: &str = "LIST";
/// List kind and line prefix for UPS entries.
pub const UPS: &str = "UPS";
/// List kind and line prefix for variables.
pub const VAR: &str = "VAR";
/// List kind and line prefix for instant commands.
pub const CMD: &str = "CMD";
/// `GET` command.
pub const GET: &str = "GET";
/// Error reply prefix.
pub const ERR: &str = "ERR";
/// Success reply prefix.
pub const OK: &str = "OK";
/// Server version command.
pub const VER: &str = "VER";
/// Protocol version command.
pub const NETVER: &str = "NETVER";
/// Username command.
pub const USERNAME: &str = "USERNAME";
/// Password command.
pub const PASSWORD: &str = "PASSWORD";
/// Polite disconnect.
pub const LOGOUT: &str = "LOGOUT";
