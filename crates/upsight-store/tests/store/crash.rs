//! Crashes and failing disks: leftovers of an interrupted save, unwritable directories.

use std::fs;

use upsight_store::{Store, StoreError};

use crate::support::{Exporter, fingerprint, listing, names, write_file};

#[test]
fn open_ignores_and_removes_temp_files_of_a_crashed_save() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = Store::<Exporter>::open(dir.path(), "state").unwrap();
    store.save(&Exporter::sample()).unwrap();
    drop(store);
    // A save that died mid-write, one that died before its rename, and another store's temp file.
    write_file(
        &dir.path().join("state.json.tmp-4242-0"),
        b"{\"schema\": \"test-exp",
    );
    write_file(
        &dir.path().join("state.json.tmp-4242-1"),
        br#"{"schema":"test-exporter","version":1,"data":{}}"#,
    );
    write_file(&dir.path().join("other.json.tmp-4242-0"), b"not mine");

    let (store, state) = Store::<Exporter>::open(dir.path(), "state").unwrap();
    assert_eq!(state, Exporter::sample());
    let mut removed: Vec<_> = store
        .removed_temp_files()
        .iter()
        .map(|path| path.file_name().unwrap().to_str().unwrap().to_owned())
        .collect();
    removed.sort();
    assert_eq!(removed, ["state.json.tmp-4242-0", "state.json.tmp-4242-1"]);
    assert_eq!(
        listing(dir.path()),
        names(&["other.json.tmp-4242-0", "state.json", "state.lock"])
    );
}

#[test]
fn crash_before_the_first_rename_loads_the_default() {
    let dir = tempfile::tempdir().unwrap();
    write_file(
        &dir.path().join("state.json.tmp-1-0"),
        br#"{"schema":"test-exporter""#,
    );
    let (store, state) = Store::<Exporter>::open(dir.path(), "state").unwrap();
    assert_eq!(state, Exporter::default());
    assert_eq!(store.removed_temp_files().len(), 1);
    assert_eq!(listing(dir.path()), names(&["state.lock"]));
}

#[test]
fn failed_rename_keeps_the_target_and_removes_the_temp_file() {
    // Root-proof failure injection: a non-empty directory where the state file should be makes
    // the rename fail after the temp file was written and synced.
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = Store::<Exporter>::open(dir.path(), "state").unwrap();
    fs::create_dir(store.path()).unwrap();
    write_file(&store.path().join("keep"), b"kept");

    let err = store.save(&Exporter::sample()).unwrap_err();
    let StoreError::Write { path, .. } = &err else {
        panic!("expected Write, got {err:?}");
    };
    assert_eq!(path, store.path());
    assert_eq!(err.exit_code(), 73);
    assert!(std::error::Error::source(&err).is_some());
    assert_eq!(fs::read(store.path().join("keep")).unwrap(), b"kept");
    assert_eq!(listing(dir.path()), names(&["state.json", "state.lock"]));
}

#[cfg(unix)]
#[test]
fn save_into_a_read_only_directory_fails_cleanly() {
    use std::os::unix::fs::PermissionsExt as _;

    let dir = tempfile::tempdir().unwrap();
    let (store, _) = Store::<Exporter>::open(dir.path(), "state").unwrap();
    store.save(&Exporter::default()).unwrap();
    let before = fingerprint(store.path());
    let set_mode =
        |mode| fs::set_permissions(dir.path(), fs::Permissions::from_mode(mode)).unwrap();

    set_mode(0o500);
    let probe = dir.path().join("probe");
    if fs::File::create(&probe).is_ok() {
        fs::remove_file(&probe).unwrap();
        set_mode(0o700);
        eprintln!(
            "note: skipping the read-only directory check: this user ignores permissions (root?)"
        );
        return;
    }
    let result = store.save(&Exporter::sample());
    set_mode(0o700);

    let err = result.unwrap_err();
    assert!(matches!(err, StoreError::Write { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("check free space and the permissions"),
        "{err}"
    );
    assert_eq!(fingerprint(store.path()), before);
    assert_eq!(listing(dir.path()), names(&["state.json", "state.lock"]));
}

#[test]
fn unencodable_state_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = Store::<Exporter>::open(dir.path(), "state").unwrap();
    store.save(&Exporter::sample()).unwrap();
    let before = fingerprint(store.path());

    let mut state = Exporter::sample();
    state.energy_watt_hours = f64::NAN;
    let err = store.save(&state).unwrap_err();
    assert!(matches!(err, StoreError::Encode { .. }), "{err:?}");
    assert_eq!(err.exit_code(), 70);
    assert_eq!(fingerprint(store.path()), before);
    assert_eq!(listing(dir.path()), names(&["state.json", "state.lock"]));
}
