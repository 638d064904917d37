//! `Store`: holds the lock on one state file for its lifetime, loads the file once at open and
//! replaces it atomically on every save.

use std::fmt;
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Read as _};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use crate::{MAX_FILE_BYTES, Schema, StoreError, atomic, envelope};

/// The longest accepted state file name.
const MAX_NAME_LEN: usize = 64;

/// An open, locked state file for the state type `S`.
///
/// Files in the state directory, for a store named `<name>`:
///
/// | File | Role |
/// |---|---|
/// | `<name>.json` | the state envelope, replaced atomically by [`save`](Self::save) |
/// | `<name>.lock` | holds the advisory lock; never deleted (deleting a lock file races) |
/// | `<name>.json.tmp-<pid>-<n>` | a save in progress; leftovers of a crash are removed by [`open`](Self::open) |
/// | `<name>.json.v<N>.bak` | the version-`N` file as it was before the first save after migrating it |
///
/// Dropping the store releases the lock.
pub struct Store<S> {
    dir: PathBuf,
    path: PathBuf,
    lock_path: PathBuf,
    removed_temp_files: Vec<PathBuf>,
    migrated_from: Option<u32>,
    /// Set once the pre-migration file has been copied to its backup.
    is_backed_up: AtomicBool,
    /// Held open for the store's lifetime: closing it releases the lock.
    _lock: File,
    _schema: PhantomData<fn() -> S>,
}

impl<S: Schema> Store<S> {
    /// Locks and loads the state file `dir/<name>.json`.
    ///
    /// Creates `dir` (mode 0700 on unix) if it is missing, takes an exclusive advisory lock on
    /// `dir/<name>.lock` for the lifetime of the returned store, removes temp files left by a
    /// crashed save, and loads the state: `S::default()` when the file does not exist, else
    /// the file's data, migrated step by step to `S::VERSION` if it is older. A migrated file
    /// is rewritten only by the next [`save`](Self::save).
    ///
    /// `name` is 1 to 64 ASCII letters, digits, `_` or `-` (no dots, so one store's temp and
    /// backup files can never be mistaken for another's).
    ///
    /// # Errors
    ///
    /// [`StoreError::Locked`] when another process or another `Store` holds the lock; a
    /// refusal (`Corrupt`, `TooLarge`, `UnknownSchema`, `FutureVersion`, `Migration`) when the
    /// file cannot be loaded, in which case the file is left byte-for-byte untouched; or an
    /// I/O error creating the directory, the lock file, or reading the file.
    pub fn open(dir: &Path, name: &str) -> Result<(Self, S), StoreError> {
        check_name(dir, name)?;
        create_dir(dir)?;
        let lock_path = dir.join(format!("{name}.lock"));
        let lock = lock(&lock_path)?;
        let path = dir.join(format!("{name}.json"));
        let removed_temp_files = atomic::remove_stale_temps(dir, &path);
        let (state, migrated_from) = match read_bounded(&path, MAX_FILE_BYTES)? {
            None => (S::default(), None),
            Some(bytes) => {
                let loaded = envelope::decode::<S>(&path, &bytes)?;
                let migrated_from = (loaded.version < S::VERSION).then_some(loaded.version);
                (loaded.state, migrated_from)
            }
        };
        let store = Self {
            dir: dir.to_owned(),
            path,
            lock_path,
            removed_temp_files,
            is_backed_up: AtomicBool::new(migrated_from.is_none()),
            migrated_from,
            _lock: lock,
            _schema: PhantomData,
        };
        Ok((store, state))
    }

    /// Replaces the state file with `state`, atomically and durably.
    ///
    /// Encodes the envelope, writes it to `<name>.json.tmp-<pid>-<n>`, syncs it, renames it over
    /// `<name>.json` and syncs the directory. The first save after a migration first copies the
    /// old file to `<name>.json.v<N>.bak` (same procedure), so a downgrade has a file to
    /// return to.
    ///
    /// # Errors
    ///
    /// [`StoreError::Write`] when writing fails; the previous file is then intact and the temp
    /// file removed (unless only the final directory sync failed). [`StoreError::Encode`] or
    /// [`StoreError::StateTooLarge`] when `state` could not be loaded back if written; nothing
    /// is written then.
    pub fn save(&self, state: &S) -> Result<(), StoreError> {
        let bytes = envelope::encode(&self.path, state, SystemTime::now())?;
        self.back_up_before_first_overwrite()?;
        atomic::replace(&self.dir, &self.path, &bytes).map_err(|source| StoreError::Write {
            path: self.path.clone(),
            source,
        })
    }

    fn back_up_before_first_overwrite(&self) -> Result<(), StoreError> {
        let Some(version) = self.migrated_from else {
            return Ok(());
        };
        if self.is_backed_up.load(Ordering::Acquire) {
            return Ok(());
        }
        if let Some(bytes) = read_bounded(&self.path, MAX_FILE_BYTES)? {
            let mut backup = self.path.clone().into_os_string();
            backup.push(format!(".v{version}.bak"));
            let backup = PathBuf::from(backup);
            // The temp file is named after the state file so a crash leftover is cleaned up.
            atomic::replace_via(&self.dir, &self.path, &backup, &bytes).map_err(|source| {
                StoreError::Write {
                    path: backup,
                    source,
                }
            })?;
        }
        self.is_backed_up.store(true, Ordering::Release);
        Ok(())
    }
}

impl<S> Store<S> {
    /// The state file, `dir/<name>.json`.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The state directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The lock file, `dir/<name>.lock`.
    pub fn lock_path(&self) -> &Path {
        &self.lock_path
    }

    /// The version the file was migrated from at open, if it was older than `S::VERSION`.
    pub fn migrated_from(&self) -> Option<u32> {
        self.migrated_from
    }

    /// Temp files of a crashed save that [`open`](Self::open) removed, for the caller to log.
    pub fn removed_temp_files(&self) -> &[PathBuf] {
        &self.removed_temp_files
    }
}

impl<S> fmt::Debug for Store<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("state", &std::any::type_name::<S>())
            .field("path", &self.path)
            .field("lock_path", &self.lock_path)
            .field("migrated_from", &self.migrated_from)
            .finish_non_exhaustive()
    }
}

fn check_name(dir: &Path, name: &str) -> Result<(), StoreError> {
    let is_valid = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'));
    if is_valid {
        Ok(())
    } else {
        Err(StoreError::InvalidName {
            dir: dir.to_owned(),
            name: name.chars().take(MAX_NAME_LEN + 1).collect(),
        })
    }
}

fn create_dir(dir: &Path) -> Result<(), StoreError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|source| StoreError::CreateDir {
        path: dir.to_owned(),
        source,
    })
}

/// Opens (creating if needed) and exclusively locks the lock file. The lock is on a separate
/// file because `save` renames a new inode over the state file, which would orphan a lock on it.
fn lock(path: &Path) -> Result<File, StoreError> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let lock_error = |source| StoreError::Lock {
        path: path.to_owned(),
        source,
    };
    let file = options.open(path).map_err(lock_error)?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => Err(StoreError::Locked {
            path: path.to_owned(),
        }),
        Err(TryLockError::Error(source)) => Err(lock_error(source)),
    }
}

/// Reads `path` if it exists, refusing non-regular files and anything over `limit` bytes
/// (checked before reading, and again while reading in case the file grows).
fn read_bounded(path: &Path, limit: u64) -> Result<Option<Vec<u8>>, StoreError> {
    let read_error = |source| StoreError::Read {
        path: path.to_owned(),
        source,
    };
    let too_large = |size| StoreError::TooLarge {
        path: path.to_owned(),
        size,
        limit,
    };
    // Checked before opening: opening a FIFO for reading would block.
    let metadata = match fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(read_error(e)),
    };
    if !metadata.is_file() {
        return Err(StoreError::Corrupt {
            path: path.to_owned(),
            detail: "it is not a regular file".to_owned(),
        });
    }
    if metadata.len() > limit {
        return Err(too_large(metadata.len()));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    File::open(path)
        .and_then(|file| file.take(limit.saturating_add(1)).read_to_end(&mut bytes))
        .map_err(read_error)?;
    let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if size > limit {
        return Err(too_large(size));
    }
    Ok(Some(bytes))
}

#[cfg(test)]
mod tests;
