//! Every refused load leaves the file byte-for-byte untouched and explains what to do.

use std::path::Path;

use upsight_store::{MAX_FILE_BYTES, Store, StoreError};

use crate::support::{Exporter, fingerprint, listing, names, write_file};

/// A valid file for `Exporter`, to corrupt in various ways.
fn valid_file() -> Vec<u8> {
    let dir = tempfile::tempdir().expect("create a temp dir");
    let (store, _) = Store::<Exporter>::open(dir.path(), "state").expect("open a fresh store");
    store.save(&Exporter::sample()).expect("save the sample");
    std::fs::read(store.path()).expect("read the saved file")
}

/// Writes `bytes` as the state file, opens it, and checks the refusal changed nothing.
fn refuse(bytes: &[u8]) -> StoreError {
    let dir = tempfile::tempdir().expect("create a temp dir");
    let path = dir.path().join("state.json");
    write_file(&path, bytes);
    let before = fingerprint(&path);

    let Err(err) = Store::<Exporter>::open(dir.path(), "state") else {
        panic!("a hostile file was accepted");
    };

    assert_untouched(dir.path(), &path, &before);
    assert_eq!(err.exit_code(), 73, "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains(&path.display().to_string()),
        "no path in {message}"
    );
    assert!(message.starts_with(char::is_lowercase), "{message}");
    assert!(!message.ends_with('.'), "{message}");
    // The refusal released the lock: a second try is refused for the same reason.
    let again = Store::<Exporter>::open(dir.path(), "state").map(|_| ());
    assert_eq!(again.map_err(|e| e.to_string()), Err(message));
    assert_untouched(dir.path(), &path, &before);
    err
}

fn assert_untouched(dir: &Path, path: &Path, before: &crate::support::Fingerprint) {
    assert_eq!(&fingerprint(path), before, "the refused file changed");
    assert_eq!(listing(dir), names(&["state.json", "state.lock"]));
}

#[test]
fn corrupt_json() {
    let err = refuse(b"{\"schema\": \"test-exporter\", \"version\": 1, \"data\": {]}");
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("restore a backup or move the file away"),
        "{err}"
    );
}

#[test]
fn truncated_file() {
    let valid = valid_file();
    for len in [1, valid.len() / 2, valid.len() - 3] {
        let err = refuse(&valid[..len]);
        assert!(matches!(err, StoreError::Corrupt { .. }), "{len}: {err:?}");
    }
}

#[test]
fn trailing_garbage() {
    let mut bytes = valid_file();
    bytes.extend_from_slice(b"{}");
    let err = refuse(&bytes);
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
}

#[test]
fn empty_file() {
    let err = refuse(b"");
    assert!(
        matches!(err, StoreError::Corrupt { ref detail, .. } if detail.contains("empty")),
        "{err:?}"
    );
}

#[test]
fn future_version() {
    let err = refuse(
        br#"{"schema":"test-exporter","version":2,"saved_at":"2030-01-01T00:00:00Z","data":{}}"#,
    );
    assert!(
        matches!(
            err,
            StoreError::FutureVersion {
                found: 2,
                supported: 1,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("upgrade upsight"), "{err}");
}

#[test]
fn version_zero_or_missing() {
    let err = refuse(br#"{"schema":"test-exporter","version":0,"data":{}}"#);
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    let err = refuse(br#"{"schema":"test-exporter","data":{}}"#);
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
}

#[test]
fn unknown_schema() {
    let err = refuse(br#"{"schema":"fleet","version":1,"data":{"members":[]}}"#);
    assert!(
        matches!(err, StoreError::UnknownSchema { ref found, expected: "test-exporter", .. } if found == "fleet"),
        "{err:?}"
    );
}

#[test]
fn wrong_types() {
    let err = refuse(
        br#"{"schema":"test-exporter","version":1,"data":{"events":{},"energy_watt_hours":"lots","devices":[]}}"#,
    );
    assert!(
        matches!(err, StoreError::Corrupt { ref detail, .. } if detail.contains("does not match")),
        "{err:?}"
    );
}

#[test]
fn not_utf8() {
    let err = refuse(&[0xff, 0xfe, b'{', 0x00, 0x80]);
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
}

#[test]
fn deeply_nested_json_is_refused_without_overflowing_the_stack() {
    // Unclosed, and closed (well-formed but 100 000 deep): refused either way, no overflow.
    let mut bytes = br#"{"schema":"test-exporter","version":1,"data":"#.to_vec();
    bytes.extend(std::iter::repeat_n(b'[', 100_000));
    let err = refuse(&bytes);
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    bytes.extend(std::iter::repeat_n(b']', 100_000));
    bytes.push(b'}');
    let err = refuse(&bytes);
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
}

#[test]
fn file_over_the_size_cap() {
    // A well-formed envelope padded past the cap, so only the size check can refuse it.
    let padding = usize::try_from(MAX_FILE_BYTES).unwrap() + 6 * 1024 * 1024;
    let mut bytes = br#"{"schema":"test-exporter","version":1,"data":{"devices":{"pad":""#.to_vec();
    bytes.resize(bytes.len() + padding, b'x');
    bytes.extend_from_slice(br#""},"events":[],"energy_watt_hours":0}}"#);
    let err = refuse(&bytes);
    let StoreError::TooLarge { size, limit, .. } = err else {
        panic!("expected TooLarge, got {err:?}");
    };
    assert_eq!(
        (size, limit),
        (u64::try_from(bytes.len()).unwrap(), MAX_FILE_BYTES)
    );
}

#[test]
fn directory_in_place_of_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("state.json")).unwrap();
    let err = Store::<Exporter>::open(dir.path(), "state").unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    assert!(dir.path().join("state.json").is_dir());
}

#[test]
fn invalid_name_is_a_caller_bug() {
    let dir = tempfile::tempdir().unwrap();
    let err = Store::<Exporter>::open(dir.path(), "../escape").unwrap_err();
    assert!(matches!(err, StoreError::InvalidName { .. }), "{err:?}");
    assert_eq!(err.exit_code(), 70);
    assert!(listing(dir.path()).is_empty());
}

#[test]
fn unusable_directory() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    write_file(&file, b"");
    let err = Store::<Exporter>::open(&file, "state").unwrap_err();
    assert!(matches!(err, StoreError::CreateDir { .. }), "{err:?}");
    assert_eq!(err.exit_code(), 73);
    assert!(std::error::Error::source(&err).is_some());
}
