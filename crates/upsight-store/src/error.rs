//! Why opening, loading or saving a state file failed, and the exit code each failure maps to.
//!
//! Wrapped I/O and migration errors are reachable through [`std::error::Error::source`] and are
//! not repeated in `Display`, so printing the chain (anyhow's `{:#}`) shows each cause once.

use std::io;
use std::path::PathBuf;

/// `EX_CANTCREAT` from sysexits(3): the state file cannot be created, locked or loaded.
pub const EXIT_CANT_CREATE: i32 = 73;
/// `EX_SOFTWARE` from sysexits(3): the caller handed the store something it must never hand it.
pub const EXIT_SOFTWARE: i32 = 70;

/// A failure of [`Store::open`](crate::Store::open) or [`Store::save`](crate::Store::save).
///
/// Every refused load leaves the file exactly as it was: nothing is rewritten, renamed or
/// truncated, so the operator can inspect it, restore a backup or move it away.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The state file name is not a plain file name (a caller bug).
    #[error(
        "invalid state file name {name:?} in {}: use 1 to 64 ASCII letters, digits, '_', '-' or '.', not starting with '.'",
        dir.display()
    )]
    InvalidName {
        /// The state directory.
        dir: PathBuf,
        /// The rejected name.
        name: String,
    },
    /// The state directory could not be created.
    #[error("cannot create state directory {}; create it or fix the permissions of its parent", path.display())]
    CreateDir {
        /// The state directory.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The lock file could not be opened or locked for a reason other than contention.
    #[error("cannot lock {}; check the permissions of the state directory", path.display())]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// Another process, or another `Store` in this process, holds the lock.
    #[error(
        "state lock {} is held by another process; stop the other upsight instance or give this one its own state directory",
        path.display()
    )]
    Locked {
        /// The lock file.
        path: PathBuf,
    },
    /// The state file exists but could not be read.
    #[error("cannot read state file {}; check its permissions", path.display())]
    Read {
        /// The state file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The state file is larger than [`MAX_FILE_BYTES`](crate::MAX_FILE_BYTES).
    #[error(
        "state file {} is {size} bytes, over the {limit}-byte limit; restore a backup or move the file away",
        path.display()
    )]
    TooLarge {
        /// The state file.
        path: PathBuf,
        /// Its size in bytes.
        size: u64,
        /// The limit in bytes.
        limit: u64,
    },
    /// The state file is not a valid envelope, or its data does not fit the schema.
    #[error("state file {} is corrupt: {detail}; restore a backup or move the file away", path.display())]
    Corrupt {
        /// The state file.
        path: PathBuf,
        /// What is wrong, for the operator.
        detail: String,
    },
    /// The state file holds secrets sealed with a key the program does not have (no key, or
    /// another one).
    #[error("state file {} is refused: {detail}", path.display())]
    Sealed {
        /// The state file.
        path: PathBuf,
        /// What is wrong, for the operator.
        detail: String,
    },
    /// The state file belongs to another schema (another role or program).
    #[error(
        "state file {} holds schema {found:?}, not {expected:?}; give each role its own state file or move the file away",
        path.display()
    )]
    UnknownSchema {
        /// The state file.
        path: PathBuf,
        /// The schema name found in the file (at most 64 characters of it).
        found: String,
        /// The schema name this program reads.
        expected: &'static str,
    },
    /// The state file was written by a newer program.
    #[error(
        "state file {} has version {found}, newer than the supported version {supported}; upgrade upsight or restore a backup written by this version",
        path.display()
    )]
    FutureVersion {
        /// The state file.
        path: PathBuf,
        /// The version found in the file.
        found: u64,
        /// The newest version this program reads.
        supported: u32,
    },
    /// A migration step refused the data.
    #[error(
        "cannot migrate state file {} from version {from} to {to}; restore a backup or move the file away",
        path.display()
    )]
    Migration {
        /// The state file.
        path: PathBuf,
        /// The version the failing step starts from.
        from: u32,
        /// The version the failing step produces.
        to: u32,
        /// Why the step failed.
        source: MigrationError,
    },
    /// The state could not be encoded, or would not load back once written (a caller bug).
    #[error("cannot encode the state for {}: {detail}; this is a bug, please report it", path.display())]
    Encode {
        /// The state file.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// The encoded state exceeds [`MAX_FILE_BYTES`](crate::MAX_FILE_BYTES), so it was not written:
    /// the next start would refuse it (a caller bug: state must be bounded).
    #[error(
        "state for {} encodes to {size} bytes, over the {limit}-byte limit; not saved, this is a bug, please report it",
        path.display()
    )]
    StateTooLarge {
        /// The state file.
        path: PathBuf,
        /// The encoded size in bytes.
        size: u64,
        /// The limit in bytes.
        limit: u64,
    },
    /// Writing, syncing or renaming failed. Unless the failure was the final directory sync, the
    /// previous file is unchanged and the temp file has been removed.
    #[error("cannot save state file {}; check free space and the permissions of its directory", path.display())]
    Write {
        /// The file being written (the state file, or its pre-migration backup).
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
}

impl StoreError {
    /// The process exit code for this failure.
    ///
    /// - 73 (`EX_CANTCREAT`): the state cannot be created, locked, read or written, or the file
    ///   was refused (corrupt, too large, unknown schema, future version, failed migration).
    ///   The operator must act; restarting will not help.
    /// - 70 (`EX_SOFTWARE`): the program misused the store (invalid name, unencodable or
    ///   unbounded state).
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::InvalidName { .. } | Self::Encode { .. } | Self::StateTooLarge { .. } => {
                EXIT_SOFTWARE
            }
            Self::CreateDir { .. }
            | Self::Lock { .. }
            | Self::Locked { .. }
            | Self::Read { .. }
            | Self::TooLarge { .. }
            | Self::Corrupt { .. }
            | Self::Sealed { .. }
            | Self::UnknownSchema { .. }
            | Self::FutureVersion { .. }
            | Self::Migration { .. }
            | Self::Write { .. } => EXIT_CANT_CREATE,
        }
    }
}

/// Why a [`Schema::migrate`](crate::Schema::migrate) step failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MigrationError {
    /// The schema defines no migration from this version.
    #[error("no migration from version {from} is defined")]
    Unsupported {
        /// The version the data is in.
        from: u32,
    },
    /// The data does not have the shape version `from` promises.
    #[error("version {from} data is invalid: {detail}")]
    Invalid {
        /// The version the data claims to be in.
        from: u32,
        /// What is wrong.
        detail: String,
    },
}

impl MigrationError {
    /// A step found data that does not match version `from`.
    pub fn invalid(from: u32, detail: impl Into<String>) -> Self {
        Self::Invalid {
            from,
            detail: detail.into(),
        }
    }
}
