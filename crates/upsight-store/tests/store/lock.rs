//! The exclusive lock: one store per file, within a process and across processes.

use std::process::Command;

use upsight_store::{Store, StoreError};

use crate::support::{Exporter, names};

const CHILD_DIR_VAR: &str = "UPSIGHT_STORE_TEST_LOCK_DIR";
const CHILD_LOCKED: &str = "child-saw-locked";

#[test]
fn second_open_in_the_same_process_is_locked() {
    let dir = tempfile::tempdir().unwrap();
    let (first, _) = Store::<Exporter>::open(dir.path(), "state").unwrap();

    let err = Store::<Exporter>::open(dir.path(), "state").unwrap_err();
    let StoreError::Locked { path } = &err else {
        panic!("expected Locked, got {err:?}");
    };
    assert_eq!(path, &dir.path().join("state.lock"));
    assert_eq!(path, first.lock_path());
    assert_eq!(err.exit_code(), 73);
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(
        message.contains("stop the other upsight instance"),
        "{message}"
    );
}

#[test]
fn lock_is_released_on_drop() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = Store::<Exporter>::open(dir.path(), "state").unwrap();
    store.save(&Exporter::sample()).unwrap();
    drop(store);

    let (_store, state) = Store::<Exporter>::open(dir.path(), "state").unwrap();
    assert_eq!(state, Exporter::sample());
    // The lock file stays: deleting it would let two processes lock two different inodes.
    assert_eq!(
        crate::support::listing(dir.path()),
        names(&["state.json", "state.lock"])
    );
}

#[test]
fn lock_survives_saves() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = Store::<Exporter>::open(dir.path(), "state").unwrap();
    for _ in 0..3 {
        store.save(&Exporter::sample()).unwrap();
        let err = Store::<Exporter>::open(dir.path(), "state").unwrap_err();
        assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    }
}

#[test]
fn stores_with_different_names_are_independent() {
    let dir = tempfile::tempdir().unwrap();
    let (exporter, _) = Store::<Exporter>::open(dir.path(), "exporter").unwrap();
    let (fleet, _) = Store::<Exporter>::open(dir.path(), "fleet").unwrap();
    exporter.save(&Exporter::sample()).unwrap();
    fleet.save(&Exporter::default()).unwrap();
    assert_eq!(
        crate::support::listing(dir.path()),
        names(&["exporter.json", "exporter.lock", "fleet.json", "fleet.lock"])
    );
}

#[test]
fn another_process_is_locked() {
    let dir = tempfile::tempdir().unwrap();
    let (_store, _) = Store::<Exporter>::open(dir.path(), "state").unwrap();

    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "lock::child_opens_locked_store",
            "--ignored",
            "--nocapture",
        ])
        .env(CHILD_DIR_VAR, dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "child failed: {stdout}");
    assert!(
        stdout.contains(CHILD_LOCKED),
        "child did not see the lock: {stdout}"
    );
}

/// Run by `another_process_is_locked` in a child process; does nothing when run directly.
#[test]
#[ignore = "helper run in a child process by another_process_is_locked"]
fn child_opens_locked_store() {
    let Some(dir) = std::env::var_os(CHILD_DIR_VAR) else {
        return;
    };
    let err = Store::<Exporter>::open(dir.as_ref(), "state").unwrap_err();
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    println!("{CHILD_LOCKED}");
}
