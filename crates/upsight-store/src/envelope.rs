//! The on-disk envelope `{"schema", "version", "saved_at", "data"}`: bytes → checked, migrated
//! state, and state → bytes. Pure; the store does the I/O and passes the path for error messages.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{MAX_FILE_BYTES, Schema, StoreError};

/// Longest operator-facing excerpt of file content (serde messages quote offending strings).
const MAX_DETAIL_CHARS: usize = 300;
/// Longest schema name quoted back from a file.
const MAX_FOUND_SCHEMA_CHARS: usize = 64;

/// The envelope as read. Unknown fields are refused: a newer writer that adds envelope fields
/// bumps the version, and `save` would otherwise drop them silently.
///
/// Read first with `D` = [`IgnoredAny`] (the header only; the data is skipped, not built),
/// then with the current schema's type directly, or with a [`Value`] when it must migrate.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnvelope<D> {
    schema: String,
    version: u64,
    /// Informational: RFC 3339 text or unix seconds, type-checked but not interpreted.
    #[serde(default)]
    saved_at: Option<Value>,
    data: D,
}

/// The envelope as written.
#[derive(Serialize)]
struct EnvelopeRef<'a, S> {
    schema: &'static str,
    version: u32,
    saved_at: String,
    data: &'a S,
}

/// The envelope's data as written, read back typed (the save's round-trip check).
#[derive(Deserialize)]
struct DataOf<S> {
    data: S,
}

/// A state loaded from a file, with the version the file was in.
#[derive(Debug)]
pub(crate) struct Loaded<S> {
    pub(crate) state: S,
    pub(crate) version: u32,
}

/// Parses, checks and migrates a state file's bytes.
pub(crate) fn decode<S: Schema>(path: &Path, bytes: &[u8]) -> Result<Loaded<S>, StoreError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(corrupt(path, "the file is empty"));
    }
    let raw: RawEnvelope<IgnoredAny> = serde_json::from_slice(bytes)
        .map_err(|e| corrupt(path, format!("not a state envelope: {e}")))?;
    if raw.schema != S::NAME {
        return Err(StoreError::UnknownSchema {
            path: path.to_owned(),
            found: raw.schema.chars().take(MAX_FOUND_SCHEMA_CHARS).collect(),
            expected: S::NAME,
        });
    }
    match raw.saved_at {
        None | Some(Value::String(_)) => {}
        Some(Value::Number(n)) if n.as_f64().is_some_and(|s| s >= 0.0) => {}
        Some(other) => {
            return Err(corrupt(
                path,
                format!("saved_at {other} is neither RFC 3339 text nor unix seconds"),
            ));
        }
    }
    let version = match u32::try_from(raw.version) {
        Ok(0) => return Err(corrupt(path, "version 0 is not a valid version")),
        Ok(v) if v <= S::VERSION => v,
        _ => {
            return Err(StoreError::FutureVersion {
                path: path.to_owned(),
                found: raw.version,
                supported: S::VERSION,
            });
        }
    };
    let mismatch = |e: serde_json::Error| {
        corrupt(
            path,
            format!(
                "data does not match schema {:?} version {}: {e}",
                S::NAME,
                S::VERSION
            ),
        )
    };
    if version == S::VERSION {
        // The common case: straight into the typed state, no JSON tree in between.
        let typed: RawEnvelope<S> = serde_json::from_slice(bytes).map_err(mismatch)?;
        return Ok(Loaded {
            state: typed.data,
            version,
        });
    }
    let raw: RawEnvelope<Value> = serde_json::from_slice(bytes)
        .map_err(|e| corrupt(path, format!("not a state envelope: {e}")))?;
    let data = migrate::<S>(path, version, raw.data)?;
    let state = serde_json::from_value(data).map_err(mismatch)?;
    Ok(Loaded { state, version })
}

/// Runs `S::migrate` once per step from `from` up to `S::VERSION`.
fn migrate<S: Schema>(path: &Path, from: u32, mut data: Value) -> Result<Value, StoreError> {
    for step in from..S::VERSION {
        data = S::migrate(step, data).map_err(|source| StoreError::Migration {
            path: path.to_owned(),
            from: step,
            to: step + 1,
            source,
        })?;
    }
    Ok(data)
}

/// Encodes `state` as a current-version envelope, stamped with `now`.
///
/// Refuses a state that would not load back (a NaN becomes `null`, for instance) or that
/// exceeds the load limit: writing it would make the next start refuse its own file.
pub(crate) fn encode<S: Schema>(
    path: &Path,
    state: &S,
    now: SystemTime,
) -> Result<Vec<u8>, StoreError> {
    let encode_error = |detail: String| StoreError::Encode {
        path: path.to_owned(),
        detail: clip(&detail),
    };
    let envelope = EnvelopeRef {
        schema: S::NAME,
        version: S::VERSION,
        saved_at: format_rfc3339(now),
        data: state,
    };
    // Compact: a state file is read by the program; `jq .` pretty-prints it for a person.
    // Written straight from the state and read back typed: no JSON tree of the whole state is
    // ever built (at 100 000 fleet members that tree alone is hundreds of MB).
    let mut bytes = serde_json::to_vec(&envelope).map_err(|e| encode_error(e.to_string()))?;
    let checked = serde_json::from_slice::<DataOf<S>>(&bytes)
        .map_err(|e| encode_error(format!("the state would not load back: {e}")))?;
    drop(checked.data);
    bytes.push(b'\n');
    let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if size > MAX_FILE_BYTES {
        return Err(StoreError::StateTooLarge {
            path: path.to_owned(),
            size,
            limit: MAX_FILE_BYTES,
        });
    }
    Ok(bytes)
}

/// `now` as RFC 3339 UTC with whole seconds, e.g. `2025-11-22T16:05:00Z`. Times before the
/// epoch clamp to it.
pub(crate) fn format_rfc3339(now: SystemTime) -> String {
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (year, month, day) = civil_from_days(secs / 86_400);
    let rem = secs % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 → (year, month, day) in the proleptic Gregorian calendar.
/// Howard Hinnant, "chrono-Compatible Low-Level Date Algorithms", `civil_from_days`, restricted
/// to non-negative day counts so everything stays unsigned.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

fn corrupt(path: &Path, detail: impl AsRef<str>) -> StoreError {
    StoreError::Corrupt {
        path: path.to_owned(),
        detail: clip(detail.as_ref()),
    }
}

/// At most `MAX_DETAIL_CHARS` characters, so a hostile file cannot flood the log.
fn clip(text: &str) -> String {
    match text.char_indices().nth(MAX_DETAIL_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests;
